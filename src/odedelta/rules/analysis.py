"""Rule-set analysis (``odedelta check --analyze``): what a rule set decides before a customer meets it.

Per kind of rule, under its hit policy (:mod:`odedelta.rules.rulebook`): first-match kinds (penalty,
promotion_loss, renewal, timing, sla_credit, revenue_share: the highest priority, then file order, decides),
eligibility (a deny wins unless an allow of higher priority matches) and collect kinds (every matching rule applies):

* ``always_false`` (error) — a condition no facts satisfy (``tenure_months > 24 and tenure_months < 12``): the rule
  never fires;
* ``always_true`` (warning) — a written condition every set of facts satisfies (leave ``when`` out instead);
* ``masked`` (error) — a first-match rule (or an eligibility allow) never reached: rules ranked above it match
  everything it matches;
* ``overlap`` — two rules both match some facts. Under first match at equal priority with different effects, file
  order alone picks the winner (error: give one a higher priority, or mark the overlap intended); an eligibility
  allow and deny at equal priority (error: the deny wins); otherwise (info) which one wins, or that both apply;
* ``subsumed`` (warning) — in a collect kind, a rule whose every match another rule with the same effect also
  matches: it applies twice;
* ``gap`` (warning) — in a table (two or more rules of a kind reading the same facts), a combination of the values
  the rules use for which no rule of the kind fires (a penalty table with no rule for business customers in months
  13–24), with the ``when`` of the rule that closes it;
* ``undecided`` (info) — what the analysis cannot decide (arithmetic between facts) is said, never guessed.

Every finding carries the rules' ``file:line`` and, where one exists, a counterexample: concrete fact values (facts
not named are absent) on which the executor shows it — the rules fire, the masking rule wins, or none fires.
``analysis: {allow_overlap: true}`` on a rule marks its overlaps as intended, ``allow_gap: true`` the gaps of its
table. Eligibility tables have no gaps (no rule firing means eligible), and neither do open ends of a range:
``sla.measured >= 99.5`` with no credit rule is not a gap, a hole between two ranges is.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from odedelta.rules.expr import BOOLEAN, DATE, LIST
from odedelta.rules.facts import FACT_VALUES
from odedelta.rules.language import EligibilityEffect, Rule, allows_gap, allows_overlap, effect_key
from odedelta.rules.solver import (
    INTEGER_FACTS,
    And,
    Atom,
    Formula,
    Or,
    Solution,
    Solver,
    conj,
    fact_type,
    formula,
    negate,
    plain_value,
    show,
)

Severity = Literal["error", "warning", "info"]
Code = Literal["always_false", "always_true", "masked", "overlap", "subsumed", "gap", "undecided"]
MAX_CELLS = 2000
"""The most value combinations a table's gap search visits; beyond, the gap search says it was not done."""
MAX_NOTES = 50
"""The most overlap notes listed per kind (overlaps priority resolves, or that apply together); the rest are
counted in one note."""
MAX_WORK = 400_000
"""The most conjunctions the solver decides for one rule set (a deterministic budget, not a clock): past it, what
was not searched is said in a note."""


