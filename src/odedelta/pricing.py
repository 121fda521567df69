"""Catalog prices of an offering at a moment: recurring charges normalised to a month, one-time charges.

Amounts stay exact (``Decimal``); a POP's ``price`` is read as the tax-included amount, the figure a consumer
catalog shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .catalog import Catalog
from .money import Money
from .tmf import ProductOfferingPrice, in_period

RECURRING, ONE_TIME = "recurring", "oneTime"
_MONTHS_PER_PERIOD = {"month": Decimal(1), "year": Decimal(12)}


@dataclass(frozen=True)
class PriceLine:
    """One charge of an offering: ``kind`` is ``recurring`` (amount per month) or ``oneTime``."""

    pop_id: str
    name: str
    kind: str
    amount: Money


def price_type(pop: ProductOfferingPrice) -> str | None:
    text = (pop.price_type or "").replace(" ", "").replace("-", "").lower()
    return {"recurring": RECURRING, "onetime": ONE_TIME}.get(text)


def monthly(pop: ProductOfferingPrice, amount: Money) -> Money | None:
    """A recurring amount per month; None when the period is not month- or year-based."""
    unit = (pop.recurring_charge_period_type or "month").strip().lower().removesuffix("s").removesuffix("ly")
    unit = {"annual": "year", "year": "year", "month": "month"}.get(unit, unit)
    months = _MONTHS_PER_PERIOD.get(unit)
    if months is None:
        return None
    length = Decimal(pop.recurring_charge_period_length or 1)
    return Money(amount.amount / (months * length), amount.currency)


def catalog_prices(catalog: Catalog, offering_id: str, as_of: datetime) -> list[PriceLine]:
    """The recurring (per month) and one-time prices of an offering valid at ``as_of``, in catalog order."""
    return list(catalog.remembered(("prices", offering_id, catalog.price_epoch(as_of)),
                                   lambda: tuple(_prices(catalog, offering_id, as_of))))


def _prices(catalog: Catalog, offering_id: str, as_of: datetime) -> list[PriceLine]:
    lines = []
    for pop_id in catalog.graph.prices_of(offering_id):
        pop = catalog.prices[pop_id]
        kind = price_type(pop)
        amount = pop.price.money() if pop.price else None
        if kind is None or amount is None or not in_period(pop.valid_for, as_of):
            continue
        if kind == RECURRING:
            amount = monthly(pop, amount)
            if amount is None:
                continue
        lines.append(PriceLine(pop_id, pop.name or pop_id, kind, amount))
    return lines
