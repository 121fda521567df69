"""Tallies added up partition by partition give the summary and histogram one tally of every row gives, and the
histogram spells each amount as customers.parquet reads it back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from odedelta.campaigns.tally import Tally

amounts = st.decimals(min_value=-500, max_value=500, places=2).map(lambda d: d if d else Decimal("-0.00"))
amounts = st.one_of(amounts, st.sampled_from([Decimal("5"), Decimal("-0.00"), Decimal("0"), Decimal("1.5")]))


@st.composite
def rows(draw: st.DrawFn, number: int) -> dict[str, Any]:
    status = draw(st.sampled_from(["changed", "changed", "unchanged", "refused", "error"]))
    before, after = draw(amounts), draw(amounts)
    money = {name: draw(amounts) for name in ("penalties", "fees", "one_time", "proration", "due_now")}
    return {"customer": f"C-{number}", "status": status, "reasons": draw(st.lists(st.sampled_from("xyz"))),
            "rules": draw(st.lists(st.sampled_from(["R-1", "R-2"]))), "requests": 1,
            "currency": draw(st.sampled_from(["EUR", "JPY"])) if status == "changed" else None,
            "recurring_before": before, "recurring_after": after, "recurring_difference": after - before,
            "promotions_lost": draw(st.lists(st.sampled_from(["P-1", "P-2"]))),
            "promotions_gained": draw(st.lists(st.sampled_from(["P-3"]))), **money}


@given(data=st.data())
def test_tallies_add_up_to_the_tally_of_every_row(data: st.DataObject) -> None:
    customers = [data.draw(rows(n)) for n in range(data.draw(st.integers(0, 30)))]
    items = [{"action": data.draw(st.sampled_from(["add", "delete", "modify"]))} for _ in range(5)]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(customers)), max_size=4)))
    whole = Tally.of(customers, items)
    added = Tally()
    for n, (start, end) in enumerate(zip([0, *cuts], [*cuts, len(customers)], strict=True)):
        added.add(Tally.of(customers[start:end], items if n == 0 else []))
    assert added.result({}, None) == whole.result({}, None)
    assert str(added.result({}, None)) == str(whole.result({}, None))  # the spelling of each amount too
    assert added.monthly == whole.monthly
    for currency, counts in whole.monthly.items():  # each key spelled as the Parquet file reads it back
        changed = [r["recurring_difference"] for r in customers
                   if r["status"] == "changed" and r["currency"] == currency]
        read_back = pa.array(changed, pa.decimal128(18, 2)).to_pylist()
        assert sorted(map(str, counts)) == sorted({str(v) for v in read_back})
        assert sum(counts.values()) == len(changed)
