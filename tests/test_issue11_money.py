"""Issue 11: money and terms on inventories written from the TMF specs (not the demo) — regression tests."""

from __future__ import annotations

import copy
import json
import re
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import odedelta
from odedelta.flows.engine import Engine
from odedelta.model.errors import RequestError
from odedelta.model.requests import ChangeOffer, RemoveProduct, Renew
from odedelta.outputs.describe import summary

from .conftest import DATA

PLAN = DATA / "money_plan"
AS_OF = datetime(2026, 9, 1, tzinfo=UTC)  # 11 months left of the 24-month term (2025-08-01 → 2027-08-01)


@pytest.fixture(scope="module")
def plan_catalog() -> odedelta.Catalog:
    return odedelta.load_catalog(PLAN)


def _dana() -> list[dict[str, Any]]:
    return json.loads((PLAN / "inventories" / "dana.json").read_text())


def _inventory(catalog: odedelta.Catalog, products: list[dict[str, Any]], tmp_path: Path) -> odedelta.Inventory:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(products))
    return odedelta.load_inventory(path, catalog)


def _with_alteration(**fields: Any) -> list[dict[str, Any]]:
    products = _dana()
    alteration = products[0]["productPrice"][0]["productPriceAlteration"][0]
    for key in ("name", "description"):
        alteration.pop(key, None)
    alteration.update(fields)
    return products


@pytest.mark.parametrize("how", ["name", "description", "id", "nothing", "amount only"])
def test_a_promotions_alteration_is_counted_once(plan_catalog: odedelta.Catalog, tmp_path: Path, how: str) -> None:
    # defect 1: an alteration naming its promotion by name (or not at all) was kept as a goodwill discount AND the
    # promotion applied again: Monthly 0.00 → 39.00 instead of 50.00 → 39.00
    fields = {"name": {"name": "Half price Mobile Max with Phone 17"},
              "description": {"description": "Promotion: half price  mobile max WITH phone 17"},
              "id": {"description": "granted by promo-max-phone17"},
              "nothing": {}, "amount only": {}}[how]
    products = _with_alteration(**fields)
    if how == "amount only":
        products[0]["productPrice"][0]["productPriceAlteration"][0]["price"].pop("percentage")
    inventory = _inventory(plan_catalog, products, tmp_path)
    result = Engine(plan_catalog).change(inventory, ChangeOffer(product="P-1", to="po-plus"), as_of=AS_OF)
    money = result.consequences
    assert money is not None
    assert (money.recurring_before.amount, money.recurring_after.amount) == (Decimal("50.00"), Decimal("39.00"))
    assert [(p.promotion_id, p.status, p.before) for p in money.promotions] == [
        ("promo-max-phone17", "lost", odedelta.Money(Decimal(50), "EUR"))]
    assert [d.source for d in money.before.products["P-1"].discounts] == ["promotion:promo-max-phone17"]
    assert [a.how for a in money.before.attributions] == [
        {"name": "name", "description": "name", "id": "id"}.get(how, "action")]


def test_a_goodwill_alteration_is_kept(plan_catalog: odedelta.Catalog, tmp_path: Path) -> None:
    products = _with_alteration(name="Goodwill", price={"taxIncludedAmount": {"unit": "EUR", "value": 5}})
    inventory = _inventory(plan_catalog, products, tmp_path)
    result = Engine(plan_catalog).change(inventory, RemoveProduct(product="P-2"), as_of=AS_OF)
    money = result.consequences
    assert money is not None
    before = money.before.products["P-1"]
    assert sorted((d.source, d.amount.amount) for d in before.discounts) == [
        ("inventory:P-1/productPrice[0]/productPriceAlteration[0]", Decimal(5)),
        ("promotion:promo-max-phone17", Decimal(50))]
    assert money.before.attributions == []


