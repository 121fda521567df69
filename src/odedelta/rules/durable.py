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
  :mod:`odedelta.rules.expr`).
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

from odedelta.rules.executor import Condition

_names = itertools.count(1)


def _engine() -> ModuleType:
    """durable-rules' engine, imported when a durable executor is made: it is an optional C extension (no wheels;
    it does not import on Python 3.13+), so importing odedelta never requires it. ImportError when absent."""
    return importlib.import_module("durable.engine")


def _quiet_host(engine: ModuleType) -> Any:
    class QuietHost(engine.Host):  # type: ignore[misc,name-defined]
        def _run(self) -> None:  # no dispatcher threads: actions run synchronously in assert_fact
            return None

    return QuietHost()


def _float(value: Any) -> float:
    """durable serialises facts as JSON: Decimals go as floats (comparisons only; no money is computed inside the
    engine)."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"a fact of type {type(value).__name__} cannot be passed to durable-rules")


class DurableExecutor:
    name = "durable-rules"

    def __init__(self) -> None:
        self._engine = _engine()
        self._host = _quiet_host(self._engine)
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._order: dict[str, list[str]] = {}
        self._eid = itertools.count(1)
        self._hits: list[str] = []

    def register(self, ruleset: str, conditions: Mapping[str, Condition]) -> None:
        name = f"odedelta{next(_names)}"
        definition = {
            rule_id: {"all": [{"m": json.loads(json.dumps(cond, default=float))}], "run": self._action(rule_id)}
            for rule_id, cond in conditions.items()
        }
        with self._lock:
            self._host.set_rulesets({name: definition})
            self._names[ruleset] = name
            self._order[ruleset] = list(conditions)

    def _action(self, rule_id: str) -> Callable[[Any], None]:
        def run(_closure: Any) -> None:
            self._hits.append(rule_id)

        return run

    def matches(self, ruleset: str, facts: Mapping[str, Any]) -> list[str]:
        name = self._names[ruleset]
        with self._lock:
            fact = json.loads(json.dumps(facts, default=_float))  # in C: faster than walking the facts in Python
            fact["_eid"] = next(self._eid)
            self._hits = []
            try:
                self._host.assert_fact(name, fact)
            except self._engine.MessageNotHandledException:
                pass  # no rule matched
            finally:
                try:
                    self._host.retract_fact(name, fact)
                except self._engine.MessageNotHandledException:
                    pass
            hits = self._hits
        return [rule_id for rule_id in self._order[ruleset] if rule_id in hits]

    def first(self, ruleset: str, facts: Mapping[str, Any]) -> str | None:
        hits = self.matches(ruleset, facts)  # durable-rules evaluates every rule of the ruleset anyway
        return hits[0] if hits else None
