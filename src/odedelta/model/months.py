"""Calendar months: one definition for adding months to a date and for counting the months between two dates.

Adding ``n`` months is python-dateutil's ``relativedelta(months=n)``: the same day of the month ``n`` months later,
clamped to that month's last day (31 January + 1 month = 28 or 29 February). Every other count is the inverse of that
addition, so the two never disagree:

* :func:`months_between` ``(start, end)`` — the whole months completed: the largest ``m`` with
  ``add_months(start, m) <= end`` (for ``end`` before ``start``, minus the months completed going back; equal to
  ``relativedelta(end, start)`` in years × 12 + months);
* :func:`months_started` ``(start, end)`` — the months started: ``months_between`` plus one when ``end`` falls
  after the last whole month (a term ending in 2 months and 3 days has 3 months remaining).

``months_between`` is computed with integer arithmetic (it runs for every product of every change); the tests prove
it equal to the relativedelta definition on every day pair of a four-year span with a leap year.
"""

from __future__ import annotations

import calendar
import datetime as dt

from odedelta.model.errors import RequestError


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month. A :class:`RequestError`
    past the last date a calendar holds (9999-12-31)."""
    # relativedelta(months=months), in integer arithmetic (it runs for every product of every change)
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise RequestError(f"{day.isoformat()} + {months} months is past the last date a calendar can hold "
                           f"({dt.MAXYEAR}-12-31): as_of or a term is too far in the future")
    return day.replace(year=year, month=month + 1, day=min(day.day, _length(year, month + 1)))


_LENGTHS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _length(year: int, month: int) -> int:
    """The number of days of ``month`` in ``year`` (``calendar.monthrange(year, month)[1]``, without working out the
    weekday it starts on)."""
    return 29 if month == 2 and calendar.isleap(year) else _LENGTHS[month]


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end`` (negative when ``end`` is before ``start``)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    # add_months(start, months) falls in end's month, on start's day clamped to that month's length: on a day
    # after end's when start's day is later and end is not its month's last day (the clamp lands on it), on
    # start's own day otherwise (the month's length is not needed: most pairs)
    day, last = start.day, end.day
    if day > last:
        if end >= start and last < _length(end.year, end.month):
            months -= 1  # that is after end: the last month is not complete
    elif day < last and end < start:
        months += 1  # going back, that is before end: the last month back is not complete
    return months


def months_started(start: dt.date, end: dt.date) -> int:
    """Months started but not completed from ``start`` to ``end``: whole months, plus one for a part month — one
    more when ``add_months(start, whole) < end``, compared as (year, month, day) without making that date (every
    change with a term asks it)."""
    whole = months_between(start, end)
    year, month = divmod(start.year * 12 + start.month - 1 + whole, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return whole + (1 if add_months(start, whole) < end else 0)  # its error: past what a calendar holds
    month += 1
    day = start.day
    if day > 28:  # clamped to a shorter month, as add_months does
        day = min(day, _length(year, month))
    return whole + 1 if (year, month, day) < (end.year, end.month, end.day) else whole
