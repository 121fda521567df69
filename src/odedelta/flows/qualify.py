"""What can this installed product change to? Every candidate offering, qualified or not, with the reasons.

Candidates come from the catalog's own structure first, then the rules (S6), in this order of sources (the list
itself is sorted by offering id, and an offering found twice is listed once):

1. the installed offering's ``productOfferingRelationship``s, whatever their type (upgrade, downgrade,
   exchangableTo, replacedBy…);
2. its successors (replacedBy / successor);
3. the targets of migration rules from its offering or specification (the ``to`` offering, or the offerings of the
   ``to`` specification);
4. the offerings of its categories: those of the same kind (:func:`same_kind`), and, for a simple offering, the
   other simple offerings sold on their own whatever their specification — one specification per tier (Fibre 100,
   Fibre 900) is common;
5. offerings eligibility rules name as a target, with the same kind.

For a bundle only bundles (a plan does not change into one of its parts); for a component of a bundle, the other
offerings of its specification that the bundle can hold. Each is judged like a real change: not
sellable (lifecycle, validFor), refused by eligibility or compatibility rules, or structurally impossible (a value
it cannot take) — with the reason, the catalog element or the rule that says so — else qualified, with the monthly
price before and after. No candidate at all is an empty list, which the outputs say in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from odedelta.delta.items import Reason
from odedelta.flows.result import Changer, Refusal
from odedelta.model.inventory import Inventory
from odedelta.model.money import Money, total
from odedelta.model.requests import ChangeOffer, Context
from odedelta.money.charges import Charge, PromotionChange


@dataclass
class Candidate:
    offering_id: str
    qualified: bool
    reasons: list[Reason] = field(default_factory=list)
    recurring_before: Money | None = None
    recurring_after: Money | None = None
    alternative: str | None = None
    """For an offering no longer sold: its successor."""
    penalties: Money | None = None
    promotions_gained: list[str] = field(default_factory=list)
    promotions_lost: list[str] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    """Everything due once with the change: penalties, fees, one-time prices of added products, proration."""
    promotions: list[PromotionChange] = field(default_factory=list)
    """Promotions the change keeps, loses or brings, with their monthly value before and after."""
    due_now: Money | None = None

    @property
    def fees(self) -> Money | None:
        """Fees and one-time prices of added products (penalties apart)."""
        if self.due_now is None:
            return None
        return total((c.amount.rounded() for c in self.charges if c.kind in ("fee", "oneTime")), self.due_now.currency)

    @property
    def difference(self) -> Money | None:
        if self.recurring_before is None or self.recurring_after is None:
            return None
        return self.recurring_after - self.recurring_before


@dataclass
class Qualification:
    product_id: str
    offering_id: str
    as_of: datetime
    candidates: list[Candidate]
    executor: str | None

    def candidate(self, offering_id: str) -> Candidate:
        return next(c for c in self.candidates if c.offering_id == offering_id)


def candidates(engine: Changer, inventory: Inventory, product_id: str) -> list[str]:
    """The offerings an installed product could change to, from the catalog's own structure and the rules (see the
    module docstring for the sources), sorted by id. A component's candidates are the other offerings of its kind
    its bundle can hold; a bundle's are bundles only (a plan does not change into one of its parts)."""
    catalog = engine.catalog
    product = inventory.product(product_id)
    current = product.offering_id or ""
    parent = inventory.parent(product_id)
    if parent is not None:  # a component: the other offerings of its specification its bundle can hold
        slots = catalog.graph.components(inventory.product(parent).offering_id or "")
        found = {s.offering_id for s in slots if same_kind(engine, current, s.offering_id)}
    else:
        found = {target for target, _ in catalog.graph.related(current)}  # upgrade, downgrade, exchangableTo…
        found.update(catalog.successors(current))
        found.update(_migration_targets(engine, current, product.spec_id))
        for category in catalog.graph.categories_of(current):  # its categories, whatever their specification
            found.update(o for o in catalog.graph.offerings_in_category(category)
                         if same_kind(engine, current, o) or _other_tier(engine, current, o))
        if engine.rules is not None:
            found.update(o for o in _offerings_named_by_rules(engine) if same_kind(engine, current, o))
        found = {o for o in found if not catalog.graph.components(current) or catalog.graph.components(o)}
    found.discard(current)
    return sorted(found)


def _other_tier(engine: Changer, current: str, offering_id: str) -> bool:
    """A category neighbour of another specification worth offering: both simple offerings with a specification
    (one specification per tier), the neighbour sold on its own (not only a component of bundles). Bundles without
    a specification stay matched by their parts (:func:`same_kind`)."""
    graph = engine.catalog.graph
    return all(not graph.components(o) and graph.specification_of(o) is not None for o in (current, offering_id)) \
        and not graph.bundles_containing(offering_id)