def test_a_plan_kept_after_its_promotion_ends_is_billed_its_price(plan_catalog: odedelta.Catalog,
                                                                   tmp_path: Path) -> None:
    # defect 1: the plan kept at its price once the phone (and so the promotion) goes was billed 0 or 50
    inventory = _inventory(plan_catalog, _with_alteration(), tmp_path)
    result = Engine(plan_catalog).change(inventory, RemoveProduct(product="P-2"), as_of=AS_OF)
    money = result.consequences
    assert money is not None
    assert money.before.products["P-1"].net == odedelta.Money(Decimal(50), "EUR")
    assert money.after.products["P-1"].net == odedelta.Money(Decimal(100), "EUR")
    assert money.promotion_ids("lost") == ["promo-max-phone17"]


def test_an_ambiguous_attribution_is_counted_once_and_reported(plan_catalog: odedelta.Catalog,
                                                               tmp_path: Path) -> None:
    promotions = json.loads(json.dumps([p.model_dump(mode="json", by_alias=True, exclude_none=True)
                                        for p in plan_catalog.promotions.values()]))
    twin = copy.deepcopy(promotions[0])
    twin["id"], twin["name"] = "promo-max-loyalty", "Loyal customers: Mobile Max at half price"
    catalog_dir = tmp_path / "catalog"
    catalog_dir.mkdir()
    for name in ("productOffering.yaml", "productOfferingPrice.yaml", "productSpecification.yaml"):
        (catalog_dir / name).write_text((PLAN / name).read_text())
    (catalog_dir / "promotion.json").write_text(json.dumps([*promotions, twin]))
    catalog = odedelta.load_catalog(catalog_dir)
    inventory = _inventory(catalog, _with_alteration(), tmp_path)
    result = Engine(catalog).change(inventory, ChangeOffer(product="P-1", to="po-plus"), as_of=AS_OF)
    money = result.consequences
    assert money is not None
    [ambiguous] = money.before.ambiguous
    assert (ambiguous.promotion_id, ambiguous.candidates) == ("promo-max-loyalty",
                                                              ("promo-max-loyalty", "promo-max-phone17"))
    # both promotions apply and discount 50 % each (capped at the price); the alteration is not a third discount
    assert [d.source for d in money.before.products["P-1"].discounts] == [
        "promotion:promo-max-loyalty", "promotion:promo-max-phone17"]
    assert "could also be promo-max-phone17" in odedelta.explain(result)
    assert odedelta.to_dict(result)["money"]["attributions"][0]["ambiguous"] is True


_NAMING = {"id": {"description": "promotion promo-max-phone17"},
           "name": {"name": "Half price Mobile Max with Phone 17"},
           "nothing": {}}


@st.composite
def _plan_inventories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], bool, list[tuple[Decimal, Decimal]]]:
    """Plans priced 1–300 EUR, each with the promotion's alteration named by id, by name or not at all (or none),
    and maybe a goodwill alteration; a phone or not (the promotion applies only with one)."""
    template = _dana()
    products, expected = [], []
    for index in range(draw(st.integers(1, 4))):
        plan = copy.deepcopy(template[0])
        plan["id"] = f"P-{index + 10}"
        base = Decimal(draw(st.integers(100, 30000))) / 100
        plan["productPrice"][0]["price"]["taxIncludedAmount"]["value"] = str(base)
        alterations = []
        naming = draw(st.sampled_from([*_NAMING, "absent"]))
        if naming != "absent":
            alterations.append({**_NAMING[naming], "priceType": "discount", "recurringChargePeriod": "month",
                                "price": {"percentage": 50, "taxIncludedAmount": {"unit": "EUR",
                                                                                  "value": str(base / 2)}}})
        goodwill = Decimal(draw(st.sampled_from([0, 3, 7]))) if draw(st.booleans()) else Decimal(0)
        if goodwill:
            alterations.append({"name": "Goodwill", "priceType": "discount",
                                "price": {"taxIncludedAmount": {"unit": "EUR", "value": str(goodwill)}}})
        draw(st.randoms()).shuffle(alterations)
        plan["productPrice"][0]["productPriceAlteration"] = alterations
        products.append(plan)
        expected.append((base, goodwill))
    phone = draw(st.booleans())
    if phone:
        products.append(template[1])
    return products, phone, expected


