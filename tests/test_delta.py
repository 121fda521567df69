"""The change engine on the demo catalog: exact items for the seed scenarios, and properties over every change."""

from __future__ import annotations

import json
import random

import pytest

import odedelta
from odedelta.delta.items import Action
from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult
from odedelta.model.errors import RequestError
from odedelta.model.jsonio import dumps
from odedelta.model.requests import (
    Acquire,
    AddOffering,
    ChangeOffer,
    ModifyCharacteristics,
    RemoveProduct,
    TerminateProduct,
)

from .conftest import DEMO
from .helpers import AS_OF, all_demo_changes


def _rows(result: ChangeResult) -> list[tuple[str, str, str, str | None, list[str]]]:
    return [(i.action.value, i.product_id, i.offering_id, i.parent_id, i.codes) for i in result.items]


@pytest.fixture(scope="module")
def engine(demo: odedelta.Catalog) -> Engine:
    return Engine(demo)


def test_s3_downgrade_keeps_voicemail_and_modifies_access_in_place(engine: Engine,
                                                                   inventories: dict[str, odedelta.Inventory]) -> None:
    result = engine.change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    assert _rows(result) == [
        ("modify", "F-1", "po-fiber-300", None, ["requested", "offering_changed"]),
        ("modify", "F-2", "po-fiber-access-300", "F-1", ["offering_changed", "characteristic_changed",
                                                         "characteristic_changed"]),
        ("noChange", "F-3", "po-router-wifi6", "F-1", ["kept"]),
        ("delete", "F-4", "po-streaming-vas", "F-1", ["promotion_lost"]),  # S1: free only through Fiber 500
        ("noChange", "F-5", "po-security-vas", "F-1", ["kept"]),
    ]
    assert result.item("F-4").reasons[0].source == "promotion:promo-fiber-free-streaming"
    access = result.item("F-2")
    assert access.previous_offering_id == "po-fiber-access-500"
    assert [(c.name, c.before, c.after) for c in access.changes] == [("downloadSpeed", 500, 300),
                                                                       ("uploadSpeed", 300, 100)]
    assert result.item("F-3").characteristics == {"model": "wifi6", "wifiName": "alice-home"}


