"""The product catalog: TMF620 offerings, specifications, prices and categories, TMF671 promotions.

:meth:`Catalog.from_documents` turns parsed documents into models and cross-checks them, reporting every problem
in one :class:`~odedelta.model.errors.CatalogError`. It does no I/O: :func:`odedelta.load_catalog` reads the files.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any, TypeVar

from pydantic import ValidationError

from odedelta.model.errors import CatalogError, Problem, did_you_mean
from odedelta.model.graph import CATEGORY, OFFERING, PRICE, PROMOTION, SPECIFICATION, CatalogGraph, Component
from odedelta.model.memo import Memo
from odedelta.model.plain import plain_words
from odedelta.model.records import (
    CatalogDocument,
    Category,
    CharacteristicValue,
    ProductOffering,
    ProductOfferingPrice,
    ProductSpecification,
    Promotion,
    Reader,
    TimePeriod,
)
from odedelta.model.tmf import in_period

CATALOG = "catalog"
"""A TMF620 Catalog document: read for its category references and validFor, not a node of the graph."""
Resource = ProductOffering | ProductSpecification | ProductOfferingPrice | Category | Promotion
"""A catalog resource of one kind (each has an ``id``): an immutable record (:mod:`odedelta.model.records`)."""
KINDS: dict[str, type[Resource]] = {
    OFFERING: ProductOffering,
    SPECIFICATION: ProductSpecification,
    PRICE: ProductOfferingPrice,
    CATEGORY: Category,
    PROMOTION: Promotion,
}
TYPE_NAMES = {
    "ProductOffering": OFFERING,
    "ProductSpecification": SPECIFICATION,
    "ProductOfferingPrice": PRICE,
    "Category": CATEGORY,
    "Promotion": PROMOTION,
    "Catalog": CATALOG,
    "ProductCatalog": CATALOG,
}
FILE_NAMES = {
    "productoffering": OFFERING,
    "productspecification": SPECIFICATION,
    "productofferingprice": PRICE,
    "category": CATEGORY,
    "categories": CATEGORY,
    "promotion": PROMOTION,
    "catalog": CATALOG,
    "productcatalog": CATALOG,
}
KIND_LABEL = {
    OFFERING: "productOffering",
    SPECIFICATION: "productSpecification",
    PRICE: "productOfferingPrice",
    CATEGORY: "category",
    PROMOTION: "promotion",
    CATALOG: "catalog",
}
DEFAULT_PERIOD = "month"
"""The period of a recurring price that names none (recurringChargePeriodType is optional in TMF620 v4 and v5)."""
REF_KEYS = {"id", "href", "name", "version", "@referredType", "@type", "@baseType", "@schemaLocation"}
SELLABLE_STATUSES = {"active", "launched"}
SUCCESSOR_TYPES = {"replacedby", "successor"}
"""productOfferingRelationship types naming the offering that replaces this one (end of sale → successor)."""
MIGRATION_TYPES = SUCCESSOR_TYPES | {"migratesto", "migration"}
"""Types that also say an installed product of this offering may become one of the target (modify, not re-add)."""
_CURRENCY = re.compile(r"[A-Z]{3}")
CRITERIA_PARAMETERS = {
    "productoffering.id": OFFERING,
    "productspecification.id": SPECIFICATION,
    "category.id": CATEGORY,
}


def kind_from_file_name(stem: str) -> str | None:
    key = re.sub(r"[^a-z]", "", stem.lower())
    return FILE_NAMES.get(key) or FILE_NAMES.get(key.removesuffix("s"))


def kind_from_type(resource: dict[str, Any]) -> str | None:
    """The kind named by ``@type`` or ``@baseType``; a sub-type named after its base (v5's
    ``ProductOfferingPriceAlteration``) counts as the base, the longest matching name winning."""
    for key in ("@type", "@baseType"):
        name = str(resource.get(key, ""))
        if name in TYPE_NAMES:
            return TYPE_NAMES[name]
        bases = [base for base in TYPE_NAMES if name.startswith(base)]
        if bases:
            return TYPE_NAMES[max(bases, key=len)]
    return None


@dataclass(frozen=True)
class Document:
    """A parsed file: its display name, its content (a resource or a list of them), the kind its name implies."""

    file: str
    data: Any
    kind_hint: str | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    file: str
    parts: tuple[str | int, ...]

    def problem(self, message: str, *more: str | int) -> Problem:
        return Problem.at(self.file, (*self.parts, *more), message)


def value_key(value: Any) -> str:
    """A canonical text for a characteristic value, so ``"300"``, ``300`` and ``Decimal("300.0")`` compare equal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, float)):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        return format(number.normalize(), "f") if number == number.to_integral_value() else str(number.normalize())
    if isinstance(value, str):
        text = value.strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        return value_key(number) if number.is_finite() else text
    if isinstance(value, dict):
        inner = value.get("value", value)
        return repr(sorted(inner.items())) if isinstance(inner, dict) else value_key(inner)
    return repr(value)