def _migration_targets(engine: Changer, offering_id: str, spec_id: str | None) -> set[str]:
    """The offerings migration rules map the installed offering (or its specification) to: the rule's ``to``
    offering, or the offerings of its ``to`` specification."""
    if engine.rules is None:
        return set()
    catalog = engine.catalog
    spec = spec_id or catalog.graph.specification_of(offering_id)
    out: set[str] = set()
    for rule in engine.rules.rules:
        effect = getattr(rule.model, "then", None) if rule.kind == "migration" else None
        source, target = getattr(effect, "from_", None), getattr(effect, "to", None)
        if source is None or target is None:
            continue
        if (source.offering is not None and source.offering == offering_id) or (
                source.specification is not None and source.specification == spec):
            if target.offering in catalog.offerings:
                out.add(target.offering)
            if target.specification is not None:
                out.update(catalog.graph.offerings_with_specification(target.specification))
    return out


def same_kind(engine: Changer, a: str, b: str) -> bool:
    """Whether offering ``b`` is the same kind of thing as ``a``: the same product specification; for offerings
    without one (a bundle defined by its parts), a component specification in common. A missing specification never
    matches another missing one."""
    graph = engine.catalog.graph
    spec_a, spec_b = graph.specification_of(a), graph.specification_of(b)
    if spec_a is not None or spec_b is not None:
        return spec_a == spec_b
    parts_a = {graph.specification_of(c.offering_id) for c in graph.components(a)} - {None}
    parts_b = {graph.specification_of(c.offering_id) for c in graph.components(b)} - {None}
    return bool(parts_a & parts_b)


def _offerings_named_by_rules(engine: Changer) -> set[str]:
    assert engine.rules is not None
    named: set[str] = set()
    for rule in engine.rules.rules:
        if rule.kind == "eligibility":
            named.update(v for f, v in _equalities(rule.condition) if f == "target.offering")
    return {o for o in named if o in engine.catalog.offerings}


def _equalities(cond: dict[str, Any]) -> list[tuple[str, Any]]:
    out = [(k, v) for k, v in cond.items() if not k.startswith("$")]
    for part in cond.get("$and", []) + cond.get("$or", []):
        out += _equalities(part)
    return out


def qualify(engine: Changer, inventory: Inventory, product_id: str, *, as_of: datetime,
            context: Context | None = None) -> Qualification:
    inventory.installed(product_id)
    catalog = engine.catalog
    current = inventory.product(product_id).offering_id or ""
    found = []
    for offering in candidates(engine, inventory, product_id):
        candidate = Candidate(offering, qualified=False)
        sellable, why = catalog.sellable(offering, as_of)
        successors = catalog.successors(offering)
        if not sellable:
            candidate.reasons.append(Reason("not_sellable", why, f"catalog:{offering}"))
            candidate.alternative = successors[0] if successors else None
            found.append(candidate)
            continue
        result = engine.evaluate(inventory, ChangeOffer(product=product_id, to=offering), as_of=as_of,
                                 context=context)
        if isinstance(result, Refusal) and result.verdict is not None:
            candidate.reasons += [Reason(r.reason, r.message, _source(r.rule_id)) for r in result.verdict.reasons]
        elif isinstance(result, Refusal):
            candidate.reasons.append(Reason("not_orderable", result.message, f"catalog:{offering}"))
        else:
            candidate.qualified = True
            candidate.reasons += [Reason(d.reason, d.message, f"rule:{d.rule_id}") for d in result.decisions
                                  if d.kind == "eligibility"]
            if result.consequences is not None:
                candidate.recurring_before = result.consequences.recurring_before
                candidate.recurring_after = result.consequences.recurring_after
                candidate.penalties = result.consequences.penalty_total
                candidate.promotions_gained = result.consequences.promotion_ids("gained")
                candidate.promotions_lost = result.consequences.promotion_ids("lost")
                candidate.charges = list(result.consequences.charges)
                candidate.promotions = list(result.consequences.promotions)
                candidate.due_now = result.consequences.due_now
        found.append(candidate)
    executor = engine.rules.executor_name if engine.rules is not None else None
    return Qualification(product_id, current, as_of, found, executor)


def _source(rule_id: str) -> str:
    """A refusal's source: ``rule:<id>``, or the catalog element itself (``catalog:<offering>``, allowedAction)."""
    return rule_id if rule_id.startswith("catalog:") else f"rule:{rule_id}"
