"""Reading many inventories against one catalog (a campaign's customers): the same :class:`Inventory` as
:meth:`Inventory.from_document`, at a fraction of the cost for the common shape.

An inventory that is a non-empty list of flat product objects (components linked by ``productRelationship``, not
nested) is validated in one pydantic call; its tree is checked with plain dictionaries (unknown targets, two
parents, cycles) and each product against the catalog once per distinct (offering, specification,
characteristics) combination. Anything else — another shape, a validation error, any problem at all — is read by
:meth:`Inventory.from_document` itself, so the errors (every problem, located) are its own, word for word.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from odedelta.model.catalog import Catalog, Origin, kind_from_type
from odedelta.model.graph import InventoryGraph
from odedelta.model.inventory import BUNDLES, Inventory, _check_against_catalog
from odedelta.model.tmf import Product

_PRODUCTS: TypeAdapter[list[Product]] = TypeAdapter(list[Product])
_CATALOG_KEYS = ("bundledProductOffering", "productOfferingPrice", "productSpecCharacteristic", "priceType")
"""Keys only a catalog resource has: a list that starts with one is left to :meth:`Inventory.from_document`."""
_REMEMBERED = 65_536
_SIMPLE = frozenset((str, int, bool))
_ABSENT = ("absent",)
"""A reference that is not there (a tuple: never equal to an id, which is a string or None)."""
"""Characteristic value types whose (type, value) pair is a faithful cache key."""


class InventoryReader:
    """Reads inventories against ``catalog``; keeps what it learnt about the catalog between inventories (the
    reader of one catalog is used by one thread at a time)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._fits: set[Hashable] = set()
        """Product shapes (offering, specification, characteristics) the catalog check found no problem with."""

    def read(self, data: Any, file: str = "<inventory>") -> Inventory:
        """The inventory of ``data`` (a list of TMF637 products, or one); an :class:`InventoryError` listing every
        problem, exactly as :meth:`Inventory.from_document` reports them."""
        inventory = self._quick(data, file)
        return inventory if inventory is not None else Inventory.from_document(self.catalog, data, file)

    def _quick(self, data: Any, file: str) -> Inventory | None:
        """The inventory, or None when ``data`` is off the common path or has a problem (the full reading then
        finds and words it)."""
        if not isinstance(data, list) or not data or not _flat(data):
            return None
        try:
            products = _PRODUCTS.validate_python(data)
        except ValidationError:
            return None
        by_id = {product.id: product for product in products}
        if len(by_id) != len(products):  # a duplicate id
            return None
        edges: list[tuple[str, str, str | None]] = []
        parent: dict[str, str] = {}
        for product in products:
            if not self._fits_catalog(product):
                return None
            for relationship in product.product_relationship:
                target = relationship.target_id
                if target is None or target not in by_id:
                    return None
                kind = relationship.relationship_type or ""
                if kind.lower() == BUNDLES:
                    if target in parent:  # a second parent: a problem, or an edge repeated (left to the full path)
                        return None
                    parent[target] = product.id
                    edges.append((product.id, target, None))
                else:
                    edges.append((product.id, target, kind))
        if _has_cycle(by_id, parent):
            return None
        return _inventory(products, edges, file)

    def _fits_catalog(self, product: Product) -> bool:
        """Whether the catalog check finds nothing wrong with ``product`` (remembered by shape when its
        characteristic values are plain)."""
        key = _shape(product)
        if key is not None and key in self._fits:
            return True
        if _check_against_catalog(product, Origin("", ()), self.catalog):
            return False
        if key is not None:
            if len(self._fits) >= _REMEMBERED:  # free-text values (a phone number) would grow it without end
                self._fits.clear()
            self._fits.add(key)
        return True


def _shape(product: Product) -> Hashable | None:
    """What the catalog check reads of ``product``: its offering and specification references (an absent one
    apart from one without an id) and its characteristics' names and values; None when a value is not plain."""
    values = []
    for char in product.product_characteristic:
        value = char.value
        kind = type(value)
        if kind not in _SIMPLE:
            return None
        values.append((char.name, kind, value))
    offering, spec = product.product_offering, product.product_specification
    return (_ABSENT if offering is None else offering.id, _ABSENT if spec is None else spec.id, tuple(values))


def _flat(items: list[Any]) -> bool:
    """Every item an object without nested products, and the first one not a catalog resource."""
    for item in items:
        if type(item) is not dict or "product" in item:
            return False
    first = items[0]
    return kind_from_type(first) is None and not any(key in first for key in _CATALOG_KEYS)


def _has_cycle(products: dict[str, Product], parent: dict[str, str]) -> bool:
    """With one parent at most each, a bundle cycle is a walk up the parents that never reaches a root."""
    settled: set[str] = set()
    for start in products:
        path: set[str] = set()
        current: str | None = start
        while current is not None and current not in settled:
            if current in path:
                return True
            path.add(current)
            current = parent.get(current)
        settled |= path
    return False


def _inventory(products: list[Product], edges: list[tuple[str, str, str | None]], file: str) -> Inventory:
    """The inventory :meth:`Inventory.from_document` builds from these products: nodes in input order, then the
    relationships in input order."""
    graph = InventoryGraph()
    for product in products:
        graph.add_product(product.id, product.offering_id, product.spec_id)
    for source, target, kind in edges:
        if kind is None:
            graph.add_child(source, target)
        else:
            graph.add_relationship(source, target, kind)
    return Inventory({p.id: p for p in products}, {p.id: Origin(file, (n,)) for n, p in enumerate(products)}, graph)
