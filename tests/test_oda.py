"""Catalogs TM Forum publishes (the ODA reference components' payloads, vendored in data/oda with their provenance)
load, keep their parties and currency, say what nothing uses, and qualify across specifications (issue 32)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import odedelta
from odedelta.adapters.cli import main
from odedelta.model.money import MINOR_UNITS
from odedelta.model.pricing import NO_CURRENCY
from odedelta.outputs import _tmfschema
from odedelta.outputs.schemas import validation_errors
from odedelta.service import create_app
from odedelta.service import documents as service_documents
from odedelta.strategies import build_catalog, catalog_documents, currencies, inventory_documents, requests

from .conftest import DATA, TEST_SPECS

ODA = DATA / "oda"
INVENTORIES = ODA / "inventories"
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
ORDER_SCHEMAS = {4: "ProductOrder_Create", 5: "ProductOrder_FVO"}


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location("oda_build", ODA / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    made: dict[str, Path] = _builder().build(tmp_path_factory.mktemp("oda"))
    return made


@pytest.fixture(scope="module")
def retail(built: dict[str, Path]) -> odedelta.Catalog:
    return odedelta.load_catalog(built["retail_and_wholesale"])


@pytest.fixture(scope="module")
def enterprise(built: dict[str, Path]) -> odedelta.Catalog:
    return odedelta.load_catalog(built["enterprise"])


@pytest.fixture(scope="module")
def wholesale(built: dict[str, Path]) -> odedelta.Catalog:
    return odedelta.load_catalog(built["wholesale"])


def _inventory(catalog: odedelta.Catalog, name: str) -> odedelta.Inventory:
    return odedelta.load_inventory(INVENTORIES / name, catalog)


def _valid_orders(result: odedelta.ChangeResult) -> None:
    for version, schema in ORDER_SCHEMAS.items():
        assert validation_errors(odedelta.to_tmf622(result, version), "TMF622", version, schema) == []


# ------------------------------------------------------------------------------------ the data itself


def test_the_vendored_payloads_are_listed_with_their_provenance() -> None:
    sources = (ODA / "SOURCES.md").read_text()
    payloads = sorted(p.relative_to(ODA).as_posix() for p in ODA.rglob("*.json") if p.parent.name != "inventories")
    assert payloads and all(p in sources for p in payloads)
    assert "Apache" in (ODA / "LICENSE-NOTICE.md").read_text()


def test_the_build_replaces_every_postman_variable_and_adds_ids(built: dict[str, Path]) -> None:
    for directory in built.values():
        for file in directory.glob("*.json"):
            text = file.read_text()
            assert "{{" not in text, file
            assert all("id" in resource for resource in json.loads(text))
    offerings = {o["id"]: o for o in json.loads((built["retail_and_wholesale"] / "productOffering.json").read_text())}
    assert offerings["fibre-900-pro"]["productSpecification"] == {"id": "specFibre900", "name": "Fibre 900"}
    assert offerings["fibre-900-pro"]["productOfferingPrice"] == [{"id": "priceBB2", "name": "Monthly price"}]


@pytest.mark.parametrize(("inventory", "spec"), [
    ("retail-fibre100.json", "TMF637-ProductInventory-v4.0.0.swagger.json"),
    ("retail-payg.json", "TMF637-ProductInventory-v4.0.0.swagger.json"),
    ("enterprise-acme.json", "TMF637-ProductInventory-v4.0.0.swagger.json"),
    ("wholesale-carrier.json", "TMF637-ProductInventory-v5.0.0.oas.yaml"),
])
def test_the_hand_written_inventories_are_valid_tmf637(inventory: str, spec: str) -> None:
    compiled = _compiled(spec)
    for product in json.loads((INVENTORIES / inventory).read_text()):
        assert _tmfschema.validate_document(compiled, "Product", product, strict_types=True).errors == []


@cache
def _compiled(spec: str) -> _tmfschema.CompiledSpec:
    return _tmfschema.compile_spec(TEST_SPECS / spec)


# ------------------------------------------------------------------- 4. valid TMF is accepted, with warnings


def test_recurring_prices_without_a_period_load_as_monthly_with_a_warning_naming_each(
        retail: odedelta.Catalog) -> None:
    period = [w for w in retail.warnings if "recurringChargePeriodType" in w.message]
    assert [w.message.split("'")[1] for w in period] == [
        "priceMob1", "priceMob2", "priceBB1", "priceBB2", "priceBB3", "priceMVNO1", "priceMVNO3", "priceMVNO4"]
    assert period[0].line == 2 and period[0].path == "$[0].recurringChargePeriodType"
    assert "read as per month" in period[0].message
    fibre = _inventory(retail, "retail-fibre100.json")
    result = odedelta.Engine(retail).change(fibre, odedelta.ChangeOffer(product="P-FIB-100", to="fibre-900-pro"),
                                            as_of=AS_OF)
    assert result.consequences is not None
    assert (str(result.consequences.recurring_before), str(result.consequences.recurring_after)) == (
        "27.00 GBP", "38.00 GBP")


def test_catalog_documents_are_read_for_their_categories_and_validity(retail: odedelta.Catalog,
                                                                      enterprise: odedelta.Catalog) -> None:
    assert {cid: [c.id for c in doc.category] for cid, doc in retail.catalog_documents.items()} == {
        "redBrand": ["catMobile", "catBroadband"], "mvno": ["catMVNO"]}
    assert retail.counts()["catalog"] == 2
    document = enterprise.catalog_documents["enterprise_catalog"]
    assert document.valid_for is not None and document.valid_for.end == datetime(2026, 12, 31, 23, 59, 59,
                                                                                   tzinfo=UTC)
    notes = [w.message for w in enterprise.warnings if w.message.startswith("catalog ")]
    assert notes == ["catalog 'enterprise_catalog' lists no category: its validFor limits no offering"]


def test_an_offering_whose_catalog_has_expired_is_not_sellable(built: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "retail"
    shutil.copytree(built["retail_and_wholesale"], copy)
    catalogs = json.loads((copy / "catalog.json").read_text())
    catalogs[0]["validFor"] = {"startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2026-01-01T00:00:00Z"}
    (copy / "catalog.json").write_text(json.dumps(catalogs))
    catalog = odedelta.load_catalog(copy)
    sellable, why = catalog.sellable("fibre-900-pro", AS_OF)
    assert not sellable
    assert "the catalog(s) listing its categories are not valid then: 'redBrand'" in why
    assert catalog.sellable("mvno-data", AS_OF) == (True, "")  # the MVNO catalog is still valid
    assert catalog.sellable("fibre-900-pro", datetime(2025, 6, 1, tzinfo=UTC)) == (True, "")


def test_a_catalog_listing_a_parent_category_limits_the_offerings_of_its_sub_categories(
        built: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "retail"
    shutil.copytree(built["retail_and_wholesale"], copy)
    categories = json.loads((copy / "category.json").read_text())
    for category in categories:
        if category["id"] == "catBroadband":
            category.update(isRoot=False, parentId="catHome")
    (copy / "category.json").write_text(json.dumps([*categories, {"id": "catHome", "name": "Home", "isRoot": True}]))
    catalogs = json.loads((copy / "catalog.json").read_text())
    catalogs[0]["category"] = [{"id": "catHome"}]
    catalogs[0]["validFor"] = {"startDateTime": "2027-01-01T00:00:00Z"}
    (copy / "catalog.json").write_text(json.dumps(catalogs))
    catalog = odedelta.load_catalog(copy)
    assert catalog.sellable("fibre-900-pro", AS_OF)[0] is False
    assert catalog.sellable("fibre-900-pro", datetime(2027, 2, 1, tzinfo=UTC)) == (True, "")
    assert catalog.sellable("unlimited-max", AS_OF) == (True, "")  # Mobile is listed by no catalog now


def test_references_typed_by_at_type_or_at_referred_type_point_at_the_same_kind(built: dict[str, Path],
                                                                                 tmp_path: Path) -> None:
    copy = tmp_path / "retail"
    shutil.copytree(built["retail_and_wholesale"], copy)
    promotions = [
        {"id": f"promo-{n}", "name": "Half price line", "lifecycleStatus": "active",
         "pattern": [{"action": [{"actionType": "discount", "actionValue": "50%", "actionEntityRef": ref}]}],
         "@type": "Promotion"}
        for n, ref in enumerate([{"id": "priceBB2", "@type": "ProductOfferingPriceRef"},
                                 {"id": "priceBB2", "@referredType": "ProductOfferingPrice"}])]
    (copy / "promotion.json").write_text(json.dumps(promotions))
    catalog = odedelta.load_catalog(copy)
    assert catalog.graph.promotions_naming("price", "priceBB2") == ["promo-0", "promo-1"]


def test_the_retention_promotion_names_an_offering_these_catalogs_lack_and_says_which(
        built: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "retail"
    shutil.copytree(built["retail_and_wholesale"], copy)
    promotion = json.loads((ODA / "tmf671" / "retention-promotion.json").read_text())
    (copy / "promotion.json").write_text(json.dumps([{"id": "retention-netflix", **promotion}]))
    with pytest.raises(odedelta.CatalogError) as caught:
        odedelta.load_catalog(copy)
    assert [p.message for p in caught.value.problems] == [
        "unknown productOffering 'POSTPAID_PRODUCT_OFFERING_NETFLIX'"]


# ------------------------------------------------------------- 3. what nothing uses is said, with locations


def test_prices_attached_to_no_offering_are_warnings_naming_the_field_outside_the_schema(
        wholesale: odedelta.Catalog) -> None:
    unattached = [w for w in wholesale.warnings if "attached to no offering" in w.message]
    assert len(unattached) == 8 and all(w.file.endswith("productOfferingPrice.json") and w.line for w in unattached)
    premium = next(w for w in unattached if "'wholesale_fiber_premium_price'" in w.message)
    assert premium.path == "$[2].id"
    assert "it names offering 'WFB-PREM-01' in 'productOffering', a field TMF620 does not define" in premium.message
    assert not any(p for p in wholesale.offerings if wholesale.graph.prices_of(p))


def test_unused_specifications_and_promotions_naming_nothing_are_warnings(built: dict[str, Path],
                                                                         tmp_path: Path) -> None:
    copy = tmp_path / "retail"
    shutil.copytree(built["retail_and_wholesale"], copy)
    specs = json.loads((copy / "productSpecification.json").read_text())
    (copy / "productSpecification.json").write_text(json.dumps([*specs, {"id": "specUnused", "name": "Spare"}]))
    (copy / "promotion.json").write_text(json.dumps([{"id": "promo-vague", "name": "Something",
                                                      "pattern": [{"action": [{"actionType": "discount"}]}]}]))
    warnings = {w.message for w in odedelta.load_catalog(copy).warnings}
    assert "specification 'specUnused' is used by no offering (no productOffering names it in " \
           "productSpecification)" in warnings
    assert "promotion 'promo-vague' names no offering, specification or category of this catalog (in its " \
           "criteria or actions), so it applies to nothing" in warnings


def test_check_lists_the_warnings_and_strict_makes_them_errors(built: dict[str, Path],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(built["wholesale"])]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{built['wholesale']}: 9 warning(s) — 8 productOffering")
    assert any(line.startswith("  warning: ") and "productOfferingPrice.json:45:5: price "
               "'wholesale_fiber_premium_price'" in line for line in out)
    assert main(["check", str(built["wholesale"]), "--strict"]) == 1
    assert capsys.readouterr().out.splitlines()[1].startswith("  error: ")
    assert main(["check", str(built["wholesale"]), "--strict", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and len(report["problems"]) == 9
    assert main(["check", str(built["wholesale"]), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and len(report["warnings"]) == 9


# ----------------------------------------------------------------- 2. money in the catalog's currency


def test_acquiring_a_plan_with_only_a_one_time_price_is_in_its_currency(retail: odedelta.Catalog) -> None:
    payg = _inventory(retail, "retail-payg.json")
    result = odedelta.Engine(retail).change(payg, odedelta.Acquire(offering="payg-starter"), as_of=AS_OF)
    assert result.consequences is not None
    assert (str(result.consequences.recurring_after), str(result.consequences.due_now)) == ("0.00 GBP", "1.00 GBP")
    assert result.consequences.unpriced is None
    for text in (odedelta.explain(result), odedelta.dumps(odedelta.to_dict(result)),
                 odedelta.dumps(odedelta.to_tmf622(result, 4)), odedelta.dumps(odedelta.to_tmf622(result, 5))):
        assert "EUR" not in text and "GBP" in text
    _valid_orders(result)


def test_adding_a_plan_with_only_a_one_time_price_is_in_its_currency(retail: odedelta.Catalog) -> None:
    fibre = _inventory(retail, "retail-fibre100.json")
    result = odedelta.Engine(retail).change(fibre, odedelta.AddOffering(offering="payg-starter"), as_of=AS_OF)
    assert result.consequences is not None
    assert str(result.consequences.due_now) == "1.00 GBP"
    assert "EUR" not in odedelta.explain(result)


def test_a_plan_with_only_a_per_minute_price_totals_in_its_currency(retail: odedelta.Catalog) -> None:
    payg = _inventory(retail, "retail-payg.json")
    result = odedelta.Engine(retail).change(payg, odedelta.Acquire(offering="mvno-voice"), as_of=AS_OF)
    text = odedelta.explain(result)
    assert "Monthly: 0.00 GBP → 0.00 GBP (+0.00 GBP)" in text and "EUR" not in text
    assert "  Per use, in no total: Per minute rate 0.005 GBP (MVNO Voice Access - National; catalog:priceMVNO2)" \
        in text.splitlines()
    order = odedelta.to_tmf622(result, 4)
    assert {p["price"]["taxIncludedAmount"]["unit"] for p in order["orderTotalPrice"]} == {"GBP"}


def test_a_change_with_no_price_in_any_currency_says_so(enterprise: odedelta.Catalog) -> None:
    acme = _inventory(enterprise, "enterprise-acme.json")
    result = odedelta.Engine(enterprise).change(
        acme, odedelta.ChangeOffer(product="P-ACME-MPLS", to="enterprise_mpls_platinum_offering"), as_of=AS_OF)
    assert result.consequences is not None and result.consequences.currency == "USD"
    text = odedelta.explain(result)
    assert "Note: no price in any currency: no offering this change involves has a price in the catalog, and the " \
           "products have no inventory price (amounts shown in the catalog's currency, USD)" in text
    assert odedelta.to_dict(result)["money"]["unpriced"].startswith("no price in any currency")
    _valid_orders(result)


def test_prices_in_two_currencies_stay_an_error_naming_both(built: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "retail"
    shutil.copytree(built["retail_and_wholesale"], copy)
    prices = json.loads((copy / "productOfferingPrice.json").read_text())
    prices.append({"id": "priceSetup", "name": "Setup", "priceType": "oneTime", "price": {"unit": "EUR", "value": 5}})
    (copy / "productOfferingPrice.json").write_text(json.dumps(prices))
    offerings = json.loads((copy / "productOffering.json").read_text())
    payg = next(o for o in offerings if o["id"] == "payg-starter")
    payg["productOfferingPrice"].append({"id": "priceSetup"})
    (copy / "productOffering.json").write_text(json.dumps(offerings))
    catalog = odedelta.load_catalog(copy)
    with pytest.raises(odedelta.CurrencyMismatch) as caught:
        odedelta.Engine(catalog).change(_inventory(catalog, "retail-payg.json"),
                                        odedelta.Acquire(offering="payg-starter"), as_of=AS_OF)
    assert "1 GBP (priceMob3, payg-starter)" in str(caught.value) and "5 EUR (priceSetup, payg-starter)" in str(
        caught.value)


_AMOUNT_CODE = re.compile(r"\d ([A-Z]{3})\b")


def _currencies_mentioned(value: Any) -> set[str]:
    """Every currency an output names: ``unit``/``currency`` fields, and codes written after an amount."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("unit", "currency") and isinstance(item, str):
                found.add(item)
            found |= _currencies_mentioned(item)
    elif isinstance(value, list):
        for item in value:
            found |= _currencies_mentioned(item)
    elif isinstance(value, str):
        found |= {code for code in _AMOUNT_CODE.findall(value) if code in MINOR_UNITS}
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_outputs_of_a_catalog_in_any_currency_mention_no_other(data: st.DataObject) -> None:
    currency = data.draw(currencies((0, 2, 3)))
    catalog = build_catalog(data.draw(catalog_documents(currency=currency, sparse_prices=True)))
    inventory = odedelta.Inventory.from_document(catalog, data.draw(inventory_documents(catalog)))
    request = data.draw(requests(catalog, inventory))
    engine = odedelta.Engine(catalog)
    try:
        result = engine.evaluate(inventory, request, as_of=datetime(2026, 3, 1, tzinfo=UTC))
    except odedelta.RequestError:  # a request the inventory cannot take (a renewal without a term): no output
        return
    if isinstance(result, odedelta.Refusal):
        return
    outputs: list[Any] = [odedelta.explain(result), odedelta.to_dict(result), odedelta.to_tmf622(result, 4),
                          odedelta.to_tmf622(result, 5)]
    for root in inventory.roots()[:1]:
        qualification = engine.qualify(inventory, root, as_of=datetime(2026, 3, 1, tzinfo=UTC))
        outputs += [odedelta.explain_qualification(qualification), odedelta.qualification_dict(qualification),
                    odedelta.to_tmf679(qualification)]
    # a catalog drawn without any price has no currency at all: ISO 4217's XXX ("no currency") says so
    allowed = {currency} if catalog.prices else {currency, NO_CURRENCY}
    assert set().union(*(_currencies_mentioned(o) for o in outputs)) <= allowed
    if result.consequences is not None:
        assert result.consequences.currency in allowed
        assert result.consequences.due_now.amount == result.consequences.due_now.rounded().amount
        assert -result.consequences.due_now.amount.as_tuple().exponent <= MINOR_UNITS[currency] or \
            result.consequences.due_now.amount == Decimal(0)


