"""The TM Forum resources odedelta reads: TMF620 catalog, TMF671 promotions, TMF637 inventory.

Field names are the official ones. Both v4 and v5 shapes load: where the two versions spell one thing
differently (characteristic value specifications, product relationships, related parties, price alterations) the
model accepts both and offers one property to read it. Every field odedelta does not use is kept as it came
(``extra="allow"``) so a document can be echoed back unchanged; ``@type``, ``@baseType``, ``@schemaLocation`` and
``@referredType`` are ordinary fields (``type``, ``base_type``, ``schema_location``, ``referred_type``).

Amounts are ``Decimal``: the loaders parse JSON and YAML numbers straight to ``Decimal``, and strings such as
``"9.99"`` are accepted too, so no amount ever passes through a float.

Conventions where TMF leaves a gap (documentation: reference/tmf-mapping.md):

* ``numberRelOfferUpperLimit`` absent means *unbounded*; ``numberRelOfferLowerLimit`` absent means 0;
  ``numberRelOfferDefault`` absent means the lower limit.
* A date-time without a time zone is read as UTC.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from odedelta.model.jsonio import plain
from odedelta.model.money import Money


class TmfModel(BaseModel):
    """A TMF object: unknown fields are kept, ``@``-fields are understood, output uses the official names."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, validate_assignment=False)

    type: str | None = Field(default=None, alias="@type")
    base_type: str | None = Field(default=None, alias="@baseType")
    schema_location: str | None = Field(default=None, alias="@schemaLocation")

    def __setattr__(self, name: str, value: Any) -> None:
        """Refused before anything is written when the object is a part held read-only (its fields set is the
        shared :class:`ReadOnlySet`): pydantic writes the value first and records the name after, so the set alone
        refused only once the value had changed — for every product holding the part (found in review)."""
        if type(self.__pydantic_fields_set__) is ReadOnlySet:
            _read_only(self)
        super().__setattr__(name, value)

    def to_tmf(self) -> dict[str, Any]:
        """The document as TMF JSON: official names, absent fields left out, every unknown field kept."""
        document: dict[str, Any] = plain(self.model_dump(by_alias=True, exclude_unset=True, exclude_none=True))
        return document


class Ref(TmfModel):
    """An EntityRef (``id``, ``href``, ``name``, ``@referredType``)."""

    id: str | None = None
    href: str | None = None
    name: str | None = None
    version: str | None = None
    referred_type: str | None = Field(default=None, alias="@referredType")


class TimePeriod(TmfModel):
    start: datetime | None = Field(default=None, alias="startDateTime")
    end: datetime | None = Field(default=None, alias="endDateTime")

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def contains(self, moment: datetime) -> bool:
        """True when ``moment`` is inside the period (start inclusive, end exclusive; open ends are open)."""
        return (self.start is None or self.start <= moment) and (self.end is None or moment < self.end)


class Period(Protocol):
    """A validFor: this model's, or a catalog record's (:mod:`odedelta.model.records`)."""

    def contains(self, moment: datetime) -> bool: ...


def in_period(period: Period | None, moment: datetime) -> bool:
    return period is None or period.contains(moment)


class Quantity(TmfModel):
    """A Quantity (v4) or Duration (v5): ``amount`` and ``units`` such as ``month``/``Months``/``year``/``day``."""

    amount: Decimal | None = None
    units: str | None = None

    def months(self) -> int | None:
        """The duration in whole months, or None when the unit is not month- or year-based."""
        return quantity_months(self.amount, self.units)


def quantity_months(amount: Decimal | None, units: str | None) -> int | None:
    """A duration in whole months, or None when the unit is not month- or year-based."""
    if amount is None or units is None:
        return None
    unit = units.strip().lower().rstrip("s")
    if unit == "month":
        return int(amount)
    if unit == "year":
        return int(amount * 12)
    return None


class TmfMoney(TmfModel):
    """TMF ``Money``: ``unit`` is the ISO 4217 currency, ``value`` the amount."""

    unit: str | None = None
    value: Decimal | None = None

    def money(self) -> Money | None:
        if self.value is None or self.unit is None:
            return None
        return Money(self.value, self.unit)


# --------------------------------------------------------------------------------------------- TMF620 catalog


