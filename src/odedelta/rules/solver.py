"""Reasoning over compiled conditions: can a condition hold, can two hold together, does one cover another — and
the concrete facts (a counterexample) that show it.

A compiled condition (:mod:`odedelta.rules.expr`) is read back into a formula of atoms, one fact each: present or
absent, compared with a constant (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``), a list holding or lacking a constant.
Each fact is reasoned about over its domain, known from the fact table (:mod:`odedelta.rules.facts`): whole numbers
(months, counts), decimals (prices), dates (days), the closed sets of enumerated facts, open text, booleans, lists.
Facts are independent of each other, so a conjunction of atoms holds iff each fact's atoms can hold together —
interval and set reasoning, decided exactly. A comparison the compiler left to arithmetic between facts
(``target.price - installed.price > 20``) is *opaque*: the solver does not guess about it, it says "undecided"
unless the rest of the conjunction already decides.

Every witness the solver returns is checked by running the compiled condition on it with the reference executor
(:func:`odedelta.rules.executor.evaluate`): a counterexample the executor would not agree with is never given.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from odedelta.rules.executor import evaluate
from odedelta.rules.expr import ABSENT, BOOLEAN, DATE, EPOCH, LIST, NUMBER, STRING
from odedelta.rules.facts import FACT_TYPES, FACT_VALUES, Facts

Verdict = Literal["yes", "no", "undecided"]
_ORDER_OPS = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">=", "$neq": "!="}
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
MAX_TERMS = 4096
"""The most conjunctions a formula is expanded into; beyond, the answer is "undecided" (never a guess)."""


def _integers(model: type[BaseModel] = Facts, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out |= _integers(annotation, f"{prefix}{name}.")
        elif int in (annotation, *typing.get_args(annotation)):
            out.add(f"{prefix}{name}")
    return out


def _always_present(model: type[BaseModel] = Facts, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out |= _always_present(annotation, f"{prefix}{name}.")
        elif type(None) not in typing.get_args(annotation) and typing.get_origin(annotation) is not list:
            out.add(f"{prefix}{name}")
    return out


ALWAYS_PRESENT = frozenset(_always_present())
"""Facts that always have a value (``as_of``, ``term.active``, ``customer.products``…): never absent."""
INTEGER_FACTS = frozenset(_integers())
"""Facts holding whole numbers (months, days, counts): ``> 24 and < 25`` holds for none of them."""
NON_NEGATIVE = frozenset({"customer.products", "installed.months_active", "term.duration_months",
                          "term.months_elapsed", "term.months_remaining"})
"""Facts never below zero (counts, and months clamped at 0 when they are computed)."""


# ------------------------------------------------------------------------------------------------ formulas


@dataclass(frozen=True)
class Atom:
    """One test of one fact. ``op``: present, absent, ==, !=, <, <=, >, >=, has, lacks (a list holds / lacks
    ``value``), or opaque (``value`` the compiled test, ``negated`` whether it is its negation)."""

    fact: str
    op: str
    value: Any = None
    negated: bool = False

    def text(self, types: Mapping[str, str] | None = None) -> str:
        if self.op == "present":
            return f"exists({self.fact})"
        if self.op == "absent":
            return f"not exists({self.fact})"
        if self.op == "has":
            return f"{show(self.value)} in {self.fact}"
        if self.op == "lacks":
            return f"{show(self.value)} not in {self.fact}"
        if self.op == "opaque":
            return ("not " if self.negated else "") + f"({self.fact}: arithmetic on facts)"
        kind = (types or {}).get(self.fact) or fact_type(self.fact, {})
        return f"{self.fact} {self.op} {show(self.value, kind)}"


@dataclass(frozen=True)
class And:
    parts: tuple[Formula, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Formula, ...]


Formula = Atom | And | Or
TRUE = And(())
FALSE = Or(())


def formula(condition: Mapping[str, Any]) -> Formula:
    """A compiled condition as a formula (a dict's keys are a conjunction)."""
    parts = [_part(key, body) for key, body in condition.items()]
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _part(key: str, body: Any) -> Formula:
    if key == "$and":
        return And(tuple(formula(c) for c in body))
    if key == "$or":
        return Or(tuple(formula(c) for c in body))
    if key == "$ex":
        return And(tuple(Atom(name, "present") for name in body if name != ABSENT))
    if key == "$iany":
        ((name, inner),) = body.items()
        if isinstance(inner, dict) and set(inner) == {"$i"} and not isinstance(inner["$i"], dict):
            return Atom(inner["$i"], "absent") if name == ABSENT else Atom(name, "has", inner["$i"])
        return _opaque(name, {key: body})
    if key == "$iall":
        ((name, inner),) = body.items()
        test = inner.get("$neq") if isinstance(inner, dict) else None
        if isinstance(test, dict) and set(test) == {"$i"} and not isinstance(test["$i"], dict):
            return Atom(name, "lacks", test["$i"])
        return _opaque(name, {key: body})
    if key in _ORDER_OPS:
        ((name, operand),) = body.items()
        if not isinstance(operand, dict):
            return Atom(name, _ORDER_OPS[key], operand)
        return _opaque(name, {key: body}, operand)
    if not isinstance(body, dict):
        return Atom(key, "==", body)
    return _opaque(key, {key: body}, body)


def _opaque(name: str, test: dict[str, Any], operand: Any = None) -> Formula:
    """A test the solver does not decide: it still needs every fact it reads to be present."""
    reads = sorted({name, *_references(operand)} - {ABSENT})
    return And((*(Atom(n, "present") for n in reads), Atom(name, "opaque", test)))


def _references(json: Any) -> set[str]:
    if isinstance(json, dict):
        if "$m" in json:
            return {json["$m"]}
        return set().union(*(_references(v) for v in json.values()))
    return set()


def negate(f: Formula) -> Formula:
    """Not ``f``, in the executor's terms: a comparison with an absent fact is false, so its negation holds when
    the fact is absent too."""
    if isinstance(f, And):
        return Or(tuple(negate(p) for p in f.parts))
    if isinstance(f, Or):
        return And(tuple(negate(p) for p in f.parts))
    if f.op == "present":
        return Atom(f.fact, "absent")
    if f.op == "absent":
        return Atom(f.fact, "present")
    if f.op == "opaque":
        reads = sorted({f.fact, *_references(f.value)})
        return Or((*(Atom(n, "absent") for n in reads), Atom(f.fact, "opaque", f.value, not f.negated)))
    flipped = {"has": "lacks", "lacks": "has"}.get(f.op) or _NEGATE[f.op]
    return Or((Atom(f.fact, "absent"), Atom(f.fact, flipped, f.value)))


def conj(*parts: Formula) -> Formula:
    return And(tuple(parts))


def reads(f: Formula) -> set[str]:
    """Every fact a formula tests (the facts a witness leaves out are absent)."""
    if isinstance(f, Atom):
        return {f.fact, *(_references(f.value) if f.op == "opaque" else ())}
    return set().union(*(reads(p) for p in f.parts))


# ------------------------------------------------------------------------------------------------ domains


def fact_type(fact: str, attribute_types: Mapping[str, str]) -> str:
    if fact in FACT_TYPES:
        return FACT_TYPES[fact]
    return attribute_types.get(fact, "any")


@dataclass(frozen=True)
class Solution:
    """A verdict and, when it is "yes", the facts that show it (``fact → engine value``; facts not named are
    absent)."""

    verdict: Verdict
    witness: Mapping[str, Any] | None = None
    reason: str = ""
    """For "no": which fact's tests exclude each other; for "undecided": what could not be decided."""


class Solver:
    """Decides formulas over the facts' domains. ``attribute_types``: the type of each free attribute
    (``customer.attributes.x → number``), as the rules use them."""

    def __init__(self, attribute_types: Mapping[str, str] | None = None) -> None:
        self.attribute_types = dict(attribute_types or {})
        self.work = 0
        """Conjunctions decided so far: a deterministic measure of effort callers bound their searches by."""

    # -------------------------------------------------------------- expansion
    def why_not(self, f: Formula) -> str:
        """For a formula that cannot hold: the tests that exclude each other, in each of its alternatives."""
        terms = self.terms(f, prune=False)
        if terms is None:
            return ""
        return "; ".join(dict.fromkeys(r for t in terms if (r := self.solve_term(t).reason)))

    def terms(self, f: Formula, prune: bool = True) -> list[tuple[Atom, ...]] | None:
        """``f`` as a disjunction of conjunctions of atoms (with ``prune``, those that cannot hold dropped); None
        beyond :data:`MAX_TERMS`."""
        if isinstance(f, Atom):
            return [(f,)]
        if isinstance(f, Or):
            out: list[tuple[Atom, ...]] = []
            for part in f.parts:
                sub = self.terms(part, prune)
                if sub is None or len(out) + len(sub) > MAX_TERMS:
                    return None
                out.extend(sub)
            return out
        result: list[tuple[Atom, ...]] = [()]
        for part in f.parts:
            sub = self.terms(part, prune)
            if sub is None or len(result) * len(sub) > MAX_TERMS * 4:
                return None
            result = [a + b for a in result for b in sub]
            if prune:
                result = [t for t in result if self._quick(t)]
            if len(result) > MAX_TERMS:
                return None
        return result

    def _quick(self, term: tuple[Atom, ...]) -> bool:
        """False when the term certainly cannot hold (cheap: used while expanding)."""
        return self.solve_term(term).verdict != "no"

    # -------------------------------------------------------------- deciding
    def satisfy(self, f: Formula, check: Sequence[tuple[Mapping[str, Any], bool]] = ()) -> Solution:
        """Whether ``f`` can hold, with a witness. ``check``: the compiled conditions ``f`` was built from, each
        with the value it must have on the witness when the reference executor runs it: a witness the executor
        does not agree with is never returned."""
        terms = self.terms(f)
        if terms is None:
            return Solution("undecided", reason=f"too many combinations (more than {MAX_TERMS})")
        used = reads(f)
        undecided: Solution | None = None
        reasons: list[str] = []
        for term in terms:
            found = self.solve_term(term)
            if found.verdict == "yes":
                assert found.witness is not None
                facts = engine_facts(found.witness, used)
                if all(evaluate(dict(c), facts) == want for c, want in check):
                    return found
                undecided = undecided or Solution("undecided", reason="no witness the executor agrees with")
            elif found.verdict == "undecided":
                undecided = undecided or found
            else:
                reasons.append(found.reason)
        if undecided is not None:
            return undecided
        return Solution("no", reason="; ".join(dict.fromkeys(r for r in reasons if r)))

    def solve_term(self, term: Iterable[Atom]) -> Solution:
        self.work += 1
        by_fact: dict[str, list[Atom]] = {}
        opaque: list[Atom] = []
        for atom in term:
            (opaque if atom.op == "opaque" else by_fact.setdefault(atom.fact, [])).append(atom)
        witness: dict[str, Any] = {}
        for fact, atoms in by_fact.items():
            ok, value = self._fact(fact, atoms)
            if not ok:
                return Solution("no", reason=" and ".join(a.text(self._types()) for a in _dedupe(atoms)))
            if value is not _ABSENT_VALUE:
                witness[fact] = value
        if opaque:
            facts = engine_facts(witness, {a.fact for a in by_fact.get(ABSENT, [])} | set(by_fact))
            if all(evaluate(a.value, facts) != a.negated for a in opaque):
                return Solution("yes", witness)
            return Solution("undecided", reason="arithmetic between facts (" + ", ".join(
                sorted({a.fact for a in opaque})) + ") is not decided by the analysis")
        return Solution("yes", witness)

    def _types(self) -> dict[str, str]:
        return {**FACT_TYPES, **self.attribute_types}

    def _fact(self, fact: str, atoms: list[Atom]) -> tuple[bool, Any]:
        ops = {a.op for a in atoms}
        if "absent" in ops:
            return (ops == {"absent"} and fact not in ALWAYS_PRESENT), _ABSENT_VALUE
        kind = fact_type(fact, self.attribute_types)
        if kind == "any":
            kind = _kind_of_constants(atoms)
        candidates: list[Any]
        if kind == LIST:
            has = {a.value for a in atoms if a.op == "has"}
            lacks = {a.value for a in atoms if a.op == "lacks"}
            if has & lacks or any(a.op not in ("present", "has", "lacks") for a in atoms):
                return False, None
            return True, sorted(has) or [_fresh("other", lacks)]
        if kind == BOOLEAN:
            candidates = [True, False]
        elif kind == STRING:
            if any(a.op in ("<", "<=", ">", ">=") for a in atoms):
                candidates = _string_candidates(atoms)
            elif fact in FACT_VALUES:
                candidates = list(FACT_VALUES[fact])
            else:
                excluded = {a.value for a in atoms if a.op == "!="}
                candidates = [a.value for a in atoms if a.op == "=="] or [_fresh("other", excluded)]
        else:  # number or date
            candidates = _number_candidates(atoms, fact in INTEGER_FACTS or kind == DATE,
                                            Decimal(0) if fact in NON_NEGATIVE else None)
        for value in candidates:
            if all(_holds(a, value) for a in atoms):
                return True, value
        return False, None


_ABSENT_VALUE = object()


def _dedupe(atoms: list[Atom]) -> list[Atom]:
    return list(dict.fromkeys(a for a in atoms if a.op != "present")) or atoms


def _kind_of_constants(atoms: list[Atom]) -> str:
    for a in atoms:
        if a.op in ("has", "lacks"):
            return LIST
        if isinstance(a.value, bool):
            return BOOLEAN
        if isinstance(a.value, str):
            return STRING
        if isinstance(a.value, (int, Decimal)):
            return NUMBER
    return STRING


def _fresh(base: str, taken: set[Any]) -> str:
    value, n = base, 1
    while value in taken:
        n += 1
        value = f"{base}-{n}"
    return value


def _holds(atom: Atom, value: Any) -> bool:
    op = atom.op
    if op == "present":
        return True
    right = atom.value
    if isinstance(value, bool) != isinstance(right, bool) or isinstance(value, str) != isinstance(right, str):
        return False  # the executor: a comparison across types is false, whatever the operator
    if op == "==":
        return bool(value == right)
    if op == "!=":
        return bool(value != right)
    if isinstance(value, bool):
        return False
    return bool({"<": value < right, "<=": value <= right, ">": value > right, ">=": value >= right}[op])


def _number_candidates(atoms: list[Atom], integer: bool, minimum: Decimal | None) -> list[Any]:
    """Enough values to find one satisfying the atoms when any does: the bounds, a point past each, and (between
    two bounds) as many points as there are excluded values, plus one."""
    values = [Decimal(a.value) for a in atoms if a.op not in ("present",) and isinstance(a.value, (int, Decimal))
              and not isinstance(a.value, bool)]
    equal = [Decimal(a.value) for a in atoms if a.op == "==" and isinstance(a.value, (int, Decimal))]
    if equal:
        return [_as_number(v, integer) for v in equal]
    lows = [(Decimal(a.value), a.op == ">=") for a in atoms if a.op in (">", ">=")]
    highs = [(Decimal(a.value), a.op == "<=") for a in atoms if a.op in ("<", "<=")]
    if minimum is not None:
        lows.append((minimum, True))
    excluded = len([a for a in atoms if a.op == "!="])
    low = max(lows, key=lambda b: (b[0], not b[1])) if lows else None
    high = min(highs, key=lambda b: (b[0], b[1])) if highs else None
    out: list[Decimal] = []
    step = Decimal(1)
    if integer:
        lo = None if low is None else (_ceil(low[0]) if low[1] else _floor(low[0]) + 1)
        hi = None if high is None else (_floor(high[0]) if high[1] else _ceil(high[0]) - 1)
        if lo is not None:
            out += [lo + i for i in range(excluded + 1)]
        elif hi is not None:
            out += [min(hi, Decimal(0)) - i for i in range(excluded + 1)] + [hi - i for i in range(excluded + 1)]
        else:
            out += [Decimal(i) for i in range(excluded + 1)]
        return [int(v) for v in out]
    if low is not None and high is not None:
        width = high[0] - low[0]
        if low[1]:
            out.append(low[0])
        if high[1]:
            out.append(high[0])
        out += [low[0] + width * Decimal(k) / Decimal(excluded + 2) for k in range(1, excluded + 2)]
    elif low is not None:
        out += [low[0]] + [low[0] + step * (k + 1) for k in range(excluded + 1)]
    elif high is not None:
        start = min(high[0], Decimal(0))
        out += [start] + [high[0] - step * (k + 1) for k in range(excluded + 1)]
    else:
        out += [Decimal(k) for k in range(excluded + 1)]
    out += values
    return [_as_number(v, False) for v in out]


def _floor(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding="ROUND_FLOOR")


def _ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding="ROUND_CEILING")