@given(_plan_inventories())
def test_property_each_discount_is_counted_once(plan_catalog: odedelta.Catalog,
                                                drawn: tuple[list[dict[str, Any]], bool,
                                                             list[tuple[Decimal, Decimal]]]) -> None:
    """Recurring before = Σ (base − the promotion's discount once, when it applies − a goodwill discount)."""
    from odedelta.model.requests import Context
    from odedelta.money.bill import bill

    products, phone, expected = drawn
    with tempfile.TemporaryDirectory() as tmp:
        inventory = _inventory(plan_catalog, products, Path(tmp))
    before = bill(plan_catalog, inventory.products, Context(), AS_OF)
    total = sum((entry.net.amount for entry in before.products.values() if entry.net is not None), Decimal(0))
    want = Decimal(0)
    for base, goodwill in expected:
        net = base - (base / 2 if phone else 0)
        want += max(net - goodwill, Decimal(0))
    assert total == want
    assert all(len([d for d in entry.discounts if d.source.startswith("promotion:")]) == (1 if phone else 0)
               for entry in before.products.values() if entry.offering_id == "po-max")


# ------------------------------------------------------------------------------------------------ renewals and terms

DEMO_RULES = Path(__file__).resolve().parent.parent / "rules"


@pytest.fixture(scope="module")
def demo_engine(demo: odedelta.Catalog) -> Engine:
    return Engine(demo, odedelta.load_rules(DEMO_RULES, demo))


def _with_rules(demo: odedelta.Catalog, tmp_path: Path, extra: str) -> Engine:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    for file in DEMO_RULES.glob("*.yaml"):
        (rules / file.name).write_text(file.read_text())
    (rules / "extra.yaml").write_text(extra)
    return Engine(demo, odedelta.load_rules(rules, demo))


S9_AS_OF = datetime(2026, 11, 22, tzinfo=UTC)  # carol's C-1 (Mobile Classic, end of sale) term ends 2026-12-01


def test_s9_end_of_sale_renewal_is_a_renewal(demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory],
                                             tmp_path: Path) -> None:
    # defect 2: the rules saw change.kind == 'change_offer'; a penalty exempting renewals charged them
    engine = _with_rules(demo, tmp_path, """rules:
  - id: change-fee-except-renewals
    kind: fee
    description: Plan changes cost 15 EUR, renewals do not.
    when: "change.kind != 'renew' and installed.specification == 'ps-mobile-plan'"
    then: {name: Change fee, amount: 15}
""")
    result = engine.change(inventories["carol"], Renew(product="C-1"), as_of=S9_AS_OF)
    assert result.kind == "renew"
    assert result.consequences is not None and result.consequences.one_time_total.amount == 0
    assert "mobile-renewal-12-months" in result.rule_ids
    root = result.item("C-1")
    assert [r.source for r in root.reasons if r.code == "renewed"] == ["rule:mobile-renewal-12-months"]
    # the renewal brings the new term: an upgrade's re-engagement (timing rule) does not add a second one
    assert "reengaged" not in root.codes
    assert summary(result).startswith("Renew the commitment of C-1: Mobile Classic (2022) (po-mobile-classic) is no")