def _in_range(value: Any, spec_value: CharacteristicValue) -> bool:
    try:
        number = Decimal(value_key(value))
        low = Decimal(value_key(spec_value.value_from)) if spec_value.value_from is not None else None
        high = Decimal(value_key(spec_value.value_to)) if spec_value.value_to is not None else None
    except InvalidOperation:
        return False
    return (low is None or number >= low) and (high is None or number <= high)


Answer = TypeVar("Answer")


REMEMBERED_TEXT = 256
"""The longest text value a catalog answer is remembered for. Values come from requests and inventories: a table
keyed by them holds each one as long as its entry lives, and an entry count alone would let 65,536 one-megabyte
phone numbers stay in memory. A longer value is asked each time (it is rare, and the answer is the same)."""


def rememberable(value: Any) -> bool:
    """Whether an answer keyed by ``value`` may be kept: not a text or bytes longer than :data:`REMEMBERED_TEXT`."""
    return not isinstance(value, str | bytes) or len(value) <= REMEMBERED_TEXT


@dataclass
class Catalog:
    offerings: dict[str, ProductOffering] = field(default_factory=dict)
    specifications: dict[str, ProductSpecification] = field(default_factory=dict)
    prices: dict[str, ProductOfferingPrice] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    promotions: dict[str, Promotion] = field(default_factory=dict)
    catalog_documents: dict[str, CatalogDocument] = field(default_factory=dict)
    """TMF620 Catalog documents of the folder: the categories each lists and when it is valid."""
    warnings: list[Problem] = field(default_factory=list)
    """What loads but deserves a look: a default odedelta applied (a recurring price without a period), or
    something loaded that nothing uses (a price no offering names, a promotion naming nothing of this catalog, a
    specification no offering uses). ``odedelta check`` lists them; ``--strict`` makes them errors."""
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)
    graph: CatalogGraph = field(default_factory=CatalogGraph)
    _inline: set[tuple[str, str]] = field(default_factory=set, repr=False)
    memo: Memo = field(default_factory=Memo, repr=False, compare=False)
    """Answers of pure queries over this catalog (prices at a moment…), bounded: a loaded catalog is only read."""
    compiled_tables: Any = field(default=None, repr=False, compare=False)
    """The per-offering tables of the per-change path (:func:`odedelta.model.compiled.compiled` fills it on first
    use): a place of their own, not the memo, which forgets its oldest answers and would have them rebuilt.
    A CompiledCatalog, typed Any: compiled.py imports this module."""

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_documents(cls, documents: Iterable[Document]) -> Catalog:
        """Build and check a catalog; raise :class:`CatalogError` listing every problem found. The documents are
        read one by one and not kept (an iterator that parses each file when asked holds one file at a time)."""
        catalog = cls()
        problems: list[Problem] = []
        reader = Reader()  # one per catalog: its equal strings and repeated records are shared
        try:
            for doc in documents:
                problems.extend(catalog._add_document(doc, reader))
                del doc  # not kept while the next document is read
        finally:
            reader.close()
        problems.extend(catalog._link())
        problems.extend(catalog.check())
        if problems:
            problems = sorted(set(problems), key=Problem.sort_key)
            raise CatalogError(f"the catalog has {len(problems)} problem(s)", problems)
        catalog.warnings = sorted(set(catalog._warnings()), key=Problem.sort_key)
        return catalog

    def _add_document(self, doc: Document, reader: Reader) -> list[Problem]:
        items = doc.data if isinstance(doc.data, list) else [doc.data]
        prefix: tuple[int, ...] = ()
        problems: list[Problem] = []
        for index, item in enumerate(items):
            parts = (index,) if isinstance(doc.data, list) else prefix
            origin = Origin(doc.file, parts)
            if not isinstance(item, dict):
                problems.append(origin.problem(f"expected a TMF resource (an object), found {_kind_of(item)}"))
                continue
            kind = kind_from_type(item) or doc.kind_hint
            if kind == CATALOG:
                problems.extend(self._add_catalog_document(item, origin, reader))
                continue
            if kind is None:
                found = item.get("@type")
                problems.append(
                    origin.problem(
                        f"cannot tell what this resource is: @type is {found!r}; expected one of "
                        f"{', '.join(sorted(TYPE_NAMES))}, or a file named after the kind (productOffering.json...)"
                    )
                )
                continue
            problems.extend(self._add_resource(kind, item, origin, reader))
        return problems

    def _add_catalog_document(self, item: dict[str, Any], origin: Origin, reader: Reader) -> list[Problem]:
        try:
            document = reader.read(CatalogDocument, item)
        except ValidationError as exc:
            return [_pydantic_problem(origin, error, CATALOG, item.get("id")) for error in exc.errors()]
        if document.id in self.catalog_documents:
            first = self.origins[(CATALOG, document.id)]
            return [origin.problem(f"duplicate catalog id {document.id!r} (first defined in {first.file} at "
                                   f"{first.problem('').path})", "id")]
        self.catalog_documents[document.id] = document
        self.origins[(CATALOG, document.id)] = origin
        return []

    def _add_resource(self, kind: str, item: dict[str, Any], origin: Origin, reader: Reader,
                      inline: bool = False) -> list[Problem]:
        try:
            model: Resource = reader.read(KINDS[kind], item)
        except ValidationError as exc:
            return [_pydantic_problem(origin, error, kind, item.get("id")) for error in exc.errors()]
        table: dict[str, Any] = getattr(self, _TABLES[kind])
        id_ = model.id
        if id_ in table:
            if inline:  # an embedded copy of a resource defined elsewhere: the stand-alone one wins
                return []
            if (kind, id_) in self._inline:
                self._inline.discard((kind, id_))
            else:
                first = self.origins[(kind, id_)]
                return [origin.problem(f"duplicate {KIND_LABEL[kind]} id {id_!r} (first defined in {first.file} "
                                       f"at {first.problem('').path})", "id")]
        table[id_] = model
        self.origins[(kind, id_)] = origin
        if inline:
            self._inline.add((kind, id_))
        problems: list[Problem] = []
        if kind == OFFERING:
            problems.extend(self._add_inline(item, origin, reader))
        return problems

    def _add_inline(self, offering: dict[str, Any], origin: Origin, reader: Reader) -> list[Problem]:
        """Embedded prices and specifications (``ProductOfferingPriceRefOrValue``) become resources too."""
        problems: list[Problem] = []
        spec = offering.get("productSpecification")
        if isinstance(spec, dict) and not REF_KEYS.issuperset(spec) and spec.get("id"):
            problems.extend(self._add_resource(SPECIFICATION, spec, _child(origin, "productSpecification"), reader,
                                               True))
        for i, pop in enumerate(offering.get("productOfferingPrice") or []):
            if isinstance(pop, dict) and not REF_KEYS.issuperset(pop) and pop.get("id"):
                problems.extend(self._add_resource(PRICE, pop, _child(origin, "productOfferingPrice", i), reader,
                                                   True))
        return problems

    def _link(self) -> list[Problem]:
        """Build the graph; report every reference that points at nothing."""
        g = self.graph
        problems: list[Problem] = []
        for kind in KINDS:
            for id_ in getattr(self, _TABLES[kind]):
                g.add_node(kind, id_)

        def ref(kind: str, id_: str | None, origin: Origin, *parts: str | int) -> bool:
            table = getattr(self, _TABLES[kind])
            if id_ is None:
                problems.append(origin.problem(f"reference without an id; expected a {KIND_LABEL[kind]} id", *parts))
                return False
            if id_ not in table:
                hint = did_you_mean(id_, table)
                problems.append(origin.problem(f"unknown {KIND_LABEL[kind]} {id_!r}{hint}", *parts, "id"))
                return False
            return True

        for oid, offering in self.offerings.items():
            node = (OFFERING, oid)
            origin = self.origins[node]
            if offering.product_specification is not None:
                sid = offering.product_specification.id
                if ref(SPECIFICATION, sid, origin, "productSpecification"):
                    g.link(node, (SPECIFICATION, str(sid)), "specifies")
            for i, bundled in enumerate(offering.bundled_product_offering):
                if ref(OFFERING, bundled.id, origin, "bundledProductOffering", i):
                    g.link(node, (OFFERING, str(bundled.id)), "bundles", Component(
                        slot=i, offering_id=str(bundled.id), lower=bundled.lower, upper=bundled.upper,
                        default=bundled.default))
            for i, pop in enumerate(offering.product_offering_price):
                if ref(PRICE, pop.id, origin, "productOfferingPrice", i):
                    g.link(node, (PRICE, str(pop.id)), "priced_by")
            for i, rel in enumerate(offering.product_offering_relationship):
                if ref(OFFERING, rel.id, origin, "productOfferingRelationship", i):
                    g.link(node, (OFFERING, str(rel.id)), "related", rel.relationship_type or "")
            for i, cat in enumerate(offering.category if self.categories else ()):  # a catalog without
                if ref(CATEGORY, cat.id, origin, "category", i):  # categories may still name them
                    g.link(node, (CATEGORY, str(cat.id)), "in_category")
        for pid, price in self.prices.items():
            origin = self.origins[(PRICE, pid)]
            for i, pop_rel in enumerate(price.pop_relationship):
                if ref(PRICE, pop_rel.id, origin, "popRelationship", i):
                    g.link((PRICE, pid), (PRICE, str(pop_rel.id)), "pop_related", pop_rel.relationship_type or "")
        for prid, promotion in self.promotions.items():
            problems.extend(self._link_promotion(prid, promotion, ref))
        for cid, document in self.catalog_documents.items():
            for i, cat in enumerate(document.category if self.categories else ()):
                ref(CATEGORY, cat.id, self.origins[(CATALOG, cid)], "category", i)
        return problems

    def _link_promotion(self, prid: str, promotion: Promotion, ref: Any) -> list[Problem]:
        origin = self.origins[(PROMOTION, prid)]
        node = (PROMOTION, prid)
        problems: list[Problem] = []
        for p, pattern in enumerate(promotion.pattern):
            for g_i, group in enumerate(pattern.criteria_group):
                for c, criterion in enumerate(group.criteria):
                    where = ("pattern", p, "criteriaGroup", g_i, "criteria", c)
                    kind = CRITERIA_PARAMETERS.get((criterion.criteria_parameter or "").lower())
                    if kind is None or criterion.criteria_value is None:
                        continue
                    for value in _criteria_values(criterion.criteria_value):
                        if value not in getattr(self, _TABLES[kind]):
                            hint = did_you_mean(value, getattr(self, _TABLES[kind]))
                            problems.append(
                                origin.problem(f"criterion names unknown {KIND_LABEL[kind]} {value!r}{hint}",
                                               *where, "criteriaValue")
                            )
                        else:
                            self.graph.add_edge(node, (kind, value), "criterion")
            for a, action in enumerate(pattern.action):
                for r, entity in enumerate(action.entity_refs):
                    parts: tuple[str | int, ...] = ("pattern", p, "action", a, "actionEntityRef")
                    if isinstance(action.action_entity_ref, list):
                        parts = (*parts, r)
                    kind = _ref_kind(entity.referred_type, entity.type)
                    if ref(kind, entity.id, origin, *parts):
                        self.graph.add_edge(node, (kind, str(entity.id)), "discounts")
        return problems

    # ------------------------------------------------------------------ consistency
    def check(self) -> list[Problem]:
        """Problems that are not dangling references: cardinalities, cycles, prices, characteristic values."""
        problems: list[Problem] = []
        for oid, offering in self.offerings.items():
            if offering.bundled_product_offering:  # without components and value uses there is nothing to check
                problems.extend(self._check_bundle(offering, self.origins[(OFFERING, oid)]))
            if offering.prod_spec_char_value_use:
                problems.extend(self._check_value_uses(offering, self.origins[(OFFERING, oid)]))
        for cycle in self.graph.bundle_cycles():
            origin = self.origins[(OFFERING, cycle[0])]
            path = " → ".join([*cycle, cycle[0]])
            problems.append(origin.problem(f"bundle cycle: {path} (an offering cannot contain itself)",
                                           "bundledProductOffering"))
        for pid, price in self.prices.items():
            problems.extend(_check_price(price, self.origins[(PRICE, pid)]))
        for sid, spec in self.specifications.items():
            origin = self.origins[(SPECIFICATION, sid)]
            for c, char in enumerate(spec.product_spec_characteristic):
                defaults = [v for v in char.values if v.is_default]
                if len(defaults) > 1:
                    problems.append(origin.problem(
                        f"characteristic {char.name!r} has {len(defaults)} default values; expected at most one",
                        "productSpecCharacteristic", c))
        return problems

    def _warnings(self) -> list[Problem]:
        """Defaults applied and things loaded that nothing uses (see :attr:`warnings`)."""
        g = self.graph
        out: list[Problem] = []
        for pid, price in self.prices.items():
            origin = self.origins[(PRICE, pid)]
            if (price.price_type or "").lower() == "recurring" and not price.recurring_charge_period_type:
                out.append(origin.problem(
                    f"recurring price {pid!r} has no recurringChargePeriodType: read as per "
                    f"{DEFAULT_PERIOD} (write recurringChargePeriodType to say otherwise)",
                    "recurringChargePeriodType"))
            if not g.used_by(PRICE, pid, ("priced_by", "pop_related")):
                named = f" ({price.name})" if price.name else ""
                back = (price.model_extra or {}).get("productOffering")
                hint = (f"; it names offering {back['id']!r} in 'productOffering', a field TMF620 does not define "
                        "on a price: list the price in that offering's productOfferingPrice instead"
                        if isinstance(back, dict) and back.get("id") else "")
                out.append(origin.problem(
                    f"price {pid!r}{named} is attached to no offering: no productOffering lists it in "
                    f"productOfferingPrice, so it is never charged{hint}", "id"))
        for sid in self.specifications:
            if not g.used_by(SPECIFICATION, sid, ("specifies",)):
                out.append(self.origins[(SPECIFICATION, sid)].problem(
                    f"specification {sid!r} is used by no offering (no productOffering names it in "
                    "productSpecification)", "id"))
        for prid in self.promotions:
            if not g.out_edges_of(PROMOTION, prid):
                out.append(self.origins[(PROMOTION, prid)].problem(
                    f"promotion {prid!r} names no offering, specification or category of this catalog (in its "
                    "criteria or actions), so it applies to nothing", "pattern"))
        for cid, document in self.catalog_documents.items():
            if not document.category:
                out.append(self.origins[(CATALOG, cid)].problem(
                    f"catalog {cid!r} lists no category: its validFor limits no offering", "category"))
        return out

    def _check_bundle(self, offering: ProductOffering, origin: Origin) -> list[Problem]:
        problems = []
        if offering.is_bundle is False and offering.bundled_product_offering:
            problems.append(origin.problem(
                f"offering {offering.id!r}: isBundle is false but bundledProductOffering lists "
                f"{len(offering.bundled_product_offering)} offering(s); expected isBundle true", "isBundle"))
        for i, slot in enumerate(offering.bundled_product_offering):
            where = ("bundledProductOffering", i, "bundledProductOfferingOption")
            named = f"offering {offering.id!r}, bundled offering {slot.id!r}: "  # not only the index
            opt = slot.bundled_product_offering_option
            limits = [opt.number_rel_offer_lower_limit, opt.number_rel_offer_upper_limit,
                      opt.number_rel_offer_default] if opt else []
            if any(v is not None and v < 0 for v in limits):
                problems.append(origin.problem(f"{named}negative cardinality; expected numbers ≥ 0", *where))
            elif slot.upper is not None and slot.lower > slot.upper:
                problems.append(origin.problem(
                    f"{named}numberRelOfferLowerLimit {slot.lower} > numberRelOfferUpperLimit {slot.upper}", *where))
            elif slot.default < slot.lower or (slot.upper is not None and slot.default > slot.upper):
                upper = "unbounded" if slot.upper is None else slot.upper
                problems.append(origin.problem(
                    f"{named}numberRelOfferDefault {slot.default} is outside the limits {slot.lower}..{upper}",
                    *where, "numberRelOfferDefault"))
        return problems

    def _check_value_uses(self, offering: ProductOffering, origin: Origin) -> list[Problem]:
        spec = self.specifications.get(offering.spec_id or "")
        if spec is None:
            return []
        problems = []
        for u, use in enumerate(offering.prod_spec_char_value_use):
            char = spec.characteristic(use.name)
            if char is None:
                names = [c.name for c in spec.product_spec_characteristic]
                problems.append(origin.problem(
                    f"specification {spec.id!r} has no characteristic {use.name!r}{did_you_mean(use.name, names)}",
                    "prodSpecCharValueUse", u, "name"))
                continue
            for v, value in enumerate(use.product_spec_characteristic_value):
                if not _value_allowed(value.value, char.values):
                    allowed = ", ".join(value_key(x.value) for x in char.values)
                    problems.append(origin.problem(
                        f"value {value_key(value.value)!r} of {use.name!r} is not allowed by specification "
                        f"{spec.id!r} (allowed: {allowed})",
                        "prodSpecCharValueUse", u, "productSpecCharacteristicValue", v, "value"))
        return problems

    # ------------------------------------------------------------------ queries
    def offering(self, offering_id: str) -> ProductOffering:
        return self.offerings[offering_id]

    def name_of(self, offering_id: str | None) -> str:
        """What a person calls the offering: its name, else its id."""
        offering = self.offerings.get(offering_id or "")
        return (offering.name or offering.id) if offering else str(offering_id)

    def specification_of(self, offering_id: str) -> ProductSpecification | None:
        sid = self.graph.specification_of(offering_id)
        return self.specifications.get(sid) if sid else None

    def allowed_values(self, offering_id: str, name: str,
                       spec_id: str | None = None) -> list[CharacteristicValue] | None:
        """The values the offering allows for a characteristic (its prodSpecCharValueUse narrows the
        specification's); None when any value is allowed; an empty list when the characteristic is unknown."""
        offering = self.offerings.get(offering_id)
        if offering is not None:
            use = offering.char_value_use(name)
            if use is not None and use.product_spec_characteristic_value:
                return list(use.product_spec_characteristic_value)
        spec = self.specifications.get(spec_id or (offering.spec_id if offering else None) or "")
        char = spec.characteristic(name) if spec else None
        if char is None:
            return []
        return char.values or None

    def remembered(self, key: tuple[Any, ...], compute: Callable[[], Answer]) -> Answer:
        """The answer of a pure query over this catalog, computed once per ``key`` (an unhashable key: each time).
        A query that depends on a moment keys it by :meth:`epoch`, not by the moment itself."""
        return self.memo.get(key, compute)

    def epoch(self, moment: datetime) -> int:
        """Which stretch of time between the catalog's validity boundaries ``moment`` falls in. Every validFor of
        the catalog (start inclusive, end exclusive) says the same of two moments of one epoch, so answers that
        depend on a moment only through validity are keyed by it: a handful of keys however many moments."""
        return bisect.bisect_right(self._boundaries, moment)

    @cached_property
    def _boundaries(self) -> list[datetime]:
        periods = [x.valid_for for group in (self.offerings, self.prices, self.promotions, self.catalog_documents)
                   for x in group.values()]
        return sorted({edge for p in periods if p is not None for edge in (p.start, p.end) if edge is not None})

    def is_allowed(self, offering_id: str, name: str, value: Any, spec_id: str | None = None) -> bool:
        def compute() -> bool:
            allowed = self.allowed_values(offering_id, name, spec_id)
            return allowed is None or _value_allowed(value, allowed)

        if not rememberable(value):
            return compute()
        return self.remembered(("allowed", offering_id, name, spec_id, type(value), value), compute)

    def default_value(self, offering_id: str, name: str, spec_id: str | None = None) -> tuple[bool, Any]:
        """``(True, value)`` for the default the offering gives a characteristic; ``(False, None)`` if none."""
        allowed = self.allowed_values(offering_id, name, spec_id) or []
        for value in allowed:
            if value.is_default:
                return True, value.value
        if len(allowed) == 1:
            return True, allowed[0].value
        return False, None

    def sellable(self, offering_id: str, as_of: datetime) -> tuple[bool, str]:
        """Whether the offering can be ordered at ``as_of``, and why not."""
        offering = self.offerings[offering_id]
        status = (offering.lifecycle_status or "").strip()
        if status and status.lower() not in SELLABLE_STATUSES:
            return False, f"offering {offering_id!r} is not sellable: lifecycleStatus is {status!r}"
        if offering.is_sellable is False:
            return False, f"offering {offering_id!r} is not sellable (isSellable is false)"
        if not in_period(offering.valid_for, as_of):
            return False, (f"offering {offering_id!r} is not sellable at {as_of.isoformat()} "
                           f"(validFor {_period_text(offering.valid_for)})")
        listing = self._listing_catalogs(offering_id)
        if listing and not any(in_period(c.valid_for, as_of) for c in listing):
            named = ", ".join(f"{c.id!r} (validFor {_period_text(c.valid_for)})" for c in listing)
            return False, (f"offering {offering_id!r} is not sellable at {as_of.isoformat()}: the catalog(s) "
                           f"listing its categories are not valid then: {named}")
        return True, ""

    def _listing_catalogs(self, offering_id: str) -> list[CatalogDocument]:
        """The Catalog documents that list one of the offering's categories or their parents (none: no catalog
        limits it)."""
        if not self.catalog_documents:
            return []

        def compute() -> tuple[CatalogDocument, ...]:
            categories: set[str] = set()
            for category in self.graph.categories_of(offering_id):
                while category and category not in categories:  # the category and its parents (parentId)
                    categories.add(category)
                    parent = self.categories.get(category)
                    category = parent.parent_id if parent is not None and parent.parent_id else ""
            return tuple(c for c in self.catalog_documents.values() if categories & {ref.id for ref in c.category})

        return list(self.remembered(("listing catalogs", offering_id), compute))

    def successors(self, offering_id: str) -> list[str]:
        return [t for t, kind in self.graph.related(offering_id) if kind.lower() in SUCCESSOR_TYPES]

    def migration_targets(self, offering_id: str) -> list[str]:
        return [t for t, kind in self.graph.related(offering_id) if kind.lower() in MIGRATION_TYPES]

    def counts(self) -> dict[str, int]:
        counts = {KIND_LABEL[kind]: len(getattr(self, _TABLES[kind])) for kind in KINDS}
        if self.catalog_documents:
            counts[KIND_LABEL[CATALOG]] = len(self.catalog_documents)
        return counts

    def supplier_of(self, offering_id: str) -> str | None:
        spec = self.specification_of(offering_id)
        party = spec.supplier if spec else None
        return (party.party_id or party.party_name) if party else None


