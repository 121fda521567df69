"""What the customer pays: recurring prices per product, TMF671 promotions, and the bill before and after a change.

Interpretation of TMF671 (documentation: reference/tmf-mapping.md, "Promotions (TMF671)"):

* a promotion applies when its ``lifecycleStatus`` is active/launched (or absent), ``as_of`` is inside its
  ``validFor`` and the pattern's, and its pattern matches: ``criteriaGroup`` entries combined by
  ``criteriaGroupLogicalRelationship`` (AND by default, or OR), criteria inside a group by
  ``criteriaLogicalRelationship`` (AND by default);
* a criterion is ``criteriaParameter`` ``criteriaOperator`` ``criteriaValue``: the parameter
  ``productOffering.id``, ``productSpecification.id`` or ``category.id`` matches when one of the customer's
  products has it (operator ``=``/``==``/``in``, the value a comma-separated list for ``in``; ``!=``/``not in``:
  none has it); ``customer.<fact>`` (e.g. ``customer.segment``) compares the request context's fact;
* an ``action`` of ``actionType`` ``discount`` takes ``actionValue`` ``"50%"`` (a percentage of the price) or
  ``"10.00"`` (an amount off per month) from the recurring price of every customer product of the
  ``actionEntityRef`` offering(s). Discounts never take a price below zero.

Promotions are evaluated over all of the customer's products, before the change (the inventory) and after it (the
projected inventory). An inventory ``productPriceAlteration`` that records a promotion (by id, by name, or by the
promotion's action on that product: :mod:`odedelta.model.attribution`) is left to the promotion, so a discount is never
counted twice; any other alteration is a standing reduction of the price.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import FrozenInstanceError, dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, NoReturn, cast, overload

from odedelta.model.attribution import Attribution, attribute
from odedelta.model.catalog import CRITERIA_PARAMETERS, SELLABLE_STATUSES, Catalog
from odedelta.model.compiled import CompiledCatalog, compiled
from odedelta.model.graph import CATEGORY, OFFERING, SPECIFICATION
from odedelta.model.money import Money
from odedelta.model.money import _made as made_money
from odedelta.model.months import add_months
from odedelta.model.pricing import RECURRING, Base
from odedelta.model.records import Promotion, PromotionCriteria
from odedelta.model.requests import Context
from odedelta.model.tmf import Product, ProductPrice

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Discount:
    """A reduction of one product's recurring price, and what grants it (``promotion:<id>`` or ``rule:<id>``)."""

    product_id: str
    source: str
    name: str
    amount: Money
    percentage: Decimal | None = None


_DISCOUNT_FIELDS = ("product_id", "source", "name", "amount", "percentage")
"""Discount's fields in order, as :func:`_discount` sets them (a test checks them against the class)."""


class _UnfrozenDiscount:
    """A :class:`Discount` being made (as :class:`_Unfrozen` is a bill entry being made)."""

    __slots__ = _DISCOUNT_FIELDS

    def __init__(self, product_id: str, source: str, name: str, amount: Money, percentage: Decimal | None) -> None:
        self.product_id = product_id
        self.source = source
        self.name = name
        self.amount = amount
        self.percentage = percentage


def _discount(product_id: str, source: str, name: str, amount: Money, percentage: Decimal | None) -> Discount:
    """A :class:`Discount` as its constructor makes it, for less (a bill makes one per product a promotion
    discounts)."""
    made = _UnfrozenDiscount(product_id, source, name, amount, percentage)
    made.__class__ = Discount  # type: ignore[assignment]
    return cast(Discount, made)


class _NoDiscounts(list[Discount]):
    """The discounts of an entry that has none: one empty list shared by every such entry (a bill makes an entry
    per product and most have no discount; a list each would be one more object per product for the collector to
    visit on every full collection, and a change keeps two bills). Equal to ``[]`` and shown as ``[]``; it refuses
    to change, so sharing it can never carry a discount from one entry to another (an entry is a value: ``plus``
    makes a new list)."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a bill entry's discounts are read-only: ProductBill.plus makes a new entry")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


NO_DISCOUNTS: list[Discount] = _NoDiscounts()
"""The shared discounts of every entry without one (read-only)."""


@dataclass(frozen=True, slots=True)
class ProductBill:
    """One product's monthly price: its base (``basis``: where it comes from) and the discounts on it. A value:
    :func:`with_discount` makes a new one."""

    product_id: str
    offering_id: str
    base: Money | None
    basis: str
    duty_free: Money | None = None
    pop_id: str | None = None
    discounts: list[Discount] = field(default_factory=lambda: NO_DISCOUNTS)
    """The discounts in the order granted; :data:`NO_DISCOUNTS` (shared, read-only) when there is none."""
    _sums: tuple[Money | None, Money | None] | None = field(default=None, init=False, repr=False, compare=False)
    """``(discount_total, net)``, worked out on first use (a bill is read many times, never changed)."""
    _made_from: Base | None = field(default=None, init=False, repr=False, compare=False)
    """The base price the entry was made from (:meth:`of`, :func:`bill_of`; None when made by the constructor):
    a later bill of the change shares the entry of a product at that same base (:data:`Priced`)."""

    def _totals(self) -> tuple[Money | None, Money | None]:
        if self._sums is not None:
            return self._sums
        if self.base is None:
            sums: tuple[Money | None, Money | None] = (None, None)
        elif not self.discounts:  # what the loop below gives for no discount, without its checks and zero sums
            sums = (made_money(ZERO, self.base.currency), made_money(self.base.amount - ZERO, self.base.currency))
        else:
            total = Money.zero(self.base.currency)
            for discount in self.discounts:
                total = total + discount.amount
            sums = (total, self.base - total)
        object.__setattr__(self, "_sums", sums)  # a cache of derived values: the record itself is unchanged
        return sums

    @classmethod
    def of(cls, product_id: str, offering_id: str, base: Base) -> ProductBill:
        """The entry of a product at its ``base`` price, before any discount (its sums are the base's own: what
        _totals gives with no discount)."""
        return _plain(product_id, offering_id, base)

    def plus(self, discount: Discount) -> ProductBill:
        """A new entry: this one with ``discount`` too. Its sums follow from this one's when they are known and in
        the discount's currency: the running total plus the discount, the base less that total — the very
        operations :meth:`_totals` does over the whole list, in the same order, so the same amounts."""
        sums = self._sums
        base = self.base
        if sums is not None and base is not None and (total := sums[0]) is not None \
                and total.currency == discount.amount.currency == base.currency:
            total = made_money(total.amount + discount.amount.amount, total.currency)  # Decimals: no check needed
            sums = (total, made_money(base.amount - total.amount, base.currency))
        else:
            sums = None
        return _entry(self.product_id, self.offering_id, base, self.basis, self.duty_free, self.pop_id,
                      [*self.discounts, discount], sums, self._made_from)

    @property
    def discount_total(self) -> Money | None:
        return self._totals()[0]

    @property
    def net(self) -> Money | None:
        return self._totals()[1]

    @property
    def free(self) -> bool:
        """Free only thanks to its discounts: a price that is zero after them but not before."""
        return self.base is not None and self.base.amount > 0 and self.net is not None and self.net.amount == 0


ENTRY_FIELDS = ("product_id", "offering_id", "base", "basis", "duty_free", "pop_id", "discounts", "_sums",
                "_made_from")
"""ProductBill's fields in order, as :func:`_entry` sets them (a test checks them against the class)."""


