"""Who supplies an offering, and what the reseller pays its supplier: the wholesale prices of an offering.

An offering is a supplier's when its product specification names one: a ``relatedParty`` with role ``supplier``,
``partner`` or ``provider`` (:func:`supplier_of`); every other offering the reseller fulfils itself.

A partner offering's retail price (what the customer pays, in the offering's ``productOfferingPrice``) names the
supplier's price beside it: a ``popRelationship`` of type ``wholesale`` to a ``ProductOfferingPrice`` of its own.
The wholesale price is never part of the customer's bill; only settlement and partner orders read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from odedelta.model.catalog import Catalog
from odedelta.model.pricing import PriceLine, price_line

WHOLESALE = "wholesale"


@dataclass(frozen=True)
class Supplier:
    """A supplier is its party id: the same id under two names is one supplier."""

    id: str
    name: str = field(compare=False)


def supplier_of(catalog: Catalog, offering_id: str | None) -> Supplier | None:
    """The supplier of the offering (None: the reseller fulfils it itself)."""
    spec = catalog.specification_of(offering_id) if offering_id and offering_id in catalog.offerings else None
    party = spec.supplier if spec else None
    if party is None:
        return None
    pid = party.party_id or party.party_name or ""
    return Supplier(pid, party.party_name or pid)


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