def test_s9_renewal_honours_the_window(demo_engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    # defect 2: a renewal six months early was accepted with a new term from today
    with pytest.raises(RequestError, match="renewal opens 60 days before the term ends, on 2026-10-02"):
        demo_engine.change(inventories["carol"], Renew(product="C-1"),
                           as_of=datetime(2026, 6, 1, tzinfo=UTC))


def test_a_renewal_of_a_product_naming_no_offering_is_a_clear_error(demo: odedelta.Catalog,
                                                                      demo_engine: Engine) -> None:
    # found in review: alice's fibre without its productOffering (its specification kept) failed with KeyError ''
    products = json.loads((Path(__file__).parents[1] / "catalogs/demo/inventories/alice.json").read_text())
    assert products[0]["id"] == "F-1"
    del products[0]["productOffering"]
    inventory = odedelta.Inventory.from_document(demo, products)
    with pytest.raises(RequestError, match=r"^F-1 names no productOffering: a renewal renews an offering's commitment"):
        demo_engine.change(inventory, Renew(product="F-1"), as_of=datetime(2026, 3, 1, tzinfo=UTC))


def test_after_an_s9_renewal_the_new_term_is_current(demo: odedelta.Catalog, demo_engine: Engine,
                                                     inventories: dict[str, odedelta.Inventory],
                                                     tmp_path: Path) -> None:
    # defect 3: the old term (ending 2026-12-01) stayed current and the customer could renew again at once
    from odedelta.model.terms import overlapping
    from odedelta.rules.facts import current_term

    result = demo_engine.change(inventories["carol"], Renew(product="C-1"), as_of=S9_AS_OF)
    after = {p.id: p for p in odedelta.apply(inventories["carol"], result)}
    terms = after["C-1"].product_term
    assert overlapping(terms) == []
    assert [(t.valid_for.start.date().isoformat(), t.valid_for.end.date().isoformat()) for t in terms] == [
        ("2025-12-01", "2026-11-22"), ("2026-11-22", "2027-11-22")]
    current = current_term(after["C-1"], S9_AS_OF + timedelta(days=1))
    assert current is not None and current.valid_for.end.date().isoformat() == "2027-11-22"
    path = tmp_path / "carol-after.json"
    path.write_text(json.dumps([p.model_dump(mode="json", by_alias=True, exclude_none=True)
                                for p in after.values()]))
    renewed = odedelta.load_inventory(path, demo)
    with pytest.raises(RequestError, match="cannot be renewed yet"):
        demo_engine.change(renewed, Renew(product="C-1"), as_of=S9_AS_OF + timedelta(days=1))


def test_s7_twice_does_not_stack_terms(demo: odedelta.Catalog, demo_engine: Engine,
                                       inventories: dict[str, odedelta.Inventory], tmp_path: Path) -> None:
    # defect 3 (sibling): renewing again inside the window of the old term stacked a third term
    as_of = datetime(2027, 1, 15, tzinfo=UTC)
    result = demo_engine.change(inventories["alice"], Renew(product="A-1"), as_of=as_of)
    path = tmp_path / "alice-after.json"
    path.write_text(json.dumps([p.model_dump(mode="json", by_alias=True, exclude_none=True)
                                for p in odedelta.apply(inventories["alice"], result)]))
    with pytest.raises(RequestError, match="on 2028-01-01"):
        demo_engine.change(odedelta.load_inventory(path, demo), Renew(product="A-1"),
                           as_of=as_of + timedelta(days=1))


def test_a_renewal_discount_lands_on_the_renewed_product_only(demo: odedelta.Catalog, demo_engine: Engine,
                                                              tmp_path: Path) -> None:
    # defect 4: the 10 % renewal benefit landed on every Mobile M line, including one not renewed
    text = (Path(__file__).resolve().parent.parent / "catalogs/demo/inventories/alice.json").read_text()
    products = json.loads(text)
    mobile = [p for p in products if p["id"].startswith("A-")]
    second = json.loads(json.dumps(mobile).replace('"A-', '"Z-'))
    path = tmp_path / "two-lines.json"
    path.write_text(json.dumps(products + second))
    inventory = odedelta.load_inventory(path, demo)
    result = demo_engine.change(inventory, Renew(product="A-1"), as_of=datetime(2027, 1, 15, tzinfo=UTC))
    money = result.consequences
    assert money is not None
    assert [d.product_id for d in money.after.promotions["rule:mobile-renewal-12-months"]] == ["A-1"]
    assert money.after.products["Z-1"].discounts == []
    order = odedelta.to_tmf622(result)
    assert [i["product"]["id"] for i in order["productOrderItem"]] == ["A-1"]


_STEPS = st.lists(st.tuples(st.integers(1, 150),
                            st.sampled_from(["renew", "po-mobile-s", "po-mobile-m", "po-mobile-l", "po-mobile-xl"])),
                  min_size=1, max_size=5)


@given(steps=_STEPS)
def test_property_terms_never_overlap(demo_engine: Engine, inventories: dict[str, odedelta.Inventory],
                                      steps: list[tuple[int, str]]) -> None:
    """After any sequence of renewals and plan changes (upgrades restart the commitment), the product's terms never
    overlap and its current term is the latest started."""
    from odedelta.model.inventory import Inventory
    from odedelta.model.terms import overlapping
    from odedelta.rules.facts import current_term

    inventory = inventories["alice"]
    as_of = datetime(2026, 12, 1, tzinfo=UTC)  # A-1's term ends 2027-03-01; its renewal window opens 2026-12-31
    for days, step in steps:
        as_of += timedelta(days=days)
        request = Renew(product="A-1") if step == "renew" else ChangeOffer(product="A-1", to=step)
        try:
            result = demo_engine.change(inventory, request, as_of=as_of)
        except (RequestError, odedelta.NotEligible):
            continue
        event(f"{'renewal' if step == 'renew' else 'change'} carried out")
        inventory = Inventory.from_products(demo_engine.catalog, odedelta.apply(inventory, result))
        terms = inventory.product("A-1").product_term
        event(f"{len(terms)} terms")
        assert overlapping(terms) == []
        started = [t for t in terms if t.valid_for is not None and t.valid_for.start is not None
                   and t.valid_for.start <= as_of]
        if started:
            assert current_term(inventory.product("A-1"), as_of) is max(started, key=lambda t: t.valid_for.start)


def test_specification_less_bundles_match_by_their_components() -> None:
    # defect 5: a missing specification matched another missing one: a mobile pack qualified for a fiber plan
    catalog = odedelta.load_catalog(DATA / "specless")
    inventory = odedelta.load_inventory(DATA / "specless" / "inventories" / "mia.yaml", catalog)
    answer = Engine(catalog).qualify(inventory, "M-1", as_of=AS_OF)
    assert [(c.offering_id, c.qualified) for c in answer.candidates] == [("po-mobile-pack-plus", True)]


# ------------------------------------------------------------------------------------------------ penalty formulas


@pytest.mark.parametrize(("as_of", "months", "due"), [
    (AS_OF, 11, "110.00"),                                  # 11 months × 10.00 EUR
    (datetime(2025, 12, 15, tzinfo=UTC), 20, "150.00"),     # 20 × 10.00 = 200.00, capped at 150.00
])
def test_a_fixed_amount_per_remaining_month(plan_catalog: odedelta.Catalog, as_of: datetime, months: int,
                                            due: str) -> None:
    # missing capability: 'formula: remaining_months' with 'amount: 10' was ignored and became months × price
    rules = odedelta.load_rules(PLAN / "rules", plan_catalog)
    inventory = odedelta.load_inventory(PLAN / "inventories" / "dana.json", plan_catalog)
    result = Engine(plan_catalog, rules).change(inventory, ChangeOffer(product="P-1", to="po-plus"), as_of=as_of)
    money = result.consequences
    assert money is not None
    [penalty] = money.charges_of("penalty")
    assert penalty.amount.amount == Decimal(due)
    assert penalty.explanation.startswith(f"{months} months remaining × 10.00 EUR")


@pytest.mark.parametrize(("then", "problem"), [
    ("{name: X, formula: fixed, amount: 10, share: 0.5}", "formula 'fixed' does not use share"),
    ("{name: X, formula: discount_repayment, factor: 2}", "formula 'discount_repayment' does not use factor"),
    ("{name: X, formula: waived, maximum: 10}", "formula 'waived' does not use maximum"),
    ("{name: X, formula: remaining_months, amount: 10, factor: 0.5}", "not both"),
    ("{name: X, formula: remaining_value_share, share: 0.5, minimum: 50, maximum: 20}", "minimum 50 is above"),
])
def test_a_formula_given_a_parameter_it_does_not_use_is_refused(plan_catalog: odedelta.Catalog, tmp_path: Path,
                                                                 then: str, problem: str) -> None:
    path = tmp_path / "penalty.yaml"
    path.write_text(f"rules:\n  - id: p\n    kind: penalty\n    description: d\n    when: \"term.active\"\n"
                    f"    then: {then}\n")
    with pytest.raises(odedelta.RuleError) as error:
        odedelta.load_rules(path, plan_catalog)
    assert re.search(rf"penalty\.yaml:6:\d+: .*{re.escape(problem)}", str(error.value)), str(error.value)


# ------------------------------------------------------------------------------------------------ qualification


def test_qualification_shows_every_money_consequence(plan_catalog: odedelta.Catalog) -> None:
    # missing capability: qualification showed penalties only (no fees, no value of a lost promotion)
    from odedelta.outputs.schemas import validation_errors

    rules = odedelta.load_rules(PLAN / "rules", plan_catalog)
    inventory = odedelta.load_inventory(PLAN / "inventories" / "dana.json", plan_catalog)
    answer = Engine(plan_catalog, rules).qualify(inventory, "P-1", as_of=AS_OF)
    plus = answer.candidate("po-plus")
    assert (str(plus.recurring_before), str(plus.recurring_after), str(plus.due_now)) == (
        "50.00 EUR", "39.00 EUR", "110.00 EUR")
    assert [(p.promotion_id, p.status, str(p.before)) for p in plus.promotions] == [
        ("promo-max-phone17", "lost", "50.00 EUR")]
    text = odedelta.explain_qualification(answer)
    assert "due now: 110.00 EUR (penalties 110.00 EUR)" in text
    assert "promotion lost: Half price Mobile Max with Phone 17 (promo-max-phone17), 50.00 EUR/month" in text
    data = odedelta.qualification_dict(answer)["candidates"][0]
    assert (data["dueNow"], data["fees"], data["charges"][0]["amount"]) == (Decimal("110.00"), Decimal("0.00"),
                                                                           Decimal("110.00"))
    assert data["promotions"][0]["before"] == Decimal("50.00")
    document = odedelta.to_tmf679(answer)
    assert validation_errors(document, "TMF679", 4, "ProductOfferingQualification") == []
    [item] = odedelta.to_tmf679(answer)["productOfferingQualificationItem"]
    assert [p["price"]["taxIncludedAmount"]["value"] for p in item["product"]["productPrice"]] == [
        Decimal("39.00"), Decimal("110.00")]
    assert [n["text"] for n in item["note"]][-1] == (
        "promotion lost: Half price Mobile Max with Phone 17 (promo-max-phone17), 50.00 EUR/month")


def test_qualification_shows_fees(demo_engine: Engine, inventories: dict[str, odedelta.Inventory]) -> None:
    answer = demo_engine.qualify(inventories["bob"], "B-1", as_of=datetime(2026, 6, 1, tzinfo=UTC))
    mobile_l = answer.candidate("po-mobile-l")
    assert [(c.kind, str(c.amount)) for c in mobile_l.charges] == [("fee", "10.00 EUR"), ("penalty", "175.00 EUR")]
    assert str(mobile_l.fees) == "10.00 EUR" and str(mobile_l.due_now) == "185.00 EUR"
    assert "due now: 185.00 EUR (penalties 175.00 EUR, fees 10.00 EUR)" in odedelta.explain_qualification(answer)


# ------------------------------------------------------------------------------------------------ rule-named successors


def _demo_without_replaced_by(tmp_path: Path) -> odedelta.Catalog:
    demo_dir = Path(__file__).resolve().parent.parent / "catalogs" / "demo"
    target = tmp_path / "demo"
    target.mkdir()
    for file in demo_dir.glob("*.json"):
        data = json.loads(file.read_text())
        if file.name == "productOffering.json":
            for offering in data:
                if offering["id"] == "po-mobile-classic":
                    offering.pop("productOfferingRelationship")
        (target / file.name).write_text(json.dumps(data))
    return odedelta.load_catalog(target)


_RENEWAL_TO_SUCCESSOR = """rules:
  - id: classic-renews-into-mobile-l
    kind: renewal
    description: Retired mobile plans renew into Mobile L, 10 % off the successor while the new term runs.
    priority: 10
    when: "installed.offering == 'po-mobile-classic'"
    then:
      months: 12
      window_days: 60
      at_end: migrate
      successor: po-mobile-l
      discount: {name: Renewal discount, value: "10%", applies_to: successor}
"""

_MIGRATION_TO_SUCCESSOR = """rules:
  - id: classic-becomes-mobile-l
    kind: migration
    description: A retired classic plan becomes Mobile L.
    then: {from: {offering: po-mobile-classic}, to: {offering: po-mobile-l}}
"""


@pytest.mark.parametrize(("rules", "source"), [(_RENEWAL_TO_SUCCESSOR, "rule:classic-renews-into-mobile-l"),
                                               (_MIGRATION_TO_SUCCESSOR, "rule:classic-becomes-mobile-l")])
def test_an_end_of_sale_renewal_finds_its_successor_in_the_rules(tmp_path: Path, rules: str, source: str) -> None:
    # missing capability: only the catalog's replacedBy named a successor
    catalog = _demo_without_replaced_by(tmp_path)
    engine = _with_rules(catalog, tmp_path, rules)
    inventory = odedelta.load_inventory(Path(__file__).resolve().parent.parent / "catalogs/demo/inventories/carol.json",
                                        catalog)
    result = engine.change(inventory, Renew(product="C-1"), as_of=S9_AS_OF)
    root = result.item("C-1")
    assert (root.offering_id, root.reasons[0].code, root.reasons[0].source) == ("po-mobile-l", "end_of_sale", source)
    money = result.consequences
    assert money is not None
    if rules is _RENEWAL_TO_SUCCESSOR:
        # Mobile L 39.00 − 10 % renewal (3.90) − 5 % loyalty (1.95, rule loyal-customers-5-percent) + Voicemail Plus
        assert [d.product_id for d in money.after.promotions["rule:classic-renews-into-mobile-l"]] == ["C-1"]
        assert sorted((d.source, str(d.amount)) for d in money.after.products["C-1"].discounts) == [
            ("rule:classic-renews-into-mobile-l", "3.90 EUR"), ("rule:loyal-customers-5-percent", "1.95 EUR")]
        assert str(money.recurring_after) == "35.15 EUR"
    notices = engine.term_notices(inventory, as_of=S9_AS_OF)
    assert [(n.product_id, n.at_end, n.successor) for n in notices if n.product_id == "C-1"] == [
        ("C-1", "migrate", "po-mobile-l")]


def test_without_any_successor_an_end_of_sale_renewal_is_refused(tmp_path: Path) -> None:
    catalog = _demo_without_replaced_by(tmp_path)
    inventory = odedelta.load_inventory(Path(__file__).resolve().parent.parent / "catalogs/demo/inventories/carol.json",
                                        catalog)
    with pytest.raises(RequestError, match="neither the catalog nor a rule names a successor"):
        Engine(catalog).change(inventory, Renew(product="C-1"), as_of=S9_AS_OF)


@pytest.mark.parametrize(("duration", "counted"), [(None, True), (24, True), (14, True), (13, False), (12, False)])
def test_a_goodwill_alteration_lasts_its_application_duration(plan_catalog: odedelta.Catalog, tmp_path: Path,
                                                             duration: int | None, counted: bool) -> None:
    # sibling of defect 1: applicationDuration was ignored. dana's plan started 2025-08-01; AS_OF 2026-09-01 is 13
    # months later, so a 13-month goodwill discount has just ended (the end is exclusive, like validFor)
    products = _with_alteration(name="Goodwill", price={"taxIncludedAmount": {"unit": "EUR", "value": 5}})
    products[0]["productPrice"][0]["productPriceAlteration"][0]["applicationDuration"] = duration
    inventory = _inventory(plan_catalog, products, tmp_path)
    result = Engine(plan_catalog).change(inventory, RemoveProduct(product="P-2"), as_of=AS_OF)
    assert result.consequences is not None
    sources = [d.source for d in result.consequences.before.products["P-1"].discounts]
    assert ("inventory:P-1/productPrice[0]/productPriceAlteration[0]" in sources) is counted


def test_a_named_alteration_that_names_no_promotion_is_a_discount_of_its_own_even_at_the_promotion_s_value(
        plan_catalog: odedelta.Catalog) -> None:
    """Found by the property above: a 3.00 'Goodwill' alteration on a 6.00 price was read as the 50 % promotion's
    record (the same amount), so the goodwill discount vanished. Only a nameless alteration is matched by value."""
    from types import SimpleNamespace

    from odedelta.model.attribution import attribute

    price = SimpleNamespace(percentage=None, tax_included_amount=SimpleNamespace(value=Decimal("3.00")),
                            duty_free_amount=None)
    named = SimpleNamespace(name="Goodwill", description=None, price=price)
    assert attribute(plan_catalog, "P-1", "po-max", "alteration:0", named, Decimal("6.00")) is None
    nameless = SimpleNamespace(name=None, description=None, price=price)
    found = attribute(plan_catalog, "P-1", "po-max", "alteration:0", nameless, Decimal("6.00"))
    assert found is not None and (found.promotion_id, found.how) == ("promo-max-phone17", "action")


def test_a_term_closed_by_a_new_one_is_the_copy_pydantic_makes(demo: odedelta.Catalog) -> None:
    """A new term closes the current one at its start: the closed term is copied directly (terms.copied), the
    same value model_copy gives — fields, unknown TMF fields and fields set as ordinary copies (a part of a loaded
    inventory is held read-only; its copy is not), the original left as it was."""
    from odedelta.model.calendar import new_term
    from odedelta.model.terms import add_term, copied
    from odedelta.model.tmf import ReadOnlySet

    inventory = odedelta.Inventory.from_document(demo, [{
        "id": "P-1", "productOffering": {"id": "po-mobile-m"}, "startDate": "2025-06-01T00:00:00Z",
        "productTerm": [{"name": "commitment", "x-note": "kept", "duration": {"amount": 24, "units": "month"},
                         "validFor": {"startDateTime": "2025-06-01T00:00:00Z", "endDateTime": "2027-06-01T00:00:00Z",
                                      "x-zone": "CET"}}]}])
    term = inventory.product("P-1").product_term[0]
    assert term.valid_for is not None
    for part in (term, term.valid_for):  # held read-only, as the inventory shares some parts
        object.__setattr__(part, "__pydantic_fields_set__", ReadOnlySet(part.model_fields_set))
    begin = datetime(2026, 3, 1, tzinfo=UTC)
    closed, renewed = add_term(inventory.product("P-1").product_term, new_term(begin, 12))
    expected = term.model_copy(update={"valid_for": term.valid_for.model_copy(update={"end": begin})})
    for made, copy_ in ((closed, expected), (closed.valid_for, expected.valid_for)):
        assert made == copy_ and vars(made) == vars(copy_)
        assert made.__pydantic_extra__ == copy_.__pydantic_extra__ and made.__pydantic_private__ is None
        assert made.model_fields_set == copy_.model_fields_set
        assert type(made.__pydantic_fields_set__) is set and type(made.__pydantic_extra__) is dict
    assert closed.to_tmf() == expected.to_tmf()
    assert closed.to_tmf()["validFor"] == {"startDateTime": "2025-06-01T00:00:00Z",
                                           "endDateTime": "2026-03-01T00:00:00Z", "x-zone": "CET"}
    assert closed.to_tmf()["x-note"] == "kept" and renewed.valid_for is not None
    assert term.valid_for.end == datetime(2027, 6, 1, tzinfo=UTC)  # the loaded term is left as it was
    closed.name = "changed"  # the copy is the caller's: not read-only
    assert term.name == "commitment"
    with pytest.raises(TypeError, match="read-only"):
        term.name = "changed"
    assert copied(closed, "description", "d").model_fields_set == closed.model_fields_set | {"description"}
