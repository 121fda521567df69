"""Status roll-up (S10): the supplier's TMF622 notifications move the partner items; the customer order's items
and state follow; the reseller gets the notification to send its customer, with explanations.

Sans-IO and deterministic: :func:`roll_up` takes documents (the customer order, its partner orders, the events in
the order they arrived) and returns a value. Everything that affects a state lives in the two tables below
(h11 style): :data:`ITEM_TRANSITIONS` (an item's state × the state an event reports → what happens) and
:data:`ORDER_STATE` (the items' states → the customer order's state, first row that holds).

* An event names its partner order by ``externalId`` (v4 a string, v5 a list of ``ExternalIdentifier``; the
  supplier's own ``id`` once an earlier event tied it to one). An event for no known order, a second event with an
  ``eventId`` already seen, an event older (``eventTime``) than the last one applied to an item, a state going
  back, or a different end state for an item that already ended: reported, never applied, never a crash.
* Items an event lists take their own state; the order's ``state`` applies to the items of that order it does not
  list (a ``partial`` order without item states says nothing about any item).
* Ranks: ``acknowledged`` 0; ``pending``, ``held``, ``inProgress`` (and cancellation in assessment) 1; ended
  (``completed``, ``failed``, ``cancelled``, ``rejected``) 2. An item never goes to a lower rank and never leaves an
  end state, so the customer order's state never goes back either: ``acknowledged`` → ``inProgress``/``held`` →
  ``completed``/``partial``/``failed``/``cancelled``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RANK = {"acknowledged": 0, "pending": 1, "held": 1, "inProgress": 1, "assessingCancellation": 1,
        "pendingCancellation": 1, "completed": 2, "failed": 2, "cancelled": 2, "rejected": 2}
ENDED = frozenset(s for s, r in RANK.items() if r == 2)

# what an event reporting state E does to an item in state S
SAME, APPLY, NEWER, LATE, CONFLICT = "same", "apply", "if newer", "late", "conflict"
_ACTIVE = ("pending", "held", "inProgress", "assessingCancellation", "pendingCancellation")


def _row(state: str) -> dict[str, str]:
    if state in ENDED:  # an ended item stays ended: the same end again is a repeat, another one a conflict
        return {e: SAME if e == state else (CONFLICT if e in ENDED else LATE) for e in RANK}
    if state == "acknowledged":
        return {e: SAME if e == state else APPLY for e in RANK}
    # an active state: another active state moves it if the event is not older than the last applied; an end moves
    # it; going back to acknowledged is late
    return {e: SAME if e == state else (APPLY if e in ENDED else NEWER if e in _ACTIVE else LATE) for e in RANK}


ITEM_TRANSITIONS: dict[str, dict[str, str]] = {state: _row(state) for state in RANK}
"""``ITEM_TRANSITIONS[item state][reported state]``: ``same`` (nothing to do), ``apply``, ``if newer`` (apply unless
the event is older than the item's last applied event: then late), ``late`` (a state going back: reported),
``conflict`` (another end for an ended item: reported, the first end kept)."""

ORDER_STATE: list[tuple[str, Callable[[list[str]], bool], str]] = [
    ("every item completed", lambda s: all(x == "completed" for x in s), "completed"),
    ("every item cancelled", lambda s: all(x == "cancelled" for x in s), "cancelled"),
    ("every item ended, none completed", lambda s: all(x in ENDED for x in s) and "completed" not in s, "failed"),
    ("every item ended, some completed", lambda s: all(x in ENDED for x in s), "partial"),
    ("every item acknowledged", lambda s: all(x == "acknowledged" for x in s), "acknowledged"),
    ("some item held", lambda s: "held" in s, "held"),
    ("otherwise", lambda s: True, "inProgress"),
]
"""The customer order's state from its items' states: the first row that holds."""

_VERB = {"add": "activation", "modify": "change", "delete": "removal", "noChange": "check"}
_EVENTS = ("ProductOrderStateChangeEvent", "ProductOrderAttributeValueChangeEvent")


def order_state(states: Sequence[str]) -> str:
    return next(state for _, holds, state in ORDER_STATE if holds(list(states)))


@dataclass(frozen=True)
class ItemStatus:
    id: str
    action: str
    name: str
    state: str
    supplier: str | None
    """The supplier's name, None for an item the reseller fulfils."""
    reason: str | None = None


@dataclass(frozen=True)
class RollUp:
    """The customer order's state and items, what each event did, the explanations and the notification."""

    reference: str
    state: str
    items: tuple[ItemStatus, ...]
    history: tuple[str, ...]
    """The customer order's state before the first event, then each state it took, in arrival order."""
    applied: tuple[str, ...]
    problems: tuple[str, ...]
    """Events not applied, and why (unknown order, duplicate, late, conflicting)."""
    explanations: tuple[str, ...]
    notification: dict[str, Any] = field(repr=False)

    def report(self) -> str:
        lines = [f"Customer order {self.reference}: {self.state}"]
        for item in self.items:
            by = f"at {item.supplier}" if item.supplier else "by the reseller"
            lines.append(f"  item {item.id} {item.action} {item.name} ({by}): {item.state}")
        lines += [f"  why: {text}" for text in self.explanations]
        lines.append(f"States: {' → '.join(self.history) if self.history else self.state}")
        lines += [f"  applied: {text}" for text in self.applied]
        lines += [f"  not applied: {text}" for text in self.problems]
        return "\n".join(lines) + "\n"


def _ids(external: Any) -> list[str]:
    if isinstance(external, str):
        return [external]
    if isinstance(external, list):
        return [str(e["id"]) for e in external if isinstance(e, Mapping) and "id" in e]
    return []


def _reason(order: Mapping[str, Any]) -> str | None:
    texts = [str(n["text"]) for n in order.get("note") or [] if isinstance(n, Mapping) and n.get("text")]
    texts += [str(m.get("message") or m.get("reason")) for m in order.get("productOrderErrorMessage") or []
              if isinstance(m, Mapping) and (m.get("message") or m.get("reason"))]
    return "; ".join(texts) or None


def _supplier_name(order: Mapping[str, Any]) -> str:
    for party in order.get("relatedParty") or []:
        if str(party.get("role", "")).lower() == "supplier":
            inner = party.get("partyOrPartyRole") or party
            return str(inner.get("name") or inner.get("id"))
    return "the supplier"


def roll_up(customer: Mapping[str, Any], partners: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]],
            *, own_state: str = "completed", version: int = 4) -> RollUp:
    """Roll the ``events`` (in arrival order) up into the customer order (with its ``externalId``, as
    :func:`~odedelta.partners.customer_order` gives it). The reseller's own items are in ``own_state`` unless
    events for the customer order's own ``externalId`` move them; items with nothing to do are completed."""
    tracker = _Tracker(customer, partners, own_state)
    for n, event in enumerate(events, 1):
        tracker.receive(n, event)
    return tracker.result(version)


