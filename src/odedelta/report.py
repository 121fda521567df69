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
    for action, title in SECTIONS:
        items = [i for i in result.items if i.action is action]
        if not items:
            continue
        lines.append("")
        lines.append(f"{title} ({len(items)}):")
        for item in items:
            lines.extend(_item_lines(result, item))
    return "\n".join(lines) + "\n"


def _item_lines(result: ChangeResult, item: DeltaItem) -> list[str]:
    name = _name(result, item.offering_id)
    if item.previous_offering_id:
        name = f"{_name(result, item.previous_offering_id)} → {name}"
    product = item.product_id if item.installed else "new"
    recurring = [p for p in result.item_prices(item) if p.kind == "recurring"]
    price = f" — {sum(p.amount.amount for p in recurring)} {recurring[0].amount.currency}/month" if recurring and \
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
