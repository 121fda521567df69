"""A customer's installed products (TMF637), checked against the catalog and linked into a tree.

A bundle's components are written either as ``productRelationship`` entries of type ``bundles`` on the parent
(v4: ``{"relationshipType": "bundles", "product": {"id": ...}}``, v5: ``{"relationshipType": "bundles",
"id": ...}``) or as product values nested in the parent's ``product`` array; nested values are flattened into the
inventory and linked to their parent, so both spellings give the same tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from odedelta.model.catalog import KIND_LABEL, Catalog, Origin, kind_from_type, value_key
from odedelta.model.errors import InventoryError, Problem, RequestError, did_you_mean
from odedelta.model.graph import PROMOTION, InventoryGraph
from odedelta.model.tmf import HeldParts, Product

BUNDLES = "bundles"
HELD_FROM = 32
"""An inventory of this many products or more holds each part written alike for several products once
(:class:`~odedelta.model.tmf.HeldParts`: an enterprise account's thousands of lines share one offering ref, one
characteristic list…, and their lists are read-only); a smaller one — a residential customer's ten or twenty
products, where little repeats — holds its products as validated, which reads about a third faster."""
_CATALOG_KEYS = {"bundledProductOffering": "ProductOffering", "productOfferingPrice": "ProductOffering",
                 "productSpecCharacteristic": "ProductSpecification", "priceType": "ProductOfferingPrice"}
"""Keys only a catalog resource has, for files without ``@type``."""
_INDEXES = tuple((n,) for n in range(256))
"""The JSON paths ``$[0]`` … ``$[255]`` of a list's products, made once."""


def _refuse_catalog_resources(items: list[Any], file: str) -> None:
    """A catalog file given where an inventory belongs is refused in one sentence rather than read as products."""
    kinds = []
    for item in items:
        if not isinstance(item, dict):
            return
        kind = kind_from_type(item) or next((kind_from_type({"@type": t}) for key, t in _CATALOG_KEYS.items()
                                             if key in item), None)
        if kind is None:
            return
        kinds.append(kind)
    if kinds:
        kind = max(sorted(set(kinds)), key=kinds.count)
        what = f"{'TMF671' if kind == PROMOTION else 'TMF620'} {KIND_LABEL[kind]}"
        raise InventoryError(f"{file}: this is a {what} list, not TMF637 products (an inventory lists a customer's "
                             "installed products)", [Problem(file, "$", f"found {what} resources, expected TMF637 "
                                                                        "products")])


class Origins(Mapping[str, Origin]):
    """Where each product of an inventory was read, as a mapping of product id to :class:`Origin`: the file once
    and each product's JSON path as a plain tuple (which the garbage collector does not track), rather than one
    object per product that every full collection during a change would walk."""

    __slots__ = ("_file", "_listed", "_others", "_parts")

    def __init__(self) -> None:
        self._file: str | None = None
        self._parts: dict[str, tuple[str | int, ...]] = {}
        self._others: dict[str, Origin] = {}  # a product read from another file than the first (none in practice)
        self._listed: Sequence[str] = ()
        """Products read from a list, the n-th at ``$[n]``, not yet put in ``_parts``: an origin is asked for when
        something is wrong, so a campaign's customers (one inventory each) seldom need the table."""

    @classmethod
    def listed(cls, file: str, product_ids: Sequence[str]) -> Origins:
        """The origins of a list of products read from ``file``, the n-th at ``$[n]`` (the ids distinct)."""
        origins = cls()
        origins._file = file
        origins._listed = product_ids
        return origins

    def _table(self) -> dict[str, tuple[str | int, ...]]:
        """Each product's JSON path in the first file, the listed products' put in when first asked for."""
        listed = self._listed
        if listed:
            self._listed = ()
            self._parts = (dict(zip(listed, _INDEXES, strict=False)) if len(listed) <= len(_INDEXES)
                           else {pid: (n,) for n, pid in enumerate(listed)})
        return self._parts

    def put(self, product_id: str, origin: Origin) -> None:
        parts = self._table()
        if self._file is None:
            self._file = origin.file
        if origin.file == self._file and product_id not in self._others:
            parts[product_id] = origin.parts
        else:
            parts.pop(product_id, None)
            self._others[product_id] = origin

    def __getitem__(self, product_id: str) -> Origin:
        parts = self._table().get(product_id)
        if parts is None or self._file is None:
            return self._others[product_id]
        return Origin(self._file, parts)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._table() or product_id in self._others

    def __iter__(self) -> Iterator[str]:
        yield from self._table()
        yield from self._others

    def __len__(self) -> int:
        return len(self._table()) + len(self._others)

    def __repr__(self) -> str:
        return f"Origins({dict(self)!r})"