@dataclass(frozen=True)
class Finding:
    """One thing the analysis found, with the rules, where they are written and the facts that show it."""

    code: Code
    severity: Severity
    kind: str
    rules: tuple[str, ...]
    locations: tuple[str, ...]
    message: str
    counterexample: Mapping[str, Any] | None = None
    """``fact → value`` (dates as ISO text); facts the rules read that are not named here are absent."""
    suggestion: str | None = None
    winner: str | None = None
    """For an overlap or a masked rule: the rule that decides on the counterexample."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "severity": self.severity, "kind": self.kind,
                               "rules": list(self.rules), "locations": list(self.locations),
                               "message": self.message}
        if self.counterexample is not None:
            out["counterexample"] = dict(self.counterexample)
        if self.winner is not None:
            out["winner"] = self.winner
        if self.suggestion is not None:
            out["suggestion"] = self.suggestion
        return out

    def text(self) -> str:
        where = f"{self.locations[0]}: " if self.locations else ""
        line = f"{where}{self.severity}: [{self.code}] {self.message}"
        if self.counterexample is not None:
            line += f"\n    counterexample: {facts_text(self.counterexample)}"
        if self.suggestion:
            line += f"\n    suggestion: {self.suggestion}"
        return line


@dataclass(frozen=True)
class Analysis:
    findings: tuple[Finding, ...]
    rules: int
    kinds: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def as_dict(self) -> dict[str, Any]:
        return {"ok": not self.errors, "rules": self.rules,
                "counts": {s: sum(f.severity == s for f in self.findings) for s in ("error", "warning", "info")},
                "findings": [f.as_dict() for f in self.findings]}

    def text(self) -> str:
        lines = [f.text() for f in self.findings]
        counts = self.as_dict()["counts"]
        lines.append(f"analysis of {self.rules} rules: {counts['error']} error(s), {counts['warning']} warning(s), "
                     f"{counts['info']} note(s)")
        return "\n".join(lines)


def facts_text(facts: Mapping[str, Any]) -> str:
    if not facts:
        return "any facts (every fact absent)"
    return ", ".join(f"{name} = {_plain_show(value)}" for name, value in facts.items()) + " (other facts absent)"


def _plain_show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_plain_show(v) for v in value) + "]"
    return str(value)


# ------------------------------------------------------------------------------------------------ the analysis


def analyze(rules: Sequence[Rule]) -> Analysis:
    """Every finding over a checked rule set (:func:`odedelta.rules.language.check_rule_documents`' rules, in file
    order), kind by kind in the order the kinds first appear; errors, then warnings, then notes within a kind."""
    attribute_types: dict[str, str] = {}
    for rule in rules:
        attribute_types.update(rule.attribute_types)
    solver = Solver(attribute_types)
    findings: list[Finding] = []
    kinds = list(dict.fromkeys(r.kind for r in rules))
    order = {r.key: i for i, r in enumerate(rules)}
    for kind in kinds:
        ranked = sorted((r for r in rules if r.kind == kind), key=lambda r: (-r.priority, order[r.key]))
        found = _Kind(kind, ranked, solver).run()
        findings.extend(sorted(found, key=lambda f: ("error", "warning", "info").index(f.severity)))
    return Analysis(tuple(findings), len(rules), tuple(kinds))


def _plain(witness: Mapping[str, Any], solver: Solver) -> dict[str, Any]:
    return {name: plain_value(value, fact_type(name, solver.attribute_types))
            for name, value in sorted(witness.items())}


class _Kind:
    """The analysis of the rules of one kind, highest rank first."""

    def __init__(self, kind: str, ranked: list[Rule], solver: Solver) -> None:
        self.kind = kind
        self.ranked = ranked
        self.solver = solver
        self.mode = ranked[0].model.MODE if ranked else "all"
        self.formulas = {r.key: formula(r.condition) for r in ranked}
        self.rank = {r.key: i for i, r in enumerate(ranked)}
        self.index = _Index(ranked, self.formulas)
        self.undated = {r.key: _without(self.formulas[r.key], "as_of") if _dated_only(r) else self.formulas[r.key]
                        for r in ranked}
        """Conditions without the bounds of the rules' effective dates: a gap is a hole in what the rules decide,
        not the time before a rule's first version."""
        self.reported: set[tuple[str, tuple[str, ...]]] = set()
        self.findings: list[Finding] = []
        self.dead: set[str] = set()
        self.notes = 0
        self.hidden = 0

    def run(self) -> list[Finding]:
        for rule in self.ranked:
            self._alone(rule)
        self._pairs()
        if self.mode != "deny_wins":
            self._gaps()
        if self.hidden:
            self.findings.append(Finding("overlap", "info", self.kind, (), (), f"and {self.hidden} more "
                                         f"{self.kind} overlap(s) resolved by priority or applying together (the "
                                         f"first {MAX_NOTES} are listed)"))
        return self.findings

    def add(self, code: Code, severity: Severity, rules: Sequence[Rule], message: str,
            witness: Mapping[str, Any] | None = None, suggestion: str | None = None,
            winner: str | None = None) -> None:
        if code != "gap":  # versions of one rule are one rule: a finding about it is said once
            seen = (code, tuple(r.id for r in rules))
            if seen in self.reported:
                return
            self.reported.add(seen)
        if severity == "info" and code == "overlap":
            if self.notes >= MAX_NOTES:
                self.hidden += 1
                return
            self.notes += 1
        self.findings.append(Finding(code, severity, self.kind, tuple(r.id for r in rules),
                                     tuple(r.where for r in rules), message,
                                     _plain(witness, self.solver) if witness is not None else None, suggestion,
                                     winner))

    # -------------------------------------------------------------- one rule
    def _alone(self, rule: Rule) -> None:
        f = self.formulas[rule.key]
        alone = self.solver.satisfy(f, [(rule.condition, True)])
        if alone.verdict == "no":
            self.dead.add(rule.key)
            why = self.solver.why_not(f)
            self.add("always_false", "error", [rule], f"{self.kind} rule {rule.id!r} can never fire: no facts "
                     f"satisfy its condition" + (f" ({why} exclude each other)" if why else ""),
                     suggestion="correct the bounds (e.g. 'and' where 'or' was meant), or remove the rule")
            return
        if alone.verdict == "undecided":
            self.add("undecided", "info", [rule], f"whether {self.kind} rule {rule.id!r} can fire is not decided: "
                     f"{alone.reason}")
            return
        if rule.model.when is None:
            return
        never = self.solver.satisfy(negate(f), [(rule.condition, False)])
        if never.verdict == "no":
            self.add("always_true", "warning", [rule], f"the condition of {self.kind} rule {rule.id!r} holds for "
                     "every set of facts", alone.witness, "leave 'when' out for a rule that always applies")

    # -------------------------------------------------------------- pairs
    def _pairs(self) -> None:
        live = [r for r in self.ranked if r.key not in self.dead]
        masked: set[str] = set()
        dead = self.dead
        for b in live:
            if self.solver.work > MAX_WORK:
                break
            if self.mode == "all" or (self.mode == "deny_wins" and _decision(b) != "allow"):
                continue
            near = [a for a in self.index.near(self.index.equalities[b.key]) if a.key not in dead]
            above = [a for a in near if self.rank[a.key] < self.rank[b.key]]
            if self._masked(b, above, near):
                masked.add(b.key)
        for b in live:
            if self.solver.work > MAX_WORK:
                self.add("undecided", "info", live[:1], f"the analysis of the {len(live)} {self.kind} rules stopped "
                         f"after {MAX_WORK} steps: overlaps and masked rules were not all searched")
                return
            if b.key in masked:
                continue
            for a in self.index.near(self.index.equalities[b.key]):
                if self.rank[a.key] >= self.rank[b.key]:
                    break  # rank order: the rest rank below b
                if a.key not in masked and a.key not in dead:
                    self._pair(a, b)

    def _masked(self, rule: Rule, above: list[Rule], near: list[Rule]) -> bool:
        """A first-match rule never reached, or an eligibility allow always overruled (a deny of at least its
        priority matches wherever it does). ``above``: the rules ranked above it that may match with it; ``near``:
        every rule that may."""
        if self.mode == "deny_wins":
            if _decision(rule) != "allow":
                return False
            above = [r for r in near if _decision(r) == "deny" and r.priority >= rule.priority]
        if not above:
            return False
        for other in above:  # one rule that covers it
            covers = self.solver.satisfy(conj(self.formulas[rule.key], negate(self.formulas[other.key])),
                                         [(rule.condition, True), (other.condition, False)])
            if covers.verdict == "no":
                self._report_masked(rule, [other])
                return True
        together = conj(self.formulas[rule.key], *(negate(self.formulas[o.key]) for o in above))
        if 1 < len(above) <= 64 and self.solver.satisfy(together).verdict == "no":
            hitting = [o for o in above if self.solver.satisfy(
                conj(self.formulas[rule.key], self.formulas[o.key])).verdict == "yes"]
            self._report_masked(rule, hitting or above)
            return True
        return False

    def _report_masked(self, rule: Rule, by: list[Rule]) -> None:
        first = by[0]
        shown = self.solver.satisfy(conj(self.formulas[rule.key], self.formulas[first.key]),
                                    [(rule.condition, True), (first.condition, True)])
        names = ", ".join(repr(r.id) for r in by)
        if self.mode == "deny_wins":
            message = (f"eligibility allow {rule.id!r} never takes effect: wherever it matches, {names} (a deny of "
                       "at least its priority) matches too and refuses")
            hint = f"give {rule.id!r} a priority above {first.priority}, or narrow the deny"
        else:
            rank = f"priority {first.priority}" + (", file order" if first.priority == rule.priority else "")
            message = (f"{self.kind} rule {rule.id!r} is never reached: wherever it matches, {names} (ranked above "
                       f"it: {rank}) matches first")
            hint = f"give {rule.id!r} a priority above {first.priority} if it is an exception, or remove it"
        self.add("masked", "error", [rule, *by], message, shown.witness, hint, winner=first.id)

    def _pair(self, a: Rule, b: Rule) -> None:
        if self.mode == "deny_wins" and _decision(a) == _decision(b):
            return  # two denies (or allows) that meet: every one is a reason, nothing to decide
        if self.notes >= MAX_NOTES and self.mode == "all" and effect_key(a) != effect_key(b):
            self.hidden += 1  # only a note could come of it
            return
        both = self.solver.satisfy(conj(self.formulas[a.key], self.formulas[b.key]),
                                   [(a.condition, True), (b.condition, True)])
        if both.verdict == "no":
            return
        if both.verdict == "undecided":
            if self.mode != "all" and a.priority == b.priority and effect_key(a) != effect_key(b):
                self.add("undecided", "info", [a, b], f"whether {self.kind} rules {a.id!r} and {b.id!r} (same "
                         f"priority {a.priority}) can both match is not decided: {both.reason}")
            return
        allowed = allows_overlap(a) or allows_overlap(b)
        if self.mode == "all":
            self._collect_pair(a, b, both, allowed)
            return
        if allowed:
            return
        if self.mode == "deny_wins":
            da, db = _decision(a), _decision(b)
            if da == db:
                return
            deny, allow = (a, b) if da == "deny" else (b, a)
            if a.priority == b.priority:
                self.add("overlap", "error", [a, b], f"eligibility rules {a.id!r} and {b.id!r} have the same "
                         f"priority {a.priority} and can both match: the deny {deny.id!r} wins, the allow "
                         f"{allow.id!r} does not take effect there", both.witness,
                         f"give {allow.id!r} a higher priority if it is an exception, or mark the overlap intended "
                         "(analysis: {allow_overlap: true})", winner=deny.id)
            elif allow.priority > deny.priority:
                self.add("overlap", "info", [a, b], f"eligibility allow {allow.id!r} (priority {allow.priority}) "
                         f"overrides deny {deny.id!r} (priority {deny.priority}) where both match", both.witness,
                         winner=allow.id)
            return
        if effect_key(a) == effect_key(b):
            self._redundant(a, b, both)
            return
        if a.priority == b.priority:
            self.add("overlap", "error", [a, b], f"{self.kind} rules {a.id!r} and {b.id!r} have the same priority "
                     f"{a.priority} and can both match with different effects: file order alone makes {a.id!r} "
                     "win", both.witness, "give one a higher priority, or mark the overlap intended "
                     "(analysis: {allow_overlap: true})", winner=a.id)
        else:
            self.add("overlap", "info", [a, b], f"{self.kind} rules {a.id!r} (priority {a.priority}) and {b.id!r} "
                     f"(priority {b.priority}) can both match: {a.id!r} wins", both.witness, winner=a.id)

    def _redundant(self, a: Rule, b: Rule, both: Solution) -> None:
        """First match, one effect: ``a`` (ranked above) is subsumed by ``b`` when ``b`` matches wherever ``a``
        does and no rule ranked between them takes over with another effect — removing ``a`` changes nothing."""
        inside = self.solver.satisfy(conj(self.formulas[a.key], negate(self.formulas[b.key])),
                                     [(a.condition, True), (b.condition, False)])
        if inside.verdict != "no":
            return
        start, end = self.ranked.index(a), self.ranked.index(b)
        for other in self.ranked[start + 1:end]:
            if effect_key(other) != effect_key(a) and other.key not in self.dead and self.solver.satisfy(
                    conj(self.formulas[a.key], self.formulas[other.key])).verdict != "no":
                return
        self.add("subsumed", "warning", [a, b], f"{self.kind} rule {a.id!r} is subsumed by {b.id!r}: it has the "
                 f"same effect and {b.id!r} matches wherever it does, so removing {a.id!r} changes nothing",
                 both.witness, f"remove {a.id!r}", winner=a.id)

    def _collect_pair(self, a: Rule, b: Rule, both: Solution, allowed: bool) -> None:
        """Every matching rule of a collect kind applies: an overlap is how they are meant to work (a note says
        both apply); a rule that repeats another's effect wherever it matches is subsumed (applied twice)."""
        if allowed:
            return
        if effect_key(a) == effect_key(b):
            for inner, outer in ((a, b), (b, a)):
                rest = self.solver.satisfy(conj(self.formulas[inner.key], negate(self.formulas[outer.key])),
                                           [(inner.condition, True), (outer.condition, False)])
                if rest.verdict == "no":
                    self.add("subsumed", "warning", [inner, outer], f"{self.kind} rule {inner.id!r} is subsumed "
                             f"by {outer.id!r}: it has the same effect and {outer.id!r} matches wherever it does, "
                             "so the effect applies twice", both.witness, f"remove {inner.id!r}")
                    return
        self.add("overlap", "info", [a, b], f"{self.kind} rules {a.id!r} and {b.id!r} can both match: both apply",
                 both.witness)

    # -------------------------------------------------------------- gaps
    def _gaps(self) -> None:
        tables: dict[frozenset[str], list[Rule]] = {}
        for rule in self.ranked:
            if rule.key in self.dead:
                continue
            facts = frozenset(rule.facts - ({"as_of"} if _dated_only(rule) else set()))
            if facts:
                tables.setdefault(facts, []).append(rule)
        for facts, table in tables.items():
            if len({r.id for r in table}) >= 2 and not any(allows_gap(r) for r in table):
                _Gaps(self, sorted(facts), table).run()


