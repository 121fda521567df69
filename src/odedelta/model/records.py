"""The catalog as compact immutable records, read from TMF620/TMF671 JSON with pydantic's exact meaning.

A loaded catalog lives as long as the process and is only read, so it is held in named tuples rather than pydantic
models: a record is one tuple (no ``__dict__``, no set of the fields given, no dict of extras when there are none),
repeated values (the same ``validFor``, the same cardinalities, the same ids and statuses) are one object, and
fewer objects are left for the garbage collector to walk (10,000 offerings: 0.39 million objects instead of 0.65).

Each record has the attributes, properties and methods of the pydantic model of the same name in
:mod:`odedelta.model.tmf` (which stays the input model: it defines what is valid, and the inventory uses it), with
tuples where the model has lists and ``model_extra`` for the fields TMF defines and odedelta does not read (None when
there are none). :class:`Reader` builds them: a fast path reads the plain shapes (each value of exactly the type
the model declares) and hands anything else — a number written as a string, a field spelled by its Python name, a
mistake — to the pydantic model, whose answer (or :class:`pydantic.ValidationError`, with its precise locations) is
the one the loader always gave.

One difference from the model: a record keeps the values the document gave, not which fields it wrote (no set of the
fields given, above), so a field the model declares written as ``null``, or as an empty list where the model's
default is an empty list, reads as if it were absent. Hence ``to_tmf()`` leaves out such an explicit empty list
(``"category": []``) where the model's ``to_tmf()`` keeps it, and ``model_dump(exclude_unset=True)`` leaves out
those empty lists and those explicit ``null`` values too (unknown fields are kept as they came); a dump without
``exclude_unset`` is the model's. Nothing odedelta computes reads which fields were written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from types import CodeType, UnionType
from typing import Any, NamedTuple, TypeVar, Union, get_args, get_origin

from pydantic import ValidationError

from odedelta.model import tmf
from odedelta.model.money import Money

Extra = dict[str, Any] | None
"""The fields a record's TMF document has beyond those odedelta reads, kept as they came (None: none)."""


