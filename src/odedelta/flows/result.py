"""The result of a change: a plain record of what the flows decided — the delta, the rules that took part, the
money, the renewal — and the refusal raised when rules say no. Outputs (TMF622, TMF679, report, JSON) are functions
of it in :mod:`odedelta.outputs`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from odedelta.delta.builder import Action, Delta, DeltaItem
from odedelta.delta.projection import instance_problems, project
from odedelta.model.catalog import Catalog
from odedelta.model.errors import NotOrderable, RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.pricing import ONE_TIME, RECURRING, PriceLine, catalog_prices
from odedelta.model.requests import Context, Request
from odedelta.model.tmf import Product, ProductTerm
from odedelta.money.charges import Consequences
from odedelta.rules import Rulebook, RuleOutcome, Verdict
from odedelta.rules.language import RenewalEffect


class NotEligible(RequestError):
    """The rules refuse the change; ``verdict.reasons`` names every rule that did."""

    def __init__(self, message: str, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__(message)


@dataclass(frozen=True)
class Refusal:
    """Why a change cannot be made: rules refused it (``verdict`` names every rule that did), or the catalog's
    structure does not allow it as asked (``verdict`` is None)."""

    message: str
    verdict: Verdict | None

    def error(self) -> RequestError:
        """The exception :meth:`Engine.change <odedelta.flows.engine.Engine.change>` raises for this refusal."""
        return NotEligible(self.message, self.verdict) if self.verdict is not None else NotOrderable(self.message)


@dataclass(frozen=True)
class Renewal:
    """What a renewal decided: the new term, the one it follows, the rule that shaped it, and — for an end-of-sale
    offering — the successor it moves to."""

    product_id: str
    new_term: ProductTerm
    previous_end: datetime | None
    rule_id: str | None
    successor: str | None = None
    effect: RenewalEffect | None = None


@dataclass(frozen=True)
class TermNotice:
    product_id: str
    offering_id: str
    ends: datetime
    days_left: int
    at_end: str
    notice_days: int
    successor: str | None
    rule_id: str | None


class Changer(Protocol):
    """What the renewal and qualification flows need of an engine: its catalog, its rules, and a change
    evaluated."""

    catalog: Catalog
    rules: Rulebook | None

    def evaluate(self, inventory: Inventory, request: Request, *, as_of: datetime,
                 context: Context | None = None) -> ChangeResult | Refusal: ...


@dataclass
class ChangeResult:
    catalog: Catalog
    inventory: Inventory
    delta: Delta
    context: Context
    decisions: list[RuleOutcome] = field(default_factory=list)
    """Every rule that took part in the result (eligibility, migrations, money), with what it said."""
    consequences: Consequences | None = None
    """Prices before → after, promotions, penalties, fees, recommendations."""
    renewal: Renewal | None = None
    """For a renewal: the new term and what shaped it."""
    _projection: tuple[Any, list[Product]] | None = field(default=None, repr=False, compare=False)

    @property
    def rule_ids(self) -> list[str]:
        return sorted({d.rule_id for d in self.decisions})

    @property
    def items(self) -> list[DeltaItem]:
        return self.delta.items

    @property
    def as_of(self) -> datetime:
        return self.delta.as_of

    def item(self, product_id: str) -> DeltaItem:
        for item in self.items:
            if item.product_id == product_id:
                return item
        raise KeyError(product_id)

    def item_prices(self, item: DeltaItem) -> list[PriceLine]:
        """What the item costs after the change: recurring prices, plus one-time prices for an added product."""
        if item.action is Action.DELETE:
            return []
        kinds = {RECURRING, ONE_TIME} if item.action is Action.ADD else {RECURRING}
        return [line for line in catalog_prices(self.catalog, item.offering_id, self.as_of) if line.kind in kinds]

    def projected(self) -> list[Product]:
        """The installed products once the change is done (see :func:`apply`)."""
        return project(self.inventory, self.delta, self.catalog)

    def shared_projection(self) -> list[Product]:
        """:meth:`projected`, computed again only when the delta has changed since: for the engine's own
        read-only use (the products are shared between callers; never modify them)."""
        state = (id(self.delta.items), tuple((i.action, i.product_id, i.offering_id, i.parent_id,
                                               id(i.characteristics), id(i.terms)) for i in self.delta.items))
        if self._projection is None or self._projection[0] != state:
            self._projection = (state, self.projected())
        return list(self._projection[1])

    def projected_inventory(self) -> Inventory:
        return Inventory.from_products(self.catalog, self.projected())

    def target_problems(self) -> list[str]:
        """Why the changed tree would not be a valid instance of its target offering (empty when it is)."""
        root = self.delta.root_product_id
        projected = self.projected_inventory()
        roots = [root] if root in projected.products else [
            i.product_id for i in self.items if not i.installed and i.parent_id is None
        ]
        return [p for r in roots for p in instance_problems(self.catalog, projected, r)]


def apply(inventory: Inventory, result: ChangeResult) -> list[Product]:
    """The TMF637 products of ``inventory`` once ``result`` is carried out: deleted ones gone, kept ones under
    their ids (modified in place), new ones with the ids the delta generated, untouched ones as they were."""
    return project(inventory, result.delta, result.catalog)
