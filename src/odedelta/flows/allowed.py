"""TMF620 v5 ``allowedAction``: which actions products of an offering may undergo, in which sales channels, when.

An offering that lists allowed actions allows only those: every item of a change that adds, modifies or deletes a
product of it must find an entry with its action (``remove``, ``terminate`` and ``cease`` read as delete;
``change`` and ``update`` as modify; ``install`` and ``provide`` as add; case ignored), in force at ``as_of``
(its ``validFor``) and, when the request names its channel (``Context.channel``), open to that channel (its
``channel`` refs, by id or name; none listed: every channel). An offering that lists none — every v4 offering —
allows everything. A modify is judged by the offering the product was instantiated from (before the change).

What is not allowed is a refusal with one reason per item, as rule refusals are: ``action_not_allowed``,
``action_not_allowed_at_date``, ``action_not_allowed_in_channel``; the "rule" named is ``catalog:<offering id>``.
"""

from __future__ import annotations

from datetime import datetime

from odedelta.delta.items import Action, Delta
from odedelta.model.catalog import Catalog
from odedelta.model.records import AllowedProductAction, ProductOffering
from odedelta.model.requests import Context
from odedelta.rules import RuleOutcome, Verdict

KIND = "allowed_action"
_LISTING = ("some offering lists allowed actions",)
"""The catalog memo's key for whether any offering lists allowed actions (worked out once per catalog)."""
_NO_CHANGE, _MODIFY = Action.NO_CHANGE, Action.MODIFY
SYNONYMS = {
    "add": "add", "install": "add", "provide": "add",
    "modify": "modify", "change": "modify", "update": "modify",
    "delete": "delete", "remove": "delete", "terminate": "delete", "cease": "delete",
}
"""Action names catalogs use → the ProductOrder item action they allow."""


def refused_actions(catalog: Catalog, delta: Delta, as_of: datetime, context: Context) -> Verdict | None:
    """The items of ``delta`` whose action their offering does not allow (None when every one is allowed)."""
    if not catalog.remembered(_LISTING, lambda: any(o.allowed_action for o in catalog.offerings.values())):
        return None  # no offering of the catalog lists allowed actions (every v4 catalog): all allowed
    reasons: list[RuleOutcome] = []
    free: set[str] = set()  # offerings seen to list no allowed actions (most: every v4 offering)
    offerings = catalog.offerings
    for item in delta.items:
        action = item.action
        if action is _NO_CHANGE:
            continue
        offering_id = item.previous_offering_id if action is _MODIFY and item.previous_offering_id \
            else item.offering_id
        if offering_id in free:
            continue
        offering = offerings.get(offering_id or "")
        if offering is None or not offering.allowed_action:
            free.add(offering_id)
            continue
        found = _judge(offering, item.action.value, as_of, context.channel)
        if found is not None:
            reason, message = found
            reasons.append(RuleOutcome(f"catalog:{offering.id}", KIND, reason,
                                       f"{item.product_id}: {message}"))
    return Verdict(False, reasons) if reasons else None


def _judge(offering: ProductOffering, action: str, as_of: datetime,
           channel: str | None) -> tuple[str, str] | None:
    name = offering.name or offering.id
    entries = [a for a in offering.allowed_action if SYNONYMS.get((a.action or "").strip().lower()) == action]
    if not entries:
        listed = sorted({a.action for a in offering.allowed_action if a.action})
        return "action_not_allowed", (f"{name} ({offering.id}) does not allow {action} (its allowed actions: "
                                      f"{', '.join(listed) or 'none'})")
    dated = [a for a in entries if a.valid_for is None or a.valid_for.contains(as_of)]
    if not dated:
        periods = "; ".join(_period(a) for a in entries)
        return "action_not_allowed_at_date", (f"{name} ({offering.id}) allows {action} only {periods}, not on "
                                              f"{as_of.date().isoformat()}")
    if channel is None or any(not a.channel or any(channel in (c.id, c.name) for c in a.channel) for a in dated):
        return None
    channels = sorted({f"{c.name} ({c.id})" if c.name and c.id else str(c.id or c.name) for a in dated
                       for c in a.channel})
    return "action_not_allowed_in_channel", (f"{name} ({offering.id}) allows {action} only in {', '.join(channels)}, "
                                             f"not in channel {channel!r}")


def _period(entry: AllowedProductAction) -> str:
    period = entry.valid_for
    assert period is not None
    start = period.start.date().isoformat() if period.start else None
    end = period.end.date().isoformat() if period.end else None
    if start and end:
        return f"from {start} until {end}"
    return f"from {start}" if start else f"until {end}"
