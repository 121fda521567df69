"""TMF622 orders: valid against the official v4 and v5 schemas, consistent, and equal to the reviewed golden files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import odedelta
from odedelta.adapters.files import load_rules
from odedelta.adapters.scenario import ORDER_SCHEMAS, read_scenario_file
from odedelta.delta.items import Action
from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult
from odedelta.model.jsonio import dumps
from odedelta.outputs.schemas import validation_errors

from .conftest import DEMO
from .helpers import all_demo_changes

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _demo_scenario_results(demo: odedelta.Catalog) -> list[tuple[str, ChangeResult]]:
    out = []
    for path in sorted((DEMO / "scenarios").glob("*.yaml")):
        spec = read_scenario_file(path)
        engine = Engine(demo, load_rules(path.parent / spec.rules, demo) if spec.rules else None)
        for index, scenario in enumerate(spec.scenarios):
            if scenario.expect.error or scenario.expect.eligible is False or scenario.request is None:
                continue  # refused, or a qualification / notices (no order)
            if isinstance(scenario.inventory, str):
                inventory = odedelta.load_inventory(path.parent / scenario.inventory, demo)
            else:
                inventory = odedelta.Inventory.from_document(demo, scenario.inventory)
            result = engine.change(inventory, scenario.parsed_request(), as_of=scenario.as_of,
                                   context=scenario.context)
            out.append((f"{path.stem}-{index + 1:02d}", result))
    return out


@pytest.fixture(scope="module")
def scenario_results(demo: odedelta.Catalog) -> list[tuple[str, ChangeResult]]:
    return _demo_scenario_results(demo)


@pytest.mark.parametrize("version", [4, 5])
def test_scenario_orders_match_their_golden_files(scenario_results: list[tuple[str, ChangeResult]],
                                                  version: int) -> None:
    stale = []
    for name, result in scenario_results:
        text = dumps(odedelta.to_tmf622(result, version))
        golden = GOLDEN / f"{name}.v{version}.json"
        if UPDATE:
            golden.parent.mkdir(exist_ok=True)
            golden.write_text(text)
        elif not golden.exists() or golden.read_text() != text:
            stale.append(golden.name)
    assert stale == [], "orders changed: review them, then rerun with UPDATE_GOLDEN=1"
    assert len(scenario_results) == 41


@pytest.mark.parametrize("version", [4, 5])
def test_every_demo_change_emits_a_valid_consistent_order(demo: odedelta.Catalog,
                                                          inventories: dict[str, odedelta.Inventory],
                                                          version: int) -> None:
    checked = 0
    for label, result in all_demo_changes(demo, inventories):
        order = odedelta.to_tmf622(result, version)
        assert validation_errors(order, "TMF622", version, ORDER_SCHEMAS[version]) == [], label
        items = order["productOrderItem"]
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids)), label
        for item in items:
            for rel in item.get("productOrderItemRelationship", []):
                assert rel["id"] in ids and rel["relationshipType"] == "bundles", label
            if item["action"] != "add":
                assert item["product"]["id"] in result.inventory.products, label
            else:
                assert "id" not in item["product"], label
        checked += 1
    assert checked == 623  # 605 + every top-level product to each of the two imported StreamCo offerings


def test_v5_order_types_every_object(demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    from odedelta.model.requests import ChangeOffer

    from .helpers import AS_OF

    result = Engine(demo).change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-1000"), as_of=AS_OF)
    order = odedelta.to_tmf622(result, 5)
    by_action = {item["action"]: item for item in reversed(order["productOrderItem"])}  # the first of each
    assert by_action["noChange"]["product"] == {
        "id": "F-4",
        "href": "https://inventory.demo-telco.example/tmf-api/productInventory/v4/product/F-4",
        "@type": "ProductRef",
        "@referredType": "Product",
    }
    assert by_action["add"]["product"]["@type"] == "Product"
    assert by_action["add"]["product"]["productCharacteristic"] == [
        {"name": "units", "valueType": "number", "value": 1, "@type": "NumberCharacteristic"}
    ]
    assert by_action["modify"]["product"]["@type"] == "Product"
    assert order["relatedParty"][0]["partyOrPartyRole"]["id"] == "alice"
    assert [i["action"] for i in order["productOrderItem"]] == [i.action.value for i in result.items]
    assert all(i.action is not Action.DELETE for i in result.items)