@dataclass(frozen=True)
class Inventory:
    """A customer's installed products (TMF637), their origins and their tree: filled while it is loaded, then only
    read (every change makes a new one: :meth:`from_products`). From :data:`HELD_FROM` products on, a part written
    alike for several products is one object for all of them, and read-only (:class:`~odedelta.model.tmf.HeldParts`):
    make a changed product with ``model_copy(update=…)``, never by assigning to an installed one."""

    products: dict[str, Product] = field(default_factory=dict)
    origins: Mapping[str, Origin] = field(default_factory=Origins)
    graph: InventoryGraph = field(default_factory=InventoryGraph)

    @classmethod
    def from_document(cls, catalog: Catalog, data: Any, file: str = "<inventory>") -> Inventory:
        """Build and check an inventory from a list of TMF637 products (or one product)."""
        inventory = cls()
        problems: list[Problem] = []
        items = data if isinstance(data, list) else [data]
        _refuse_catalog_resources(items, file)
        base: tuple[int, ...] = ()
        parents: list[tuple[str, str]] = []
        held = HeldParts() if len(items) >= HELD_FROM else None  # the parts read so far, each held once
        for index, item in enumerate(items):
            origin = Origin(file, (index,) if isinstance(data, list) else base)
            problems.extend(inventory._add(item, origin, None, parents, held))
        return inventory._checked(catalog, problems, parents)

    @classmethod
    def from_products(cls, catalog: Catalog, products: Sequence[Product]) -> Inventory:
        """An inventory from product models (e.g. a projected inventory), checked like a loaded one."""
        return cls.from_document(catalog, [p.to_tmf() for p in products], "<products>")

    @classmethod
    def sharing(cls, catalog: Catalog, products: Sequence[Product]) -> Inventory:
        """:meth:`from_products` holding these very models, for a reader that never modifies them (the flows'
        projected inventory): the same checks against the catalog and of the relationships, without writing each
        product out as TMF JSON and validating it back — three quarters of :meth:`from_products`' time, and a
        quarter of a change that loses a promotion. A model holds no nested ``product`` (a document's nested
        products are taken out before it is validated), so its bundles are its relationships."""
        inventory = cls()
        problems = [problem for index, product in enumerate(products)
                    if (problem := inventory._place(product, Origin("<products>", (index,)))) is not None]
        return inventory._checked(catalog, problems)

    def _place(self, product: Product, origin: Origin) -> Problem | None:
        """Keep ``product``, read at ``origin``; a product whose id is already kept is refused, the first kept."""
        if product.id in self.products:
            first = self.origins[product.id]
            return origin.problem(f"duplicate product id {product.id!r} (first at {first.problem('').path} "
                                  f"in {first.file})", "id")
        if not isinstance(self.origins, Origins):  # the inventory being read (from_document, sharing) holds them
            raise TypeError("products are placed only in an inventory being read")
        self.products[product.id] = product
        self.origins.put(product.id, origin)
        return None

    def _checked(self, catalog: Catalog, problems: list[Problem],
                 parents: Sequence[tuple[str, str]] = ()) -> Inventory:
        """This inventory once its graph is built (the products in order, then the nested ones' parents, then the
        relationships) and checked against the catalog; every problem, the reader's first, at once."""
        for pid, product in self.products.items():
            self.graph.add_product(pid, product.offering_id, product.spec_id)
        for parent_id, child_id in parents:
            self.graph.add_child(parent_id, child_id)
        problems = [*problems, *self._link(catalog)]
        if problems:
            problems = sorted(set(problems), key=Problem.sort_key)
            raise InventoryError(f"the inventory has {len(problems)} problem(s)", problems)
        return self

    def _add(self, item: Any, origin: Origin, parent: str | None, parents: list[tuple[str, str]],
             held: HeldParts | None) -> list[Problem]:
        if not isinstance(item, dict):
            return [origin.problem(f"expected a TMF637 Product (an object), found {type(item).__name__}")]
        nested = item.get("product") or []
        if "product" in item:
            item = {key: value for key, value in item.items() if key != "product"}
        try:
            product = held.product(item) if held is not None else Product.model_validate(item)
        except ValidationError as exc:
            return [origin.problem(f"{e['msg']}" if e["type"] != "missing" else f"product lacks required field "
                                   f"{e['loc'][-1]!r}", *e["loc"]) for e in exc.errors()]
        duplicate = self._place(product, origin)
        if duplicate is not None:
            return [duplicate]
        if parent is not None:
            parents.append((parent, product.id))
        problems: list[Problem] = []
        for j, child in enumerate(nested if isinstance(nested, list) else []):
            child_origin = Origin(origin.file, (*origin.parts, "product", j))
            if isinstance(child, dict) and set(child) - {"id", "href", "@type", "@referredType", "name"}:
                problems.extend(self._add(child, child_origin, product.id, parents, held))
            elif isinstance(child, dict) and child.get("id"):
                parents.append((product.id, str(child["id"])))
        return problems

    def _link(self, catalog: Catalog) -> list[Problem]:
        problems: list[Problem] = []
        for pid, product in self.products.items():
            origin = self.origins[pid]
            for r, rel in enumerate(product.product_relationship):
                target = rel.target_id
                if target is None or target not in self.products:
                    hint = did_you_mean(target, self.products) if target else ""
                    problems.append(origin.problem(f"relationship to unknown product {target!r}{hint}",
                                                   "productRelationship", r))
                elif (rel.relationship_type or "").lower() == BUNDLES:
                    self.graph.add_child(pid, target)
                else:
                    self.graph.add_relationship(pid, target, rel.relationship_type or "")
            problems.extend(_check_against_catalog(product, origin, catalog))
        for parent, child, _, _ in self.graph.edges():
            if parent not in self.products or child not in self.products:
                missing = parent if parent not in self.products else child
                self.graph.remove(missing)
                problems.append(self.origins.get(parent if parent in self.products else child, Origin("?", ()))
                                .problem(f"bundles unknown product {missing!r}"))
        for pid in self.products:
            if len(self.graph.parents(pid)) > 1:
                problems.append(self.origins[pid].problem(
                    f"product {pid!r} is bundled by {len(self.graph.parents(pid))} products "
                    f"({', '.join(sorted(self.graph.parents(pid)))}); expected at most one parent"))
        for cycle in self.graph.bundle_cycles():
            problems.append(self.origins[cycle[0]].problem(
                "bundle cycle: " + " → ".join([*cycle, cycle[0]]) + " (a product cannot contain itself)"))
        return problems

    # ------------------------------------------------------------------ queries
    def product(self, product_id: str) -> Product:
        return self.products[product_id]

    def installed(self, product_id: str) -> Product:
        """The installed product a request names; a :class:`RequestError` with a did-you-mean when there is none."""
        if product_id not in self.products:
            raise RequestError(f"no installed product {product_id!r}{did_you_mean(product_id, self.products)}")
        return self.products[product_id]

    def roots(self) -> list[str]:
        return self.graph.roots(self.products)

    def subtree(self, product_id: str) -> list[str]:
        return self.graph.subtree(product_id)

    def children(self, product_id: str) -> list[str]:
        return self.graph.children(product_id)

    def parent(self, product_id: str) -> str | None:
        return self.graph.parent(product_id)


