"""Money of a change: promotions, penalties, fees, proration, renewals, and totals that add up."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import odedelta
from odedelta.flows.consequences import billing_period
from odedelta.flows.engine import Engine
from odedelta.model.requests import ChangeOffer, Context, Renew, TerminateProduct
from odedelta.model.tmf import Promotion
from odedelta.money.bill import holds, promotion_applies

from .conftest import DEMO, ROOT
from .helpers import AS_OF


@pytest.fixture(scope="module")
def engine(demo: odedelta.Catalog) -> Engine:
    return Engine(demo, odedelta.load_rules(ROOT / "rules", demo))


def test_s1_consequences_line_by_line(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    result = engine.change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    money = odedelta.to_dict(result)["money"]
    assert (money["recurringBefore"], money["recurringAfter"], money["dueNow"]) == (
        Decimal("54.00"), Decimal("44.00"), Decimal("60.00"))
    assert [(p["product"], p["base"], p["net"]) for p in money["before"]] == [
        ("F-1", Decimal("50.00"), Decimal("50.00")), ("F-2", None, None), ("F-3", Decimal("0.00"), Decimal("0.00")),
        ("F-4", Decimal("10.00"), Decimal("0.00")), ("F-5", Decimal("4.00"), Decimal("4.00")),
    ]
    assert money["before"][3]["discounts"] == [{"source": "promotion:promo-fiber-free-streaming",
                                                "name": "StreamMax included with Fiber 500 and 1000",
                                                "amount": Decimal("10.00"), "percentage": Decimal("100")}]
    assert money["charges"] == [{
        "kind": "penalty", "name": "Early downgrade fee", "amount": Decimal("60.00"), "product": "F-1",
        "source": "rule:fiber-downgrade-under-commitment",
        "explanation": "6 months remaining × 50.00 EUR × 0.2 = 60.00 EUR"}]
    assert money["recommendations"] == [{"offering": "po-streaming-vas", "parent": "F-1",
                                         "message": "Keep StreamMax as a paid add-on for 10.00 EUR/month.",
                                         "price": Decimal("10.00"), "rule": "keep-streammax-paid"}]
    order = odedelta.to_tmf622(result, 4)
    assert order["orderTotalPrice"][1]["price"]["taxIncludedAmount"]["value"] == Decimal("60.00")
    assert order["productOrderItem"][0]["itemPrice"][1]["name"] == "Early downgrade fee"


def test_s2_discount_repayment(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    result = engine.change(inventories["bob"], ChangeOffer(product="B-1", to="po-mobile-l"),
                           as_of=datetime(2026, 6, 1, tzinfo=UTC))
    c = result.consequences
    assert c is not None
    assert [(ch.kind, ch.amount.amount, ch.source) for ch in c.charges] == [
        ("fee", Decimal("10.00"), "rule:mobile-downgrade-fee"),
        ("penalty", Decimal("175.00"), "rule:device-discount-repayment"),
    ]
    assert c.charges[1].explanation == ("0.5 × discount received so far 350.00 EUR (50.00 EUR/month × 7 months) "
                                        "= 175.00 EUR")


def test_terminate_penalty_and_minimum(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    result = engine.change(inventories["alice"], TerminateProduct(product="A-1"),
                           as_of=datetime(2027, 2, 20, tzinfo=UTC))  # 1 month left: 0.5 × 1 × 29 = 14.50 < 25
    c = result.consequences
    assert c is not None and c.penalty_total.amount == Decimal("25.00")
    assert c.charges_of("penalty")[0].explanation == (
        "0.5 × 1 months remaining × 29.00 EUR = 14.50 EUR, at least 25.00 EUR")


def test_a_promotion_loss_rule_keeps_the_free_product_at_its_price(demo: odedelta.Catalog,
                                                                   inventories: dict[str, odedelta.Inventory]) -> None:
    from odedelta.rules.language import check_rule_documents
    from odedelta.rules.rulebook import Rulebook

    rules, problems = check_rule_documents([("keep.yaml", """
rules:
  - id: keep-streaming
    kind: promotion_loss
    description: StreamMax stays, at its price, when its promotion ends.
    when: "item.offering == 'po-streaming-vas'"
    then: {keep: true, message: "StreamMax stays at 10.00 EUR a month."}
