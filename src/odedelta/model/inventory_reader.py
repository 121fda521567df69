"""Reading many inventories against one catalog (a campaign's customers): the same :class:`Inventory` as
:meth:`Inventory.from_document`, at a fraction of the cost for the common shape.

A campaign's customers write the same few parts again and again: the offering refs, the characteristic lists, the
start dates, the terms. The reader validates each part written alike once (by the model itself, so the value is
the model's own) and holds it, read-only, for every product of every inventory that writes it exactly alike (same
keys in the same order, same values of the same types); a product is then put together from its held parts and
its own texts (id, status…) and relationships, without validating it again. Its tree is checked with plain
dictionaries (unknown targets, two parents, cycles) and each product against the catalog once per distinct
(offering, specification, characteristics).

Anything else — a key the product model does not name, a value of another type than the common one — is validated
by the model as ever; and any problem at all — another shape, a validation error, a duplicate, an unknown target, a
catalog mismatch — sends the whole document to :meth:`Inventory.from_document` itself, so the errors (every
problem, located) are its own, word for word.

An inventory read this way holds its parts as one of :data:`~odedelta.model.inventory.HELD_FROM` products or more
does (:class:`~odedelta.model.tmf.HeldParts`): read-only, and one object for every product written alike — here
also across the inventories the reader reads.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from odedelta.model.catalog import Catalog, Origin, kind_from_type
from odedelta.model.graph import InventoryGraph
from odedelta.model.inventory import BUNDLES, Inventory, Origins, _check_against_catalog
from odedelta.model.tmf import (
    EMPTY,
    NO_EXTRA,
    HeldParts,
    Product,
    ProductRelationship,
    ReadOnlyList,
    ReadOnlySet,
    Ref,
    RelatedParty,
)

_CATALOG_KEYS = ("bundledProductOffering", "productOfferingPrice", "productSpecCharacteristic", "priceType")
"""Keys only a catalog resource has: a list that starts with one is left to :meth:`Inventory.from_document`."""
_REMEMBERED = 65_536
"""How many parts of one field (or product shapes found to fit the catalog) a reader holds at most: free text
(a phone number, a customer's own party) would grow it without end; when full, it starts again."""
_SEEN = 16_384
"""How many keys of one field a reader remembers having met once (a part is held from its second sighting: a part
only one customer writes — a start date, a term's dates, a billing account — is validated for that customer and
not kept; when full, it starts again)."""
_IMMUTABLE = (str, int, float, bool, Decimal, datetime, date, type(None))
"""The values a held part may end in: nothing a caller could change in place for every customer that shares it."""
_ABSENT = ("absent",)
"""A part that is not there (a tuple: never equal to a part's key, which is a text or bytes)."""
_INVALID = object()
"""What :meth:`InventoryReader._part` gives for a part the model does not accept."""
_SIMPLE = (str, int, bool)
"""Characteristic value types whose (name, value, type) triple is a faithful key of the validated value."""

_TEXT, _ID, _FLAG, _PART, _RELATIONSHIPS, _PARTIES = range(6)
_TEXTS = ("type", "base_type", "schema_location", "href", "name", "description", "status")
_KIND = {"id": _ID, "is_bundle": _FLAG, "product_relationship": _RELATIONSHIPS,
         "related_party": _PARTIES} | dict.fromkeys(_TEXTS, _TEXT)
_FIELDS: dict[str, tuple[str, int]] = {info.alias or name: (name, _KIND.get(name, _PART))
                                       for name, info in Product.model_fields.items()}
"""A product's keys as documents write them: field name and how the reader reads it (a text as it is, a part
held, the relationships built)."""
_REQUIRED = frozenset(info.alias or name for name, info in Product.model_fields.items() if info.is_required())


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The values a model validated from an empty document holds, in its fields' order (an empty list: :data:`EMPTY`,
    as every held one)."""
    values = {}
    for name, info in model.model_fields.items():
        values[name] = EMPTY if info.default_factory is list else info.default
    return values


_PRODUCT = _defaults(Product)
_RELATIONSHIP = _defaults(ProductRelationship)
_REF = _defaults(Ref)
_PARTY = _defaults(RelatedParty)
_PARTY_TEXTS = {(info.alias or name): name for name, info in RelatedParty.model_fields.items()
                if name != "party_or_party_role"}
_REL_TEXTS = {(info.alias or name): name for name, info in ProductRelationship.model_fields.items()
              if name in ("type", "base_type", "schema_location", "relationship_type", "id", "href")}
_new = object.__new__
_set = object.__setattr__


def _made(model: type[Any], values: dict[str, Any], fields: ReadOnlySet[str]) -> Any:
    """A model of ``values`` (every field, in order, each of the type the model validates to) and ``fields`` set,
    without unknown fields: what validating the document it was read from gives, made without validating it
    again."""
    made = _new(model)
    _set(made, "__dict__", values)
    _set(made, "__pydantic_fields_set__", fields)
    _set(made, "__pydantic_extra__", NO_EXTRA)
    _set(made, "__pydantic_private__", None)
    return made


def _raw_key(value: Any) -> Hashable | None:
    """A key equal only for values written exactly alike (same keys in the same order, same values of the same
    types: ``1``/``true``/``"1"`` differ), or None for one that cannot be written out: the value's pickle."""
    try:
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except Exception:  # a value that cannot be written out is validated, not looked up
        return None


