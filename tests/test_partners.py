"""Partners (issue 16, S10): partner orders, their link to the customer order, and the status roll-up."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, strategies as st

import odedelta
from odedelta.adapters.scenario import ORDER_SCHEMAS
from odedelta.outputs.schemas import validation_errors
from odedelta.partners import customer_order, partner_orders
from odedelta.partners.orders import item_supplier
from odedelta.partners.rollup import ENDED, ITEM_TRANSITIONS, RANK, ORDER_STATE, order_state, roll_up

from .helpers import AS_OF, all_demo_changes


def _check_partition(result: odedelta.ChangeResult, version: int) -> int:
    """The union of the partner orders' items and the reseller's own items is the customer order's items, each
    exactly once; every partner item is linked (same id, shared reference) to the customer item it serves."""
    customer = customer_order(result, version)
    partners = partner_orders(result, version)
    reference = customer["externalId"] if version == 4 else customer["externalId"][0]["id"]
    customer_items = {e["id"]: e for e in customer["productOrderItem"]}
    seen: list[str] = []
    for order in partners:
        assert validation_errors(order, "TMF622", version, ORDER_SCHEMAS[version]) == []
        ids = [order["externalId"]] if version == 4 else [e["id"] for e in order["externalId"]]
        assert ids[0].startswith(reference + ":")
        if version == 5:
            assert ids[1] == reference
        supplier = ids[0].split(":", 1)[1]
        for entry in order["productOrderItem"]:
            served = customer_items[entry["id"]]
            assert (entry["action"], entry["product"].get("id"), entry["productOffering"]["id"]) == (
                served["action"], served["product"].get("id"), served["productOffering"]["id"])
            assert entry["action"] != "noChange"
            item = next(i for i in result.items if i.id == entry["id"])
            assert item_supplier(result.catalog, item).id == supplier  # type: ignore[union-attr]
            seen.append(entry["id"])
    own = [i.id for i in result.items if item_supplier(result.catalog, i) is None or i.action.value == "noChange"]
    assert sorted(seen + own) == sorted(customer_items)
    assert len(set(seen + own)) == len(customer_items)
    return len(partners)


@pytest.mark.parametrize("version", [4, 5])
def test_every_partner_order_of_every_demo_change_is_valid_and_partitions_the_customer_order(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory], version: int) -> None:
    orders = sum(_check_partition(result, version) for _, result in all_demo_changes(demo, inventories))
    assert orders > 0


def test_s10_the_streammax_removal_goes_to_streammax(demo: odedelta.Catalog,
                                                    inventories: dict[str, odedelta.Inventory]) -> None:
    engine = odedelta.Engine(demo, odedelta.load_rules("rules", demo))
    result = engine.change(inventories["alice"], odedelta.ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    [order] = partner_orders(result, 4, reseller=("org-demotel", "DemoTel"))
    assert [(e["id"], e["action"], e["product"]["id"]) for e in order["productOrderItem"]] == [("4", "delete", "F-4")]
    assert [(p["id"], p["role"]) for p in order["relatedParty"]] == [("org-streammax", "Supplier"),
                                                                     ("org-demotel", "Buyer")]
    assert "billingAccount" not in order and "itemPrice" not in order["productOrderItem"][0]
    assert partner_orders(result, 4, reseller=("org-demotel", "DemoTel")) == [order]  # deterministic


# ------------------------------------------------------------------------------------------------ roll-up


def test_the_transition_table_covers_every_state_pair() -> None:
    assert set(ITEM_TRANSITIONS) == set(RANK)
    assert all(set(row) == set(RANK) for row in ITEM_TRANSITIONS.values())
    # an ended item never moves; nothing moves an item to a lower rank
    for state, row in ITEM_TRANSITIONS.items():
        for new, outcome in row.items():
            if outcome in ("apply", "if newer"):
                assert state not in ENDED and RANK[new] >= RANK[state]


def test_the_order_state_table() -> None:
    assert order_state(["completed", "completed"]) == "completed"
    assert order_state(["completed", "failed"]) == "partial"
    assert order_state(["failed", "cancelled"]) == "failed"
    assert order_state(["cancelled"]) == "cancelled"
    assert order_state(["acknowledged", "acknowledged"]) == "acknowledged"
    assert order_state(["completed", "held"]) == "held"
    assert order_state(["completed", "acknowledged"]) == "inProgress"
    assert ORDER_STATE[-1][2] == "inProgress"


def _two_partner_order(own: int, a: int, b: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ids = iter(str(n) for n in range(1, own + a + b + 1))
    own_ids, a_ids, b_ids = ([next(ids) for _ in range(k)] for k in (own, a, b))
    item = lambda i: {"id": i, "action": "add", "productOffering": {"id": f"po-{i}", "name": f"Offer {i}"}}  # noqa: E731
    customer = {"externalId": "REF", "productOrderItem": [item(i) for i in own_ids + a_ids + b_ids]}
    partners = [{"externalId": f"REF:{s}", "relatedParty": [{"id": s, "name": s.upper(), "role": "Supplier"}],
                 "productOrderItem": [item(i) for i in members]} for s, members in (("a", a_ids), ("b", b_ids))]
    return customer, partners


@st.composite
def _scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[int]]:
    own, a, b = draw(st.integers(0, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    customer, partners = _two_partner_order(own, a, b)
    events: list[dict[str, Any]] = []
    clock = iter(range(10, 99))
    for order in partners:
        ref = order["externalId"]
        if draw(st.booleans()):  # an order-level event: the order is in progress
            events.append({"ref": ref, "state": draw(st.sampled_from(["acknowledged", "inProgress"])), "items": None})
        for entry in order["productOrderItem"]:
            path = draw(st.lists(st.sampled_from(["pending", "held", "inProgress"]), max_size=3))
            end = draw(st.sampled_from([None, "completed", "completed", "failed", "cancelled", "rejected"]))
            for state in path + ([end] if end else []):
                events.append({"ref": ref, "state": state, "items": [entry["id"]]})
    documents = []
    for n, spec in enumerate(events):
        order: dict[str, Any] = {"externalId": spec["ref"]}
        if spec["items"] is None:
            order["state"] = spec["state"]
        else:
            order["productOrderItem"] = [{"id": i, "state": spec["state"]} for i in spec["items"]]
            if spec["state"] in ("failed", "rejected"):
                order["note"] = [{"text": f"refused item {spec['items'][0]}"}]
        documents.append({"eventId": f"e{n}", "eventTime": f"2026-03-01T10:{next(clock):02d}:00Z",
                          "eventType": "ProductOrderStateChangeEvent", "event": {"productOrder": order}})
    arrival = draw(st.permutations(range(len(documents)))) if documents else []
    duplicates = draw(st.lists(st.integers(0, max(len(documents) - 1, 0)), max_size=3)) if documents else []
    return customer, partners, documents, list(arrival) + duplicates


ORDER_RANK = {"acknowledged": 0, "inProgress": 1, "held": 1, "completed": 2, "partial": 2, "failed": 2, "cancelled": 2}


@given(_scenarios())
def test_roll_up_never_regresses_and_ends_the_same_whatever_the_arrival_order(
        scenario: tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[int]]) -> None:
    customer, partners, events, arrival = scenario
    in_order = roll_up(customer, partners, events, own_state="completed")
    shuffled = roll_up(customer, partners, [events[i] for i in arrival], own_state="completed")
    ranks = [ORDER_RANK[s] for s in shuffled.history]
    assert ranks == sorted(ranks)  # never regresses
    assert [s.state for s in shuffled.items] == [s.state for s in in_order.items]  # deterministic end
    assert shuffled.state == in_order.state
    assert (shuffled.state == "completed") == all(s.state == "completed" for s in shuffled.items)
    duplicates = len(arrival) - len(events)
    assert sum("duplicate" in p for p in shuffled.problems) == duplicates
    for status in shuffled.items:
        if status.state in ("failed", "rejected"):
            assert f"refused item {status.id}" in " ".join(shuffled.explanations)


def test_unknown_and_malformed_events_are_reported_not_raised() -> None:
    customer, partners = _two_partner_order(1, 1, 1)
    events: list[dict[str, Any]] = [
        {"eventId": "x1", "eventType": "ProductOrderStateChangeEvent",
         "event": {"productOrder": {"externalId": "OTHER:a", "state": "completed"}}},
        {"eventId": "x2", "eventType": "ProductOrderDeleteEvent", "event": {}},
        {"eventId": "x3", "eventType": "ProductOrderStateChangeEvent",
         "event": {"productOrder": {"externalId": [{"id": "REF:a"}], "productOrderItem": [{"id": "3", "state": "x"}]}}},
    ]
    result = roll_up(customer, partners, events)
    assert result.state == "inProgress" and [s.state for s in result.items] == ["completed", "acknowledged",
                                                                               "acknowledged"]
    assert result.problems == (
        "event 1 (x1): for no order of this change (externalId ['OTHER:a'], id None)",
        "event 2 (x2): not a ProductOrderStateChangeEvent or ProductOrderAttributeValueChangeEvent with a productOrder",
        "event 3 (x3): item 3 is not an item of order REF:a",
    )
