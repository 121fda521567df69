"""The engine: one entry point and one pipeline for every kind of request. request (a renewal is planned first:
:func:`~odedelta.flows.renewal.renewal_plan`) → rules before the delta (facts, eligibility, migration rules) →
delta (:func:`~odedelta.delta.builder.build`, then the amendments asked of it) → rules on the changed tree
(compatibility) → money (:func:`~odedelta.flows.consequences.compute`) → a
:class:`~odedelta.flows.result.ChangeResult`, or a :class:`~odedelta.flows.result.Refusal` from the stage that
decides it: an expected outcome is a value, not an exception. Each stage takes the previous stage's frozen value and
returns a new one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from odedelta.delta.builder import amend, build
from odedelta.delta.items import Delta, Migration, Reason, Refused
from odedelta.flows.allowed import refused_actions
from odedelta.flows.consequences import compute
from odedelta.flows.qualify import Qualification, qualify
from odedelta.flows.renewal import renewal_plan, term_notices
from odedelta.flows.result import ChangeResult, Plan, Refusal, TermNotice, endpoints, refusal_message
from odedelta.model.callers import check_context, check_request
from odedelta.model.catalog import Catalog
from odedelta.model.errors import RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.requests import Context, Renew, Request
from odedelta.rules import Rulebook, RuleOutcome
from odedelta.rules.facts import ChangeKind, EngineFacts, ProjectedFacts, change_sections, made
from odedelta.rules.language import MigrationEffect, Rule


class Engine:
    """Answers change requests against one catalog and, optionally, a rulebook. Holds no per-request state."""

    def __init__(self, catalog: Catalog, rules: Rulebook | None = None) -> None:
        self.catalog = catalog
        self.rules = rules

    def change(self, inventory: Inventory, request: Request, *, as_of: datetime,
               context: Context | None = None) -> ChangeResult:
        """The answer to ``request``; raises :class:`NotEligible` when rules refuse it and :class:`RequestError`
        when it cannot be answered as asked. A convenience over :meth:`evaluate`."""
        answer = self.evaluate(inventory, request, as_of=as_of, context=context)
        if isinstance(answer, Refusal):
            raise answer.error()
        return answer

    def evaluate(self, inventory: Inventory, request: Request, *, as_of: datetime,
                 context: Context | None = None) -> ChangeResult | Refusal:
        """Like :meth:`change`, but a refusal — by rules, or by the catalog's structure — is returned as a value.
        A request that names what does not exist still raises :class:`RequestError`.

        One pipeline for every kind of request, each stage a function of the previous stage's value:
        request → (renewal plan) → delta → rules → money → :class:`ChangeResult` | :class:`Refusal`."""
        if as_of.tzinfo is None:
            raise RequestError("as_of must carry a time zone (e.g. 2026-03-01T00:00:00Z)")
        context = context or Context()
        self.check(context, request)
        plan = renewal_plan(self.catalog, self.rules, inventory, request, as_of=as_of, context=context) \
            if isinstance(request, Renew) else Plan(request)
        if isinstance(plan, Refusal):
            return plan
        return self._run(inventory, plan, as_of, context)

    def _run(self, inventory: Inventory, plan: Plan, as_of: datetime, context: Context) -> ChangeResult | Refusal:
        request = plan.request
        # an end-of-sale renewal is a renewal to rules (S9)
        kind: ChangeKind = "renew" if plan.renewal is not None else request.kind
        rules = self.rules if plan.judged else None
        judged = self._judge(rules, inventory, request, as_of, context, kind) if rules is not None else None
        if isinstance(judged, Refusal):
            return judged
        plain, decisions, migrations = judged if judged is not None else (None, (), ())
        delta = build(self.catalog, inventory, request, as_of, migrations)
        if isinstance(delta, Refused):
            return Refusal(delta.message, None)
        if plan.judged:  # TMF620 v5 allowedAction (an in-term renewal is not judged again)
            refused = refused_actions(self.catalog, delta, as_of, context)
            if refused is not None:
                return Refusal(refusal_message(self.catalog, delta.target_offering_id, refused, "the change"), refused)
        if rules is not None and delta.migrations:  # only a migration rule of the change can have allowed an item
            decisions += tuple(d for d in _used_migrations(delta) if d not in decisions)
        if plan.amendments:
            delta = amend(self.catalog, inventory, delta, plan.amendments)
            if isinstance(delta, Refused):
                return Refusal(delta.message, None)
        # one record for the checks and the money: its projection is computed once
        result = ChangeResult(self.catalog, inventory, delta, context, decisions, renewal=plan.renewal,
                              change_kind=kind if kind != request.kind else None)
        if plain is not None and rules is not None and rules.reads_projection:  # else no question sees them
            offerings = {offering for _, offering, _ in result.placed if offering}
            plain = plain.replaced(projected=made(ProjectedFacts, offerings=tuple(sorted(offerings))))
        # the money stage: bills → rules over complete facts (compatibility first) → amendments → money
        answer = compute(result, rules, plain)
        if isinstance(answer, Refusal) or not plan.decisions:
            return answer
        return replace(answer, decisions=answer.decisions + plan.decisions)

    def _judge(self, rules: Rulebook, inventory: Inventory, request: Request, as_of: datetime, context: Context,
               kind: ChangeKind) -> tuple[EngineFacts, tuple[RuleOutcome, ...], tuple[Migration, ...]] | Refusal:
        """The rules before the delta: the change's facts (made plain once for every rule asked over them), the
        eligibility verdict (a refusal, or the rules that allow it) and the migration rules the delta stage may
        follow."""
        start, target = endpoints(request)
        plain = rules.plain_change(self._facts(inventory, start, target, as_of, context, kind), context)
        decisions: tuple[RuleOutcome, ...] = ()
        if target is not None and target in self.catalog.offerings:
            verdict = rules.eligibility_in(plain)
            if not verdict.eligible:
                return Refusal(refusal_message(self.catalog, target, verdict), verdict)
            decisions = tuple(verdict.reasons)
        return plain, decisions, _migrations(rules.migrations_in(plain))

    def check(self, context: Context, request: Request | None = None) -> None:
        """Refuse caller values no executor should see (reference/limits.md): attributes of unsupported types, numbers
        beyond the limits, attributes that cannot be read as the type the rules give them; characteristic values
        likewise. A :class:`RequestError` before anything runs."""
        check_context(context, attribute_types=self.rules.attribute_types if self.rules is not None else None)
        if request is not None:
            check_request(request)

    def term_notices(self, inventory: Inventory, *, as_of: datetime,
                     context: Context | None = None) -> list[TermNotice]:
        """Products whose commitment term ends within its notice window, and what happens at the end."""
        self.check(context or Context())
        return term_notices(self.catalog, self.rules, inventory, as_of=as_of, context=context or Context())

    def qualify(self, inventory: Inventory, product_id: str, *, as_of: datetime,
                context: Context | None = None) -> Qualification:
        """Every offering ``product_id`` could change to, qualified or not, with the reasons (TMF679 shape)."""
        self.check(context or Context())
        return qualify(self, inventory, product_id, as_of=as_of, context=context)

    def _facts(self, inventory: Inventory, start: str | None, target: str | None, as_of: datetime,
               context: Context, kind: ChangeKind) -> dict[str, Any]:
        """The change's facts, section by section (:func:`~odedelta.rules.facts.change_sections`)."""
        known_start = start if start in inventory.products else None
        known_target = target if target in self.catalog.offerings else None
        return change_sections(self.catalog, inventory, known_start, known_target, as_of, context, kind)


def _migrations(found: Sequence[tuple[Rule, MigrationEffect]]) -> tuple[Migration, ...]:
    """The migration rules that apply, as values the delta stage reads."""
    return tuple(Migration(rule.id, effect.from_.offering, effect.from_.specification, effect.to.offering,
                           effect.to.specification) for rule, effect in found)


def _used_migrations(delta: Delta) -> list[RuleOutcome]:
    """What each item's reasons say a migration rule allowed, in item order (once per item that says it)."""
    out: list[RuleOutcome] = []
    last: tuple[Reason, ...] | None = None
    said: list[RuleOutcome] = []
    for item in delta.items:
        if item.reasons is not last:  # items kept for one reason share it: read once for a run of them
            last = item.reasons
            said = [RuleOutcome(reason.source[5:], "migration", reason.code, reason.message)
                    for reason in last if reason.source.startswith("rule:")]
        if said:
            out += said
    return out