class _Index:
    """Rules by the value they require of the fact most of them compare with a constant (``installed.offering ==
    'x'``): two rules requiring different values cannot both match, so a table of hundreds of rows is searched row
    by neighbouring row, not every row against every other."""

    def __init__(self, ranked: list[Rule], formulas: Mapping[str, Formula]) -> None:
        self.ranked = ranked
        self.rank = {r.key: i for i, r in enumerate(ranked)}
        self.equalities = {r.key: _equalities(formulas[r.key]) for r in ranked}
        counts: dict[str, int] = {}
        for found in self.equalities.values():
            for fact in found:
                counts[fact] = counts.get(fact, 0) + 1
        self.fact = max(sorted(counts), key=counts.__getitem__) if counts else None
        self.buckets: dict[str, list[Rule]] = {}
        self.wild: list[Rule] = []
        self._near: dict[str, list[Rule]] = {}
        for rule in ranked:
            found = self.equalities[rule.key]
            if self.fact is not None and self.fact in found:
                self.buckets.setdefault(repr(found[self.fact]), []).append(rule)
            else:
                self.wild.append(rule)

    @staticmethod
    def of_atoms(atoms: Iterable[Atom]) -> dict[str, Any]:
        return {a.fact: a.value for a in atoms if a.op == "=="}

    def near(self, equalities: Mapping[str, Any], among: Sequence[Rule] | None = None) -> list[Rule]:
        """The rules (of ``among``, or all) that may match together with facts requiring ``equalities``, in
        rank order."""
        if self.fact is None or self.fact not in equalities:
            found = self.ranked
        else:
            key = repr(equalities[self.fact])
            if key not in self._near:
                self._near[key] = sorted([*self.buckets.get(key, []), *self.wild], key=lambda r: self.rank[r.key])
            found = self._near[key]
        if among is None:
            return list(found)
        wanted = {r.key for r in among}
        return [r for r in found if r.key in wanted]