class CharacteristicValue(TmfModel):
    """ProductSpecificationCharacteristicValue (v4) / CharacteristicValueSpecification (v5)."""

    value: Any = None
    value_type: str | None = Field(default=None, alias="valueType")
    is_default: bool | None = Field(default=None, alias="isDefault")
    unit_of_measure: str | None = Field(default=None, alias="unitOfMeasure")
    value_from: Any = Field(default=None, alias="valueFrom")
    value_to: Any = Field(default=None, alias="valueTo")
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")


class CharacteristicSpec(TmfModel):
    """ProductSpecificationCharacteristic (v4) / CharacteristicSpecification (v5)."""

    id: str | None = None
    name: str
    value_type: str | None = Field(default=None, alias="valueType")
    configurable: bool | None = None
    min_cardinality: int | None = Field(default=None, alias="minCardinality")
    max_cardinality: int | None = Field(default=None, alias="maxCardinality")
    product_spec_characteristic_value: list[CharacteristicValue] | None = Field(
        default=None, alias="productSpecCharacteristicValue"
    )
    characteristic_value_specification: list[CharacteristicValue] | None = Field(
        default=None, alias="characteristicValueSpecification"
    )
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")

    @property
    def values(self) -> list[CharacteristicValue]:
        return list(self.product_spec_characteristic_value or self.characteristic_value_specification or [])

    @property
    def mandatory(self) -> bool:
        return (self.min_cardinality or 0) > 0


class RelatedParty(TmfModel):
    """RelatedParty (v4: ``id``/``name``/``role``) or RelatedPartyOrPartyRole (v5: ``role`` + ``partyOrPartyRole``)."""

    id: str | None = None
    name: str | None = None
    role: str | None = None
    party_or_party_role: Ref | None = Field(default=None, alias="partyOrPartyRole")
    referred_type: str | None = Field(default=None, alias="@referredType")

    @property
    def party_id(self) -> str | None:
        return self.party_or_party_role.id if self.party_or_party_role else self.id

    @property
    def party_name(self) -> str | None:
        return self.party_or_party_role.name if self.party_or_party_role else self.name


SUPPLIER_ROLES = {"supplier", "partner", "provider"}
"""The related-party roles that name the partner supplying a specification's products."""


