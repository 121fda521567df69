"""The consequences a customer sees before accepting a change: monthly price before → after, promotions kept, lost
and gained, products that go with a lost promotion, penalties, fees, one-time charges, recommendations.

All arithmetic is ``Decimal`` with the currency (:class:`~odedelta.model.money.Money`); amounts are exact until a line
is shown or emitted, where each line is rounded once (half-even, to the currency's minor unit) and totals are the
sums of the rounded lines — so a total always equals the sum of the lines a customer reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from odedelta.delta.builder import amend
from odedelta.delta.items import Action, Amendment, DeltaItem, Drop, Reason, Recommit, Refused, TakePlace
from odedelta.flows.result import ChangeResult, Refusal
from odedelta.model.calendar import billing_period, new_term
from odedelta.model.errors import CurrencyMismatch
from odedelta.model.money import Money, total
from odedelta.model.pricing import (
    NO_CURRENCY,
    ONE_TIME,
    catalog_base,
    catalog_currency,
    catalog_prices,
    offering_currencies,
)
from odedelta.model.terms import add_term
from odedelta.model.tmf import Product
from odedelta.money.bill import Bill, Discount, ProductBill, bill, discount_for, with_discount
from odedelta.money.charges import Charge, Consequences, PromotionChange, Recommendation, Timing
from odedelta.rules import Rulebook, RuleOutcome
from odedelta.rules.facts import Facts, ItemFacts, PromotionFacts, change_facts, term_facts
from odedelta.rules.language import (
    DiscountEffect,
    FeeEffect,
    PenaltyEffect,
    PromotionLossEffect,
    RecommendationEffect,
    Rule,
    TimingEffect,
)


def _amended(result: ChangeResult, amendments: Sequence[Amendment]) -> ChangeResult | Refusal:
    """The result with its delta amended by the delta stage (the same catalog, inventory and migration rules), or
    the delta stage's refusal."""
    delta = amend(result.catalog, result.inventory, result.delta, amendments)
    return Refusal(delta.message, None) if isinstance(delta, Refused) else replace(result, delta=delta)


def compute(result: ChangeResult, rules: Rulebook | None, facts: Facts | None) -> ChangeResult | Refusal:
    """The result with its consequences: prices before → after, promotions, penalties, fees, proration. Products
    free only through a promotion the change loses go with it (S1) and a re-engagement gives the root a new term:
    both are amendments the delta stage applies (:func:`odedelta.delta.builder.amend`); the result returned
    carries the amended delta and every rule that decided something — or the delta stage's refusal of an
    amendment."""
    catalog, inventory, context, as_of = result.catalog, result.inventory, result.context, result.as_of
    decided: list[RuleOutcome] = list(result.decisions)
    before = bill(catalog, inventory.products, context, as_of)
    after, projected = _after(result)
    lost = [p for p in before.promotions if p not in after.promotions]
    built = result
    dropped = _drop_free_products(result, before, projected, lost, rules, facts, decided)
    if isinstance(dropped, Refusal):
        return dropped
    result = dropped
    if result is not built:
        after, projected = _after(result)
    if rules is not None and facts is not None:
        after = _apply_discount_rules(result, after, projected, rules, facts, decided)
    after = apply_renewal_benefit(result, after)
    touched = {i.product_id for i in result.items}
    changed = {pid for pid in before.products if pid in after.products and
               _amount(before.products[pid].net) != _amount(after.products[pid].net)}
    before_ids = [pid for pid in inventory.products if pid in touched or pid in changed]
    after_ids = [pid for pid in projected if pid in touched or pid in changed]
    currency, unpriced = _currency(result, before, after, before_ids, after_ids)
    promotion_changes = _promotion_changes(catalog.promotions, before, after, set(before_ids) | set(after_ids))
    charges = _one_time_prices(result)
    timing = _timing(result, rules, facts, decided)
    if timing.reengage:
        reengaged = _amended(result, _reengage(result, timing))
        if isinstance(reengaged, Refusal):
            return reengaged
        result = reengaged
    recommendations: list[Recommendation] = []
    if rules is not None and facts is not None:
        promotions = PromotionFacts(lost=[p.promotion_id for p in promotion_changes if p.status == "lost"],
                                    gained=[p.promotion_id for p in promotion_changes if p.status == "gained"])
        charges += _fees(result, rules, facts, promotions, currency, decided)
        if not timing.reengage:
            charges += _penalties(result, rules, before, promotions, currency, timing, decided)
        recommendations = _recommendations(result, rules, facts, promotions, decided)
    if timing.policy == "immediate" and timing.period is not None and result.delta.request.kind != "renew":
        charges += _proration(before, after, before_ids, after_ids, timing, result.catalog.name_of)
    consequences = Consequences(currency, before, after, before_ids, after_ids, promotion_changes, charges,
                                recommendations, timing, unpriced)
    return replace(result, decisions=tuple(decided), consequences=consequences)


