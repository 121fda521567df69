"""What can this installed product change to? Every candidate offering, qualified or not, with the reasons.

Candidates (S6): the offerings the catalog relates to the installed one (upgrade, downgrade, replacedBy…), its
successors, the offerings of its categories with the same specification, and offerings eligibility rules name
with that specification; for a bundle only bundles (a plan does not change into one of its parts); for a
component of a bundle,
the other offerings of its specification that the bundle can hold. Each is judged like a real change: not
sellable (lifecycle, validFor), refused by eligibility or compatibility rules, or structurally impossible (a value
it cannot take) — with the reason, the catalog element or the rule that says so — else qualified, with the monthly
price before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from odedelta.delta.builder import Reason
from odedelta.model.errors import RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.jsonio import iso
from odedelta.model.money import Money
from odedelta.model.requests import ChangeOffer, Context

if TYPE_CHECKING:
    from odedelta.flows.engine import Engine


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

    def to_tmf679(self) -> dict[str, Any]:
        """A TMF679 v4 ``ProductOfferingQualification`` (the answer): one item per candidate."""
        items = []
        for index, candidate in enumerate(self.candidates, start=1):
            item: dict[str, Any] = {
                "id": str(index),
                "action": "modify",
                "product": {"id": self.product_id, "@referredType": "Product"},
                "productOffering": {"id": candidate.offering_id, "@referredType": "ProductOffering"},
                "qualificationItemResult": "qualified" if candidate.qualified else (
                    "alternate" if candidate.alternative else "unqualified"),
                "state": "done",
            }
            if not candidate.qualified:
                item["eligibilityUnavailabilityReason"] = [{"code": r.code, "label": r.message}
                                                           for r in candidate.reasons]
            if candidate.alternative:
                item["alternateProductOfferingProposal"] = [{
                    "id": f"{index}-1",
                    "alternateProductOffering": {"id": candidate.alternative, "@referredType": "ProductOffering"},
                }]
            items.append(item)
        qualified = any(c.qualified for c in self.candidates)
        return {
            "description": f"What {self.product_id} ({self.offering_id}) can change to",
            "effectiveQualificationDate": iso(self.as_of),
            "provideUnavailabilityReason": True,
            "provideAlternative": True,
            "qualificationResult": "qualified" if qualified else "unqualified",
            "state": "done",
            "productOfferingQualificationItem": items,
            "@type": "ProductOfferingQualification",
        }

    def explain(self) -> str:
        lines = [f"What {self.product_id} ({self.offering_id}) can change to — as of {iso(self.as_of)}"
                 + (f" (rules run by {self.executor})" if self.executor else "")]
        for title, flag in (("Qualified", True), ("Not qualified", False)):
            chosen = [c for c in self.candidates if c.qualified is flag]
            if not chosen:
                continue
            lines += ["", f"{title} ({len(chosen)}):"]
            for c in chosen:
                price = ""
                if c.difference is not None and c.recurring_after is not None:
                    sign = "+" if c.difference.amount >= 0 else ""
                    price = f" — {c.recurring_after}/month ({sign}{c.difference})"
                lines.append(f"  - {c.offering_id}{price}")
                if c.penalties is not None and c.penalties.amount:
                    lines.append(f"      penalties due: {c.penalties}")
                for label, ids in (("promotions gained", c.promotions_gained), ("promotions lost", c.promotions_lost)):
                    if ids:
                        lines.append(f"      {label}: {', '.join(ids)}")
                for reason in c.reasons:
                    lines.append(f"      {reason.message} ({reason.code}; {reason.source})")
                if c.alternative:
                    lines.append(f"      instead: {c.alternative}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product_id,
            "offering": self.offering_id,
            "asOf": self.as_of,
            "executor": self.executor,
            "candidates": [
                {
                    "offering": c.offering_id,
                    "qualified": c.qualified,
                    "reasons": [{"code": r.code, "message": r.message, "source": r.source} for r in c.reasons],
                    **({"alternative": c.alternative} if c.alternative else {}),
                    **({"penalties": c.penalties.rounded().amount} if c.penalties is not None else {}),
                    **({"promotionsGained": c.promotions_gained, "promotionsLost": c.promotions_lost}
                       if c.qualified else {}),
                    **({"recurringBefore": c.recurring_before.rounded().amount,
                        "recurringAfter": c.recurring_after.rounded().amount,
                        "currency": c.recurring_after.currency}
                       if c.recurring_before is not None and c.recurring_after is not None else {}),
                }
                for c in self.candidates
            ],
        }


def candidates(engine: Engine, inventory: Inventory, product_id: str) -> list[str]:
    catalog = engine.catalog
    product = inventory.product(product_id)
    current = product.offering_id or ""
    parent = inventory.parent(product_id)
    if parent is not None:  # a component: the other offerings of its specification its bundle can hold
        spec = catalog.graph.specification_of(current)
        slots = catalog.graph.components(inventory.product(parent).offering_id or "")
        found = {s.offering_id for s in slots if catalog.graph.specification_of(s.offering_id) == spec}
    else:  # related offerings, successors, and offerings of its categories with the same specification
        spec = catalog.graph.specification_of(current)
        found = {target for target, _ in catalog.graph.related(current)}
        found.update(catalog.successors(current))
        for category in catalog.graph.categories_of(current):
            found.update(o for o in catalog.graph.offerings_in_category(category)
                         if catalog.graph.specification_of(o) == spec)
        if engine.rules is not None:
            found.update(o for o in _offerings_named_by_rules(engine) if catalog.graph.specification_of(o) == spec)
        found = {o for o in found if not catalog.graph.components(current) or catalog.graph.components(o)}
    found.discard(current)
    return sorted(found)


def _offerings_named_by_rules(engine: Engine) -> set[str]:
    assert engine.rules is not None
    named = set()
    for rule in engine.rules.rules:
        if rule.kind == "eligibility":
            named.update(v for f, v in _equalities(rule.condition) if f == "target.offering")
    return {o for o in named if o in engine.catalog.offerings}


def _equalities(cond: dict[str, Any]) -> list[tuple[str, Any]]:
    out = [(k, v) for k, v in cond.items() if not k.startswith("$")]
    for part in cond.get("$and", []) + cond.get("$or", []):
        out += _equalities(part)
    return out


def qualify(engine: Engine, inventory: Inventory, product_id: str, *, as_of: datetime,
            context: Context | None = None) -> Qualification:
    from odedelta.flows.engine import NotEligible

    if product_id not in inventory.products:
        from odedelta.model.errors import did_you_mean

        raise RequestError(f"no installed product {product_id!r}{did_you_mean(product_id, inventory.products)}")
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
        try:
            result = engine.change(inventory, ChangeOffer(product=product_id, to=offering), as_of=as_of,
                                   context=context)
        except NotEligible as refusal:
            candidate.reasons += [Reason(r.reason, r.message, f"rule:{r.rule_id}") for r in refusal.verdict.reasons]
        except RequestError as refusal:
            candidate.reasons.append(Reason("not_orderable", str(refusal), f"catalog:{offering}"))
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
        found.append(candidate)
    executor = engine.rules.executor_name if engine.rules is not None else None
    return Qualification(product_id, current, as_of, found, executor)