# ---------------------------------------------------------------------- 1. parties carried as they are


@pytest.mark.parametrize("version", [4, 5])
def test_an_organization_customer_and_its_reseller_stay_organizations_in_the_order(
        enterprise: odedelta.Catalog, version: int) -> None:
    acme = _inventory(enterprise, "enterprise-acme.json")
    result = odedelta.Engine(enterprise).change(
        acme, odedelta.ChangeOffer(product="P-ACME-MPLS", to="enterprise_mpls_platinum_offering"), as_of=AS_OF)
    order = odedelta.to_tmf622(result, version)
    if version == 4:
        assert order["relatedParty"] == [
            {"id": "ORG-ACME", "name": "ACME Corp", "role": "customer", "@referredType": "Organization"},
            {"id": "ORG-NETRESELL", "name": "NetResell Ltd", "role": "reseller", "@referredType": "Organization"}]
        assert order["billingAccount"] == {"id": "BA-ACME-01", "name": "ACME Corp IT",
                                           "@referredType": "BillingAccount"}
    else:
        assert order["relatedParty"][0] == {
            "role": "customer", "partyOrPartyRole": {"id": "ORG-ACME", "name": "ACME Corp", "@type": "PartyRef",
                                                     "@referredType": "Organization"},
            "@type": "RelatedPartyRefOrPartyRoleRef"}
        assert order["relatedParty"][1]["role"] == "reseller"
        assert order["billingAccount"]["@type"] == "BillingAccountRef"
    _valid_orders(result)