class _Unfrozen:
    """A :class:`ProductBill` being made: the same slots in the same order, without the frozen guard, so that its
    ``__init__`` stores them directly. :func:`_entry` makes one and turns it into a ProductBill (the layouts are
    the same, which ``__class__`` assignment checks) — half the cost of setting a frozen record's slots one call
    each, and a change makes one per product and discount."""

    __slots__ = ENTRY_FIELDS

    def __init__(self, product_id: str, offering_id: str, base: Money | None, basis: str, duty_free: Money | None,
                 pop_id: str | None, discounts: list[Discount], sums: tuple[Money | None, Money | None] | None,
                 made_from: Base | None) -> None:
        self.product_id = product_id
        self.offering_id = offering_id
        self.base = base
        self.basis = basis
        self.duty_free = duty_free
        self.pop_id = pop_id
        self.discounts = discounts
        self._sums = sums
        self._made_from = made_from


def _entry(product_id: str, offering_id: str, base: Money | None, basis: str, duty_free: Money | None,
           pop_id: str | None, discounts: list[Discount], sums: tuple[Money | None, Money | None] | None,
           made_from: Base | None = None) -> ProductBill:
    """A :class:`ProductBill` with these fields, as its constructor makes it, at a fraction of the cost (see
    :class:`_Unfrozen`). ``sums``: ``(discount_total, net)`` when known, else None; ``made_from``: the base it is
    priced from."""
    entry = _Unfrozen(product_id, offering_id, base, basis, duty_free, pop_id, discounts, sums, made_from)
    entry.__class__ = ProductBill  # type: ignore[assignment]
    return cast(ProductBill, entry)


