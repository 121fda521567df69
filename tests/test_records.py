"""The catalog's records: the fast reader gives what pydantic gives, hands pydantic whatever it does not read exactly,
shares what repeats; loading leaves the collector as it was and the catalog frozen."""

from __future__ import annotations

import copy
import gc
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import odedelta
from odedelta.model import records, tmf
from odedelta.model.records import Reader
from odedelta.model.source import read_document
from odedelta.strategies import catalog_documents

from .conftest import DEMO, EXAMPLES

KIND_OF_TYPE = {"ProductOffering": records.ProductOffering, "ProductOfferingPrice": records.ProductOfferingPrice,
                "ProductSpecification": records.ProductSpecification, "Category": records.Category,
                "Promotion": records.Promotion}


def _demo_resources() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for file in sorted(DEMO.glob("*.json")):
        data = read_document(file)
        for item in data if isinstance(data, list) else [data]:
            if item.get("@type") in KIND_OF_TYPE:
                found.append((item["@type"], item))
    return found


def test_the_fast_reader_gives_what_pydantic_gives_for_every_demo_resource() -> None:
    reader, slow = Reader(), Reader()
    resources = _demo_resources()
    assert len(resources) > 100
    for type_name, item in resources:
        record = KIND_OF_TYPE[type_name]
        model = records.MODELS[record].model_validate(item)
        assert reader.read(record, item) == slow.from_model(model), item["id"]
        assert reader.read(record, item).model_dump(mode="json", by_alias=True) == model.model_dump(
            mode="json", by_alias=True)


@pytest.mark.parametrize("name", ["ProductOffering_retrieve_example_response.json",
                                  "ProductOfferingPrice_retrieve_example_response.json",
                                  "ProductSpecification_retrieve_example_response.json"])
def test_official_v5_examples_read_as_records_equal_to_the_models(name: str) -> None:
    item = json.loads((EXAMPLES / "TMF620" / "v5" / name).read_text(), parse_float=Decimal)
    record = KIND_OF_TYPE[item["@type"]]
    model = records.MODELS[record].model_validate(item)
    assert Reader().read(record, item) == Reader().from_model(model)
    assert Reader().read(record, item).model_extra == (model.model_extra or None)


@pytest.mark.parametrize(("change", "read", "expected"), [
    ({"price": {"unit": "EUR", "value": "9.990"}}, lambda r: str(r.price.value), "9.990"),  # a string amount
    ({"price": {"unit": "EUR", "value": 5}}, lambda r: repr(r.price.value), "Decimal('5')"),  # an integer amount
    ({"recurring_charge_period_length": 2}, lambda r: r.recurring_charge_period_length, 2),  # the Python name
    ({"recurringChargePeriodLength": "3"}, lambda r: r.recurring_charge_period_length, 3),  # a number as text
    ({"validFor": {"startDateTime": "2024-01-01T00:00:00"}}, lambda r: r.valid_for.start.isoformat(),
     "2024-01-01T00:00:00+00:00"),  # no zone: UTC
    ({"x-note": ["kept", 1]}, lambda r: r.model_extra, {"x-note": ["kept", 1]}),
])
def test_shapes_the_fast_path_leaves_to_pydantic_read_as_pydantic_reads_them(change: dict[str, Any], read: Any,
                                                                            expected: Any) -> None:
    item = {"id": "pop-1", "priceType": "recurring", "@type": "ProductOfferingPrice", **change}
    fast = Reader().read(records.ProductOfferingPrice, item)
    assert fast == Reader().from_model(tmf.ProductOfferingPrice.model_validate(item))
    assert read(fast) == expected


def test_a_mistake_is_pydantics_error_with_its_full_path() -> None:
    item = {"id": "po-1", "bundledProductOffering": [{"id": "po-2", "bundledProductOfferingOption": {
        "numberRelOfferLowerLimit": True, "numberRelOfferUpperLimit": "many"}}]}
    with pytest.raises(ValidationError) as fast:
        Reader().read(records.ProductOffering, item)
    with pytest.raises(ValidationError) as model:
        tmf.ProductOffering.model_validate(item)
    assert fast.value.errors() == model.value.errors()
    assert fast.value.errors()[0]["loc"] == ("bundledProductOffering", 0, "bundledProductOfferingOption",
                                             "numberRelOfferUpperLimit")


def test_repeated_periods_cardinalities_and_ids_are_one_object() -> None:
    reader = Reader()
    made = [reader.read(records.ProductOffering, {
        "id": f"po-{i}", "validFor": {"startDateTime": "2024-01-01T00:00:00Z"}, "lifecycleStatus": "Active",
        "productSpecification": {"id": "ps-1"}, "category": [{"id": "cat-1"}],
        "bundledProductOffering": [{"id": "po-x", "bundledProductOfferingOption": {"numberRelOfferLowerLimit": 1}}]})
        for i in range(3)]
    first, second, _ = made
    assert first.valid_for is second.valid_for and first.category[0] is second.category[0]
    assert first.bundled_product_offering[0].bundled_product_offering_option is \
        second.bundled_product_offering[0].bundled_product_offering_option
    assert first.lifecycle_status is second.lifecycle_status
    assert first.product_specification is not None and second.product_specification is not None
    assert first.product_specification.id is second.product_specification.id
    one = reader.read(records.BundledOfferingOption, {"numberRelOfferLowerLimit": 1})
    assert reader.read(records.BundledOfferingOption, {"numberRelOfferLowerLimit": True}) is not one  # True is not 1