def test_s4_cardinality_keeps_the_older_add_on(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    result = engine.change(inventories["frank"], ChangeOffer(product="G-1", to="po-mobile-s"), as_of=AS_OF)
    assert [(i.action.value, i.product_id) for i in result.items] == [
        ("modify", "G-1"), ("noChange", "G-2"), ("noChange", "G-3"), ("noChange", "G-4"), ("noChange", "G-6"),
        ("delete", "G-5"),
    ]
    assert result.item("G-5").codes == ["cardinality_exceeded"]
    assert result.item("G-5").reasons[0].message == "Mobile S allows fewer Extra data 10 GB than installed"


def test_s4_mandatory_components_are_added_with_defaults(engine: Engine,
                                                         inventories: dict[str, odedelta.Inventory]) -> None:
    result = engine.change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-1000"), as_of=AS_OF)
    added = [i for i in result.items if i.action is Action.ADD]
    assert [(i.product_id, i.offering_id, i.parent_id, i.characteristics, i.codes) for i in added] == [
        ("NEW-1", "po-mesh-extender", "F-1", {"units": 1}, ["mandatory_in_target"]),
    ]
    assert result.item("F-3").offering_id == "po-router-wifi6e"
    assert result.item("F-5").action is Action.NO_CHANGE  # already there: mandatory in 1000 and kept


def test_plan_into_pack_wraps_and_pack_into_part_unwraps(engine: Engine,
                                                         inventories: dict[str, odedelta.Inventory]) -> None:
    wrap = engine.change(inventories["alice"], ChangeOffer(product="F-1", to="po-home-pack"), as_of=AS_OF)
    assert _rows(wrap)[:3] == [
        ("add", "NEW-1", "po-home-pack", None, ["requested"]),
        ("modify", "F-1", "po-fiber-300", "NEW-1", ["offering_changed", "moved"]),
        ("modify", "F-2", "po-fiber-access-300", "F-1", ["offering_changed", "characteristic_changed",
                                                         "characteristic_changed"]),
    ]
    unwrap = engine.change(inventories["erin"], ChangeOffer(product="E-1", to="po-fiber-500"), as_of=AS_OF)
    assert [(i.action.value, i.product_id, i.codes[0]) for i in unwrap.items[:4]] == [
        ("delete", "E-1", "restructured"),
        ("modify", "E-2", "requested"),
        ("modify", "E-3", "offering_changed"),
        ("noChange", "E-4", "kept"),
    ]
    assert unwrap.item("E-2").parent_id is None and "moved" in unwrap.item("E-2").codes
    assert unwrap.target_problems() == []


def test_add_remove_terminate_modify_acquire(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    alice = inventories["alice"]
    add = engine.change(alice, AddOffering(offering="po-static-ip", parent="F-1"), as_of=AS_OF)
    assert _rows(add) == [("noChange", "F-1", "po-fiber-500", None, ["context"]),
                          ("add", "NEW-1", "po-static-ip", "F-1", ["requested"])]
    remove = engine.change(inventories["frank"], RemoveProduct(product="G-6"), as_of=AS_OF)
    assert _rows(remove) == [("delete", "G-6", "po-roaming-world", "G-1", ["requested"])]
    terminate = engine.change(alice, TerminateProduct(product="A-1"), as_of=AS_OF)
    assert [(i.action.value, i.product_id, i.codes) for i in terminate.items] == [
        ("delete", "A-1", ["requested"]), ("delete", "A-2", ["parent_deleted"]),
        ("delete", "A-3", ["parent_deleted"]), ("delete", "A-4", ["parent_deleted"]),
    ]
    modify = engine.change(alice, ModifyCharacteristics(product="A-2", characteristics={"simType": "physical"}),
                           as_of=AS_OF)
    assert modify.items[0].action is Action.MODIFY
    assert modify.items[0].characteristics == {"simType": "physical", "phoneNumber": "+32470000001"}
    acquire = engine.change(odedelta.Inventory(),
                            Acquire(offering="po-mobile-m", set={"po-mobile-line": {"simType": "eSIM"}}), as_of=AS_OF)
    assert [(i.product_id, i.offering_id, i.parent_id) for i in acquire.items] == [
        ("NEW-1", "po-mobile-m", None), ("NEW-2", "po-mobile-line", "NEW-1"), ("NEW-3", "po-voicemail", "NEW-1"),
    ]
    assert acquire.item("NEW-2").characteristics == {"simType": "eSIM"}
    assert acquire.item("NEW-1").characteristics == {"dataAllowanceGB": 20}


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ChangeOffer(product="F-55", to="po-fiber-300"), "no installed product 'F-55' — did you mean 'F-5'?"),
        (ChangeOffer(product="F-1", to="po-fibre-300"),
         "unknown offering 'po-fibre-300' — did you mean 'po-fiber-300'?"),
        (ChangeOffer(product="F-1", to="po-fiber-200-legacy"),
         "offering 'po-fiber-200-legacy' is not sellable: lifecycleStatus is 'Retired'; its successor is "
         "'po-fiber-300'"),
        (ChangeOffer(product="F-2", to="po-fiber-access-300"),
         "'po-fiber-access-300' is not a component of 'po-fiber-500' (installed as F-1) — did you mean "
         "'po-fiber-access-500'?"),
        (ChangeOffer(product="F-1", to="po-fiber-300", set={"F-2": {"downloadSpeed": 500}}),
         "'500' is not an allowed 'downloadSpeed' for 'po-fiber-access-300' (allowed: 300)"),
        (ChangeOffer(product="F-1", to="po-fiber-300", set={"F-3": {"colour": "red"}}),
         "set: 'po-router-wifi6' has no characteristic 'colour'"),
        (ChangeOffer(product="F-1", to="po-fiber-300", options=["po-tv-box-hd"]),
         "option(s) 'po-tv-box-hd' are not components of 'po-fiber-300'"),
        (RemoveProduct(product="F-2"),
         "F-2 (po-fiber-access-500) is mandatory in 'po-fiber-500' (at least 1); change or terminate F-1 instead"),
        (AddOffering(offering="po-streaming-vas", parent="F-1"),
         "'po-fiber-500' allows at most 1 'po-streaming-vas'; F-1 already has 1"),
    ],
)
def test_bad_requests_are_refused_with_one_clear_reason(engine: Engine, inventories: dict[str, odedelta.Inventory],
                                                        request_: object, message: str) -> None:
    with pytest.raises(RequestError) as caught:
        engine.change(inventories["alice"], request_, as_of=AS_OF)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_new_product_needing_a_value_without_default_is_refused(engine: Engine) -> None:
    from odedelta.model.catalog import Catalog, Document

    catalog = Catalog.from_documents([Document("c", [
        {"id": "ps-h", "@type": "ProductSpecification", "productSpecCharacteristic": [
            {"name": "model", "minCardinality": 1,
             "productSpecCharacteristicValue": [{"value": "a"}, {"value": "b"}]}]},
        {"id": "po-h", "@type": "ProductOffering", "productSpecification": {"id": "ps-h"}},
    ])])
    with pytest.raises(RequestError, match=r"a new 'po-h' needs a value for 'model' \(allowed: a, b\)"):
        Engine(catalog).change(odedelta.Inventory(), Acquire(offering="po-h"), as_of=AS_OF)
    result = Engine(catalog).change(odedelta.Inventory(), Acquire(offering="po-h", set={"po-h": {"model": "b"}}),
                                    as_of=AS_OF)
    assert result.items[0].characteristics == {"model": "b"}


