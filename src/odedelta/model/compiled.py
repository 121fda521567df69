"""The catalog compiled for the per-change path: flat, per-offering tables (component slots, specification, name,
categories, migration targets, prices, promotions naming it) so that a change reads plain dict entries instead of
asking the graph. The delta's matching reads its own: how well an installed kind of product becomes a target
offering (:meth:`CompiledCatalog.kinship`), the slots it could fill and where it fits beneath, what an offering says
of each characteristic, which values it allows, whether it is sellable — the catalog's word only; a migration rule
of one change is the delta's to add.

A table entry is filled the first time an offering is asked about, from the catalog's own queries (the one source of
truth), and never changes after: a loaded catalog is only read. The tables of a catalog are made once and kept on it
(``Catalog.compiled_tables``, their own place: the catalog's memo forgets its oldest answers, and a long-running
service would keep rebuilding them); :func:`compiled` gives them.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from typing import Any, NamedTuple

from odedelta.model.catalog import Catalog, rememberable
from odedelta.model.graph import OFFERING, Component
from odedelta.model.pricing import Base, catalog_base

_MOMENT_TABLE_SIZE = 65_536
"""At most this many answers that depend on a moment (offering × epoch) are kept; then they start afresh."""
_KIN_TABLE_SIZE = TABLE_SIZE = 65_536
"""At most this many answers are kept in a table keyed by what inventories bring (an installed kind of product × a
target offering, a characteristic name or value): a catalog of 10,000 offerings has far more pairs than a base ever
installs and asks about, and a long-running service must keep flat memory; past it, that table starts afresh."""

# How the catalog lets an installed product become a target offering (0: it does not; a migration rule may still)
SAME_OFFERING, SAME_SPECIFICATION, MIGRATION = 3, 2, 1


class CharacteristicRule(NamedTuple):
    """What an offering says of one characteristic of its specification, as a change carries a product's value
    into it or gives a new product one."""

    name: str
    required: bool
    """The specification makes it mandatory (minCardinality > 0)."""
    narrowed: bool
    """The offering narrows its values (a prodSpecCharValueUse names it)."""
    fixed: bool
    """The offering allows exactly one value."""
    has_default: bool
    default: Any
    """The value a product gets when it has none that the offering allows (:meth:`Catalog.default_value`)."""
    known: bool
    """The specification has it (a characteristic the product names but its new specification lacks is not)."""


class CompiledCatalog:
    """Per-offering answers of one catalog, each computed once. Values are immutable (tuples, frozensets)."""

    __slots__ = ("_allowed", "_bases", "_beneath", "_categories", "_characteristics", "_epoch", "_kinship",
                 "_migration", "_names", "_placements", "_prices", "_promotions", "_rules", "_sellable", "_slots",
                 "_specs", "_tables", "catalog")

    def __init__(self, catalog: Catalog) -> None:
        # the tables are kept on the catalog: a plain reference back would make a cycle, which a catalog frozen
        # by load_catalog (gc.freeze) could never leave — each reload of a service would keep the previous one
        self.catalog: Catalog = weakref.proxy(catalog)
        self._slots: dict[str, tuple[Component, ...]] = {}
        self._specs: dict[str, str | None] = {}
        self._names: dict[str | None, str] = {}
        self._categories: dict[str, tuple[str, ...]] = {}
        self._migration: dict[str, frozenset[str]] = {}
        self._prices: dict[str, tuple[str, ...]] = {}
        self._promotions: dict[str, tuple[str, ...]] = {}
        self._bases: dict[int, dict[str, Base]] = {}
        """Validity epoch → offering → its monthly catalog price then (:meth:`base`, :meth:`bases`)."""
        self._epoch: tuple[datetime, int] | None = None
        self._kinship: dict[tuple[str | None, str | None, str], int] = {}
        self._beneath: dict[tuple[str | None, str | None, str], bool] = {}
        self._placements: dict[tuple[str | None, str | None, str], tuple[tuple[Component, int], ...]] = {}
        self._rules: dict[tuple[str, str], CharacteristicRule] = {}
        self._characteristics: dict[str, tuple[CharacteristicRule, ...] | None] = {}
        self._allowed: dict[tuple[str, str, type, Any], bool] = {}
        self._sellable: set[tuple[str, int]] = set()
        self._tables: dict[str, dict[Any, Any]] = {}

    def table(self, name: str) -> dict[Any, Any]:
        """A table a later layer keeps of its own answers that depend on this catalog alone (the delta's reasons,
        in the catalog's words), by ``name``, made on first use. Its owner fills it and keeps it bounded (at most
        :data:`TABLE_SIZE` entries: past it, it starts afresh), as these tables are."""
        try:
            return self._tables[name]
        except KeyError:
            found: dict[Any, Any] = self._tables.setdefault(name, {})
            return found

    def slots(self, offering_id: str) -> tuple[Component, ...]:
        """The component slots of a bundle offering, in catalog order (empty for a simple offering)."""
        try:
            return self._slots[offering_id]
        except KeyError:
            found = self._slots[offering_id] = tuple(self.catalog.graph.components(offering_id))
            return found

    def spec(self, offering_id: str) -> str | None:
        """The id of the offering's product specification."""
        try:
            return self._specs[offering_id]
        except KeyError:
            found = self._specs[offering_id] = self.catalog.graph.specification_of(offering_id)
            return found

    def name(self, offering_id: str | None) -> str:
        """What a person calls the offering (:meth:`Catalog.name_of`)."""
        try:
            return self._names[offering_id]
        except KeyError:
            found = self._names[offering_id] = self.catalog.name_of(offering_id)
            return found

    def categories(self, offering_id: str) -> tuple[str, ...]:
        try:
            return self._categories[offering_id]
        except KeyError:
            found = self._categories[offering_id] = tuple(self.catalog.graph.categories_of(offering_id))
            return found

    def migration_targets(self, offering_id: str) -> frozenset[str]:
        """The offerings the catalog says an installed product of ``offering_id`` may become."""
        try:
            return self._migration[offering_id]
        except KeyError:
            found = self._migration[offering_id] = frozenset(self.catalog.migration_targets(offering_id))
            return found

    def prices(self, offering_id: str) -> tuple[str, ...]:
        """The ids of the offering's prices, in catalog order."""
        try:
            return self._prices[offering_id]
        except KeyError:
            found = self._prices[offering_id] = tuple(self.catalog.graph.prices_of(offering_id))
            return found

    def promotions(self, offering_id: str) -> tuple[str, ...]:
        """The promotions whose criteria or actions name the offering."""
        try:
            return self._promotions[offering_id]
        except KeyError:
            found = self._promotions[offering_id] = tuple(self.catalog.graph.promotions_naming(OFFERING, offering_id))
            return found

    def kinship(self, offering_id: str | None, spec_id: str | None, target: str) -> int:
        """How the catalog lets an installed product of ``offering_id`` (``spec_id``: the specification the product
        names, None when it names none) become the offering ``target``: :data:`SAME_OFFERING`,
        :data:`SAME_SPECIFICATION`, :data:`MIGRATION` (a relationship of its offering names ``target``) or 0.
        The delta matches every installed component against every slot of its target with this answer; a
        migration rule (which depends on the request) may turn a 0 into a migration, the delta's own concern."""
        key = (offering_id, spec_id, target)
        try:
            return self._kinship[key]
        except KeyError:
            pass
        if offering_id == target:
            found = SAME_OFFERING
        else:
            target_spec = self.spec(target)
            own_spec = spec_id or (self.spec(offering_id) if offering_id else None)
            found = (SAME_SPECIFICATION if target_spec is not None and target_spec == own_spec else
                     MIGRATION if offering_id and target in self.migration_targets(offering_id) else 0)
        if len(self._kinship) >= _KIN_TABLE_SIZE:
            self._kinship.clear()
        self._kinship[key] = found
        return found

    def beneath(self, offering_id: str | None, spec_id: str | None, target: str) -> bool:
        """Whether some component slot of ``target``, at any depth, could hold an installed product of
        ``offering_id`` and ``spec_id`` by the catalog's word (:meth:`kinship`): its own offering's slot when
        ``target`` has one, else any slot it could become. Assumes no bundle loop (a loaded catalog has none)."""
        key = (offering_id, spec_id, target)
        try:
            return self._beneath[key]
        except KeyError:
            pass
        slots = self.slots(target)
        found = any(s.offering_id == offering_id for s in slots) or any(
            self.kinship(offering_id, spec_id, s.offering_id) or self.beneath(offering_id, spec_id, s.offering_id)
            for s in slots)
        if len(self._beneath) >= _KIN_TABLE_SIZE:
            self._beneath.clear()
        self._beneath[key] = found
        return found

    def placements(self, offering_id: str | None, spec_id: str | None,
                   target: str) -> tuple[tuple[Component, int], ...]:
        """The component slots of ``target`` an installed product of ``offering_id`` and ``spec_id`` could fill,
        each with how well (:meth:`kinship`), in slot order: only its own offering's slot when ``target`` has one
        (a product whose offering lives on stays it), else every slot it could become."""
        key = (offering_id, spec_id, target)
        try:
            return self._placements[key]
        except KeyError:
            pass
        slots = self.slots(target)
        own = tuple((s, SAME_OFFERING) for s in slots if s.offering_id == offering_id)
        found = own or tuple((s, fit) for s in slots if (fit := self.kinship(offering_id, spec_id, s.offering_id)))
        if len(self._placements) >= _KIN_TABLE_SIZE:
            self._placements.clear()
        self._placements[key] = found
        return found

    def characteristic(self, offering_id: str, name: str) -> CharacteristicRule:
        """What ``offering_id`` (a known offering) says of its characteristic ``name``."""
        try:
            return self._rules[(offering_id, name)]
        except KeyError:
            pass
        catalog = self.catalog
        spec = catalog.specification_of(offering_id)
        char_spec = spec.characteristic(name) if spec else None
        use = catalog.offering(offering_id).char_value_use(name)
        has_default, default = catalog.default_value(offering_id, name)
        if len(self._rules) >= _KIN_TABLE_SIZE:  # the names come from inventories too: keep the table bounded
            self._rules.clear()
        found = self._rules[(offering_id, name)] = CharacteristicRule(
            name, char_spec is not None and char_spec.mandatory, use is not None,
            use is not None and len(use.product_spec_characteristic_value) == 1, has_default, default,
            char_spec is not None)
        return found

    def characteristics(self, offering_id: str) -> tuple[CharacteristicRule, ...] | None:
        """What ``offering_id`` says of each characteristic of its specification, in the specification's order
        (None: the offering names no known specification)."""
        try:
            return self._characteristics[offering_id]
        except KeyError:
            pass
        spec = self.catalog.specification_of(offering_id)
        found = self._characteristics[offering_id] = None if spec is None else tuple(
            self.characteristic(offering_id, c.name) for c in spec.product_spec_characteristic)
        return found

    def allowed(self, offering_id: str, name: str, value: Any) -> bool:
        """:meth:`Catalog.is_allowed` for the offering's own specification, without its memo's bookkeeping."""
        key = (offering_id, name, type(value), value)
        try:
            return self._allowed[key]  # only rememberable values are ever kept: a found answer is one
        except KeyError:
            pass
        except TypeError:  # a value that is a list or another unhashable: asked each time
            return self.catalog.is_allowed(offering_id, name, value)
        if not rememberable(value):
            return self.catalog.is_allowed(offering_id, name, value)
        if len(self._allowed) >= _KIN_TABLE_SIZE:
            self._allowed.clear()
        found = self._allowed[key] = self.catalog.is_allowed(offering_id, name, value)
        return found

    def sellable(self, offering_id: str, as_of: datetime) -> bool:
        """Whether the offering is sellable at ``as_of`` (:meth:`Catalog.sellable`; its reason when it is not is
        the catalog's to give). Remembered by validity epoch, as the answer depends on the moment only through
        the catalog's validity periods."""
        key = (offering_id, self.epoch(as_of))
        if key in self._sellable:
            return True
        ok, _ = self.catalog.sellable(offering_id, as_of)
        if ok:
            if len(self._sellable) >= _MOMENT_TABLE_SIZE:
                self._sellable.clear()
            self._sellable.add(key)
        return ok

    def epoch(self, moment: datetime) -> int:
        """:meth:`Catalog.epoch`, remembered for the last moment asked (a change asks it for one moment)."""
        last = self._epoch
        if last is not None and (last[0] is moment or last[0] == moment):
            return last[1]
        found = self.catalog.epoch(moment)
        self._epoch = (moment, found)
        return found

    def base(self, offering_id: str, as_of: datetime) -> Base:
        """The offering's monthly catalog price at ``as_of`` (:func:`~odedelta.model.pricing.catalog_base`)."""
        table = self.bases(as_of)
        found = table.get(offering_id)
        if found is None:
            if len(table) >= _MOMENT_TABLE_SIZE:
                table.clear()
            found = table[offering_id] = catalog_base(self.catalog, offering_id, as_of)
        return found

    def bases(self, as_of: datetime) -> dict[str, Base]:
        """The monthly catalog prices known so far in the validity epoch of ``as_of``, by offering (what :meth:`base`
        gives; only read): a bill of many products looks each up here, working the epoch out once, and asks
        :meth:`base` for one not there yet."""
        epoch = self.epoch(as_of)
        table = self._bases.get(epoch)
        if table is None:
            if len(self._bases) >= _MOMENT_TABLE_SIZE:
                self._bases.clear()
            table = self._bases[epoch] = {}
        return table


def compiled(catalog: Catalog) -> CompiledCatalog:
    """The per-offering tables of ``catalog``, made on first use and kept with it."""
    tables: CompiledCatalog | None = catalog.compiled_tables
    if tables is None:  # two threads may both make them: the same answers; the last made is kept
        tables = catalog.compiled_tables = CompiledCatalog(catalog)
    return tables
