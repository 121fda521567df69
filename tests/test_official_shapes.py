"""The demo catalog and inventories are official TMF documents: they validate against the official schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from odedelta.outputs import _tmfschema

from .conftest import DEMO, TEST_SPECS


@cache
def _spec(name: str) -> _tmfschema.CompiledSpec:
    return _tmfschema.compile_spec(TEST_SPECS / name)


@pytest.mark.parametrize(
    ("file", "spec", "schema"),
    [
        ("productOffering.json", "TMF620-ProductCatalog-v4.0.0.swagger.json", "ProductOffering"),
        ("productSpecification.json", "TMF620-ProductCatalog-v4.0.0.swagger.json", "ProductSpecification"),
        ("productOfferingPrice.json", "TMF620-ProductCatalog-v4.0.0.swagger.json", "ProductOfferingPrice"),
        ("category.json", "TMF620-ProductCatalog-v4.0.0.swagger.json", "Category"),
        ("promotion.json", "TMF671-Promotion-v4.0.0.swagger.json", "Promotion"),
    ],
)
def test_demo_catalog_files_are_valid_tmf(file: str, spec: str, schema: str) -> None:
    report = _tmfschema.validate_document(_spec(spec), schema, json.loads((DEMO / file).read_text()))
    assert report.errors == []


@pytest.mark.parametrize("inventory", sorted(p.name for p in (DEMO / "inventories").glob("*.json")))
def test_demo_inventories_are_valid_tmf637(inventory: str) -> None:
    doc = json.loads((DEMO / "inventories" / inventory).read_text())
    report = _tmfschema.validate_document(_spec("TMF637-ProductInventory-v4.0.0.swagger.json"), "Product", doc)
    assert report.errors == []


def test_spec_files_shipped_with_the_package_are_present() -> None:
    from odedelta.outputs.schemas import SPEC_DIR, SPECS

    assert sorted(p.name for p in Path(SPEC_DIR).glob("TMF*")) == sorted(SPECS.values())
