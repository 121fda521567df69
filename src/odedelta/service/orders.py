"""TMF622 after the order is made: a merge-patch of what a client may change, and cancellation, with their state
rules. Pure functions of the stored order and the request: no I/O, no clock (moments are passed in).

State rules (TMF622 v4 and v5 ProductOrderStateType):
- an order may be patched or cancelled while it is not final: ``acknowledged``, ``pending``, ``held``,
  ``inProgress`` (v5 also ``draft``); a ``rejected``, ``completed``, ``failed``, ``partial`` or ``cancelled`` one is
  a conflict (409), as is one already being cancelled (``assessingCancellation``, ``pendingCancellation``);
- odedelta's orders are answers (nothing is executing them here), so a cancellation takes effect at once: the
  order and its items become ``cancelled``, with ``cancellationDate`` and ``cancellationReason``;
- the items, parties, prices and state are the engine's answer: not patchable (400); change them by cancelling
  the order and ordering again.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from odedelta.service._core import RequestError, iso
from odedelta.service.documents import Incomplete

OPEN = frozenset({"acknowledged", "pending", "held", "inProgress", "draft"})
PATCHABLE_TEXT = ("description", "priority", "category", "notificationContact")
PATCHABLE_DATES = ("requestedCompletionDate", "requestedStartDate")
PATCHABLE = frozenset({*PATCHABLE_TEXT, *PATCHABLE_DATES, "note", "externalId"})


class Conflict(RequestError):
    """A change the resource's state does not allow (409)."""


def _open(order: dict[str, Any], what: str) -> None:
    state = order.get("state")
    if state not in OPEN:
        raise Conflict(f"productOrder {order.get('id')} is {state}: it cannot be {what} (only an order that is "
                       f"{', '.join(sorted(OPEN))} can)")