def test_a_v5_inventory_party_is_carried_into_v4_and_v5_orders(wholesale: odedelta.Catalog) -> None:
    carrier = _inventory(wholesale, "wholesale-carrier.json")
    result = odedelta.Engine(wholesale).change(
        carrier, odedelta.ChangeOffer(product="P-CARRIER-FB1", to="WFB-PREM-01"), as_of=AS_OF)
    assert odedelta.to_tmf622(result, 4)["relatedParty"] == [
        {"id": "ORG-CARRIER9", "name": "Carrier Nine SA", "role": "customer", "@referredType": "Organization"}]
    assert odedelta.to_tmf622(result, 5)["relatedParty"][0]["partyOrPartyRole"]["@referredType"] == "Organization"
    _valid_orders(result)


def test_the_service_documents_carry_the_same_parties(enterprise: odedelta.Catalog) -> None:
    acme = _inventory(enterprise, "enterprise-acme.json")
    result = odedelta.Engine(enterprise).change(
        acme, odedelta.ChangeOffer(product="P-ACME-MPLS", to="enterprise_mpls_platinum_offering"), as_of=AS_OF)
    cart = service_documents.shopping_cart(result, 4, "c-1", "/cart/c-1", None, AS_OF, AS_OF)
    assert [(p["name"], p["@referredType"]) for p in cart["relatedParty"]] == [
        ("ACME Corp", "Organization"), ("NetResell Ltd", "Organization")]
    quote = service_documents.quote(result, None, [], "q-1", "/quote/q-1", "ORG-ACME", AS_OF, AS_OF)
    assert quote["relatedParty"][0] == {"id": "ORG-ACME", "name": "ACME Corp", "role": "customer",
                                        "@referredType": "Organization"}


