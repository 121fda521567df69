"""Money: a ``Decimal`` amount with its currency. Never a float; never two currencies in one sum.

Rounding: amounts are kept exact while they are computed; :meth:`Money.rounded` rounds to the currency's minor
unit with ``ROUND_HALF_EVEN`` (banker's rounding, as ISO 4217 billing systems do), and that happens once per line, at
the point where a line is shown or emitted. The minor units (exponents) come from the ISO 4217 list as the
``iso4217`` package ships it (kept in step with the maintenance agency's amendments); a code the list does not know,
or one without a minor unit (gold, SDR: "N.A."), is rounded to two places.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from iso4217 import Currency

from odedelta.model.errors import CurrencyMismatch

MINOR_UNITS: dict[str, int] = {c.code: c.exponent for c in Currency if c.exponent is not None}
"""ISO 4217 code → number of decimals of its minor unit (CLP 0, EUR 2, KWD 3, CLF 4…), from the ``iso4217`` package."""
DEFAULT_MINOR_UNITS = 2
ROUNDING = ROUND_HALF_EVEN


def minor_units(currency: str) -> int:
    """The decimals a ``currency`` amount is rounded to: its ISO 4217 exponent, else two."""
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


_QUANTA: dict[str, Decimal] = {code: Decimal(1).scaleb(-places) for code, places in MINOR_UNITS.items()}
"""The minor unit of each ISO 4217 currency as a Decimal (``EUR`` → ``0.01``), what an amount is quantized to: read
from a table (a line is rounded each time it is shown), not worked out again."""
_DEFAULT_QUANTUM = Decimal(1).scaleb(-DEFAULT_MINOR_UNITS)


def _quantum(currency: str) -> Decimal:
    found = _QUANTA.get(currency)
    return found if found is not None else _QUANTA.get(currency.upper(), _DEFAULT_QUANTUM)


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
        return Money(self.amount.quantize(_quantum(self.currency), rounding=ROUNDING), self.currency)

    def __str__(self) -> str:
        return shown(self.amount, self.currency)


def shown(amount: Decimal, currency: str) -> str:
    """``str(Money(amount, currency))`` — the amount rounded to the currency's minor unit, then the code — without
    making the Money (an explanation shows several amounts of one currency)."""
    return f"{amount.quantize(_quantum(currency), rounding=ROUNDING)} {currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum ``amounts`` (all in ``currency``); an empty sum is zero in that currency."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