# ------------------------------------------------------------------------------------ properties over every change


@pytest.fixture(scope="module")
def every_change(demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> list[tuple[str, ChangeResult]]:
    changes = list(all_demo_changes(demo, inventories))
    # the demo's every accepted change of offer (605 before StreamCo's two standalone offerings)
    assert len(changes) == 623
    return changes


def test_no_change_deletes_and_adds_one_specification(every_change: list[tuple[str, ChangeResult]]) -> None:
    offenders = []
    for label, result in every_change:
        deleted = {i.specification_id for i in result.items if i.action is Action.DELETE}
        added = {i.specification_id for i in result.items if i.action is Action.ADD}
        if deleted & added:
            offenders.append((label, sorted(deleted & added)))
    assert offenders == []


def test_every_change_projects_to_a_valid_instance_of_its_target(every_change: list[tuple[str, ChangeResult]]) -> None:
    assert [(label, p) for label, r in every_change for p in r.target_problems()] == []


def test_every_touched_product_appears_exactly_once(every_change: list[tuple[str, ChangeResult]]) -> None:
    for label, result in every_change:
        ids = [i.product_id for i in result.items]
        assert len(ids) == len(set(ids)), label
        request = result.delta.request
        subtree = set(result.inventory.subtree(request.product))  # type: ignore[attr-defined]
        assert {i.product_id for i in result.items if i.installed} == subtree, label


def test_same_change_twice_is_byte_identical(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    request = ChangeOffer(product="E-1", to="po-home-pack-max")
    first = engine.change(inventories["erin"], request, as_of=AS_OF)
    second = engine.change(inventories["erin"], request, as_of=AS_OF)
    for render in (lambda r: odedelta.to_dict(r), lambda r: odedelta.to_tmf622(r, 4),
                   lambda r: odedelta.to_tmf622(r, 5)):
        assert dumps(render(first)) == dumps(render(second))
    assert odedelta.explain(first) == odedelta.explain(second)


def test_result_does_not_depend_on_the_order_of_products(demo: odedelta.Catalog, engine: Engine) -> None:
    products = json.loads((DEMO / "inventories" / "frank.json").read_text())
    baseline = engine.change(odedelta.Inventory.from_document(demo, products),
                             ChangeOffer(product="G-1", to="po-mobile-s"), as_of=AS_OF)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = products[:1] + rng.sample(products[1:], len(products) - 1)
        result = engine.change(odedelta.Inventory.from_document(demo, shuffled),
                               ChangeOffer(product="G-1", to="po-mobile-s"), as_of=AS_OF)
        # the same products keep and go, whatever the order they were listed in
        assert {(i.product_id, i.action) for i in result.items} == {(i.product_id, i.action) for i in baseline.items}


def test_apply_keeps_ids_and_generates_new_ones(engine: Engine, inventories: dict[str, odedelta.Inventory],
                                                demo: odedelta.Catalog) -> None:
    alice = inventories["alice"]
    result = engine.change(alice, ChangeOffer(product="F-1", to="po-fiber-1000"), as_of=AS_OF)
    after = result.projected_inventory()
    assert list(after.products) == ["F-1", "F-2", "F-3", "F-4", "F-5", "A-1", "A-2", "A-3", "A-4", "NEW-1"]
    assert after.children("F-1") == ["F-2", "F-3", "F-4", "F-5", "NEW-1"]
    assert after.product("F-3").offering_id == "po-router-wifi6e"
    assert after.product("F-3").characteristics() == {"model": "wifi6e", "wifiName": "alice-home"}
    assert after.product("A-1") == alice.product("A-1")  # outside the request: untouched
    # applying the same change to the projected inventory changes nothing more
    again = engine.change(after, ChangeOffer(product="F-1", to="po-fiber-1000"), as_of=AS_OF)
    assert {i.action for i in again.items} == {Action.NO_CHANGE}


def test_removing_a_component_unlinks_it_from_its_untouched_bundle(engine: Engine,
                                                                    inventories: dict[str, odedelta.Inventory]) -> None:
    """Regression (found by the property harness): the parent kept a relationship to the removed product, so the
    projected inventory did not load."""
    result = engine.change(inventories["frank"], RemoveProduct(product="G-6"), as_of=AS_OF)
    after = result.projected_inventory()
    assert "G-6" not in after.products
    assert after.children("G-1") == ["G-2", "G-3", "G-4", "G-5"]


def test_an_item_made_by_its_slots_is_the_one_its_constructor_makes() -> None:
    """The builder freezes its items by setting their slots (every item of every change): every field is set, to
    what the constructor gives, and the item stays frozen."""
    from dataclasses import FrozenInstanceError, fields

    from odedelta.delta.items import ITEM_FIELDS, DeltaItem, Reason, made_item

    assert tuple(f.name for f in fields(DeltaItem)) == ITEM_FIELDS
    values = ("1", Action.MODIFY, "P-1", "po-b", "ps-b", "P-0", "po-a", {"speed": "100"}, (),
              (Reason("offering_changed", "A becomes B", "catalog:po-b"),), True, None)
    item = made_item(*values)
    assert item == DeltaItem(*values)
    assert (item.codes, item.previous_offering_id, item.terms) == (["offering_changed"], "po-a", None)
    with pytest.raises(FrozenInstanceError):
        item.action = Action.DELETE  # type: ignore[misc]


def test_an_inventory_made_by_hand_without_its_tree_is_refused_not_answered_wrong(
        engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    """``Inventory(products=…)`` (the dataclass itself, not a loader) knows no relationships: answered, F-1's
    components would look absent (F-4 deleted, new ones added). A clear error instead, naming the way to build one;
    ``from_products`` answers as the loaded inventory does."""
    loaded = inventories["alice"]
    request = ChangeOffer(product="F-1", to="po-fiber-300")
    with pytest.raises(RequestError, match=r"no tree .*Inventory.from_products\(catalog, products\)"):
        engine.change(odedelta.Inventory(products=dict(loaded.products)), request, as_of=AS_OF)
    rebuilt = odedelta.Inventory.from_products(engine.catalog, list(loaded.products.values()))
    assert dumps(odedelta.to_dict(engine.change(rebuilt, request, as_of=AS_OF))) == \
        dumps(odedelta.to_dict(engine.change(loaded, request, as_of=AS_OF)))
