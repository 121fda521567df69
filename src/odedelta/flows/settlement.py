"""Money between the partners: what the reseller and each supplier owe each other because of a change (settlement
lines), and what an SLA violation costs (a customer credit recharged to the supplier, as the ``sla_credit`` rules
say).

Settlement lines per partner item of a change (every item a supplier supplies, ``noChange`` included — its
monthly payment does not move, so its lines cancel out):

* ``wholesale_before`` — what the supplier was paid per month for the installed product;
* ``wholesale_after`` — what it is paid per month after the change (none for a ``delete``);
* ``reseller_margin`` — what the reseller keeps per month: the customer's net monthly price after the change minus
  ``wholesale_after`` (none when the two are in different currencies: odedelta does no exchange);
* ``one_time`` — the supplier's one-time wholesale prices of a product new to it (activation);
* ``charge`` / ``credit`` — a ``partner_charge`` rule's one-time amount, paid by the reseller / by the supplier,
  for what each supplier is asked (a product moving between suppliers: a ``delete`` at the one it leaves, an
  ``add`` at the one it joins; nothing for a product the change leaves alone).

The monthly payment is the first matching ``revenue_share`` rule's share of what the customer pays for the product
(net of promotions; ``settlement.side`` tells the rule which side it judges), else the catalog's wholesale price
(a ``popRelationship`` of type ``wholesale``). Every line names its source: the rule or the price.

A product moving between suppliers has its ``wholesale_before`` line under the supplier it leaves and the others
under the one it joins. Amounts are rounded per line, like every amount odedelta shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from odedelta.delta.items import Action, DeltaItem
from odedelta.flows.result import ChangeResult
from odedelta.model.catalog import Catalog
from odedelta.model.errors import RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.money import Money, total
from odedelta.model.partners import Supplier, supplier_of, wholesale_prices
from odedelta.model.pricing import ONE_TIME, RECURRING, PriceLine
from odedelta.model.requests import Context
from odedelta.money.bill import bill
from odedelta.rules import Rulebook
from odedelta.rules.facts import (
    Facts,
    ItemAction,
    ItemFacts,
    SettlementFacts,
    SettlementSide,
    SlaFacts,
    change_facts,
    customer_facts,
)
from odedelta.rules.language import PartnerChargeEffect, RevenueShareEffect, SlaCreditEffect


@dataclass(frozen=True)
class SettlementLine:
    supplier: Supplier
    item_id: str
    product_id: str
    kind: str
    """``wholesale_before``, ``wholesale_after``, ``reseller_margin`` (per month), ``one_time``, ``charge`` or
    ``credit``."""
    amount: Money
    explanation: str
    source: str = ""
    """``rule:<id>`` or ``catalog:<price id>``: what the amount comes from."""


def supplier_actions(catalog: Catalog, item: DeltaItem) -> list[tuple[Supplier, str]]:
    """What each supplier must do for the item: (supplier, TMF622 action), none for ``noChange``."""
    if item.action is Action.NO_CHANGE:
        return []
    after = supplier_of(catalog, item.offering_id)
    if item.action is not Action.MODIFY:
        return [(after, item.action.value)] if after else []
    before = supplier_of(catalog, item.previous_offering_id or item.offering_id)
    if before == after:
        return [(after, "modify")] if after else []
    return [(s, a) for s, a in ((before, "delete"), (after, "add")) if s is not None]


def partner_items(result: ChangeResult) -> dict[str, list[tuple[DeltaItem, str]]]:
    """The items each supplier must act on and the action it is asked, by supplier id, in delta order."""
    out: dict[str, list[tuple[DeltaItem, str]]] = {}
    for item in result.items:
        for supplier, action in supplier_actions(result.catalog, item):
            out.setdefault(supplier.id, []).append((item, action))
    return out


def _amount(text: str, of: Money | None, currency: str | None = None) -> Money | None:
    """A rule's amount, rounded: 'N%' of ``of`` (None when there is nothing to take it of), or a plain amount in
    ``currency`` (``of``'s by default)."""
    text = text.strip()
    if text.endswith("%"):
        return (of * (Decimal(text[:-1].strip()) / 100)).rounded() if of is not None else None
    unit = currency or (of.currency if of is not None else None)
    return Money(Decimal(text), unit).rounded() if unit is not None else None


class _Settlement:
    """The settlement of one change: the rules, the bills before and after, the lines in delta order."""

    def __init__(self, result: ChangeResult, rules: Rulebook | None) -> None:
        self.result, self.rules = result, rules
        self.catalog, self.as_of = result.catalog, result.as_of
        self.lines: list[SettlementLine] = []
        self._change: dict[str, Facts] = {}
        self._paid: dict[tuple[str, str, str, str, str], tuple[Money, str, str] | None] = {}

    def facts(self, item: DeltaItem, action: str, supplier: Supplier, offering: str, retail: Money | None,
              wholesale: Money | None, side: str | None) -> Facts:
        """The facts of one partner item; ``action`` what the supplier is asked (a product moving between suppliers
        is a ``delete`` at the one it leaves and an ``add`` at the one it joins)."""
        if item.id not in self._change:  # the change's facts, once per item (only item.* and settlement.* differ)
            product = item.product_id if item.installed and item.product_id in self.result.inventory.products \
                else None
            target = None if item.action is Action.DELETE else item.offering_id
            self._change[item.id] = change_facts(self.catalog, self.result.inventory, product_id=product,
                                                 target_id=target, as_of=self.as_of, context=self.result.context,
                                                 kind=self.result.kind)
        return self._change[item.id].model_copy(update={
            "item": ItemFacts(action=cast(ItemAction, action), offering=offering, reasons=tuple(item.codes)),
            "settlement": SettlementFacts(supplier=supplier.id, retail=retail.amount if retail else None,
                                          wholesale=wholesale.amount if wholesale else None,
                                          side=cast(SettlementSide | None, side))})

    def retail(self, item: DeltaItem, side: str) -> Money | None:
        """What the customer pays for the product per month on one side of the change (net of promotions)."""
        consequences = self.result.consequences
        if consequences is None:
            return None
        entry = (consequences.before if side == "before" else consequences.after).products.get(item.product_id)
        return entry.net.rounded() if entry is not None and entry.net is not None else None

    def wholesale(self, offering: str) -> tuple[Money | None, list[PriceLine]]:
        """The catalog's wholesale price of the offering per month, and its price lines."""
        prices = [p for p in wholesale_prices(self.catalog, offering, self.as_of) if p.kind == RECURRING]
        if not prices:
            return None, prices
        return total((p.amount.rounded() for p in prices), prices[0].amount.currency), prices

    def monthly(self, item: DeltaItem, action: str, supplier: Supplier, offering: str,
                side: str) -> tuple[Money, str, str] | None:
        """What the supplier is paid per month for the product on one side of the change, its source and how it
        was worked out (asked once: the lines and the charges both need it)."""
        key = (item.id, action, supplier.id, offering, side)
        if key not in self._paid:
            self._paid[key] = self._monthly(item, action, supplier, offering, side)
        return self._paid[key]

    def _monthly(self, item: DeltaItem, action: str, supplier: Supplier, offering: str,
                 side: str) -> tuple[Money, str, str] | None:
        retail = self.retail(item, side)
        wholesale, prices = self.wholesale(offering)
        if self.rules is not None and "revenue_share" in self.rules.kinds:
            facts = self.facts(item, action, supplier, offering, retail, wholesale, side)
            rule = self.rules.first("revenue_share", facts, self.result.context)
            if rule is not None and retail is not None:
                effect = rule.effect(RevenueShareEffect)
                share = _amount(effect.supplier_share, retail)
                assert share is not None  # a percentage of a price
                return share, f"rule:{rule.id}", (f" ({effect.name}: {effect.supplier_share.strip()} of the "
                                                  f"{retail} the customer pays; rule:{rule.id})")
        if wholesale is None:
            return None
        return wholesale, "catalog:" + ",".join(p.pop_id for p in prices), " (wholesale price)"

    def add(self, supplier: Supplier, item: DeltaItem, kind: str, amount: Money, text: str, source: str) -> None:
        self.lines.append(SettlementLine(supplier, item.id, item.product_id, kind, amount.rounded(), text, source))

    def item(self, item: DeltaItem) -> None:
        catalog = self.catalog
        name = catalog.name_of(item.offering_id)
        before_offering = item.previous_offering_id or item.offering_id
        before_supplier = supplier_of(catalog, before_offering) if item.installed else None
        after_supplier = supplier_of(catalog, item.offering_id) if item.action is not Action.DELETE else None
        asked = dict((s.id, a) for s, a in supplier_actions(catalog, item))
        if before_supplier is not None:
            paid = self.monthly(item, asked.get(before_supplier.id, "noChange"), before_supplier, before_offering,
                                "before")
            if paid is not None:
                self.add(before_supplier, item, "wholesale_before", paid[0], f"{catalog.name_of(before_offering)} "
                         f"[{item.product_id}]: {paid[0].rounded()} per month to {before_supplier.name} before the "
                         f"change{paid[2]}", paid[1])
        if after_supplier is not None:
            paid = self.monthly(item, asked.get(after_supplier.id, "noChange"), after_supplier, item.offering_id,
                                "after")
            if paid is not None:
                after, source = paid[0].rounded(), paid[1]
                self.add(after_supplier, item, "wholesale_after", after, f"{name} [{item.product_id}]: {after} per "
                         f"month to {after_supplier.name} after the change{paid[2]}", source)
                retail = self.retail(item, "after")
                if retail is not None and retail.currency == after.currency:  # no margin across currencies: no FX
                    self.add(after_supplier, item, "reseller_margin", retail - after, f"{name} [{item.product_id}]: "
                             f"the customer pays {retail}, {after_supplier.name} is paid {after}: the reseller keeps "
                             f"{retail - after}", source)
            if item.action is Action.ADD or before_supplier != after_supplier:  # a new product at this supplier
                for price in wholesale_prices(catalog, item.offering_id, self.as_of):
                    if price.kind == ONE_TIME:
                        self.add(after_supplier, item, "one_time", price.amount, f"{name} [{item.product_id}]: "
                                 f"{price.name} {price.amount.rounded()}", f"catalog:{price.pop_id}")
        for supplier, action in supplier_actions(catalog, item):  # what each supplier is asked to do
            self.charges(item, action, supplier, before_offering if action == "delete" else item.offering_id)

    def charges(self, item: DeltaItem, action: str, supplier: Supplier, offering: str) -> None:
        """Every matching ``partner_charge`` rule's line for what ``supplier`` is asked (``action``)."""
        if self.rules is None or "partner_charge" not in self.rules.kinds:
            return
        side = "before" if action == "delete" else "after"
        paid = self.monthly(item, action, supplier, offering, side)
        retail = self.retail(item, side)
        facts = self.facts(item, action, supplier, offering, retail, self.wholesale(offering)[0], None)
        currency = (paid[0].currency if paid else retail.currency if retail
                    else self.result.consequences.currency if self.result.consequences else None)
        for rule in self.rules.matching("partner_charge", facts, self.result.context):
            effect = rule.effect(PartnerChargeEffect)
            if currency is None:
                raise RequestError(f"{effect.name} (rule:{rule.id}): {self.catalog.name_of(offering)} "
                                   f"[{item.product_id}] has no price, so no currency for {effect.amount.strip()}")
            amount = _amount(effect.amount, paid[0] if paid else None, currency)
            if amount is None or amount.amount == 0:
                continue
            kind, who = ("charge", f"the reseller pays {supplier.name}") if effect.payer == "reseller" else (
                "credit", f"{supplier.name} pays the reseller")
            how = f" ({effect.amount.strip()} of {paid[0].rounded()} per month)" if effect.amount.strip().endswith(
                "%") and paid else ""
            self.add(supplier, item, kind, amount, f"{effect.name}: {who} {amount}{how} for "
                     f"{self.catalog.name_of(offering)} [{item.product_id}] (rule:{rule.id})", f"rule:{rule.id}")


def settlement_lines(result: ChangeResult, rules: Rulebook | None = None) -> list[SettlementLine]:
    """Every settlement line of the change, in delta order (see the module docstring); ``rules``: the rule book
    whose ``revenue_share`` and ``partner_charge`` rules apply (none: the catalog's wholesale prices alone)."""
    settlement = _Settlement(result, rules)
    for item in result.items:
        settlement.item(item)
    return settlement.lines


def settlement_rule_ids(lines: Sequence[SettlementLine]) -> list[str]:
    """The rules behind the lines, sorted."""
    return sorted({line.source.removeprefix("rule:") for line in lines if line.source.startswith("rule:")})


# ------------------------------------------------------------------------------------------------ SLA


@dataclass(frozen=True)
class SlaAdjustment:
    product_id: str
    rule_id: str
    customer_credit: Money
    supplier_penalty: Money | None
    supplier: Supplier | None
    explanation: str


def sla_adjustment(rules: Rulebook, catalog: Catalog, inventory: Inventory, product_id: str, metric: str,
                   measured: Decimal, as_of: datetime, context: Context | None = None) -> SlaAdjustment | None:
    """What one month's measure of an installed product costs, as the first matching ``sla_credit`` rule says
    (None when no rule matches): a credit to the customer on what they pay for the product per month (its net
    price, promotions applied), and the rule's share of it recharged to the product's supplier."""
    if product_id not in inventory.products:
        raise RequestError(f"SLA measure for product {product_id!r}, which the inventory does not hold")
    offering = inventory.products[product_id].offering_id or ""
    supplier = supplier_of(catalog, offering)
    if not measured.is_finite():
        raise RequestError(f"SLA measure {measured} of product {product_id!r}: expected a number (e.g. 98.7)")
    facts = Facts(as_of=as_of.date(), customer=customer_facts(inventory, context or Context(), as_of),
                  item=ItemFacts(offering=offering),
                  sla=SlaFacts(metric=metric, measured=measured, supplier=supplier.id if supplier else None))
    rule = rules.first("sla_credit", facts, context or Context())
    if rule is None:
        return None
    effect = rule.effect(SlaCreditEffect)
    net = bill(catalog, inventory.products, context or Context(), as_of).products[product_id].net
    if net is None:
        raise RequestError(f"SLA credit for product {product_id!r}: it has no monthly price (offering {offering!r})")
    monthly = net.rounded()
    credit = _amount(effect.credit, monthly)
    penalty = _amount(effect.recharge, credit) if supplier else None
    assert credit is not None  # of a price, or an amount in its currency
    text = f"{effect.name}: {metric} {measured} — credit {effect.credit} of {monthly} = {credit}"
    if supplier is not None and penalty is not None:
        text += f", {effect.recharge} recharged to {supplier.name}: {penalty}"
    return SlaAdjustment(product_id, rule.id, credit, penalty, supplier, f"{text} (rule:{rule.id})")
