"""What the reseller pays its supplier: the wholesale prices of an offering.

A partner offering's retail price (what the customer pays, in the offering's ``productOfferingPrice``) names the
supplier's price beside it: a ``popRelationship`` of type ``wholesale`` to a ``ProductOfferingPrice`` of its own.
The wholesale price is never part of the customer's bill; only settlement and partner orders read it.
"""

from __future__ import annotations

from datetime import datetime

from odedelta.partners._core import Catalog, PriceLine, price_line

WHOLESALE = "wholesale"


def wholesale_of(catalog: Catalog, pop_id: str) -> str | None:
    """The wholesale price related to the retail price ``pop_id``, if any."""
    pop = catalog.prices.get(pop_id)
    for rel in pop.pop_relationship if pop else []:
        if (rel.relationship_type or "").strip().lower() == WHOLESALE and rel.id in catalog.prices:
            return rel.id
    return None


def wholesale_prices(catalog: Catalog, offering_id: str, as_of: datetime) -> list[PriceLine]:
    """The offering's wholesale prices valid at ``as_of``: recurring per month, one-time as they are."""
    lines = []
    for retail_id in catalog.graph.prices_of(offering_id):
        pop_id = wholesale_of(catalog, retail_id)
        if pop_id is None:
            continue
        line = price_line(pop_id, catalog.prices[pop_id], as_of)
        if line is not None:
            lines.append(line)
    return lines