def _timing(result: ChangeResult, rules: Rulebook | None, facts: Facts | None,
            decided: list[RuleOutcome]) -> Timing:
    """The request's timing, else the first ``timing`` rule's, else immediate; and the billing period of as_of
    (from the context's billing cycle day) when one is known."""
    request = result.delta.request
    policy, reengage, source = "immediate", False, "default"
    if rules is not None and facts is not None:
        rule = rules.first("timing", facts, result.context)
        if rule is not None:
            effect = rule.effect(TimingEffect)
            policy, reengage, source = effect.policy, effect.reengage, f"rule:{rule.id}"
            decided.append(_outcome(rule, effect.policy))
    if request.timing is not None:
        policy, source = request.timing, "request"
    if request.reengage is not None:
        reengage = request.reengage
    if result.kind == "renew":
        reengage = False  # a renewal (S9: to the successor) brings its own new term
    as_of = result.as_of
    period = billing_period(as_of, result.context.billing_cycle_day)
    effective = as_of
    if policy == "next_bill_cycle":
        effective = period[1] if period else as_of
    elif policy == "end_of_term":
        root = result.delta.root_product_id
        product = result.inventory.products.get(root or "")
        term = term_facts(product, as_of) if product is not None else None
        if term is not None and term.active and term.end is not None:
            effective = datetime(term.end.year, term.end.month, term.end.day, tzinfo=as_of.tzinfo)
    return Timing(policy, effective, reengage, source, period)


def _reengage(result: ChangeResult, timing: Timing) -> list[Amendment]:
    """Re-engagement: the root product gets a new commitment from the effective date (the target offering's term,
    else the current one's duration); the current term is kept as history. No penalty is due."""
    root = next((i for i in result.items if i.product_id == result.delta.root_product_id), None)
    if root is None or root.action is Action.DELETE or not root.installed:
        return []
    product = result.inventory.product(root.product_id)
    months = next((t.duration.months() for t in result.catalog.offering(root.offering_id).product_offering_term
                   if t.duration is not None and t.duration.months()), None)
    if months is None:
        current = product.product_term[-1] if product.product_term else None
        months = current.duration.months() if current is not None and current.duration is not None else None
    if not months:
        return []
    term = new_term(timing.effective, months)
    why = Reason("reengaged", f"the commitment restarts: a new {months}-month term from "
                              f"{timing.effective.date().isoformat()}; no penalty is due", timing.source)
    return [Recommit(root.product_id, tuple(add_term(product.product_term, term)), (why,))]


