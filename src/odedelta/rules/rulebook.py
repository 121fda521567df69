"""A rulebook: checked, compiled rules registered with an executor, and the decisions they make.

Precedence, per kind (documentation: reference/rule-language.md):

* ``eligibility`` — a target is qualified unless a matching ``deny`` rule has a priority at least as high as
  every matching ``allow`` rule; then every such deny is a reason. An ``allow`` of higher priority overrides the
  denies below it (an exception to a general refusal). On equal priority deny wins, and the checker reports such
  pairs when their conditions can overlap.
* ``penalty``, ``promotion_loss``, ``renewal``, ``timing`` — the first matching rule decides (highest priority, then
  file order); the checker reports two of equal priority that can both match with different effects.
* ``migration``, ``compatibility``, ``fee``, ``discount``, ``recommendation`` — every matching rule applies.

Decisions are made from the executor's hits, never inside the engine, so both executors decide alike.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from odedelta.model.errors import OdeDeltaError
from odedelta.model.requests import Context
from odedelta.rules.durable import DurableExecutor
from odedelta.rules.durable import engine as durable_engine
from odedelta.rules.executor import Executor, ReferenceExecutor
from odedelta.rules.facts import EngineFacts, Facts, FactSection, FactView, engine_facts, fact_plan
from odedelta.rules.language import CompatibilityEffect, E, EligibilityEffect, MigrationEffect, Rule

T = TypeVar("T")


@dataclass(frozen=True)
class RuleOutcome:
    """One rule's part in a decision: which rule, what it said, and why."""

    rule_id: str
    kind: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Verdict:
    eligible: bool
    reasons: list[RuleOutcome] = field(default_factory=list)
    """For a refusal: every rule that refused. For a qualification: the allow rules that granted it."""

    @property
    def rule_ids(self) -> list[str]:
        return [r.rule_id for r in self.reasons]


EXECUTORS = ("reference", "durable")
DURABLE_INSTALL = "pip install 'odedelta[durable]'"


def default_executor() -> Executor:
    """The reference executor: the same answers as durable-rules, faster, and no C extension to build."""
    return ReferenceExecutor()


def make_executor(name: str) -> Executor:
    """A new executor by name: ``"reference"`` (the default) or ``"durable"`` (durable-rules, the optional extra
    ``odedelta[durable]``). Raises :class:`~odedelta.OdeDeltaError` for an unknown name or when durable-rules cannot
    be imported, saying how to install it."""
    return executor_factory(name)()


def executor_factory(name: str) -> Callable[[], Executor]:
    """What :func:`make_executor` calls: the executor class of ``name``, once it is known to import (so a missing
    durable-rules is said before any work, without building a durable Host)."""
    if name == "reference":
        return ReferenceExecutor
    if name != "durable":
        raise OdeDeltaError(f"unknown rule executor {name!r}: expected one of {', '.join(EXECUTORS)}")
    try:
        durable_engine()
    except ImportError as exc:
        raise OdeDeltaError(f"the durable executor needs durable-rules, which cannot be imported here ({exc}); "
                            f"install it with {DURABLE_INSTALL} (Python 3.11 or 3.12, a C compiler)") from None
    return DurableExecutor


