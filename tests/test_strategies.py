"""What odedelta.strategies builds is valid: the loaders accept it (a strategy that builds invalid data is a bug)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import odedelta
from odedelta.strategies import build_catalog, catalog_documents, inventory_documents, requests


@given(catalog_documents())
def test_generated_catalogs_load(documents: list[dict[str, Any]]) -> None:
    catalog = build_catalog(documents)
    assert catalog.graph.bundle_cycles() == []
    assert max(catalog.graph.bundle_depth(o) for o in catalog.offerings) >= 1
    assert all(p.price is not None and p.price.unit == "EUR" for p in catalog.prices.values())


@given(st.data())
def test_generated_inventories_load_and_are_instances_of_their_offerings(data: st.DataObject) -> None:
    from odedelta.delta.projection import instance_problems

    catalog = build_catalog(data.draw(catalog_documents()))
    inventory = odedelta.Inventory.from_document(catalog, data.draw(inventory_documents(catalog)))
    for root in inventory.roots():
        assert instance_problems(catalog, inventory, root) == []


@given(st.data())
def test_generated_requests_name_what_exists(data: st.DataObject) -> None:
    catalog = build_catalog(data.draw(catalog_documents()))
    inventory = odedelta.Inventory.from_document(catalog, data.draw(inventory_documents(catalog)))
    request = data.draw(requests(catalog, inventory))
    for field in ("product", "parent"):
        value = getattr(request, field, None)
        assert value is None or value in inventory.products
    for field in ("to", "offering"):
        value = getattr(request, field, None)
        assert value is None or value in catalog.offerings
