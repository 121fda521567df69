"""The invariants of a correct change, over generated catalogs, inventories and requests."""

from __future__ import annotations

import json
import random
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import odedelta
from odedelta.adapters.scenario import ORDER_SCHEMAS
from odedelta.delta.items import Action
from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult
from odedelta.model.jsonio import dumps
from odedelta.model.requests import ChangeOffer, Context
from odedelta.outputs.schemas import validation_errors
from odedelta.rules import ReferenceExecutor, Rulebook
from odedelta.rules.language import check_rule_documents
from odedelta.strategies import (
    AS_OF,
    attribute_values,
    build_catalog,
    catalog_documents,
    inventory_documents,
    requests,
    rule_documents,
)

from .conftest import durable as durable_module


def _world(data: st.DataObject) -> tuple[list[dict[str, Any]], odedelta.Catalog, list[dict[str, Any]],
                                         odedelta.Inventory]:
    documents = data.draw(catalog_documents(), label="catalog")
    catalog = build_catalog(documents)
    products = data.draw(inventory_documents(catalog), label="inventory")
    return documents, catalog, products, odedelta.Inventory.from_document(catalog, products)


def _answer(engine: Engine, inventory: odedelta.Inventory, request: odedelta.Request) -> ChangeResult | None:
    try:
        return engine.change(inventory, request, as_of=AS_OF)
    except odedelta.RequestError:
        return None


def _changed_tree(inventory: odedelta.Inventory, request: odedelta.Request) -> set[str]:
    """The installed tree the request is about: the whole tree of the product (or parent) it names."""
    start = getattr(request, "product", None) or getattr(request, "parent", None)
    if start is None:
        return set()
    while inventory.parent(start) is not None:
        start = inventory.parent(start)
    return set(inventory.subtree(start))


@given(st.data())
def test_a_change_to_what_is_installed_changes_nothing(data: st.DataObject) -> None:
    _, catalog, _, inventory = _world(data)
    engine = Engine(catalog)
    for root in inventory.roots():
        offering = inventory.product(root).offering_id or ""
        if not catalog.sellable(offering, AS_OF)[0]:
            continue
        result = engine.change(inventory, ChangeOffer(product=root, to=offering), as_of=AS_OF)
        assert {i.action for i in result.items} == {Action.NO_CHANGE}
        c = result.consequences
        assert c is not None
        assert c.recurring_before == c.recurring_after and c.due_now.amount == 0
        assert [p for p in c.promotions if p.status != "kept"] == []


@given(st.data())
def test_every_request_gives_a_valid_consistent_answer(data: st.DataObject) -> None:
    _, catalog, _, inventory = _world(data)
    request = data.draw(requests(catalog, inventory), label="request")
    result = _answer(Engine(catalog), inventory, request)
    if result is None:
        return
    # conservation: each touched installed product exactly once; within the changed tree no specification is both
    # deleted and added (a promotion lost with the change may also end a free product in another of the customer's
    # trees: that is not a replacement)
    ids = [i.product_id for i in result.items]
    assert len(ids) == len(set(ids))
    tree = _changed_tree(inventory, request)
    deleted = {i.specification_id for i in result.items if i.action is Action.DELETE and i.product_id in tree}
    added = {i.specification_id for i in result.items if i.action is Action.ADD}
    assert not deleted & added
    # applying it gives valid instances of the offerings
    assert result.target_problems() == []
    # every emitted order validates; relationships point inside the order; installed ids for non-adds
    for version, schema in ORDER_SCHEMAS.items():
        order = odedelta.to_tmf622(result, version)
        assert validation_errors(order, "TMF622", version, schema) == []
        item_ids = {i["id"] for i in order["productOrderItem"]}
        for item in order["productOrderItem"]:
            assert all(rel["id"] in item_ids for rel in item.get("productOrderItemRelationship", []))
            if item["action"] != "add":
                assert item["product"]["id"] in inventory.products
    # money: totals are the sums of their lines, never negative penalties, none without rules
    c = result.consequences
    assert c is not None
    assert c.due_now.amount == sum((ch.amount.rounded().amount for ch in c.charges), Decimal(0))
    assert c.penalty_total.amount == 0
    projected = {p.id: p for p in result.projected()}
    assert set(c.after_ids) <= set(projected)
    assert c.recurring_after.amount == sum(
        (c.after.products[p].net.rounded().amount for p in c.after_ids if c.after.products[p].net is not None),  # type: ignore[union-attr]
        Decimal(0))


