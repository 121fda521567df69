"""What a customer asks for. One type per kind of change; the engine answers them all the same way.

Characteristic choices (``set``) are keyed by an installed product id, or by an offering id for the products the
change adds (every new product of that offering gets the values).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CharacteristicChoices = dict[str, dict[str, Any]]


Timing = Literal["immediate", "next_bill_cycle", "end_of_term"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timing: Timing | None = None
    """When the change takes effect; None: as a ``timing`` rule says, else immediately (explanation/money.md)."""
    reengage: bool | None = None
    """True: the change restarts the commitment (a new term from the effective date) and no penalty is due."""


class ChangeOffer(_Request):
    """Move installed product ``product`` (often a bundle) to offering ``to``."""

    kind: Literal["change_offer"] = "change_offer"
    product: str
    to: str
    set: CharacteristicChoices = Field(default_factory=dict)
    options: list[str] = Field(default_factory=list)
    """Optional components of the target the customer chose (offering ids), added when not already there."""


class AddOffering(_Request):
    """Add a new product of ``offering`` under installed product ``parent`` (or at the top level)."""

    kind: Literal["add"] = "add"
    offering: str
    parent: str | None = None
    set: CharacteristicChoices = Field(default_factory=dict)


class RemoveProduct(_Request):
    """Remove a component (and what it bundles) from its bundle."""

    kind: Literal["remove"] = "remove"
    product: str


class ModifyCharacteristics(_Request):
    """Change characteristic values of one installed product."""

    kind: Literal["modify"] = "modify"
    product: str
    characteristics: dict[str, Any]


class TerminateProduct(_Request):
    """End a product and everything it bundles."""

    kind: Literal["terminate"] = "terminate"
    product: str


class Acquire(_Request):
    """A new offering for a customer, from nothing: every product is an ``add``."""

    kind: Literal["acquire"] = "acquire"
    offering: str
    set: CharacteristicChoices = Field(default_factory=dict)
    options: list[str] = Field(default_factory=list)


class Renew(_Request):
    """Renew the commitment term of a product: a new ProductTerm with its own validFor; the old one is kept as
    history. ``months`` overrides the duration the rules (or the current term) give."""

    kind: Literal["renew"] = "renew"
    product: str
    months: int | None = None
    """1 to 120; out of range is a :class:`~odedelta.errors.RequestError` when the change is asked for."""


Request = Annotated[
    ChangeOffer | AddOffering | RemoveProduct | ModifyCharacteristics | TerminateProduct | Acquire | Renew,
    Field(discriminator="kind"),
]
REQUEST_TYPES: dict[str, type[_Request]] = {
    t.model_fields["kind"].default: t
    for t in (ChangeOffer, AddOffering, RemoveProduct, ModifyCharacteristics, TerminateProduct, Acquire, Renew)
}


class Context(BaseModel):
    """Facts about the customer and the sale that rules may read (segment and free attributes)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    segment: str | None = None
    """The customer's segment (residential, business…), as rules read it in customer.segment."""
    attributes: dict[str, Any] = Field(default_factory=dict)
    """Free customer attributes, as rules read them in customer.attributes.<name>."""
    channel: str | None = None
    """The sales channel the request comes through (a TMF ChannelRef id or name): TMF620 v5 ``allowedAction``
    entries may allow an action in some channels only. None: channel restrictions are not checked."""
    billing_cycle_day: int | None = None
    """1 to 28; out of range is a :class:`~odedelta.errors.RequestError` when the change is asked for."""


def settings(pairs: Iterable[str], default_key: str) -> dict[str, dict[str, str]]:
    """A request's ``set`` from ``NAME=VALUE`` pairs (a characteristic of ``default_key``: the request's product or
    offering) and ``KEY:NAME=VALUE`` pairs (KEY a product or offering id), as command lines write them. A pair
    without ``=`` raises :class:`ValueError` naming it."""
    out: dict[str, dict[str, str]] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--set {pair!r}: expected NAME=VALUE or KEY:NAME=VALUE")
        name, value = pair.split("=", 1)
        key, _, name = name.rpartition(":")
        out.setdefault(key or default_key, {})[name] = value
    return out
