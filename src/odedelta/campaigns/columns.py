"""The columns of ``customers.parquet`` and ``items.parquet``, and the compact rows that carry them from a worker to
the files.

A worker makes each customer's row as a dictionary (the tally and the error paths read it by name) and keeps it as
a tuple in column order; an order item's row is a tuple from the start. An amount travels as an integer number of
cents when it is a whole number of cents (as every rounded amount is): a ``Decimal`` costs several times as much to
pickle and unpickle, and a column of cents becomes Parquet's ``decimal128(18, 2)`` without one ``Decimal`` per value.
Any other amount stays a ``Decimal``, and its column is made from decimals as before (pyarrow refuses what does not
fit two places).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

MONEY = ("recurring_before", "recurring_after", "recurring_difference", "penalties", "fees", "one_time",
         "proration", "due_now")
CUSTOMER_COLUMNS = ("customer", "index", "source", "position", "status", "reasons", "message", "requests", "currency",
                    *MONEY, "promotions_lost", "promotions_gained", "rules", "items")
ITEM_COLUMNS = ("customer", "index", "request", "requested", "item", "action", "product", "offering",
                "previous_offering", "parent", "new", "reasons")
STATUS, MESSAGE = CUSTOMER_COLUMNS.index("status"), CUSTOMER_COLUMNS.index("message")
ACTION = ITEM_COLUMNS.index("action")
_MONEY_AT = frozenset(CUSTOMER_COLUMNS.index(name) for name in MONEY)
_LIMIT = 10 ** 18
"""decimal128(18, 2) holds fewer than 18 digits of cents: a larger amount goes the decimal way (and is refused)."""
_IN_ORDER: Callable[[dict[str, Any]], tuple[Any, ...]] = operator.itemgetter(*CUSTOMER_COLUMNS)

Compact = tuple[Any, ...]
"""A row as a tuple in column order (amounts in cents where they can be)."""


def cents(amount: Decimal | None) -> int | Decimal | None:
    """``amount`` as a whole number of cents when it is one (``12.34``, ``5``, ``1.230``); else as it is."""
    if amount is None or not amount.is_finite():
        return amount
    numerator, denominator = amount.as_integer_ratio()  # in lowest terms: whole cents when it divides 100
    return numerator * (100 // denominator) if 100 % denominator == 0 else amount


def compact_customer(row: dict[str, Any]) -> Compact:
    """A customer's row (a dictionary by column name) as a compact row."""
    values = _IN_ORDER(row)
    if values[STATUS] != "changed":  # no amounts
        return values
    return tuple(cents(value) if at in _MONEY_AT else value for at, value in enumerate(values))


def compact_item(row: dict[str, Any]) -> Compact:
    """An order item's row (a dictionary by column name, as an earlier version kept it) as a compact row."""
    return tuple(row[name] for name in ITEM_COLUMNS)


def _decimal(value: int | Decimal | None) -> Decimal | None:
    return Decimal(value).scaleb(-2) if isinstance(value, int) else value


def money_array(values: Sequence[int | Decimal | None], money: Any) -> Any:
    """A pyarrow ``decimal128(18, 2)`` array (``money``) of amounts in cents (or decimals), None for null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if {type(value) for value in values} <= {int, type(None)} and all(
            -_LIMIT < value < _LIMIT for value in values if value is not None):
        # the cents are the decimal's unscaled integer: a decimal128(19, 0) array of them (an int64's 19 digits)
        # has the layout of decimal128(18, 2) and is seen as one
        return pc.cast(pa.array(values, pa.int64()), pa.decimal128(19, 0)).view(money)
    return pa.array([_decimal(value) for value in values], money)  # as pyarrow checks and converts decimals