@given(st.data())
def test_results_are_deterministic_and_independent_of_input_order(data: st.DataObject) -> None:
    documents, catalog, products, inventory = _world(data)
    request = data.draw(requests(catalog, inventory), label="request")
    first = _answer(Engine(catalog), inventory, request)
    again = _answer(Engine(catalog), inventory, request)
    if first is None or again is None:
        assert first is None and again is None
        return
    assert dumps(odedelta.to_dict(first)) == dumps(odedelta.to_dict(again))
    assert dumps(odedelta.to_tmf622(first, 5)) == dumps(odedelta.to_tmf622(again, 5))
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    shuffled_catalog = build_catalog(rng.sample(documents, len(documents)))
    same = _answer(Engine(shuffled_catalog), inventory, request)
    assert same is not None and dumps(odedelta.to_dict(same)) == dumps(odedelta.to_dict(first))
    reordered = odedelta.Inventory.from_document(catalog, rng.sample(products, len(products)))
    moved = _answer(Engine(catalog), reordered, request)
    assert moved is not None
    assert sorted((i.action.value, i.product_id if i.installed else i.offering_id) for i in moved.items) == sorted(
        (i.action.value, i.product_id if i.installed else i.offering_id) for i in first.items)


# ------------------------------------------------------------------------------------ loaders never crash

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "name", "@type", "productSpecification", "bundledProductOffering", "price", "value",
                        "productOfferingPrice", "isBundle", "x"]), inner, max_size=5),
    max_leaves=20,
)


