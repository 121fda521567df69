"""What a change costs, as values: promotion changes, one-time charges (catalog one-time prices, fees, penalties,
proration), recommendations, when the change takes effect, and the consequences that sum them.

All arithmetic is ``Decimal`` with the currency (:class:`~odedelta.model.money.Money`); amounts are exact until a
line is shown or emitted, where each line is rounded once (half-even, to the currency's minor unit) and totals are
the sums of the rounded lines — so a total always equals the sum of the lines a customer reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from odedelta.model.attribution import Attribution
from odedelta.model.money import Money, total
from odedelta.money.bill import Bill


@dataclass(frozen=True)
class PromotionChange:
    promotion_id: str
    name: str
    status: str  # kept, lost, gained
    before: Money | None  # monthly discount it gives before the change
    after: Money | None


@dataclass(frozen=True)
class Charge:
    """A one-time amount due with the change: a catalog one-time price of an added product, a fee or a penalty."""

    kind: str  # oneTime, fee, penalty
    name: str
    amount: Money
    product_id: str | None
    source: str
    explanation: str = ""


_new = object.__new__


def charge(kind: str, name: str, amount: Money, product_id: str | None, source: str, explanation: str = "") -> Charge:
    """``Charge(kind, name, amount, product_id, source, explanation)``, made without its frozen ``__init__``'s
    attribute-by-attribute writes (half the cost: a change makes one per fee and penalty); the same value."""
    made: Charge = _new(Charge)
    made.__dict__.update(kind=kind, name=name, amount=amount, product_id=product_id, source=source,
                         explanation=explanation)
    return made


@dataclass(frozen=True)
class Recommendation:
    offering_id: str
    parent_id: str | None
    message: str
    price: Money | None
    rule_id: str


@dataclass(frozen=True)
class Timing:
    """When the change takes effect, and why: ``policy`` immediate, next_bill_cycle or end_of_term; ``reengage``:
    the commitment restarts at ``effective``."""

    policy: str
    effective: datetime
    reengage: bool
    source: str
    period: tuple[datetime, datetime] | None = None
    """The billing period the change falls in (immediate changes are prorated over it)."""


@dataclass(frozen=True, slots=True)
class Consequences:
    """What a change costs, as a value: the bills before → after, the products each side counts, the promotion
    changes, the one-time charges, the recommendations and when the change takes effect."""

    currency: str
    before: Bill
    after: Bill
    before_ids: list[str]
    after_ids: list[str]
    promotions: list[PromotionChange] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    timing: Timing | None = None
    unpriced: str | None = None
    """Set when no price of the change has a currency: says so (the amounts are zeros in the catalog's currency,
    or in ``XXX``)."""
    _recurring: tuple[Money, Money] | None = field(default=None, init=False, repr=False, compare=False)
    """The two monthly totals once read (a report or a campaign row reads each several times)."""

    def _sum(self, amounts: Iterable[Money]) -> Money:
        return total((a.rounded() for a in amounts), self.currency)

    def _totals(self) -> tuple[Money, Money]:
        totals = self._recurring
        if totals is None:
            totals = (self._sum(self.before.net(self.before_ids)), self._sum(self.after.net(self.after_ids)))
            object.__setattr__(self, "_recurring", totals)  # derived from the frozen fields: the same value
        return totals

    @property
    def recurring_before(self) -> Money:
        return self._totals()[0]

    @property
    def recurring_after(self) -> Money:
        return self._totals()[1]

    @property
    def recurring_difference(self) -> Money:
        return self.recurring_after - self.recurring_before

    def charges_of(self, kind: str) -> list[Charge]:
        return [c for c in self.charges if c.kind == kind]

    @property
    def one_time_total(self) -> Money:
        """Everything due once with the change except penalties and proration: one-time prices of added products
        and fees."""
        return self._sum(c.amount for c in self.charges if c.kind in ("oneTime", "fee"))

    @property
    def proration_total(self) -> Money:
        """Credit for the unused part of the old prices and charge for the new ones until the next bill date."""
        return self._sum(c.amount for c in self.charges if c.kind == "proration")

    @property
    def penalty_total(self) -> Money:
        return self._sum(c.amount for c in self.charges_of("penalty"))

    @property
    def due_now(self) -> Money:
        return self.one_time_total + self.penalty_total + self.proration_total

    @property
    def attributions(self) -> list[Attribution]:
        """Inventory price alterations read as the record of a promotion (counted once, as the promotion), before
        and after the change, each once."""
        seen: dict[tuple[str, str], Attribution] = {}
        for attribution in self.before.attributions + self.after.attributions:
            seen.setdefault((attribution.product_id, attribution.source), attribution)
        return list(seen.values())

    def promotion_ids(self, status: str) -> list[str]:
        return [p.promotion_id for p in self.promotions if p.status == status]
