"""Partners (issue 16, S10): partner orders, their link to the customer order, and the status roll-up."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import odedelta
from odedelta.adapters.scenario import ORDER_SCHEMAS
from odedelta.flows.settlement import supplier_actions
from odedelta.outputs.rollup import ENDED, ITEM_TRANSITIONS, ORDER_STATE, RANK, order_state, roll_up
from odedelta.outputs.schemas import validation_errors
from odedelta.partners import customer_order, partner_orders

from .helpers import AS_OF, all_demo_changes


def _check_partition(result: odedelta.ChangeResult, version: int) -> int:
    """The union of the partner orders' items and the reseller's own items is the customer order's items, each
    exactly once — a product moving from one supplier to another once in each of their orders (a delete there, an
    add here) —; every partner item is linked (same id, shared reference) to the customer item it serves."""
    customer = customer_order(result, version)
    partners = partner_orders(result, version)
    reference = customer["externalId"] if version == 4 else customer["externalId"][0]["id"]
    customer_items = {e["id"]: e for e in customer["productOrderItem"]}
    served: dict[str, list[str]] = {}
    for order in partners:
        assert validation_errors(order, "TMF622", version, ORDER_SCHEMAS[version]) == []
        ids = [order["externalId"]] if version == 4 else [e["id"] for e in order["externalId"]]
        assert ids[0].startswith(reference + ":")
        if version == 5:
            assert ids[1] == reference
        supplier = ids[0].split(":", 1)[1]
        for entry in order["productOrderItem"]:
            customer_entry = customer_items[entry["id"]]
            item = next(i for i in result.items if i.id == entry["id"])
            assert (supplier, entry["action"]) in [(s.id, a) for s, a in supplier_actions(result.catalog, item)]
            if entry["action"] == customer_entry["action"]:
                assert (entry["product"].get("id"), entry["productOffering"]["id"]) == (
                    customer_entry["product"].get("id"), customer_entry["productOffering"]["id"])
            elif entry["action"] == "add":  # a product new to this supplier
                assert customer_entry["action"] == "modify" and "id" not in entry["product"]
            else:  # a product leaving this supplier
                assert (entry["action"], entry["product"]["id"]) == ("delete", item.product_id)
                assert entry["productOffering"]["id"] == (item.previous_offering_id or item.offering_id)
            served.setdefault(entry["id"], []).append(entry["action"])
    own = [i.id for i in result.items if not supplier_actions(result.catalog, i)]
    assert sorted([*served, *own]) == sorted(customer_items)
    assert all(sorted(a) in (["add"], ["modify"], ["delete"], ["add", "delete"]) for a in served.values()), served
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


# ------------------------------------------------------------------------------ generated catalogs with suppliers


@given(st.data())
def test_generated_changes_split_into_partner_orders_and_own_items(data: st.DataObject) -> None:
    from odedelta.strategies import build_catalog, catalog_documents, inventory_documents, requests

    catalog = build_catalog(data.draw(catalog_documents(suppliers=2), label="catalog"))
    inventory = odedelta.Inventory.from_document(catalog, data.draw(inventory_documents(catalog), label="inventory"))
    request = data.draw(requests(catalog, inventory), label="request")
    try:
        result = odedelta.Engine(catalog).change(inventory, request, as_of=AS_OF)
    except odedelta.RequestError:
        return
    for version in (4, 5):
        _check_partition(result, version)


# ------------------------------------------------------------------------------ the demo's S10 (and settlement)

from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402

from odedelta.adapters.cli import main  # noqa: E402
from odedelta.adapters.cli.partners import _documents  # noqa: E402
from odedelta.flows.settlement import settlement_lines, sla_adjustment  # noqa: E402
from odedelta.model.catalog import Document  # noqa: E402
from odedelta.partners.catalog_import import import_partner_catalog  # noqa: E402

from .conftest import DEMO, ROOT  # noqa: E402

S10_ARGS = ["--catalog", str(DEMO), "--rules", str(ROOT / "rules"), "--inventory", str(DEMO / "inventories" /
            "alice.json"), "--product", "F-1", "--to", "po-fiber-300", "--as-of", "2026-03-01T00:00:00Z"]


@pytest.fixture(scope="module")
def s10(demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> odedelta.ChangeResult:
    engine = odedelta.Engine(demo, odedelta.load_rules(ROOT / "rules", demo))
    return engine.change(inventories["alice"], odedelta.ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)


def test_the_committed_import_is_what_the_documented_command_makes() -> None:
    texts: dict[str, str] = {}
    target = DEMO / "partner-streamco.json"
    added = import_partner_catalog(_documents(DEMO, target, texts), _documents(ROOT / "catalogs" / "partner-streamco",
                                                                               None, texts),
                                   supplier_id="org-streamco", supplier_name="StreamCo", prefix="streamco-",
                                   markup=Decimal(25))
    assert odedelta.dumps(added) == target.read_text(encoding="utf-8")
    assert [(r["@type"], r["id"]) for r in added] == [
        ("ProductSpecification", "streamco-ps-sports"), ("ProductSpecification", "streamco-ps-kids"),
        ("ProductOffering", "streamco-po-sports-pass"), ("ProductOffering", "streamco-po-kids"),
        ("ProductOfferingPrice", "streamco-pop-sports-monthly"),
        ("ProductOfferingPrice", "streamco-pop-sports-monthly-wholesale"),
        ("ProductOfferingPrice", "streamco-pop-sports-activation"),
        ("ProductOfferingPrice", "streamco-pop-sports-activation-wholesale"),
        ("ProductOfferingPrice", "streamco-pop-kids-monthly"),
        ("ProductOfferingPrice", "streamco-pop-kids-monthly-wholesale")]
    prices = {r["id"]: r["price"]["value"] for r in added if r["@type"] == "ProductOfferingPrice"}
    assert prices == {"streamco-pop-sports-monthly": Decimal("15.00"),
                      "streamco-pop-sports-monthly-wholesale": Decimal("12.00"),
                      "streamco-pop-sports-activation": Decimal("6.25"),
                      "streamco-pop-sports-activation-wholesale": Decimal("5.00"),
                      "streamco-pop-kids-monthly": Decimal("5.00"),
                      "streamco-pop-kids-monthly-wholesale": Decimal("4.00")}


def test_the_demo_knows_the_suppliers(demo: odedelta.Catalog) -> None:
    from odedelta.model.partners import supplier_of, wholesale_prices

    assert supplier_of(demo, "streamco-po-sports-pass").name == "StreamCo"  # type: ignore[union-attr]
    assert supplier_of(demo, "po-streaming-vas").name == "StreamMax Ltd"  # type: ignore[union-attr]
    assert supplier_of(demo, "po-fiber-300") is None
    assert [(p.pop_id, str(p.amount)) for p in wholesale_prices(demo, "po-streaming-uhd", AS_OF)] == [
        ("pop-streaming-uhd-wholesale", "9.00 EUR")]


def test_import_problems_are_located_and_all_at_once() -> None:
    export = [Document("export/productOffering.json", [
        {"id": "po-x", "@type": "ProductOffering", "productSpecification": {"id": "ps-missing"},
         "productOfferingPrice": [{"id": "pop-missing"}]},
        {"id": "cat-1", "@type": "Category"}])]
    reseller = [Document("demo/productOffering.json", [
        {"id": "p-po-x", "@type": "ProductOffering", "name": "mine"},
        {"id": "po-pack", "@type": "ProductOffering", "bundledProductOffering": [{"id": "p-po-gone"}]}])]
    with pytest.raises(odedelta.CatalogError) as caught:
        import_partner_catalog(reseller, export, supplier_id="org-x", supplier_name="X", prefix="p-")
    assert [str(p) for p in caught.value.problems] == [
        "demo/productOffering.json: the reseller's productOffering 'p-po-x' is not the one the import brings (a "
        "different content under the same id); choose another prefix @ $[0].id",
        "demo/productOffering.json: the reseller's bundle names partner offering 'p-po-gone', which the import does "
        "not bring @ $[1].bundledProductOffering[0].id",
        "export/productOffering.json: references productOfferingPrice 'pop-missing', which the export lacks "
        "@ $[0].productOfferingPrice[0]",
        "export/productOffering.json: references productSpecification 'ps-missing', which the export lacks "
        "@ $[0].productSpecification",
        "export/productOffering.json: a category is not imported: a partner export brings productOffering, "
        "productSpecification and productOfferingPrice @ $[1]",
    ]


def test_s10_settlement_of_the_streammax_removal_and_of_a_streamco_pass(
        s10: odedelta.ChangeResult, demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    assert [(line.supplier.id, line.item_id, line.kind, str(line.amount)) for line in settlement_lines(s10)] == [
        ("org-streammax", "4", "wholesale_before", "6.00 EUR")]
    added = odedelta.Engine(demo).change(inventories["alice"], odedelta.AddOffering(offering="streamco-po-sports-pass"),
                                         as_of=AS_OF)
    assert [(line.supplier.id, line.kind, str(line.amount)) for line in settlement_lines(added)] == [
        ("org-streamco", "wholesale_after", "12.00 EUR"), ("org-streamco", "reseller_margin", "3.00 EUR"),
        ("org-streamco", "one_time", "5.00 EUR")]
    [order] = partner_orders(added, 5)
    assert [p["price"]["taxIncludedAmount"]["value"] for p in order["orderTotalPrice"]] == [Decimal("12.00"),
                                                                                           Decimal("5.00")]


def test_settlement_rules_share_revenue_and_charge_between_the_partners(
        s10: odedelta.ChangeResult, demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    rules = odedelta.load_rules(ROOT / "rules", demo)

    def lines(result: odedelta.ChangeResult) -> list[tuple[str, str, str, str]]:
        return [(line.supplier.id, line.kind, str(line.amount), line.source)
                for line in settlement_lines(result, rules)]

    # the StreamMax removal: its catalog wholesale price before, and StreamMax's deactivation charge
    assert lines(s10) == [("org-streammax", "wholesale_before", "6.00 EUR", "catalog:pop-streaming-wholesale"),
                          ("org-streammax", "charge", "2.00 EUR", "rule:streammax-deactivation-charge")]
    engine = odedelta.Engine(demo, rules)
    kids = engine.change(inventories["alice"], odedelta.AddOffering(offering="streamco-po-kids"), as_of=AS_OF)
    # StreamCo Kids retails at 5.00 with a 4.00 wholesale price, but the rule pays StreamCo 70 % of the retail price
    assert lines(kids) == [("org-streamco", "wholesale_after", "3.50 EUR", "rule:streamco-kids-revenue-share"),
                           ("org-streamco", "reseller_margin", "1.50 EUR", "rule:streamco-kids-revenue-share"),
                           ("org-streamco", "credit", "3.50 EUR", "rule:streamco-welcome-credit")]
    assert settlement_lines(kids, rules)[0].explanation == (
        "StreamCo Kids [NEW-1]: 3.50 EUR per month to StreamCo after the change (StreamCo Kids revenue share: 70% of "
        "the 5.00 EUR the customer pays; rule:streamco-kids-revenue-share)")
    assert settlement_lines(kids, rules)[2].explanation == (
        "StreamCo welcome credit: StreamCo pays the reseller 3.50 EUR (100% of 3.50 EUR per month) for StreamCo Kids "
        "[NEW-1] (rule:streamco-welcome-credit)")
    # without the rules, the catalog's wholesale price
    assert [(line.kind, str(line.amount)) for line in settlement_lines(kids)] == [
        ("wholesale_after", "4.00 EUR"), ("reseller_margin", "1.00 EUR")]
    # ending the Kids subscription again: the rule judges the installed product too (side before)
    after = kids.projected_inventory()
    ended = engine.change(after, odedelta.TerminateProduct(product="NEW-1"), as_of=AS_OF)
    assert lines(ended) == [("org-streamco", "wholesale_before", "3.50 EUR", "rule:streamco-kids-revenue-share")]


def test_settlement_rules_are_checked_when_they_load(demo: odedelta.Catalog, tmp_path: Path) -> None:
    (tmp_path / "settlement.yaml").write_text(
        "rules:\n"
        "  - id: wrong-section\n"
        "    kind: revenue_share\n"
        "    description: reads an SLA fact it never sees\n"
        "    when: \"sla.measured < 99\"\n"
        "    then: {name: Share, supplier_share: 70%}\n"
        "  - id: side-of-a-charge\n"
        "    kind: partner_charge\n"
        "    description: only revenue_share rules see the side\n"
        "    when: \"settlement.side == 'after'\"\n"
        "    then: {name: Charge, amount: '2.00'}\n"
        "  - id: not-a-share\n"
        "    kind: revenue_share\n"
        "    description: a share is a percentage\n"
        "    then: {name: Share, supplier_share: '3.00'}\n"
        "  - id: wrong-payer\n"
        "    kind: partner_charge\n"
        "    description: the payer is the reseller or the supplier\n"
        "    then: {name: Charge, amount: '2.00', payer: customer}\n")
    with pytest.raises(odedelta.RuleError) as caught:
        odedelta.load_rules(tmp_path / "settlement.yaml", demo)
    text = str(caught.value)
    assert "settlement.yaml:5:12: revenue_share rules never see sla.* facts" in text
    assert "settlement.yaml:10:12: partner_charge rules never see settlement.side (only revenue_share rules do)" in text
    assert "settlement.yaml:15:25: supplier_share '3.00' is not a percentage — write e.g. '70%'" in text
    assert "settlement.yaml:19:42: payer cannot be 'customer': it is one of 'reseller', 'supplier'" in text


@pytest.mark.parametrize("executor", ["default", "reference"])
def test_s10_sla_credit_recharged_to_the_supplier(demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory],
                                                  executor: str) -> None:
    from odedelta.rules import ReferenceExecutor

    rules = odedelta.load_rules(ROOT / "rules" / "partners.yaml", demo,
                                ReferenceExecutor() if executor == "reference" else None)
    added = odedelta.Engine(demo).change(inventories["alice"], odedelta.AddOffering(offering="streamco-po-sports-pass"),
                                         as_of=AS_OF)
    after = added.projected_inventory()

    def month(product: str, measured: str, inventory: odedelta.Inventory = after) -> tuple[str, str, str] | None:
        found = sla_adjustment(rules, demo, inventory, product, "availability", Decimal(measured), AS_OF)
        return None if found is None else (found.rule_id, str(found.customer_credit), str(found.supplier_penalty))

    assert month("NEW-1", "98.7") == ("partner-availability-credit", "1.50 EUR", "1.50 EUR")
    assert month("NEW-1", "94.9") == ("partner-outage-credit", "7.50 EUR", "6.00 EUR")  # higher priority wins
    assert month("NEW-1", "99.5") is None
    assert month("A-1", "90", inventories["alice"]) is None  # the reseller's own product: no partner SLA
    # alice's StreamMax is free through a promotion: a credit on what she pays is nothing
    assert month("F-4", "90", inventories["alice"]) == ("partner-outage-credit", "0.00 EUR", "0.00 EUR")
    found = sla_adjustment(rules, demo, after, "NEW-1", "availability", Decimal("98.7"), AS_OF)
    assert found is not None and found.explanation == (
        "Availability credit: availability 98.7 — credit 10% of 15.00 EUR = 1.50 EUR, 100% recharged to StreamCo: "
        "1.50 EUR (rule:partner-availability-credit)")


def test_sla_credit_rules_are_checked_when_they_load(demo: odedelta.Catalog, tmp_path: Path) -> None:
    (tmp_path / "sla.yaml").write_text(
        "rules:\n"
        "  - id: typo\n"
        "    kind: sla_credit\n"
        "    description: a typo in a fact\n"
        "    when: \"sla.measure < 99\"\n"
        "    then: {name: Credit, credit: 10%, message: sorry}\n"
        "  - id: not-an-amount\n"
        "    kind: sla_credit\n"
        "    description: a credit that is not an amount\n"
        "    then: {name: Credit, credit: ten percent, message: sorry}\n")
    with pytest.raises(odedelta.RuleError) as caught:
        odedelta.load_rules(tmp_path / "sla.yaml", demo)
    text = str(caught.value)
    assert "unknown fact 'sla.measure' — did you mean 'sla.measured'?" in text
    assert "credit 'ten percent' is neither a percentage nor an amount — write e.g. '10%' or '2.00' " \
        "@ $.rules[1].then.credit" in text


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("outcome, state, lines", [
    ("completed", "completed", ["  item 4 delete StreamMax (at StreamMax Ltd): completed",
                                "States: inProgress → completed",
                                "  not applied: event 4 (sm-102): a duplicate of an event already received"]),
    ("failed", "partial", ["  item 4 delete StreamMax (at StreamMax Ltd): failed",
                           "  why: StreamMax removal failed at StreamMax Ltd: subscription F-4 has an open billing "
                           "dispute and cannot be ended",
                           "States: inProgress → partial",
                           "  not applied: event 3 (sm-202): item 4 is failed; held arrived late, ignored"]),
])
def test_s10_cli_customer_order_partner_order_and_roll_up(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          outcome: str, state: str, lines: list[str]) -> None:
    (tmp_path / "c.json").write_text(_cli(capsys, "change", *S10_ARGS, "--format", "customer-order"))
    (tmp_path / "p.json").write_text(_cli(capsys, "change", *S10_ARGS, "--format", "partner-orders",
                                          "--reseller-id", "org-demotel", "--reseller-name", "DemoTel"))
    report = _cli(capsys, "partner-status", "--customer-order", str(tmp_path / "c.json"), "--partner-orders",
                  str(tmp_path / "p.json"), "--events", str(DEMO / "partners" / f"s10-streammax-{outcome}.json"))
    assert report.splitlines()[0] == f"Customer order odedelta-7d1c28718e0a8264: {state}"
    assert all(line in report.splitlines() for line in lines), report
    notification = _cli(capsys, "partner-status", "--customer-order", str(tmp_path / "c.json"), "--partner-orders",
                        str(tmp_path / "p.json"), "--events", str(DEMO / "partners" / f"s10-streammax-{outcome}.json"),
                        "--format", "notification")
    assert f'"state": "{state}"' in notification
    for version in (4, 5):
        event = _cli(capsys, "partner-status", "--customer-order", str(tmp_path / "c.json"), "--partner-orders",
                     str(tmp_path / "p.json"), "--events", str(DEMO / "partners" / f"s10-streammax-{outcome}.json"),
                     "--format", "notification", "--tmf-version", str(version))
        document = json.loads(event)
        assert validation_errors(document, "TMF622", version, "ProductOrderStateChangeEvent") == []
        assert document["event"]["productOrder"]["state"] == state


def test_cli_import_refuses_with_every_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "productOffering.json").write_text('[\n  {"id": "po-x", "productSpecification": {"id": "ps-y"}}\n]\n')
    code = main(["import-partner-catalog", "--catalog", str(DEMO), "--export", str(export), "--supplier-id", "org-x",
                 "--prefix", "x-", "--out", str(tmp_path / "out.json")])
    err = capsys.readouterr().err
    assert code == 1 and not (tmp_path / "out.json").exists()
    assert f"{export}/productOffering.json:2:18: references productSpecification 'ps-y', which the export lacks" in err


def test_a_product_moving_between_suppliers_is_a_delete_at_one_and_an_add_at_the_other() -> None:
    def spec(sid: str, supplier: str) -> dict[str, Any]:
        return {"id": sid, "@type": "ProductSpecification",
                "relatedParty": [{"id": supplier, "name": supplier.upper(), "role": "supplier"}]}

    catalog = odedelta.Catalog.from_documents([Document("c", [
        spec("ps-x", "org-x"), spec("ps-y", "org-y"),
        {"id": "po-x", "@type": "ProductOffering", "productSpecification": {"id": "ps-x"},
         "productOfferingRelationship": [{"id": "po-y", "relationshipType": "migratesTo"}]},
        {"id": "po-y", "@type": "ProductOffering", "productSpecification": {"id": "ps-y"}},
    ])])
    inventory = odedelta.Inventory.from_document(catalog, [
        {"id": "P-1", "productOffering": {"id": "po-x"}, "productSpecification": {"id": "ps-x"}}])
    result = odedelta.Engine(catalog).change(inventory, odedelta.ChangeOffer(product="P-1", to="po-y"), as_of=AS_OF)
    assert [(i.id, i.action.value) for i in result.items] == [("1", "modify")]
    for version in (4, 5):
        assert _check_partition(result, version) == 2
    x, y = partner_orders(result, 4)
    assert [(e["id"], e["action"], e["productOffering"]["id"], e["product"].get("id")) for e in
            x["productOrderItem"] + y["productOrderItem"]] == [("1", "delete", "po-x", "P-1"),
                                                              ("1", "add", "po-y", None)]


MOVE_RULES = """rules:
  - id: leave-x
    kind: partner_charge
    description: X charges for a subscription it ends
    when: "settlement.supplier == 'org-x' and item.action == 'delete'"
    then: {name: X deactivation, amount: '2.00'}
  - id: join-y
    kind: partner_charge
    description: Y charges one month of its wholesale price, the catalog's, for a new subscription
    when: "settlement.supplier == 'org-y' and item.action == 'add' and settlement.wholesale == 4"
    then: {name: Y activation, amount: '100%'}
  - id: modify-anywhere
    kind: partner_charge
    description: a change at the same supplier (never here)
    when: "item.action == 'modify'"
    then: {name: Change, amount: '1.00'}
  - id: y-share
    kind: revenue_share
    description: Y is paid half of what the customer pays
    when: "settlement.supplier == 'org-y'"
    then: {name: Y share, supplier_share: '50%'}
  - id: business-sla
    kind: sla_credit
    description: business customers get a credit under 99.9 %
    when: "customer.segment == 'business' and sla.measured < 99.9"
    then: {name: Business credit, credit: '20%', recharge: '50%', message: sorry}
