"""Deterministic JSON: ``Decimal`` written as a JSON number with its exact digits, date-times in UTC with ``Z``.

The same value always gives the same bytes (key order as built, two-space indent, UTF-8, final newline), which is
what "byte-identical output" rests on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def iso(moment: datetime) -> str:
    """``2026-03-01T00:00:00Z``; fractions of a second kept when present."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "Z"


def plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``: datetimes become ISO strings; Decimals stay exact (numbers)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    return value


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    text = str(value)
    return text if "E" not in text else format(value, "f")


def _encode(value: Any, indent: str, out: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = indent + "  "
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            out.append(("," if i else "") + "\n" + inner + json.dumps(str(key), ensure_ascii=False) + ": ")
            _encode(item, inner, out)
        out.append("\n" + indent + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = indent + "  "
        out.append("[")
        for i, item in enumerate(value):
            out.append(("," if i else "") + "\n" + inner)
            _encode(item, inner, out)
        out.append("\n" + indent + "]")
    elif isinstance(value, Decimal):
        out.append(_number(value))
    elif isinstance(value, datetime):
        out.append(json.dumps(iso(value)))
    elif isinstance(value, float):
        raise TypeError(f"float {value!r} in output: amounts must be Decimal")
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def dumps(value: Any) -> str:
    """Two-space indented JSON with exact Decimals and a final newline."""
    out: list[str] = []
    _encode(value, "", out)
    return "".join(out) + "\n"