def _proration(before_bill: Bill, after_bill: Bill, before_ids: list[str], after_ids: list[str], timing: Timing,
               name: Callable[[str], str]) -> list[Charge]:
    """Immediate change mid-period: a credit for the unused part of each old monthly price and a charge for the new
    one until the next bill date, both on net prices (discounts prorated alike). A credit never exceeds what was
    charged for the period: the unused fraction is at most 1."""
    assert timing.period is not None
    start, end = timing.period
    days_in_period = Decimal((end - start).days)
    remaining = Decimal((end - timing.effective).days)
    if remaining <= 0 or days_in_period <= 0:
        return []
    fraction = min(remaining / days_in_period, Decimal(1))
    lines = []
    text = f"{remaining} of {days_in_period} days until the next bill on {end.date().isoformat()}"
    for pid in before_ids:
        entry = before_bill.products.get(pid)
        after = after_bill.products.get(pid)
        old, new = (entry.net if entry else None), (after.net if after and pid in after_ids else None)
        if old is not None and old.amount and (new is None or new.amount != old.amount):
            lines.append(Charge("proration", f"Credit for unused {name(entry.offering_id) if entry else pid}",
                                -(old * fraction), pid, "proration", f"{old} × {text}"))
    for pid in after_ids:
        entry = after_bill.products.get(pid)
        before = before_bill.products.get(pid)
        new = entry.net if entry else None
        old = before.net if before and pid in before_ids else None
        if new is not None and new.amount and (old is None or old.amount != new.amount):
            lines.append(Charge("proration", f"{name(entry.offering_id) if entry else pid} until the next bill",
                                new * fraction, pid, "proration", f"{new} × {text}"))
    return lines


def _amount(money: Money | None) -> Decimal | None:
    return money.amount if money is not None else None


def _after(result: ChangeResult) -> tuple[Bill, dict[str, Product]]:
    projected = {p.id: p for p in result.shared_projection}
    bases = {}
    for item in result.items:
        if item.action is Action.ADD or (item.action is Action.MODIFY and item.previous_offering_id):
            bases[item.product_id] = catalog_base(result.catalog, item.offering_id, result.as_of)
    return bill(result.catalog, projected, result.context, result.as_of, bases), projected


def _currency(result: ChangeResult, before: Bill, after: Bill, before_ids: list[str],
              after_ids: list[str]) -> tuple[str, str | None]:
    """The change's currency, and a note when no price of the change has one. The monthly prices' currency; else
    that of any other price of the offerings involved (one-time, usage…) or of the products' inventory prices;
    else the catalog's own (all its prices in one currency); else ISO 4217's ``XXX`` (no currency). Prices in two
    currencies are an error naming both."""
    seen: dict[str, str] = {}
    for side, ids in ((before, before_ids), (after, after_ids)):
        for pid in ids:
            entry = side.products.get(pid)
            if entry is None or entry.base is None:
                continue
            seen.setdefault(entry.base.currency, f"{entry.base} ({pid}, {entry.basis})")
    if not seen:
        seen = offering_currencies(result.catalog, sorted({i.offering_id for i in result.items}), result.as_of)
        for pid in before_ids:
            for price in result.inventory.products[pid].product_price:
                for money in (price.price.tax_included_amount, price.price.duty_free_amount) if price.price else ():
                    if money is not None and money.unit:
                        seen.setdefault(money.unit, f"{money.value} {money.unit} ({pid}, inventory productPrice)")
    if len(seen) > 1:
        first, second = list(seen.values())[:2]
        raise CurrencyMismatch(f"prices in different currencies: {first} and {second}")
    if seen:
        return next(iter(seen)), None
    fallback = catalog_currency(result.catalog)
    note = ("no price in any currency: no offering this change involves has a price in the catalog, and the "
            "products have no inventory price" + (f" (amounts shown in the catalog's currency, {fallback})"
                                                  if fallback else f" (amounts shown as {NO_CURRENCY}, ISO 4217's "
                                                  "no currency)"))
    return fallback or NO_CURRENCY, note