class Bill:
    """The recurring charges of a set of products at one moment, with the promotions that apply. A value:
    :func:`with_discount` makes a new one.

    Its entries are made when they are read. A bill holds each product's offering and base price (two tables,
    in the order of its lines) and only the entries something discounted (a standing alteration, a promotion, a
    rule); :attr:`products` makes the others, from their base, the first time it is read. What the money stage
    reads of every product — a net price, a base price, an offering — is read off those tables
    (:meth:`net_of`, :meth:`base_of`, :meth:`offering_of`), so a change of a large account whose entries nothing
    shows makes no object per product: each would be one more for the garbage collector to visit, and to move
    through its generations, while the change runs (and the bill before, which the inventory remembers, would
    hold one per product for as long as it lives)."""

    __slots__ = ("_bases", "_made", "_offerings", "_products", "attributions", "promotions")

    promotions: dict[str, list[Discount]]
    """Promotion id → the discounts it grants (only promotions that discount something the customer holds)."""
    attributions: list[Attribution]
    """Every inventory alteration read as a promotion's record (counted once, as the promotion)."""
    _offerings: dict[str, str]
    """Product id → its offering (``""`` when it has none), in the order of the bill's lines: the products held."""
    _bases: Mapping[str, Base]
    """Product id → its base price: every product's in a bill of lines (:func:`bill_of`, :func:`bill_of_products`,
    and :func:`bill_changed` from one of those; :meth:`currencies` reads them all), none in a bill made of entries
    (the constructor: every entry in ``_made``)."""
    _made: dict[str, ProductBill]
    """The entries made: those with a discount (the others are their base's, :func:`_plain`)."""
    _products: dict[str, ProductBill] | None
    """Every entry, once :attr:`products` is read."""

    def __init__(self, products: dict[str, ProductBill], promotions: dict[str, list[Discount]],
                 attributions: list[Attribution] | None = None) -> None:
        """A bill of the entries ``products`` (each made already)."""
        self._fill({pid: entry.offering_id for pid, entry in products.items()}, {}, products, products, promotions,
                   [] if attributions is None else attributions)

    @classmethod
    def _of(cls, offerings: dict[str, str], bases: Mapping[str, Base], made: dict[str, ProductBill],
            promotions: dict[str, list[Discount]], attributions: list[Attribution]) -> Bill:
        """A bill of the products ``offerings`` names, its entries those ``made`` and the others made from
        ``bases`` when read (the tables are the bill's: only read from now on)."""
        bill: Bill = _new(cls)
        bill._fill(offerings, bases, made, None, promotions, attributions)
        return bill

    def _fill(self, offerings: dict[str, str], bases: Mapping[str, Base], made: dict[str, ProductBill],
              products: dict[str, ProductBill] | None, promotions: dict[str, list[Discount]],
              attributions: list[Attribution]) -> None:
        _set(self, "promotions", promotions)
        _set(self, "attributions", attributions)
        _set(self, "_offerings", offerings)
        _set(self, "_bases", bases)
        _set(self, "_made", made)
        _set(self, "_products", products)

    @property
    def products(self) -> dict[str, ProductBill]:
        """Product id → its entry, in the order of the bill's lines (made on first read, then kept; to read only: the
        bill's totals are read off its own tables)."""
        products = self._products
        if products is None:
            made, bases = self._made, self._bases
            products = {pid: made.get(pid) or _plain(pid, offering, bases[pid])
                        for pid, offering in self._offerings.items()}
            _set(self, "_products", products)  # the same entries, made once: the bill itself is unchanged
        return products

    def entry(self, product_id: str) -> ProductBill | None:
        """``products.get(product_id)``, without making the other entries (one without a discount is made for the
        asking: an equal value each time)."""
        products = self._products
        if products is not None:
            return products.get(product_id)
        found = self._made.get(product_id)
        if found is not None:
            return found
        offering = self._offerings.get(product_id)
        return None if offering is None else _plain(product_id, offering, self._bases[product_id])

    def holds(self, product_id: str) -> bool:
        """Whether the bill has an entry for the product."""
        return product_id in self._offerings

    @property
    def product_ids(self) -> Iterable[str]:
        """The products the bill holds, in the order of its lines."""
        return self._offerings.keys()

    @property
    def offerings(self) -> Mapping[str, str]:
        """Product id → the entry's ``offering_id`` (``""`` for a product without one), in the order of the bill's
        lines: the bill's own table, to read only."""
        return self._offerings

    def offering_of(self, product_id: str) -> str | None:
        """The entry's ``offering_id`` (None when the bill does not hold the product)."""
        return self._offerings.get(product_id)

    def base_of(self, product_id: str) -> Money | None:
        """The entry's ``base`` (None when it has none, or the bill does not hold the product)."""
        found = self._made.get(product_id)
        if found is not None:
            return found.base
        base = self._bases.get(product_id)
        return base.amount if base is not None else None

    def net_of(self, product_id: str) -> Money | None:
        """The entry's ``net`` (None when it has no price, or the bill does not hold the product): for one without
        a discount, its base's own (:meth:`Base.undiscounted`, what the entry's is)."""
        found = self._made.get(product_id)
        if found is not None:
            return found.net
        sums = self._undiscounted(product_id)
        return sums[1] if sums is not None else None

    def discount_of(self, product_id: str) -> Money | None:
        """The entry's ``discount_total`` (None when it has no price, or the bill does not hold the product): for one
        without a discount, its base's own zero (:meth:`Base.undiscounted`)."""
        found = self._made.get(product_id)
        if found is not None:
            return found.discount_total
        sums = self._undiscounted(product_id)
        return sums[0] if sums is not None else None

    def _undiscounted(self, product_id: str) -> tuple[Money, Money] | None:
        """``(discount total, net)`` of a product the bill holds with no discount made (its base's own), else None."""
        base = self._bases.get(product_id)
        return base.undiscounted() if base is not None else None

    def currencies(self, product_ids: Iterable[str]) -> set[str]:
        """The currencies of the base prices of ``product_ids`` (those the bill holds with a price). In a bill of
        lines (:func:`bill_of`) an entry made is on its line's base (a discount never changes it): the bases are
        read, a run of one base once — a large account's products share a few catalog bases."""
        found: set[str] = set()
        bases = self._bases
        if bases:
            last = None
            for base in map(bases.get, product_ids):
                if base is not last and base is not None:
                    last = base
                    if base.amount is not None:
                        found.add(base.amount.currency)
            return found
        made = self._made
        for pid in product_ids:
            entry = made.get(pid)
            if entry is not None and entry.base is not None:
                found.add(entry.base.currency)
        return found

    def entries_of(self, offering_id: str | None) -> Iterator[ProductBill]:
        """The entries of the products of ``offering_id``, in the order of the bill's lines (of None: none)."""
        for pid, offering in self._offerings.items():
            if offering == offering_id:
                entry = self.entry(pid)
                assert entry is not None
                yield entry

    @property
    def ambiguous(self) -> list[Attribution]:
        """Attributions the evidence does not settle (reported with the result)."""
        return [a for a in self.attributions if a.ambiguous]

    def net(self, product_ids: Iterable[str]) -> list[Money]:
        return [n for p in product_ids if (n := self.net_of(p)) is not None]

    def with_entries(self, entries: Mapping[str, ProductBill], promotions: dict[str, list[Discount]]) -> Bill:
        """A new bill: this one with ``entries`` in place of its products' own (products it holds) and
        ``promotions``."""
        return Bill._of(self._offerings, self._bases, {**self._made, **entries}, promotions, self.attributions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bill):
            return NotImplemented
        return (self.products, self.promotions, self.attributions) == \
            (other.products, other.promotions, other.attributions)

    __hash__ = None  # type: ignore[assignment]  # a value holding dictionaries: not hashable, as a frozen record of them

    def __repr__(self) -> str:
        return f"Bill(products={self.products!r}, promotions={self.promotions!r}, " \
               f"attributions={self.attributions!r})"

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type[Bill], tuple[Any, ...]]:
        return Bill, (self.products, self.promotions, self.attributions)


_set = object.__setattr__
_new = object.__new__


def _plain(product_id: str, offering_id: str, base: Base) -> ProductBill:
    """The entry of a product at ``base`` without a discount (:meth:`ProductBill.of`; called directly on the
    per-change path, one call less)."""
    return _entry(product_id, offering_id, base.amount, base.basis, base.duty_free, base.pop_id, NO_DISCOUNTS,
                  base.undiscounted(), base)


def holds(products: Iterable[Product], catalog: Catalog) -> dict[str, set[str]]:
    """What the customer's products are: ``kind → ids`` of offerings, specifications and categories."""
    offerings: set[str] = set()
    specifications: set[str] = set()
    for product in products:
        if product.offering_id:
            offerings.add(product.offering_id)
        if product.spec_id:
            specifications.add(product.spec_id)
    return _holding(compiled(catalog), offerings, specifications)


def promotion_applies(promotion: Promotion, held: Held, context: Context, as_of: datetime) -> bool:
    """Whether the customer qualifies for ``promotion`` (the module's interpretation of TMF671): its status and
    periods at ``as_of``, and its criteria over what they hold and the request context."""
    return _Terms.of(promotion).applies(held, context, as_of)


Held = Mapping[str, AbstractSet[str]]
"""What a customer holds, ``kind → ids`` (:func:`holds`)."""

