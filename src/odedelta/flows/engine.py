"""The engine: one entry point for every kind of change. The flow is delta → rules → money; what comes out is a
:class:`~odedelta.flows.result.ChangeResult` (or a :class:`~odedelta.flows.result.Refusal`: an expected outcome
is a value, not an exception)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from odedelta.delta.builder import DeltaBuilder, MigrationLookup
from odedelta.delta.items import Amendment, Delta
from odedelta.flows.allowed import refused_actions
from odedelta.flows.consequences import compute
from odedelta.flows.qualify import Qualification, qualify
from odedelta.flows.renewal import renew, term_notices
from odedelta.flows.result import ChangeResult, Refusal, Renewal, TermNotice
from odedelta.model.callers import check_context, check_request
from odedelta.model.catalog import Catalog
from odedelta.model.errors import NotOrderable, RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.requests import Acquire, AddOffering, ChangeOffer, Context, Renew, Request
from odedelta.rules import Rulebook, RuleOutcome, Verdict
from odedelta.rules.facts import ChangeKind, Facts, change_facts


class Engine:
    """Answers change requests against one catalog and, optionally, a rulebook. Holds no per-request state."""

    def __init__(self, catalog: Catalog, rules: Rulebook | None = None) -> None:
        self.catalog = catalog
        self.rules = rules

    def change(self, inventory: Inventory, request: Request, *, as_of: datetime,
               context: Context | None = None) -> ChangeResult:
        """The answer to ``request``; raises :class:`NotEligible` when rules refuse it and :class:`RequestError`
        when it cannot be answered as asked."""
        answer = self.evaluate(inventory, request, as_of=as_of, context=context)
        if isinstance(answer, Refusal):
            raise answer.error()
        return answer

    def evaluate(self, inventory: Inventory, request: Request, *, as_of: datetime, context: Context | None = None,
                 renewal: Renewal | None = None, amendments: Sequence[Amendment] = ()) -> ChangeResult | Refusal:
        """Like :meth:`change`, but a refusal — by rules, or by the catalog's structure — is returned as a value.
        A request that names what does not exist still raises :class:`RequestError`. (``renewal`` and
        ``amendments``: what the renewal flow decided of a change that renews, applied before the money.)"""
        if as_of.tzinfo is None:
            raise RequestError("as_of must carry a time zone (e.g. 2026-03-01T00:00:00Z)")
        context = context or Context()
        self.check(context, request)
        if isinstance(request, Renew):
            return renew(self, inventory, request, as_of=as_of, context=context)
        try:
            return self._change(inventory, request, as_of, context, renewal, amendments)
        except NotOrderable as refused:
            return Refusal(str(refused), None)

    def _change(self, inventory: Inventory, request: Request, as_of: datetime, context: Context,
                renewal: Renewal | None, amendments: Sequence[Amendment]) -> ChangeResult | Refusal:
        # an end-of-sale renewal is a renewal to rules (S9)
        kind: ChangeKind = "renew" if renewal is not None else request.kind
        decisions: list[RuleOutcome] = []
        migrations: MigrationLookup | None = None
        facts: Facts | None = None
        if self.rules is not None:
            start, target = _endpoints(request, inventory)
            facts = self._facts(inventory, start, target, as_of, context, kind)
            if target is not None and target in self.catalog.offerings:
                verdict = self.rules.eligibility(facts, context)
                if not verdict.eligible:
                    return Refusal(_refusal(self.catalog, target, verdict), verdict)
                decisions += verdict.reasons
            migrations = self._migrations(facts, context)
        builder = DeltaBuilder(self.catalog, inventory, as_of, migrations)
        delta = builder.build(request)
        refused = refused_actions(self.catalog, delta, as_of, context)  # TMF620 v5 allowedAction
        if refused is not None:
            return Refusal(_refusal(self.catalog, delta.target_offering_id, refused, "the change"), refused)
        if self.rules is not None:
            decisions += [d for d in _used_migrations(delta) if d not in decisions]
        if amendments:
            delta = builder.amend(delta, amendments)
        # one record for the checks and the money: its projection is computed once
        result = ChangeResult(self.catalog, inventory, delta, context, tuple(decisions), renewal=renewal,
                              change_kind=kind if kind != request.kind else None)
        if self.rules is not None and facts is not None:
            offerings = [p.offering_id for p in result.shared_projection if p.offering_id]
            facts.projected.offerings = sorted(set(offerings))
            broken = self.rules.incompatibilities(facts, context, offerings)
            if broken:
                verdict = Verdict(False, broken)
                return Refusal(_refusal(self.catalog, delta.target_offering_id, verdict, "the change"), verdict)
        return compute(result, self.rules, facts, builder.amend)

    def check(self, context: Context, request: Request | None = None) -> None:
        """Refuse caller values no executor should see (README, "Limits"): attributes of unsupported types, numbers
        beyond the limits, attributes that cannot be read as the type the rules give them; characteristic values
        likewise. A :class:`RequestError` before anything runs."""
        check_context(context, attribute_types=self.rules.attribute_types if self.rules is not None else None)
        if request is not None:
            check_request(request)

    def term_notices(self, inventory: Inventory, *, as_of: datetime,
                     context: Context | None = None) -> list[TermNotice]:
        """Products whose commitment term ends within its notice window, and what happens at the end."""
        self.check(context or Context())
        return term_notices(self, inventory, as_of=as_of, context=context or Context())

    def qualify(self, inventory: Inventory, product_id: str, *, as_of: datetime,
                context: Context | None = None) -> Qualification:
        """Every offering ``product_id`` could change to, qualified or not, with the reasons (TMF679 shape)."""
        self.check(context or Context())
        return qualify(self, inventory, product_id, as_of=as_of, context=context)

    def _facts(self, inventory: Inventory, start: str | None, target: str | None, as_of: datetime,
               context: Context, kind: ChangeKind) -> Facts:
        known_start = start if start in inventory.products else None
        known_target = target if target in self.catalog.offerings else None
        return change_facts(self.catalog, inventory, product_id=known_start, target_id=known_target, as_of=as_of,
                            context=context, kind=kind)

    def _migrations(self, facts: Facts, context: Context) -> MigrationLookup | None:
        assert self.rules is not None
        found = self.rules.migrations(facts, context)
        if not found:
            return None
        catalog = self.catalog

        def lookup(installed: str, target: str) -> str | None:
            installed_spec = catalog.graph.specification_of(installed)
            target_spec = catalog.graph.specification_of(target)
            for rule, effect in found:
                source = effect.from_
                dest = effect.to
                if (source.offering in (None, installed) and source.specification in (None, installed_spec)
                        and dest.offering in (None, target) and dest.specification in (None, target_spec)):
                    return rule.id
            return None

        return lookup


def _endpoints(request: Request, inventory: Inventory) -> tuple[str | None, str | None]:
    """The installed product a request starts from and the offering it goes to."""
    match request:
        case ChangeOffer():
            return request.product, request.to
        case AddOffering():
            return request.parent, request.offering
        case Acquire():
            return None, request.offering
        case _:
            return request.product, None


def _refusal(catalog: Catalog, target: str | None, verdict: Verdict, what: str | None = None) -> str:
    offering = catalog.offerings.get(target or "")
    name = what or f"{offering.name if offering and offering.name else target} ({target})"
    reasons = "; ".join(f"{r.message} [{r.reason}, "
                        f"{r.rule_id if r.rule_id.startswith('catalog:') else f'rule {r.rule_id}'}]"
                        for r in verdict.reasons)
    return f"not eligible: {name}: {reasons}"


def _used_migrations(delta: Delta) -> list[RuleOutcome]:
    out = []
    for item in delta.items:
        for reason in item.reasons:
            if reason.source.startswith("rule:"):
                out.append(RuleOutcome(reason.source[5:], "migration", reason.code, reason.message))
    return out