def apply_renewal_benefit(result: ChangeResult, after: Bill) -> Bill:
    """The bill after the change with a renewal rule's discount while the new term runs: on the renewed product and
    its components only (not on another product of the same offering the customer did not renew); ``applies_to:
    successor`` means the offering an end-of-sale product renews into."""
    renewal = result.renewal
    if renewal is None or renewal.effect is None or renewal.effect.discount is None:
        return after
    benefit = renewal.effect.discount
    target = renewal.successor if benefit.applies_to == "successor" else benefit.applies_to
    projected = result.shared_inventory
    renewed = set(projected.subtree(renewal.product_id)) if renewal.product_id in projected.products else set()
    for pid in list(after.products):
        entry = after.products[pid]
        if entry.offering_id == target and entry.product_id in renewed:
            granted = discount_for(entry, f"rule:{renewal.rule_id}", benefit.name, benefit.value)
            if granted is not None:
                after = with_discount(after, f"rule:{renewal.rule_id}", granted)
    return after


def _promotion_changes(promotions: Mapping[str, object], before: Bill, after: Bill,
                       affected: set[str]) -> list[PromotionChange]:
    """Promotions whose discounts touch the products the change affects: kept, lost or gained."""
    out = []
    for pid in sorted(set(before.promotions) | set(after.promotions)):
        grants = before.promotions.get(pid, []) + after.promotions.get(pid, [])
        if not any(g.product_id in affected for g in grants):
            continue
        status = "kept" if pid in before.promotions and pid in after.promotions else (
            "lost" if pid in before.promotions else "gained")
        name = getattr(promotions.get(pid), "name", None) or grants[0].name

        def monthly(side: Bill, pid: str = pid) -> Money | None:
            grants = side.promotions.get(pid)
            if not grants:
                return None
            return total((g.amount for g in grants), grants[0].amount.currency)

        out.append(PromotionChange(pid, name, status, monthly(before), monthly(after)))
    return out


def _drop_free_products(result: ChangeResult, before: Bill, projected: dict[str, Product], lost: list[str],
                        rules: Rulebook | None, facts: Facts | None,
                        decided: list[RuleOutcome]) -> ChangeResult | Refusal:
    """S1: a product free only through a promotion the change loses goes with it (reason ``promotion_lost``),
    unless a ``promotion_loss`` rule keeps it at its price, or its bundle requires it. Each drop is applied before
    the next product is judged (whether its bundle can do without it depends on what already went)."""
    dropped: list[tuple[Discount, Reason]] = []
    far = datetime.max.replace(tzinfo=UTC)

    def age(grant: Discount) -> tuple[datetime, str]:
        product = result.inventory.products.get(grant.product_id)
        return (product.start_date if product and product.start_date else far), grant.product_id

    for promotion_id in lost:
        # the newest goes first: where the bundle needs one of them, the oldest stays (whatever the input order)
        for grant in sorted(before.promotions[promotion_id], key=age, reverse=True):
            entry = before.products[grant.product_id]
            product = projected.get(grant.product_id)
            if not entry.free or product is None or product.offering_id != entry.offering_id:
                continue
            if rules is not None and facts is not None:
                item_facts = facts.model_copy(update={
                    "item": ItemFacts(action="noChange", offering=entry.offering_id),
                    "promotion": PromotionFacts(lost=lost, id=promotion_id)})
                keep = rules.first("promotion_loss", item_facts, result.context)
                if keep is not None and keep.effect(PromotionLossEffect).keep:
                    decided.append(_outcome(keep, "promotion_kept"))
                    continue
            if not _removable(result, grant.product_id):
                continue
            name = before.products[grant.product_id].offering_id
            why = Reason("promotion_lost", f"{result.catalog.name_of(name)} was free through {grant.name}, which "
                         f"the change ends", f"promotion:{promotion_id}")
            amended = _amended(result, [Drop(grant.product_id, why)])
            if isinstance(amended, Refusal):
                return amended
            result = amended
            dropped.append((grant, why))
    if not dropped:
        return result
    # a product of its kind the change adds is one of these, continued at its price: the oldest first
    places = [TakePlace(grant.product_id, why) for grant, why in sorted(dropped, key=lambda d: age(d[0]))]
    return _amended(result, places)