_HELD, _SEGMENT, _ATTRIBUTE, _NEVER = range(4)
"""What a criterion compares: something the customer holds, the context's segment, a context attribute, or
nothing odedelta knows (never met, whatever the operator)."""
_Criterion = tuple[int, str, frozenset[str], bool]
"""``(what, kind or name, values, negated)``: a ``criteriaParameter criteriaOperator criteriaValue`` read once."""
_Group = tuple[bool, tuple[_Criterion, ...]]
"""``(any, criteria)``: criteria joined by OR (``any``) or by AND."""
_Reduction = tuple[Decimal | None, Decimal | None] | None
"""A discount's ``(percentage, amount)`` (one of the two), read once; None when its value cannot be read."""
_OFFERINGS_ONLY = frozenset({OFFERING})
_NONE: frozenset[str] = frozenset()
"""The specifications and categories of a bill whose promotions compare only offerings (never read)."""


@dataclass(frozen=True, slots=True)
class _Terms:
    """A promotion's terms read once (the text of its status, operators and values parsed ahead), so that pricing a
    bill compares sets: ``patterns`` are ``(validFor, any, groups)``, ``actions`` the ``(targeted offerings,
    reduction)`` of each discount action in order, ``reads`` the kinds of held things its criteria compare (a bill
    gathers the specifications and categories its products hold only when a promotion reads them); ``source`` and
    ``label`` what each of its discounts says of it (``promotion:<id>``, its name); ``beyond``: whether it reads
    more than the offerings held."""

    promotion: Promotion
    sellable: bool
    valid_for: Any
    patterns: tuple[tuple[Any, bool, tuple[_Group, ...]], ...]
    actions: tuple[tuple[frozenset[str | None], _Reduction], ...]
    reads: frozenset[str]
    source: str = ""
    label: str = ""
    beyond: bool = False

    @classmethod
    def of(cls, promotion: Promotion) -> _Terms:
        status = (promotion.lifecycle_status or "active").strip().lower()
        patterns = tuple(
            (pattern.valid_for, _is_or(pattern.criteria_group_logical_relationship),
             tuple((_is_or(group.criteria_logical_relationship), tuple(_criterion(c) for c in group.criteria))
                   for group in pattern.criteria_group))
            for pattern in promotion.pattern)
        actions = tuple((frozenset(ref.id for ref in action.entity_refs), _reduction(action.action_value))
                        for pattern in promotion.pattern for action in pattern.action
                        if (action.action_type or "").lower() == "discount")
        reads = frozenset(kind for _, _, groups in patterns for _, criteria in groups
                          for what, kind, _, _ in criteria if what == _HELD)
        return cls(promotion, status in SELLABLE_STATUSES, promotion.valid_for, patterns, actions, reads,
                   f"promotion:{promotion.id}", promotion.name or promotion.id, bool(reads - _OFFERINGS_ONLY))

    @classmethod
    def in_catalog(cls, catalog: Catalog, promotion_id: str) -> _Terms:
        """The terms of the catalog's promotion, read once per catalog (kept in its memo)."""
        found = cls.table(catalog).get(promotion_id)
        if found is None:
            found = cls.table(catalog)[promotion_id] = cls.of(catalog.promotions[promotion_id])
        return found

    @staticmethod
    def table(catalog: Catalog) -> dict[str, _Terms]:
        """The terms read so far, by promotion id (one table in the catalog's memo, filled as promotions are met:
        a bill looks each up without making a key)."""
        table: dict[str, _Terms] = catalog.remembered(("promotion terms",), dict)
        return table

    @staticmethod
    def naming(catalog: Catalog, offering: str) -> tuple[_Terms, ...]:
        """The terms of the promotions that name ``offering`` (the graph's index, :meth:`CompiledCatalog.promotions`),
        read once per catalog and offering: a bill asks it for each offering its products hold, and most name
        none (an empty tuple)."""
        table: dict[str, tuple[_Terms, ...]] = catalog.remembered(("promotion terms naming",), dict)
        found = table.get(offering)
        if found is None:
            found = table[offering] = tuple(_Terms.in_catalog(catalog, pid)
                                            for pid in compiled(catalog).promotions(offering))
        return found

    def applies(self, held: Held, context: Context, as_of: datetime) -> bool:
        """:func:`promotion_applies`: sellable and valid at ``as_of``, and one pattern valid then whose groups
        (joined by its relationship) hold."""
        if not self.sellable or (self.valid_for is not None and not self.valid_for.contains(as_of)):
            return False
        for valid_for, either, groups in self.patterns:
            if valid_for is not None and not valid_for.contains(as_of):
                continue
            for any_of, criteria in groups:  # the groups in order, as far as their relationship needs
                if _group(criteria, any_of, held, context) is either:
                    if either:
                        return True  # one group holds (OR)
                    break  # one group fails (AND)
            else:
                if not either:
                    return True  # every group holds (AND; so does no group at all), none did (OR: next pattern)
        return False


def _is_or(relation: str | None) -> bool:
    return (relation or "AND").upper() == "OR"


def _criterion(criterion: PromotionCriteria) -> _Criterion:
    parameter = (criterion.criteria_parameter or "").strip()
    operator = (criterion.criteria_operator or "=").strip().lower()
    values = frozenset(v.strip() for v in (criterion.criteria_value or "").split(",") if v.strip())
    negate = operator in ("!=", "<>", "not in", "notin")
    kind = CRITERIA_PARAMETERS.get(parameter.lower())
    if kind is not None:
        return _HELD, kind, values, negate
    if parameter.lower().startswith("customer."):
        name = parameter.split(".", 1)[1]
        return (_SEGMENT if name == "segment" else _ATTRIBUTE), name, values, negate
    return _NEVER, "", values, negate


def _group(criteria: tuple[_Criterion, ...], any_of: bool, held: Held, context: Context) -> bool:
    """Whether a group's criteria hold: one of them (OR) or all of them (AND), read in order as far as needed."""
    for criterion in criteria:
        if _met(criterion, held, context) is any_of:
            return any_of
    return not any_of


def _met(criterion: _Criterion, held: Held, context: Context) -> bool:
    """Whether one criterion holds: a held kind shares a value with it, or the context's fact is one of its values
    (negated by ``!=``/``not in``); a parameter odedelta does not know never holds, whatever the operator."""
    what, name, values, negate = criterion
    if what == _HELD:
        found = not held[name].isdisjoint(values)
    elif what == _NEVER:
        return False
    else:
        fact = context.segment if what == _SEGMENT else context.attributes.get(name)
        found = fact is not None and str(fact) in values
    return not found if negate else found


