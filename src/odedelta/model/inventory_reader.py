"""Reading many inventories against one catalog (a campaign's customers): the same :class:`Inventory` as
:meth:`Inventory.from_document`, at a fraction of the cost for the common shape.

A campaign's customers write the same few parts again and again: the offering refs, the characteristic lists, the
start dates, the terms. The reader validates each part written alike once (by the model itself, so the value is
the model's own) and holds it, read-only, for every product of every inventory that writes it exactly alike (same
keys in the same order, same values of the same types); a product is then put together from its held parts and
its own texts (id, status…) and relationships, without validating it again — by code written once per way a
product is written (its keys, in order), straight-line as dataclasses write ``__init__``, so a product costs its
keys' lookups and not a loop deciding, key by key, how each is read. Its tree is checked with plain
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
    Ref,
    RelatedParty,
    raw_key,
    set_offering_id,
    set_spec_id,
)

_CATALOG_KEYS = ("bundledProductOffering", "productOfferingPrice", "productSpecCharacteristic", "priceType")
"""Keys only a catalog resource has: a list that starts with one is left to :meth:`Inventory.from_document`."""
_REMEMBERED = 65_536
"""How many parts of one field (or product shapes found to fit the catalog) a reader holds at most: free text
(a phone number, a customer's own party) would grow it without end; when full, it starts again."""
_WRITTEN = 1_024
"""How many ways of writing a product (or a relationship or party list) a reader writes code for at most: each
costs about half a millisecond to write and a few kilobytes to keep, so a base whose products are each written
another way costs a bounded time and memory; past it, a product written a new way is read by the model."""
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
_MODELS: dict[str, type[BaseModel]] = {"ProductRelationship": ProductRelationship, "RelatedParty": RelatedParty}
_DEFAULTS = {"ProductRelationship": _RELATIONSHIP, "RelatedParty": _PARTY}
_PARTY_TEXTS = {(info.alias or name): name for name, info in RelatedParty.model_fields.items()
                if name != "party_or_party_role"}
_REL_TEXTS = {(info.alias or name): name for name, info in ProductRelationship.model_fields.items()
              if name in ("type", "base_type", "schema_location", "relationship_type", "id", "href")}
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
"""Each of a model's four slots written by its own descriptor (a quarter less than ``object.__setattr__``, which
looks the name up on the type each time)."""


def _ref_key(value: Any) -> Hashable | None:
    """A ref's key: its id when the ref is just ``{"id": …}`` (the common spelling), else its pickle."""
    if type(value) is dict and len(value) == 1:
        ref = value.get("id")
        if type(ref) is str:
            return ref
    return raw_key(value)


def _text_key(value: Any) -> Hashable | None:
    """A date's key: its text."""
    return value if type(value) is str else raw_key(value)


def _characteristics_key(value: Any) -> Hashable | None:
    """A characteristic list's key: each entry's (name, value, value type) when every entry is just a name and a
    text, whole number or true/false (in either order: the model is the same), else the list's pickle."""
    if type(value) is list:
        if len(value) == 1:  # the usual product: one characteristic, its key made without a list
            char = value[0]
            if type(char) is dict and len(char) == 2:
                name, found = char.get("name", _ABSENT), char.get("value", _ABSENT)
                kind = type(found)
                if type(name) is str and kind in _SIMPLE:
                    return ((name, found, kind),)
            return raw_key(value)
        key = []
        for char in value:
            if type(char) is not dict or len(char) != 2:
                return raw_key(value)
            name, found = char.get("name", _ABSENT), char.get("value", _ABSENT)
            kind = type(found)
            if type(name) is not str or kind not in _SIMPLE:
                return raw_key(value)
            key.append((name, found, kind))
        return tuple(key)
    return raw_key(value)


_CHECKED = ("product_offering", "product_specification", "product_characteristic")
"""The parts the catalog check reads."""
_Maker = Callable[[dict[str, Any], "InventoryReader"], Any]
"""Makes a product from a document written with one tuple of keys (:func:`_maker_code`): the product, None (a
problem: the full reading words it) or :data:`_VALIDATE` (a value of an uncommon type: the model reads it)."""
_VALIDATE = object()
_Entries = Callable[[list[Any]], list[Any] | None]
"""Makes a list of relationships or related parties written with one tuple of keys (:func:`_entries_code`), or
gives None for one written otherwise (the model then reads the product)."""
_KEYS: dict[str, Callable[[Any], Hashable | None]] = {
    "start_date": _text_key, "termination_date": _text_key, "product_characteristic": _characteristics_key,
    "product_offering": _ref_key, "product_specification": _ref_key, "billing_account": _ref_key}


def _entries_code(model: str, keys: tuple[str, ...], texts: dict[str, str], ref: str = "") -> str:
    """The code of the function that makes a list of ``model`` (relationships, related parties) from documents
    each written with ``keys``: each a text named in ``texts``, or, under key ``ref``, a ref of just an id (made a
    :class:`~odedelta.model.tmf.Ref`). It gives None for an entry written otherwise or a value of another type (the
    model then reads the product). Relationships also leave each one's target and type in ``links``, which the
    reader reads to build the tree (rather than reading them back from the models)."""
    lines = ["def make(value):", "    made = []", "    for document in value:",  # the same keys: as many, all found
             f"        if type(document) is not dict or len(document) != {len(keys)}: return None",
             "        values = copy()"]
    for alias in keys:
        lines.append(f"        x = document[{alias!r}]")
        if alias == ref:
            lines += ["        if type(x) is not dict or len(x) != 1 or type(target := x.get('id')) is not str: "
                      "return None", "        r = ref_values()", "        r['id'] = target", "        x = new(Ref)",
                      "        set_dict(x, r)", "        set_fields(x, REF_FIELDS)", "        set_extra(x, NO_EXTRA)",
                      "        set_private(x, None)", f"        values[{ref!r}] = x"]
        else:
            lines += ["        if type(x) is not str: return None", f"        values[{texts[alias]!r}] = x"]
    lines += [f"        entry = new({model})", "        set_dict(entry, values)", "        set_fields(entry, FIELDS)",
              "        set_extra(entry, NO_EXTRA)", "        set_private(entry, None)", "        made.append(entry)"]
    if model == "ProductRelationship":  # its target as ProductRelationship.target_id reads it
        own = "values['id']" if "id" in keys else "None"
        target = f"target or {own}" if ref in keys else own
        lines.append(f"        links.append(({target}, values['relationship_type'] or ''))")
    lines.append("    return ReadOnlyList(made)")
    return "\n".join([*lines[:2], "    try:", *(f"    {line}" for line in lines[2:-1]), "    except KeyError:",
                      "        return None", lines[-1]])


def _maker_code(keys: tuple[str, ...]) -> str:
    """The code of the function that makes a product from a document written with ``keys`` (every one a key the
    model names), straight-line as dataclasses write ``__init__``: per key, the value's check or its held part's
    lookup, then the model made from the values, its id slots filled from its refs, and the catalog check looked
    up by the keys of what it reads (the offering, specification and characteristics as written)."""
    lines = ["def make(item, reader):", "    values = copy()"]
    found = ["ABSENT"] * len(_CHECKED)
    refs = {"product_offering": "None", "product_specification": "None"}
    for n, alias in enumerate(keys):
        name, kind = _FIELDS[alias]
        lines.append(f"    x = item[{alias!r}]")
        if kind == _ID:
            lines.append("    if type(x) is not str: return None")
        elif kind in (_TEXT, _FLAG):
            kept = "str" if kind == _TEXT else "bool"
            lines.append(f"    if x is not None and type(x) is not {kept}: return VALIDATE")
        elif kind == _RELATIONSHIPS:
            lines += ["    x = reader._relationships(x)", "    if x is None: return VALIDATE"]
        elif kind == _PARTIES:
            lines += ["    x = reader._parties(x)", "    if x is None: return VALIDATE"]
        else:
            if _KEYS.get(name) is _ref_key:  # _ref_key written out: a ref of just an id is keyed by the id
                lines += [f"    if type(x) is not dict or len(x) != 1 or type(k{n} := x.get('id')) is not str:",
                          f"        k{n} = raw_key(x)"]
            elif _KEYS.get(name) is _text_key:  # and _text_key: a date by its text
                lines.append(f"    k{n} = x if type(x) is str else raw_key(x)")
            else:
                lines.append(f"    k{n} = key_{name}(x)")
            lines += [f"    p = parts_{name}.get(k{n}) if k{n} is not None else None",
                      "    if p is None:", f"        p = reader._part({name!r}, {alias!r}, k{n}, x, parts_{name})",
                      "        if p is INVALID: return None", "    x = p"]
            if name in _CHECKED:
                found[_CHECKED.index(name)] = f"k{n}"
            if name in refs:
                refs[name] = f"r{n}"
                lines.append(f"    r{n} = None if x is None else x.id")
        lines.append(f"    values[{name!r}] = x")
    lines += ["    product = new(Product)", "    set_dict(product, values)", "    set_fields(product, FIELDS)",
              "    set_extra(product, NO_EXTRA)", "    set_private(product, None)",
              f"    set_offering_id(product, {refs['product_offering']})",
              f"    set_spec_id(product, {refs['product_specification']})",
              f"    fit = ({', '.join(found)},)", "    if fit in fits: return product",
              "    return product if reader._fits_catalog(product, None if None in fit else fit) else None"]
    return "\n".join(lines)


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
        self._makers: dict[tuple[str, ...], _Maker | Literal[False]] = {}
        """How to make a product by its keys, as written (False: a key the model does not name, or a required one
        missing: the model reads it)."""
        self._relationship_makers: dict[tuple[str, ...], _Entries | Literal[False]] = {}
        """How to make a relationship by its keys, as written (False: another spelling, the model reads it)."""
        self._party_makers: dict[tuple[str, ...], _Entries | Literal[False]] = {}
        """How to make a related party by its keys, as written."""
        self._ref_fields = self._held.fields_set(("id",))
        self._written: dict[tuple[str, ...], Any] = {}
        """The code written so far, by model and keys in sorted order (:data:`_WRITTEN`)."""
        self._links: list[tuple[str | None, str]] = []
        """The target and type of each relationship of the product being made (:func:`_entries_code`)."""

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
        nodes: list[tuple[str, str | None, str | None]] = []
        edges: list[tuple[str, str, str | None]] = []
        parent: dict[str, str] = {}
        makers, links = self._makers, self._links
        links.clear()
        for item in data:
            if type(item) is not dict:
                return None
            keys = tuple(item)
            make = makers.get(keys)
            if make is None:
                make = self._maker(keys)
            made = _VALIDATE if make is False else make(item, self)
            if made is _VALIDATE:  # the model reads it (nested products: the full reading)
                links.clear()
                made = None if "product" in item else self._validated(item)
                if made is not None:
                    links.extend((r.target_id, r.relationship_type or "") for r in made.product_relationship)
            if made is None:
                return None
            product: Product = made  # type: ignore[assignment]  # neither None nor _VALIDATE: a product
            pid = product.id
            by_id[pid] = product
            nodes.append((pid, product.offering_id, product.spec_id))
            if links:
                for target, kind in links:
                    if target is None:
                        return None
                    if kind.lower() == BUNDLES:
                        if target in parent:  # a second parent: a problem, or an edge repeated (the full path's)
                            return None
                        parent[target] = pid
                        edges.append((pid, target, None))
                    else:
                        edges.append((pid, target, kind))
                links.clear()
        if len(by_id) != len(nodes):  # a duplicate id
            return None
        for _, end, _ in edges:
            if end not in by_id:
                return None
        # a bundle cycle runs through a product that is bundled and bundles: none in a one-level bundle
        if not set(parent.values()).isdisjoint(parent) and _has_cycle(by_id, parent):
            return None
        return Inventory(by_id, Origins.listed(file, list(by_id)), InventoryGraph.of(nodes, edges))

    def _maker(self, keys: tuple[str, ...]) -> _Maker | Literal[False]:
        """How to make a product written with ``keys`` (:func:`_maker_code`), bound to this reader's held parts and
        catalog answers; False for a key the model does not name or a required one missing (the model reads it)."""
        if len(self._makers) >= _REMEMBERED:
            self._makers.clear()
        if any(alias not in _FIELDS for alias in keys) or not _REQUIRED.issubset(keys):
            self._makers[keys] = False
            return False
        written = ("Product", *sorted(keys))  # the same keys in another order: the same code
        make = self._written.get(written)
        if make is None:
            if len(self._written) >= _WRITTEN:
                self._makers[keys] = False
                return False
            make = self._written[written] = self._write(written[1:])
        self._makers[keys] = make
        return make

    def _write(self, keys: tuple[str, ...]) -> _Maker:
        """The product maker of ``keys`` (:func:`_maker_code`), bound to this reader's held parts and catalog
        answers."""
        scope: dict[str, Any] = {
            "copy": _PRODUCT.copy, "new": _new, "Product": Product, "set_dict": _set_dict, "set_fields": _set_fields,
            "set_extra": _set_extra, "set_private": _set_private, "set_offering_id": set_offering_id,
            "set_spec_id": set_spec_id, "NO_EXTRA": NO_EXTRA, "ABSENT": _ABSENT, "INVALID": _INVALID,
            "VALIDATE": _VALIDATE, "fits": self._fits, "raw_key": raw_key,
            "FIELDS": self._held.fields_set(_FIELDS[alias][0] for alias in keys)}
        for name, parts in self._parts.items():
            scope[f"parts_{name}"] = parts
            scope[f"key_{name}"] = _KEYS.get(name, raw_key)
        exec(compile(_maker_code(keys), "<product maker>", "exec"), scope)  # code from the model's own fields
        make: _Maker = scope["make"]
        return make

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
        return self._entries(value, self._relationship_makers, "ProductRelationship", _REL_TEXTS, "product")

    def _parties(self, value: Any) -> list[RelatedParty] | None:
        """A product's related parties as the model validates them, made from their texts when each is written
        with texts only (a customer's own party: no use holding it for others); None otherwise (the model then
        reads them)."""
        return self._entries(value, self._party_makers, "RelatedParty", _PARTY_TEXTS)

    def _entries(self, value: Any, makers: dict[tuple[str, ...], _Entries | Literal[False]], model: str,
                 texts: dict[str, str], ref: str = "") -> list[Any] | None:
        """The list ``value`` made by the maker of its first entry's keys as written (:func:`_entries_code`), when
        every entry is written with those keys; None otherwise (the model then reads the product)."""
        if type(value) is not list:
            return None
        if not value:
            return EMPTY
        first = value[0]
        if type(first) is not dict:
            return None
        keys = tuple(first)
        make = makers.get(keys)
        if make is None:
            make = self._entries_maker(makers, keys, model, texts, ref)
        return None if make is False else make(value)

    def _entries_maker(self, makers: dict[tuple[str, ...], _Entries | Literal[False]], keys: tuple[str, ...],
                       model: str, texts: dict[str, str], ref: str) -> _Entries | Literal[False]:
        """How to make a list of ``model`` written with ``keys`` (:func:`_entries_code`); False for another
        spelling."""
        if len(makers) >= _REMEMBERED:
            makers.clear()
        if any(alias not in texts and alias != ref for alias in keys):
            makers[keys] = False
            return False
        written = (model, *sorted(keys))  # the same keys in another order: the same code
        make = self._written.get(written)
        if make is None:
            if len(self._written) >= _WRITTEN:
                makers[keys] = False
                return False
            keys = written[1:]
            scope = {"copy": _DEFAULTS[model].copy, "ref_values": _REF.copy, "new": _new, "Ref": Ref,
                     model: _MODELS[model], "set_dict": _set_dict, "set_fields": _set_fields,
                     "set_extra": _set_extra, "set_private": _set_private, "NO_EXTRA": NO_EXTRA,
                     "REF_FIELDS": self._ref_fields, "links": self._links, "ReadOnlyList": ReadOnlyList,
                     "FIELDS": self._held.fields_set(texts.get(alias, ref) for alias in keys)}
            exec(compile(_entries_code(model, keys, texts, ref), f"<{model} maker>", "exec"), scope)  # its fields
            make = self._written[written] = scope["make"]
        makers[keys] = make
        return make  # type: ignore[no-any-return]

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