class _Tracker:
    """The roll-up while the events arrive: a local accumulator of :func:`roll_up`, never shared."""

    def __init__(self, customer: Mapping[str, Any], partners: Sequence[Mapping[str, Any]], own_state: str) -> None:
        self.reference = _ids(customer.get("externalId"))[0]
        self.items = {str(e["id"]): e for e in customer["productOrderItem"]}
        self.owner: dict[str, str] = {}  # item id -> partner order reference
        self.supplier: dict[str, str] = {}  # partner order reference -> supplier name
        self.members: dict[str, list[str]] = {self.reference: []}
        for partner_order in partners:
            partner_ref = _ids(partner_order.get("externalId"))[0]
            self.supplier[partner_ref] = _supplier_name(partner_order)
            self.members[partner_ref] = [str(e["id"]) for e in partner_order["productOrderItem"]]
            self.owner.update({i: partner_ref for i in self.members[partner_ref]})
        self.state = {i: ("completed" if e["action"] == "noChange" else own_state) if i not in self.owner
                      else "acknowledged" for i, e in self.items.items()}
        self.members[self.reference] = [i for i in self.items
                                        if i not in self.owner and self.items[i]["action"] != "noChange"]
        self.last_time: dict[str, str] = {}
        self.reason: dict[str, str] = {}
        self.seen_events: set[str] = set()
        self.known_ids: dict[str, str] = {}  # the supplier's order id -> our reference
        self.history = [order_state(list(self.state.values()))]
        self.applied: list[str] = []
        self.problems: list[str] = []
        self.latest = ""

    def receive(self, n: int, event: Mapping[str, Any]) -> None:
        """Apply event number ``n``, or say why it is not applied."""
        label = f"event {n}" + (f" ({event['eventId']})" if event.get("eventId") else "")
        kind = event.get("eventType") or event.get("@type")
        order = (event.get("event") or {}).get("productOrder") if isinstance(event.get("event"), Mapping) else None
        if kind not in _EVENTS or not isinstance(order, Mapping):
            self.problems.append(f"{label}: not a ProductOrderStateChangeEvent or "
                                 "ProductOrderAttributeValueChangeEvent with a productOrder")
            return
        if event.get("eventId") and str(event["eventId"]) in self.seen_events:
            self.problems.append(f"{label}: a duplicate of an event already received")
            return
        ref = next((r for r in _ids(order.get("externalId")) if r in self.members), None) or self.known_ids.get(
            str(order.get("id")))
        if ref is None:
            self.problems.append(f"{label}: for no order of this change (externalId "
                                 f"{_ids(order.get('externalId'))}, id {order.get('id')!r})")
            return
        if event.get("eventId"):
            self.seen_events.add(str(event["eventId"]))
        if order.get("id"):
            self.known_ids[str(order["id"])] = ref
        when = str(event.get("eventTime") or "")
        self.latest = max(self.latest, when)
        listed = {str(e["id"]): e.get("state") for e in order.get("productOrderItem") or [] if isinstance(e, Mapping)}
        changes = [change for item_id in self.members[ref]
                   if (change := self._move(label, item_id, order, listed, when)) is not None]
        for item_id in sorted(set(listed) - set(self.members[ref]), key=str):
            self.problems.append(f"{label}: item {item_id} is not an item of order {ref}")
        if changes:
            self.applied.append(f"{label}: " + ", ".join(changes))
        self.history.append(order_state(list(self.state.values())))

    def _move(self, label: str, item_id: str, order: Mapping[str, Any], listed: Mapping[str, Any],
              when: str) -> str | None:
        """Move one item to the state the event reports for it (:data:`ITEM_TRANSITIONS`); the change made, if any."""
        new = listed.get(item_id) if item_id in listed else (
            order.get("state") if order.get("state") != "partial" else None)
        if new is None:
            return None
        if new not in RANK:
            self.problems.append(f"{label}: item {item_id} state {new!r} is not a TMF622 item state")
            return None
        current = self.state[item_id]
        outcome = ITEM_TRANSITIONS[current][new]
        if outcome == NEWER and when and when < self.last_time.get(item_id, ""):
            outcome = LATE
        if outcome == LATE:
            self.problems.append(f"{label}: item {item_id} is {current}; {new} arrived late, ignored")
        elif outcome == CONFLICT:
            self.problems.append(f"{label}: item {item_id} already ended {current}; {new} ignored")
        if outcome not in (APPLY, NEWER):
            return None
        self.state[item_id] = new
        if when:
            self.last_time[item_id] = max(when, self.last_time.get(item_id, ""))
        if new in ENDED and new != "completed":
            self.reason[item_id] = _reason(order) or "no reason given"
        return f"item {item_id} {current} → {new}"

    def result(self, version: int) -> RollUp:
        statuses = tuple(
            ItemStatus(i, e["action"], _offering_name(e), self.state[i],
                       self.supplier.get(self.owner[i]) if i in self.owner else None, self.reason.get(i))
            for i, e in self.items.items())
        explanations = tuple(
            f"{s.name} {_VERB.get(s.action, s.action)} {s.state} at {s.supplier or 'the reseller'}: {s.reason}"
            for s in statuses if s.reason)
        final = order_state([s.state for s in statuses])
        return RollUp(self.reference, final, statuses, tuple(_compress(self.history)), tuple(self.applied),
                      tuple(self.problems), explanations,
                      _notification(self.reference, final, statuses, explanations, self.latest, version))


