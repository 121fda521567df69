"""Money between the partners, from catalog data: what the reseller owes each supplier because of a change
(settlement lines), and what an SLA violation costs (a customer credit recharged to the supplier).

Settlement lines per partner item of a change (every item a supplier supplies, ``noChange`` included — its
wholesale price does not move, so its lines cancel out):

* ``wholesale_before`` — the installed product's wholesale price per month (its installed offering's);
* ``wholesale_after`` — the product's wholesale price per month after the change (none for a ``delete``);
* ``revenue_share`` — what the reseller keeps per month: the customer's net monthly price after the change minus
  the wholesale price after it;
* ``one_time`` — the supplier's one-time wholesale prices of an added product (activation).

Amounts are rounded per line, like every amount odedelta shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

import odedelta
from odedelta.partners._core import ONE_TIME, RECURRING, Action, Catalog, Money, RequestError, bill
from odedelta.partners.orders import Supplier, item_supplier, supplier_of
from odedelta.partners.wholesale import wholesale_prices


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


def settlement_lines(result: odedelta.ChangeResult) -> list[SettlementLine]:
    """Every settlement line of the change, in delta order (see the module docstring)."""
    out: list[SettlementLine] = []
    catalog, as_of = result.catalog, result.as_of
    for item in result.items:
        supplier = item_supplier(catalog, item)
        if supplier is None:
            continue

        def line(kind: str, amount: Money, text: str) -> None:
            out.append(SettlementLine(supplier, item.id, item.product_id, kind, amount.rounded(), text))

        name = catalog.name_of(item.offering_id)
        if item.installed:
            before_offering = item.previous_offering_id or item.offering_id
            if supplier_of(catalog, before_offering) == supplier:
                before = _sum([p.amount for p in wholesale_prices(catalog, before_offering, as_of)
                               if p.kind == RECURRING])
                if before is not None:
                    line("wholesale_before", before, f"{catalog.name_of(before_offering)} [{item.product_id}]: "
                                                     f"wholesale {before} per month before the change")
        if item.action is Action.DELETE or supplier_of(catalog, item.offering_id) != supplier:
            continue
        prices = wholesale_prices(catalog, item.offering_id, as_of)
        after = _sum([p.amount for p in prices if p.kind == RECURRING])
        if after is not None:
            line("wholesale_after", after, f"{name} [{item.product_id}]: wholesale {after} per month after the change")
            bill = result.consequences.after.products.get(item.product_id) if result.consequences else None
            if bill is not None and bill.net is not None:
                retail = bill.net.rounded()
                line("revenue_share", retail - after, f"{name} [{item.product_id}]: the customer pays {retail}, the "
                                                      f"supplier is paid {after}: the reseller keeps {retail - after}")
        if item.action is Action.ADD:
            for price in prices:
                if price.kind == ONE_TIME:
                    line("one_time", price.amount, f"{name} [{item.product_id}]: {price.name} {price.amount.rounded()}")
    return out


# ------------------------------------------------------------------------------------------------ SLA


class SlaPolicy(BaseModel):
    """An SLA of a partner product: when the measured value of ``metric`` is under ``below`` in a month, the
    customer is credited ``credit_percent`` of the product's monthly price and ``recharge_percent`` of that credit
    is recharged to the supplier."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    metric: str = Field(description="e.g. availability (percent of the month)")
    below: Decimal
    credit_percent: Decimal = Field(ge=0, le=100)
    recharge_percent: Decimal = Field(Decimal(100), ge=0, le=100)


@dataclass(frozen=True)
class SlaAdjustment:
    product_id: str
    customer_credit: Money
    supplier_penalty: Money | None
    supplier: Supplier | None
    explanation: str


def sla_adjustment(catalog: Catalog, inventory: odedelta.Inventory, product_id: str, metric: str, measured: Decimal,
                   policy: SlaPolicy, as_of: datetime, context: odedelta.Context | None = None) -> SlaAdjustment | None:
    """What one month's violation costs (None when the measure meets the SLA or is of another metric): a credit
    to the customer on what they pay for the product per month (its net price, promotions applied), recharged to
    the supplier as a penalty."""
    if product_id not in inventory.products:
        raise RequestError(f"SLA violation for product {product_id!r}, which the inventory does not hold")
    if metric != policy.metric or measured >= policy.below:
        return None
    offering = inventory.products[product_id].offering_id or ""
    net = bill(catalog, inventory.products, context or odedelta.Context(), as_of).products[product_id].net
    if net is None:
        raise RequestError(f"SLA credit for product {product_id!r}: it has no monthly price (offering {offering!r})")
    monthly = net.rounded()
    credit = (monthly * (policy.credit_percent / 100)).rounded()
    supplier = supplier_of(catalog, offering)
    penalty = (credit * (policy.recharge_percent / 100)).rounded() if supplier else None
    text = (f"{policy.name}: {metric} {measured}% under {policy.below}% — credit {policy.credit_percent}% of "
            f"{monthly} = {credit}")
    if supplier is not None and penalty is not None:
        text += f", recharged to {supplier.name}: {penalty}"
    return SlaAdjustment(product_id, credit, penalty, supplier, text)
