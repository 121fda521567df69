"""What a campaign asks of every customer: a request template and the files it runs against.

A template turns one customer's inventory into the requests to make, one per installed product of the offering it
names (sorted by product id); the requests of one customer are chained, each made on the inventory the previous
one leaves.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from odedelta import Catalog, ChangeOffer, Inventory, OdeDeltaError, Request, TerminateProduct
from odedelta.campaigns._core import Renew, did_you_mean


class Template(Protocol):
    """Makes the request for one installed product of :attr:`offering`."""

    @property
    def offering(self) -> str: ...

    def request(self, product_id: str) -> Request: ...


@dataclass(frozen=True)
class ChangeOffering:
    """Every product of offering ``offering`` (the ``--from``) changed to offering ``to``, with the add-ons
    ``options`` (optional components of the target, offering ids) and the characteristic values ``set``
    (``{offering id: {characteristic: value}}``: in a campaign the keys are offerings, never product ids)."""

    offering: str
    to: str
    set: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    options: tuple[str, ...] = ()

    def request(self, product_id: str) -> Request:
        return ChangeOffer(product=product_id, to=self.to, set={k: dict(v) for k, v in self.set.items()},
                           options=list(self.options))


@dataclass(frozen=True)
class Renewal:
    """The commitment term of every product of ``offering`` renewed (``months``: as the rules say when None)."""

    offering: str
    months: int | None = None

    def request(self, product_id: str) -> Request:
        return Renew(product=product_id, months=self.months)


@dataclass(frozen=True)
class Termination:
    """Every product of ``offering`` terminated, with what it bundles."""

    offering: str

    def request(self, product_id: str) -> Request:
        return TerminateProduct(product=product_id)


def targets(template: Template, inventory: Inventory) -> list[str]:
    """The installed products the template applies to, sorted by id."""
    return sorted(pid for pid, product in inventory.products.items() if product.offering_id == template.offering)


@dataclass(frozen=True)
class Campaign:
    """One campaign: the catalog and rules (paths, read once in each worker), the template, the moment.

    ``catalog_hash`` and ``rules_hash`` (set by the driver) name the content; a ``shipped`` campaign's workers
    read the files the driver shipped them (Dask), never the paths."""

    catalog: str
    template: ChangeOffering | Renewal | Termination
    as_of: datetime
    rules: str | None = None
    orders: bool = False
    """Also make the TMF622 ProductOrder of every changed customer."""
    tmf_version: int = 4
    catalog_hash: str | None = None
    rules_hash: str | None = None
    shipped: bool = False

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None:
            raise CampaignError(f"as_of {self.as_of.isoformat()} must carry a time zone (e.g. 2026-03-01T00:00:00Z)")
        object.__setattr__(self, "catalog", str(Path(self.catalog).resolve()))
        if self.rules is not None:
            object.__setattr__(self, "rules", str(Path(self.rules).resolve()))


class CampaignError(OdeDeltaError):
    """A campaign that cannot start: missing input, a bad option, the optional extra not installed."""


class Interrupted(CampaignError):
    """The driver was asked to stop (SIGTERM, SIGINT): its workers are stopped; ``--resume`` continues. Never
    taken for a failed partition."""

    exit_code = 143


class StopRequest(threading.Event):
    """Set (by a signal handler) to end a campaign at its next partition with :class:`Interrupted` and ``reason``."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = "stopped"

    def request(self, reason: str) -> None:
        self.reason = reason
        self.set()


class CampaignUsageError(CampaignError):
    """The command line is wrong: an option that cannot work, an output directory already in use (exit 2)."""

    exit_code = 2


class TemplateError(CampaignUsageError):
    """The template or the rules do not fit the catalog: found before any customer is read (exit 2: the command
    line names what does not exist)."""


def check_template(catalog: Catalog, template: ChangeOffering | Renewal | Termination, as_of: datetime) -> None:
    """Refuse a template that would refuse every customer: an offering, add-on, characteristic or value the
    catalog does not have, a target not sellable at ``as_of``. Every problem at once, one line each."""
    offerings = catalog.offerings
    problems: list[str] = []

    def known(flag: str, offering: str) -> bool:
        if offering in offerings:
            return True
        problems.append(f"{flag} {offering!r}: no such offering in the catalog{did_you_mean(offering, offerings)}")
        return False

    known("--from", template.offering)
    if isinstance(template, ChangeOffering):
        if known("--to", template.to):
            ok, why = catalog.sellable(template.to, as_of)
            if not ok:
                successors = catalog.successors(template.to)
                hint = f"; its successor is {', '.join(map(repr, successors))}" if successors else ""
                problems.append(f"--to {template.to!r}: {why} at {as_of.isoformat()}{hint}")
            parts = _components(catalog, template.to)
            for option in template.options:
                if known("--option", option) and option not in parts:
                    problems.append(f"--option {option!r}: not a component of {template.to!r}"
                                    f"{did_you_mean(option, parts)}")
        for key, values in template.set.items():
            if not known("--set", key):
                continue
            spec = catalog.specification_of(key)
            names = [c.name for c in spec.product_spec_characteristic] if spec else []
            for name, value in values.items():
                if name not in names:
                    problems.append(f"--set {key}:{name}: {key!r} has no characteristic {name!r}"
                                    f"{did_you_mean(name, names)}")
                elif not catalog.is_allowed(key, name, value):
                    allowed = [str(v.value) for v in catalog.allowed_values(key, name) or []]
                    problems.append(f"--set {key}:{name}={value}: not an allowed value (allowed: "
                                    f"{', '.join(allowed)}){did_you_mean(str(value), allowed)}")
    if problems:
        raise TemplateError("; ".join(problems))


def _components(catalog: Catalog, offering: str) -> list[str]:
    """Every offering that can sit under ``offering``, however deep."""
    seen: list[str] = []
    todo = [offering]
    while todo:
        for slot in catalog.graph.components(todo.pop()):
            if slot.offering_id not in seen:
                seen.append(slot.offering_id)
                todo.append(slot.offering_id)
    return seen