def _reduction(value: str | None) -> _Reduction:
    """A discount value read: ``"50%"`` → ``(50, None)``, ``"10.00"`` → ``(None, 10.00)``; None when unreadable."""
    text = (value or "").strip()
    try:
        if text.endswith("%"):
            return Decimal(text[:-1].strip()), None
        return None, Decimal(text)
    except InvalidOperation:
        return None


def _reduced(reduction: _Reduction, base: Money) -> tuple[Money, Decimal | None] | None:
    """What a reduction takes off ``base`` (uncapped), with its percentage when it is one."""
    if reduction is None:
        return None
    percentage, amount = reduction
    try:
        if percentage is not None:
            return made_money(base.amount * percentage / HUNDRED, base.currency), percentage  # Decimal
    except InvalidOperation:  # a signalling NaN in the price
        return None
    assert amount is not None
    return made_money(amount, base.currency), None  # a Decimal read by _reduction


def recurring_base(product: Product, catalog: Catalog, as_of: datetime) -> Base:
    """A product's monthly price before discounts: from its inventory ``productPrice`` when it has one (what the
    customer was sold), else from the catalog."""
    for index, price in enumerate(product.product_price):
        if (price.price_type or "").lower() != RECURRING:
            continue
        amount, duty_free = _price_amounts(price)
        if amount is not None:
            pop = price.product_offering_price.id if price.product_offering_price else None
            where = f"inventory:{product.id}/productPrice[{index}]"
            alterations, attributions = [], []
            for i, alteration in enumerate(price.alterations):
                value = _alteration_value(alteration.price)
                if value is None:
                    continue
                source = f"{where}/productPriceAlteration[{i}]"
                found = attribute(catalog, product.id, product.offering_id or "", source, alteration, amount.amount)
                if found is not None:
                    attributions.append(found)  # left to the promotion, evaluated afresh: counted once
                elif _expired(alteration, product, as_of):
                    continue  # a goodwill discount for applicationDuration months from the product's start, now over
                else:
                    alterations.append((source, alteration.name or "price alteration", value))
            return Base(amount, where, duty_free, pop, tuple(alterations), tuple(attributions))
    return compiled(catalog).base(product.offering_id or "", as_of)


def product_bases(catalog: Catalog, products: Mapping[str, Product], as_of: datetime) -> dict[str, Base]:
    """:func:`recurring_base` of each product (to price them once for several bills: see ``bill``'s ``bases``).
    A product without an inventory price has its offering's catalog price: one table entry, asked directly."""
    tables = compiled(catalog)
    return {pid: recurring_base(product, catalog, as_of) if product.product_price
            else tables.base(product.offering_id or "", as_of) for pid, product in products.items()}


def bill_lines(catalog: Catalog, products: Mapping[str, Product],
               as_of: datetime) -> tuple[Sequence[Line], dict[str, Base]]:
    """The lines of ``products`` for :func:`bill_of` and their bases (:func:`product_bases`): the bill before a
    change reads the one, the bill after it the other. The lines are made as they are read (:class:`_Lines`)."""
    tables = compiled(catalog)
    catalog_bases = tables.bases(as_of)
    bases: dict[str, Base] = {}
    for pid, product in products.items():
        if product.product_price:
            bases[pid] = recurring_base(product, catalog, as_of)
        else:
            offering = product.offering_id or ""
            bases[pid] = catalog_bases.get(offering) or tables.base(offering, as_of)
    return _Lines(products, bases), bases


def _expired(alteration: Any, product: Product, as_of: datetime) -> bool:
    """Whether a standing alteration's ``applicationDuration`` (in its ``recurringChargePeriod``: months, or years)
    counted from the product's start has run out at ``as_of``."""
    duration = alteration.application_duration
    if duration is None or product.start_date is None:
        return False
    period = (alteration.recurring_charge_period or "month").strip().lower()
    months = duration * 12 if period.startswith(("year", "annual")) else duration
    return add_months(product.start_date.date(), months) <= as_of.date()


def _alteration_value(price: Any) -> str | None:
    if price is None:
        return None
    if price.percentage is not None:
        return f"{price.percentage}%"
    money = price.tax_included_amount or price.duty_free_amount
    return str(abs(money.value)) if money is not None and money.value is not None else None


def _price_amounts(price: ProductPrice) -> tuple[Money | None, Money | None]:
    if price.price is None:
        return None, None
    included = price.price.tax_included_amount.money() if price.price.tax_included_amount else None
    free = price.price.duty_free_amount.money() if price.price.duty_free_amount else None
    period = (price.recurring_charge_period or "month").strip().lower()
    if period.startswith(("year", "annual")):
        included = Money(included.amount / 12, included.currency) if included else None
        free = Money(free.amount / 12, free.currency) if free else None
    return included or free, free


def bill(catalog: Catalog, products: Mapping[str, Product], context: Context, as_of: datetime,
         bases: Mapping[str, Base] | None = None, priced: Priced | None = None) -> Bill:
    """The recurring bill of ``products`` with every promotion that applies to them. ``bases`` overrides a
    product's base price (a changed product is priced from the catalog of its new offering); ``priced``: see
    :func:`bill_of`."""
    lines = ((pid, product.offering_id, product.spec_id,
              (bases.get(pid) if bases else None) or recurring_base(product, catalog, as_of))
             for pid, product in products.items())
    return bill_of(catalog, lines, context, as_of, priced)


class BillLine(NamedTuple):
    """One product as a bill reads it: its id, offering, specification and monthly base price. A plain tuple of
    the four does as well (:data:`Line`: what the per-change path builds, without the named tuple's constructor)."""

    product_id: str
    offering_id: str | None
    spec_id: str | None
    base: Base


Line = tuple[str, str | None, str | None, Base]
"""A :class:`BillLine` as a plain tuple."""

Priced = dict[str, ProductBill]
"""The table :func:`bill_of` shares a change's entries with standing reductions through: product id → the entry
(it knows the base it was made from, ``ProductBill._made_from``). An entry without one is its base's alone, made
when read (:class:`Bill`): there is nothing to share."""