class Rulebook:
    """A checked, compiled rule set (what :func:`odedelta.load_rules` returns), run by one executor."""

    def __init__(self, rules: Sequence[Rule], executor: Executor | str | None = None) -> None:
        """``executor``: an :class:`Executor`, a name (``"reference"``, ``"durable"``) or None (the reference one)."""
        self.rules = list(rules)
        self.by_id = {rule.key: rule for rule in self.rules}
        """Each rule by its key: the id, or ``id@from`` for the versions of an effective-dated rule."""
        if isinstance(executor, str):
            executor = make_executor(executor)
        self.executor = executor if executor is not None else default_executor()
        self._order = {rule.key: i for i, rule in enumerate(self.rules)}
        self.used_facts = frozenset().union(*(rule.facts for rule in self.rules))
        self.attribute_types: dict[str, str] = {}
        """``name → type`` of every free attribute the rules read (``loyalty_months → number``)."""
        for rule in self.rules:
            for name, kind in rule.attribute_types.items():
                self.attribute_types.setdefault(name.removeprefix("customer.attributes."), kind)
        self.kinds = sorted({rule.kind for rule in self.rules})
        self.fact_plan = fact_plan(self.used_facts)
        """What the rules read of the facts, section by section (made plain once per change: :meth:`plain_facts`)."""
        self._views: dict[str, FactView] = {
            kind: self.fact_plan.view(frozenset().union(*(r.facts for r in self.rules if r.kind == kind)))
            for kind in self.kinds}
        """The sections the rules of each kind read: a question of a kind is asked over those only."""
        self.reads_projection = "projected" in self.fact_plan.sections or "compatibility" in self._views
        """Whether a question of this book can see what the customer would have after a change: a rule reads a
        ``projected`` fact, or a compatibility rule's effect is checked against the offerings after it. When none
        can, the engine does not work those offerings out for the change's facts (the section stays the empty
        one, which no question reads)."""
        self._made: dict[tuple[int, Hashable], tuple[Rule, Any]] = {}
        self._tables: dict[tuple[str, Hashable], Mapping[str, Any]] = {}
        ranked = sorted(self.rules, key=lambda r: (-r.priority, self._order[r.key]))
        for kind in self.kinds:  # highest priority first: the executor's first match is the rule that wins
            self.executor.register(kind, {r.key: r.condition for r in ranked if r.kind == kind})

    def for_rule(self, rule: Rule, key: Hashable, make: Callable[[], T]) -> T:
        """A value made once per rule of this book and ``key`` from the rule alone (what it says as an outcome, what a
        fee rule charges in a currency): ``make()`` the first time. Kept by the rule's identity, checked on each
        read (a copy of the book — another process's — holds other rule objects); bounded by the rules and the few
        values ``key`` holds (a reason, a currency). A value kept must be immutable."""
        found = self._made.get((id(rule), key))
        if found is not None and found[0] is rule:
            value: T = found[1]
            return value
        value = make()
        self._made[(id(rule), key)] = (rule, value)
        return value

    def for_kind(self, kind: str, key: Hashable, make: Callable[[Rule], T]) -> Mapping[str, T]:
        """``make(rule)`` for every rule of ``kind`` in this book, by rule key (what :meth:`keys_in` answers): made
        once per book, kind and ``key``, all at once, the first time a change asks (what a fee rule charges in a
        currency depends on the rule alone). Kept by the rule's key, not its object: a key names one rule of the book
        (:attr:`by_id`), whose rules never change, and a change reads the table by the keys the executor answers
        (no rule looked up, no identity to check). Bounded by the kinds and the few values ``key`` holds (a
        currency). Read only, as every value in it."""
        found = self._tables.get((kind, key))
        if found is None:
            found = self._tables[(kind, key)] = {rule.key: make(rule) for rule in self.rules if rule.kind == kind}
        return found

    @property
    def executor_name(self) -> str:
        return self.executor.name

    def matching(self, kind: str, facts: Facts, context: Context) -> list[Rule]:
        """The rules of ``kind`` the facts satisfy, highest priority first, then in file order."""
        if kind not in self.kinds:
            return []
        return self.hits(kind, engine_facts(facts, context, self.used_facts, self.attribute_types))

    def hits(self, kind: str, facts: Mapping[str, Any]) -> list[Rule]:
        """The rules of ``kind`` that plain ``facts`` (as :func:`engine_facts` builds them) satisfy, highest
        priority first."""
        if kind not in self._views:
            return []
        by_id = self.by_id
        return [by_id[h] for h in self.executor.matches(kind, facts)]

    def first_hit(self, kind: str, facts: Mapping[str, Any]) -> Rule | None:
        """The winning rule of ``kind`` for plain ``facts`` (a first-match table)."""
        if kind not in self._views:
            return None
        found = self.executor.first(kind, facts)
        return self.by_id[found] if found is not None else None

    # ------------------------------------------------------------------ decisions
    def eligibility(self, facts: Facts, context: Context) -> Verdict:
        return self._verdict(self.matching("eligibility", facts, context))

    def eligibility_in(self, plain: EngineFacts) -> Verdict:
        """:meth:`eligibility` over facts made plain already (:meth:`plain_facts`)."""
        return self._verdict(self.matching_in("eligibility", plain))

    def _verdict(self, matched: list[Rule]) -> Verdict:
        if not matched:
            return Verdict(True, [])
        denies = [r for r in matched if _effect(r, EligibilityEffect).decision == "deny"]
        allows = [r for r in matched if _effect(r, EligibilityEffect).decision == "allow"]
        floor = max((r.priority for r in allows), default=None)
        refusing = [r for r in denies if floor is None or r.priority >= floor]
        if refusing:
            return Verdict(False, [self._outcome(r) for r in refusing])
        return Verdict(True, [self._outcome(r) for r in allows])

    def _outcome(self, rule: Rule) -> RuleOutcome:
        """:func:`_outcome`, made once per rule (a frozen value)."""
        return self.for_rule(rule, "outcome", lambda: _outcome(rule))

    def migrations(self, facts: Facts, context: Context) -> list[tuple[Rule, MigrationEffect]]:
        return [(r, _effect(r, MigrationEffect)) for r in self.matching("migration", facts, context)]

    def migrations_in(self, plain: EngineFacts) -> list[tuple[Rule, MigrationEffect]]:
        """:meth:`migrations` over facts made plain already (:meth:`plain_facts`)."""
        return [(r, _effect(r, MigrationEffect)) for r in self.matching_in("migration", plain)]

    def first(self, kind: str, facts: Facts, context: Context) -> Rule | None:
        return self.first_hit(kind, engine_facts(facts, context, self.used_facts, self.attribute_types))

    # ------------------------------------------------------------------ facts made plain once
    def plain_facts(self, facts: Facts, context: Context) -> EngineFacts:
        """``facts`` made plain once for this book's executor, for a stage that asks several questions of them."""
        return EngineFacts(facts, context, self.fact_plan, self.attribute_types)

    def plain_change(self, sections: Mapping[str, Any], context: Context, shared: bool = True) -> EngineFacts:
        """:meth:`plain_facts` of ``made(Facts, **sections)`` (:func:`~odedelta.rules.facts.change_sections`),
        without making the facts unless something asks for them. ``shared=False``: facts one question is asked
        over (:meth:`EngineFacts.asked`)."""
        return EngineFacts.of_sections(sections, context, self.fact_plan, self.attribute_types, shared)

    def matching_in(self, kind: str, plain: EngineFacts, **sections: FactSection) -> list[Rule]:
        """:meth:`matching` over ``plain``'s facts with ``sections`` in place of their own (an item, a promotion
        judged): the same answer, with no copy of the facts and nothing built for a kind the book has no rule of,
        nor for a section no rule of the kind reads; the questions asked with no section replaced share one plain
        dict of the facts (:meth:`EngineFacts.asked`). (:meth:`hits` over the plain facts, written out: a change
        asks seven or eight questions.)"""
        by_id = self.by_id
        return [by_id[key] for key in self.keys_in(kind, plain, **sections)]

    def keys_in(self, kind: str, plain: EngineFacts, **sections: FactSection) -> list[str]:
        """The keys of the rules :meth:`matching_in` answers, in its order: what a table of :meth:`for_kind` is read
        by, with no rule looked up (a change charges several fees)."""
        facts = self._asked(kind, plain, sections)
        return self.executor.matches(kind, facts) if facts is not None else []

    def first_in(self, kind: str, plain: EngineFacts, **sections: FactSection) -> Rule | None:
        """:meth:`first` over ``plain``'s facts with ``sections`` in place of their own (see :meth:`matching_in`)."""
        facts = self._asked(kind, plain, sections)
        found = self.executor.first(kind, facts) if facts is not None else None
        return self.by_id[found] if found is not None else None

    def _asked(self, kind: str, plain: EngineFacts, sections: Mapping[str, FactSection]) -> Mapping[str, Any] | None:
        """The plain facts a question of ``kind`` is asked over (None: the book has no rule of that kind)."""
        view = self._views.get(kind)
        if view is None:
            return None
        return plain.asked(view, sections) if plain.plan is self.fact_plan else plain.of(**sections)

    def incompatibilities(self, facts: Facts, context: Context, offerings: Iterable[str]) -> list[RuleOutcome]:
        """Compatibility rules the customer's offerings after the change would break."""
        return self._broken(self.matching("compatibility", facts, context), offerings)

    def incompatibilities_in(self, plain: EngineFacts, offerings: Iterable[str]) -> list[RuleOutcome]:
        """:meth:`incompatibilities` over facts made plain already (:meth:`plain_facts`)."""
        return self._broken(self.matching_in("compatibility", plain), offerings)

    def _broken(self, matched: list[Rule], offerings: Iterable[str]) -> list[RuleOutcome]:
        if not matched:
            return []
        held = set(offerings)
        broken = []
        for rule in matched:
            effect = _effect(rule, CompatibilityEffect)
            if effect.offering not in held:
                continue
            missing = effect.requires and not held.intersection(effect.requires)
            clash = held.intersection(effect.excludes)
            if missing or clash:
                broken.append(_outcome(rule))
        return broken


def _effect(rule: Rule, kind: type[E]) -> E:
    return rule.effect(kind)


def _outcome(rule: Rule) -> RuleOutcome:
    then = rule.then
    reason = getattr(then, "reason", rule.kind)
    message = getattr(then, "message", rule.model.description)
    return RuleOutcome(rule.id, rule.kind, reason, message)