def _offering_name(item: Mapping[str, Any]) -> str:
    offering = item.get("productOffering") or {}
    return str(offering.get("name") or offering.get("id"))


def _compress(history: list[str]) -> list[str]:
    return [s for n, s in enumerate(history) if n == 0 or history[n - 1] != s]


def _notification(reference: str, state: str, items: Sequence[ItemStatus], explanations: Sequence[str],
                  when: str, version: int) -> dict[str, Any]:
    """The ProductOrderStateChangeEvent the reseller sends its customer (v4 or v5 shape)."""
    v5 = version == 5
    order: dict[str, Any] = {
        "externalId": [{"id": reference, "@type": "ExternalIdentifier"}] if v5 else reference,
        "state": state,
        "productOrderItem": [{"id": s.id, "action": s.action, "state": s.state}
                             | ({"@type": "ProductOrderItem"} if v5 else {}) for s in items],
    }
    if explanations:
        order["note"] = [{"text": text} | ({"@type": "Note"} if v5 else {}) for text in explanations]
    if v5:
        order["@type"] = "ProductOrder"
    event: dict[str, Any] = {"eventId": f"{reference}-{state}", "eventType": "ProductOrderStateChangeEvent",
                             "event": {"productOrder": order}}
    if when:
        event["eventTime"] = when
    if v5:
        event["@type"] = "ProductOrderStateChangeEvent"
    return event