class _Lines(Sequence[Line]):
    """The lines of ``products`` at ``bases``, each made as it is read: a bill reads them once, and a large
    inventory would otherwise hold a tuple per product — alive while the bill is made, so many objects more for
    the collector's passes over a large change (a list of them is one ``list(lines)`` away)."""

    __slots__ = ("_bases", "_products")

    def __init__(self, products: Mapping[str, Product], bases: Mapping[str, Base]) -> None:
        self._products = products
        self._bases = bases

    def __iter__(self) -> Iterator[Line]:
        bases = self._bases
        for pid, product in self._products.items():
            yield pid, product.offering_id, product.spec_id, bases[pid]

    def __len__(self) -> int:
        return len(self._products)

    @overload
    def __getitem__(self, index: int) -> Line: ...

    @overload
    def __getitem__(self, index: slice) -> list[Line]: ...

    def __getitem__(self, index: int | slice) -> Line | list[Line]:
        return list(self)[index]


def bill_of(catalog: Catalog, lines: Iterable[Line], context: Context, as_of: datetime,
            priced: Priced | None = None) -> Bill:
    """The recurring bill of the products ``lines`` describe (in their order), with every promotion that applies.
    One pass over the lines records each product's offering and base (``lines`` may be a generator: no line is
    kept, so a large change need not hold a tuple per product); only a product with a standing reduction (its
    base's ``alterations``) gets its entry now, the others when the bill's entries are read (:class:`Bill`). Only
    the promotions that name an offering held are then judged. ``priced``: the entries with standing reductions of
    another bill of the same change, by product (:data:`Priced`) — a line with the same base and offering reuses
    its entry (the bill after a change shares those of the products it leaves as they are with the bill before).
    An empty ``priced`` is filled with the entries made here (the first bill of a change makes the table); a
    filled one is only read."""
    offerings_of: dict[str, str] = {}
    bases: dict[str, Base] = {}
    made: dict[str, ProductBill] = {}
    attributions: list[Attribution] = []
    offerings: set[str] = set()  # every line's (a product listed twice: both lines', as the promotions judge them)
    held = offerings.add
    known = priced.get if priced else None
    record = priced if priced is not None and not priced else None
    judgments = _Judgments.of(catalog)
    specifications: set[str] | None = set() if judgments.beyond else None
    spec_held = specifications.add if specifications is not None else None
    for pid, offering, spec, base in lines:
        if offering:
            held(offering)
        else:
            offering = ""
        if spec and spec_held is not None:
            spec_held(spec)
        offerings_of[pid] = offering
        bases[pid] = base
        if base.attributions:
            attributions += _mark_duplicates(base.attributions)
        if not base.alterations:
            if made:
                made.pop(pid, None)  # a product listed twice: the last line's entry, as the tables have it
            continue
        if known is not None:
            found = known(pid)
            if found is not None and found._made_from is base and found.offering_id == offering:
                made[pid] = found
                continue
        entry = made[pid] = _altered(pid, offering, base)
        if record is not None:
            record[pid] = entry
    promotions = _promotions(catalog, offerings_of, bases, made, specifications, context, as_of, judgments,
                             offerings)
    return Bill._of(offerings_of, bases, made, promotions, attributions)


def bill_of_products(catalog: Catalog, products: Mapping[str, Product], context: Context,
                     as_of: datetime) -> tuple[Bill, dict[str, Base], Priced]:
    """:func:`bill_of` of :func:`bill_lines` — the recurring bill of the customer's ``products`` as they are — in
    one pass over the products: each is read once for its offering, specification and base, recorded straight in
    the bill's tables (no line is made, and the bases are one table: the bill's, only read from now on). With the
    bill, the base of each product and the entries with standing reductions (:data:`Priced`, for the bill after
    a change: :func:`bill_changed`). The bill before a change is made afresh for each inventory a change meets."""
    tables = compiled(catalog)
    catalog_bases = tables.bases(as_of)
    offerings_of: dict[str, str] = {}
    bases: dict[str, Base] = {}
    made: dict[str, ProductBill] = {}
    attributions: list[Attribution] = []
    judgments = _Judgments.of(catalog)
    specifications: set[str] | None = set() if judgments.beyond else None
    for pid, product in products.items():
        offering = product.offering_id or ""
        if specifications is not None and (spec := product.spec_id):
            specifications.add(spec)
        offerings_of[pid] = offering
        if product.product_price:
            base = bases[pid] = recurring_base(product, catalog, as_of)
        else:
            base = bases[pid] = catalog_bases.get(offering) or tables.base(offering, as_of)
        if base.attributions:
            attributions += _mark_duplicates(base.attributions)
        if base.alterations:
            made[pid] = _altered(pid, offering, base)
    priced = dict(made)  # before the promotions add theirs
    promotions = _promotions(catalog, offerings_of, bases, made, specifications, context, as_of, judgments)
    return Bill._of(offerings_of, bases, made, promotions, attributions), bases, priced


def _altered(product_id: str, offering: str, base: Base) -> ProductBill:
    """The entry of a product at ``base`` with the base's standing reductions (``alterations``) on it, in order."""
    entry = _plain(product_id, offering, base)
    for source, name, value in base.alterations:
        discount = discount_for(entry, source, name, value)
        if discount is not None:
            entry = entry.plus(discount)
    return entry


Change = tuple[str, str | None, Base | None]
"""What a change does to one product of a bill (:func:`bill_changed`): ``(product id, offering, base)`` — the
product at that offering and base, in its place (a product the bill does not hold goes last) — or ``(product id,
None, None)``: the product is gone."""


def bill_changed(catalog: Catalog, before: Bill, priced: Priced, changes: Iterable[Change],
                 placed: Callable[[], Iterable[tuple[str, str | None, str | None]]], context: Context,
                 as_of: datetime) -> Bill:
    """The bill after a change, made from the bill before it (a bill of lines, :func:`bill_of`, whose entries
    with standing reductions are ``priced``): what :func:`bill_of` gives for the lines after the change, where a
    product the change leaves as it is keeps its line — its offering, its base, its entry. Only the products the
    change touches (``changes``, in the order the lines after the change name them) are priced again; the tables
    of the others are copied whole (a large account's change touches a few of its products), and the promotions
    are judged over the offerings held after. The lines after the change name each product once (a product
    installed again under its own id, or added twice, is the caller's to make a bill of lines of). ``placed``:
    the ``(product id, offering, specification)`` of the products after the change
    (:attr:`~odedelta.flows.result.ChangeResult.placed`), asked for only in a catalog whose promotions compare the
    specifications held."""
    offerings_of = dict(before._offerings)
    bases = dict(before._bases)
    made = dict(priced)
    attributed = bool(before.attributions)
    for pid, offering, base in changes:
        if base is None:
            del offerings_of[pid], bases[pid]
            made.pop(pid, None)
            continue
        offerings_of[pid] = offering = offering or ""
        bases[pid] = base
        if base.attributions:
            attributed = True
        if not base.alterations:
            made.pop(pid, None)
            continue
        found = priced.get(pid)
        made[pid] = found if found is not None and found._made_from is base and found.offering_id == offering \
            else _altered(pid, offering, base)
    attributions: list[Attribution] = []
    if attributed:  # in the order of the lines, as bill_of gathers them
        for base in bases.values():
            if base.attributions:
                attributions += _mark_duplicates(base.attributions)
    judgments = _Judgments.of(catalog)
    specifications = {spec for _, _, spec in placed() if spec} if judgments.beyond else None
    promotions = _promotions(catalog, offerings_of, bases, made, specifications, context, as_of, judgments)
    return Bill._of(offerings_of, bases, made, promotions, attributions)


