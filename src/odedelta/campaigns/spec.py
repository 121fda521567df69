"""What a campaign asks of every customer: a request template and the files it runs against.

A template turns one customer's inventory into the requests to make, one per installed product of the offering it
names (sorted by product id); the requests of one customer are chained, each made on the inventory the previous
one leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from odedelta import ChangeOffer, Inventory, OdeDeltaError, Request, TerminateProduct
from odedelta.campaigns._core import Renew


class Template(Protocol):
    """Makes the request for one installed product of :attr:`offering`."""

    @property
    def offering(self) -> str: ...

    def request(self, product_id: str) -> Request: ...


@dataclass(frozen=True)
class ChangeOffering:
    """Every product of offering ``offering`` (the ``--from``) changed to offering ``to``."""

    offering: str
    to: str

    def request(self, product_id: str) -> Request:
        return ChangeOffer(product=product_id, to=self.to)


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

    The paths must be readable where the workers run (on a remote Dask cluster: a shared file system)."""

    catalog: str
    template: ChangeOffering | Renewal | Termination
    as_of: datetime
    rules: str | None = None
    orders: bool = False
    """Also make the TMF622 ProductOrder of every changed customer."""
    tmf_version: int = 4

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None:
            raise CampaignError(f"as_of {self.as_of.isoformat()} must carry a time zone (e.g. 2026-03-01T00:00:00Z)")
        object.__setattr__(self, "catalog", str(Path(self.catalog).resolve()))
        if self.rules is not None:
            object.__setattr__(self, "rules", str(Path(self.rules).resolve()))


class CampaignError(OdeDeltaError):
    """A campaign that cannot start: missing input, a bad option, the optional extra not installed."""