class TimePeriod(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    start: datetime | None
    end: datetime | None
    model_extra: Extra

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` is inside the period (start inclusive, end exclusive; open ends are open)."""
        return (self.start is None or self.start <= moment) and (self.end is None or moment < self.end)


class Quantity(NamedTuple):
    """A Quantity (v4) or Duration (v5): ``amount`` and ``units`` such as ``month``/``Months``/``year``/``day``."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    amount: Decimal | None
    units: str | None
    model_extra: Extra

    def months(self) -> int | None:
        """The duration in whole months, or None when the unit is not month- or year-based."""
        return tmf.quantity_months(self.amount, self.units)


class TmfMoney(NamedTuple):
    """TMF ``Money``: ``unit`` is the ISO 4217 currency, ``value`` the amount."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    unit: str | None
    value: Decimal | None
    model_extra: Extra

    def money(self) -> Money | None:
        if self.value is None or self.unit is None:
            return None
        return Money(self.value, self.unit)


class Ref(NamedTuple):
    """An EntityRef (``id``, ``href``, ``name``, ``@referredType``)."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    href: str | None
    name: str | None
    version: str | None
    referred_type: str | None
    model_extra: Extra


class CategoryRef(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    href: str | None
    name: str | None
    version: str | None
    referred_type: str | None
    model_extra: Extra


class CharacteristicValue(NamedTuple):
    """ProductSpecificationCharacteristicValue (v4) / CharacteristicValueSpecification (v5)."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    value: Any
    value_type: str | None
    is_default: bool | None
    unit_of_measure: str | None
    value_from: Any
    value_to: Any
    valid_for: TimePeriod | None
    model_extra: Extra


class CharacteristicSpec(NamedTuple):
    """ProductSpecificationCharacteristic (v4) / CharacteristicSpecification (v5)."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    name: str
    value_type: str | None
    configurable: bool | None
    min_cardinality: int | None
    max_cardinality: int | None
    product_spec_characteristic_value: tuple[CharacteristicValue, ...] | None
    characteristic_value_specification: tuple[CharacteristicValue, ...] | None
    valid_for: TimePeriod | None
    model_extra: Extra

    @property
    def values(self) -> list[CharacteristicValue]:
        return list(self.product_spec_characteristic_value or self.characteristic_value_specification or [])

    @property
    def mandatory(self) -> bool:
        return (self.min_cardinality or 0) > 0


class RelatedParty(NamedTuple):
    """RelatedParty (v4: ``id``/``name``/``role``) or RelatedPartyOrPartyRole (v5: ``role`` + ``partyOrPartyRole``)."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    name: str | None
    role: str | None
    party_or_party_role: Ref | None
    referred_type: str | None
    model_extra: Extra

    @property
    def party_id(self) -> str | None:
        return self.party_or_party_role.id if self.party_or_party_role else self.id

    @property
    def party_name(self) -> str | None:
        return self.party_or_party_role.name if self.party_or_party_role else self.name


class ProductSpecification(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str
    href: str | None
    name: str | None
    version: str | None
    is_bundle: bool | None
    lifecycle_status: str | None
    valid_for: TimePeriod | None
    product_spec_characteristic: tuple[CharacteristicSpec, ...]
    related_party: tuple[RelatedParty, ...]
    model_extra: Extra

    def to_tmf(self) -> dict[str, Any]:
        """The resource as TMF JSON (:func:`as_model`; what a record does not keep: the module's docstring)."""
        return as_model(self).to_tmf()

    def model_dump(self, **options: Any) -> dict[str, Any]:
        """As :meth:`pydantic.BaseModel.model_dump` (:func:`as_model`; what a record does not keep: the module's
        docstring)."""
        return as_model(self).model_dump(**options)

    def characteristic(self, name: str) -> CharacteristicSpec | None:
        for char in self.product_spec_characteristic:
            if char.name == name:
                return char
        return None

    @property
    def supplier(self) -> RelatedParty | None:
        """The partner that supplies this product: the related party whose role is ``supplier``/``partner``."""
        for party in self.related_party:
            if (party.role or "").strip().lower() in tmf.SUPPLIER_ROLES:
                return party
        return None


class CharValueUse(NamedTuple):
    """ProductSpecificationCharacteristicValueUse: how an offering narrows a specification's characteristic."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    name: str
    value_type: str | None
    min_cardinality: int | None
    max_cardinality: int | None
    product_spec_characteristic_value: tuple[CharacteristicValue, ...]
    product_specification: Ref | None
    valid_for: TimePeriod | None
    model_extra: Extra


class BundledOfferingOption(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    number_rel_offer_default: int | None
    number_rel_offer_lower_limit: int | None
    number_rel_offer_upper_limit: int | None
    model_extra: Extra


class BundledOffering(NamedTuple):
    """A component slot of a bundle offering: the offering and how many of it the bundle holds."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    href: str | None
    name: str | None
    version: str | None
    referred_type: str | None
    lifecycle_status: str | None
    bundled_product_offering_option: BundledOfferingOption | None
    model_extra: Extra

    @property
    def lower(self) -> int:
        return tmf.lower_limit(self.bundled_product_offering_option)

    @property
    def upper(self) -> int | None:
        """None means unbounded (the upper limit is absent)."""
        return tmf.upper_limit(self.bundled_product_offering_option)

    @property
    def default(self) -> int:
        return tmf.default_count(self.bundled_product_offering_option)


class OfferingTerm(NamedTuple):
    """ProductOfferingTerm: a commitment (``duration``) the offering is sold with."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    name: str | None
    description: str | None
    duration: Quantity | None
    valid_for: TimePeriod | None
    model_extra: Extra


class OfferingRelationship(NamedTuple):
    """ProductOfferingRelationship; ``relationshipType`` is free text (see the README for the ones odedelta reads)."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    href: str | None
    name: str | None
    version: str | None
    referred_type: str | None
    relationship_type: str | None
    role: str | None
    valid_for: TimePeriod | None
    model_extra: Extra


class PopRelationship(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    href: str | None
    name: str | None
    version: str | None
    referred_type: str | None
    relationship_type: str | None
    role: str | None
    model_extra: Extra


class ProductOfferingPrice(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str
    href: str | None
    name: str | None
    version: str | None
    description: str | None
    price_type: str | None
    recurring_charge_period_type: str | None
    recurring_charge_period_length: int | None
    price: TmfMoney | None
    percentage: Decimal | None
    is_bundle: bool | None
    lifecycle_status: str | None
    valid_for: TimePeriod | None
    pop_relationship: tuple[PopRelationship, ...]
    product_offering_term: tuple[OfferingTerm, ...]
    model_extra: Extra

    def to_tmf(self) -> dict[str, Any]:
        """The resource as TMF JSON (:func:`as_model`; what a record does not keep: the module's docstring)."""
        return as_model(self).to_tmf()

    def model_dump(self, **options: Any) -> dict[str, Any]:
        """As :meth:`pydantic.BaseModel.model_dump` (:func:`as_model`; what a record does not keep: the module's
        docstring)."""
        return as_model(self).model_dump(**options)


class AllowedProductAction(NamedTuple):
    """TMF620 v5 AllowedProductAction: an action (``add``, ``modify``, ``delete``…) products of the offering may
    undergo in a product order, in these sales channels (none listed: any), during ``validFor`` (absent: always)."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    action: str | None
    valid_for: TimePeriod | None
    channel: tuple[Ref, ...]
    model_extra: Extra


class ProductOffering(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str
    href: str | None
    name: str | None
    version: str | None
    description: str | None
    is_bundle: bool | None
    is_sellable: bool | None
    lifecycle_status: str | None
    status_reason: str | None
    valid_for: TimePeriod | None
    product_specification: Ref | None
    bundled_product_offering: tuple[BundledOffering, ...]
    product_offering_price: tuple[Ref, ...]
    product_offering_term: tuple[OfferingTerm, ...]
    prod_spec_char_value_use: tuple[CharValueUse, ...]
    product_offering_relationship: tuple[OfferingRelationship, ...]
    category: tuple[CategoryRef, ...]
    allowed_action: tuple[AllowedProductAction, ...]
    """TMF620 v5: the actions products of this offering may undergo (empty: any action, as in v4)."""
    policy: tuple[Ref, ...]
    """TMF620 v5 PolicyRef: policies applied to the offering; one naming a rule binds that rule to this offering
    (README, "Rules")."""
    model_extra: Extra

    def to_tmf(self) -> dict[str, Any]:
        """The resource as TMF JSON (:func:`as_model`; what a record does not keep: the module's docstring)."""
        return as_model(self).to_tmf()

    def model_dump(self, **options: Any) -> dict[str, Any]:
        """As :meth:`pydantic.BaseModel.model_dump` (:func:`as_model`; what a record does not keep: the module's
        docstring)."""
        return as_model(self).model_dump(**options)

    @property
    def spec_id(self) -> str | None:
        ref = self.product_specification
        return None if ref is None else ref.id

    def char_value_use(self, name: str) -> CharValueUse | None:
        for use in self.prod_spec_char_value_use:
            if use.name == name:
                return use
        return None


class CatalogDocument(NamedTuple):
    """A TMF620 ``Catalog`` (v4; v5's ``ProductCatalog``): a named collection of categories, valid for a period."""

    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str
    href: str | None
    name: str | None
    catalog_type: str | None
    lifecycle_status: str | None
    valid_for: TimePeriod | None
    category: tuple[CategoryRef, ...]
    model_extra: Extra

    def to_tmf(self) -> dict[str, Any]:
        """The resource as TMF JSON (:func:`as_model`; what a record does not keep: the module's docstring)."""
        return as_model(self).to_tmf()

    def model_dump(self, **options: Any) -> dict[str, Any]:
        """As :meth:`pydantic.BaseModel.model_dump` (:func:`as_model`; what a record does not keep: the module's
        docstring)."""
        return as_model(self).model_dump(**options)


class Category(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str
    href: str | None
    name: str | None
    lifecycle_status: str | None
    parent_id: str | None
    is_root: bool | None
    model_extra: Extra

    def to_tmf(self) -> dict[str, Any]:
        """The resource as TMF JSON (:func:`as_model`; what a record does not keep: the module's docstring)."""
        return as_model(self).to_tmf()

    def model_dump(self, **options: Any) -> dict[str, Any]:
        """As :meth:`pydantic.BaseModel.model_dump` (:func:`as_model`; what a record does not keep: the module's
        docstring)."""
        return as_model(self).model_dump(**options)


class PromotionCriteria(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    criteria_parameter: str | None
    criteria_operator: str | None
    criteria_value: str | None
    model_extra: Extra


class PromotionCriteriaGroup(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    group_name: str | None
    criteria_logical_relationship: str | None
    criteria: tuple[PromotionCriteria, ...]
    model_extra: Extra


class PromotionAction(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    action_type: str | None
    action_value: str | None
    action_entity_ref: Ref | list[Ref] | None
    model_extra: Extra

    @property
    def entity_refs(self) -> list[Ref]:
        ref = self.action_entity_ref
        if ref is None:
            return []
        return list(ref) if isinstance(ref, list) else [ref]


class PromotionPattern(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str | None
    name: str | None
    priority: int | None
    criteria_group_logical_relationship: str | None
    criteria_group: tuple[PromotionCriteriaGroup, ...]
    action: tuple[PromotionAction, ...]
    valid_for: TimePeriod | None
    model_extra: Extra


class Promotion(NamedTuple):
    type: str | None
    base_type: str | None
    schema_location: str | None
    id: str
    href: str | None
    name: str | None
    description: str | None
    promotion_type: str | None
    lifecycle_status: str | None
    valid_for: TimePeriod | None
    pattern: tuple[PromotionPattern, ...]
    model_extra: Extra

    def to_tmf(self) -> dict[str, Any]:
        """The resource as TMF JSON (:func:`as_model`; what a record does not keep: the module's docstring)."""
        return as_model(self).to_tmf()

    def model_dump(self, **options: Any) -> dict[str, Any]:
        """As :meth:`pydantic.BaseModel.model_dump` (:func:`as_model`; what a record does not keep: the module's
        docstring)."""
        return as_model(self).model_dump(**options)


# ------------------------------------------------------------------------------------------------ reading
def as_model(record: Any) -> tmf.TmfModel:
    """The pydantic model of a record (not validated again: built with ``model_construct``), for what needs one:
    ``to_tmf``, ``model_dump``. The fields set are those with a value; an empty list counts as not given where the
    field's default is an empty list (so ``to_tmf`` leaves out an empty list the document wrote)."""
    model = MODELS[type(record)]
    fields = model.model_fields
    values = {name: _model_value(value) for name, value in zip(record._fields[:-1], record[:-1], strict=True)
              if value is not None and (value != () or fields[name].default is None)}
    built: tmf.TmfModel = model.model_construct(**values, **(record[-1] or {}))
    return built


def _model_value(value: Any) -> Any:
    if type(value) in MODELS:
        return as_model(value)
    if type(value) is tuple or (type(value) is list and value and type(value[0]) in MODELS):
        return [_model_value(v) for v in value]
    return value


Record = TypeVar("Record", bound=tuple[Any, ...])

MODELS: dict[type[Any], type[tmf.TmfModel]] = {
    TimePeriod: tmf.TimePeriod, Quantity: tmf.Quantity, TmfMoney: tmf.TmfMoney, Ref: tmf.Ref,
    CategoryRef: tmf.CategoryRef, CharacteristicValue: tmf.CharacteristicValue,
    CharacteristicSpec: tmf.CharacteristicSpec, RelatedParty: tmf.RelatedParty,
    ProductSpecification: tmf.ProductSpecification, CharValueUse: tmf.CharValueUse,
    BundledOfferingOption: tmf.BundledOfferingOption, BundledOffering: tmf.BundledOffering,
    OfferingTerm: tmf.OfferingTerm, OfferingRelationship: tmf.OfferingRelationship,
    PopRelationship: tmf.PopRelationship, ProductOfferingPrice: tmf.ProductOfferingPrice,
    AllowedProductAction: tmf.AllowedProductAction, ProductOffering: tmf.ProductOffering,
    CatalogDocument: tmf.CatalogDocument, Category: tmf.Category, PromotionCriteria: tmf.PromotionCriteria,
    PromotionCriteriaGroup: tmf.PromotionCriteriaGroup, PromotionAction: tmf.PromotionAction,
    PromotionPattern: tmf.PromotionPattern, Promotion: tmf.Promotion,
}
"""Each record and the pydantic model that defines it (same fields, same aliases)."""
RECORDS = {model: record for record, model in MODELS.items()}

SHARED = (TimePeriod, BundledOfferingOption, CategoryRef)
"""Records met again and again with the same content: one object per distinct document."""


class _Slow(Exception):
    """The fast path met a value it does not read exactly as pydantic would: pydantic reads the resource."""


Convert = Callable[[Any], Any]
INTERNED = {"type", "base_type", "id", "referred_type", "lifecycle_status", "price_type", "unit", "units",
            "recurring_charge_period_type", "relationship_type", "role", "value_type", "action", "criteria_parameter"}
"""The fields whose text repeats (ids named by references, statuses, types, currencies): one string each."""


class Reader:
    """Reads catalog resources into records for one catalog: equal strings and shared records are one object."""

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.shared: dict[tuple[Any, ...], Any] = {}
        self._fast: dict[type[Any], Convert] = {}
        self._kinds: dict[type[Any], list[str]] = {}
        for record in MODELS:
            self._fast[record] = self._compile(record)

    def close(self) -> None:
        """Let go of the shared strings and records and of the fast readers (which refer to the reader: a cycle
        the collector would otherwise have to find)."""
        self.strings.clear()
        self.shared.clear()
        self._fast.clear()

    def read(self, record: type[Record], item: Any) -> Record:
        """The record of a resource; raise :class:`pydantic.ValidationError` (from the model) when it is invalid."""
        try:
            answer: Record = self._fast[record](item)
        except _Slow:
            answer = self.from_model(MODELS[record].model_validate(item))
        return answer

    def from_model(self, model: tmf.TmfModel) -> Any:
        """The record of a validated pydantic model (the slow path)."""
        record = RECORDS[type(model)]
        values: list[Any] = []
        for name, kind in zip(record._fields, self._kinds[record], strict=False):
            value = getattr(model, name)
            if value is None:
                pass
            elif kind == "many":
                value = tuple(self.from_model(v) for v in value)
            elif kind == "one":
                value = self.from_model(value)
            elif kind == "union":  # a reference, or a list of them (kept a list)
                value = [self.from_model(v) for v in value] if isinstance(value, list) else self.from_model(value)
            elif type(value) is str:
                value = self.strings.setdefault(value, value)
            values.append(value)
        values.append(model.model_extra or None)
        return tuple.__new__(record, values)

    # ------------------------------------------------------------------ the fast path
    def _compile(self, record: type[Any]) -> Convert:
        """The fast reader of one record (:func:`_program`), bound to this reader's strings and nested readers."""
        program = _PROGRAMS[record]
        self._kinds[record] = program.kinds
        scope: dict[str, Any] = {"M": _MISSING, "Slow": _Slow, "new": tuple.__new__, "R": record, "D": Decimal,
                                 "S": self.strings.setdefault, "A": program.aliases, "P": program.spellings}
        scope.update({var: self._fast[nested] for var, nested in program.nested.items()})
        exec(program.code, scope)  # code written by _program from the model's own field list
        fast: Convert = scope.pop("fast")  # not in its own globals: no cycle
        return self._sharing(record, fast) if record in SHARED else fast

    def _sharing(self, record: type[Any], fast: Convert) -> Convert:
        """One record per distinct document (same keys, values equal and of the same types); dates read by
        pydantic, once per distinct period."""
        shared = self.shared
        model = MODELS[record]

        def read(item: Any) -> Any:
            if type(item) is not dict:
                raise _Slow
            types = tuple(map(type, item.values()))
            key = (record, *item.items(), *types) if Decimal not in types else ()  # 1.0 and 1.00: equal, not same
            try:
                found = shared.get(key) if key else None
            except TypeError:  # a list or an object among the values: not shared
                found, key = None, ()
            if found is None:
                try:
                    found = self.from_model(model.model_validate(item)) if record is TimePeriod else fast(item)
                except ValidationError:  # the whole resource is validated again, for the error's full path
                    raise _Slow from None
                if key:
                    shared[key] = found
            return found

        return read


class _Program(NamedTuple):
    code: CodeType
    kinds: list[str]
    """Each field's kind: ``plain``, ``one`` (a record), ``many`` (a tuple of records), ``union`` (either)."""
    nested: dict[str, type[Any]]
    """The name each nested record's reader has in the code."""
    aliases: frozenset[str]
    spellings: frozenset[str]
    """The fields' Python names that are not also their TMF names (``populate_by_name``: pydantic's to read)."""


def _program(record: type[Any]) -> _Program:
    """The fast reader of one record as code (written when the module is imported, as dataclasses and attrs write
    ``__init__``): every value checked to be exactly of the declared type, else :class:`_Slow`."""
    model = MODELS[record]
    names = list(record._fields[:-1])
    fields, kinds, nested = [], [], {}
    for i, name in enumerate(names):
        info = model.model_fields[name]
        kind, nullable, check, inner = _field(info.annotation, name, f"R{i}")
        kinds.append(kind)
        if inner is not None:
            nested[f"R{i}"] = inner
        default = "M" if info.is_required() else "None" if nullable or kind != "many" else "()"
        fields.append((info.alias or name, f"v{i}", default, nullable, check))
    built = "return new(R, (" + "".join(f"v{i}, " for i in range(len(names)))
    lines = ["def fast(item):", "    if type(item) is not dict: raise Slow", "    get = item.get",
             "    size = len(item)", "    n = 0", *(f"    {var} = {default}" for _, var, default, _, _ in fields)]
    for alias, var, default, nullable, check in sorted(fields, key=lambda f: (f[2] != "M", _rank(f[0]))):
        lines += [f"    x = get({alias!r}, M)",
                  "    if x is M: raise Slow" if default == "M" else "    if x is not M:",
                  *(f"    {'' if default == 'M' else '    '}{line}" for line in [
                      "n += 1",
                      *(["if x is None: raise Slow"] if not nullable else []),
                      *(["if x is not None:"] + [f"    {c}" for c in check] if nullable and check else check),
                      f"{var} = x",
                      f"if n == size: {built}None))"])]
    lines += ["    extra = {}", "    for k, v in item.items():", "        if k not in A:",
              "            if k in P or type(k) is not str: raise Slow", "            extra[S(k, k)] = v",
              f"    {built}extra or None))"]
    aliases = frozenset(alias for alias, *_ in fields)
    return _Program(compile("\n".join(lines), f"<reader of {record.__name__}>", "exec"), kinds, nested, aliases,
                    frozenset(names) - aliases)


def _field(annotation: Any, name: str, reader: str) -> tuple[str, bool, list[str], type[Any] | None]:
    """How the fast path reads a field of this type: its kind, whether None is allowed, the lines that check (and
    convert) its value ``x``, and the record it holds (read by ``reader``)."""
    args = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    nullable = type(None) in args
    rest = [a for a in args if a is not type(None)]
    base = rest[0] if len(rest) == 1 else None
    if get_origin(base) is list and get_args(base)[0] in RECORDS:
        return ("many", nullable, ["if type(x) is not list: raise Slow", f"x = tuple([{reader}(y) for y in x])"],
                RECORDS[get_args(base)[0]])
    if base is str:
        return "plain", nullable, ["if type(x) is not str: raise Slow", *(["x = S(x, x)"] if name in INTERNED
                                                                           else [])], None
    if base in (bool, int):
        return "plain", nullable, [f"if type(x) is not {base.__name__}: raise Slow"], None  # True is no int here
    if base is Decimal:
        return "plain", nullable, ["if type(x) is int: x = D(x)",
                                   "elif type(x) is not D or not x.is_finite(): raise Slow"], None
    if base is Any:
        return "plain", True, [], None
    if base in RECORDS:
        return "one", nullable, [f"x = {reader}(x)"], RECORDS[base]
    if len(rest) > 1 and any(r in RECORDS for r in rest):
        return "union", nullable, ["raise Slow"], None  # a reference or a list of them (actionEntityRef): pydantic's
    return "plain", nullable, ["raise Slow"], None  # dates: pydantic's (a period is shared: once per distinct one)


_MISSING: Any = object()
_COMMON = ["id", "name", "@type", "href", "lifecycleStatus", "validFor", "version", "description", "value", "unit",
           "priceType", "price", "isBundle", "productSpecification", "productOfferingPrice", "category",
           "bundledProductOffering", "bundledProductOfferingOption", "startDateTime", "endDateTime"]
"""The keys most documents have, read first: once every key of a document is read, the rest are absent."""


def _rank(alias: str) -> int:
    return _COMMON.index(alias) if alias in _COMMON else len(_COMMON)


_PROGRAMS = {record: _program(record) for record in MODELS}