""")], demo)
    assert problems == []
    result = Engine(demo, Rulebook(rules)).change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-300"),
                                                  as_of=AS_OF)
    assert result.item("F-4").action.value == "noChange"
    assert result.consequences is not None and result.consequences.recurring_after.amount == Decimal("54.00")
    assert "keep-streaming" in result.rule_ids


def test_proration_of_an_immediate_upgrade(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    result = engine.change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-1000"),
                           as_of=datetime(2026, 3, 11, tzinfo=UTC), context=Context(billing_cycle_day=1))
    c = result.consequences
    assert c is not None
    assert [ch.amount.rounded().amount for ch in c.charges_of("proration")] == [
        Decimal("-33.87"), Decimal("47.42"), Decimal("2.03"), Decimal("3.39")]
    assert c.due_now.amount == Decimal("18.97") and c.penalty_total.amount == 0
    terms = result.item("F-1").terms
    assert terms is not None and terms[-1].valid_for is not None
    assert terms[-1].valid_for.start == datetime(2026, 3, 11, tzinfo=UTC)  # re-engaged: a new 12-month term
    assert odedelta.to_tmf622(result, 4)["requestedStartDate"] == "2026-03-11T00:00:00Z"


def test_billing_period_and_timing(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    assert billing_period(datetime(2026, 3, 11, tzinfo=UTC), 15) == (datetime(2026, 2, 15, tzinfo=UTC),
                                                                     datetime(2026, 3, 15, tzinfo=UTC))
    later = engine.change(inventories["alice"],
                          ChangeOffer(product="F-1", to="po-fiber-300", timing="next_bill_cycle"),
                          as_of=datetime(2026, 3, 11, tzinfo=UTC), context=Context(billing_cycle_day=15))
    assert later.consequences is not None and later.consequences.timing is not None
    assert later.consequences.timing.effective == datetime(2026, 3, 15, tzinfo=UTC)
    assert later.consequences.proration_total.amount == 0  # nothing prorated: it waits for the bill date


def test_renewal_terms_keep_history(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    early = engine.change(inventories["alice"], Renew(product="A-1"), as_of=datetime(2027, 1, 15, tzinfo=UTC))
    terms = early.item("A-1").terms
    assert terms is not None
    assert [(t.valid_for.start.date().isoformat(), t.valid_for.end.date().isoformat()) for t in terms] == [  # type: ignore[union-attr]
        ("2025-03-01", "2027-03-01"), ("2027-03-01", "2028-03-01")]
    after = early.projected_inventory().product("A-1")
    assert len(after.product_term) == 2
    item = odedelta.to_tmf622(early, 5)["productOrderItem"][0]
    assert item["itemTerm"] == [{"name": "12-month commitment", "description": "Minimum commitment of 12 months",
                                 "duration": {"amount": 12, "units": "month"}, "@type": "OrderTerm"}]
    assert [t["validFor"]["startDateTime"] for t in item["product"]["productTerm"]] == [
        "2025-03-01T00:00:00Z", "2027-03-01T00:00:00Z"]
    late = engine.change(inventories["frank"], Renew(product="G-1", months=24), as_of=datetime(2026, 3, 1, tzinfo=UTC))
    new = late.item("G-1").terms[-1]  # type: ignore[index]
    assert new.valid_for.start == datetime(2026, 3, 1, tzinfo=UTC)  # type: ignore[union-attr]
    assert new.valid_for.end == datetime(2028, 3, 1, tzinfo=UTC)  # type: ignore[union-attr]
    with pytest.raises(odedelta.RequestError, match="renewal opens 60 days before the term ends, on 2026-12-31"):
        engine.change(inventories["alice"], Renew(product="A-1"), as_of=datetime(2026, 6, 1, tzinfo=UTC))


def test_term_notices(engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    notices = engine.term_notices(inventories["carol"], as_of=datetime(2026, 11, 1, tzinfo=UTC))
    assert [(n.product_id, n.days_left, n.at_end, n.successor) for n in notices] == [
        ("C-1", 30, "migrate", "po-mobile-m")]
    assert engine.term_notices(inventories["carol"], as_of=datetime(2026, 9, 1, tzinfo=UTC)) == []


def test_mixed_currencies_are_refused_naming_both_prices(demo: odedelta.Catalog) -> None:
    products = json.loads((DEMO / "inventories" / "frank.json").read_text(), parse_float=Decimal)
    products[3]["productPrice"][0]["price"]["taxIncludedAmount"]["unit"] = "USD"
    inventory = odedelta.Inventory.from_document(demo, products)
    with pytest.raises(odedelta.CurrencyMismatch, match=r"prices in different currencies: .* EUR \(G-1, .*\) and "
                                                       r"8.00 USD \(G-4, inventory:G-4/productPrice\[0\]\)"):
        Engine(demo).change(inventory, ChangeOffer(product="G-1", to="po-mobile-s"), as_of=AS_OF)


@pytest.mark.parametrize(
    ("groups", "relation", "segment", "expected"),
    [
        ([[("productOffering.id", "=", "po-fiber-500")]], "AND", None, True),
        ([[("productOffering.id", "in", "po-fiber-100, po-fiber-300")]], "AND", None, False),
        ([[("productOffering.id", "!=", "po-fiber-300")]], "AND", None, True),
        ([[("category.id", "=", "cat-fiber")], [("customer.segment", "=", "business")]], "AND", None, False),
        ([[("category.id", "=", "cat-fiber")], [("customer.segment", "=", "business")]], "OR", None, True),
        ([[("productSpecification.id", "=", "ps-voicemail")], [("customer.segment", "=", "business")]], "AND",
         "business", True),
    ],
)
def test_promotion_criteria_interpretation(demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory],
                                           groups: list[list[tuple[str, str, str]]], relation: str,
                                           segment: str | None, expected: bool) -> None:
    promotion = Promotion.model_validate({"id": "p", "pattern": [{
        "criteriaGroupLogicalRelationship": relation,
        "criteriaGroup": [{"criteria": [{"criteriaParameter": p, "criteriaOperator": o, "criteriaValue": v}
                                        for p, o, v in group]} for group in groups]}]})
    held = holds(inventories["alice"].products.values(), demo)
    assert promotion_applies(promotion, held, Context(segment=segment), AS_OF) is expected


def test_expired_promotions_do_not_apply(demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    held = holds(inventories["erin"].products.values(), demo)
    summer = demo.promotions["promo-summer-2025"]
    assert promotion_applies(summer, held, Context(), datetime(2025, 7, 1, tzinfo=UTC))
    assert not promotion_applies(summer, held, Context(), AS_OF)


# ------------------------------------------------------------------------------------ totals add up (hypothesis)


@pytest.fixture(scope="module")
def change_space(demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> list[tuple[str, str, str]]:
    return [(name, pid, oid) for name, inv in inventories.items() for pid in inv.roots()
            for oid in sorted(demo.offerings) if demo.graph.components(oid)]


@given(data=st.data())
def test_totals_equal_the_sum_of_their_lines_in_one_currency(engine: Engine, change_space: list[Any],
                                                             inventories: dict[str, odedelta.Inventory],
                                                             data: st.DataObject) -> None:
    name, product, target = data.draw(st.sampled_from(change_space))
    as_of = data.draw(st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 12, 31),
                                   timezones=st.just(UTC)))
    context = Context(segment=data.draw(st.sampled_from([None, "business", "residential"])),
                      billing_cycle_day=data.draw(st.sampled_from([None, 1, 15, 28])))
    try:
        result = engine.change(inventories[name], ChangeOffer(product=product, to=target), as_of=as_of, context=context)
    except odedelta.RequestError:
        return
    c = result.consequences
    assert c is not None
    lines = [ch.amount.rounded() for ch in c.charges]
    assert all(line.currency == c.currency for line in lines)
    assert c.due_now.amount == sum((line.amount for line in lines), Decimal(0))
    assert c.penalty_total.amount == sum((ch.amount.rounded().amount for ch in c.charges_of("penalty")), Decimal(0))
    assert c.penalty_total.amount >= 0
    after = [c.after.products[p].net for p in c.after_ids if c.after.products[p].net is not None]
    assert c.recurring_after.amount == sum((m.rounded().amount for m in after), Decimal(0))  # type: ignore[union-attr]
    for pid in c.after_ids:
        entry = c.after.products[pid]
        if entry.net is not None:
            assert entry.net.amount >= 0  # discounts never take a price below zero
    order = odedelta.to_tmf622(result, 4)
    due = next(p for p in order["orderTotalPrice"] if p["priceType"] == "oneTime")
    assert due["price"]["taxIncludedAmount"]["value"] == c.due_now.amount


def test_the_products_counted_are_those_changed_or_repriced_on_both_sides(
        engine: Engine, change_space: list[Any], inventories: dict[str, odedelta.Inventory]) -> None:
    """The totals count the products the change's items name and every other product whose monthly price differs
    between the bills (a promotion gained or lost, a rule's discount): the money stage compares only the products
    a promotion or a rule discounts — every product of both bills is compared here, on every change of the demo
    catalog's root products. The offerings after the change are those of the projection."""
    compared = repriced = 0
    for name, product, target in change_space:
        inventory = inventories[name]
        try:
            result = engine.change(inventory, ChangeOffer(product=product, to=target), as_of=AS_OF,
                                   context=Context(segment="residential"))
        except odedelta.RequestError:
            continue
        c = result.consequences
        if c is None:
            continue
        named = {item.product_id for item in result.items}
        before, after = c.before.products, c.after.products
        changed = {pid for pid in before if pid in after and pid not in named
                   and (before[pid].net and before[pid].net.amount) != (after[pid].net and after[pid].net.amount)}
        assert c.before_ids == [pid for pid in inventory.products if pid in named | changed], (name, target)
        assert c.after.offerings == {pid: offering or "" for pid, offering, _ in result.placed}, (name, target)
        compared += 1
        repriced += bool(changed)
    assert compared and repriced  # some change reprices a product it leaves as it is


def test_price_alterations_from_the_catalog_and_the_inventory(demo: odedelta.Catalog,
                                                              inventories: dict[str, odedelta.Inventory]) -> None:
    goodwill = Engine(demo).change(inventories["frank"], ChangeOffer(product="G-1", to="po-mobile-s"), as_of=AS_OF)
    c = goodwill.consequences
    assert c is not None
    roaming = c.before.products["G-6"]  # 15.00 − 20% goodwill recorded in the inventory, kept by the change
    assert (roaming.net.amount, [d.source for d in roaming.discounts]) == (  # type: ignore[union-attr]
        Decimal("12.00"), ["inventory:G-6/productPrice[0]/productPriceAlteration[0]"])
    assert c.after.products["G-6"].net == roaming.net
    launch = Engine(demo).change(inventories["erin"], ChangeOffer(product="E-1", to="po-home-pack-max"), as_of=AS_OF)
    assert launch.consequences is not None
    tv = launch.consequences.after.products["E-5"]  # 30.00 − 20% launch offer (a discount POP related to the fee)
    assert (tv.net.amount, tv.discounts[0].source) == (Decimal("24.00"), "catalog:pop-tv-premium-launch")  # type: ignore[union-attr]
    order = odedelta.to_tmf622(launch, 5)
    tv_item = next(i for i in order["productOrderItem"] if i["product"].get("id") == "E-5")
    assert tv_item["itemPrice"][0]["priceAlteration"][0]["price"]["percentage"] == Decimal("20")


def test_the_money_stage_rebuilds_every_field_of_the_result() -> None:
    """The money stage makes its answer field by field (not with dataclasses.replace, which walks the fields of
    each change): a field added to ChangeResult must be added there too (flows/consequences.py, _consequences)."""
    from dataclasses import fields

    from odedelta.flows.result import ChangeResult

    assert [f.name for f in fields(ChangeResult)] == ["catalog", "inventory", "delta", "context", "decisions",
                                                       "consequences", "renewal", "change_kind"]


def test_the_facts_a_penalty_reads_are_the_copy_pydantic_makes() -> None:
    """A penalty judges the installed facts with this customer's price and discounts: the section is copied
    directly, the same value (fields, fields set, frozen) model_copy gives."""
    from pydantic import ValidationError

    from odedelta.rules.facts import InstalledFacts, updated

    facts = InstalledFacts(offering="po-a", categories=("cat-x",), price=Decimal("20"), months_active=7)
    update = {"price": Decimal("18.50"), "discount": Decimal("2.5"), "discount_received": Decimal("10")}
    copied, expected = updated(facts, **update), facts.model_copy(update=update)
    assert copied == expected and copied.model_dump() == expected.model_dump()
    assert copied.model_fields_set == expected.model_fields_set == {"offering", "categories", "price",
                                                                    "months_active", "discount",
                                                                    "discount_received"}
    assert facts.price == Decimal("20") and facts.discount is None  # the original is left as it was
    with pytest.raises(ValidationError):
        copied.price = Decimal(0)  # type: ignore[misc]
    with pytest.raises(TypeError, match="has no field pricee"):
        updated(facts, pricee=Decimal(1))  # a misspelt field is a bug, not a silent extra


def test_the_money_stages_values_made_directly_are_the_ones_their_constructors_make() -> None:
    """The money stage makes its Consequences, Timing, PromotionChange and fee charges without their frozen
    ``__init__`` (slots or ``__dict__`` set at once): every field is set, in order, to what the constructor gives,
    and the values stay frozen. A field added to one of the classes must be added there too."""
    from dataclasses import FrozenInstanceError, fields

    from odedelta.flows.consequences import (
        CONSEQUENCES_FIELDS,
        _charged,
        _made_consequences,
        _made_value,
    )
    from odedelta.model.money import Money
    from odedelta.money.bill import Bill
    from odedelta.money.charges import Charge, Consequences, PromotionChange, Timing, charge

    assert tuple(f.name for f in fields(Consequences)) == CONSEQUENCES_FIELDS
    when = datetime(2026, 3, 1, tzinfo=UTC)
    timing = _made_value(Timing, {"policy": "end_of_term", "effective": when, "reengage": True,
                                  "source": "rule:t-1", "period": (when, when)})
    assert timing == Timing("end_of_term", when, True, "rule:t-1", (when, when))
    assert list(vars(timing)) == [f.name for f in fields(Timing)]
    lost = _made_value(PromotionChange, {"promotion_id": "promo-1", "name": "Promo", "status": "lost",
                                         "before": Money(Decimal("2.50"), "EUR"), "after": None})
    assert lost == PromotionChange("promo-1", "Promo", "lost", Money(Decimal("2.50"), "EUR"), None)
    assert list(vars(lost)) == [f.name for f in fields(PromotionChange)]
    fee = charge("fee", "Change fee", Money(Decimal("5.00"), "EUR"), None, "rule:fee-1", "a fee")
    on_root = _charged(dict(vars(fee)), "P-1")
    assert on_root == Charge("fee", "Change fee", Money(Decimal("5.00"), "EUR"), "P-1", "rule:fee-1", "a fee")
    assert list(vars(on_root)) == [f.name for f in fields(Charge)] and fee.product_id is None
    bill = Bill({}, {})
    values = ("EUR", bill, bill, ["P-1"], ["P-1"], [lost], [on_root], [], timing, None)
    made = _made_consequences(*values)
    assert made == Consequences(*values)
    assert made.recurring_before == Money(Decimal(0), "EUR") and made.penalty_total == Money(Decimal(0), "EUR")
    for value in (made, timing, lost, on_root):
        with pytest.raises(FrozenInstanceError):
            value.currency = "USD"  # type: ignore[union-attr]


@pytest.mark.parametrize("reads", ["term.active", "term.active and installed.discount > 0 and item.action == 'modify' "
                                                  "and 'promo-phone-half-price-plan' in promotion.lost"])
def test_a_penalty_is_worth_the_customers_own_discount_whatever_sections_its_rules_read(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory], reads: str) -> None:
    """The money stage makes the sections a penalty judges in place of the change's own (the customer's installed
    facts, the item, the promotions) only when some rule of the book reads them; what the penalty is worth is read
    from this customer's bill all the same (S2: half of the 350.00 EUR discount received so far)."""
    from odedelta.rules.language import check_rule_documents
    from odedelta.rules.rulebook import Rulebook

    rules, problems = check_rule_documents([("repay.yaml", f"""
rules:
  - id: repay
    kind: penalty
    description: Half the discount received so far.
    when: "{reads}"
    then: {{name: Repayment, formula: discount_repayment, share: 0.5}}
  - id: admin
    kind: fee
    description: A fee for every change.
    when: "change.kind == 'change_offer'"
    then: {{name: Administration, amount: 5}}
""")], demo)
    assert problems == []
    book = Rulebook(rules)
    assert ("installed" in book.fact_plan.sections) is (reads != "term.active")
    result = Engine(demo, book).change(inventories["bob"], ChangeOffer(product="B-1", to="po-mobile-l"),
                                       as_of=datetime(2026, 6, 1, tzinfo=UTC))
    assert result.consequences is not None
    assert [(c.kind, c.amount.amount, c.product_id, c.source, c.explanation)
            for c in result.consequences.charges] == [
        ("fee", Decimal("5.00"), "B-1", "rule:admin", "A fee for every change."),
        ("penalty", Decimal("175.00"), "B-1", "rule:repay",
         "0.5 × discount received so far 350.00 EUR (50.00 EUR/month × 7 months) = 175.00 EUR")]
    assert result.rule_ids == ["admin", "repay"]
