"""The values of the pipeline: what it is asked (:class:`Plan`), what it answers — a :class:`ChangeResult`, a plain
record of what the flows decided (the delta, the rules that took part, the money, the renewal), or a
:class:`Refusal` — and :class:`NotEligible`, the exception :meth:`Engine.change` makes of a rules' refusal. Outputs
(TMF622, TMF679, report, JSON) are functions of the result in :mod:`odedelta.outputs`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar, overload

from odedelta.delta.items import Action, Amendment, Delta, DeltaItem
from odedelta.delta.projection import instance_problems, placed, project
from odedelta.model.catalog import Catalog
from odedelta.model.errors import NotOrderable, RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.pricing import ONE_TIME, RECURRING, PriceLine, catalog_prices
from odedelta.model.requests import Acquire, AddOffering, ChangeOffer, Context, Request
from odedelta.model.tmf import Product, ProductTerm
from odedelta.money.charges import Consequences
from odedelta.rules import Rulebook, RuleOutcome, Verdict
from odedelta.rules.facts import ChangeKind
from odedelta.rules.language import RenewalEffect


class NotEligible(RequestError):
    """The rules refuse the change; ``verdict.reasons`` names every rule that did."""

    def __init__(self, message: str, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__(message)


@dataclass(frozen=True)
class Refusal:
    """Why a change cannot be made, returned by the stage that decides it: rules refused it (``verdict`` names every
    rule that did), or the catalog's structure does not allow it as asked (``verdict`` is None)."""

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


@dataclass(frozen=True, slots=True)
class Plan:
    """What the pipeline is asked to carry out: the request the delta stage builds and, for a renewal, what the
    renewal decided — the amendments it asks of the built delta (the new term), the :class:`Renewal`, the rule
    outcomes it adds. ``judged``: the rules judge the change (eligibility, migrations, fees, penalties…); an
    in-term renewal is not judged again."""

    request: Request
    amendments: tuple[Amendment, ...] = ()
    renewal: Renewal | None = None
    decisions: tuple[RuleOutcome, ...] = ()
    judged: bool = True


class Changer(Protocol):
    """What the qualification flow needs of an engine: its catalog, its rules, and a change evaluated."""

    catalog: Catalog
    rules: Rulebook | None

    def evaluate(self, inventory: Inventory, request: Request, *, as_of: datetime,
                 context: Context | None = None) -> ChangeResult | Refusal: ...


PlacedRow = tuple[str, str | None, str | None]
"""``(product id, offering id, specification id)`` of a product once the change is done."""


TABLES_FROM = 512
"""The number of installed products from which :class:`Placed` holds its rows as tables: below it, a tuple of them
(cheaper to make and to read; the collector runs a young collection for every 700 objects more made than freed, and
a change of a smaller account makes fewer rows than that)."""


class Placed(Sequence[PlacedRow]):
    """The products once a change is done as :data:`PlacedRow` s, in the order of :meth:`ChangeResult.projected`.
    For a large account (``tables``) they are held as two tables — product id → offering, product id →
    specification — and a row is made as it is read: a tuple per product kept for the change's life would be one
    more object per product for the garbage collector to count, and to run its collections for, while the change
    runs. Equal to the tuple of its rows (and hashed as it); read by position, it makes that tuple once."""

    __slots__ = ("_offerings", "_rows", "_specifications", "_tables")

    def __init__(self, rows: Iterable[PlacedRow], tables: bool = True) -> None:
        offerings: dict[str, str | None] = {}
        specifications: dict[str, str | None] = {}
        kept: tuple[PlacedRow, ...] | None = None
        if not tables:
            kept = tuple(rows)
        else:
            rest = iter(rows)
            for row in rest:
                pid, offering, spec = row
                if pid in offerings:  # a product placed twice: the rows themselves (the tables would merge them)
                    kept = (*((p, offerings[p], specifications[p]) for p in offerings), row, *rest)
                    offerings, specifications = {}, {}
                    break
                offerings[pid] = offering
                specifications[pid] = spec
        self._offerings = offerings
        self._specifications = specifications
        self._rows = kept
        """The rows as a tuple: without tables, else once read by position."""
        self._tables = kept is None

    @property
    def tables(self) -> bool:
        """Whether the rows are held as the two tables (a large account; never a product placed twice)."""
        return self._tables

    def offering_table(self) -> Mapping[str, str | None]:
        """Product id → its offering once the change is done (a read-only view of the table when there is one)."""
        if self._tables:
            return MappingProxyType(self._offerings)
        assert self._rows is not None
        return {pid: offering for pid, offering, _ in self._rows}

    def __iter__(self) -> Iterator[PlacedRow]:
        if not self._tables:
            assert self._rows is not None
            return iter(self._rows)
        offerings = self._offerings  # the two tables have the same keys in the same order: zipped, row by row
        return zip(offerings, offerings.values(), self._specifications.values(), strict=True)

    def __len__(self) -> int:
        return len(self._offerings) if self._tables else len(self._rows or ())

    def _tuple(self) -> tuple[PlacedRow, ...]:
        rows = self._rows
        if rows is None:
            rows = self._rows = tuple(self)  # kept: reading by position (reversed, index) makes it once
        return rows

    @overload
    def __getitem__(self, index: int) -> PlacedRow: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[PlacedRow, ...]: ...

    def __getitem__(self, index: int | slice) -> PlacedRow | tuple[PlacedRow, ...]:
        return self._tuple()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Placed | tuple):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._tuple())

    def __repr__(self) -> str:
        return repr(tuple(self))


_Computed = TypeVar("_Computed")


