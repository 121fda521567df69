"""Why a compiled condition held or not: the first part that was false, written back as the author would read it,
and the fact values it read.

:func:`trace` walks a compiled condition (the JSON both executors run) part by part. Every leaf — a comparison, a
membership, ``exists`` — is decided by :func:`odedelta.rules.executor.evaluate`, the reference definition that the
compiled executor is tested against; only ``and`` / ``or`` are walked here, in the same order. So the answer of
:func:`trace` is the executor's answer, by construction (a test checks it on random conditions and facts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from odedelta.rules.executor import Condition, evaluate, get
from odedelta.rules.expr import ABSENT, DATE, EPOCH

_SYMBOL = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">=", "$neq": "!="}
_ARITH = {"$add": "+", "$sub": "-", "$mul": "*", "$div": "/"}


@dataclass(frozen=True)
class FalsePart:
    """The part of a condition that was false: as text (``customer.segment == 'business'``) and the value of each
    fact it read (None: the fact was absent)."""

    text: str
    facts: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Trace:
    held: bool
    false_part: FalsePart | None
    """When the condition did not hold: its first part that was false (for an ``or``, the whole ``or``)."""
    facts: tuple[tuple[str, Any], ...]
    """The value of every fact the condition read, in the order it reads them (None: absent)."""


def trace(cond: Condition, facts: Mapping[str, Any], fact_types: Mapping[str, str]) -> Trace:
    """Whether ``facts`` (as :func:`odedelta.rules.facts.engine_facts` builds them) satisfy ``cond`` and, when they
    do not, the first false part. ``fact_types`` turns day numbers back into dates for display."""
    read = _Reader(facts, fact_types)
    names = _facts_of(cond)
    values = tuple((name, read.value(name)) for name in names)
    false = _first_false(cond, facts)
    if false is None:
        return Trace(True, None, values)
    return Trace(False, FalsePart(render(false, fact_types), tuple((n, read.value(n)) for n in _facts_of(false))),
                 values)


def _first_false(cond: Condition, facts: Mapping[str, Any]) -> Condition | None:
    """The first false part of ``cond`` (None when it holds), in the order :func:`evaluate` tests them."""
    for key, body in cond.items():
        if key == "$and":
            for part in body:
                found = _first_false(part, facts)
                if found is not None:
                    return found
        elif key == "$or":
            if not any(evaluate(part, facts) for part in body):
                return {key: body}
        elif not evaluate({key: body}, facts):
            return {key: body}
    return None


def _facts_of(cond: Any) -> list[str]:
    """The facts a condition reads, in reading order, once each (``_absent`` read for ``exists``: the fact)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for part in node:
                walk(part)
            return
        if not isinstance(node, dict):
            return
        for key, body in node.items():
            if key in ("$and", "$or"):
                walk(body)
            elif key == "$ex":
                out.extend(n for n in body if n != ABSENT)
            elif key in ("$iany", "$iall"):
                ((name, inner),) = body.items()
                if name == ABSENT:
                    out.append(inner.get("$i"))
                else:
                    out.append(name)
                    walk(inner)
            elif key in _SYMBOL:
                ((name, operand),) = body.items()
                if name != "$i":
                    out.append(name)
                walk(operand)
            elif key == "$m":
                out.append(body)
            elif key in _ARITH:
                walk(body["$l"])
                walk(body["$r"])
            elif not key.startswith("$"):
                out.append(key)
                walk(body)

    walk(cond)
    seen: dict[str, None] = {}
    for name in out:
        seen.setdefault(name)
    return list(seen)


class _Reader:
    def __init__(self, facts: Mapping[str, Any], fact_types: Mapping[str, str]) -> None:
        self.facts = facts
        self.fact_types = fact_types

    def value(self, name: str) -> Any:
        value = get(self.facts, name)
        if isinstance(value, list):
            return tuple(value)  # the trace is a value: nothing in it changes
        if value is not None and self.fact_types.get(name) == DATE and isinstance(value, int):
            return EPOCH + dt.timedelta(days=value)
        return value


def render(cond: Condition, fact_types: Mapping[str, str]) -> str:
    """A compiled condition written back in the rule language (``not`` pushed inwards, as it was compiled)."""
    parts = [_part(key, body, fact_types) for key, body in cond.items()]
    return " and ".join(parts) if parts else "true"


def _part(key: str, body: Any, types: Mapping[str, str]) -> str:
    if key in ("$and", "$or"):
        word = " and " if key == "$and" else " or "
        inner = [render(part, types) for part in body]
        inner = [f"({text})" if (" or " in text and key == "$and") else text for text in inner]
        text = word.join(inner)
        return f"({text})" if len(inner) > 1 else text
    if key == "$ex":
        names = [n for n in body if n != ABSENT]
        return " and ".join(f"exists({n})" for n in names) if names else "true"
    if key in ("$iany", "$iall"):
        ((name, inner),) = body.items()
        if name == ABSENT:
            return f"not exists({inner.get('$i')})"
        if key == "$iany" and "$i" in inner:
            return f"{_literal(inner['$i'], None, types)} in {name}"
        if key == "$iall" and "$neq" in inner:
            return f"{_literal(inner['$neq']['$i'], None, types)} not in {name}"
        return f"{key[1:]}({name}: {render(inner, types)})"
    if key in _SYMBOL:
        ((name, operand),) = body.items()
        return f"{name} {_SYMBOL[key]} {_operand(operand, name, types)}"
    return f"{key} == {_operand(body, key, types)}"


def _operand(operand: Any, fact: str | None, types: Mapping[str, str]) -> str:
    if isinstance(operand, dict):
        if "$m" in operand:
            return str(operand["$m"])
        if "$i" in operand:
            return "item"
        ((op, sides),) = operand.items()
        return f"({_operand(sides['$l'], fact, types)} {_ARITH[op]} {_operand(sides['$r'], fact, types)})"
    return _literal(operand, fact, types)


def _literal(value: Any, fact: str | None, types: Mapping[str, str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if fact is not None and types.get(fact) == DATE and isinstance(value, int):
        return f"date('{(EPOCH + dt.timedelta(days=value)).isoformat()}')"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def shown(value: Any) -> str:
    """A fact value as an author reads it: 'text', 12, true, 2026-03-01, ['a', 'b'], absent."""
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
