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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from odedelta.model.attribution import Attribution, attribute
from odedelta.model.catalog import CRITERIA_PARAMETERS, SELLABLE_STATUSES, Catalog
from odedelta.model.compiled import compiled
from odedelta.model.graph import CATEGORY, OFFERING, SPECIFICATION
from odedelta.model.money import Money
from odedelta.model.months import add_months
from odedelta.model.pricing import RECURRING, Base
from odedelta.model.records import Promotion, PromotionCriteria
from odedelta.model.requests import Context
from odedelta.model.tmf import Product, ProductPrice, in_period

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Discount:
    """A reduction of one product's recurring price, and what grants it (``promotion:<id>`` or ``rule:<id>``)."""

    product_id: str
    source: str
    name: str
    amount: Money
    percentage: Decimal | None = None


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
    discounts: list[Discount] = field(default_factory=list)
    _sums: tuple[Money | None, Money | None] | None = field(default=None, init=False, repr=False, compare=False)
    """``(discount_total, net)``, worked out on first use (a bill is read many times, never changed)."""

    def _totals(self) -> tuple[Money | None, Money | None]:
        if self._sums is not None:
            return self._sums
        if self.base is None:
            sums: tuple[Money | None, Money | None] = (None, None)
        elif not self.discounts:  # what the loop below gives for no discount, without its checks and zero sums
            sums = (Money(ZERO, self.base.currency), Money(self.base.amount - ZERO, self.base.currency))
        else:
            total = Money.zero(self.base.currency)
            for discount in self.discounts:
                total = total + discount.amount
            sums = (total, self.base - total)
        object.__setattr__(self, "_sums", sums)  # a cache of derived values: the record itself is unchanged
        return sums

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


@dataclass(frozen=True, slots=True)
class Bill:
    """The recurring charges of a set of products at one moment, with the promotions that apply. A value:
    :func:`with_discount` makes a new one."""

    products: dict[str, ProductBill]
    promotions: dict[str, list[Discount]]
    """Promotion id → the discounts it grants (only promotions that discount something the customer holds)."""
    attributions: list[Attribution] = field(default_factory=list)
    """Every inventory alteration read as a promotion's record (counted once, as the promotion)."""

    @property
    def ambiguous(self) -> list[Attribution]:
        """Attributions the evidence does not settle (reported with the result)."""
        return [a for a in self.attributions if a.ambiguous]

    def net(self, product_ids: Iterable[str]) -> list[Money]:
        return [n for p in product_ids if p in self.products and (n := self.products[p].net) is not None]


def holds(products: Iterable[Product], catalog: Catalog) -> dict[str, set[str]]:
    """What the customer's products are: ``kind → ids`` of offerings, specifications and categories."""
    return _held(((p.offering_id, p.spec_id) for p in products), catalog)


def _held(products: Iterable[tuple[str | None, str | None]], catalog: Catalog) -> dict[str, set[str]]:
    """:func:`holds` of ``(offering id, specification id)`` pairs."""
    tables = compiled(catalog)
    offerings: set[str] = set()
    specifications: set[str] = set()
    categories: set[str] = set()
    for offering, spec_id in products:
        if offering:
            offerings.add(offering)
            categories.update(tables.categories(offering))
            spec = tables.spec(offering)
            if spec:
                specifications.add(spec)
        if spec_id:
            specifications.add(spec_id)
    return {OFFERING: offerings, SPECIFICATION: specifications, CATEGORY: categories}


def promotion_applies(promotion: Promotion, held: Mapping[str, set[str]], context: Context, as_of: datetime) -> bool:
    status = (promotion.lifecycle_status or "active").strip().lower()
    if status not in SELLABLE_STATUSES or not in_period(promotion.valid_for, as_of):
        return False
    for pattern in promotion.pattern:
        if not in_period(pattern.valid_for, as_of):
            continue
        results = [_group(group.criteria, group.criteria_logical_relationship, held, context)
                   for group in pattern.criteria_group]
        combine = any if (pattern.criteria_group_logical_relationship or "AND").upper() == "OR" else all
        if combine(results):
            return True
    return False


def _group(criteria: Sequence[PromotionCriteria], relation: str | None, held: Mapping[str, set[str]],
           context: Context) -> bool:
    combine = any if (relation or "AND").upper() == "OR" else all
    return combine(_criterion(c, held, context) for c in criteria)


