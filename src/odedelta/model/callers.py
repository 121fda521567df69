"""Values from callers — customer attributes and characteristic values of a request — checked before anything
runs (documentation: reference/limits.md).

A caller is a CLI user, a service, a campaign: its values never reach a rule executor unchecked. Supported are
text, true/false, integers, ``Decimal`` and finite floats within the number limits, and (characteristic values
only) lists and objects of those. Anything else is a :class:`~odedelta.errors.RequestError` naming the value.

Free attributes get one type each, the type the rules compare them with (:attr:`Rulebook.attribute_types`), and a
caller's value is read as that type by one stated rule (:func:`as_type`): for a number, a number or a text that is
a decimal number (``"3"``, ``"-2.5"``); for text, a text; for true/false, a boolean or the text ``true``/``false``;
for a date, a date or a text ``YYYY-MM-DD``.
So ``--attribute loyalty_months=3`` is the number 3 for ``customer.attributes.loyalty_months > 24``, and both
executors answer alike; a value that cannot be read as its type is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from odedelta.model.errors import RequestError
from odedelta.model.limits import DEFAULT, Limits
from odedelta.model.requests import Context

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
NUMBER, STRING, BOOLEAN, DATE = "number", "string", "boolean", "date"


def value_problem(value: Any, limits: Limits = DEFAULT, *, nested: bool = False, depth: int = 0) -> str | None:
    """Why ``value`` cannot be a fact or a characteristic value, or None."""
    if value is None or isinstance(value, (str, bool)) or type(value) is dt.date:
        return None
    if isinstance(value, (int, Decimal, float)):
        return limits.value_problem(value)
    if nested and isinstance(value, (list, tuple, Mapping)) and depth < limits.max_depth:
        items = value.values() if isinstance(value, Mapping) else value
        if isinstance(value, Mapping) and not all(isinstance(k, str) for k in value):
            return "an object whose keys are not all text"
        for item in items:
            problem = value_problem(item, limits, nested=True, depth=depth + 1)
            if problem is not None:
                return problem
        return None
    if nested and isinstance(value, (list, tuple, Mapping)):
        return f"nested deeper than {limits.max_depth} levels"
    return f"a {type(value).__name__} is not supported (text, true/false or a number expected)"


def as_type(value: Any, kind: str | None) -> Any:
    """``value`` read as ``kind`` (the type rules compare the attribute with); ValueError when it cannot be."""
    if kind is None or value is None:
        return value
    if kind == NUMBER:
        if isinstance(value, bool):
            raise ValueError("true/false is not a number")
        if isinstance(value, (int, Decimal)):
            return value
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
            return Decimal(value.strip())
        raise ValueError("not a number")
    if kind == BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise ValueError("not true/false")
    if kind == DATE:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            return dt.date.fromisoformat(value.strip())
        raise ValueError("not a date (YYYY-MM-DD)")
    if kind == STRING:
        if isinstance(value, str):
            return value
        raise ValueError("not a text")
    return value


def check_context(context: Context, limits: Limits = DEFAULT,
                  attribute_types: Mapping[str, str] | None = None) -> None:
    """Refuse attributes of unsupported types, numbers beyond the limits and values that cannot be read as the
    type the rules give them; every problem in one :class:`RequestError`."""
    problems = []
    day = context.billing_cycle_day
    if day is not None and not 1 <= day <= 28:
        problems.append(f"billing cycle day {day} is out of range (1 to 28)")
    for name, value in context.attributes.items():
        if not isinstance(name, str) or not name:
            problems.append(f"customer attribute name {name!r} is not a text")
            continue
        problem = value_problem(value, limits)
        if problem is None and attribute_types and name in attribute_types:
            try:
                typed = as_type(value, attribute_types[name])
            except ValueError as exc:
                problem = f"{exc}, but the rules compare it with a {attribute_types[name]}"
            else:
                problem = value_problem(typed, limits)
        if problem is not None:
            problems.append(f"customer attribute {name}={_short(value)}: {problem}")
    if problems:
        raise RequestError("; ".join(problems))


def check_request(request: Any, limits: Limits = DEFAULT) -> None:
    """Refuse characteristic values of unsupported types or with numbers beyond the limits."""
    if isinstance(request, BaseModel):  # a request model: its fields read once (most requests choose no values)
        fields = request.__dict__
        chosen, characteristics, months = fields.get("set"), fields.get("characteristics"), fields.get("months")
        if not chosen and not characteristics and (months is None or fields.get("kind") != "renew"):
            return  # nothing to check: what the checks below find of such a request
    choices: dict[str, Any] = {}
    if isinstance(_given(request, "set"), Mapping):
        choices.update(request.set)
    if isinstance(_given(request, "characteristics"), Mapping):
        choices[request.product] = request.characteristics
    problems = []
    months = _given(request, "months")
    if _given(request, "kind") == "renew" and months is not None and not 1 <= months <= 120:
        problems.append(f"renewal of {months} months is out of range (1 to 120)")
    for key, values in choices.items():
        if not isinstance(values, Mapping):
            problems.append(f"characteristic values for {key!r}: expected NAME: VALUE pairs")
            continue
        for name, value in values.items():
            problem = value_problem(value, limits, nested=True)
            if problem is not None:
                problems.append(f"characteristic {key}:{name}={_short(value)}: {problem}")
    if problems:
        raise RequestError("; ".join(problems))


def _given(request: Any, name: str) -> Any:
    """The request's field ``name``, None when its kind has no such field: read from a model's fields (a model
    answers a missing attribute by raising and catching inside, several times the cost of a dict lookup)."""
    if isinstance(request, BaseModel):
        return request.__dict__.get(name)
    return getattr(request, name, None)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}…"