# --------------------------------------------------------------- 5. candidates from the catalog's structure


def test_a_fibre_100_customer_qualifies_for_fibre_900_pro_with_its_price_difference(
        retail: odedelta.Catalog) -> None:
    fibre = _inventory(retail, "retail-fibre100.json")
    answer = odedelta.Engine(retail).qualify(fibre, "P-FIB-100", as_of=AS_OF)
    assert [(c.offering_id, c.qualified, str(c.difference)) for c in answer.candidates] == [
        ("bb-mobile-bundle", True, "13.00 GBP"), ("fibre-900-pro", True, "11.00 GBP")]
    text = odedelta.explain_qualification(answer)
    assert "  - fibre-900-pro — 38.00 GBP/month (+11.00 GBP)" in text


@pytest.mark.parametrize(("version", "path", "key"), [
    (4, "/tmf-api/productOfferingQualification/v4/productOfferingQualification", "productOfferingQualificationItem"),
    (5, "/tmf-api/productOfferingQualification/v5/checkProductOfferingQualification",
     "checkProductOfferingQualificationItem"),
])
def test_the_service_qualification_lists_the_same_candidates(built: dict[str, Path], version: int, path: str,
                                                             key: str) -> None:
    client = TestClient(create_app(built["retail_and_wholesale"], None, INVENTORIES / "retail-fibre100.json",
                                   clock=lambda: AS_OF))
    response = client.post(path, params={"asOf": "2026-06-01T00:00:00Z"},
                           json={key: [{"product": {"id": "P-FIB-100"}}]})
    assert response.status_code == 201, response.text
    items = response.json()[key]
    assert [i["productOffering"]["id"] for i in items] == ["bb-mobile-bundle", "fibre-900-pro"]