def test_records_are_immutable(demo: odedelta.Catalog) -> None:
    offering = demo.offerings["po-fiber-500"]
    with pytest.raises(AttributeError):
        offering.name = "changed"  # type: ignore[misc]
    assert isinstance(offering.category, tuple) and isinstance(offering, records.ProductOffering)


def test_loading_freezes_the_catalog_and_leaves_the_collector_as_it_was(tmp_path: Path) -> None:
    frozen = gc.get_freeze_count()
    try:
        assert gc.isenabled()
        catalog = odedelta.load_catalog(DEMO)
        assert gc.isenabled() and gc.get_freeze_count() > frozen
        gc.disable()
        odedelta.load_catalog(DEMO)
        assert not gc.isenabled()  # a caller that had it off gets it back off
    finally:
        gc.enable()
        gc.unfreeze()
    (tmp_path / "productOffering.json").write_text('[{"id": "po-1", "isBundle": "perhaps"}]')
    gc.collect()
    before = gc.get_freeze_count()
    with pytest.raises(odedelta.CatalogError):
        odedelta.load_catalog(tmp_path)
    assert gc.get_freeze_count() == before and gc.isenabled()  # a failed load freezes nothing
    assert catalog.offerings["po-fiber-500"].name


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 3) | st.sampled_from(["", "2", "9.99", "x", "2024-01-01T00:00:00Z"])
    | st.decimals(min_value=-5, max_value=5, places=2) | st.sampled_from([Decimal("Infinity"), Decimal("1E+2")]),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(
        st.sampled_from(["id", "name", "value", "unit", "@type", "startDateTime", "x", 1]), inner, max_size=2),
    max_leaves=4)
KEYS = ["id", "name", "@type", "@baseType", "href", "isBundle", "lifecycleStatus", "validFor", "startDateTime",
        "endDateTime", "price", "unit", "value", "priceType", "recurringChargePeriodLength", "productSpecification",
        "bundledProductOffering", "bundledProductOfferingOption", "numberRelOfferLowerLimit", "category",
        "productOfferingPrice", "productOfferingTerm", "duration", "amount", "prodSpecCharValueUse",
        "productSpecCharacteristicValue", "isDefault", "pattern", "criteriaGroup", "criteria", "actionEntityRef",
        "lifecycle_status", "valid_for", "x-extension"]


def _containers(value: Any) -> list[dict[str, Any]]:
    found = [value] if isinstance(value, dict) else []
    for inner in value.values() if isinstance(value, dict) else value if isinstance(value, list) else []:
        found += _containers(inner)
    return found


def _outcome(read: Any) -> tuple[str, Any]:
    try:
        return "read", read()
    except ValidationError as exc:
        return "refused", exc.errors()


@given(st.data())
def test_property_the_fast_reader_and_pydantic_agree_on_any_resource(data: st.DataObject) -> None:
    documents = data.draw(catalog_documents(max_leaves=3))
    item = copy.deepcopy(data.draw(st.sampled_from([d for d in documents if d.get("@type") in KIND_OF_TYPE])))
    record = KIND_OF_TYPE[item["@type"]]
    for _ in range(data.draw(st.integers(0, 3))):  # a few values changed anywhere: valid or not
        target = data.draw(st.sampled_from(_containers(item)))
        target[data.draw(st.sampled_from(KEYS))] = data.draw(JSON_VALUES)
    expected = _outcome(lambda: Reader().from_model(records.MODELS[record].model_validate(item)))
    assert _outcome(lambda: Reader().read(record, item)) == expected


def test_what_a_record_does_not_keep_of_the_document_is_what_its_docstrings_say() -> None:
    """A record keeps values, not which fields the document wrote (the module's docstring): an explicit null and an
    explicit empty list (where the model's default is one) read as absent. Exactly those differ from the model."""
    document = {"@type": "ProductOffering", "id": "po-x", "name": "X", "isBundle": False, "description": None,
                "category": [], "productOfferingPrice": [], "validFor": {"startDateTime": "2026-01-01T00:00:00Z",
                                                                         "endDateTime": None},
                "productSpecification": {"id": "ps-x", "name": None}, "x-mine": None}
    record, model = Reader().read(records.ProductOffering, document), tmf.ProductOffering.model_validate(document)
    assert record.model_dump() == model.model_dump()
    assert record.model_dump(by_alias=True, mode="json") == model.model_dump(by_alias=True, mode="json")
    assert model.to_tmf() == {**record.to_tmf(), "category": [], "productOfferingPrice": []}
    assert record.to_tmf() == {"@type": "ProductOffering", "id": "po-x", "name": "X", "isBundle": False,
                               "validFor": {"startDateTime": "2026-01-01T00:00:00Z"},
                               "productSpecification": {"id": "ps-x"}}
    unset = model.model_dump(by_alias=True, exclude_unset=True, mode="json")
    assert unset == {**record.model_dump(by_alias=True, exclude_unset=True, mode="json"), "description": None,
                     "category": [], "productOfferingPrice": [], "x-mine": None,
                     "validFor": {"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": None},
                     "productSpecification": {"id": "ps-x", "name": None}}