def _equalities(f: Formula) -> dict[str, Any]:
    return {a.fact: a.value for a in _top_atoms(f) if a.op == "=="}


def _dated_only(rule: Rule) -> bool:
    """``as_of`` comes from the rule's effective dates only (not its condition): not a column of its table."""
    return rule.model.valid_for is not None and "as_of" not in (rule.model.when or "")


def _decision(rule: Rule) -> str:
    then = rule.then
    return then.decision if isinstance(then, EligibilityEffect) else ""


# ------------------------------------------------------------------------------------------------ gaps


@dataclass(frozen=True)
class _Region:
    """One value (or range) of one dimension of a table."""

    fact: str
    atoms: tuple[Atom, ...]
    low: tuple[Decimal, bool] | None = None
    high: tuple[Decimal, bool] | None = None
    text: str = ""
    ordered: bool = False
    """A range of a number or date (its neighbours are the ranges beside it)."""


class _Gaps:
    def __init__(self, owner: _Kind, facts: list[str], table: list[Rule]) -> None:
        self.owner = owner
        self.solver = owner.solver
        self.facts = facts
        self.table = table
        shared = [set(_top_atoms(owner.formulas[r.key])) for r in table]
        self.scope = tuple(sorted(set.intersection(*shared), key=lambda a: (a.fact, a.op, str(a.value))))
        """What every rule of the table requires (``exists(sla.supplier)``, ``term.active``): the table's
        subject; a gap is looked for inside it, not outside."""

    def run(self) -> None:
        dims = [dim for fact in self.facts for dim in self._dimension(fact) if dim]
        if not dims:
            return
        ranges = [self._in_range(d) for d in dims]
        if any(not r for r in ranges):
            return
        count = 1
        for r in ranges:
            count *= len(r)
        if count > MAX_CELLS:
            self.owner.add("undecided", "info", self.table[:2], f"the {self.owner.kind} table of "
                           f"{len(self.table)} rules over {', '.join(self.facts)} has {count} value combinations: "
                           f"gaps were not searched (more than {MAX_CELLS})")
            return
        gaps = []
        for cell in itertools.product(*ranges):
            if self.solver.work > MAX_WORK:
                self.owner.add("undecided", "info", self.table[:2], f"the gap search of the {self.owner.kind} table "
                               f"of {len(self.table)} rules stopped after {MAX_WORK} steps")
                return
            if self._uncovered(cell) is not None:
                gaps.append(cell)
        for cell in _merge(gaps, dims):
            self._report(cell)

    def _dimension(self, fact: str) -> list[list[_Region]]:
        """The regions of one fact the table's rules tell apart (a list fact: one dimension per constant)."""
        atoms = [a for r in self.table for a in _atoms(self.owner.formulas[r.key]) if a.fact == fact]
        constants = [a.value for a in atoms if a.op not in ("present", "absent", "opaque")]
        if not constants:
            return []
        kind = fact_type(fact, self.solver.attribute_types)
        if kind == LIST:
            return [[_Region(fact, (Atom(fact, "has", c),), text=f"{show(c)} in {fact}"),
                     _Region(fact, (Atom(fact, "lacks", c),), text=f"{show(c)} not in {fact}")]
                    for c in sorted(set(constants))]
        if kind == BOOLEAN or all(isinstance(c, bool) for c in constants):
            return [[_Region(fact, (Atom(fact, "==", True),), text=fact),
                     _Region(fact, (Atom(fact, "==", False),), text=f"not {fact}")]]
        if any(isinstance(c, str) for c in constants):
            values = list(dict.fromkeys([*FACT_VALUES.get(fact, ()), *sorted(set(map(str, constants)))]))
            return [[_Region(fact, (Atom(fact, "==", v),), text=f"{fact} == {show(v)}") for v in values]]
        points = sorted({Decimal(c) for c in constants})
        regions: list[_Region] = []
        previous: Decimal | None = None
        for point in [*points, None]:
            low = (previous, False) if previous is not None else None
            high = (point, False) if point is not None else None
            regions.append(self._range(fact, low, high, kind))
            if point is not None:
                regions.append(self._range(fact, (point, True), (point, True), kind))
            previous = point
        return [[r for r in regions if self.solver.solve_term(r.atoms).verdict != "no"]]

    def _range(self, fact: str, low: tuple[Decimal, bool] | None, high: tuple[Decimal, bool] | None,
               kind: str) -> _Region:
        atoms = []
        if low is not None:
            atoms.append(Atom(fact, ">=" if low[1] else ">", _number(low[0])))
        if high is not None:
            atoms.append(Atom(fact, "<=" if high[1] else "<", _number(high[0])))
        if not atoms:
            atoms.append(Atom(fact, "present"))
        return _Region(fact, tuple(atoms), low, high, _range_text(fact, low, high, kind), ordered=True)

    def _in_range(self, regions: list[_Region]) -> list[_Region]:
        """The regions some rule of the table reaches; for a range, every region between the lowest and the
        highest reached (the open ends beyond them are not gaps)."""
        index = self.owner.index
        reached = [i for i, region in enumerate(regions) if any(
            self.solver.satisfy(conj(self.owner.formulas[r.key], *region.atoms)).verdict != "no"
            for r in index.near(index.of_atoms(region.atoms), self.table))]
        if not reached:
            return []
        if regions[0].ordered:
            return regions[min(reached):max(reached) + 1]
        if regions[0].fact in FACT_VALUES and regions[0].atoms[0].op == "==":
            return regions  # a closed set: a value no rule names is a gap (change.direction == 'lateral')
        return [regions[i] for i in reached]

    def _uncovered(self, cell: tuple[_Region, ...]) -> Mapping[str, Any] | None:
        """Facts inside the cell on which no rule of the kind fires (the executor agrees), or None."""
        atoms = [*self.scope, *(a for region in cell for a in region.atoms)]
        if self.solver.solve_term(atoms).verdict != "yes":
            return None
        table = {r.key for r in self.table}
        near = self.owner.index.near(self.owner.index.of_atoms(atoms))  # the others need another value
        rules = sorted(near, key=lambda r: r.key not in table)  # the table's rules prune fastest
        none = conj(*atoms, *(negate(self.owner.undated[r.key]) for r in rules))
        found = self.solver.satisfy(none, [(r.condition, False) for r in rules])
        return found.witness if found.verdict == "yes" else None

    def _report(self, cell: tuple[_Region, ...]) -> None:
        witness = self._uncovered(cell)
        if witness is None:
            return
        when = " and ".join(region.text for region in cell)
        names = ", ".join(repr(r.id) for r in self.table[:5]) + (
            f", … ({len(self.table)} rules)" if len(self.table) > 5 else "")
        self.owner.add("gap", "warning", self.table, f"no {self.owner.kind} rule fires when {when} (the table "
                       f"{names} reads {', '.join(self.facts)})", witness,
                       f'add a rule with when: "{when}", or mark the table complete (analysis: {{allow_gap: true}})')


