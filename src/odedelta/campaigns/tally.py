"""The campaign in numbers, added up where the rows are made: each worker tallies its partition, the driver adds
the tallies (counts and exact decimal sums do not depend on the order they are added in), so the driver never
walks the rows to count them.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

Row = dict[str, Any]
TOTALS = {"penalties": "penalties", "fees": "fees", "oneTime": "one_time", "proration": "proration",
          "dueNow": "due_now"}
_CENTS = _ZERO = Decimal("0.00")
"""How ``customers.parquet`` holds an amount (``decimal128(18, 2)``): the report's histogram keys are spelled so;
and the zero every sum starts from (a Decimal is immutable: one serves every sum)."""
_TOTALS = tuple(TOTALS.items())


class Tally:
    """Counts by status, refusals by reason, money by currency, promotions lost and gained, order items by action,
    and the monthly change of each changed customer by currency (the report's histogram)."""

    def __init__(self) -> None:
        self.customers = 0
        self.requests = 0
        self.status: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.recurring: dict[str, dict[str, Decimal]] = {}
        self.totals: dict[str, dict[str, Decimal]] = {name: {} for name in TOTALS}
        self.lost: Counter[str] = Counter()
        self.gained: Counter[str] = Counter()
        self.actions: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.monthly: dict[str, Counter[Decimal]] = {}

    @classmethod
    def of(cls, customers: list[Row], items: list[Row]) -> Tally:
        tally = cls()
        for row in customers:
            tally.customer(row)
        tally.actions.update(row["action"] for row in items)
        return tally

    def customer(self, row: Row) -> None:
        self.customers += 1
        status = row["status"]
        self.status[status] += 1
        if row["rules"]:
            self.rules.update(row["rules"])
        if status != "changed":
            if status == "refused":
                self.refused.update(row["reasons"])
            elif status == "error":
                self.errors.update(row["reasons"])
            return
        currency = row["currency"]
        self.requests += row["requests"]
        side = self.recurring.get(currency)
        if side is None:
            side = self.recurring[currency] = {"before": _ZERO, "after": _ZERO}
        side["before"] += row["recurring_before"]
        side["after"] += row["recurring_after"]
        for name, column in _TOTALS:
            sums = self.totals[name]
            sums[currency] = sums.get(currency, _ZERO) + row[column]
        if row["promotions_lost"]:
            self.lost.update(row["promotions_lost"])
        if row["promotions_gained"]:
            self.gained.update(row["promotions_gained"])
        difference = row["recurring_difference"]
        if currency and difference is not None:  # as read back from the Parquet file: two places, no -0.00
            self.monthly.setdefault(currency, Counter())[difference.quantize(_CENTS) + _CENTS] += 1

    def add(self, other: Tally) -> None:
        """Add ``other``'s counts and sums to these."""
        self.customers += other.customers
        self.requests += other.requests
        for mine, theirs in ((self.status, other.status), (self.refused, other.refused),
                             (self.errors, other.errors), (self.lost, other.lost), (self.gained, other.gained),
                             (self.actions, other.actions), (self.rules, other.rules)):
            mine.update(theirs)
        for currency, side in other.recurring.items():
            own = self.recurring.setdefault(currency, {"before": Decimal("0.00"), "after": Decimal("0.00")})
            own["before"] += side["before"]
            own["after"] += side["after"]
        for name, sums in other.totals.items():
            for currency, amount in sums.items():
                self.totals[name][currency] = self.totals[name].get(currency, Decimal("0.00")) + amount
        for currency, counts in other.monthly.items():
            self.monthly.setdefault(currency, Counter()).update(counts)

    def result(self, template: dict[str, Any], as_of: Any) -> dict[str, Any]:
        """summary.json's content; ``template`` as :func:`~odedelta.campaigns.outputs.describe` gives it."""
        recurring = {c: {**self.recurring[c], "difference": self.recurring[c]["after"] - self.recurring[c]["before"]}
                     for c in sorted(self.recurring)}
        return {
            "template": template,
            "asOf": as_of,
            "customers": self.customers,
            "changed": self.status["changed"],
            "unchanged": self.status["unchanged"],
            "refused": {"total": self.status["refused"], "byReason": _sorted(self.refused)},
            "errors": {"total": self.status["error"], "byKind": _sorted(self.errors)},
            "requests": self.requests,
            "recurring": recurring,
            **{name: {c: v[c] for c in sorted(v)} for name, v in self.totals.items()},
            "promotions": {"lost": _sorted(self.lost), "gained": _sorted(self.gained)},
            "actions": _sorted(self.actions),
            "rules": _sorted(self.rules),
        }


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return {key: counter[key] for key in sorted(counter)}