_JUDGMENTS_SIZE = 4096
"""How many judgments :class:`_Judgments` keeps per catalog before it starts afresh (a bound on its memory: a base
of customers holds far fewer distinct combinations of promoted offerings)."""


class _Judgments:
    """Which of a catalog's promotions apply, judged once per catalog for each distinct *key* — everything a
    judgment reads, and nothing else: the offerings held that a promotion names (in a criterion or as what an
    action discounts: the others bring in no promotion and meet no criterion), the specifications and categories
    held that a criterion names (only in a catalog whose promotions read them), the context's facts the criteria
    read (the segment, the named attributes, as the criteria compare them: as text), and the validity epoch of the
    moment (between two boundaries of the promotions' and their patterns' validFor, every validity test answers the
    same). Two bills — before and after a change, or of two customers — that agree on the key have the same
    promotions applying, in the same order; what each then grants depends on the bill's own entries
    (:func:`_grant`). The table is bounded (:data:`_JUDGMENTS_SIZE`); a full table starts afresh."""

    __slots__ = ("attributes", "beyond", "boundaries", "categories", "last", "offerings", "segment",
                 "specifications", "table")

    def __init__(self, catalog: Catalog) -> None:
        terms = [_Terms.in_catalog(catalog, pid) for pid in catalog.promotions]
        criteria = [c for t in terms for _, _, groups in t.patterns for _, group in groups for c in group]
        named: dict[str, set[str]] = {OFFERING: set(), SPECIFICATION: set(), CATEGORY: set()}
        for what, kind, values, _ in criteria:
            if what == _HELD:
                named[kind] |= values
        targets = {target for t in terms for refs, _ in t.actions for target in refs if target is not None}
        self.offerings = frozenset(named[OFFERING] | targets)
        """Every offering a promotion names: a superset of those the graph's index brings promotions in by."""
        self.beyond = any(t.beyond for t in terms)
        self.specifications = frozenset(named[SPECIFICATION])
        self.categories = frozenset(named[CATEGORY])
        self.segment = any(what == _SEGMENT for what, _, _, _ in criteria)
        self.attributes = tuple(sorted({name for what, name, _, _ in criteria if what == _ATTRIBUTE}))
        periods = [t.valid_for for t in terms] + [valid_for for t in terms for valid_for, _, _ in t.patterns]
        self.boundaries = sorted({edge for p in periods if p is not None for edge in (p.start, p.end)
                                  if edge is not None})
        self.last: tuple[datetime, int] | None = None
        self.table: dict[tuple[Any, ...], tuple[_Terms, ...]] = {}

    @staticmethod
    def of(catalog: Catalog) -> _Judgments:
        """The catalog's judgments (kept in its memo)."""
        found: _Judgments = catalog.remembered(("promotion judgments",), lambda: _Judgments(catalog))
        return found

    def epoch(self, as_of: datetime) -> int:
        """Which stretch between the promotions' validity boundaries ``as_of`` falls in (remembered for the last
        moment asked: the bills of a change, and of a campaign, ask it for one)."""
        last = self.last
        if last is not None and (last[0] is as_of or last[0] == as_of):
            return last[1]
        found = bisect_right(self.boundaries, as_of)
        self.last = (as_of, found)
        return found

    def facts(self, context: Context) -> tuple[str | None, ...]:
        """The context's facts the criteria read, as they compare them (:func:`_met`: the text, or None)."""
        if not self.attributes:  # no criterion reads an attribute (most catalogs): nothing to look up
            return (context.segment,) if self.segment else ()
        attributes = context.attributes
        facts = tuple(None if (fact := attributes.get(name)) is None else str(fact) for name in self.attributes)
        return (context.segment, *facts) if self.segment else facts

    def applying(self, catalog: Catalog, offerings: AbstractSet[str], specifications: set[str] | None,
                 context: Context, as_of: datetime) -> tuple[_Terms, ...]:
        """The terms of the promotions that apply to a bill holding ``offerings`` (and, in a catalog whose
        promotions read them, ``specifications``: those its lines name) and discount one of them, in promotion id
        order."""
        held_named = self.offerings.intersection(offerings)
        if not held_named:
            return ()  # no promotion names anything held
        held: Held | None
        if self.beyond and specifications is not None:
            held = holding = _holding(compiled(catalog), set(offerings), specifications)
            key: tuple[Any, ...] = (held_named, self.specifications.intersection(holding[SPECIFICATION]),
                                    self.categories.intersection(holding[CATEGORY]), self.facts(context),
                                    self.epoch(as_of))
        else:
            held = None  # only offerings are compared: made when a judgment is made
            key = (held_named, self.facts(context), self.epoch(as_of))
        found = self.table.get(key)
        if found is None:
            if held is None:
                held = {OFFERING: held_named, SPECIFICATION: _NONE, CATEGORY: _NONE}
            found = self._judge(catalog, held_named, held, context, as_of)
            if len(self.table) >= _JUDGMENTS_SIZE:
                self.table.clear()
            self.table[key] = found
        return found

    @staticmethod
    def _judge(catalog: Catalog, offerings: AbstractSet[str], held: Held, context: Context,
               as_of: datetime) -> tuple[_Terms, ...]:
        """The judgment itself: each promotion the graph's index brings in by an offering held, in id order,
        that applies (judged over what is held and the context at ``as_of``) and discounts an offering held — one
        that discounts none grants nothing (:func:`_grant` would look at every entry to find so, and a promotion
        that grants nothing is not the customer's)."""
        named: dict[str, _Terms] = {}
        for offering in offerings:
            for terms in _Terms.naming(catalog, offering):
                named[terms.promotion.id] = terms
        return tuple(terms for terms in (named[pid] for pid in sorted(named))
                     if any(not targets.isdisjoint(offerings) for targets, _ in terms.actions)
                     and terms.applies(held, context, as_of))