def _without(f: Formula, fact: str) -> Formula:
    """``f`` with every test of ``fact`` taken as true."""
    if isinstance(f, Atom):
        return And(()) if f.fact == fact else f
    parts = tuple(_without(p, fact) for p in f.parts)
    return And(parts) if isinstance(f, And) else Or(parts)


def _top_atoms(f: Formula) -> Iterable[Atom]:
    """The atoms a formula requires outright (those of its top-level conjunction)."""
    if isinstance(f, Atom):
        yield f
    elif isinstance(f, And):
        for part in f.parts:
            yield from _top_atoms(part)


def _atoms(f: Formula) -> Iterable[Atom]:
    if isinstance(f, Atom):
        yield f
    else:
        for part in f.parts:
            yield from _atoms(part)


def _number(value: Decimal) -> Any:
    return int(value) if value == value.to_integral_value() else value


def _range_text(fact: str, low: tuple[Decimal, bool] | None, high: tuple[Decimal, bool] | None, kind: str) -> str:
    integer = fact in INTEGER_FACTS or kind == DATE
    if integer:  # whole numbers: inclusive bounds read best (13 <= x <= 23)
        lo = None if low is None else (low[0] if low[1] else low[0].to_integral_value("ROUND_FLOOR") + 1)
        hi = None if high is None else (high[0] if high[1] else high[0].to_integral_value("ROUND_CEILING") - 1)
        parts = []
        if lo is not None and hi is not None and lo == hi:
            return f"{fact} == {show(_number(lo), kind)}"
        if lo is not None:
            parts.append(f"{fact} >= {show(_number(lo), kind)}")
        if hi is not None:
            parts.append(f"{fact} <= {show(_number(hi), kind)}")
        return " and ".join(parts) or f"exists({fact})"
    if low is not None and high is not None and low == high:
        return f"{fact} == {show(_number(low[0]), kind)}"
    parts = []
    if low is not None:
        parts.append(f"{fact} {'>=' if low[1] else '>'} {show(_number(low[0]), kind)}")
    if high is not None:
        parts.append(f"{fact} {'<=' if high[1] else '<'} {show(_number(high[0]), kind)}")
    return " and ".join(parts) or f"exists({fact})"


