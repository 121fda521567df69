"""Why each rule fired or did not on one change: the rule set's part in a change, rule by rule.

The change is evaluated again with a rule book that records every question the flows ask it (which kind, on which
facts); each rule's compiled condition is then traced (:mod:`odedelta.rules.trace`) on the facts of every question
of its kind. A rule is

* ``fired`` — its condition held and the kind's hit policy chose it (first match; deny wins over allow of lower
  priority; every match for collect kinds) and it took part in the result;
* ``matched`` — its condition held but it did not decide anything: a rule of higher priority came first, an allow
  overrode it, or (collect kinds) it had nothing to act on;
* ``not_fired`` — its condition was false every time it was asked: the first false part and the facts it read;
* ``not_evaluated`` — the change never asked rules of its kind (no renewal in a downgrade, no penalty without a
  commitment term).

Pure: no I/O, no clock. :func:`explain_rules` explains a :class:`ChangeResult`; :func:`explain_change` any request,
refused or not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult, Refusal
from odedelta.model.catalog import Catalog
from odedelta.model.inventory import Inventory
from odedelta.model.requests import Context, Renew, Request
from odedelta.rules import Rulebook
from odedelta.rules.facts import FACT_TYPES, EngineFacts, Facts, FactSection, engine_facts
from odedelta.rules.language import EligibilityEffect, Rule
from odedelta.rules.trace import FalsePart, shown, trace

Status = Literal["fired", "matched", "not_fired", "not_evaluated"]
STATUSES: tuple[Status, ...] = ("fired", "matched", "not_fired", "not_evaluated")

_ITEM_KINDS = {"penalty", "recommendation", "promotion_loss", "revenue_share", "partner_charge", "sla_credit"}


@dataclass(frozen=True)
class Question:
    """One time the flows asked the rules of one kind: about what (the change, or one product of it), and the
    facts they were given (every fact, as :class:`~odedelta.rules.facts.Facts` holds them)."""

    kind: str
    subject: str
    facts: Mapping[str, Any]
    """``Facts.model_dump()``: every fact of the question (dates, Decimals), absent ones None."""
    executor_hits: tuple[str, ...]
    """The ids the rule book's executor matched, highest priority first (the trace agrees with them)."""


@dataclass(frozen=True)
class Check:
    """One rule's condition on one question's facts."""

    question: int
    """Index into :attr:`RulesExplanation.questions`."""
    held: bool
    false_part: FalsePart | None
    facts: tuple[tuple[str, Any], ...]
    """Every fact the condition read, with its value (None: absent)."""


@dataclass(frozen=True)
class RuleExplanation:
    rule_id: str
    kind: str
    description: str
    where: str
    priority: int
    when: str | None
    status: Status
    why: str
    """One sentence: what decided the status."""
    checks: tuple[Check, ...]
    key: str = ""
    """The rule book's key: the id, or ``id@from`` for one version of an effective-dated rule."""
    valid_for: str | None = None
    """When the rule (this version) is in force, as text (``2026-07-01 to on``)."""


@dataclass(frozen=True)
class RulesExplanation:
    """Every rule of a rule book on one change: fired or not, and why."""

    title: str
    refused: str | None
    """The refusal's message when the change was refused."""
    rules: tuple[RuleExplanation, ...]
    questions: tuple[Question, ...]

    @property
    def fired(self) -> list[str]:
        return sorted({r.rule_id for r in self.rules if r.status == "fired"})

    def rule(self, rule_id: str) -> RuleExplanation:
        """The rule of that id (of an effective-dated rule's versions: the one that fired, else the first)."""
        found = [r for r in self.rules if r.rule_id == rule_id]
        if not found:
            raise KeyError(rule_id)
        return next((r for r in found if r.status == "fired"), found[0])

    def of_status(self, status: Status) -> list[RuleExplanation]:
        return [r for r in self.rules if r.status == status]


