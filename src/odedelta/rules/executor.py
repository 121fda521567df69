"""Executors run compiled conditions: which rules of a ruleset match one set of facts?

Two implement the same :class:`Executor` protocol over the same compiled JSON:

* :class:`ReferenceExecutor`, plain Python compiled per ruleset, runs everywhere: the default;
* ``DurableExecutor`` (:mod:`odedelta.rules.durable`), durable-rules' engine, the optional extra
  ``odedelta[durable]`` (a C extension built from source; Python 3.11 and 3.12, not 3.13+). Tests cross-check the
  two wherever durable-rules is installed.

:func:`make_executor` makes one by name (``"reference"``, ``"durable"``); :func:`default_executor` is the reference one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol, cast

from odedelta.model.errors import OdeDeltaError

Condition = dict[str, Any]


class ExecutorError(OdeDeltaError):
    """An executor cannot run a rule or read a fact (durable-rules' limits: reference/limits.md); ``rule_id`` names
    the rule when one is to blame."""

    def __init__(self, message: str, rule_id: str | None = None) -> None:
        super().__init__(message)
        self.rule_id = rule_id


class Executor(Protocol):
    """What runs a rule book's compiled conditions: the reference executor (:class:`ReferenceExecutor`) or
    durable-rules. The facts an executor is given are read only: the questions about one change share one dict."""

    name: str

    def register(self, ruleset: str, conditions: Mapping[str, Condition]) -> None:
        """Make a named ruleset of ``rule id → compiled condition`` ready; called once per ruleset."""

    def matches(self, ruleset: str, facts: Mapping[str, Any]) -> list[str]:
        """The ids of the rules whose condition the facts satisfy, in registration order."""

    def first(self, ruleset: str, facts: Mapping[str, Any]) -> str | None:
        """The first of :meth:`matches` (an executor may stop at it)."""


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
    """Runs durable-rules' JSON conditions in plain Python, with durable's semantics: a comparison with an absent
    fact is false whatever the operator; ``$iall`` over an empty list is false.

    :func:`evaluate` is the definition; :func:`compile_ruleset` turns a ruleset into one Python function that
    reads each fact once and tests the rules in order, inlining the comparisons with constants (the common case)
    and calling :func:`evaluate` for the rest. Both give the same answer (a hypothesis test checks it).
    """

    name = "reference"

    def __init__(self) -> None:
        self._all: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {}
        self._first: dict[str, Callable[[Mapping[str, Any]], str | None]] = {}

    def register(self, ruleset: str, conditions: Mapping[str, Condition]) -> None:
        self._all[ruleset] = cast(Callable[[Mapping[str, Any]], list[str]],
                                  compile_ruleset(ruleset, conditions, first=False))
        self._first[ruleset] = cast(Callable[[Mapping[str, Any]], str | None],
                                    compile_ruleset(ruleset, conditions, first=True))

    def matches(self, ruleset: str, facts: Mapping[str, Any]) -> list[str]:
        return self._all[ruleset](facts)

    def first(self, ruleset: str, facts: Mapping[str, Any]) -> str | None:
        return self._first[ruleset](facts)


def compile_ruleset(ruleset: str, conditions: Mapping[str, Condition],
                    first: bool) -> Callable[[Mapping[str, Any]], list[str] | str | None]:
    """One Python function for a ruleset: ``facts → matching rule ids`` (``first``: the first id, or None).

    The source is generated from compiled conditions only (fact names and constants, written with ``repr``), never
    from rule text."""
    source = _Source()
    tests = [source.test(cond) for cond in conditions.values()]
    body = [f"    {line}" for line in source.prelude]
    if first:
        body += [f"    if {test}:\n        return _ids[{i}]" for i, test in enumerate(tests)] + ["    return None"]
    else:
        body += ["    out = []"] + [f"    if {test}:\n        out.append(_ids[{i}])" for i, test in enumerate(tests)]
        body += ["    return out"]
    code = "def run(facts):\n" + "\n".join(body or ["    pass"]) + "\n"
    namespace: dict[str, Any] = {"_get": get, "_number": _number, "_compare": _compare, "_evaluate": evaluate,
                                 "_consts": source.consts, "_ids": list(conditions)}
    exec(compile(code, f"<ruleset {ruleset}>", "exec"), namespace)
    run: Callable[[Mapping[str, Any]], list[str] | str | None] = namespace["run"]
    return run


class _Source:
    """Python expressions for compiled conditions, and the prelude that reads the facts they use."""

    def __init__(self) -> None:
        self.prelude: list[str] = []
        self.consts: list[Any] = []
        self._facts: dict[str, str] = {}
        self._numeric: set[str] = set()

    def fact(self, name: str) -> str:
        """The variable holding fact ``name`` (read once, in the prelude): ``get(facts, name)`` — through plain dicts
        with ``dict.get`` (an absent fact, common, raises nothing), anything else by :func:`get` itself."""
        if name not in self._facts:
            var = self._facts[name] = f"f{len(self._facts)}"
            *inner, last = name.split(".")
            walk = ["facts.__class__ is dict"]
            for n, part in enumerate(inner):
                walk.append(f"({var} := {'facts' if n == 0 else var}.get({part!r})).__class__ is dict")
            self.prelude += [f"if {' and '.join(walk)}:\n        {var} = {var if inner else 'facts'}.get({last!r})",
                             f"else:\n        {var} = _get(facts, {name!r})",
                             f"if {var}.__class__ is float:\n        {var} = _number({var})"]
        return self._facts[name]

    def numeric(self, name: str) -> str:
        """A flag: the fact is present and neither a boolean nor a string (what a number comparison needs)."""
        var = self.fact(name)
        if var not in self._numeric:
            self._numeric.add(var)
            self.prelude.append(f"n{var} = {var} is not None and not isinstance({var}, (bool, str))")
        return f"n{var}"

    def const(self, value: Any) -> str:
        self.consts.append(value)
        return f"_consts[{len(self.consts) - 1}]"

    def test(self, cond: Condition) -> str:
        parts = [self._part(key, body) for key, body in cond.items()]
        return "(" + " and ".join(parts) + ")" if parts else "True"

    def _part(self, key: str, body: Any) -> str:
        if key == "$and":
            return "(" + " and ".join(self.test(c) for c in body) + ")" if body else "True"
        if key == "$or":
            return "(" + " or ".join(self.test(c) for c in body) + ")" if body else "False"
        if key == "$ex":
            return "(" + " and ".join(f"{self.fact(n)} is not None" for n in body) + ")" if body else "True"
        if key == "$iany" and len(body) == 1:
            ((name, inner),) = body.items()
            if list(inner) == ["$i"] and isinstance(inner["$i"], str):  # a text in a list: ``in`` (no element
                var = self.fact(name)  # is None or a float equal to a text, so the element test is equality)
                return f"(isinstance({var}, list) and {inner['$i']!r} in {var})"
        if key in _ORDER or not key.startswith("$"):
            op = key if key in _ORDER else "$eq"
            ((name, operand),) = body.items() if key in _ORDER else ((key, body),)
            if name != "$i" and not isinstance(operand, dict):
                return self._compare(op, name, _number(operand))
            if name != "$i":
                return f"_compare({op!r}, {self.fact(name)}, {self.const(operand)}, facts, None)"
        return f"_evaluate({self.const({key: body})}, facts)"  # $iany, $iall, $i: the list elements

    def _compare(self, op: str, name: str, right: Any) -> str:
        var = self.fact(name)
        symbol = {"$eq": "==", "$neq": "!=", "$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}[op]
        if right is None:
            return "False"
        if isinstance(right, bool):
            if op == "$eq":
                return f"({var} is {right!r})"
            return f"(isinstance({var}, bool) and {var} {symbol} {right!r})"
        if isinstance(right, str):
            if op == "$eq":
                return f"({var} == {right!r})"
            return f"(isinstance({var}, str) and {var} {symbol} {right!r})"
        if isinstance(right, int | Decimal):
            literal = repr(right) if isinstance(right, int) else self.const(right)
            return f"({self.numeric(name)} and {var} {symbol} {literal})"
        return f"_compare({op!r}, {var}, {self.const(right)}, facts, None)"


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