_TABLES = {
    OFFERING: "offerings",
    SPECIFICATION: "specifications",
    PRICE: "prices",
    CATEGORY: "categories",
    PROMOTION: "promotions",
}


def _child(origin: Origin, *parts: str | int) -> Origin:
    return Origin(origin.file, (*origin.parts, *parts))


def _kind_of(value: Any) -> str:
    return {list: "a list", str: "a string", type(None): "nothing", bool: "a boolean"}.get(type(value), "a number")


def _period_text(period: TimePeriod | None) -> str:
    start = period.start.isoformat() if period and period.start else "…"
    end = period.end.isoformat() if period and period.end else "…"
    return f"{start} – {end}"


def _criteria_values(text: str) -> Iterator[str]:
    """``criteriaValue`` is free text: one id, or several separated by commas (for the ``in`` operator)."""
    for part in text.split(","):
        part = part.strip()
        if part:
            yield part


def _ref_kind(referred_type: str | None, type_name: str | None) -> str:
    """The kind a reference points at, typed either way: ``@referredType: ProductOfferingPrice`` (v4) or
    ``@type: ProductOfferingPriceRef`` (v5); an offering when it says neither."""
    for name in (referred_type, (type_name or "").removesuffix("Ref") or None):
        if name:
            bases = [base for base in TYPE_NAMES if name.startswith(base) and TYPE_NAMES[base] in KINDS]
            if bases:
                return TYPE_NAMES[max(bases, key=len)]
    return OFFERING