def _merge(cells: list[tuple[_Region, ...]], dims: list[list[_Region]]) -> list[tuple[_Region, ...]]:
    """Gap cells that differ in one dimension joined into one: adjacent ranges (business × [12], (12, 24), [24] →
    12 <= tenure <= 24), values of a set (``change.direction in ['lateral', 'new']``)."""
    order = sorted(range(len(dims)), key=lambda d: bool(dims[d]) and dims[d][0].ordered)
    for d in order:
        regions = dims[d]
        if not regions:
            continue
        index = {r.text: i for i, r in enumerate(regions)}
        groups: dict[tuple[str, ...], list[tuple[_Region, ...]]] = {}
        for cell in cells:
            key = tuple(r.text for k, r in enumerate(cell) if k != d)
            groups.setdefault(key, []).append(cell)
        merged: list[tuple[_Region, ...]] = []
        for group in groups.values():
            group.sort(key=lambda c: index.get(c[d].text, -1))
            if not regions[0].ordered:
                merged.append(_join_set(group, d))
                continue
            run = [group[0]]
            for cell in group[1:]:
                if index.get(cell[d].text, -9) == index.get(run[-1][d].text, -9) + 1:
                    run.append(cell)
                else:
                    merged.append(_join(run, d))
                    run = [cell]
            merged.append(_join(run, d))
        cells = merged
    return cells