def _promotions(catalog: Catalog, offerings_of: dict[str, str], bases: Mapping[str, Base],
                made: dict[str, ProductBill], specifications: set[str] | None, context: Context,
                as_of: datetime, judgments: _Judgments, offerings: set[str] | None = None
                ) -> dict[str, list[Discount]]:
    """The promotions that apply to what a bill holds (:class:`_Judgments`), each with the discounts it grants
    (their entries added to ``made``). ``offerings_of`` and ``bases``: the bill's products, their offerings (``""``
    for none) and base prices; ``specifications``: those the lines name, gathered when a promotion of the catalog
    reads them or the categories (None when none does); ``offerings``: the offerings held, when the caller
    gathered them (else those of ``offerings_of``)."""
    if offerings is None:
        offerings = set(offerings_of.values())  # gathered at once
        offerings.discard("")
    promotions: dict[str, list[Discount]] = {}
    for terms in judgments.applying(catalog, offerings, specifications, context, as_of):
        granted = _grant(terms, offerings_of, bases, made)
        if granted:  # a promotion the customer qualifies for but that discounts nothing they hold is not theirs
            promotions[terms.promotion.id] = granted
    return promotions


def _holding(tables: CompiledCatalog, offerings: set[str], specifications: set[str]) -> dict[str, set[str]]:
    """:func:`holds` of the offerings and specifications a bill's lines name (each offering once)."""
    categories: set[str] = set()
    specifications = set(specifications)
    for offering in offerings:
        categories.update(tables.categories(offering))
        spec = tables.spec(offering)
        if spec:
            specifications.add(spec)
    return {OFFERING: offerings, SPECIFICATION: specifications, CATEGORY: categories}


def _grant(terms: _Terms, offerings_of: dict[str, str], bases: Mapping[str, Base],
           made: dict[str, ProductBill]) -> list[Discount]:
    """The discounts of an applying promotion's actions, each added to its product's entry in ``made`` (an entry
    not made yet is its base's: :func:`_plain`), the products in the bill's order."""
    granted: list[Discount] = []
    source, label = terms.source, terms.label
    for targets, reduction in terms.actions:
        for pid, offering in offerings_of.items():
            if offering not in targets:
                continue
            entry = made.get(pid)
            if entry is None:  # the entry is its base's (:func:`_plain`): made only once discounted
                base = bases[pid]
                price, sums = base.amount, base.undiscounted()
                net = sums[1] if sums is not None else None
            else:
                price, net = entry.base, entry.net
            if price is None or net is None:
                continue
            found = _reduced(reduction, price)
            if found is None:
                continue
            amount, percentage = found
            if net.amount < amount.amount:  # min(amount, net): never below zero (both in the base's currency)
                amount = net
            discount = _discount(pid, source, label, amount, percentage)
            made[pid] = entry.plus(discount) if entry is not None else _discounted(pid, offering, base, discount)
            granted.append(discount)
    return granted


def _discounted(product_id: str, offering: str, base: Base, discount: Discount) -> ProductBill:
    """``_plain(…).plus(discount)`` for a ``discount`` in the base's currency, made at once: the running sums
    :meth:`ProductBill.plus` works out, in the same operations."""
    price, sums = base.amount, base.undiscounted()
    assert price is not None and sums is not None  # a discount is granted only on a price
    total = sums[0].amount + discount.amount.amount
    return _entry(product_id, offering, price, base.basis, base.duty_free, base.pop_id, [discount],
                  (made_money(total, price.currency), made_money(price.amount - total, price.currency)), base)


def _mark_duplicates(found: tuple[Attribution, ...]) -> list[Attribution]:
    """Several alterations of one product recording the same promotion: each is flagged (counted once)."""
    seen: dict[str, int] = {}
    for attribution in found:
        seen[attribution.promotion_id] = seen.get(attribution.promotion_id, 0) + 1
    return [replace(a, duplicate=True) if seen[a.promotion_id] > 1 else a for a in found]


def discount_for(entry: ProductBill, source: str, name: str, value: str) -> Discount | None:
    """The discount ``value`` (like ``"5%"`` or ``"3.00"``) gives the product, capped at its net price; None when
    it has no price or the value cannot be read. The entry is not changed (see :func:`with_discount`)."""
    if entry.base is None or entry.net is None:
        return None
    found = _reduced(_reduction(value), entry.base)
    if found is None:
        return None
    amount, percentage = found
    return Discount(entry.product_id, source, name, min(amount, entry.net), percentage)


def with_discount(bill: Bill, grant: str, discount: Discount) -> Bill:
    """A new bill: ``bill`` with ``discount`` on its product, granted by ``grant`` (a promotion id, or
    ``rule:<id>``)."""
    return with_discounts(bill, [(grant, discount)])


def with_discounts(bill: Bill, granted: Iterable[tuple[str, Discount]]) -> Bill:
    """:func:`with_discount` of each ``(grant, discount)`` in turn, as one new bill: the same bill (entries,
    promotions and their order), made with one copy of its tables instead of one per discount — a rule that
    discounts every line of a large account would otherwise copy the whole bill once per line. ``bill`` itself is
    returned when nothing is granted."""
    entries: dict[str, ProductBill] | None = None
    promotions: dict[str, list[Discount]] = {}
    for grant, discount in granted:
        if entries is None:
            entries, promotions = {}, dict(bill.promotions)
        pid = discount.product_id
        entry = entries.get(pid) or bill.entry(pid)
        if entry is None:
            raise KeyError(pid)
        entries[pid] = entry.plus(discount)
        given = promotions.get(grant)
        if given is None or given is bill.promotions.get(grant):
            given = promotions[grant] = list(given or ())  # the bill's own list stays as it was
        given.append(discount)
    if entries is None:
        return bill
    return bill.with_entries(entries, promotions)