def _value_allowed(value: Any, allowed: Iterable[CharacteristicValue]) -> bool:
    key = value_key(value)
    for spec_value in allowed:
        if spec_value.value is not None and value_key(spec_value.value) == key:
            return True
        if (spec_value.value is None and (spec_value.value_from is not None or spec_value.value_to is not None)
                and _in_range(value, spec_value)):
            return True
    return False


def _check_price(price: ProductOfferingPrice, origin: Origin) -> list[Problem]:
    problems = []
    if price.price is not None and price.price.value is not None and not price.price.unit:
        problems.append(origin.problem(f"price {price.price.value} has no currency; expected price.unit "
                                       "(an ISO 4217 code such as EUR)", "price", "unit"))
    if price.price is not None and price.price.unit and not _CURRENCY.fullmatch(price.price.unit):
        problems.append(origin.problem(f"currency {price.price.unit!r} is not an ISO 4217 code (three capitals)",
                                       "price", "unit"))
    value = price.price.value if price.price is not None else None
    if value is not None and not Decimal(value).is_finite():
        problems.append(origin.problem(f"price {value} is not a finite amount", "price", "value"))
    elif value is not None and value < 0 and (price.price_type or "").lower() != "discount":
        problems.append(origin.problem(f"negative price {value}: a reduction is a priceType 'discount' or a "
                                       "promotion", "price", "value"))
    return problems


def _pydantic_problem(origin: Origin, error: Any, kind: str, entity: Any = None) -> Problem:
    loc = tuple(error["loc"])
    named = f"{KIND_LABEL[kind]} {entity!r}: " if isinstance(entity, str) else ""
    if error["type"] == "missing":
        who = f"{KIND_LABEL[kind]} {entity!r}" if isinstance(entity, str) else KIND_LABEL[kind]
        return origin.problem(f"{who} lacks required field {loc[-1]!r}", *loc)
    message, suggestion = plain_words(error, loc)
    return replace(origin.problem(f"{named}{message}", *loc), suggestion=suggestion)