def _join_set(group: list[tuple[_Region, ...]], d: int) -> tuple[_Region, ...]:
    if len(group) == 1:
        return group[0]
    first = group[0][d]
    values = [c[d].atoms[0].value for c in group]
    if first.atoms[0].op != "==" or any(c[d].atoms[0].op != "==" for c in group):
        return group[0]  # a list fact's has/lacks: not joined
    region = _Region(first.fact, first.atoms, text=f"{first.fact} in [{', '.join(show(v) for v in values)}]")
    return (*group[0][:d], region, *group[0][d + 1:])


def _join(run: list[tuple[_Region, ...]], d: int) -> tuple[_Region, ...]:
    if len(run) == 1:
        return run[0]
    first, last = run[0][d], run[-1][d]
    fact = first.fact
    kind = fact_type(fact, {})
    atoms = []
    if first.low is not None:
        atoms.append(Atom(fact, ">=" if first.low[1] else ">", _number(first.low[0])))
    if last.high is not None:
        atoms.append(Atom(fact, "<=" if last.high[1] else "<", _number(last.high[0])))
    region = _Region(fact, tuple(atoms) or (Atom(fact, "present"),), first.low, last.high,
                     _range_text(fact, first.low, last.high, kind), ordered=True)
    return (*run[0][:d], region, *run[0][d + 1:])
