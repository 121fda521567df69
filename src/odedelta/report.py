"""The plain-language report of a change: what is kept, what changes (old → new), what is removed and why, what
is added and why. Short lines a CPQ screen can show as they are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .catalog import value_key
from .delta import Action, DeltaItem
from .jsonio import iso

if TYPE_CHECKING:
    from .engine import ChangeResult

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
    lines = [f"{result.summary()} — as of {iso(result.as_of)}"]
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
            lines.append(f"  - {_name(result, item.offering_id)} [{item.product_id}]: {item.reasons[0].message} "
                         f"({item.reasons[0].code})")
    if c.recommendations:
        lines.append("Recommended (not added unless you choose it):")
        for r in c.recommendations:
            price = f" — {r.price}/month" if r.price else ""
            lines.append(f"  - {_name(result, r.offering_id)}{price}: {r.message} (rule:{r.rule_id})")
    return lines


def _item_lines(result: ChangeResult, item: DeltaItem) -> list[str]:
    name = _name(result, item.offering_id)
    if item.previous_offering_id:
        name = f"{_name(result, item.previous_offering_id)} → {name}"
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


def _name(result: ChangeResult, offering_id: str) -> str:
    offering = result.catalog.offerings.get(offering_id)
    return offering.name or offering_id if offering else offering_id
