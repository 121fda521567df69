"""The engine: one entry point for every kind of change, and the result a CPQ screen or an order system reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .catalog import Catalog
from .commerce import Bill
from .consequences import Consequences, compute
from .money import Money
from .delta import Action, Delta, DeltaBuilder, DeltaItem, MigrationLookup
from .errors import RequestError
from .inventory import Inventory
from .pricing import ONE_TIME, RECURRING, PriceLine, catalog_prices
from .projection import instance_problems, project
from .qualify import Qualification, qualify
from .renewal import Renewal, TermNotice, renew, term_notices
from .requests import Context, Request
from .rules import RuleOutcome, Rulebook, Verdict
from .rules.facts import Facts, change_facts
from .tmf import Product


class NotEligible(RequestError):
    """The rules refuse the change; ``verdict.reasons`` names every rule that did."""

    def __init__(self, message: str, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__(message)


class Engine:
    """Answers change requests against one catalog and, optionally, a rulebook. Holds no per-request state."""

    def __init__(self, catalog: Catalog, rules: Rulebook | None = None) -> None:
        self.catalog = catalog
        self.rules = rules

    def change(self, inventory: Inventory, request: Request, *, as_of: datetime,
               context: Context | None = None) -> ChangeResult:
        if as_of.tzinfo is None:
            raise RequestError("as_of must carry a time zone (e.g. 2026-03-01T00:00:00Z)")
        context = context or Context()
        if request.kind == "renew":
            return renew(self, inventory, request, as_of=as_of, context=context)  # type: ignore[arg-type]
        return self._change(inventory, request, as_of=as_of, context=context, kind=request.kind)

    def _change(self, inventory: Inventory, request: Request, *, as_of: datetime, context: Context,
                kind: str) -> ChangeResult:
        """A change whose rules see ``change.kind == kind`` (``renew`` for an end-of-sale renewal, S9)."""
        decisions: list[RuleOutcome] = []
        migrations: MigrationLookup | None = None
        facts: Facts | None = None
        if self.rules is not None:
            start, target = _endpoints(request, inventory)
            facts = self._facts(inventory, start, target, as_of, context, kind)
            if target is not None and target in self.catalog.offerings:
                verdict = self.rules.eligibility(facts, context)
                if not verdict.eligible:
                    raise NotEligible(_refusal(self.catalog, target, verdict), verdict)
                decisions += verdict.reasons
            migrations = self._migrations(facts, context)
        delta = DeltaBuilder(self.catalog, inventory, as_of, migrations).build(request)
        result = ChangeResult(self.catalog, inventory, delta, context, decisions,
                              change_kind=kind if kind != request.kind else None)
        if self.rules is not None and facts is not None:
            offerings = [p.offering_id for p in result.shared_projection() if p.offering_id]
            facts.projected.offerings = sorted(set(offerings))
            broken = self.rules.incompatibilities(facts, context, offerings)
            if broken:
                verdict = Verdict(False, broken)
                raise NotEligible(_refusal(self.catalog, delta.target_offering_id, verdict, "the change"), verdict)
            decisions += [d for d in _used_migrations(delta) if d not in decisions]
        result.consequences = compute(result, self.rules, facts)
        return result

    def term_notices(self, inventory: Inventory, *, as_of: datetime, context: Context | None = None) -> list[TermNotice]:
        """Products whose commitment term ends within its notice window, and what happens at the end."""
        return term_notices(self, inventory, as_of=as_of, context=context or Context())

    def qualify(self, inventory: Inventory, product_id: str, *, as_of: datetime,
                context: Context | None = None) -> Qualification:
        """Every offering ``product_id`` could change to, qualified or not, with the reasons (TMF679 shape)."""
        return qualify(self, inventory, product_id, as_of=as_of, context=context)

    def _facts(self, inventory: Inventory, start: str | None, target: str | None, as_of: datetime,
               context: Context, kind: str) -> Facts:
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
    match request.kind:
        case "change_offer":
            return request.product, request.to  # type: ignore[union-attr]
        case "add":
            return request.parent, request.offering  # type: ignore[union-attr]
        case "acquire":
            return None, request.offering  # type: ignore[union-attr]
        case _:
            return request.product, None  # type: ignore[union-attr]


def _refusal(catalog: Catalog, target: str | None, verdict: Verdict, what: str | None = None) -> str:
    offering = catalog.offerings.get(target or "")
    name = what or f"{offering.name if offering and offering.name else target} ({target})"
    reasons = "; ".join(f"{r.message} [{r.reason}, rule {r.rule_id}]" for r in verdict.reasons)
    return f"not eligible: {name}: {reasons}"


def _used_migrations(delta: Delta) -> list[RuleOutcome]:
    out = []
    for item in delta.items:
        for reason in item.reasons:
            if reason.source.startswith("rule:"):
                out.append(RuleOutcome(reason.source[5:], "migration", reason.code, reason.message))
    return out


@dataclass
class ChangeResult:
    catalog: Catalog
    inventory: Inventory
    delta: Delta
    context: Context
    decisions: list[RuleOutcome] = field(default_factory=list)
    """Every rule that took part in the result (eligibility, migrations, money), with what it said."""
    consequences: Consequences | None = None
    """Prices before → after, promotions, penalties, fees, recommendations."""
    renewal: Renewal | None = None
    """For a renewal: the new term and what shaped it."""
    change_kind: str | None = None
    """What rules call the change (``change.kind``) when the request's kind does not say it: ``renew`` for the
    change to a successor that an end-of-sale renewal is (S9)."""
    _projection: tuple[Any, list[Product]] | None = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return self.change_kind or self.delta.request.kind

    @property
    def rule_ids(self) -> list[str]:
        return sorted({d.rule_id for d in self.decisions})

    @property
    def items(self) -> list[DeltaItem]:
        return self.delta.items

    @property
    def as_of(self) -> datetime:
        return self.delta.as_of

    def item(self, product_id: str) -> DeltaItem:
        for item in self.items:
            if item.product_id == product_id:
                return item
        raise KeyError(product_id)

    def item_prices(self, item: DeltaItem) -> list[PriceLine]:
        """What the item costs after the change: recurring prices, plus one-time prices for an added product."""
        if item.action is Action.DELETE:
            return []
        kinds = {RECURRING, ONE_TIME} if item.action is Action.ADD else {RECURRING}
        return [line for line in catalog_prices(self.catalog, item.offering_id, self.as_of) if line.kind in kinds]

    # ------------------------------------------------------------------ outputs
    def to_tmf622(self, version: int = 4) -> dict[str, Any]:
        from .order import product_order

        return product_order(self, version)

    def explain(self) -> str:
        from .report import explain

        return explain(self)

    def to_dict(self) -> dict[str, Any]:
        """The full result as JSON-ready data (items, reasons, characteristic changes, prices)."""
        request = self.delta.request.model_dump(mode="json")
        return {
            "request": request,
            "asOf": self.as_of,
            "summary": self.summary(),
            "items": [
                {
                    "id": item.id,
                    "action": item.action.value,
                    "product": item.product_id,
                    "new": not item.installed,
                    "offering": item.offering_id,
                    **({"previousOffering": item.previous_offering_id} if item.previous_offering_id else {}),
                    "specification": item.specification_id,
                    "parent": item.parent_id,
                    "characteristics": item.characteristics,
                    "characteristicChanges": [
                        {"name": c.name, "before": c.before, "after": c.after, "why": c.why} for c in item.changes
                    ],
                    "reasons": [{"code": r.code, "message": r.message, "source": r.source} for r in item.reasons],
                    "prices": [
                        {"pop": p.pop_id, "name": p.name, "type": p.kind, "amount": p.amount.rounded().amount,
                         "currency": p.amount.currency}
                        for p in self.item_prices(item)
                    ],
                }
                for item in self.items
            ],
            "rules": [{"rule": d.rule_id, "kind": d.kind, "reason": d.reason, "message": d.message}
                      for d in self.decisions],
            **({"money": self._money()} if self.consequences is not None else {}),
        }

    def _money(self) -> dict[str, Any]:
        c = self.consequences
        assert c is not None

        def amount(m: Money | None) -> Decimal | None:
            return m.rounded().amount if m is not None else None

        def products(side: Bill, ids: list[str]) -> list[dict[str, Any]]:
            return [{"product": pid, "offering": side.products[pid].offering_id,
                     "base": amount(side.products[pid].base), "basis": side.products[pid].basis,
                     "discounts": [{"source": d.source, "name": d.name, "amount": amount(d.amount),
                                    **({"percentage": d.percentage} if d.percentage is not None else {})}
                                   for d in side.products[pid].discounts],
                     "net": amount(side.products[pid].net)} for pid in ids if pid in side.products]

        return {
            "currency": c.currency,
            "recurringBefore": amount(c.recurring_before),
            "recurringAfter": amount(c.recurring_after),
            "recurringDifference": amount(c.recurring_difference),
            "oneTimeTotal": amount(c.one_time_total),
            "penaltyTotal": amount(c.penalty_total),
            "dueNow": amount(c.due_now),
            "before": products(c.before, c.before_ids),
            "after": products(c.after, c.after_ids),
            "charges": [{"kind": ch.kind, "name": ch.name, "amount": amount(ch.amount), "product": ch.product_id,
                         "source": ch.source, "explanation": ch.explanation} for ch in c.charges],
            "promotions": [{"promotion": p.promotion_id, "name": p.name, "status": p.status,
                            "before": amount(p.before), "after": amount(p.after)} for p in c.promotions],
            "recommendations": [{"offering": r.offering_id, "parent": r.parent_id, "message": r.message,
                                 "price": amount(r.price), "rule": r.rule_id} for r in c.recommendations],
            "attributions": [{"product": a.product_id, "alteration": a.source, "promotion": a.promotion_id,
                              "by": a.how, "candidates": list(a.candidates), "ambiguous": a.ambiguous}
                             for a in c.attributions],
        }

    def projected(self) -> list[Product]:
        """The installed products once the change is done (see :func:`apply`)."""
        return project(self.inventory, self.delta, self.catalog)

    def shared_projection(self) -> list[Product]:
        """:meth:`projected`, computed again only when the delta has changed since: for the engine's own
        read-only use (the products are shared between callers; never modify them)."""
        state = (id(self.delta.items), tuple((i.action, i.product_id, i.offering_id, i.parent_id,
                                               id(i.characteristics), id(i.terms)) for i in self.delta.items))
        if self._projection is None or self._projection[0] != state:
            self._projection = (state, self.projected())
        return list(self._projection[1])

    def projected_inventory(self) -> Inventory:
        return Inventory.from_products(self.catalog, self.projected())

    def target_problems(self) -> list[str]:
        """Why the changed tree would not be a valid instance of its target offering (empty when it is)."""
        root = self.delta.root_product_id
        projected = self.projected_inventory()
        roots = [root] if root in projected.products else [
            i.product_id for i in self.items if not i.installed and i.parent_id is None
        ]
        return [p for r in roots for p in instance_problems(self.catalog, projected, r)]

    # ------------------------------------------------------------------ facts for the outputs
    def summary(self) -> str:
        request = self.delta.request
        name = self._name
        match request.kind:
            case "change_offer" if self.kind == "renew":
                current = self.inventory.product(request.product).offering_id  # type: ignore[union-attr]
                return (f"Renew the commitment of {request.product}: {name(current)} is no longer sold, it moves to "  # type: ignore[union-attr]
                        f"{name(request.to)}")  # type: ignore[union-attr]
            case "change_offer":
                current = self.inventory.product(request.product).offering_id  # type: ignore[union-attr]
                return f"Change {request.product} from {name(current)} to {name(request.to)}"  # type: ignore[union-attr]
            case "add":
                where = f" under {request.parent}" if request.parent else ""  # type: ignore[union-attr]
                return f"Add {name(request.offering)}{where}"  # type: ignore[union-attr]
            case "acquire":
                return f"Acquire {name(request.offering)}"  # type: ignore[union-attr]
            case "remove":
                return f"Remove {request.product}"  # type: ignore[union-attr]
            case "renew":
                return f"Renew the commitment of {request.product}"  # type: ignore[union-attr]
            case "terminate":
                return f"Terminate {request.product}"  # type: ignore[union-attr]
            case _:
                return f"Modify the characteristics of {request.product}"  # type: ignore[union-attr]

    def _name(self, offering_id: str | None) -> str:
        offering = self.catalog.offerings.get(offering_id or "")
        return f"{offering.name} ({offering.id})" if offering and offering.name else str(offering_id)

    def _root_product(self) -> Product | None:
        for item in self.items:
            if item.installed:
                return self.inventory.products[item.product_id]
        roots = self.inventory.roots()
        return self.inventory.products[roots[0]] if roots else None

    def customer(self) -> str | None:
        product = self._root_product()
        for party in product.related_party if product else []:
            if (party.role or "").lower() == "customer" and party.party_id:
                return party.party_id
        return None

    def billing_account(self) -> str | None:
        product = self._root_product()
        return product.billing_account.id if product and product.billing_account else None



def apply(inventory: Inventory, result: ChangeResult) -> list[Product]:
    """The TMF637 products of ``inventory`` once ``result`` is carried out: deleted ones gone, kept ones under
    their ids (modified in place), new ones with the ids the delta generated, untouched ones as they were."""
    return project(inventory, result.delta, result.catalog)