def _check_against_catalog(product: Product, origin: Origin, catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    oid, sid = product.offering_id, product.spec_id
    if product.product_offering is None and product.product_specification is None:
        problems.append(origin.problem("product has neither productOffering nor productSpecification; "
                                       "expected at least one"))
        return problems
    if oid is not None and oid not in catalog.offerings:
        problems.append(origin.problem(f"unknown productOffering {oid!r}{did_you_mean(oid, catalog.offerings)}",
                                       "productOffering", "id"))
        oid = None
    if sid is not None and sid not in catalog.specifications:
        problems.append(origin.problem(
            f"unknown productSpecification {sid!r}{did_you_mean(sid, catalog.specifications)}",
            "productSpecification", "id"))
        return problems
    offering_spec = catalog.offerings[oid].spec_id if oid else None
    if sid and offering_spec and sid != offering_spec:
        problems.append(origin.problem(f"productSpecification {sid!r} differs from {offering_spec!r}, the "
                                       f"specification of offering {oid!r}", "productSpecification", "id"))
        return problems
    spec_id = sid or offering_spec
    spec = catalog.specifications.get(spec_id or "")
    if spec is None:
        return problems
    known = [c.name for c in spec.product_spec_characteristic]
    for c, char in enumerate(product.product_characteristic):
        if spec.characteristic(char.name) is None:
            problems.append(origin.problem(f"specification {spec.id!r} has no characteristic {char.name!r}"
                                           f"{did_you_mean(char.name, known)}", "productCharacteristic", c, "name"))
        elif not catalog.is_allowed(oid or "", char.name, char.value, spec.id):
            allowed = catalog.allowed_values(oid or "", char.name, spec.id) or []
            problems.append(origin.problem(
                f"value {value_key(char.value)!r} of {char.name!r} is not allowed "
                f"(allowed: {', '.join(value_key(v.value) for v in allowed)})",
                "productCharacteristic", c, "value"))
    return problems
