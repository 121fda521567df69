"""Executors run compiled conditions: which rules of a ruleset match one set of facts?

Two implement the same :class:`Executor` protocol over the same compiled JSON:

* :class:`ReferenceExecutor`, plain Python, runs everywhere; tests cross-check it against durable-rules;
* ``DurableExecutor`` (:mod:`odedelta.rules.durable`), durable-rules' engine, where its C extension imports
  (Python 3.11 and 3.12; not 3.13+).

:func:`default_executor` picks durable-rules when it can be imported and says which one it picked.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

Condition = dict[str, Any]


class Executor(Protocol):
    name: str

    def register(self, ruleset: str, conditions: Mapping[str, Condition]) -> None:
        """Make a named ruleset of ``rule id → compiled condition`` ready; called once per ruleset."""

    def matches(self, ruleset: str, facts: Mapping[str, Any]) -> list[str]:
        """The ids of the rules whose condition the facts satisfy, in registration order."""


def get(facts: Mapping[str, Any], name: str) -> Any:
    """The value of a dotted fact name in nested facts (None when absent)."""
    value: Any = facts
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _number(value: Any) -> Any:
    return Decimal(str(value)) if isinstance(value, float) else value


class ReferenceExecutor:
    """Interprets durable-rules' JSON conditions in plain Python, with durable's semantics: a comparison with an
    absent fact is false whatever the operator; ``$iall`` over an empty list is false."""

    name = "reference"

    def __init__(self) -> None:
        self._rulesets: dict[str, dict[str, Condition]] = {}

    def register(self, ruleset: str, conditions: Mapping[str, Condition]) -> None:
        self._rulesets[ruleset] = dict(conditions)

    def matches(self, ruleset: str, facts: Mapping[str, Any]) -> list[str]:
        return [rule_id for rule_id, cond in self._rulesets[ruleset].items() if evaluate(cond, facts)]


_ORDER = {
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$neq": lambda a, b: a != b,
}
_ARITH = {
    "$add": lambda a, b: a + b,
    "$sub": lambda a, b: a - b,
    "$mul": lambda a, b: a * b,
    "$div": lambda a, b: a / b,
}


def evaluate(cond: Condition, facts: Mapping[str, Any], item: Any = None) -> bool:
    """Whether ``facts`` satisfy a compiled condition (``item``: the list element inside ``$iany``/``$iall``)."""
    for key, body in cond.items():
        if key == "$and":
            if not all(evaluate(c, facts, item) for c in body):
                return False
        elif key == "$or":
            if not any(evaluate(c, facts, item) for c in body):
                return False
        elif key == "$ex":
            if any(get(facts, name) is None for name in body):
                return False
        elif key in ("$iany", "$iall"):
            ((name, inner),) = body.items()
            values = get(facts, name)
            if not isinstance(values, list) or not values:
                return False
            test = any if key == "$iany" else all
            if not test(evaluate(inner, facts, v) for v in values):
                return False
        elif key in _ORDER:
            ((name, operand),) = body.items()
            if not _compare(key, _side(name, facts, item), operand, facts, item):
                return False
        elif key == "$i":  # equality of the list element
            if item is None or _number(item) != _value(body, facts, item):
                return False
        else:  # {fact: value}: equality
            if not _compare("$eq", _side(key, facts, item), body, facts, item):
                return False
    return True


def _side(name: str, facts: Mapping[str, Any], item: Any) -> Any:
    return item if name == "$i" else get(facts, name)


def _compare(op: str, left: Any, operand: Any, facts: Mapping[str, Any], item: Any) -> bool:
    right = _value(operand, facts, item)
    if left is None or right is None:
        return False
    left = _number(left)
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, str) != isinstance(right, str):
        return False
    if op == "$eq":
        return bool(left == right)
    return bool(_ORDER[op](left, right))


def _value(operand: Any, facts: Mapping[str, Any], item: Any) -> Any:
    if isinstance(operand, dict):
        if "$m" in operand:
            return _number(get(facts, operand["$m"]))
        if "$i" in operand:
            return _number(item)
        ((op, sides),) = operand.items()
        left, right = _value(sides["$l"], facts, item), _value(sides["$r"], facts, item)
        if left is None or right is None or (op == "$div" and right == 0):
            return None
        return _ARITH[op](left, right)
    return _number(operand)


def default_executor() -> Executor:
    """durable-rules where it imports (Python < 3.13), else the reference executor."""
    try:
        from .durable import DurableExecutor
    except ImportError:
        return ReferenceExecutor()
    return DurableExecutor()