class _computed_once(Generic[_Computed]):
    """``functools.cached_property`` without a lock: the value, computed on first read, is kept on the instance.
    Python 3.11's takes one for each first read (three times the cost of this; every change reads its
    projection once); a record's values depend on the record alone, so two threads reading one at once each
    compute the same value, and one is kept."""

    def __init__(self, compute: Callable[[Any], _Computed]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _computed_once[_Computed]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _Computed: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> _Computed | _computed_once[_Computed]:
        if instance is None:
            return self
        value: _Computed = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


@dataclass(frozen=True, init=False)
class ChangeResult:
    """What a change does: a plain, immutable record. Its projection is computed once, on first use."""

    catalog: Catalog
    inventory: Inventory
    delta: Delta
    context: Context
    decisions: tuple[RuleOutcome, ...] = ()
    """Every rule that took part in the result (eligibility, migrations, money), with what it said."""
    consequences: Consequences | None = None
    """Prices before → after, promotions, penalties, fees, recommendations."""
    renewal: Renewal | None = None
    """For a renewal: the new term and what shaped it."""
    change_kind: ChangeKind | None = None
    """What rules call the change (``change.kind``) when the request's kind does not say it: ``renew`` for the
    change to a successor that an end-of-sale renewal is (S9)."""

    def __init__(self, catalog: Catalog, inventory: Inventory, delta: Delta, context: Context,
                 decisions: tuple[RuleOutcome, ...] = (), consequences: Consequences | None = None,
                 renewal: Renewal | None = None, change_kind: ChangeKind | None = None) -> None:
        """The fields in order, as the dataclass's own ``__init__`` takes them, set in the record's dictionary at
        once: a frozen dataclass sets each through ``object.__setattr__``, twice the cost, and every change makes
        two records (the delta's, then the one with the money)."""
        self.__dict__.update(catalog=catalog, inventory=inventory, delta=delta, context=context, decisions=decisions,
                             consequences=consequences, renewal=renewal, change_kind=change_kind)

    @property
    def kind(self) -> ChangeKind:
        return self.change_kind or self.delta.request.kind

    @property
    def rule_ids(self) -> list[str]:
        return sorted({d.rule_id for d in self.decisions})

    @property
    def items(self) -> tuple[DeltaItem, ...]:
        return self.delta.items

    @property
    def as_of(self) -> datetime:
        return self.delta.as_of

    def item(self, product_id: str) -> DeltaItem:
        found = self.delta.item(product_id)
        if found is None:
            raise KeyError(product_id)
        return found

    def item_prices(self, item: DeltaItem) -> list[PriceLine]:
        """What the item costs after the change: recurring prices, plus one-time prices for an added product."""
        if item.action is Action.DELETE:
            return []
        kinds = {RECURRING, ONE_TIME} if item.action is Action.ADD else {RECURRING}
        return [line for line in catalog_prices(self.catalog, item.offering_id, self.as_of) if line.kind in kinds]

    def projected(self) -> list[Product]:
        """The installed products once the change is done (see :func:`apply`): new objects, the caller's to keep."""
        return project(self.inventory, self.delta, self.catalog)

    @_computed_once
    def placed(self) -> Placed:
        """``(product id, offering id, specification id)`` of each product once the change is done, in the order of
        :meth:`projected`: what the money stage and the rules read of the projection, without building it."""
        return Placed(placed(self.inventory, self.delta), len(self.inventory.products) >= TABLES_FROM)

    @_computed_once
    def shared_projection(self) -> tuple[Product, ...]:
        """:meth:`projected`, computed once for this record (the record and its delta never change): for the
        flows' read-only use — the products are shared, never modify them."""
        return tuple(self.projected())

    def projected_inventory(self) -> Inventory:
        """The inventory once the change is done: new objects, the caller's to keep."""
        return Inventory.from_products(self.catalog, self.projected())

    @_computed_once
    def shared_inventory(self) -> Inventory:
        """:meth:`projected_inventory`, computed once for this record; read-only like :attr:`shared_projection`."""
        return Inventory.sharing(self.catalog, self.shared_projection)

    def target_problems(self) -> list[str]:
        """Why the changed tree would not be a valid instance of its target offering (empty when it is)."""
        root = self.delta.root_product_id
        projected = self.shared_inventory
        roots = [root] if root in projected.products else [
            i.product_id for i in self.items if not i.installed and i.parent_id is None
        ]
        return [p for r in roots for p in instance_problems(self.catalog, projected, r)]


def apply(inventory: Inventory, result: ChangeResult) -> list[Product]:
    """The TMF637 products of ``inventory`` once ``result`` is carried out: deleted ones gone, kept ones under
    their ids (modified in place), new ones with the ids the delta generated, untouched ones as they were."""
    return project(inventory, result.delta, result.catalog)


def endpoints(request: Request) -> tuple[str | None, str | None]:
    """The installed product a request starts from and the offering it goes to."""
    match request:
        case ChangeOffer():
            return request.product, request.to
        case AddOffering():
            return request.parent, request.offering
        case Acquire():
            return None, request.offering
        case _:
            return request.product, None


def refusal_message(catalog: Catalog, target: str | None, verdict: Verdict, what: str | None = None) -> str:
    """``not eligible: <the offering or what>: <each refusing rule's message, reason and id>``."""
    offering = catalog.offerings.get(target or "")
    name = what or f"{offering.name if offering and offering.name else target} ({target})"
    reasons = "; ".join(f"{r.message} [{r.reason}, "
                        f"{r.rule_id if r.rule_id.startswith('catalog:') else f'rule {r.rule_id}'}]"
                        for r in verdict.reasons)
    return f"not eligible: {name}: {reasons}"
