"""Loading catalogs and inventories: the demo, the official examples, exact numbers, and every problem at once."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

import odedelta
from odedelta.model.catalog import Catalog, Document
from odedelta.model.tmf import Product, ProductOffering, ProductOfferingPrice, ProductSpecification

from .conftest import DATA, DEMO, EXAMPLES, ROOT


def test_demo_catalog_counts(demo: odedelta.Catalog) -> None:
    assert demo.counts() == {
        "productOffering": 51,  # 49 of the operator's, 2 imported from StreamCo (catalogs/demo/partner-streamco.json)
        "productSpecification": 23,
        "productOfferingPrice": 58,  # 6 of them StreamCo's retail and wholesale, 2 StreamMax's wholesale
        "category": 8,
        "promotion": 5,
    }


def test_every_demo_inventory_loads(inventories: dict[str, odedelta.Inventory]) -> None:
    sizes = {name: (len(inv.products), inv.roots()) for name, inv in inventories.items()}
    assert sizes == {
        "alice": (9, ["F-1", "A-1"]),
        "bob": (4, ["B-1", "B-4"]),
        "carol": (6, ["C-1", "C-10"]),
        "dave": (6, ["D-1"]),
        "erin": (10, ["E-1"]),
        "frank": (6, ["G-1"]),
    }


def test_nested_products_and_relationships_give_the_same_tree(inventories: dict[str, odedelta.Inventory]) -> None:
    erin = inventories["erin"]  # written with nested TMF637 `product` values
    assert erin.subtree("E-1") == ["E-1", "E-2", "E-3", "E-4", "E-5", "E-6", "E-7", "E-8", "E-9", "E-10"]
    assert erin.parent("E-3") == "E-2"
    alice = inventories["alice"]  # written with productRelationship "bundles"
    assert alice.children("F-1") == ["F-2", "F-3", "F-4", "F-5"]


def test_amounts_are_exact_decimals(demo: odedelta.Catalog) -> None:
    price = demo.prices["pop-mobile-xl"].price
    assert price is not None and price.value == Decimal("100.00") and str(price.value) == "100.00"
    assert demo.prices["pop-static-ip-setup"].price.money() == odedelta.Money(Decimal("15.00"), "EUR")  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ['"9.99"', "9.99", "9.990"])
def test_money_value_as_string_or_number_loads_exactly(text: str) -> None:
    doc = json.loads(
        f'{{"id": "p", "priceType": "oneTime", "price": {{"unit": "EUR", "value": {text}}}}}', parse_float=Decimal
    )
    pop = ProductOfferingPrice.model_validate(doc)
    assert pop.price is not None and pop.price.value == Decimal("9.99")


def test_yaml_twin_of_the_demo_loads_identically(tmp_path: Path, demo: odedelta.Catalog) -> None:
    for src in DEMO.glob("*.json"):
        data = json.loads(src.read_text(), parse_float=Decimal)
        (tmp_path / (src.stem + ".yaml")).write_text(yaml.safe_dump(json.loads(src.read_text()), sort_keys=False))
        assert data  # the JSON is not empty
    twin = odedelta.load_catalog(tmp_path)
    assert twin.counts() == demo.counts()
    assert twin.prices["pop-data-5gb"].price.value == Decimal("5.00")  # type: ignore[union-attr]
    assert twin.offerings["po-fiber-500"].to_tmf() == demo.offerings["po-fiber-500"].to_tmf()


def test_resources_in_kind_folders_and_inline_prices(tmp_path: Path) -> None:
    (tmp_path / "productOffering").mkdir()
    (tmp_path / "productOffering" / "one.json").write_text(json.dumps({
        "id": "po-1", "name": "One",
        "productSpecification": {"id": "ps-1", "name": "Spec", "productSpecCharacteristic": []},
        "productOfferingPrice": [{"id": "pop-1", "priceType": "oneTime", "price": {"unit": "EUR", "value": 5}}],
    }))
    (tmp_path / "inventories").mkdir()
    (tmp_path / "inventories" / "ignored.json").write_text("not a catalog file")
    catalog = odedelta.load_catalog(tmp_path)
    assert sorted(catalog.specifications) == ["ps-1"]
    assert catalog.prices["pop-1"].price.value == 5  # type: ignore[union-attr]
    assert catalog.graph.prices_of("po-1") == ["pop-1"]


# ----------------------------------------------------------------------------------------- official examples


def _example(api: str, name: str) -> object:
    return json.loads((EXAMPLES / api / "v5" / name).read_text(), parse_float=Decimal)


@pytest.mark.parametrize(
    ("model", "api", "name"),
    [
        (ProductOffering, "TMF620", "ProductOffering_retrieve_example_response.json"),
        (ProductOffering, "TMF620", "Product_Offering_Create_example_request.json"),
        (ProductSpecification, "TMF620", "ProductSpecification_retrieve_example_response.json"),
        (ProductOfferingPrice, "TMF620", "ProductOfferingPrice_retrieve_example_response.json"),
        (Product, "TMF637", "RetrieveProduct1_response.json"),
        (Product, "TMF637", "RetrieveProduct2_response.json"),
    ],
)
def test_official_v5_examples_load_and_echo_back_unchanged(model: type, api: str, name: str) -> None:
    doc = _example(api, name)
    loaded = model.model_validate(doc)  # type: ignore[attr-defined]
    assert _normalise_dates(loaded.to_tmf()) == _normalise_dates(doc)


def test_official_example_lists_load_as_catalog_documents() -> None:
    docs = [
        Document("offerings", _example("TMF620", "ProductOffering_list_example_response.json")),
        Document("specs", _example("TMF620", "ProductSpecification_list_example_response.json")),
        Document("prices", _example("TMF620", "ProductOfferingPrice_list_example_response.json")),
    ]
    with pytest.raises(odedelta.CatalogError) as caught:
        Catalog.from_documents(docs)
    # the official examples point at resources they do not include: reported as dangling, nothing else
    assert caught.value.problems
    assert all("unknown" in p.message for p in caught.value.problems)


def test_official_v5_product_list_loads_as_an_inventory_of_products() -> None:
    products = _example("TMF637", "RetrieveProductByList_response.json")
    assert isinstance(products, list)
    models = [Product.model_validate(p) for p in products]
    assert [m.id for m in models] == [p["id"] for p in products]  # type: ignore[index]


def test_v5_spellings_are_understood() -> None:
    spec = ProductSpecification.model_validate({
        "id": "ps", "relatedParty": [{"role": "supplier", "partyOrPartyRole": {"id": "org-b", "name": "B"}}],
        "productSpecCharacteristic": [{"name": "speed",
                                       "characteristicValueSpecification": [{"value": 100, "isDefault": True}]}],
    })
    assert spec.supplier is not None and spec.supplier.party_id == "org-b"
    assert [v.value for v in spec.product_spec_characteristic[0].values] == [100]
    product = Product.model_validate({"id": "p", "productRelationship": [{"relationshipType": "bundles", "id": "c"}]})
    assert product.product_relationship[0].target_id == "c"


def _normalise_dates(doc: object) -> object:
    """Date-times compared as instants: known date fields are written back in UTC with Z (the only change)."""
    from datetime import datetime

    from odedelta.model.jsonio import iso

    if isinstance(doc, dict):
        out = {}
        for key, value in doc.items():
            if isinstance(value, str) and key in {"startDateTime", "endDateTime", "startDate", "terminationDate"}:
                value = iso(datetime.fromisoformat(value.replace("Z", "+00:00")))
            out[key] = _normalise_dates(value)
        return out
    if isinstance(doc, list):
        return [_normalise_dates(v) for v in doc]
    return doc


# ----------------------------------------------------------------------------------------- problems, all at once

BROKEN = DATA / "broken_catalog"


def test_a_dozen_planted_mistakes_are_all_reported_with_file_and_path() -> None:
    with pytest.raises(odedelta.CatalogError) as caught:
        odedelta.load_catalog(BROKEN)
    found = {(Path(p.file).name, p.path, p.line) for p in caught.value.problems}
    b = "$[0].bundledProductOffering"
    assert found == {
        ("broken.json", "$", 3),
        ("extra.json", "$", 1),
        ("productOffering.json", f"{b}[0].bundledProductOfferingOption", 8),
        ("productOffering.json", f"{b}[1].bundledProductOfferingOption.numberRelOfferDefault", 9),
        ("productOffering.json", "$[0].productSpecification.id", 6),
        ("productOffering.json", "$[1].isBundle", 17),
        ("productOffering.json", "$[1].prodSpecCharValueUse[0].name", 21),
        ("productOffering.json", "$[1].prodSpecCharValueUse[1].productSpecCharacteristicValue[0].value", 22),
        ("productOffering.json", "$[3].bundledProductOffering", 26),
        ("productOffering.json", "$[5].id", 28),
        ("productOfferingPrice.yaml", "$[0].price.unit", 5),
        ("productOfferingPrice.yaml", "$[1].price.unit", 10),
        # a recurring price without recurringChargePeriodType ($[1]) is valid TMF620: a warning, not an error
        ("productSpecification.json", "$[0].productSpecCharacteristic[0]", 6),
        ("productSpecification.json", "$[2].id", 17),
        ("promotion.json", "$[0].pattern[0].action[0].actionEntityRef.id", 8),
        ("promotion.json", "$[0].pattern[0].criteriaGroup[0].criteria[0].criteriaValue", 7),
    }
    messages = "\n".join(p.message for p in caught.value.problems)
    for expected in [
        "invalid JSON: Expecting ',' delimiter",
        "@type is 'Widget'",
        "offering 'po-bundle', bundled offering 'po-access': numberRelOfferLowerLimit 2 > numberRelOfferUpperLimit 1",
        "offering 'po-bundle', bundled offering 'po-router': numberRelOfferDefault 3 is outside the limits 0..1",
        "unknown productSpecification 'ps-acess' — did you mean 'ps-access'?",
        "no characteristic 'sped' — did you mean 'speed'?",
        "value '250' of 'speed' is not allowed by specification 'ps-access' (allowed: 100, 300)",
        "bundle cycle: po-loop-a → po-loop-b → po-loop-a",
        "lacks required field 'id'",
        "price 30.00 has no currency",
        "currency 'euro' is not an ISO 4217 code",
        "has 2 default values",
        "duplicate productSpecification id 'ps-router'",
        "unknown productOffering 'po-rooter' — did you mean 'po-router'?",
        "criterion names unknown productOffering 'po-bundel' — did you mean 'po-bundle'?",
    ]:
        assert expected in messages


def test_malformed_yaml_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "productOffering.yaml").write_text("- id: po-1\n  name: [unclosed\n- id: po-2\n")
    with pytest.raises(odedelta.LoadError) as caught:
        odedelta.load_catalog(tmp_path)
    (problem,) = caught.value.problems
    assert problem.file.endswith("productOffering.yaml") and problem.line == 3 and problem.column == 5
    assert problem.message.startswith("invalid YAML")


def test_missing_catalog_directory_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(odedelta.LoadError, match="no such catalog directory"):
        odedelta.load_catalog(tmp_path / "nowhere")


def test_inventory_problems_are_all_reported(tmp_path: Path, demo: odedelta.Catalog) -> None:
    broken = json.loads((DEMO / "inventories" / "alice.json").read_text())
    broken[0]["productOffering"]["id"] = "po-fiber-5000"  # unknown offering
    broken[1]["productCharacteristic"][0]["value"] = 250  # not allowed by po-fiber-access-500
    broken[2]["productCharacteristic"].append({"name": "colour", "value": "red"})  # unknown characteristic
    broken[5]["productRelationship"].append({"relationshipType": "bundles", "product": {"id": "A-44"}})
    broken.append(dict(broken[8]))  # duplicate id A-4
    path = tmp_path / "alice.json"
    path.write_text(json.dumps(broken, indent=2))
    with pytest.raises(odedelta.InventoryError) as caught:
        odedelta.load_inventory(path, demo)
    found = sorted((p.path, p.message) for p in caught.value.problems)
    assert found == [
        ("$[0].productOffering.id", "unknown productOffering 'po-fiber-5000' — did you mean 'po-fiber-500'?"),
        ("$[1].productCharacteristic[0].value", "value '250' of 'downloadSpeed' is not allowed (allowed: 500)"),
        ("$[2].productCharacteristic[2].name",
         "specification 'ps-router' has no characteristic 'colour'"),
        ("$[5].productRelationship[3]", "relationship to unknown product 'A-44' — did you mean 'A-4'?"),
        ("$[9].id", "duplicate product id 'A-4' (first at $[8] in " + str(path) + ")"),
    ]
    assert all(p.line is not None for p in caught.value.problems)


def test_copy_of_demo_with_one_bad_reference_reports_only_it(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    offerings = json.loads((target / "productOffering.json").read_text())
    offerings[0]["productOfferingPrice"][0]["id"] = "pop-mobile-lien-activation"
    (target / "productOffering.json").write_text(json.dumps(offerings, indent=2))
    with pytest.raises(odedelta.CatalogError) as caught:
        odedelta.load_catalog(target)
    assert [str(p).split(": ", 1)[1] for p in caught.value.problems] == [
        "unknown productOfferingPrice 'pop-mobile-lien-activation' — did you mean 'pop-mobile-line-activation'? "
        "@ $[0].productOfferingPrice[0].id"
    ]


def test_an_unreadable_file_does_not_bury_itself_under_the_unknown_references_it_causes(tmp_path: Path) -> None:
    """A missing comma in productOffering.json made every promotion naming an offering an "unknown productOffering"
    problem (13 on the demo); they are one line after the syntax error, and a typo with a close id is still listed."""
    catalog = tmp_path / "demo"
    shutil.copytree(ROOT / "catalogs" / "demo", catalog)
    offerings = catalog / "productOffering.json"
    text = offerings.read_text(encoding="utf-8")
    cut = text.index("},\n", 2000) + 1
    offerings.write_text(text[:cut] + text[cut + 1:], encoding="utf-8")
    with pytest.raises(odedelta.LoadError) as caught:
        odedelta.load_catalog(catalog)
    assert [(Path(p.file).name, p.message) for p in caught.value.problems] == [
        ("demo", "13 reference(s) to unknown ids not listed: they may be defined in what cannot be read "
                 "(productOffering.json); fix that first"),
        ("productOffering.json", "invalid JSON: Expecting ',' delimiter"),
    ]