"""


def _two_suppliers(y_name: str = "ORG-Y", same_id: bool = False) -> odedelta.Catalog:
    def spec(sid: str, supplier: str, name: str) -> dict[str, Any]:
        return {"id": sid, "@type": "ProductSpecification",
                "relatedParty": [{"id": supplier, "name": name, "role": "supplier"}]}

    def price(pid: str, amount: float, relation: str | None = None) -> dict[str, Any]:
        pop: dict[str, Any] = {"id": pid, "@type": "ProductOfferingPrice", "priceType": "recurring",
                               "recurringChargePeriodType": "month",
                               "price": {"unit": "EUR", "value": amount}}
        if relation:
            pop["popRelationship"] = [{"id": relation, "relationshipType": "wholesale"}]
        return pop

    return odedelta.Catalog.from_documents([Document("c", [
        spec("ps-x", "org-x", "ORG-X"), spec("ps-y", "org-x" if same_id else "org-y", y_name),
        price("pop-x", 10.0, "pop-x-w"), price("pop-x-w", 6.0),
        price("pop-y", 12.0, "pop-y-w"), price("pop-y-w", 4.0),
        {"id": "po-x", "@type": "ProductOffering", "productSpecification": {"id": "ps-x"},
         "productOfferingPrice": [{"id": "pop-x"}],
         "productOfferingRelationship": [{"id": "po-y", "relationshipType": "migratesTo"}]},
        {"id": "po-y", "@type": "ProductOffering", "productSpecification": {"id": "ps-y"},
         "productOfferingPrice": [{"id": "pop-y"}]},
    ])])


def test_settlement_follows_what_each_supplier_is_asked(tmp_path: Path) -> None:
    (tmp_path / "move.yaml").write_text(MOVE_RULES)
    catalog = _two_suppliers()
    rules = odedelta.load_rules(tmp_path / "move.yaml", catalog)
    inventory = odedelta.Inventory.from_document(catalog, [
        {"id": "P-1", "productOffering": {"id": "po-x"}}, {"id": "Q-1", "productOffering": {"id": "po-y"}}])
    engine = odedelta.Engine(catalog, rules)
    moved = engine.change(inventory, odedelta.ChangeOffer(product="P-1", to="po-y"), as_of=AS_OF)
    # the product leaves X (a delete there: X's deactivation charge) and joins Y (an add there: Y's activation,
    # 100 % of the catalog's 4.00 wholesale... of Y's monthly pay, which the revenue share makes 6.00); Q-1, left
    # alone, has no line at all; nothing is a "modify" at a supplier
    assert [(x.supplier.id, x.product_id, x.kind, str(x.amount), x.source) for x in settlement_lines(moved, rules)] == [
        ("org-x", "P-1", "wholesale_before", "6.00 EUR", "catalog:pop-x-w"),
        ("org-y", "P-1", "wholesale_after", "6.00 EUR", "rule:y-share"),
        ("org-y", "P-1", "reseller_margin", "6.00 EUR", "rule:y-share"),
        ("org-x", "P-1", "charge", "2.00 EUR", "rule:leave-x"),
        ("org-y", "P-1", "charge", "6.00 EUR", "rule:join-y")]
    # the same supplier under another name on the other specification is the same supplier: a modify, no move
    same = _two_suppliers(y_name="X Networks", same_id=True)
    result = odedelta.Engine(same, odedelta.load_rules(tmp_path / "move.yaml", same)).change(
        odedelta.Inventory.from_document(same, [{"id": "P-1", "productOffering": {"id": "po-x"}}]),
        odedelta.ChangeOffer(product="P-1", to="po-y"), as_of=AS_OF)
    [order] = partner_orders(result, 4)
    assert [(e["id"], e["action"]) for e in order["productOrderItem"]] == [("1", "modify")]
    assert [x.kind for x in settlement_lines(result, rules)] == ["wholesale_before", "wholesale_after",
                                                                 "reseller_margin", "charge"]  # modify-anywhere


def test_sla_credit_rules_see_the_customer(tmp_path: Path) -> None:
    (tmp_path / "move.yaml").write_text(MOVE_RULES)
    catalog = _two_suppliers()
    rules = odedelta.load_rules(tmp_path / "move.yaml", catalog)
    inventory = odedelta.Inventory.from_document(catalog, [{"id": "Q-1", "productOffering": {"id": "po-y"}}])

    def month(segment: str | None, measured: str = "99.5") -> Any:
        return sla_adjustment(rules, catalog, inventory, "Q-1", "availability", Decimal(measured), AS_OF,
                              odedelta.Context(segment=segment))

    found = month("business")
    assert found is not None and (str(found.customer_credit), str(found.supplier_penalty)) == ("2.40 EUR", "1.20 EUR")
    assert month("residential") is None
    with pytest.raises(odedelta.RequestError, match="expected a number"):
        month("business", "NaN")


def test_the_settlement_and_an_sla_month_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--catalog", str(DEMO), "--rules", str(ROOT / "rules"), "--inventory",
              str(DEMO / "inventories" / "alice.json"), "--as-of", "2026-03-01T00:00:00Z"]
    assert main(["change", *common, "--product", "F-1", "--to", "po-fiber-300", "--format", "settlement"]) == 0
    lines = json.loads(capsys.readouterr().out)
    assert [(x["supplier"]["id"], x["product"], x["kind"], x["amount"], x["source"]) for x in lines] == [
        ("org-streammax", "F-4", "wholesale_before", 6.0, "catalog:pop-streaming-wholesale"),
        ("org-streammax", "F-4", "charge", 2.0, "rule:streammax-deactivation-charge")]
    # alice's StreamMax is free through her promotion: the credit on what she pays is nothing
    assert main(["partner-sla", *common, "--product", "F-4", "--metric", "availability", "--measured", "94"]) == 0
    assert capsys.readouterr().out == ("Outage credit: availability 94 — credit 50% of 0.00 EUR = 0.00 EUR, 80% "
                                       "recharged to StreamMax Ltd: 0.00 EUR (rule:partner-outage-credit)\n")
    assert main(["partner-sla", *common, "--product", "A-1", "--metric", "availability", "--measured", "90"]) == 0
    assert capsys.readouterr().out == "A-1: availability 90: no credit (no sla_credit rule matches)\n"
    assert main(["partner-sla", *common, "--product", "A-1", "--metric", "availability", "--measured", "ninety"]) == 1
    assert "--measured 'ninety' is not a number" in capsys.readouterr().err