def _ref_key(value: Any) -> Hashable | None:
    """A ref's key: its id when the ref is just ``{"id": …}`` (the common spelling), else its pickle."""
    if type(value) is dict and len(value) == 1:
        ref = value.get("id")
        if type(ref) is str:
            return ref
    return _raw_key(value)


def _text_key(value: Any) -> Hashable | None:
    """A date's key: its text."""
    return value if type(value) is str else _raw_key(value)


def _characteristics_key(value: Any) -> Hashable | None:
    """A characteristic list's key: each entry's (name, value, value type) when every entry is just a name and a
    text, whole number or true/false (in either order: the model is the same), else the list's pickle."""
    if type(value) is list:
        key = []
        for char in value:
            if type(char) is not dict or len(char) != 2:
                return _raw_key(value)
            name, found = char.get("name", _ABSENT), char.get("value", _ABSENT)
            kind = type(found)
            if type(name) is not str or kind not in _SIMPLE:
                return _raw_key(value)
            key.append((name, found, kind))
        return tuple(key)
    return _raw_key(value)


_CHECKED = ("product_offering", "product_specification", "product_characteristic")
"""The parts the catalog check reads."""
_Recipe = tuple[ReadOnlySet[str], tuple[tuple[str, str, int, Callable[[Any], Hashable | None], dict[Hashable, Any],
                                              int], ...]]
_Shape = tuple[ReadOnlySet[str], tuple[tuple[str, str], ...], bool]
_KEYS: dict[str, Callable[[Any], Hashable | None]] = {
    "start_date": _text_key, "termination_date": _text_key, "product_characteristic": _characteristics_key,
    "product_offering": _ref_key, "product_specification": _ref_key, "billing_account": _ref_key}


def _texts_into(values: dict[str, Any], texts: tuple[tuple[str, str], ...], document: dict[str, Any]) -> bool:
    """Copy the ``(key, field)`` texts of ``document`` into ``values``; False when one is not a text (the model then
    reads the whole document)."""
    for alias, name in texts:
        text = document[alias]
        if type(text) is not str:
            return False
        values[name] = text
    return True


def _immutable(part: Any) -> bool:
    """Whether a validated part ends only in values nobody can change in place (texts, numbers, dates; lists and
    models are made read-only when held): a characteristic's ``value`` or an unknown field written as an object or
    a list is the customer's own object, which a caller may change (in the document, or in an answer that hands it
    back) — shared, it would change every other customer's too."""
    if isinstance(part, BaseModel):
        extra = part.__pydantic_extra__
        return all(_immutable(value) for value in part.__dict__.values()) and (
            not extra or all(_immutable(value) for value in extra.values()))
    if isinstance(part, list):
        return all(_immutable(value) for value in part)
    return isinstance(part, _IMMUTABLE)


