"""What can this installed product change to? Every candidate offering, qualified or not, with the reasons.

Candidates (S6): the offerings the catalog relates to the installed one (upgrade, downgrade, replacedBy…), its
successors, the offerings of its categories with the same specification, and offerings eligibility rules name
with that specification (offerings without a specification: those sharing a component specification —
:func:`same_kind`); for a bundle only bundles (a plan does not change into one of its parts); for a
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

from .delta import Reason
from .errors import RequestError
from .inventory import Inventory
from .jsonio import iso
from .consequences import Charge, PromotionChange
from .money import Money, total
from .requests import ChangeOffer, Context

if TYPE_CHECKING:
    from .engine import Engine


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

    def money_lines(self) -> list[str]:
        """The money consequences in words, one per line (text report and TMF679 notes)."""
        lines = []
        if self.difference is not None and self.recurring_before is not None and self.recurring_after is not None:
            sign = "+" if self.difference.amount >= 0 else ""
            lines.append(f"monthly {self.recurring_before} → {self.recurring_after} ({sign}{self.difference})")
        if self.due_now is not None and self.due_now.amount:
            lines.append(f"due now {self.due_now}")
        for charge in self.charges:
            why = f" — {charge.explanation}" if charge.explanation and charge.kind == "penalty" else ""
            lines.append(f"{charge.kind} {charge.name}: {charge.amount.rounded()} ({charge.source}){why}")
        for promotion in self.promotions:
            if promotion.status == "kept":
                continue
            worth = promotion.before if promotion.status == "lost" else promotion.after
            lines.append(f"promotion {promotion.status}: {promotion.name} ({promotion.promotion_id})"
                         + (f", {worth}/month" if worth is not None else ""))
        return lines

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
            if candidate.qualified and candidate.recurring_after is not None:
                prices = [{"name": "Monthly price after the change", "priceType": "recurring",
                           "recurringChargePeriod": "month",
                           "price": {"taxIncludedAmount": _money(candidate.recurring_after)}}]
                prices += [{"name": c.name, "priceType": "oneTime", "description": f"{c.kind}; {c.source}",
                            "price": {"taxIncludedAmount": _money(c.amount)}} for c in candidate.charges]
                item["product"]["productPrice"] = prices
                item["note"] = [{"id": f"{index}-{n}", "text": line}
                                for n, line in enumerate(candidate.money_lines(), start=1)]
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
                if c.due_now is not None and c.due_now.amount:
                    parts = [f"penalties {c.penalties}" if c.penalties is not None and c.penalties.amount else "",
                             f"fees {c.fees}" if c.fees is not None and c.fees.amount else ""]
                    detail = ", ".join(p for p in parts if p)
                    lines.append(f"      due now: {c.due_now}" + (f" ({detail})" if detail else ""))
                for charge in c.charges:
                    why = f" — {charge.explanation}" if charge.explanation and charge.kind == "penalty" else ""
                    lines.append(f"        {charge.name}: {charge.amount.rounded()} ({charge.kind}; {charge.source}){why}")
                for status, label in (("gained", "promotion gained"), ("lost", "promotion lost")):
                    for p in (p for p in c.promotions if p.status == status):
                        worth = p.after if status == "gained" else p.before
                        lines.append(f"      {label}: {p.name} ({p.promotion_id})"
                                     + (f", {worth}/month" if worth is not None else ""))
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
                    **({"fees": c.fees.rounded().amount, "dueNow": c.due_now.rounded().amount,
                        "charges": [{"kind": ch.kind, "name": ch.name, "amount": ch.amount.rounded().amount,
                                     "source": ch.source, "explanation": ch.explanation} for ch in c.charges],
                        "promotions": [{"promotion": p.promotion_id, "name": p.name, "status": p.status,
                                        "before": p.before.rounded().amount if p.before is not None else None,
                                        "after": p.after.rounded().amount if p.after is not None else None}
                                       for p in c.promotions]}
                       if c.due_now is not None and c.fees is not None else {}),
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


def _money(amount: Money) -> dict[str, Any]:
    rounded = amount.rounded()
    return {"unit": rounded.currency, "value": rounded.amount}


def candidates(engine: Engine, inventory: Inventory, product_id: str) -> list[str]:
    catalog = engine.catalog
    product = inventory.product(product_id)
    current = product.offering_id or ""
    parent = inventory.parent(product_id)
    if parent is not None:  # a component: the other offerings of its specification its bundle can hold
        slots = catalog.graph.components(inventory.product(parent).offering_id or "")
        found = {s.offering_id for s in slots if same_kind(engine, current, s.offering_id)}
    else:  # related offerings, successors, and offerings of its categories with the same specification
        found = {target for target, _ in catalog.graph.related(current)}
        found.update(catalog.successors(current))
        for category in catalog.graph.categories_of(current):
            found.update(o for o in catalog.graph.offerings_in_category(category) if same_kind(engine, current, o))
        if engine.rules is not None:
            found.update(o for o in _offerings_named_by_rules(engine) if same_kind(engine, current, o))
        found = {o for o in found if not catalog.graph.components(current) or catalog.graph.components(o)}
    found.discard(current)
    return sorted(found)


def same_kind(engine: Engine, a: str, b: str) -> bool:
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
    from .engine import NotEligible

    if product_id not in inventory.products:
        from .errors import did_you_mean

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
                candidate.charges = list(result.consequences.charges)
                candidate.promotions = list(result.consequences.promotions)
                candidate.due_now = result.consequences.due_now
        found.append(candidate)
    executor = engine.rules.executor_name if engine.rules is not None else None
    return Qualification(product_id, current, as_of, found, executor)