def _as_number(value: Decimal, integer: bool) -> Any:
    if integer and value == value.to_integral_value():
        return int(value)
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else normal


def _string_candidates(atoms: list[Atom]) -> list[str]:
    texts = sorted({str(a.value) for a in atoms if isinstance(a.value, str)})
    out = list(texts) + [t + "~" for t in texts] + [t[:-1] for t in texts if t] + [""]
    return out


# ------------------------------------------------------------------------------------------------ showing facts


def show(value: Any, kind: str | None = None) -> str:
    """A value as the author writes it in a condition."""
    if kind == DATE and isinstance(value, int) and not isinstance(value, bool):
        return f"date('{(EPOCH + dt.timedelta(days=value)).isoformat()}')"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def as_condition(witness: Mapping[str, Any], attribute_types: Mapping[str, str] | None = None) -> str:
    """A witness written as the condition that describes it (``customer.segment == 'business' and term.active``)."""
    parts = []
    for name, value in sorted(witness.items()):
        if isinstance(value, list):
            parts += [f"{show(v)} in {name}" for v in value]
        elif isinstance(value, bool):
            parts.append(name if value else f"not {name}")
        else:
            parts.append(f"{name} == {show(value, fact_type(name, attribute_types or {}))}")
    return " and ".join(parts) or "every fact absent"


