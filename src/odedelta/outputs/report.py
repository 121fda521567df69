"""The plain-language report of a change: what is kept, what changes (old → new), what is removed and why, what
is added and why. Short lines a CPQ screen can show as they are."""

from __future__ import annotations

from odedelta.delta.items import Action, DeltaItem
from odedelta.flows.qualify import Candidate, Qualification
from odedelta.flows.result import ChangeResult
from odedelta.model.catalog import value_key
from odedelta.model.jsonio import iso
from odedelta.model.pricing import usage_prices
from odedelta.outputs.describe import summary

SECTIONS = [
    (Action.NO_CHANGE, "Kept as they are"),
    (Action.MODIFY, "Changed"),
    (Action.DELETE, "Removed"),
    (Action.ADD, "Added"),
]


# Reasons that another line already says: characteristic changes are listed one by one below the item, and a
# modified product does not also need "kept".
_SHOWN_ELSEWHERE = {Action.MODIFY: {"characteristic_changed", "kept"}, Action.NO_CHANGE: {"characteristic_changed"}}


def explain(result: ChangeResult) -> str:
    lines = [f"{summary(result)} — as of {iso(result.as_of)}"]
    lines += _consequence_summary(result)
    for action, title in SECTIONS:
        items = [i for i in result.items if i.action is action]
        if not items:
            continue
        lines.append("")
        lines.append(f"{title} ({len(items)}):")
        for item in items:
            lines.extend(_item_lines(result, item))
    return "\n".join(lines) + "\n"


def _consequence_summary(result: ChangeResult) -> list[str]:
    """What the customer must know before accepting: money first, then what goes and what could stay."""
    c = result.consequences
    if c is None:
        return []
    sign = "+" if c.recurring_difference.amount >= 0 else ""
    lines = [""]
    if c.timing is not None and c.timing.policy != "immediate":
        lines.append(f"Takes effect: {c.timing.effective.date().isoformat()} ({c.timing.policy}; {c.timing.source})")
    lines += [f"Monthly: {c.recurring_before} → {c.recurring_after} ({sign}{c.recurring_difference})",
             f"Due now: {c.due_now}" + (f" (of which penalties {c.penalty_total})" if c.penalty_total.amount else "")]
    if c.unpriced:
        lines.append(f"Note: {c.unpriced}")
    for item in result.items:
        if item.action is Action.ADD or (item.action is Action.MODIFY and item.previous_offering_id):
            for line in usage_prices(result.catalog, item.offering_id, result.as_of):  # the rate as written
                lines.append(f"  Per use, in no total: {line.name} {line.amount.amount} {line.amount.currency} "
                             f"({result.catalog.name_of(item.offering_id)}; catalog:{line.pop_id})")
    for charge in c.charges:
        why = f" — {charge.explanation}" if charge.explanation and charge.kind in ("penalty", "proration") else ""
        lines.append(f"  - {charge.name}: {charge.amount.rounded()} ({charge.kind}; {charge.source}){why}")
    for status, title in (("lost", "Promotions lost"), ("gained", "Promotions gained"), ("kept", "Promotions kept")):
        chosen = [p for p in c.promotions if p.status == status]
        if chosen:
            lines.append(f"{title}:")
            for p in chosen:
                worth = p.before if status == "lost" else p.after
                lines.append(f"  - {p.name} ({p.promotion_id})" + (f": {worth}/month" if worth else ""))
    ambiguous = [a for a in c.attributions if a.ambiguous]
    if ambiguous:
        lines.append("Price alterations whose promotion is ambiguous (each counted once):")
        lines += [f"  - {a.describe()}" for a in ambiguous]
    removed = [i for i in result.items if i.action is Action.DELETE and i.reasons[0].code != "parent_deleted"]
    if removed:
        lines.append("Services removed:")
        for item in removed:
            lines.append(f"  - {result.catalog.name_of(item.offering_id)} [{item.product_id}]: "
                         f"{item.reasons[0].message} ({item.reasons[0].code})")
    if c.recommendations:
        lines.append("Recommended (not added unless you choose it):")
        for r in c.recommendations:
            price = f" — {r.price}/month" if r.price else ""
            lines.append(f"  - {result.catalog.name_of(r.offering_id)}{price}: {r.message} (rule:{r.rule_id})")
    return lines


def _item_lines(result: ChangeResult, item: DeltaItem) -> list[str]:
    name = result.catalog.name_of(item.offering_id)
    if item.previous_offering_id:
        name = f"{result.catalog.name_of(item.previous_offering_id)} → {name}"
    product = item.product_id if item.installed else "new"
    entry = result.consequences.after.products.get(item.product_id) if result.consequences else None
    price = f" — {entry.net}/month" if entry is not None and entry.net is not None and \
        item.action is not Action.DELETE else ""
    head = f"  - {name} [{product}]{price}"
    out = [head]
    codes = set(item.codes)
    for reason in item.reasons:
        if reason.code in _SHOWN_ELSEWHERE.get(item.action, set()) or (
            reason.code == "offering_changed" and "requested" in codes
        ):
            continue
        out.append(f"      {reason.message} ({reason.code}; {reason.source})")
    for change in item.changes:
        before = "—" if change.before is None else value_key(change.before)
        after = "removed" if change.after is None else value_key(change.after)
        out.append(f"      {change.name}: {before} → {after} ({change.why})")
    return out


def money_lines(c: Candidate) -> list[str]:
    """A candidate's money consequences in words, one per line (the TMF679 notes)."""
    lines = []
    if c.difference is not None and c.recurring_before is not None and c.recurring_after is not None:
        sign = "+" if c.difference.amount >= 0 else ""
        lines.append(f"monthly {c.recurring_before} → {c.recurring_after} ({sign}{c.difference})")
    if c.due_now is not None and c.due_now.amount:
        lines.append(f"due now {c.due_now}")
    for charge in c.charges:
        why = f" — {charge.explanation}" if charge.explanation and charge.kind == "penalty" else ""
        lines.append(f"{charge.kind} {charge.name}: {charge.amount.rounded()} ({charge.source}){why}")
    for promotion in c.promotions:
        if promotion.status == "kept":
            continue
        worth = promotion.before if promotion.status == "lost" else promotion.after
        lines.append(f"promotion {promotion.status}: {promotion.name} ({promotion.promotion_id})"
                     + (f", {worth}/month" if worth is not None else ""))
    return lines


def explain_qualification(q: Qualification) -> str:
    """The plain-language list of what a product can change to, qualified first, with every money consequence."""
    lines = [f"What {q.product_id} ({q.offering_id}) can change to — as of {iso(q.as_of)}"
             + (f" (rules run by {q.executor})" if q.executor else "")]
    if not q.candidates:
        lines += ["", f"No candidates: nothing in the catalog or the rules offers {q.offering_id} a change — no "
                      "productOfferingRelationship, successor, migration rule, other offering in its categories or "
                      "eligibility rule names one."]
    for title, flag in (("Qualified", True), ("Not qualified", False)):
        chosen = [c for c in q.candidates if c.qualified is flag]
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