def explain_rules(result: ChangeResult | Refusal, rules: Rulebook, *, inventory: Inventory | None = None,
                  request: Request | None = None, as_of: datetime | None = None,
                  context: Context | None = None, catalog: Catalog | None = None) -> RulesExplanation:
    """Why each rule of ``rules`` fired or not on the change of ``result`` (evaluated again with a recording rule
    book: the same inputs give the same answer). A :class:`Refusal` carries no inputs: give them as keywords (or
    call :func:`explain_change`)."""
    if isinstance(result, Refusal):
        if inventory is None or request is None or as_of is None or catalog is None:
            raise TypeError("explaining a refusal needs catalog, inventory, request and as_of")
        return explain_change(Engine(catalog, rules), inventory, request, as_of=as_of, context=context)
    asked: Request = result.delta.request
    if result.renewal is not None and asked.kind != "renew":  # an end-of-sale renewal: a renewal to the successor
        asked = Renew(product=result.renewal.product_id)
    return explain_change(Engine(result.catalog, rules), result.inventory, request or asked, as_of=result.as_of,
                          context=result.context)


def explain_change(engine: Engine, inventory: Inventory, request: Request, *, as_of: datetime,
                   context: Context | None = None) -> RulesExplanation:
    """Evaluate ``request`` with ``engine``'s rules recorded, and explain every rule (see the module)."""
    if engine.rules is None:
        raise TypeError("explaining rules needs an engine with a rule book")
    recording = _Recording(engine.rules)
    answer = Engine(engine.catalog, recording).evaluate(inventory, request, as_of=as_of, context=context)
    decided = set(answer.verdict.rule_ids if isinstance(answer, Refusal) and answer.verdict else
                  [] if isinstance(answer, Refusal) else answer.rule_ids)
    questions = tuple(recording.questions)
    book = engine.rules
    rank = {rule.key: (-rule.priority, i) for i, rule in enumerate(book.rules)}
    checks: dict[str, list[Check]] = {rule.key: [] for rule in book.rules}
    chosen: dict[str, tuple[int, str]] = {}  # rule key → (question, subject) where the hit policy chose it
    beaten: dict[str, str] = {}  # rule key → why it held but was not chosen
    for index, (question, plain) in enumerate(zip(questions, recording.plain, strict=True)):
        rules = sorted((r for r in book.rules if r.kind == question.kind), key=lambda r: rank[r.key])
        held = []
        for rule in rules:
            found = trace(rule.condition, plain, FACT_TYPES)
            checks[rule.key].append(Check(index, found.held, found.false_part, _frozen(found.facts)))
            if found.held:
                held.append(rule)
        for rule_id, why in _policy(question.kind, held).items():
            if why is None:
                chosen.setdefault(rule_id, (index, question.subject))
            else:
                beaten.setdefault(rule_id, why)
    explained = []
    for rule in book.rules:
        explained.append(_explain(rule, checks[rule.key], chosen, beaten, decided, questions))
    title = _title(request, as_of, context)
    refused = answer.message if isinstance(answer, Refusal) else None
    return RulesExplanation(title, refused, tuple(explained), questions)


def _policy(kind: str, held: Sequence[Rule]) -> dict[str, str | None]:
    """The kind's hit policy over the rules that held (highest priority first): rule key → None when chosen, else
    why not."""
    if not held:
        return {}
    mode = held[0].model.MODE
    if mode == "first":
        winner = held[0]
        return {r.key: None if r is winner else f"its condition held, but {winner.id!r} (priority {winner.priority}) "
                f"comes first in the {kind} table" for r in held}
    if mode == "deny_wins":
        allows = [r for r in held if r.effect(EligibilityEffect).decision == "allow"]
        denies = [r for r in held if r.effect(EligibilityEffect).decision == "deny"]
        floor = max((r.priority for r in allows), default=None)
        refusing = [r for r in denies if floor is None or r.priority >= floor]
        out: dict[str, str | None] = {}
        for rule in denies:
            top = next(a for a in allows if a.priority == floor) if floor is not None else None
            out[rule.key] = None if rule in refusing else (
                f"its condition held, but the allow {top.id!r} (priority {floor}) overrides it" if top else None)
        for rule in allows:
            out[rule.key] = None if not refusing else (
                f"its condition held, but the deny {refusing[0].id!r} (priority {refusing[0].priority}) wins")
        return out
    return {r.key: None for r in held}


