"""The delta as a value: each product a request touches with one action and the reasons for it, and the
amendments a later stage may ask for (it never edits the delta itself: the builder applies them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from odedelta.model.requests import Request
from odedelta.model.tmf import ProductTerm


class Action(StrEnum):
    """What a delta item does to a product: TMF622's item actions add, modify, delete and noChange."""

    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"
    NO_CHANGE = "noChange"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an item has its action: a machine-readable ``code``, a sentence, and what caused it (``source``:
    ``request``, ``catalog:<offering id>`` or ``rule:<rule id>``)."""

    code: str
    message: str
    source: str


@dataclass(frozen=True, slots=True)
class CharacteristicChange:
    name: str
    before: Any
    after: Any
    why: str


@dataclass(frozen=True, slots=True)
class DeltaItem:
    """One product the change touches: its action, what it becomes and why. A value: nothing changes it after the
    builder made it (``characteristics`` is the builder's, shared by the items of one delta that have the same
    values: treat it as read-only)."""

    id: str
    action: Action
    product_id: str
    offering_id: str
    specification_id: str | None
    parent_id: str | None
    previous_offering_id: str | None = None
    characteristics: Mapping[str, Any] = field(default_factory=dict)
    changes: tuple[CharacteristicChange, ...] = ()
    reasons: tuple[Reason, ...] = ()
    installed: bool = True
    """False for products the change adds (their id is generated)."""
    terms: tuple[ProductTerm, ...] | None = None
    """The product's commitment terms after the change, when the change gives it a new one (a renewal): the
    previous terms first, kept as history."""

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


ITEM_FIELDS = ("id", "action", "product_id", "offering_id", "specification_id", "parent_id", "previous_offering_id",
               "characteristics", "changes", "reasons", "installed", "terms")
"""DeltaItem's fields in order, as :func:`made_item` sets them (a test checks them against the class)."""


class _UnfrozenItem:
    """A :class:`DeltaItem` being made: the same slots in the same order, without the frozen guard, so that its
    ``__init__`` stores them directly; :func:`made_item` makes one and turns it into a DeltaItem (the layouts are
    the same, which ``__class__`` assignment checks) — less than half the cost of setting a frozen record's slots
    one call each, and a change makes one per product it touches (10,000 for a large account)."""

    __slots__ = ITEM_FIELDS

    def __init__(self, id: str, action: Action, product_id: str, offering_id: str, specification_id: str | None,
                 parent_id: str | None, previous_offering_id: str | None, characteristics: Mapping[str, Any],
                 changes: tuple[CharacteristicChange, ...], reasons: tuple[Reason, ...], installed: bool,
                 terms: tuple[ProductTerm, ...] | None) -> None:
        self.id = id
        self.action = action
        self.product_id = product_id
        self.offering_id = offering_id
        self.specification_id = specification_id
        self.parent_id = parent_id
        self.previous_offering_id = previous_offering_id
        self.characteristics = characteristics
        self.changes = changes
        self.reasons = reasons
        self.installed = installed
        self.terms = terms


def made_item(id: str, action: Action, product_id: str, offering_id: str, specification_id: str | None,
              parent_id: str | None, previous_offering_id: str | None, characteristics: Mapping[str, Any],
              changes: tuple[CharacteristicChange, ...], reasons: tuple[Reason, ...], installed: bool,
              terms: tuple[ProductTerm, ...] | None) -> DeltaItem:
    """``DeltaItem(...)`` with every field given, as its frozen ``__init__`` makes it, at less than half the cost
    (see :class:`_UnfrozenItem`: the builder freezes every item of every change)."""
    item = _UnfrozenItem(id, action, product_id, offering_id, specification_id, parent_id, previous_offering_id,
                         characteristics, changes, reasons, installed, terms)
    item.__class__ = DeltaItem  # type: ignore[assignment]
    return cast(DeltaItem, item)


@dataclass(frozen=True, slots=True)
class Migration:
    """A migration rule's word that an installed offering (or one of a specification) may become a target offering
    (or one of a specification) as the same product; None matches any."""

    rule_id: str
    from_offering: str | None = None
    from_specification: str | None = None
    to_offering: str | None = None
    to_specification: str | None = None

    def allows(self, installed: str, installed_spec: str | None, target: str, target_spec: str | None) -> bool:
        return (self.from_offering in (None, installed) and self.from_specification in (None, installed_spec)
                and self.to_offering in (None, target) and self.to_specification in (None, target_spec))


@dataclass(frozen=True, slots=True)
class Delta:
    items: tuple[DeltaItem, ...]
    request: Request
    as_of: datetime
    root_product_id: str | None
    """The product the request is about, after the change (for a pack left for one of its parts: that part)."""
    target_offering_id: str | None
    migrations: tuple[Migration, ...] = ()
    """The migration rules it was built with: amendments are applied by the same ones."""

    def item(self, product_id: str) -> DeltaItem | None:
        return next((i for i in self.items if i.product_id == product_id), None)


@dataclass(frozen=True, slots=True)
class Refused:
    """The catalog's structure does not allow the request as asked (an option that is no component, an offering
    no longer sold, one more than a bundle holds): an expected outcome the delta stage returns, not an error."""

    message: str


# ------------------------------------------------------------------------------------------------ amendments
# What a later stage (money, renewal) may ask of a built delta. The delta layer applies them with the same catalog,
# inventory and migration rules it built the delta with (odedelta.delta.builder.amend).


@dataclass(frozen=True)
class Drop:
    """Delete an installed product the change would keep, and what it bundles (e.g. free only through a promotion
    the change ends)."""

    product_id: str
    reason: Reason


@dataclass(frozen=True)
class TakePlace:
    """The deleted installed product takes the place of a new product of its kind the change adds, rather than one
    being deleted and the other added (it continues at that product's price)."""

    product_id: str
    reason: Reason


@dataclass(frozen=True)
class Recommit:
    """The product gets a new commitment term (renewal, re-engagement): ``terms`` are all its terms after the change,
    history first; a kept product becomes a modify. ``reasons`` are added after its own; ``first`` before them.
    ``product_id`` None: the product the request is about, where the delta puts it (its root)."""

    product_id: str | None
    terms: tuple[ProductTerm, ...]
    reasons: tuple[Reason, ...]
    first: Reason | None = None


Amendment = Drop | TakePlace | Recommit
