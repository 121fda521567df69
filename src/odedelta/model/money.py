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
    """The minor unit ``currency`` is rounded to (the hot paths look the table up first, without this call)."""
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
        """Zero in ``currency``: one shared value per ISO 4217 currency, made at import (Money is frozen; a bill
        asks for many); a new one for any other code."""
        found = _ZEROS.get(currency)
        return found if found is not None else _made(_ZERO, currency)

    def _check(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot combine {self} with {other}: currencies {self.currency} and {other.currency} differ"
            )

    def __add__(self, other: Money) -> Money:
        if self.currency != other.currency:
            self._check(other)
        return _made(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if self.currency != other.currency:
            self._check(other)
        return _made(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by a Decimal or an int, never a float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return _made(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def rounded(self) -> Money:
        currency = self.currency
        return _made(self.amount.quantize(_QUANTA.get(currency) or _quantum(currency), ROUNDING), currency)

    def __str__(self) -> str:
        return shown(self.amount, self.currency)


_new = object.__new__
_set_amount, _set_currency = (getattr(Money, name).__set__ for name in ("amount", "currency"))
_ZERO = Decimal(0)


def _made(amount: Decimal, currency: str) -> Money:
    """``Money(amount, currency)`` for an amount that is a Decimal already (the sum, difference, negation or
    rounding of Money amounts), made by setting its two slots as the frozen ``__init__`` does, without the check
    (half the cost: a change adds and rounds many amounts). The same value."""
    money: Money = _new(Money)
    _set_amount(money, amount)
    _set_currency(money, currency)
    return money


_ZEROS: dict[str, Money] = {code: _made(_ZERO, code) for code in MINOR_UNITS}
"""Zero in each ISO 4217 currency (:meth:`Money.zero`), a constant table."""


def rounded(amount: Decimal, currency: str) -> Money:
    """``Money(amount, currency).rounded()`` without the unrounded Money in between."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"Money amount must be a Decimal, got {type(amount).__name__}")
    return _made(amount.quantize(_QUANTA.get(currency) or _quantum(currency), ROUNDING), currency)


def shown(amount: Decimal, currency: str) -> str:
    """``str(Money(amount, currency))`` — the amount rounded to the currency's minor unit, then the code — without
    making the Money (an explanation shows several amounts of one currency). A rounded amount is written by
    ``str`` (what formatting it gives, at a third of the cost: a rounded amount never needs an exponent); the
    rounding mode is passed by position (by keyword, quantize costs twice as much)."""
    return f"{amount.quantize(_QUANTA.get(currency) or _quantum(currency), ROUNDING)!s} {currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum ``amounts`` (all in ``currency``); an empty sum is zero in that currency. The amounts are added as
    Decimals from zero, in order (what adding each Money to ``Money.zero(currency)`` gives), and one Money is made;
    an amount in another currency is the error that addition raises, naming the sum so far."""
    result = _ZERO
    for amount in amounts:
        if amount.currency != currency:
            _made(result, currency)._check(amount)
        result = result + amount.amount
    return _made(result, currency) if result is not _ZERO else Money.zero(currency)