_NO_EFFECT = {
    "compatibility": "the offerings after the change satisfy it",
    "migration": "no product of the change goes from its 'from' to its 'to'",
    "discount": "no product after the change is of the offering it applies to",
    "recommendation": "there is nowhere to put the recommended product after the change",
    "promotion_loss": "it lets the product go, as without a rule",
}


def _explain(rule: Rule, checks: list[Check], chosen: Mapping[str, tuple[int, str]], beaten: Mapping[str, str],
             decided: set[str], questions: Sequence[Question]) -> RuleExplanation:
    def made(status: Status, why: str) -> RuleExplanation:
        period = rule.model.valid_for
        return RuleExplanation(rule.id, rule.kind, rule.model.description, rule.where, rule.priority,
                               rule.model.when, status, why, tuple(checks), rule.key,
                               period.text if period is not None else None)

    if not checks:
        return made("not_evaluated", f"the change asked no {rule.kind} question")
    if rule.key in chosen:
        _, subject = chosen[rule.key]
        if rule.id in decided or rule.model.MODE != "all":
            return made("fired", f"its condition held on {subject}")
        return made("matched", f"its condition held on {subject}, but it changed nothing: "
                               f"{_NO_EFFECT.get(rule.kind, 'nothing to act on')}")
    if rule.key in beaten:
        return made("matched", beaten[rule.key])
    first = checks[0]
    assert first.false_part is not None
    values = ", ".join(f"{name} was {shown(value)}" for name, value in first.false_part.facts)
    where = f" on {questions[first.question].subject}" if len(checks) > 1 else ""
    return made("not_fired", f"{first.false_part.text} was false{where}" + (f": {values}" if values else ""))


def _title(request: Request, as_of: datetime, context: Context | None) -> str:
    what = ", ".join(f"{k}={v}" for k, v in request.model_dump(exclude_defaults=True).items() if k != "kind")
    who = f"; segment {context.segment}" if context is not None and context.segment else ""
    return f"{request.kind} ({what}) as of {as_of.isoformat().replace('+00:00', 'Z')}{who}"


class _Recording(Rulebook):
    """A rule book that answers like the one it wraps (same rules, same registered executor) and records every
    question asked of it."""

    def __init__(self, book: Rulebook) -> None:
        vars(self).update(vars(book))
        self.reads_projection = True  # each question is recorded with every fact, the projection's too
        self.questions: list[Question] = []
        self.plain: list[Mapping[str, Any]] = []

    def _ask(self, kind: str, facts: Facts, context: Context) -> Mapping[str, Any]:
        plain = engine_facts(facts, context, self.used_facts, self.attribute_types)
        hits = tuple(r.key for r in self.hits(kind, plain))
        self.questions.append(Question(kind, _subject(kind, facts), _frozen(facts.model_dump()), hits))
        self.plain.append(plain)
        return plain

    def matching(self, kind: str, facts: Facts, context: Context) -> list[Rule]:
        return self.hits(kind, self._ask(kind, facts, context))

    def first(self, kind: str, facts: Facts, context: Context) -> Rule | None:
        return self.first_hit(kind, self._ask(kind, facts, context))

    # the money stage asks over facts made plain once: each question is recorded with the facts it stands for
    # (matching_in asks through keys_in)
    def keys_in(self, kind: str, plain: EngineFacts, **sections: FactSection) -> list[str]:
        return [rule.key for rule in self.matching(kind, plain.facts.model_copy(update=sections), plain.context)]

    def first_in(self, kind: str, plain: EngineFacts, **sections: FactSection) -> Rule | None:
        return self.first(kind, plain.facts.model_copy(update=sections), plain.context)


def _frozen(value: Any) -> Any:
    """A read-only copy: mappings as mapping proxies, lists as tuples (the explanation is a frozen value)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


def _subject(kind: str, facts: Facts) -> str:
    if kind in _ITEM_KINDS and facts.item.offering is not None:
        text = f"the {facts.item.action or 'item'} of {facts.item.offering}"
        if kind == "promotion_loss" and facts.promotion.id:
            text += f" (promotion {facts.promotion.id} lost)"
        return text
    return "the change"
