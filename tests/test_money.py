from decimal import Decimal

import pytest

from odedelta import CurrencyMismatch, Money
from odedelta.model.money import total


def test_sums_exactly_in_decimal() -> None:
    assert Money(Decimal("0.10"), "EUR") + Money(Decimal("0.20"), "EUR") == Money(Decimal("0.30"), "EUR")


def test_mixing_currencies_is_an_error_naming_both() -> None:
    with pytest.raises(CurrencyMismatch, match="10.00 EUR.*5.00 USD"):
        Money(Decimal("10"), "EUR") + Money(Decimal("5"), "USD")


def test_rounding_is_half_even_to_the_minor_unit() -> None:
    assert Money(Decimal("2.345"), "EUR").rounded().amount == Decimal("2.34")
    assert Money(Decimal("2.355"), "EUR").rounded().amount == Decimal("2.36")
    assert Money(Decimal("1234.5"), "JPY").rounded().amount == Decimal("1234")


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        Money(9.99, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(Decimal(1), "EUR") * 1.5  # type: ignore[operator]


def test_total_of_nothing_is_zero_in_that_currency() -> None:
    assert total([], "EUR") == Money(Decimal(0), "EUR")
    assert total([Money(Decimal("1.5"), "EUR")] * 3, "EUR").amount == Decimal("4.5")
