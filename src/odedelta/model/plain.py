"""Validation errors in the words of the people who write the files (product managers): never "Value error, …" or
"Input should be a valid decimal"; what was found, what to write instead."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from odedelta.model.errors import closest

_CURRENCY_AMOUNT = re.compile(r"^\s*[-+]?(\d+(?:[.,]\d+)?)\s*(?:[A-Za-z]{3}|€|\$|£)\s*$"
                              r"|^\s*(?:€|\$|£)\s*(\d+(?:[.,]\d+)?)\s*$")


def plain_words(error: Mapping[str, Any], loc: Sequence[str | int]) -> tuple[str, str | None]:
    """A pydantic error in the product manager's words (no "Value error, …", no "Input should be …"): the
    message and, when one is clear, what to write instead."""
    kind = str(error.get("type", ""))
    found = error.get("input")
    ctx = error.get("ctx") or {}
    name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "the value")
    shown = repr(found) if isinstance(found, (str, int, float, Decimal, bool)) else type(found).__name__.replace(
        "dict", "a mapping").replace("list", "a list").replace("NoneType", "nothing")
    if kind == "extra_forbidden":
        return f"unknown key {name!r}", None
    if kind == "missing":
        return f"missing key {name!r}", None
    if kind.startswith("decimal") or kind in ("float_parsing", "float_type"):
        money = _CURRENCY_AMOUNT.match(found) if isinstance(found, str) else None
        if money is not None:
            number = (money.group(1) or money.group(2)).replace(",", ".")
            return f"{name} {found!r}: amounts are plain numbers in the catalog's currency", f"write {number}"
        return f"{name} must be a number (found {shown})", "write a plain number, e.g. 0.5 or 29.00"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{name} must be a whole number (found {shown})", None
    if kind in ("bool_parsing", "bool_type"):
        return f"{name} must be true or false (found {shown})", None
    if kind in ("string_type",):
        return f"{name} must be text (found {shown})", "put it in quotes"
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        guess = closest(str(found), expected) if isinstance(found, str) else None
        return (f"{name} cannot be {shown}: it is one of {', '.join(map(repr, expected))}",
                f"did you mean {guess!r}?" if guess else None)
    if kind == "string_pattern_mismatch":
        if name == "value":
            return f"value {shown} is neither a percentage nor an amount", "write '5%' or '3.00'"
        if name == "id":
            return f"id {shown} begins or ends with a space", "remove the spaces"
        pattern = str(ctx.get("pattern", ""))
        if pattern.endswith("%?\\s*$"):  # a percentage or an amount (the rule language's shares and amounts)
            return f"{name} {shown} is neither a percentage nor an amount", "write e.g. '10%' or '2.00'"
        if pattern.endswith("%\\s*$"):  # a percentage only
            return f"{name} {shown} is not a percentage", "write e.g. '70%'"
        return f"{name} {shown} does not have the expected form", None
    if kind == "string_too_short":
        return f"{name} is empty", "write one (text)"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {"greater_than_equal": "at least", "greater_than": "more than", "less_than_equal": "at most",
                 "less_than": "less than"}[kind]
        limit = next(iter(ctx.values()), "")
        return f"{name} must be {bound} {limit} (found {shown})", None
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{name} must be a mapping of keys and values (found {shown})", None
    if kind == "list_type":
        return f"{name} must be a list (found {shown})", f"write {name}: [...]"
    if kind.startswith(("datetime", "date")):
        return f"{name} {shown} is not a date-time", "write e.g. 2026-01-01T00:00:00Z"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", ""))), None
    message = str(error.get("msg", "")).removeprefix("Value error, ").replace("Input should be", "should be")
    return f"{name}: {message}", None