def _removable(result: ChangeResult, product_id: str) -> bool:
    """Whether the product's bundle (after the change) can do without it."""
    item = next((i for i in result.items if i.product_id == product_id), None)
    parent = item.parent_id if item else result.inventory.parent(product_id)
    if parent is None:
        return True
    parent_offering = next((i.offering_id for i in result.items if i.product_id == parent), None) or (
        result.inventory.product(parent).offering_id if parent in result.inventory.products else None)
    offering = item.offering_id if item else result.inventory.product(product_id).offering_id
    after = result.shared_inventory
    siblings = [c for c in after.children(parent) if after.product(c).offering_id == offering]
    for slot in result.catalog.graph.components(parent_offering or ""):
        if slot.offering_id == offering and len(siblings) - 1 < slot.lower:
            return False
    return True


def _apply_discount_rules(result: ChangeResult, after: Bill, projected: dict[str, Product], rules: Rulebook,
                          facts: Facts, decided: list[RuleOutcome]) -> Bill:
    """The bill after the change with the discounts of the ``discount`` rules that apply."""
    for rule in rules.matching("discount", facts, result.context):
        effect = rule.effect(DiscountEffect)
        for pid in list(after.products):
            entry = after.products[pid]
            if entry.offering_id == effect.applies_to and entry.product_id in projected:
                discount = discount_for(entry, f"rule:{rule.id}", effect.name, effect.value)
                if discount is not None:
                    after = with_discount(after, f"rule:{rule.id}", discount)
                    decided.append(_outcome(rule, "discount"))
    return after


def _one_time_prices(result: ChangeResult) -> list[Charge]:
    out = []
    for item in result.items:
        if item.action is not Action.ADD:
            continue
        for line in catalog_prices(result.catalog, item.offering_id, result.as_of):
            if line.kind == ONE_TIME and line.amount.amount:
                out.append(Charge("oneTime", line.name, line.amount, item.product_id, f"catalog:{line.pop_id}"))
    return out


def _fees(result: ChangeResult, rules: Rulebook, facts: Facts, promotions: PromotionFacts,
          currency: str, decided: list[RuleOutcome]) -> list[Charge]:
    root = result.delta.root_product_id
    judged = facts.model_copy(update={"promotion": promotions})
    out = []
    for rule in rules.matching("fee", judged, result.context):
        effect = rule.effect(FeeEffect)
        out.append(Charge("fee", effect.name, Money(effect.amount, currency), root, f"rule:{rule.id}",
                          rule.model.description))
        decided.append(_outcome(rule, "fee"))
    return out


def _penalties(result: ChangeResult, rules: Rulebook, before: Bill, promotions: PromotionFacts,
               currency: str, timing: Timing, decided: list[RuleOutcome]) -> list[Charge]:
    """For every changed product under a commitment term: the first matching penalty rule, with its numbers. None
    when the change takes effect once the term has ended (end_of_term)."""
    out = []
    for item in result.items:
        if not item.installed or item.product_id not in result.inventory.products:
            continue
        product = result.inventory.product(item.product_id)
        if not product.product_term:
            continue
        target = None if item.action is Action.DELETE else item.offering_id
        facts = change_facts(result.catalog, result.inventory, product_id=product.id, target_id=target,
                             as_of=result.as_of, context=result.context, kind=result.kind)
        entry = before.products.get(product.id)
        term = term_facts(product, result.as_of)
        if term.end is not None and timing.effective.date() >= term.end:
            continue  # the change waits for the end of the commitment: nothing to pay
        installed: dict[str, Decimal] = {}
        monthly_discount = entry.discount_total if entry else None
        if monthly_discount is not None:
            installed["discount"] = monthly_discount.amount
            installed["discount_received"] = monthly_discount.amount * (term.months_elapsed or 0)
        if entry is not None and entry.base is not None:
            installed["price"] = entry.base.amount  # what this customer pays, before discounts
        facts = facts.model_copy(update={
            "installed": facts.installed.model_copy(update=installed),
            "item": ItemFacts(action=item.action.value, offering=item.offering_id, reasons=item.codes),
            "promotion": promotions})
        rule = rules.first("penalty", facts, result.context)
        if rule is None:
            continue
        amount, explanation = _penalty_amount(rule.effect(PenaltyEffect), facts, currency)
        decided.append(_outcome(rule, "penalty"))
        if amount.amount > 0:
            out.append(Charge("penalty", rule.effect(PenaltyEffect).name, amount, product.id,
                              f"rule:{rule.id}", explanation))
    return out


