"""Money: a ``Decimal`` amount with its currency. Never a float; never two currencies in one sum.

Rounding: amounts are kept exact while they are computed; :meth:`Money.rounded` rounds to the currency's minor
unit (two places unless listed in ``MINOR_UNITS``) with ``ROUND_HALF_EVEN`` (banker's rounding, as ISO 4217 billing
systems do), and that happens once per line, at the point where a line is shown or emitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from odedelta.model.errors import CurrencyMismatch

MINOR_UNITS: dict[str, int] = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "TND": 3}
ROUNDING = ROUND_HALF_EVEN


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amount must be a Decimal, got {type(self.amount).__name__}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _check(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot combine {self} with {other}: currencies {self.currency} and {other.currency} differ"
            )

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by a Decimal or an int, never a float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def rounded(self) -> Money:
        places = MINOR_UNITS.get(self.currency, 2)
        return Money(self.amount.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING), self.currency)

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum ``amounts`` (all in ``currency``); an empty sum is zero in that currency."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
