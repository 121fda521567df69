"""The compact rows between a campaign's workers and its files: amounts in cents become the same Parquet decimals
as the amounts themselves, and a checkpoint of an earlier version (rows by column name) gives the same rows."""

from __future__ import annotations

import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from odedelta.campaigns import worker
from odedelta.campaigns.columns import CUSTOMER_COLUMNS, ITEM_COLUMNS, MONEY, cents, compact_customer, money_array
from odedelta.campaigns.outputs import Collected
from odedelta.campaigns.tally import Tally

MONEY_TYPE = pa.decimal128(18, 2)


@given(st.lists(st.none() | st.decimals(min_value=Decimal("-99999999999.99"), max_value=Decimal("99999999999.99"),
                                         places=2, allow_nan=False, allow_infinity=False)))
def test_amounts_in_cents_make_the_decimal_column_the_amounts_make(amounts: list[Decimal | None]) -> None:
    assert money_array([cents(a) for a in amounts], MONEY_TYPE).equals(pa.array(amounts, MONEY_TYPE))
    assert [type(cents(a)) for a in amounts] == [type(None) if a is None else int for a in amounts]


def test_amounts_that_are_not_whole_cents_stay_decimals_and_go_the_decimal_way() -> None:
    assert cents(Decimal("12.34")) == 1234 and cents(Decimal("-0.00")) == 0 and cents(Decimal("-7.1")) == -710
    assert cents(Decimal("5")) == 500 and cents(Decimal("1.230")) == 123 and cents(Decimal("1E+3")) == 100_000
    assert cents(Decimal("1.234")) == Decimal("1.234") and cents(Decimal("NaN")).is_nan()  # type: ignore[union-attr]
    mixed = [1234, Decimal("5.00"), None, Decimal("1.230")]
    assert money_array(mixed, MONEY_TYPE).to_pylist() == [Decimal("12.34"), Decimal("5.00"), None, Decimal("1.23")]
    with pytest.raises(pa.ArrowInvalid):  # three places that do not round away: refused, as before
        money_array([Decimal("1.234")], MONEY_TYPE)
    with pytest.raises(pa.ArrowInvalid):  # more than 18 digits: refused, not wrapped around
        money_array([10 ** 18], MONEY_TYPE)


def _row(number: int, status: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CUSTOMER_COLUMNS)
    row.update(customer=f"C-{number}", index=number, source=f"base.jsonl:{number + 1}", status=status, reasons=[],
               requests=0, promotions_lost=[], promotions_gained=[], rules=[], items=0)
    if status == "changed":
        row.update(requests=1, currency="EUR", **{name: Decimal(f"{number}.5{number % 10}") for name in MONEY},
                   promotions_lost=["promo-x"], items=1)
    return row


def test_a_checkpoint_of_an_earlier_version_gives_the_same_rows_and_tally(tmp_path: Path) -> None:
    customers = [_row(n, "changed" if n % 2 else "unchanged") for n in range(6)]
    items = [{"customer": row["customer"], "index": row["index"], "request": 0, "requested": "P-1", "item": "I-1",
              "action": "modify", "product": "P-1", "offering": "po-b", "previous_offering": "po-a", "parent": None,
              "new": False, "reasons": ["offering_changed"]} for row in customers if row["status"] == "changed"]
    compact_items = [tuple(item[name] for name in ITEM_COLUMNS) for item in items]
    now = worker.Partition([compact_customer(row) for row in customers], compact_items, [], Tally.of(customers, items))
    earlier = pickle.loads(pickle.dumps(worker.Partition(customers, items, [], Tally.of(customers, items))))
    del earlier.tally  # before the tally was kept: counted from the rows
    a, b = Collected(tmp_path / "a", 100), Collected(tmp_path / "b", 100)
    a.add(now)
    b.add(earlier)
    assert list(a.customers) == list(b.customers) and list(a.items) == list(b.items)
    assert a.tally.result({}, None) == b.tally.result({}, None)
    assert list(b.customers)[1][CUSTOMER_COLUMNS.index("recurring_before")] == 151  # 1.51 in cents