def plain_value(value: Any, kind: str) -> Any:
    """A witness value for people and JSON: dates as ISO text, numbers as numbers."""
    if kind == DATE and isinstance(value, int) and not isinstance(value, bool):
        return (EPOCH + dt.timedelta(days=value)).isoformat()
    return value


def engine_facts(witness: Mapping[str, Any], used: Iterable[str] = ()) -> dict[str, Any]:
    """The nested facts both executors read (as :func:`odedelta.rules.facts.engine_facts` builds them) for a
    witness: ``fact → engine value``; every fact of ``used`` not in the witness is absent."""
    data: dict[str, Any] = {}
    for name, value in witness.items():
        section = data
        *path, last = name.split(".")
        for part in path:
            section = section.setdefault(part, {})
        section[last] = value
    absent = sorted(set(used) - set(witness))
    data[ABSENT] = absent or ["-"]
    return data


def from_plain(fact: str, value: Any, attribute_types: Mapping[str, str] | None = None) -> Any:
    """The engine value of a plain witness value (ISO dates back to day numbers)."""
    if fact_type(fact, attribute_types or {}) == DATE and isinstance(value, str):
        return (dt.date.fromisoformat(value) - EPOCH).days
    if isinstance(value, float):
        return Decimal(str(value))
    return value


__all__ = ["FALSE", "TRUE", "And", "Atom", "Formula", "Or", "Solution", "Solver", "conj", "engine_facts",
           "formula", "from_plain", "negate", "plain_value", "show"]
