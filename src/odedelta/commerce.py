"""What the customer pays: recurring prices per product, TMF671 promotions, and the bill before and after a change.

Interpretation of TMF671 (README, "Promotions"):

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
projected inventory).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .catalog import CRITERIA_PARAMETERS, Catalog, SELLABLE_STATUSES
from .graph import CATEGORY, OFFERING, SPECIFICATION
from .money import Money
from .pricing import RECURRING, catalog_prices
from .requests import Context
from .tmf import Product, ProductPrice, Promotion, PromotionCriteria, in_period

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


@dataclass(frozen=True)
class Base:
    """A monthly price before discounts: tax-included ``amount`` (duty-free when only that is known), where it
    comes from (``basis``), the duty-free amount when given, and the catalog price it is an instance of."""

    amount: Money | None
    basis: str
    duty_free: Money | None = None
    pop_id: str | None = None
    alterations: tuple[tuple[str, str, str], ...] = ()
    """Standing reductions of this price: ``(source, name, value)`` with value ``"20%"`` or ``"3.00"`` — catalog
    discount POPs related to the price (``popRelationship``), and inventory ``productPriceAlteration``s that no
    catalog promotion accounts for (a goodwill discount)."""


@dataclass
class ProductBill:
    """One product's monthly price: its base (``basis``: where it comes from) and the discounts on it."""

    product_id: str
    offering_id: str
    base: Money | None
    basis: str
    duty_free: Money | None = None
    pop_id: str | None = None
    discounts: list[Discount] = field(default_factory=list)

    @property
    def discount_total(self) -> Money | None:
        if self.base is None:
            return None
        total = Money.zero(self.base.currency)
        for discount in self.discounts:
            total = total + discount.amount
        return total

    @property
    def net(self) -> Money | None:
        if self.base is None:
            return None
        return self.base - (self.discount_total or Money.zero(self.base.currency))

    @property
    def free(self) -> bool:
        """Free only thanks to its discounts: a price that is zero after them but not before."""
        return self.base is not None and self.base.amount > 0 and self.net is not None and self.net.amount == 0


@dataclass
class Bill:
    """The recurring charges of a set of products at one moment, with the promotions that apply."""

    products: dict[str, ProductBill]
    promotions: dict[str, list[Discount]]
    """Promotion id → the discounts it grants (only promotions that discount something the customer holds)."""

    def net(self, product_ids: Iterable[str]) -> list[Money]:
        return [n for p in product_ids if p in self.products and (n := self.products[p].net) is not None]


def holds(products: Iterable[Product], catalog: Catalog) -> dict[str, set[str]]:
    """What the customer's products are: ``kind → ids`` of offerings, specifications and categories."""
    held: dict[str, set[str]] = {OFFERING: set(), SPECIFICATION: set(), CATEGORY: set()}
    for product in products:
        if product.offering_id:
            held[OFFERING].add(product.offering_id)
            held[CATEGORY].update(catalog.graph.categories_of(product.offering_id))
            spec = catalog.graph.specification_of(product.offering_id)
            if spec:
                held[SPECIFICATION].add(spec)
        if product.spec_id:
            held[SPECIFICATION].add(product.spec_id)
    return held


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