def test_a_pay_as_you_go_customer_sees_the_plans_of_its_category(retail: odedelta.Catalog) -> None:
    payg = _inventory(retail, "retail-payg.json")
    answer = odedelta.Engine(retail).qualify(payg, "P-PAYG-7", as_of=AS_OF)
    assert [(c.offering_id, str(c.recurring_after)) for c in answer.candidates] == [
        ("unlimited-lite", "18.00 GBP"), ("unlimited-max", "28.00 GBP")]


def test_no_candidates_is_said_in_words(built: dict[str, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "retail"
    shutil.copytree(built["retail_and_wholesale"], copy)
    offerings = json.loads((copy / "productOffering.json").read_text())
    for offering in offerings:
        if offering["id"] == "payg-starter":
            offering.pop("category")
    (copy / "productOffering.json").write_text(json.dumps(offerings))
    assert main(["qualify", "--catalog", str(copy), "--inventory", str(INVENTORIES / "retail-payg.json"),
                 "--product", "P-PAYG-7", "--as-of", "2026-06-01T00:00:00Z"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == (
        "No candidates: nothing in the catalog or the rules offers payg-starter a change — no "
        "productOfferingRelationship, successor, migration rule, other offering in its categories or eligibility "
        "rule names one.")


def test_offering_relationships_and_migration_rules_give_candidates(built: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "retail"
    shutil.copytree(built["retail_and_wholesale"], copy)
    offerings = json.loads((copy / "productOffering.json").read_text())
    for offering in offerings:
        if offering["id"] == "payg-starter":
            offering.pop("category")
            offering["productOfferingRelationship"] = [{"id": "unlimited-lite", "relationshipType": "upgrade"}]
    (copy / "productOffering.json").write_text(json.dumps(offerings))
    (copy / "rules").mkdir()
    (copy / "rules" / "migration.yaml").write_text(
        "rules:\n  - id: payg-to-sim-plan\n    kind: migration\n"
        "    description: A PAYG line becomes a SIM plan\n    then:\n"
        "      from: {specification: specPayAsYouGo}\n      to: {offering: unlimited-max}\n")
    catalog = odedelta.load_catalog(copy)
    payg = _inventory(catalog, "retail-payg.json")
    assert [c.offering_id for c in odedelta.Engine(catalog).qualify(payg, "P-PAYG-7", as_of=AS_OF).candidates] == [
        "unlimited-lite"]
    engine = odedelta.Engine(catalog, odedelta.load_rules(copy / "rules", catalog))
    assert [c.offering_id for c in engine.qualify(payg, "P-PAYG-7", as_of=AS_OF).candidates] == [
        "unlimited-lite", "unlimited-max"]


# ------------------------------------------------------------------- every order of the ODA catalogs


def test_every_change_of_the_oda_catalogs_gives_valid_orders(retail: odedelta.Catalog, enterprise: odedelta.Catalog,
                                                             wholesale: odedelta.Catalog) -> None:
    checked = 0
    for catalog, inventory_file in ((retail, "retail-fibre100.json"), (retail, "retail-payg.json"),
                                    (enterprise, "enterprise-acme.json"), (wholesale, "wholesale-carrier.json")):
        inventory = _inventory(catalog, inventory_file)
        engine = odedelta.Engine(catalog)
        changes: list[odedelta.Request] = [odedelta.Acquire(offering=o) for o in sorted(catalog.offerings)]
        for product in inventory.roots():
            changes += [odedelta.ChangeOffer(product=product, to=c.offering_id)
                        for c in engine.qualify(inventory, product, as_of=AS_OF).candidates if c.qualified]
            changes.append(odedelta.TerminateProduct(product=product))
        for request in changes:
            result = engine.evaluate(inventory, request, as_of=AS_OF)
            assert not isinstance(result, odedelta.Refusal), (inventory_file, request, result)
            _valid_orders(result)
            checked += 1
    assert checked >= 40
