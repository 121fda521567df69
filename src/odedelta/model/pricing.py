"""Catalog prices of an offering at a moment: recurring charges normalised to a month, one-time charges.

Amounts stay exact (``Decimal``); a POP's ``price`` is read as the tax-included amount, the figure a consumer
catalog shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from odedelta.model.attribution import Attribution
from odedelta.model.catalog import Catalog
from odedelta.model.money import Money
from odedelta.model.records import ProductOfferingPrice
from odedelta.model.tmf import in_period

RECURRING, ONE_TIME = "recurring", "oneTime"
ZERO = Decimal(0)
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
    return list(catalog.remembered(("prices", offering_id, catalog.epoch(as_of)),
                                   lambda: tuple(_prices(catalog, offering_id, as_of))))


def _prices(catalog: Catalog, offering_id: str, as_of: datetime) -> list[PriceLine]:
    lines = (price_line(pop_id, catalog.prices[pop_id], as_of) for pop_id in catalog.graph.prices_of(offering_id))
    return [line for line in lines if line is not None]


def price_line(pop_id: str, pop: ProductOfferingPrice, as_of: datetime) -> PriceLine | None:
    """A POP as a charge at ``as_of`` (a recurring one per month); None when it is not a recurring or one-time
    price, has no amount, is not valid then, or recurs over a period that is not month- or year-based."""
    kind = price_type(pop)
    amount = pop.price.money() if pop.price else None
    if kind is None or amount is None or not in_period(pop.valid_for, as_of):
        return None
    if kind == RECURRING:
        amount = monthly(pop, amount)
        if amount is None:
            return None
    return PriceLine(pop_id, pop.name or pop_id, kind, amount)


@dataclass(frozen=True)
class Base:
    """A monthly price before discounts: tax-included ``amount`` (duty-free when only that is known), where it
    comes from (``basis``), the duty-free amount when given, and the catalog price it is an instance of."""

    amount: Money | None
    basis: str
    duty_free: Money | None = None
    pop_id: str | None = None
    alterations: tuple[tuple[str, str, str], ...] = ()
    """Standing reductions of this price: ``(source, name, value)`` with value ``"20%"`` or ``"3.00"`` — catalog
    discount POPs related to the price (``popRelationship``), and inventory ``productPriceAlteration``s that no
    catalog promotion accounts for (a goodwill discount)."""
    attributions: tuple[Attribution, ...] = ()
    """Inventory alterations left to the catalog promotion they record (:mod:`odedelta.model.attribution`)."""
    _undiscounted: tuple[Money, Money] | None = field(default=None, init=False, repr=False, compare=False)

    def undiscounted(self) -> tuple[Money, Money] | None:
        """``(discount total, net)`` of this price with no discount on it — zero, and the amount less zero (what a
        bill entry works out) — or None without an amount. Made once per base: a catalog base is one table entry
        shared by every product of its offering, and every bill entry would otherwise make both again."""
        if self.amount is None:
            return None
        if self._undiscounted is None:  # a cache of derived values: the record itself is unchanged
            currency = self.amount.currency
            sums = (Money(ZERO, currency), Money(self.amount.amount - ZERO, currency))
            object.__setattr__(self, "_undiscounted", sums)
        return self._undiscounted


def catalog_base(catalog: Catalog, offering_id: str, as_of: datetime) -> Base:
    return catalog.remembered(("base", offering_id, catalog.epoch(as_of)),
                              lambda: _catalog_base(catalog, offering_id, as_of))


def _catalog_base(catalog: Catalog, offering_id: str, as_of: datetime) -> Base:
    lines = [line for line in catalog_prices(catalog, offering_id, as_of) if line.kind == RECURRING]
    if not lines:
        return Base(None, f"catalog:{offering_id}")
    amount = lines[0].amount
    for line in lines[1:]:
        amount = amount + line.amount
    alterations = tuple(
        (f"catalog:{related.id}", related.name or related.id, _reduction(related))
        for line in lines
        for rel in catalog.prices[line.pop_id].pop_relationship
        if (related := catalog.prices.get(rel.id or "")) is not None
        and (related.price_type or "").lower() in ("discount", "allowance")
        and in_period(related.valid_for, as_of)
        and (related.percentage is not None or (related.price is not None and related.price.value is not None))
    )
    return Base(amount, "catalog:" + ",".join(line.pop_id for line in lines), None,
                lines[0].pop_id if len(lines) == 1 else None, alterations)


def _reduction(pop: ProductOfferingPrice) -> str:
    """A discount POP's reduction: ``"20%"`` from its percentage, else its amount (the caller keeps only POPs
    with one of the two)."""
    if pop.percentage is not None:
        return f"{pop.percentage}%"
    assert pop.price is not None
    return str(pop.price.value)


NO_CURRENCY = "XXX"
"""ISO 4217's code for "no currency involved": the currency of a change where no price of any kind is known."""


def offering_currencies(catalog: Catalog, offering_ids: Iterable[str], as_of: datetime) -> dict[str, str]:
    """Currency → the first price that shows it, over every price of the offerings valid at ``as_of`` — of any
    type (one-time, usage, recurring, discount), so a plan with only a one-time or a per-minute price still has
    its currency."""
    seen: dict[str, str] = {}
    for offering_id in offering_ids:
        for pop_id in catalog.graph.prices_of(offering_id):
            pop = catalog.prices[pop_id]
            if pop.price is not None and pop.price.unit and in_period(pop.valid_for, as_of):
                seen.setdefault(pop.price.unit, f"{pop.price.value} {pop.price.unit} ({pop_id}, {offering_id})")
    return seen


def catalog_currency(catalog: Catalog) -> str | None:
    """The catalog's currency: the one currency all its prices are in (None when they use several, or none)."""
    units = {pop.price.unit for pop in catalog.prices.values() if pop.price is not None and pop.price.unit}
    return units.pop() if len(units) == 1 else None


def usage_prices(catalog: Catalog, offering_id: str, as_of: datetime) -> list[PriceLine]:
    """The offering's per-use prices valid at ``as_of`` (``priceType`` usage): charged per use, so in no monthly or
    one-time total, but part of what the customer is told."""
    out = []
    for pop_id in catalog.graph.prices_of(offering_id):
        pop = catalog.prices[pop_id]
        amount = pop.price.money() if pop.price else None
        if (pop.price_type or "").strip().lower() == "usage" and amount is not None and in_period(pop.valid_for,
                                                                                                  as_of):
            out.append(PriceLine(pop_id, pop.name or pop_id, "usage", amount))
    return out
