"""The delta's short ways give the very delta its general way gives: a bundle's leaves placed from each kind's fate
(``DeltaBuilder._place_leaves``), characteristic values carried from the catalog's table, re-homing passing over a
product the target tree has no place for, items not renumbered when none moved."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import odedelta
from odedelta.delta.builder import DeltaBuilder, build
from odedelta.delta.items import Delta, Migration, Refused
from odedelta.delta.projection import placed
from odedelta.model.catalog import Catalog
from odedelta.model.errors import RequestError
from odedelta.model.requests import ChangeOffer, Request
from odedelta.strategies import AS_OF, build_catalog, catalog_documents, inventory_documents, requests


@contextmanager
def _general_way() -> Iterator[None]:
    """Every short way turned off: the builder decides as it did before it had them."""
    saved = {name: DeltaBuilder.__dict__[name] for name in
             ("_place_leaves", "_carry_characteristics", "_placeless", "_renumber")}
    renumber = saved["_renumber"]

    def always_renumber(self: DeltaBuilder) -> dict[str, str]:
        self._shuffled = True
        return renumber(self)  # type: ignore[no-any-return]

    DeltaBuilder._place_leaves = lambda self, *args: False  # type: ignore[method-assign]
    DeltaBuilder._carry_characteristics = DeltaBuilder._carry  # type: ignore[method-assign]
    DeltaBuilder._placeless = lambda self, *args: False  # type: ignore[method-assign]
    DeltaBuilder._renumber = always_renumber  # type: ignore[method-assign]
    try:
        yield
    finally:
        for name, method in saved.items():
            setattr(DeltaBuilder, name, method)


def _answer(catalog: Catalog, inventory: odedelta.Inventory, request: Request,
            migrations: tuple[Migration, ...]) -> str:
    """The delta (with what the projection places) or the refusal, written out: types show (``1`` is not
    ``True``)."""
    try:
        delta = build(catalog, inventory, request, AS_OF, migrations)
    except RequestError as error:
        return f"error {error}"
    if isinstance(delta, Refused):
        return f"refused {delta.message}"
    assert isinstance(delta, Delta)
    return repr(delta) + repr(tuple(placed(inventory, delta)))


@st.composite
def _migrations(draw: st.DrawFn, catalog: Catalog) -> tuple[Migration, ...]:
    offerings = st.none() | st.sampled_from(sorted(catalog.offerings))
    specifications = st.none() | st.sampled_from(sorted(catalog.specifications))
    return tuple(Migration(f"m{n}", draw(offerings), draw(specifications), draw(offerings), draw(specifications))
                 for n in range(draw(st.integers(0, 2))))


@given(st.data())
def test_the_short_ways_give_the_general_delta(data: st.DataObject) -> None:
    catalog = build_catalog(data.draw(catalog_documents(), label="catalog"))
    inventory = odedelta.Inventory.from_document(catalog, data.draw(inventory_documents(catalog), label="inventory"))
    roots = inventory.roots()
    asked: list[Request] = [data.draw(requests(catalog, inventory), label="request")]
    if roots:  # a change to any offering, sold or not, bundle or not: slots over full, kinds with no place
        asked.append(ChangeOffer(product=data.draw(st.sampled_from(roots)),
                                 to=data.draw(st.sampled_from(sorted(catalog.offerings)))))
    migrations = data.draw(_migrations(catalog), label="migrations")
    other = data.draw(_migrations(catalog), label="other migrations")  # the catalog's tables are kept by rules
    for request in asked:
        for rules in ((), migrations, other, migrations):
            short = [_answer(catalog, inventory, request, rules) for _ in range(2)]  # the second from the tables
            with _general_way():
                general = _answer(catalog, inventory, request, rules)
            assert short == [general, general]


def test_an_account_of_leaves_is_placed_by_kind() -> None:
    """An account whose lines change plan: each line kept in the target's slot, one item each, in order; the
    line the target has no place for deleted with the catalog's reason; a line bundling another goes the general
    way and says the same."""
    catalog = build_catalog([
        {"id": "ps-line", "@type": "ProductSpecification", "name": "Line",
         "productSpecCharacteristic": [{"name": "level", "valueType": "string",
                                        "productSpecCharacteristicValue": [{"value": "a"}, {"value": "b"}]}]},
        {"id": "ps-tv", "@type": "ProductSpecification", "name": "TV"},
        {"id": "ps-pack", "@type": "ProductSpecification", "name": "Pack"},
        _offering("po-line-a", "ps-line"), _offering("po-line-b", "ps-line"), _offering("po-tv", "ps-tv"),
        _offering("po-pack-a", "ps-pack", [("po-line-a", 1, None), ("po-tv", 0, 1)]),
        _offering("po-pack-b", "ps-pack", [("po-line-b", 1, None)]),
    ])
    lines: list[dict[str, Any]] = [
        {"id": f"L-{n}", "productOffering": {"id": "po-line-a"},
         "productCharacteristic": [{"name": "level", "value": "ab"[n % 2]}]} for n in range(4)]
    tv = {"id": "TV-1", "productOffering": {"id": "po-tv"}}
    account = {"id": "ACC", "productOffering": {"id": "po-pack-a"},
               "productRelationship": [{"relationshipType": "bundles", "product": {"id": p["id"]}}
                                       for p in [*lines, tv]]}
    inventory = odedelta.Inventory.from_document(catalog, [*lines, tv, account])
    delta = build(catalog, inventory, ChangeOffer(product="ACC", to="po-pack-b"), AS_OF)
    assert isinstance(delta, Delta)
    assert [(i.id, i.product_id, i.action.value, i.offering_id, i.previous_offering_id, dict(i.characteristics),
             [r.code for r in i.reasons]) for i in delta.items] == [
        ("1", "ACC", "modify", "po-pack-b", "po-pack-a", {}, ["requested", "offering_changed"]),
        ("2", "L-0", "modify", "po-line-b", "po-line-a", {"level": "a"}, ["offering_changed"]),
        ("3", "L-1", "modify", "po-line-b", "po-line-a", {"level": "b"}, ["offering_changed"]),
        ("4", "L-2", "modify", "po-line-b", "po-line-a", {"level": "a"}, ["offering_changed"]),
        ("5", "L-3", "modify", "po-line-b", "po-line-a", {"level": "b"}, ["offering_changed"]),
        ("6", "TV-1", "delete", "po-tv", None, {}, ["not_in_target"]),
    ]
    assert delta.items[5].reasons[0].message == "po-pack-b has no place for po-tv"
    # the lines with the same values share one copy of them within the delta (not a dictionary a line), never the
    # catalog's table's: another change's items hold their own
    assert delta.items[1].characteristics is delta.items[3].characteristics
    again = build(catalog, inventory, ChangeOffer(product="ACC", to="po-pack-b"), AS_OF)
    assert isinstance(again, Delta)
    assert again.items[1].characteristics == delta.items[1].characteristics
    assert again.items[1].characteristics is not delta.items[1].characteristics
    # what to_dict hands out is a copy: a caller editing one item's leaves its siblings as they are (found in review)
    answer = odedelta.to_dict(odedelta.Engine(catalog).change(inventory, ChangeOffer(product="ACC", to="po-pack-b"),
                                                              as_of=AS_OF))
    answer["items"][1]["characteristics"]["level"] = "changed"
    assert [i["characteristics"] for i in answer["items"][1:5]] == [
        {"level": "changed"}, {"level": "b"}, {"level": "a"}, {"level": "b"}]
    with _general_way():
        general = build(catalog, inventory, ChangeOffer(product="ACC", to="po-pack-b"), AS_OF)
    assert repr(general) == repr(delta)


def _offering(oid: str, spec: str, slots: list[tuple[str, int, int | None]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    document: dict[str, Any] = {"id": oid, "@type": "ProductOffering", "name": oid, "lifecycleStatus": "Active",
                                "isSellable": True, "productSpecification": {"id": spec}}
    if slots:
        document["isBundle"] = True
        document["bundledProductOffering"] = [
            {"id": child, "bundledProductOfferingOption": {"numberRelOfferLowerLimit": lower,
                                                           **({"numberRelOfferUpperLimit": upper}
                                                              if upper is not None else {})}}
            for child, lower, upper in slots]
    return document


def test_a_leafs_fate_under_migration_rules_is_kept_for_those_rules_alone() -> None:
    """The catalog keeps each leaf's fate per tuple of migration rules: the same catalog asked with a rule, then
    with another rule naming another target, then with none, answers each as a fresh catalog would."""
    catalog = build_catalog([
        {"id": "ps-old", "@type": "ProductSpecification", "name": "Old line"},
        {"id": "ps-new", "@type": "ProductSpecification", "name": "New line"},
        {"id": "ps-pack", "@type": "ProductSpecification", "name": "Pack"},
        _offering("po-old", "ps-old"), _offering("po-new", "ps-new"), _offering("po-alt", "ps-new"),
        _offering("po-pack-a", "ps-pack", [("po-old", 1, None)]),
        _offering("po-pack-b", "ps-pack", [("po-new", 0, None), ("po-alt", 0, None)]),
    ])
    line = {"id": "L-1", "productOffering": {"id": "po-old"}}
    account = {"id": "ACC", "productOffering": {"id": "po-pack-a"},
               "productRelationship": [{"relationshipType": "bundles", "product": {"id": "L-1"}}]}
    inventory = odedelta.Inventory.from_document(catalog, [line, account])
    request = ChangeOffer(product="ACC", to="po-pack-b")
    to_new, to_alt = (Migration("m-new", "po-old", None, "po-new", None),), (Migration("m-alt", "po-old", None,
                                                                                       "po-alt", None),)

    def line_item(migrations: tuple[Migration, ...]) -> tuple[str, str, tuple[str | None, ...]]:
        delta = build(catalog, inventory, request, AS_OF, migrations)
        assert isinstance(delta, Delta)
        item = next(i for i in delta.items if i.product_id == "L-1")
        return item.action.value, item.offering_id, tuple(r.source for r in item.reasons)

    asked = [line_item(rules) for rules in (to_new, to_alt, (), to_new)]
    assert asked == [("modify", "po-new", ("rule:m-new",)), ("modify", "po-alt", ("rule:m-alt",)),
                     ("delete", "po-old", ("catalog:po-pack-b",)), ("modify", "po-new", ("rule:m-new",))]