def _moment(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise Incomplete(f"{where}: expected an ISO-8601 date-time, found {value!r}")
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Incomplete(f"{where}: expected an ISO-8601 date-time (e.g. 2026-03-01T00:00:00Z), "
                         f"found {value!r}") from None
    if found.tzinfo is None:
        raise Incomplete(f"{where}: the date-time needs a time zone (e.g. 2026-03-01T00:00:00Z), found {value!r}")
    return iso(found)


def _notes(value: Any, version: int, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise Incomplete(f"{where}: expected a list of notes ({{\"text\": …}})")
    notes = []
    for index, note in enumerate(value):
        if not isinstance(note, dict) or not isinstance(note.get("text"), str):
            raise Incomplete(f"{where}[{index}]: expected a note with a text")
        kept: dict[str, Any] = {"id": str(index + 1), "text": note["text"]}
        if isinstance(note.get("author"), str):
            kept["author"] = note["author"]
        if version == 5:
            kept["@type"] = "Note"
        notes.append(kept)
    return notes


def _external(value: Any, version: int, where: str) -> Any:
    """v4: a string; v5: a list of ExternalIdentifier ({id, owner?, externalIdentifierType?})."""
    if version == 4:
        if not isinstance(value, str):
            raise Incomplete(f"{where}: expected a string, found {value!r}")
        return value
    if not isinstance(value, list):
        raise Incomplete(f"{where}: expected a list of external identifiers ({{\"id\": …}})")
    out = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise Incomplete(f"{where}[{index}]: expected an external identifier with a string id")
        kept = {k: entry[k] for k in ("id", "owner", "externalIdentifierType") if isinstance(entry.get(k), str)}
        out.append({**kept, "@type": "ExternalIdentifier"})
    return out


def patched(order: dict[str, Any], patch: Any, version: int) -> dict[str, Any]:
    """``order`` with the JSON merge-patch (RFC 7386) ``patch`` applied to its patchable attributes (null
    removes one). Refuses (400) any other attribute and any bad value, (409) an order in a final state."""
    where = f"ProductOrder {order.get('id')}"
    if not isinstance(patch, dict):
        raise Incomplete(f"{where}: a merge-patch is a JSON object, found {type(patch).__name__}")
    refused = sorted(set(patch) - PATCHABLE - {"@type"})
    if refused:
        raise Incomplete(f"{where}: not patchable: {', '.join(refused)} (the items, parties, prices and state are "
                         f"the engine's answer; cancel the order and order again; patchable: "
                         f"{', '.join(sorted(PATCHABLE))})")
    _open(order, "patched")
    out = copy.deepcopy(order)
    for key, value in patch.items():
        if key == "@type":
            if value != order.get("@type", "ProductOrder"):
                raise Incomplete(f"{where} @ $.@type: expected {order.get('@type', 'ProductOrder')!r}, found {value!r}")
            continue
        if value is None:
            out.pop(key, None)
        elif key in PATCHABLE_TEXT:
            if not isinstance(value, str):
                raise Incomplete(f"{where} @ $.{key}: expected a string, found {value!r}")
            out[key] = value
        elif key in PATCHABLE_DATES:
            out[key] = _moment(value, f"{where} @ $.{key}")
        elif key == "externalId":
            out[key] = _external(value, version, f"{where} @ $.externalId")
        else:
            out["note"] = _notes(value, version, f"{where} @ $.note")
    return out


def cancellation(order: dict[str, Any], request: Any, version: int, cancel_id: str, href: str,
                 now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the cancelled order, the TMF622 CancelProductOrder) for ``request``; refuses (409) an order that cannot be
    cancelled. A ``requestedCancellationDate`` is echoed; the cancellation takes effect ``now``."""
    _open(order, "cancelled")
    cancel = cancellation_record(order, request, version, cancel_id, href, now)
    cancelled = copy.deepcopy(order)
    cancelled["state"] = "cancelled"
    cancelled["cancellationDate"] = iso(now)
    if cancel.get("cancellationReason"):
        cancelled["cancellationReason"] = cancel["cancellationReason"]
    for item in _items(cancelled.get("productOrderItem", [])):
        item["state"] = "cancelled"
    return cancelled, cancel


def cancellation_record(order: dict[str, Any], request: Any, version: int, cancel_id: str, href: str,
                        now: datetime) -> dict[str, Any]:
    """The TMF622 CancelProductOrder (``done``) of cancelling ``order`` as ``request`` asks, ``now``."""
    reason = request.get("cancellationReason")
    if reason is not None and not isinstance(reason, str):
        raise Incomplete(f"CancelProductOrder @ $.cancellationReason: expected a string, found {reason!r}")
    requested = request.get("requestedCancellationDate")
    if requested is not None:
        requested = _moment(requested, "CancelProductOrder @ $.requestedCancellationDate")
    ref: dict[str, Any] = {"id": order["id"], "href": order["href"]}
    if version == 5:
        ref["@type"] = "ProductOrderRef"
    else:
        ref["@referredType"] = "ProductOrder"
    cancel: dict[str, Any] = {"id": cancel_id, "href": href}
    if version == 5:
        cancel["creationDate"] = iso(now)
    if reason:
        cancel["cancellationReason"] = reason
    if requested is not None:
        cancel["requestedCancellationDate"] = requested
    cancel["effectiveCancellationDate"] = iso(now)
    cancel["productOrder"] = ref
    cancel["state"] = "done"
    cancel["@type"] = "CancelProductOrder"
    return cancel


def _items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        out.append(item)
        out += _items(item.get("productOrderItem", []))
    return out


def order_of(request: Any) -> str:
    """The id of the order a CancelProductOrder request names (400 when it names none)."""
    if not isinstance(request, dict):
        raise Incomplete(f"CancelProductOrder: expected a JSON object, found {type(request).__name__}")
    ref = request.get("productOrder")
    ident = ref.get("id") if isinstance(ref, dict) else None
    if not isinstance(ident, str) or not ident:
        raise Incomplete("CancelProductOrder @ $.productOrder.id: missing mandatory attribute: the order to cancel")
    return ident
