"""Shared helpers for tests: the demo engine, a fixed moment, every possible change of the demo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import odedelta
from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult
from odedelta.model.errors import RequestError
from odedelta.model.requests import ChangeOffer

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def all_demo_changes(catalog: odedelta.Catalog,
                     inventories: dict[str, odedelta.Inventory]) -> Iterator[tuple[str, ChangeResult]]:
    """Every change of every installed demo product to every offering the engine accepts."""
    engine = Engine(catalog)
    for name, inventory in inventories.items():
        for product_id in inventory.products:
            for offering_id in catalog.offerings:
                try:
                    result = engine.change(inventory, ChangeOffer(product=product_id, to=offering_id), as_of=AS_OF)
                except RequestError:
                    continue
                yield f"{name}:{product_id}→{offering_id}", result