class InventoryReader:
    """Reads inventories against ``catalog``; holds the parts it validated and what it learnt about the catalog
    between inventories (the reader of one catalog is used by one thread at a time)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._fits: set[Hashable] = set()
        """Product shapes (offering, specification, characteristics) the catalog check found no problem with."""
        self._held = HeldParts()
        self._parts: dict[str, dict[Hashable, Any]] = {name: {} for name, kind in _FIELDS.values() if kind == _PART}
        """Each field's parts by key: validated once, read-only, one object for every product that writes it."""
        self._seen: dict[str, set[Hashable]] = {name: set() for name in self._parts}
        """Each field's keys met once so far (:data:`_SEEN`)."""
        self._recipes: dict[tuple[str, ...], _Recipe | Literal[False]] = {}
        """How to read a product by its keys, as written."""
        self._relationship_shapes: dict[tuple[str, ...], _Shape | Literal[False]] = {}
        """How to make a relationship by its keys, as written."""
        self._party_shapes: dict[tuple[str, ...], _Shape | Literal[False]] = {}
        """How to make a related party by its keys, as written."""
        self._ref_fields = self._held.fields_set(("id",))

    def read(self, data: Any, file: str = "<inventory>") -> Inventory:
        """The inventory of ``data`` (a list of TMF637 products, or one); an :class:`InventoryError` listing every
        problem, exactly as :meth:`Inventory.from_document` reports them."""
        inventory = self._quick(data, file)
        return inventory if inventory is not None else Inventory.from_document(self.catalog, data, file)

    def _quick(self, data: Any, file: str) -> Inventory | None:
        """The inventory, or None when ``data`` is off the common path or has a problem (the full reading then
        finds and words it)."""
        if type(data) is not list or not data or _catalog_resource(data[0]):
            return None
        by_id: dict[str, Product] = {}
        edges: list[tuple[str, str, str | None]] = []
        parent: dict[str, str] = {}
        for item in data:
            if type(item) is not dict:
                return None
            product = self._product(item)
            if product is None:
                return None
            pid = product.id
            if pid in by_id:  # a duplicate id
                return None
            by_id[pid] = product
            for relationship in product.product_relationship:
                ref = relationship.product  # its target_id, read here: once per relationship of every customer
                target = ref.id if ref is not None and ref.id else relationship.id
                if target is None:
                    return None
                kind = relationship.relationship_type or ""
                if kind.lower() == BUNDLES:
                    if target in parent:  # a second parent: a problem, or an edge repeated (left to the full path)
                        return None
                    parent[target] = pid
                    edges.append((pid, target, None))
                else:
                    edges.append((pid, target, kind))
        for _, end, _ in edges:
            if end not in by_id:
                return None
        # a bundle cycle runs through a product that is bundled and bundles: none in a one-level bundle
        if not set(parent.values()).isdisjoint(parent) and _has_cycle(by_id, parent):
            return None
        graph = InventoryGraph.of(((pid, product.offering_id, product.spec_id) for pid, product in by_id.items()),
                                  edges)
        return Inventory(by_id, Origins.listed(file, list(by_id)), graph)

    def _product(self, item: dict[str, Any]) -> Product | None:
        """``item`` as the product model validates it, or None when it is not valid or does not fit the catalog;
        put together from held parts when every key is one the model names, validated otherwise."""
        keys = tuple(item)
        recipe = self._recipes.get(keys)
        if recipe is None:
            recipe = self._recipe(keys)
        if recipe is False:
            return None if "product" in item else self._validated(item)  # nested products: the full reading
        fields, steps = recipe
        values = _PRODUCT.copy()
        found: list[Hashable | None] = [_ABSENT, _ABSENT, _ABSENT]  # the keys of what the catalog check reads
        for alias, name, kind, keyed, parts, slot in steps:
            value = item[alias]
            if kind == _PART:
                key = keyed(value)
                part = parts.get(key) if key is not None else None
                if part is None:
                    part = self._part(name, alias, key, value, parts)
                    if part is _INVALID:
                        return None
                values[name] = part
                if slot >= 0:
                    found[slot] = key
            elif kind == _TEXT:
                if value is not None and type(value) is not str:
                    return self._validated(item)
                values[name] = value
            elif kind == _ID:
                if type(value) is not str:
                    return None
                values[name] = value
            elif kind == _FLAG:
                if value is not None and type(value) is not bool:
                    return self._validated(item)
                values[name] = value
            elif kind == _RELATIONSHIPS:
                relationships = self._relationships(value)
                if relationships is None:
                    return self._validated(item)
                values[name] = relationships
            else:
                parties = self._parties(value)
                if parties is None:
                    return self._validated(item)
                values[name] = parties
        product = _made(Product, values, fields)
        fit = None if None in found else tuple(found)
        return product if fit in self._fits or self._fits_catalog(product, fit) else None

    def _recipe(self, keys: tuple[str, ...]) -> _Recipe | Literal[False]:
        """How to read a product written with ``keys``: its fields set and, for each key, the field, how it is read,
        how its part is keyed and where it is held (False: a key the model does not name, the model reads it)."""
        if len(self._recipes) >= _REMEMBERED:
            self._recipes.clear()
        if any(alias not in _FIELDS for alias in keys) or not _REQUIRED.issubset(keys):
            self._recipes[keys] = False
            return False
        steps = []
        for alias in keys:
            name, kind = _FIELDS[alias]
            steps.append((alias, name, kind, _KEYS.get(name, _raw_key), self._parts.get(name, {}),
                          _CHECKED.index(name) if name in _CHECKED else -1))
        recipe = self._recipes[keys] = (self._held.fields_set(_FIELDS[alias][0] for alias in keys), tuple(steps))
        return recipe

    def _validated(self, item: dict[str, Any]) -> Product | None:
        """``item`` validated by the model (None when it is not valid), if it fits the catalog."""
        try:
            product = Product.model_validate(item)
        except ValidationError:
            return None
        return product if self._fits_catalog(product, None) else None

    def _part(self, name: str, alias: str, key: Hashable | None, value: Any, parts: dict[Hashable, Any]) -> Any:
        """The part written ``value`` for field ``name``, validated and held in ``parts`` by ``key`` (when it has
        one); :data:`_INVALID` when the model does not accept it."""
        try:  # validated by the product model itself: every validator of the field applies
            part = Product.model_validate({"id": "", alias: value}).__dict__[name]
        except ValidationError:
            return _INVALID
        if key is None or part is None or not _immutable(part):
            return part  # this product's own (a value it holds could be changed in place: not shared)
        seen = self._seen[name]
        if key not in seen:  # met once: this product's own; held if another product writes it alike
            if len(seen) >= _SEEN:
                seen.clear()
            seen.add(key)
            return part
        seen.discard(key)
        part = self._held.hold(part)
        if len(parts) >= _REMEMBERED:
            parts.clear()
        parts[key] = part
        return part

    def _relationships(self, value: Any) -> list[ProductRelationship] | None:
        """A product's relationships as the model validates them, made from their texts when each is written the
        common way (texts, and a ``product`` ref of just an id); None otherwise (the model then reads them)."""
        shaped = self._shaped(value, self._relationship_shapes, _REL_TEXTS, "product")
        if shaped is None or not shaped:
            return None if shaped is None else EMPTY
        made = []
        ref_fields = self._ref_fields
        for relationship, (fields, texts, referred) in shaped:
            values = _RELATIONSHIP.copy()
            if not _texts_into(values, texts, relationship):
                return None
            if referred:
                ref = relationship["product"]
                if type(ref) is not dict or len(ref) != 1 or type(target := ref.get("id")) is not str:
                    return None
                held = _REF.copy()
                held["id"] = target
                values["product"] = _made(Ref, held, ref_fields)
            made.append(_made(ProductRelationship, values, fields))
        return ReadOnlyList(made)

    def _parties(self, value: Any) -> list[RelatedParty] | None:
        """A product's related parties as the model validates them, made from their texts when each is written
        with texts only (a customer's own party: no use holding it for others); None otherwise (the model then
        reads them)."""
        shaped = self._shaped(value, self._party_shapes, _PARTY_TEXTS)
        if shaped is None or not shaped:
            return None if shaped is None else EMPTY
        made = []
        for party, (fields, texts, _) in shaped:
            values = _PARTY.copy()
            if not _texts_into(values, texts, party):
                return None
            made.append(_made(RelatedParty, values, fields))
        return ReadOnlyList(made)

    def _shaped(self, value: Any, shapes: dict[tuple[str, ...], _Shape | Literal[False]], texts: dict[str, str],
                ref: str = "") -> list[tuple[dict[str, Any], _Shape]] | None:
        """Each entry of the list ``value`` with how to make it (its shape, by its keys as written); None when
        ``value`` is not a list of documents written a way the reader makes (the model then reads them)."""
        if type(value) is not list:
            return None
        found = []
        for document in value:
            if type(document) is not dict:
                return None
            keys = tuple(document)
            shape = shapes.get(keys)
            if shape is None:
                shape = self._shape(shapes, keys, texts, ref)
            if shape is False:
                return None
            found.append((document, shape))
        return found

    def _shape(self, shapes: dict[tuple[str, ...], _Shape | Literal[False]], keys: tuple[str, ...],
               texts: dict[str, str], ref: str = "") -> _Shape | Literal[False]:
        """How to make a part written with ``keys`` (texts named in ``texts``, and a ref of just an id under key
        ``ref`` when there is one): its fields set, its texts and whether it has the ref; False for another
        spelling (the model then reads it)."""
        if len(shapes) >= _REMEMBERED:
            shapes.clear()
        if any(alias not in texts and alias != ref for alias in keys):
            shapes[keys] = False
            return False
        shape = shapes[keys] = (self._held.fields_set(texts.get(alias, ref) for alias in keys),
                                tuple((alias, texts[alias]) for alias in keys if alias in texts), ref in keys)
        return shape

    def _fits_catalog(self, product: Product, key: Hashable | None) -> bool:
        """Whether the catalog check finds nothing wrong with ``product``; remembered by ``key`` (what the check
        reads of it: the keys of its offering, specification and characteristics, looked up by the caller) when
        there is one."""
        if _check_against_catalog(product, Origin("", ()), self.catalog):
            return False
        if key is not None:
            if len(self._fits) >= _REMEMBERED:
                self._fits.clear()
            self._fits.add(key)
        return True


def _catalog_resource(first: dict[str, Any]) -> bool:
    """Whether ``first`` (an inventory's first item) may be a catalog resource: the full reading says whether the
    document is a catalog file."""
    if type(first) is not dict or any(key in first for key in _CATALOG_KEYS):
        return True
    if first.get("@type") == "Product" and "@baseType" not in first and _PRODUCT_TYPE_PLAIN:
        return False
    return kind_from_type(first) is not None


_PRODUCT_TYPE_PLAIN = kind_from_type({"@type": "Product"}) is None
"""``"@type": "Product"`` names no catalog resource (checked once)."""


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