def _group(criteria: list[PromotionCriteria], relation: str | None, held: Mapping[str, set[str]],
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
            alterations = tuple(
                (f"{where}/productPriceAlteration[{i}]", alteration.name or "price alteration", value)
                for i, alteration in enumerate(price.alterations)
                if (value := _alteration_value(alteration.price)) is not None
                and not _names_a_promotion(alteration.name, alteration.description, catalog)
            )
            return Base(amount, where, duty_free, pop, alterations)
    return catalog_base(catalog, product.offering_id or "", as_of)


def _alteration_value(price: Any) -> str | None:
    if price is None:
        return None
    if price.percentage is not None:
        return f"{price.percentage}%"
    money = price.tax_included_amount or price.duty_free_amount
    return str(abs(money.value)) if money is not None and money.value is not None else None


def _names_a_promotion(name: str | None, description: str | None, catalog: Catalog) -> bool:
    """Inventory alterations a catalog promotion accounts for are left to the promotion (evaluated afresh)."""
    text = f"{name or ''} {description or ''}"
    return any(pid in text for pid in catalog.promotions)


def catalog_base(catalog: Catalog, offering_id: str, as_of: datetime) -> Base:
    return catalog.remembered(("base", offering_id, catalog.price_epoch(as_of)),
                              lambda: _catalog_base(catalog, offering_id, as_of))


def _catalog_base(catalog: Catalog, offering_id: str, as_of: datetime) -> Base:
    lines = [line for line in catalog_prices(catalog, offering_id, as_of) if line.kind == RECURRING]
    if not lines:
        return Base(None, f"catalog:{offering_id}")
    amount = lines[0].amount
    for line in lines[1:]:
        amount = amount + line.amount
    alterations = tuple(
        (f"catalog:{related.id}", related.name or related.id, f"{related.percentage}%" if related.percentage is not None
         else str(related.price.value))
        for line in lines
        for rel in catalog.prices[line.pop_id].pop_relationship
        if (related := catalog.prices.get(rel.id or "")) is not None
        and (related.price_type or "").lower() in ("discount", "allowance")
        and in_period(related.valid_for, as_of)
        and (related.percentage is not None or (related.price is not None and related.price.value is not None))
    )
    return Base(amount, "catalog:" + ",".join(line.pop_id for line in lines), None,
                lines[0].pop_id if len(lines) == 1 else None, alterations)


def _price_amounts(price: ProductPrice) -> tuple[Money | None, Money | None]:
    if price.price is None:
        return None, None
    included = price.price.tax_included_amount.money() if price.price.tax_included_amount else None
    free = price.price.duty_free_amount.money() if price.price.duty_free_amount else None
    period = (price.recurring_charge_period or "month").strip().lower()
    if period.startswith("year") or period.startswith("annual"):
        included = Money(included.amount / 12, included.currency) if included else None
        free = Money(free.amount / 12, free.currency) if free else None
    return included or free, free


def bill(catalog: Catalog, products: Mapping[str, Product], context: Context, as_of: datetime,
         bases: Mapping[str, Base] | None = None) -> Bill:
    """The recurring bill of ``products`` with every promotion that applies to them. ``bases`` overrides a
    product's base price (a changed product is priced from the catalog of its new offering)."""
    held = holds(products.values(), catalog)
    bills: dict[str, ProductBill] = {}
    for pid, product in products.items():
        base = (bases or {}).get(pid) or recurring_base(product, catalog, as_of)
        bills[pid] = entry = ProductBill(pid, product.offering_id or "", base.amount, base.basis, base.duty_free,
                                         base.pop_id)
        for source, name, value in base.alterations:
            add_discount(entry, source, name, value)
    promotions: dict[str, list[Discount]] = {}
    # only a promotion that names something the customer holds can discount it (the graph indexes them)
    named = {pid for offering in held[OFFERING] for pid in catalog.graph.promotions_naming(OFFERING, offering)}
    for promotion in sorted((catalog.promotions[pid] for pid in named), key=lambda p: p.id):
        if not promotion_applies(promotion, held, context, as_of):
            continue
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
                    entry.discounts.append(discount)
                    granted.append(discount)
        if granted:  # a promotion the customer qualifies for but that discounts nothing they hold is not theirs
            promotions[promotion.id] = granted
    return Bill(bills, promotions)


def add_discount(entry: ProductBill, source: str, name: str, value: str) -> Discount | None:
    """A discount from a ``discount`` rule (``value`` like ``"5%"`` or ``"3.00"``), capped at the net price."""
    if entry.base is None or entry.net is None:
        return None
    found = _discount_of(value, entry.base)
    if found is None:
        return None
    amount, percentage = found
    discount = Discount(entry.product_id, source, name, min(amount, entry.net), percentage)
    entry.discounts.append(discount)
    return discount

