"""Time in the model: calendar months, commitment terms and the billing period. One definition of a month for
adding and for counting, used by renewals, penalties and proration alike."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal

from odedelta.model.errors import RequestError
from odedelta.model.tmf import Product, ProductTerm, Quantity, TimePeriod


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, clamped to the end of a shorter month (31 Jan + 1 → 28/29 Feb)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise RequestError(f"{day.isoformat()} + {months} months is past the last date a calendar can hold "
                           f"({dt.MAXYEAR}-12-31): as_of or a term is too far in the future")
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # day 28 exists in every month



def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end`` (negative when end is before start)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end >= start and end.day < start.day:
        months -= 1
    elif end < start and end.day > start.day:
        months += 1
    return months



def current_term(product: Product, as_of: dt.datetime) -> ProductTerm | None:
    """The term in force at ``as_of``, else the one that ended last, else the first recorded."""
    terms = [t for t in product.product_term if t.valid_for is not None]
    for term in terms:
        if term.valid_for is not None and term.valid_for.contains(as_of):
            return term
    ended = [t for t in terms if t.valid_for and t.valid_for.end and t.valid_for.end <= as_of]
    if ended:
        return max(ended, key=lambda t: t.valid_for.end)  # type: ignore[union-attr,return-value,arg-type]
    return product.product_term[0] if product.product_term else None



def new_term(start: datetime, months: int) -> ProductTerm:
    end_day = add_months(start.date(), months)
    end = datetime(end_day.year, end_day.month, end_day.day, start.hour, start.minute, start.second, tzinfo=UTC)
    return ProductTerm(name=f"{months}-month commitment", description=f"Minimum commitment of {months} months",
                       duration=Quantity(amount=Decimal(months), units="month"),
                       valid_for=TimePeriod(start=start, end=end))


def billing_period(moment: datetime, cycle_day: int | None) -> tuple[datetime, datetime] | None:
    """The billing period ``[start, end)`` that contains ``moment`` for a bill on ``cycle_day`` of each month."""
    if cycle_day is None:
        return None
    day = moment.date()
    start = day.replace(day=cycle_day) if day.day >= cycle_day else add_months(day.replace(day=cycle_day), -1)
    end = add_months(start, 1)
    zone = moment.tzinfo
    return (datetime(start.year, start.month, start.day, tzinfo=zone), datetime(end.year, end.month, end.day, tzinfo=zone))
