"""Time in the model: commitment terms of a product and the billing period. Months are :mod:`odedelta.model.months`
(one definition for adding and counting), a product's terms :mod:`odedelta.model.terms`."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from odedelta.model import terms
from odedelta.model.errors import RequestError
from odedelta.model.months import add_months
from odedelta.model.tmf import Product, ProductTerm, Quantity, TimePeriod


def current_term(product: Product, as_of: dt.datetime) -> ProductTerm | None:
    """The product's current term at ``as_of``: the latest started (:func:`odedelta.model.terms.current_term`)."""
    return terms.current_term(product.product_term, as_of)


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
    # the bill falls on cycle_day, or on the last day of a month shorter than that (31 → 28 February)
    day = moment.date()
    try:
        this_month = day + relativedelta(day=cycle_day)
        start = this_month if day >= this_month else day + relativedelta(months=-1, day=cycle_day)
        end = start + relativedelta(months=1, day=cycle_day)
    except (ValueError, OverflowError):
        raise RequestError(f"the billing period of {day.isoformat()} ends past the last date a calendar can hold "
                           f"({dt.MAXYEAR}-12-31)") from None
    zone = moment.tzinfo
    return (datetime(start.year, start.month, start.day, tzinfo=zone),
            datetime(end.year, end.month, end.day, tzinfo=zone))