class ProductSpecification(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    version: str | None = None
    is_bundle: bool | None = Field(default=None, alias="isBundle")
    lifecycle_status: str | None = Field(default=None, alias="lifecycleStatus")
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")
    product_spec_characteristic: list[CharacteristicSpec] = Field(
        default_factory=list, alias="productSpecCharacteristic"
    )
    related_party: list[RelatedParty] = Field(default_factory=list, alias="relatedParty")

    def characteristic(self, name: str) -> CharacteristicSpec | None:
        for char in self.product_spec_characteristic:
            if char.name == name:
                return char
        return None

    @property
    def supplier(self) -> RelatedParty | None:
        """The partner that supplies this product: the related party whose role is ``supplier``/``partner``."""
        for party in self.related_party:
            if (party.role or "").strip().lower() in SUPPLIER_ROLES:
                return party
        return None


class CharValueUse(TmfModel):
    """ProductSpecificationCharacteristicValueUse: how an offering narrows a specification's characteristic."""

    name: str
    value_type: str | None = Field(default=None, alias="valueType")
    min_cardinality: int | None = Field(default=None, alias="minCardinality")
    max_cardinality: int | None = Field(default=None, alias="maxCardinality")
    product_spec_characteristic_value: list[CharacteristicValue] = Field(
        default_factory=list, alias="productSpecCharacteristicValue"
    )
    product_specification: Ref | None = Field(default=None, alias="productSpecification")
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")


class BundledOfferingOption(TmfModel):
    number_rel_offer_default: int | None = Field(default=None, alias="numberRelOfferDefault")
    number_rel_offer_lower_limit: int | None = Field(default=None, alias="numberRelOfferLowerLimit")
    number_rel_offer_upper_limit: int | None = Field(default=None, alias="numberRelOfferUpperLimit")


class _Option(Protocol):
    """A bundledProductOfferingOption, as a model or as a catalog record."""

    @property
    def number_rel_offer_default(self) -> int | None: ...
    @property
    def number_rel_offer_lower_limit(self) -> int | None: ...
    @property
    def number_rel_offer_upper_limit(self) -> int | None: ...


def lower_limit(option: _Option | None) -> int:
    """How many of a component slot a bundle must hold at least (0 when the option or the limit is absent)."""
    return (option.number_rel_offer_lower_limit if option else None) or 0


def upper_limit(option: _Option | None) -> int | None:
    """How many of a component slot a bundle may hold at most; None means unbounded (the limit is absent)."""
    return option.number_rel_offer_upper_limit if option else None


def default_count(option: _Option | None) -> int:
    """How many of a component slot a new bundle gets: the option's default, else its lower limit."""
    if option is None or option.number_rel_offer_default is None:
        return lower_limit(option)
    return option.number_rel_offer_default


class BundledOffering(Ref):
    """A component slot of a bundle offering: the offering and how many of it the bundle holds."""

    lifecycle_status: str | None = Field(default=None, alias="lifecycleStatus")
    bundled_product_offering_option: BundledOfferingOption | None = Field(
        default=None, alias="bundledProductOfferingOption"
    )

    @property
    def lower(self) -> int:
        return lower_limit(self.bundled_product_offering_option)

    @property
    def upper(self) -> int | None:
        """None means unbounded (the upper limit is absent)."""
        return upper_limit(self.bundled_product_offering_option)

    @property
    def default(self) -> int:
        return default_count(self.bundled_product_offering_option)


class OfferingTerm(TmfModel):
    """ProductOfferingTerm: a commitment (``duration``) the offering is sold with."""

    name: str | None = None
    description: str | None = None
    duration: Quantity | None = None
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")


class OfferingRelationship(Ref):
    """ProductOfferingRelationship; ``relationshipType`` is free text (the ones read: reference/tmf-mapping.md)."""

    relationship_type: str | None = Field(default=None, alias="relationshipType")
    role: str | None = None
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")


class PopRelationship(Ref):
    relationship_type: str | None = Field(default=None, alias="relationshipType")
    role: str | None = None


class ProductOfferingPrice(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    version: str | None = None
    description: str | None = None
    price_type: str | None = Field(default=None, alias="priceType")
    recurring_charge_period_type: str | None = Field(default=None, alias="recurringChargePeriodType")
    recurring_charge_period_length: int | None = Field(default=None, alias="recurringChargePeriodLength")
    price: TmfMoney | None = None
    percentage: Decimal | None = None
    is_bundle: bool | None = Field(default=None, alias="isBundle")
    lifecycle_status: str | None = Field(default=None, alias="lifecycleStatus")
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")
    pop_relationship: list[PopRelationship] = Field(default_factory=list, alias="popRelationship")
    product_offering_term: list[OfferingTerm] = Field(default_factory=list, alias="productOfferingTerm")


class CategoryRef(Ref):
    pass


class AllowedProductAction(TmfModel):
    """TMF620 v5 AllowedProductAction: an action (``add``, ``modify``, ``delete``…) products of the offering may
    undergo in a product order, in these sales channels (none listed: any), during ``validFor`` (absent: always)."""

    action: str | None = None
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")
    channel: list[Ref] = Field(default_factory=list)


class ProductOffering(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    version: str | None = None
    description: str | None = None
    is_bundle: bool | None = Field(default=None, alias="isBundle")
    is_sellable: bool | None = Field(default=None, alias="isSellable")
    lifecycle_status: str | None = Field(default=None, alias="lifecycleStatus")
    status_reason: str | None = Field(default=None, alias="statusReason")
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")
    product_specification: Ref | None = Field(default=None, alias="productSpecification")
    bundled_product_offering: list[BundledOffering] = Field(default_factory=list, alias="bundledProductOffering")
    product_offering_price: list[Ref] = Field(default_factory=list, alias="productOfferingPrice")
    product_offering_term: list[OfferingTerm] = Field(default_factory=list, alias="productOfferingTerm")
    prod_spec_char_value_use: list[CharValueUse] = Field(default_factory=list, alias="prodSpecCharValueUse")
    product_offering_relationship: list[OfferingRelationship] = Field(
        default_factory=list, alias="productOfferingRelationship"
    )
    category: list[CategoryRef] = Field(default_factory=list)
    allowed_action: list[AllowedProductAction] = Field(default_factory=list, alias="allowedAction")
    """TMF620 v5: the actions products of this offering may undergo (empty: any action, as in v4)."""
    policy: list[Ref] = Field(default_factory=list)
    """TMF620 v5 PolicyRef: policies applied to the offering; one naming a rule binds that rule to this offering
    (documentation: reference/rule-language.md)."""

    @property
    def spec_id(self) -> str | None:
        ref = self.product_specification
        return None if ref is None else ref.id

    def char_value_use(self, name: str) -> CharValueUse | None:
        for use in self.prod_spec_char_value_use:
            if use.name == name:
                return use
        return None


class CatalogDocument(TmfModel):
    """A TMF620 ``Catalog`` (v4; v5's ``ProductCatalog``): a named collection of categories, valid for a period.
    odedelta reads its ``category`` references and ``validFor``; every other field is kept as it came."""

    id: str
    href: str | None = None
    name: str | None = None
    catalog_type: str | None = Field(default=None, alias="catalogType")
    lifecycle_status: str | None = Field(default=None, alias="lifecycleStatus")
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")
    category: list[CategoryRef] = Field(default_factory=list)


class Category(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    lifecycle_status: str | None = Field(default=None, alias="lifecycleStatus")
    parent_id: str | None = Field(default=None, alias="parentId")
    is_root: bool | None = Field(default=None, alias="isRoot")


# --------------------------------------------------------------------------------------------- TMF671 promotions


class PromotionCriteria(TmfModel):
    id: str | None = None
    criteria_parameter: str | None = Field(default=None, alias="criteriaParameter")
    criteria_operator: str | None = Field(default=None, alias="criteriaOperator")
    criteria_value: str | None = Field(default=None, alias="criteriaValue")


class PromotionCriteriaGroup(TmfModel):
    id: str | None = None
    group_name: str | None = Field(default=None, alias="groupName")
    criteria_logical_relationship: str | None = Field(default=None, alias="criteriaLogicalRelationship")
    criteria: list[PromotionCriteria] = Field(default_factory=list)


class PromotionAction(TmfModel):
    id: str | None = None
    action_type: str | None = Field(default=None, alias="actionType")
    action_value: str | None = Field(default=None, alias="actionValue")
    action_entity_ref: Ref | list[Ref] | None = Field(default=None, alias="actionEntityRef")

    @property
    def entity_refs(self) -> list[Ref]:
        ref = self.action_entity_ref
        if ref is None:
            return []
        return list(ref) if isinstance(ref, list) else [ref]


class PromotionPattern(TmfModel):
    id: str | None = None
    name: str | None = None
    priority: int | None = None
    criteria_group_logical_relationship: str | None = Field(default=None, alias="criteriaGroupLogicalRelationship")
    criteria_group: list[PromotionCriteriaGroup] = Field(default_factory=list, alias="criteriaGroup")
    action: list[PromotionAction] = Field(default_factory=list)
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")


class Promotion(TmfModel):
    id: str
    href: str | None = None
    name: str | None = None
    description: str | None = None
    promotion_type: str | None = Field(default=None, alias="promotionType")
    lifecycle_status: str | None = Field(default=None, alias="lifecycleStatus")
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")
    pattern: list[PromotionPattern] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------- TMF637 inventory


_T = TypeVar("_T")


def _read_only(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError(f"a {type(self).__name__} is read-only: an installed product is never modified in place (make "
                    "a changed copy with model_copy(update={...}))")


class ReadOnlyList(list[_T]):
    """A list an installed product holds: read like any list (equal to one, dumped as one), never modified, so one
    object can serve every product that holds the same entries — an inventory of 10,000 lines does not hold 40,000
    empty lists. A deep copy (``copy.deepcopy``, ``model_copy(deep=True)``) is an ordinary list."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]  # never changes: hashable when its entries are, like a tuple
        return hash(tuple(self))

    def __deepcopy__(self, memo: dict[int, Any]) -> list[_T]:
        from copy import deepcopy

        return [deepcopy(item, memo) for item in self]

    def __reduce__(self) -> tuple[Any, ...]:
        return ReadOnlyList, (list(self),)


class ReadOnlySet(set[_T]):
    """A product's ``model_fields_set`` shared by every installed product with the same fields set; a copy (what
    ``model_copy`` makes) is an ordinary set."""

    __slots__ = ()

    def __init__(self, items: Iterable[_T] = ()) -> None:
        super().__init__(items)

    def __hash__(self) -> int:  # type: ignore[override]  # hashable, as it never changes (set's __hash__ is None)
        return hash(frozenset(self))

    def __copy__(self) -> set[_T]:
        return set(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> set[_T]:
        return set(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return ReadOnlySet, (set(self),)


class _NoExtra(dict[str, Any]):
    """The unknown fields of a part that has none, one read-only empty mapping for all; a copy (what
    ``model_copy`` makes) is an ordinary dict."""

    __slots__ = ()

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {}

    def __reduce__(self) -> tuple[Any, ...]:
        return _NoExtra, ()


for _name in ("__setitem__", "__delitem__", "__ior__", "update", "pop", "popitem", "clear", "setdefault"):
    setattr(_NoExtra, _name, _read_only)
NO_EXTRA = _NoExtra()
for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "__setitem__",
              "__delitem__", "__iadd__", "__imul__"):
    setattr(ReadOnlyList, _name, _read_only)
for _name in ("add", "discard", "remove", "pop", "clear", "update", "difference_update", "intersection_update",
              "symmetric_difference_update", "__ior__", "__iand__", "__isub__", "__ixor__"):
    setattr(ReadOnlySet, _name, _read_only)

EMPTY: list[Any] = ReadOnlyList()
"""The one empty list every installed product without relationships, prices, terms… holds."""

_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__


def raw_key(value: Any) -> bytes | None:
    """A key equal only for inputs written exactly alike — same keys in the same order, same values of the same
    type (``1``/``true``/``"1"``, ``1.0``/``1.00`` differ) — or None for one that cannot be written out: the
    input's pickle (a faithful copy of the value and of its types, made at C speed)."""
    try:
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except Exception:  # an input that cannot be written out is simply not looked up
        return None


class HeldParts:
    """The products of one inventory as it holds them, read once and only read from then on: a part written
    exactly alike for several products (the offering, specification and billing-account refs, the characteristic,
    price, term and related-party lists) is validated once and is one object for all of them — a 10,000-line
    inventory holds one offering ref and one characteristic list for all its lines — every list is read-only
    (:class:`ReadOnlyList`; each empty one :data:`EMPTY`), and every fields set and empty unknown-fields mapping
    is one read-only object shared by all the parts that have it."""

    __slots__ = ("_parts", "_sets")

    def __init__(self) -> None:
        self._parts: dict[tuple[str, Any], Any] = {}
        self._sets: dict[frozenset[str], ReadOnlySet[str]] = {}

    def product(self, item: dict[str, Any]) -> Product:
        """``item`` validated as a :class:`Product` (its errors are the model's own: a part taken from an earlier
        product was valid there, as written), its parts held."""
        found: list[tuple[str, Any]] = []
        missed: list[tuple[str, bytes]] = []
        rest = item
        parts = self._parts
        for alias, value in item.items():
            name = _HELD.get(alias)
            if name is None or name in item or (key := raw_key(value)) is None:
                continue
            part = parts.get((name, key))
            if part is None:
                missed.append((name, key))
                continue
            if rest is item:
                rest = dict(item)
            del rest[alias]  # not validated again: the part validated from the same input is taken
            found.append((name, part))
        product = Product.model_validate(rest)
        values = product.__dict__
        for name, part in found:
            values[name] = part
        if found:  # a ref taken from an earlier product: the ids are read from it
            _derive(product)
        for name, key in missed:
            part = values[name]
            if type(part) is list:
                part = values[name] = self._list(part)
            elif isinstance(part, BaseModel):
                self.fields(part)
            else:  # written null: nothing to hold
                continue
            parts[(name, key)] = part
        for name in _LISTS:
            if not values[name]:
                values[name] = EMPTY
        if values["product_relationship"] is not EMPTY:
            values["product_relationship"] = self._list(values["product_relationship"])
        fields = product.__pydantic_fields_set__
        return self.fields(product, fields.union(name for name, _ in found) if found else fields)

    def hold(self, part: Any) -> Any:
        """``part`` (a product's field as validated) made read-only to be held for several products: a list as a
        :class:`ReadOnlyList` of read-only models, a model read-only; anything else (a text, a date) as it is."""
        if type(part) is list:
            return self._list(part)
        if isinstance(part, BaseModel):
            return self.fields(part)
        return part

    def fields_set(self, fields: Iterable[str]) -> ReadOnlySet[str]:
        """The one read-only fields set for every part whose fields set is ``fields``."""
        key = frozenset(fields)
        shared = self._sets.get(key)
        if shared is None:
            shared = self._sets[key] = ReadOnlySet(key)
        return shared

    def _list(self, parts: list[Any]) -> list[Any]:
        for part in parts:
            self.fields(part)
            if type(part) is ProductRelationship and part.product is not None:  # a v4 relationship's product ref
                self.fields(part.product)
        return ReadOnlyList(parts) if parts else EMPTY

    def fields(self, model: _M, fields: set[str] | None = None) -> _M:
        """``model``, its fields set (``fields`` when given) the read-only one every part with the same fields set
        holds, and its unknown fields, when it has none, the one read-only empty mapping."""
        _set(model, "__pydantic_fields_set__", self.fields_set(model.__pydantic_fields_set__ if fields is None
                                                               else fields))
        if model.__pydantic_extra__ == {}:
            _set(model, "__pydantic_extra__", NO_EXTRA)
        return model


class Characteristic(TmfModel):
    id: str | None = None
    name: str
    value_type: str | None = Field(default=None, alias="valueType")
    value: Any = None


class ProductRelationship(TmfModel):
    """v4: ``{relationshipType, product: {id}}``; v5: ``{relationshipType, id}``."""

    relationship_type: str | None = Field(default=None, alias="relationshipType")
    id: str | None = None
    href: str | None = None
    product: Ref | None = None

    @property
    def target_id(self) -> str | None:
        return self.product.id if self.product is not None and self.product.id else self.id


class Price(TmfModel):
    tax_included_amount: TmfMoney | None = Field(default=None, alias="taxIncludedAmount")
    duty_free_amount: TmfMoney | None = Field(default=None, alias="dutyFreeAmount")
    percentage: Decimal | None = None
    tax_rate: Decimal | None = Field(default=None, alias="taxRate")


class PriceAlteration(TmfModel):
    name: str | None = None
    description: str | None = None
    price_type: str | None = Field(default=None, alias="priceType")
    priority: int | None = None
    application_duration: int | None = Field(default=None, alias="applicationDuration")
    recurring_charge_period: str | None = Field(default=None, alias="recurringChargePeriod")
    price: Price | None = None
    product_offering_price: Ref | None = Field(default=None, alias="productOfferingPrice")


class ProductPrice(TmfModel):
    name: str | None = None
    description: str | None = None
    price_type: str | None = Field(default=None, alias="priceType")
    recurring_charge_period: str | None = Field(default=None, alias="recurringChargePeriod")
    price: Price | None = None
    product_offering_price: Ref | None = Field(default=None, alias="productOfferingPrice")
    product_price_alteration: list[PriceAlteration] | None = Field(default=None, alias="productPriceAlteration")
    price_alteration: list[PriceAlteration] | None = Field(default=None, alias="priceAlteration")

    @property
    def alterations(self) -> list[PriceAlteration]:
        return list(self.product_price_alteration or self.price_alteration or [])


class ProductTerm(TmfModel):
    name: str | None = None
    description: str | None = None
    duration: Quantity | None = None
    valid_for: TimePeriod | None = Field(default=None, alias="validFor")


class Product(TmfModel):
    """A TMF637 Product. Besides its fields it holds, in two slots, the ids every stage reads of it several times
    per change: ``offering_id`` (its ``productOffering``'s id) and ``spec_id`` (its ``productSpecification``'s), taken
    when the product is made — validated, read by :class:`~odedelta.model.inventory_reader.InventoryReader`,
    copied with ``model_copy`` — or when its ref field is assigned. A slot is one read of the product itself, where
    a property read the product's ``__dict__``, then the ref and its ``__dict__``: three objects touched per read, on
    an inventory the processor has not seen yet (each change reads a new one). A product is read, never changed in
    place: a ref changed inside it (``product.product_offering.id = …``) is not seen by ``offering_id``; make a
    changed copy (``model_copy(update={...})``) or assign the ref."""

    __slots__ = ("offering_id", "spec_id")

    id: str
    href: str | None = None
    name: str | None = None
    description: str | None = None
    status: str | None = None
    is_bundle: bool | None = Field(default=None, alias="isBundle")
    start_date: datetime | None = Field(default=None, alias="startDate")
    termination_date: datetime | None = Field(default=None, alias="terminationDate")
    product_offering: Ref | None = Field(default=None, alias="productOffering")
    product_specification: Ref | None = Field(default=None, alias="productSpecification")
    product_characteristic: list[Characteristic] = Field(default_factory=list, alias="productCharacteristic")
    product_relationship: list[ProductRelationship] = Field(default_factory=list, alias="productRelationship")
    product_price: list[ProductPrice] = Field(default_factory=list, alias="productPrice")
    product_term: list[ProductTerm] = Field(default_factory=list, alias="productTerm")
    billing_account: Ref | None = Field(default=None, alias="billingAccount")
    related_party: list[RelatedParty] = Field(default_factory=list, alias="relatedParty")

    if TYPE_CHECKING:  # slots at run time (filled by _derive), read-only to the type checker
        @property
        def offering_id(self) -> str | None:
            """The id of the product's ``productOffering`` (None without one)."""

        @property
        def spec_id(self) -> str | None:
            """The id of the product's ``productSpecification`` (None without one)."""

    @field_validator("start_date", "termination_date")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def model_post_init(self, context: Any, /) -> None:
        """The ids read from the refs once the product is validated (or built by ``model_construct``)."""
        _derive(self)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """pydantic's copy, its ids read again from the copy's refs (``update`` may give new ones)."""
        copied = super().model_copy(update=update, deep=deep)
        _derive(copied)
        return copied

    def __setattr__(self, name: str, value: Any) -> None:
        """An assigned ref is read again; the ids themselves are read from the refs, never assigned."""
        if name in _DERIVED:
            raise AttributeError(f"{name} is read from the product's ref: assign "
                                 f"{'product_offering' if name == 'offering_id' else 'product_specification'}")
        super().__setattr__(name, value)
        if name in _REFS:
            _derive(self)

    def __delattr__(self, name: str) -> None:
        """A deleted ref leaves its id unread: asking for it fails as reading the missing ref does."""
        super().__delattr__(name)
        if name in _REFS:
            _derive(self)

    if not TYPE_CHECKING:
        def __getattr__(self, name: str) -> Any:
            """An id slot left empty: a product made without validation nor ``model_copy`` (unpickled,
            ``copy.copy``), or whose ref is not a ref (``model_construct`` given a mapping, a deleted field). The
            ref is read as it is now: an id when it has one, else the error reading it gives."""
            ref_field = _REF_OF.get(name)
            if ref_field is not None:
                ref = getattr(self, ref_field)
                found = None if ref is None else ref.id
                _derive(self)
                return found
            return super().__getattr__(name)

    def characteristics(self) -> dict[str, Any]:
        return {c.name: c.value for c in self.product_characteristic}


_DERIVED = frozenset(Product.__slots__)
_REFS = frozenset(("product_offering", "product_specification"))
_REF_OF = {"offering_id": "product_offering", "spec_id": "product_specification"}
set_offering_id = Product.__dict__["offering_id"].__set__
"""Writes a product's ``offering_id`` slot (what :func:`_derive` and the inventory reader fill)."""
set_spec_id = Product.__dict__["spec_id"].__set__
"""Writes a product's ``spec_id`` slot."""
_SLOTS = (("offering_id", "product_offering", set_offering_id), ("spec_id", "product_specification", set_spec_id))
_ABSENT = object()


def delattr_slot(product: Product, name: str) -> None:
    """Empties one of ``product``'s id slots (its next read goes to ``Product.__getattr__``)."""
    Product.__dict__[name].__delete__(product)


def _derive(product: Product) -> None:
    """Fill ``product``'s id slots from its refs (a ref ``model_construct`` was given unvalidated, e.g. as a
    mapping, has no id to read)."""
    values = product.__dict__
    for name, field, write in _SLOTS:
        ref = values.get(field, _ABSENT)
        if ref is None or isinstance(ref, Ref):
            write(product, None if ref is None else ref.id)
        else:  # not a Ref (a mapping given to model_construct, a deleted field): read when asked, as it is then
            with contextlib.suppress(AttributeError):
                delattr_slot(product, name)


_LISTS = ("product_characteristic", "product_relationship", "product_price", "product_term", "related_party")
_HELD = {info.alias or name: name for name, info in Product.model_fields.items()
         if name in ("product_offering", "product_specification", "billing_account", "product_characteristic",
                     "product_price", "product_term", "related_party")}
"""The parts :class:`HeldParts` looks up (by the key the document writes them with): every ref and list of a
product but its relationships, which name its own components (never written alike for two products)."""
