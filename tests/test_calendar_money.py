"""Issue 11: calendars (one definition of a month) — regression and proof over every day pair of four years."""

from __future__ import annotations

import bisect
import datetime as dt

from dateutil.relativedelta import relativedelta

from odedelta.model.months import add_months, months_between, months_started
from odedelta.rules.facts import months_between as facts_months_between

SPAN = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(4 * 365 + 1)]  # 2023-01-01 … 2026-12-31, 2024 leaps


def test_month_ends_round_trip() -> None:
    # defect 6: 29–31 January + 1 month = 28 February counted as 0 months
    for day in (29, 30, 31):
        start = dt.date(2025, 1, day)
        assert add_months(start, 1) == dt.date(2025, 2, 28)
        assert facts_months_between(start, add_months(start, 1)) == 1
    assert facts_months_between(dt.date(2024, 1, 31), dt.date(2024, 2, 29)) == 1
    assert facts_months_between(dt.date(2024, 2, 29), dt.date(2025, 2, 28)) == 12


def test_between_is_the_inverse_of_add_on_every_day_pair_of_four_years() -> None:
    """For every ordered pair (a, b) of the span: months_between(a, b) is the largest m with add_months(a, m) <= b
    (b on or after a), the smallest m with add_months(a, m) >= b (b before a) — the relativedelta definition."""
    ks = range(-50, 51)
    failures = []
    for a in SPAN:
        marks = [a + relativedelta(months=k) for k in ks]
        for b in SPAN:
            expected = ks[bisect.bisect_right(marks, b) - 1] if b >= a else ks[bisect.bisect_left(marks, b)]
            if months_between(a, b) != expected:
                failures.append((a, b))
    assert failures == []


def test_between_equals_relativedelta_and_started_counts_part_months() -> None:
    for a in SPAN[::7]:
        for b in SPAN[::11]:
            delta = relativedelta(b, a)
            assert months_between(a, b) == delta.years * 12 + delta.months, (a, b)
            if b >= a:
                part = add_months(a, months_between(a, b)) < b
                assert months_started(a, b) == months_between(a, b) + part


def test_started_is_between_plus_a_part_month_on_every_day_pair_both_ways() -> None:
    """months_started counts the part month as add_months defines it, without making the date: on every pair of
    the span (every third start day, every end day, before or after it), at the month ends and in February."""
    failures = [(a, b) for a in SPAN[::3] for b in SPAN
                if months_started(a, b) != months_between(a, b) + (add_months(a, months_between(a, b)) < b)]
    assert failures == []


def test_billing_period_of_a_cycle_day_longer_than_the_month() -> None:
    # sibling of defect 6: a bill on the 31st in February raised ValueError (date.replace(day=31))
    from odedelta.flows.consequences import billing_period

    moment = dt.datetime(2025, 2, 10, tzinfo=dt.UTC)
    start, end = billing_period(moment, 31) or (None, None)
    assert (start, end) == (dt.datetime(2025, 1, 31, tzinfo=dt.UTC), dt.datetime(2025, 2, 28, tzinfo=dt.UTC))
    start, end = billing_period(dt.datetime(2025, 3, 1, tzinfo=dt.UTC), 31) or (None, None)
    assert (start, end) == (dt.datetime(2025, 2, 28, tzinfo=dt.UTC), dt.datetime(2025, 3, 31, tzinfo=dt.UTC))