def _load_or_located_error(write: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write(root)
        try:
            odedelta.load_catalog(root)
        except odedelta.OdeDeltaError as exc:
            assert exc.problems and all(p.file for p in exc.problems)


@given(json_values, st.sampled_from(["productOffering.json", "productSpecification.yaml", "promotion.json"]))
def test_loading_garbage_gives_a_located_error_never_a_crash(value: Any, name: str) -> None:
    def write(root: Path) -> None:
        text = yaml.safe_dump(value) if name.endswith(".yaml") else json.dumps(value)
        (root / name).write_text(text)

    _load_or_located_error(write)


@given(st.binary(max_size=60))
def test_loading_bytes_gives_a_located_error_never_a_crash(raw: bytes) -> None:
    _load_or_located_error(lambda root: (root / "productOffering.json").write_bytes(raw))


@given(st.data())
def test_mutated_catalogs_load_or_fail_with_a_location(data: st.DataObject) -> None:
    documents = data.draw(catalog_documents(), label="catalog")
    victim = data.draw(st.integers(0, len(documents) - 1), label="victim")
    resource = dict(documents[victim])
    key = data.draw(st.sampled_from(sorted(resource)), label="key")
    mutation = data.draw(st.sampled_from(["drop", "number", "text", "list", "dangling"]), label="mutation")
    replacement = {"number": 7, "text": "nonsense", "list": [1, "two"], "dangling": {"id": "no-such-thing"}}
    if mutation == "drop":
        resource.pop(key)
    else:
        resource[key] = replacement[mutation]
    documents = [*documents[:victim], resource, *documents[victim + 1:]]

    def write(root: Path) -> None:
        (root / "catalog.json").write_text(json.dumps(documents, default=str))

    _load_or_located_error(write)


@given(st.data(), json_values)
def test_inventory_garbage_gives_a_located_error(data: st.DataObject, value: Any) -> None:
    _, catalog, _, _ = _world(data)
    try:
        odedelta.Inventory.from_document(catalog, value)
    except odedelta.OdeDeltaError as exc:
        assert exc.problems


@pytest.mark.parametrize("seed", range(3))
def test_strategies_are_importable_by_users(seed: int) -> None:
    import odedelta.strategies as strategies

    assert strategies.catalogs().example is not None  # a SearchStrategy users can draw from


def test_equivalent_products_competing_for_one_slot_are_chosen_by_age_then_id_not_by_list_order() -> None:
    """Regression (found by the thorough profile): which of two identical products was kept depended on the order
    the inventory listed them in."""
    from odedelta.model.catalog import Catalog, Document

    catalog = Catalog.from_documents([Document("c", [
        {"id": "ps", "@type": "ProductSpecification"}, {"id": "ps-b", "@type": "ProductSpecification"},
        {"id": "po-x", "@type": "ProductOffering", "productSpecification": {"id": "ps"}},
        {"id": "po-two", "@type": "ProductOffering", "productSpecification": {"id": "ps-b"}, "bundledProductOffering": [
            {"id": "po-x",
             "bundledProductOfferingOption": {"numberRelOfferLowerLimit": 0, "numberRelOfferUpperLimit": 2}}]},
        {"id": "po-one", "@type": "ProductOffering", "productSpecification": {"id": "ps-b"}, "bundledProductOffering": [
            {"id": "po-x",
             "bundledProductOfferingOption": {"numberRelOfferLowerLimit": 0, "numberRelOfferUpperLimit": 1}}]},
    ])])
    products = [{"id": "B", "productOffering": {"id": "po-two"}, "productRelationship": [
        {"relationshipType": "bundles", "product": {"id": "X-2"}},
        {"relationshipType": "bundles", "product": {"id": "X-1"}}]},
        {"id": "X-2", "productOffering": {"id": "po-x"}}, {"id": "X-1", "productOffering": {"id": "po-x"}}]
    for listing in (products, [products[0], products[2], products[1]]):
        result = Engine(catalog).change(odedelta.Inventory.from_document(catalog, listing),
                                        ChangeOffer(product="B", to="po-one"), as_of=AS_OF)
        assert [(i.product_id, i.action.value) for i in result.items if i.product_id.startswith("X")] == [
            ("X-1", "noChange"), ("X-2", "delete")]


@given(st.data())
def test_durable_and_reference_executors_give_the_same_answer_on_generated_worlds(data: st.DataObject) -> None:
    durable = durable_module()
    _, catalog, _, inventory = _world(data)
    text = data.draw(rule_documents(catalog), label="rules")
    rules, problems = check_rule_documents([("generated.yaml", text)], catalog)
    assert problems == []  # the strategy writes valid rules
    request = data.draw(requests(catalog, inventory), label="request")
    context = Context(segment=data.draw(st.sampled_from([None, "business", "residential"]), label="segment"),
                      attributes=data.draw(attribute_values(), label="attributes"))
    answers = []
    for executor in (ReferenceExecutor(), durable.DurableExecutor()):
        try:
            result = Engine(catalog, Rulebook(rules, executor)).change(inventory, request, as_of=AS_OF, context=context)
            answers.append(dumps(odedelta.to_dict(result)))
        except odedelta.RequestError as refused:  # NotEligible included: the reasons must agree too
            answers.append(f"{type(refused).__name__}: {refused}")
    assert answers[0] == answers[1]


rule_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.sampled_from(
        ["penalty", "eligibility", "fee", "term.active and", "deny", "x ==", "'a' in target.categories"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["rules", "id", "kind", "when", "then", "priority", "description", "decision", "formula"]),
        inner, max_size=5),
    max_leaves=15,
)


@given(st.data(), rule_values)
def test_rule_files_of_garbage_give_located_problems_never_a_crash(data: st.DataObject, value: Any) -> None:
    _, catalog, _, _ = _world(data)
    text = data.draw(st.sampled_from([yaml.safe_dump(value), yaml.safe_dump({"rules": value}), json.dumps(value)]),
                     label="text")
    rules, problems = check_rule_documents([("rules.yaml", text)], catalog)
    assert all(p.file == "rules.yaml" and p.path for p in problems)
    assert problems or isinstance(rules, list)


def test_a_rule_file_with_an_empty_rules_key_is_not_a_crash(demo: odedelta.Catalog) -> None:
    # found by the harness: `rules:` with nothing under it raised TypeError inside the checker
    rules, problems = check_rule_documents([("rules.yaml", "rules:\n")], demo)
    assert rules == []
    assert [(p.path, p.line, p.message) for p in problems] == [("$.rules", 1, "rules must be a list (found nothing)")]
