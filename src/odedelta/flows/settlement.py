"""Money between the partners, from catalog data: what the reseller owes each supplier because of a change
(settlement lines), and what an SLA violation costs (a customer credit recharged to the supplier, as the
``sla_credit`` rules say).

Settlement lines per partner item of a change (every item a supplier supplies, ``noChange`` included — its
wholesale price does not move, so its lines cancel out):

* ``wholesale_before`` — the installed product's wholesale price per month (its installed offering's);
* ``wholesale_after`` — the product's wholesale price per month after the change (none for a ``delete``);
* ``revenue_share`` — what the reseller keeps per month: the customer's net monthly price after the change minus
  the wholesale price after it;
* ``one_time`` — the supplier's one-time wholesale prices of a product new to it (activation).

A product moving between suppliers has its ``wholesale_before`` line under the supplier it leaves and the others
under the one it joins.

Amounts are rounded per line, like every amount odedelta shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from odedelta.delta.items import Action, DeltaItem
from odedelta.flows.result import ChangeResult
from odedelta.model.catalog import Catalog
from odedelta.model.errors import RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.money import Money
from odedelta.model.partners import Supplier, supplier_of, wholesale_prices
from odedelta.model.pricing import ONE_TIME, RECURRING
from odedelta.model.requests import Context
from odedelta.money.bill import bill
from odedelta.rules import Rulebook
from odedelta.rules.facts import Facts, ItemFacts, SlaFacts
from odedelta.rules.language import SlaCreditEffect


@dataclass(frozen=True)
class SettlementLine:
    supplier: Supplier
    item_id: str
    product_id: str
    kind: str
    """``wholesale_before``, ``wholesale_after``, ``revenue_share`` (per month) or ``one_time``."""
    amount: Money
    explanation: str


def _sum(lines: Sequence[Money]) -> Money | None:
    if not lines:
        return None
    out = lines[0].rounded()
    for line in lines[1:]:
        out = out + line.rounded()
    return out


def settlement_lines(result: ChangeResult) -> list[SettlementLine]:
    """Every settlement line of the change, in delta order (see the module docstring)."""
    out: list[SettlementLine] = []
    catalog, as_of = result.catalog, result.as_of
    for item in result.items:
        name = catalog.name_of(item.offering_id)
        before_offering = item.previous_offering_id or item.offering_id
        before_supplier = supplier_of(catalog, before_offering) if item.installed else None
        after_supplier = supplier_of(catalog, item.offering_id) if item.action is not Action.DELETE else None

        def line(supplier: Supplier, kind: str, amount: Money, text: str, item: DeltaItem = item) -> None:
            out.append(SettlementLine(supplier, item.id, item.product_id, kind, amount.rounded(), text))

        if before_supplier is not None:
            before = _sum([p.amount for p in wholesale_prices(catalog, before_offering, as_of) if p.kind == RECURRING])
            if before is not None:
                line(before_supplier, "wholesale_before", before, f"{catalog.name_of(before_offering)} "
                     f"[{item.product_id}]: wholesale {before} per month before the change")
        if after_supplier is None:
            continue
        prices = wholesale_prices(catalog, item.offering_id, as_of)
        after = _sum([p.amount for p in prices if p.kind == RECURRING])
        if after is not None:
            line(after_supplier, "wholesale_after", after, f"{name} [{item.product_id}]: wholesale {after} per month "
                                                           "after the change")
            bill_entry = result.consequences.after.products.get(item.product_id) if result.consequences else None
            if bill_entry is not None and bill_entry.net is not None:
                retail = bill_entry.net.rounded()
                line(after_supplier, "revenue_share", retail - after, f"{name} [{item.product_id}]: the customer pays "
                     f"{retail}, the supplier is paid {after}: the reseller keeps {retail - after}")
        if item.action is Action.ADD or before_supplier != after_supplier:  # a new product at this supplier
            for price in prices:
                if price.kind == ONE_TIME:
                    line(after_supplier, "one_time", price.amount,
                         f"{name} [{item.product_id}]: {price.name} {price.amount.rounded()}")
    return out


# ------------------------------------------------------------------------------------------------ SLA


@dataclass(frozen=True)
class SlaAdjustment:
    product_id: str
    rule_id: str
    customer_credit: Money
    supplier_penalty: Money | None
    supplier: Supplier | None
    explanation: str


def _share(text: str, of: Money) -> Money:
    text = text.strip()
    if text.endswith("%"):
        return (of * (Decimal(text[:-1].strip()) / 100)).rounded()
    return Money(Decimal(text), of.currency).rounded()


def sla_adjustment(rules: Rulebook, catalog: Catalog, inventory: Inventory, product_id: str, metric: str,
                   measured: Decimal, as_of: datetime, context: Context | None = None) -> SlaAdjustment | None:
    """What one month's measure of an installed product costs, as the first matching ``sla_credit`` rule says
    (None when no rule matches): a credit to the customer on what they pay for the product per month (its net
    price, promotions applied), and the rule's share of it recharged to the product's supplier."""
    if product_id not in inventory.products:
        raise RequestError(f"SLA measure for product {product_id!r}, which the inventory does not hold")
    offering = inventory.products[product_id].offering_id or ""
    supplier = supplier_of(catalog, offering)
    facts = Facts(as_of=as_of.date(), item=ItemFacts(offering=offering),
                  sla=SlaFacts(metric=metric, measured=measured, supplier=supplier.id if supplier else None))
    rule = rules.first("sla_credit", facts, context or Context())
    if rule is None:
        return None
    effect: SlaCreditEffect = rule.model.then  # type: ignore[attr-defined]
    net = bill(catalog, inventory.products, context or Context(), as_of).products[product_id].net
    if net is None:
        raise RequestError(f"SLA credit for product {product_id!r}: it has no monthly price (offering {offering!r})")
    monthly = net.rounded()
    credit = _share(effect.credit, monthly)
    penalty = _share(effect.recharge, credit) if supplier else None
    text = f"{effect.name}: {metric} {measured} — credit {effect.credit} of {monthly} = {credit}"
    if supplier is not None and penalty is not None:
        text += f", {effect.recharge} recharged to {supplier.name}: {penalty}"
    return SlaAdjustment(product_id, rule.id, credit, penalty, supplier, f"{text} (rule:{rule.id})")