def _penalty_amount(effect: PenaltyEffect, facts: Facts, currency: str) -> tuple[Money, str]:
    formula = effect.formula
    months = Decimal(facts.term.months_remaining or 0)
    price = facts.installed.price or Decimal(0)

    def money(value: Decimal) -> str:
        return str(Money(value, currency))

    if formula == "waived":
        return Money.zero(currency), "waived"
    if formula == "fixed":  # the checker refuses a fixed penalty without an amount
        amount, text = effect.amount if effect.amount is not None else Decimal(0), "fixed amount"
    elif formula == "remaining_months" and effect.amount is not None:
        per_month = effect.amount
        amount = months * per_month
        text = f"{months} months remaining × {money(per_month)}"
    elif formula == "remaining_months":
        factor = effect.factor
        amount = months * price * factor
        text = f"{months} months remaining × {money(price)} × {factor}"
    elif formula == "remaining_value_share":
        share = effect.share
        amount = share * months * price
        text = f"{share} × {months} months remaining × {money(price)}"
    else:  # discount_repayment
        share = effect.share
        received = facts.installed.discount_received or Decimal(0)
        amount = share * received
        text = (f"{share} × discount received so far {money(received)} "
                f"({money(facts.installed.discount or Decimal(0))}/month × {facts.term.months_elapsed} months)")
    low, high = effect.minimum, effect.maximum
    if high is not None and amount > high:
        amount, text = high, f"{text} = {money(amount)}, capped at {money(high)}"
    elif low is not None and amount < low:
        amount, text = low, f"{text} = {money(amount)}, at least {money(low)}"
    else:
        text = f"{text} = {money(amount)}"
    return Money(amount, currency).rounded(), text


def _recommendations(result: ChangeResult, rules: Rulebook, facts: Facts,
                     promotions: PromotionFacts, decided: list[RuleOutcome]) -> list[Recommendation]:
    out = []
    projected = result.shared_projection
    for item in result.items:
        if item.action is not Action.DELETE:
            continue
        judged = facts.model_copy(update={
            "item": ItemFacts(action="delete", offering=item.offering_id, reasons=item.codes),
            "promotion": promotions})
        for rule in rules.matching("recommendation", judged, result.context):
            effect = rule.effect(RecommendationEffect)
            parent = _home_for(result, projected, item, effect.offering)
            if parent is None and item.parent_id is not None:
                continue  # nowhere to put it after the change
            price = catalog_base(result.catalog, effect.offering, result.as_of).amount
            out.append(Recommendation(effect.offering, parent, effect.message, price, rule.id))
            decided.append(_outcome(rule, "recommendation"))
    return out


def _home_for(result: ChangeResult, projected: Sequence[Product], item: DeltaItem, offering: str) -> str | None:
    """The bundle that, after the change, could hold a product of ``offering`` in place of the deleted item."""
    if item.parent_id is None:
        return None
    after = {p.id: p for p in projected}
    parent = after.get(item.parent_id)
    if parent is None:
        return None
    held = [p for p in projected if p.offering_id == offering and any(
        r.target_id == p.id for r in parent.product_relationship)]
    for slot in result.catalog.graph.components(parent.offering_id or ""):
        if slot.offering_id == offering and (slot.upper is None or len(held) < slot.upper):
            return parent.id
    return None


def _outcome(rule: Rule, reason: str) -> RuleOutcome:
    then = rule.then
    message = getattr(then, "message", None) or getattr(then, "name", None) or rule.model.description
    return RuleOutcome(rule.id, rule.kind, reason, message)


__all__ = ["Charge", "Consequences", "ProductBill", "PromotionChange", "Recommendation", "compute"]