def _criterion(criterion: PromotionCriteria, held: Mapping[str, set[str]], context: Context) -> bool:
    parameter = (criterion.criteria_parameter or "").strip()
    operator = (criterion.criteria_operator or "=").strip().lower()
    values = [v.strip() for v in (criterion.criteria_value or "").split(",") if v.strip()]
    negate = operator in ("!=", "<>", "not in", "notin")
    kind = CRITERIA_PARAMETERS.get(parameter.lower())
    if kind is not None:
        found = bool(held[kind].intersection(values))
    elif parameter.lower().startswith("customer."):
        name = parameter.split(".", 1)[1]
        fact = getattr(context, name, None) if name in ("segment",) else context.attributes.get(name)
        found = fact is not None and str(fact) in values
    else:
        return False
    return not found if negate else found


def _discount_of(value: str | None, base: Money) -> tuple[Money, Decimal | None] | None:
    text = (value or "").strip()
    try:
        if text.endswith("%"):
            percentage = Decimal(text[:-1].strip())
            return Money(base.amount * percentage / HUNDRED, base.currency), percentage
        return Money(Decimal(text), base.currency), None
    except InvalidOperation:
        return None


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
    """:func:`recurring_base` of each product (to price them once for several bills: see ``bill``'s ``bases``)."""
    return {pid: recurring_base(product, catalog, as_of) for pid, product in products.items()}


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
         bases: Mapping[str, Base] | None = None) -> Bill:
    """The recurring bill of ``products`` with every promotion that applies to them. ``bases`` overrides a
    product's base price (a changed product is priced from the catalog of its new offering)."""
    lines = [BillLine(pid, product.offering_id, product.spec_id,
                      (bases.get(pid) if bases else None) or recurring_base(product, catalog, as_of))
             for pid, product in products.items()]
    return bill_of(catalog, lines, context, as_of)


class BillLine(NamedTuple):
    """One product as a bill reads it: its id, offering, specification and monthly base price."""

    product_id: str
    offering_id: str | None
    spec_id: str | None
    base: Base


def bill_of(catalog: Catalog, lines: Sequence[BillLine], context: Context, as_of: datetime) -> Bill:
    """The recurring bill of the products ``lines`` describe (in their order), with every promotion that applies."""
    held = _held(((line.offering_id, line.spec_id) for line in lines), catalog)
    bills: dict[str, ProductBill] = {}
    attributions: list[Attribution] = []
    for pid, offering, _, base in lines:
        if base.attributions:
            attributions += _mark_duplicates(base.attributions)
        entry = ProductBill(pid, offering or "", base.amount, base.basis, base.duty_free, base.pop_id)
        for source, name, value in base.alterations:
            discount = discount_for(entry, source, name, value)
            if discount is not None:
                entry = replace(entry, discounts=[*entry.discounts, discount])
        bills[pid] = entry
    tables = compiled(catalog)
    # only a promotion that names something the customer holds can discount it (the graph indexes them)
    named = {pid for offering in held[OFFERING] for pid in tables.promotions(offering)}
    promotions: dict[str, list[Discount]] = {}
    for promotion in sorted((catalog.promotions[pid] for pid in named), key=lambda p: p.id):
        if promotion_applies(promotion, held, context, as_of):
            granted = _grant(promotion, bills)
            if granted:  # a promotion the customer qualifies for but that discounts nothing they hold is not theirs
                promotions[promotion.id] = granted
    return Bill(bills, promotions, attributions)


def _grant(promotion: Promotion, bills: dict[str, ProductBill]) -> list[Discount]:
    """The discounts of an applying promotion's actions, each added to its product's entry in ``bills``."""
    granted: list[Discount] = []
    for pattern in promotion.pattern:
        for action in pattern.action:
            if (action.action_type or "").lower() != "discount":
                continue
            targets = {ref.id for ref in action.entity_refs}
            for pid, entry in bills.items():
                if entry.offering_id not in targets or entry.base is None or entry.net is None:
                    continue
                found = _discount_of(action.action_value, entry.base)
                if found is None:
                    continue
                amount, percentage = found
                amount = min(amount, entry.net)  # never below zero
                discount = Discount(pid, f"promotion:{promotion.id}", promotion.name or promotion.id, amount,
                                    percentage)
                bills[pid] = replace(entry, discounts=[*entry.discounts, discount])
                granted.append(discount)
    return granted


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
    found = _discount_of(value, entry.base)
    if found is None:
        return None
    amount, percentage = found
    return Discount(entry.product_id, source, name, min(amount, entry.net), percentage)


def with_discount(bill: Bill, grant: str, discount: Discount) -> Bill:
    """A new bill: ``bill`` with ``discount`` on its product, granted by ``grant`` (a promotion id, or
    ``rule:<id>``)."""
    entry = bill.products[discount.product_id]
    products = {**bill.products, entry.product_id: replace(entry, discounts=[*entry.discounts, discount])}
    promotions = {**bill.promotions, grant: [*bill.promotions.get(grant, []), discount]}
    return replace(bill, products=products, promotions=promotions)
