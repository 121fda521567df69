"""The durable-rules executor. The only module that imports durable.

Used the way ../shared/notes/rule-engines.md found safe, each point a pitfall reproduced there:

* one private :class:`durable.engine.Host` per executor, whose background dispatcher is never started
  (``_run`` does nothing): durable's own timer threads otherwise take queued actions and run them later, on
  their thread, after the caller has moved on; here every action runs inside ``assert_fact``, in the caller's
  thread;
* rulesets come from JSON definitions, with names unique to this executor; nothing is registered globally;
* facts, not events (``post`` fires one rule per event; a fact fires every rule it matches);
* one lock serialises evaluations (a shared session is not thread-safe); each fact carries a unique ``_eid``
  (identical content twice raises ``MessageObservedException``); "not handled" means no rule matched; the fact
  is always retracted in ``finally``, so no state is left behind; actions only append rule ids to the call's
  list and never touch session state;
* compiled conditions never use ``$nex`` (it hangs the engine) nor send empty lists or nulls (see
  :mod:`odedelta.rules.expr`);
* what durable-rules cannot run is refused with an :class:`ExecutorError` before it reaches the engine: an
  ``or``/``and`` of 512 operands or more (it hangs holding the GIL: every thread of the process stops), a number its
  JSON reader cannot read (one written with an exponent, ``1e+16``, ``1e-05``: error 204), more rulesets than a
  process can hold; every other engine error becomes an :class:`ExecutorError` too, never a raw C error;
* durable-rules never frees a ruleset (≈0.6 MB each): a :class:`~odedelta.rules.Rulebook` registers one ruleset
  per rule kind, once; build rulebooks once and reuse them (the scenario runner keeps one per rules directory).
"""

from __future__ import annotations

import importlib
import itertools
import json
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import ModuleType
from typing import Any

from odedelta.rules.executor import Condition, ExecutorError

_names = itertools.count(1)
MAX_OPERANDS = 511
"""durable-rules hangs on an ``$or``/``$and`` of 512 operands or more."""
MAX_RULESETS = 100_000
"""durable-rules fails with a raw C error at ≈131,000 rulesets in a process; refused before."""


def engine() -> ModuleType:
    """durable-rules' engine, imported when a durable executor is made: it is an optional C extension (no wheels;
    it does not import on Python 3.13+), so importing odedelta never requires it. ImportError when absent."""
    return importlib.import_module("durable.engine")


def _quiet_host(engine: ModuleType) -> Any:
    class QuietHost(engine.Host):  # type: ignore[misc,name-defined]  # durable-rules: a module found at run time, untyped
        def _run(self) -> None:  # no dispatcher threads: actions run synchronously in assert_fact
            return None

    return QuietHost()


def _float(value: Any) -> float:
    """durable serialises facts as JSON: Decimals go as floats (comparisons only; no money is computed inside the
    engine)."""
    if isinstance(value, Decimal):
        number = float(value)
        if not _readable(number):
            raise ExecutorError(f"durable-rules cannot read the number {value} (its JSON reader refuses {number!r}); "
                                "use the reference executor for such values")
        return number
    raise ExecutorError(f"a fact of type {type(value).__name__} cannot be passed to durable-rules")


def _readable(number: float | int) -> bool:
    """Whether durable-rules' JSON reader reads the number as Python writes it (no exponent, finite)."""
    return (isinstance(number, int) and abs(number) < 2 ** 63) or ("e" not in repr(number) and "n" not in repr(number))


def _refusal(condition: Any) -> str | None:
    """Why durable-rules cannot run a compiled condition, or None."""
    stack = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, body in node.items():
                if key in ("$or", "$and") and isinstance(body, list) and len(body) > MAX_OPERANDS:
                    return (f"an {key[1:]} of {len(body)} operands (durable-rules hangs from {MAX_OPERANDS + 1}); "
                            "split the rule")
                stack.append(body)
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, (Decimal, float, int)) and not isinstance(node, bool):
            number = float(node) if not isinstance(node, int) else node
            if not _readable(number):
                return f"the number {node} (durable-rules' JSON reader refuses {number!r})"
    return None


class DurableExecutor:
    name = "durable-rules"

    def __init__(self) -> None:
        self._engine = engine()
        self._host = _quiet_host(self._engine)
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._order: dict[str, list[str]] = {}
        self._eid = itertools.count(1)
        self._hits: list[str] = []

    def register(self, ruleset: str, conditions: Mapping[str, Condition]) -> None:
        for rule_id, cond in conditions.items():
            why = _refusal(cond)
            if why is not None:
                raise ExecutorError(f"rule {rule_id!r}: durable-rules cannot run {why}", rule_id)
        number = next(_names)
        if number > MAX_RULESETS:
            raise ExecutorError(f"durable-rules holds at most {MAX_RULESETS} rulesets in one process and never frees "
                                "them: build rulebooks once and reuse them")
        name = f"odedelta{number}"
        definition = {
            rule_id: {"all": [{"m": json.loads(json.dumps(cond, default=float))}], "run": self._action(rule_id)}
            for rule_id, cond in conditions.items()
        }
        with self._lock:
            try:
                self._host.set_rulesets({name: definition})
            except Exception as exc:
                raise ExecutorError(f"durable-rules could not create the {ruleset} ruleset: {exc}") from None
            self._names[ruleset] = name
            self._order[ruleset] = list(conditions)

    def _action(self, rule_id: str) -> Callable[[Any], None]:
        def run(_closure: Any) -> None:
            self._hits.append(rule_id)

        return run

    def matches(self, ruleset: str, facts: Mapping[str, Any]) -> list[str]:
        name = self._names[ruleset]
        with self._lock:
            try:
                # in C: faster than walking the facts in Python
                fact = json.loads(json.dumps(facts, default=_float, allow_nan=False))
            except ValueError as exc:  # a float NaN/inf
                raise ExecutorError(f"durable-rules cannot read a fact: {exc}") from None
            fact["_eid"] = next(self._eid)
            self._hits = []
            failed: Exception | None = None
            try:
                self._host.assert_fact(name, fact)
            except self._engine.MessageNotHandledException:
                pass  # no rule matched
            except Exception as exc:
                failed = exc
            finally:
                try:
                    self._host.retract_fact(name, fact)
                except self._engine.MessageNotHandledException:
                    pass
                except Exception as exc:
                    failed = failed or exc
            hits = self._hits
            if failed is not None:
                raise ExecutorError(f"durable-rules could not evaluate the {ruleset} rules: {failed}") from None
        return [rule_id for rule_id in self._order[ruleset] if rule_id in hits]

    def first(self, ruleset: str, facts: Mapping[str, Any]) -> str | None:
        hits = self.matches(ruleset, facts)  # durable-rules evaluates every rule of the ruleset anyway
        return hits[0] if hits else None

