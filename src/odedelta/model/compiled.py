"""The catalog compiled for the per-change path: flat, per-offering tables (component slots, specification, name,
categories, migration targets, prices, promotions naming it) so that a change reads plain dict entries instead of
asking the graph.

A table entry is filled the first time an offering is asked about, from the catalog's own queries (the one source of
truth), and never changes after: a loaded catalog is only read. The tables of a catalog are made once and kept on it
(``Catalog.compiled_tables``, their own place: the catalog's memo forgets its oldest answers, and a long-running
service would keep rebuilding them); :func:`compiled` gives them.
"""

from __future__ import annotations

import weakref
from datetime import datetime

from odedelta.model.catalog import Catalog
from odedelta.model.graph import OFFERING, Component
from odedelta.model.pricing import Base, catalog_base

_MOMENT_TABLE_SIZE = 65_536
"""At most this many answers that depend on a moment (offering × epoch) are kept; then they start afresh."""


class CompiledCatalog:
    """Per-offering answers of one catalog, each computed once. Values are immutable (tuples, frozensets)."""

    __slots__ = ("_bases", "_categories", "_epoch", "_migration", "_names", "_prices", "_promotions", "_slots",
                 "_specs", "catalog")

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
        self._bases: dict[tuple[str, int], Base] = {}
        self._epoch: tuple[datetime, int] | None = None

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
        key = (offering_id, self.epoch(as_of))
        try:
            return self._bases[key]
        except KeyError:
            if len(self._bases) >= _MOMENT_TABLE_SIZE:
                self._bases.clear()
            found = self._bases[key] = catalog_base(self.catalog, offering_id, as_of)
            return found


def compiled(catalog: Catalog) -> CompiledCatalog:
    """The per-offering tables of ``catalog``, made on first use and kept with it."""
    tables: CompiledCatalog | None = catalog.compiled_tables
    if tables is None:  # two threads may both make them: the same answers; the last made is kept
        tables = catalog.compiled_tables = CompiledCatalog(catalog)
    return tables
