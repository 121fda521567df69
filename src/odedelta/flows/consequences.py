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
from functools import partial
from typing import Any, NamedTuple

from odedelta.delta.builder import amend
from odedelta.delta.items import Action, Amendment, DeltaItem, Drop, Reason, Recommit, Refused, TakePlace
from odedelta.flows.result import ChangeResult, Refusal, endpoints, refusal_message
from odedelta.model.calendar import billing_period, new_term
from odedelta.model.compiled import compiled
from odedelta.model.errors import CurrencyMismatch, OdeDeltaError
from odedelta.model.money import Money, rounded, shown, total
from odedelta.model.pricing import (
    NO_CURRENCY,
    ONE_TIME,
    Base,
    catalog_base,
    catalog_currency,
    catalog_prices,
    offering_currencies,
)
from odedelta.model.terms import add_term
from odedelta.model.tmf import Product
from odedelta.money.bill import (
    Bill,
    Change,
    Discount,
    ProductBill,
    bill_changed,
    bill_of,
    bill_of_products,
    discount_for,
    with_discounts,
)
from odedelta.money.charges import Charge, Consequences, PromotionChange, Recommendation, Timing, charge
from odedelta.rules import Rulebook, RuleOutcome, Verdict
from odedelta.rules.facts import (
    EngineFacts,
    Facts,
    FactSection,
    ItemFacts,
    ProjectedFacts,
    PromotionFacts,
    TermFacts,
    change_sections,
    context_key,
    made,
    moment_key,
    remembered,
    term_facts,
    updated,
)
from odedelta.rules.language import (
    DiscountEffect,
    FeeEffect,
    PenaltyEffect,
    PromotionLossEffect,
    RecommendationEffect,
    Rule,
    TimingEffect,
)

_ADD, _MODIFY, _DELETE = Action.ADD, Action.MODIFY, Action.DELETE
"""The item actions the money stage compares, read once (an enum member read off its class costs a lookup through
the enum's metaclass: the stage compares one per item several times per change)."""
_ACTION_TEXT = {action: action.value for action in Action}
"""An item action's text, as the rules read it (``action.value`` is a property call)."""
_new = object.__new__
_write = object.__setattr__


CONSEQUENCES_FIELDS = ("currency", "before", "after", "before_ids", "after_ids", "promotions", "charges",
                       "recommendations", "timing", "unpriced", "_recurring")
""":class:`Consequences`' fields in order, as :func:`_made_consequences` sets them (a test checks them against the
class: a field added there must be set here too)."""
(_currency_, _before_, _after_, _before_ids, _after_ids, _promotions, _charges, _recommendations_, _timing_,
 _unpriced, _recurring) = (getattr(Consequences, name).__set__ for name in CONSEQUENCES_FIELDS)


def _made_consequences(currency: str, before: Bill, after: Bill, before_ids: list[str], after_ids: list[str],
                       promotions: list[PromotionChange], charges: list[Charge], recommendations: list[Recommendation],
                       timing: Timing, unpriced: str | None) -> Consequences:
    """``Consequences(currency, before, …, timing, unpriced)``, made by setting its slots as its frozen
    ``__init__`` does (half the cost: one per change); the same value, its totals not yet read."""
    made: Consequences = _new(Consequences)
    _currency_(made, currency)
    _before_(made, before)
    _after_(made, after)
    _before_ids(made, before_ids)
    _after_ids(made, after_ids)
    _promotions(made, promotions)
    _charges(made, charges)
    _recommendations_(made, recommendations)
    _timing_(made, timing)
    _unpriced(made, unpriced)
    _recurring(made, None)
    return made


def _made_value(cls: type[Any], values: dict[str, Any]) -> Any:
    """An instance of the frozen dataclass ``cls`` (one without slots) holding ``values`` — every field, in order,
    a test checks — as its ``__init__`` would: the dict set as its ``__dict__`` (a third of the cost: the money
    stage makes a :class:`Timing` per change, a :class:`PromotionChange` per promotion it touches)."""
    made = _new(cls)
    _write(made, "__dict__", values)
    return made



def _amended(result: ChangeResult, amendments: Sequence[Amendment]) -> ChangeResult | Refusal:
    """The result with its delta amended by the delta stage (the same catalog, inventory and migration rules), or
    the delta stage's refusal."""
    delta = amend(result.catalog, result.inventory, result.delta, amendments)
    return Refusal(delta.message, None) if isinstance(delta, Refused) else replace(result, delta=delta)


class _Bills(NamedTuple):
    """What the money stage reads off the bills before any rule is asked: the bill before and after the change,
    the products after it, and the promotions the change loses. (The stage's own records are named tuples: made
    once per change, read a few times, a third of a frozen dataclass's cost to make.)"""

    before: Bill
    after: Bill
    projected: Mapping[str, str]
    """Product id → its offering once the change is done, ``""`` for none (in the order of the projection; the bill
    after's table, read only)."""
    lost: list[str]
    bases: dict[str, Base]
    """The base price of each installed product (the products the change leaves as they are keep theirs)."""
    priced: dict[str, ProductBill]
    """The entries of the bill before with standing reductions, by product (only read: :func:`bill_changed`)."""
    when: tuple[Any, ...]
    """What the customer's answers the inventory remembers are keyed by: the moment and the context."""


class _Judged(NamedTuple):
    """What the rules decide over the complete facts of the change, in one pass and before any amendment: the
    products that go with a lost promotion (S1), the discount rules that apply, the timing, and the outcomes of
    the rules that decided (in the order they are reported)."""

    candidates: tuple[tuple[Discount, str], ...]
    """The products free only through a lost promotion that no rule keeps (with the promotion's id)."""
    discounts: tuple[Rule, ...]
    timing: tuple[str, bool, str]
    """``(policy, reengage, source)`` from the timing rule (:func:`_timing` adds the request's own)."""
    kept: tuple[RuleOutcome, ...]
    timed: tuple[RuleOutcome, ...]


class _Asked(NamedTuple):
    """The rules and the change's facts the money stage asks them over, made plain once for the executor (a stage
    judging one product or one promotion replaces only the sections it changes: :class:`EngineFacts`)."""

    rules: Rulebook
    plain: EngineFacts

    @property
    def facts(self) -> Facts:
        return self.plain.facts

    def hits(self, kind: str, **sections: FactSection) -> list[Rule]:
        """The rules of ``kind`` the facts (with ``sections`` in place of the change's own) satisfy."""
        return self.rules.matching_in(kind, self.plain, **sections)

    def first(self, kind: str, **sections: FactSection) -> Rule | None:
        """The winning rule of ``kind`` (see :meth:`hits`)."""
        return self.rules.first_in(kind, self.plain, **sections)

    def reads(self, section: str) -> bool:
        """Whether some rule may read ``section`` of the facts: a question reads only the sections of the fact plan
        of the facts it is asked over (the change's, or those of another product the book makes plain) — a section
        judged in place of the change's own need not be made when neither plan holds it."""
        return section in self.plain.plan.sections or section in self.rules.fact_plan.sections


def compute(result: ChangeResult, rules: Rulebook | None, plain: EngineFacts | None) -> ChangeResult | Refusal:
    """The result with its consequences, or a refusal. One straight pass: the bills (money) → the rules over
    complete facts (compatibility, promotion_loss, discount, timing) → the amendments they ask, applied by the delta
    stage at once (products free only through a lost promotion go with it, S1; a re-engagement gives the root a new
    term) → the bill after the amended change → fees, penalties, recommendations → :class:`Consequences`. The
    result returned carries the amended delta and every rule that decided something. ``plain``: the change's
    facts, made plain for ``rules`` (:meth:`~odedelta.rules.Rulebook.plain_facts`)."""
    bills = _bills(result)
    if rules is not None and plain is not None:
        broken = rules.incompatibilities_in(plain, plain.section("projected").offerings)
        if broken:
            verdict = Verdict(False, broken)
            return Refusal(refusal_message(result.catalog, result.delta.target_offering_id, verdict, "the change"),
                           verdict)
    if not isinstance(bills, _Bills):  # an error in the input, met before the rules could refuse the change
        raise bills
    asked = _Asked(rules, plain) if rules is not None and plain is not None else None
    judged = _judge(result, bills, asked)
    amended = _amend(result, bills, judged)
    if isinstance(amended, Refusal):
        return amended
    result, after, projected, timing = amended
    return _consequences(result, bills.before, after, projected, judged, timing, asked)


def _bills(result: ChangeResult) -> _Bills | OdeDeltaError:
    """The money stage's first pass (the bill before and after the change), or the input error it meets — raised
    only if the rules do not refuse the change first (a refusal has always been the answer to such a change)."""
    when = (*moment_key(result.as_of), *context_key(result.context))
    try:
        before, bases, priced = _before(result, when)
        after, projected = _after(result, before, bases, priced)
    except OdeDeltaError as exc:
        return exc
    return _Bills(before, after, projected, [p for p in before.promotions if p not in after.promotions], bases,
                  priced, when)


def _before(result: ChangeResult,
            when: tuple[Any, ...]) -> tuple[Bill, dict[str, Base], dict[str, ProductBill]]:
    """The bill before the change, the base price of each installed product, and the bill's entries with standing
    reductions by product (the bill after shares those of the products the change leaves as they are). What the
    customer has, whatever the change: worked out once per inventory, catalog, moment and context (``when``: the
    inventory remembers it; the three are frozen values, only read)."""
    catalog, inventory, as_of, context = result.catalog, result.inventory, result.as_of, result.context
    return remembered(inventory, catalog, ("bill before", *when),
                      lambda: bill_of_products(catalog, inventory.products, context, as_of))


def _judge(result: ChangeResult, bills: _Bills, asked: _Asked | None) -> _Judged:
    """The rules the money stage needs, asked once over complete facts before anything is amended."""
    discounts = tuple(asked.hits("discount")) if asked is not None else ()
    timed: list[RuleOutcome] = []
    timing = _timing_rule(asked, timed)
    kept: list[RuleOutcome] = []
    candidates = _free_products(result, bills, asked, kept)
    return _Judged(tuple(candidates), discounts, timing, tuple(kept), tuple(timed))


def _amend(result: ChangeResult, bills: _Bills, judged: _Judged
           ) -> tuple[ChangeResult, Bill, Mapping[str, str | None], Timing] | Refusal:
    """The amendments the rules asked, applied by the delta stage in one visit: the S1 drops (each product of its
    kind the change adds is one of these, continued at its price: the oldest first), then the re-engagement of the
    root; and the bill after the amended change."""
    after, projected = bills.after, bills.projected
    drops = _drops(result, bills.before, judged.candidates)
    if drops:
        age = _age(result)
        places = [TakePlace(grant.product_id, why) for grant, why in sorted(drops, key=lambda d: age(d[0]))]
        dropped = _amended(result, [*(Drop(grant.product_id, why) for grant, why in drops), *places])
        if isinstance(dropped, Refusal):
            return dropped
        result = dropped
    timing = _timing(result, judged.timing)
    if timing.reengage:
        reengaged = _amended(result, _reengage(result, timing))
        if isinstance(reengaged, Refusal):
            return reengaged
        result = reengaged
    if drops:
        after, projected = _after(result, bills.before, bills.bases, bills.priced)
    return result, after, projected, timing


def _consequences(result: ChangeResult, before: Bill, after: Bill, projected: Mapping[str, str | None], judged: _Judged,
                  timing: Timing, asked: _Asked | None) -> ChangeResult:
    """The money of the amended change: discounts, totals, promotions kept/lost/gained, one-time charges, fees,
    penalties, recommendations, proration."""
    decided: list[RuleOutcome] = [*result.decisions, *judged.kept]
    if judged.discounts:
        after = _apply_discount_rules(asked.rules if asked else None, judged.discounts, after, projected, decided)
    decided += judged.timed
    after = apply_renewal_benefit(result, after)
    # the items, read in one pass: what each later step reads of them
    counted: set[str] = set()
    added: list[DeltaItem] = []
    deleted: list[DeltaItem] = []
    installed: list[DeltaItem] = []
    for item in result.items:
        counted.add(item.product_id)
        action = item.action
        if action is _ADD:
            added.append(item)
        elif action is _DELETE:
            deleted.append(item)
        if item.installed:
            installed.append(item)
    _count_repriced(counted, before, after)
    before_ids = [pid for pid in result.inventory.products if pid in counted]
    after_ids = [pid for pid in projected if pid in counted]
    currency, unpriced = _currency(result, before, after, before_ids, after_ids)
    # a discount is on a product of its bill: counted on either side exactly when counted is said of it
    promotion_changes = _promotion_changes(result.catalog.promotions, before, after, counted)
    charges = _one_time_prices(result, added) if added else []
    recommendations: list[Recommendation] = []
    if asked is not None:
        kinds = asked.rules.kinds
        # the promotion section, made only if some rule reads it (a section no rule reads is never looked at)
        promoted = {"promotion": _promotion_facts(promotion_changes)} if asked.reads("promotion") else {}
        if "fee" in kinds:
            charges += _fees(result, asked, promoted, currency, decided)
        if not timing.reengage and installed and "penalty" in kinds:
            charges += _penalties(result, asked, installed, before, promoted, currency, timing, decided)
        if deleted and "recommendation" in kinds:
            recommendations = _recommendations(result, asked, deleted, promoted, decided)
    if timing.policy == "immediate" and timing.period is not None and result.delta.request.kind != "renew":
        charges += _proration(before, after, before_ids, after_ids, timing, result.catalog.name_of)
    consequences = _made_consequences(currency, before, after, before_ids, after_ids, promotion_changes, charges,
                                      recommendations, timing, unpriced)
    # replace(result, decisions=…, consequences=…) without its walk over the record's fields
    return ChangeResult(result.catalog, result.inventory, result.delta, result.context, tuple(decided), consequences,
                        result.renewal, result.change_kind)


def _count_repriced(counted: set[str], before: Bill, after: Bill) -> None:
    """The products the totals count: those the change touches (its items, ``counted`` already), and those it
    leaves as they are whose monthly price it changes all the same (a promotion gained or lost, a rule's discount)
    — on either side of the change: added to ``counted``. A product no item names keeps its line in the bill after
    the change — its offering, its base and its standing reductions (:func:`_after`) — so only a discount of a
    promotion or a rule (what a bill's ``promotions`` hold, on either side) can change its price: only the
    products those discount are compared (the amounts), whatever the size of the account."""
    for granted in (before.promotions, after.promotions):
        for discounts in granted.values():
            for discount in discounts:
                pid = discount.product_id
                if pid in counted or not (before.holds(pid) and after.holds(pid)):
                    continue
                old, new = before.net_of(pid), after.net_of(pid)
                if (old.amount if old is not None else None) != (new.amount if new is not None else None):
                    counted.add(pid)


_NO_PROMOTIONS = made(PromotionFacts, lost=(), gained=())


def _promotion_facts(changes: Sequence[PromotionChange]) -> PromotionFacts:
    """The ``promotion`` section of the rules judging the change's money: the promotions it loses and gains."""
    if not changes:
        return _NO_PROMOTIONS
    return made(PromotionFacts, lost=tuple(p.promotion_id for p in changes if p.status == "lost"),
                gained=tuple(p.promotion_id for p in changes if p.status == "gained"))


def _timing_rule(asked: _Asked | None, decided: list[RuleOutcome]) -> tuple[str, bool, str]:
    """The timing the rules give the change: ``(policy, reengage, source)`` of the first ``timing`` rule, else
    immediate."""
    if asked is not None:
        rule = asked.first("timing")
        if rule is not None:
            effect = rule.effect(TimingEffect)
            decided.append(_outcome(asked.rules, rule, effect.policy))
            return effect.policy, effect.reengage, f"rule:{rule.id}"
    return "immediate", False, "default"


def _timing(result: ChangeResult, chosen: tuple[str, bool, str]) -> Timing:
    """The request's timing, else the rules' (``chosen``); and the billing period of as_of (from the context's
    billing cycle day) when one is known."""
    request = result.delta.request
    policy, reengage, source = chosen
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
    timing: Timing = _made_value(Timing, {"policy": policy, "effective": effective, "reengage": reengage,
                                          "source": source, "period": period})
    return timing


def _reengage(result: ChangeResult, timing: Timing) -> list[Amendment]:
    """Re-engagement: the root product gets a new commitment from the effective date (the target offering's term,
    else the current one's duration); the current term is kept as history. No penalty is due."""
    root = next((i for i in result.items if i.product_id == result.delta.root_product_id), None)
    if root is None or root.action is Action.DELETE or not root.installed:
        return []
    product = result.inventory.product(root.product_id)
    months = next((found for t in result.catalog.offering(root.offering_id).product_offering_term
                   if t.duration is not None and (found := t.duration.months())), None)  # the first term's, if any
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
    # the prices read off the bills' tables (:meth:`Bill.net_of`): no entry is made for a product without a line
    for pid in before_ids:
        old = before_bill.net_of(pid)
        new = after_bill.net_of(pid) if pid in after_ids else None
        if old is not None and old.amount and (new is None or new.amount != old.amount):
            lines.append(Charge("proration", f"Credit for unused {name(before_bill.offering_of(pid) or '')}",
                                -(old * fraction), pid, "proration", f"{old} × {text}"))
    for pid in after_ids:
        new = after_bill.net_of(pid)
        old = before_bill.net_of(pid) if pid in before_ids else None
        if new is not None and new.amount and (old is None or old.amount != new.amount):
            lines.append(Charge("proration", f"{name(after_bill.offering_of(pid) or '')} until the next bill",
                                new * fraction, pid, "proration", f"{new} × {text}"))
    return lines


def _after(result: ChangeResult, before: Bill, installed: Mapping[str, Base],
           priced: dict[str, ProductBill]) -> tuple[Bill, Mapping[str, str]]:
    """The bill after the change, and the offering of each product after it (the bill's table: ``""`` for a product
    without one). A new product, or one whose offering changes, is priced from the catalog of its offering; every
    other keeps its ``installed`` base price (the change leaves its prices as they are). Made from the bill before
    (``priced``: its entries with standing reductions, :func:`_before`): only the products the delta's items name
    are priced again, each item read once — the last item of an installed product is what the projection reads of
    it (:func:`placed`), and the products the change installs come last, in the items' order. A change that names
    most of the products (an enterprise pack moved), or would place one twice, makes it of the projection's lines
    in one pass instead (:func:`bill_of`: the same bill)."""
    tables = compiled(result.catalog)
    as_of = result.as_of
    known = tables.bases(as_of)  # the catalog prices of as_of's validity epoch, the epoch worked out once
    repriced: dict[str, Base] = {}
    last: dict[str, DeltaItem] = {}
    new: list[DeltaItem] = []
    for item in result.items:
        pid = item.product_id
        last[pid] = item
        action = item.action
        if action is _ADD or (action is _MODIFY and item.previous_offering_id):
            offering = item.offering_id
            found = known.get(offering)
            repriced[pid] = found if found is not None else tables.base(offering, as_of)
        if not item.installed:
            new.append(item)
    held = before.holds
    added = {item.product_id for item in new}
    if 2 * len(last) <= len(installed) and len(added) == len(new) and not any(map(held, added)):
        changes: list[Change] = [
            (pid, None, None) if item.action is _DELETE
            else (pid, item.offering_id, repriced.get(pid) or installed[pid])
            for pid, item in last.items() if held(pid)]
        for item in new:
            pid = item.product_id
            changes.append((pid, item.offering_id, repriced.get(pid) or installed[pid]))
        after = bill_changed(result.catalog, before, priced, changes, lambda: result.placed, result.context, as_of)
    else:  # most products change (one pass over the lines is cheaper), or the projection would place a product
        # twice: the bill of its lines, as they are; the bill before's entries (which the inventory remembers) are
        # only read: bill_of would fill an empty table
        lines = ((pid, offering, spec, repriced.get(pid) or installed[pid]) for pid, offering, spec in result.placed)
        after = bill_of(result.catalog, lines, result.context, as_of, priced or None)
    # the bill's table is the projection's offerings (each product once, the last line's), "" for none
    return after, after.offerings


def _currency(result: ChangeResult, before: Bill, after: Bill, before_ids: list[str],
              after_ids: list[str]) -> tuple[str, str | None]:
    """The change's currency, and a note when no price of the change has one. The monthly prices' currency; else
    that of any other price of the offerings involved (one-time, usage…) or of the products' inventory prices;
    else the catalog's own (all its prices in one currency); else ISO 4217's ``XXX`` (no currency). Prices in two
    currencies are an error naming both."""
    monthly = before.currencies(before_ids) | after.currencies(after_ids)  # of the monthly prices
    if len(monthly) > 1:
        raise _mismatch(before, after, before_ids, after_ids)
    if monthly:
        return monthly.pop(), None
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


def _mismatch(before: Bill, after: Bill, before_ids: list[str], after_ids: list[str]) -> CurrencyMismatch:
    """The error for monthly prices in two currencies: the first price in each of the first two met."""
    priced: dict[str, str] = {}  # currency → the first monthly price in it
    for side, ids in ((before, before_ids), (after, after_ids)):
        for pid in ids:
            entry = side.entry(pid)
            if entry is not None and entry.base is not None and entry.base.currency not in priced:
                priced[entry.base.currency] = f"{entry.base} ({pid}, {entry.basis})"
    first, second = list(priced.values())[:2]
    return CurrencyMismatch(f"prices in different currencies: {first} and {second}")


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
    grant = f"rule:{renewal.rule_id}"
    granted: list[tuple[str, Discount]] = []  # granted in one copy of the bill (each product's entry read once)
    for entry in after.entries_of(target):
        if entry.product_id in renewed:
            discount = discount_for(entry, grant, benefit.name, benefit.value)
            if discount is not None:
                granted.append((grant, discount))
    return with_discounts(after, granted)


def _promotion_changes(promotions: Mapping[str, object], before: Bill, after: Bill,
                       affected: set[str]) -> list[PromotionChange]:
    """Promotions whose discounts touch the products the change affects: kept, lost or gained."""
    out = []
    had, has = before.promotions, after.promotions
    for pid in sorted(had.keys() | has.keys()):
        old, new = had.get(pid), has.get(pid)
        if affected.isdisjoint([g.product_id for g in old or ()]) and \
                affected.isdisjoint([g.product_id for g in new or ()]):
            continue
        status = "kept" if old is not None and new is not None else ("lost" if old is not None else "gained")
        name = getattr(promotions.get(pid), "name", None) or (old or new or [])[0].name
        out.append(_made_value(PromotionChange, {"promotion_id": pid, "name": name, "status": status,
                                                 "before": _monthly(old), "after": _monthly(new)}))
    return out


def _monthly(grants: list[Discount] | None) -> Money | None:
    """What a promotion's discounts take off per month (None when it grants nothing on that side)."""
    if not grants:
        return None
    return total([g.amount for g in grants], grants[0].amount.currency)


def _age(result: ChangeResult) -> Callable[[Discount], tuple[datetime, str]]:
    """Sort key of a grant: its product's start date (undated last), then its id."""
    products = result.inventory.products

    def age(grant: Discount) -> tuple[datetime, str]:
        product = products.get(grant.product_id)
        return (product.start_date if product and product.start_date else _FAR), grant.product_id

    return age


_GONE = object()
"""What a product the change removes projects to (no offering is that)."""
_FAR = datetime.max.replace(tzinfo=UTC)
"""The age of an undated product: after every dated one."""


def _free_products(result: ChangeResult, bills: _Bills, asked: _Asked | None,
                   decided: list[RuleOutcome]) -> list[tuple[Discount, str]]:
    """S1, what the rules say: the products free only through a promotion the change loses (with that promotion's
    id), newest first within each promotion, except those a ``promotion_loss`` rule keeps at their price."""
    candidates: list[tuple[Discount, str]] = []
    if not bills.lost:
        return candidates
    age = _age(result)
    projected = bills.projected
    for promotion_id in bills.lost:
        grants = bills.before.promotions[promotion_id]
        # the newest goes first: where the bundle needs one of them, the oldest stays (whatever the input order)
        for grant in sorted(grants, key=age, reverse=True) if len(grants) > 1 else grants:
            entry = bills.before.entry(grant.product_id)
            assert entry is not None  # a promotion's discount is on a product of its bill
            # kept as it is after the change (a product whose offering changes is priced anew), and free
            if projected.get(grant.product_id, _GONE) != entry.offering_id or not entry.free:
                continue
            if asked is not None:
                keep = asked.first("promotion_loss",
                                   item=made(ItemFacts, action="noChange", offering=entry.offering_id),
                                   promotion=made(PromotionFacts, lost=tuple(bills.lost), id=promotion_id))
                if keep is not None and keep.effect(PromotionLossEffect).keep:
                    decided.append(_outcome(asked.rules, keep, "promotion_kept"))
                    continue
            candidates.append((grant, promotion_id))
    return candidates


def _drops(result: ChangeResult, before: Bill,
           candidates: Sequence[tuple[Discount, str]]) -> list[tuple[Discount, Reason]]:
    """S1, what the bundles allow: each candidate goes with its lost promotion (reason ``promotion_lost``) unless
    its bundle requires it. Each is judged knowing what already goes (whether its bundle can do without it depends
    on that): ``gone`` is what the drops so far take with them; the delta stage applies them all at once."""
    dropped: list[tuple[Discount, Reason]] = []
    gone: set[str] = set()
    for grant, promotion_id in candidates:
        if not _removable(result, grant.product_id, gone):
            continue
        offering = before.offering_of(grant.product_id) or ""
        why = Reason("promotion_lost", f"{result.catalog.name_of(offering)} was free through {grant.name}, which "
                     f"the change ends", f"promotion:{promotion_id}")
        dropped.append((grant, why))
        gone.update(result.inventory.subtree(grant.product_id))
    return dropped


def _removable(result: ChangeResult, product_id: str, gone: set[str]) -> bool:
    """Whether the product's bundle (after the change, once what is ``gone`` already has gone) can do without it.
    What the drops so far do to the delta is read without applying them: a dropped product's item is a deletion
    naming its installed offering; the bundle it was in holds one product less."""
    items = {i.product_id: i for i in result.items}
    inventory = result.inventory

    def offering_of(pid: str) -> str | None:  # the offering of the product's item once the drops are applied
        found = items.get(pid)
        if found is None:
            return (inventory.product(pid).offering_id or "") if pid in gone else None
        return (found.previous_offering_id or found.offering_id) if pid in gone else found.offering_id

    item = items.get(product_id)
    parent = item.parent_id if item else inventory.parent(product_id)
    if parent is None:
        return True
    parent_offering = offering_of(parent) or (
        inventory.product(parent).offering_id if parent in inventory.products else None)
    offering = offering_of(product_id)
    if offering is None:
        offering = inventory.product(product_id).offering_id
    after = result.shared_inventory
    siblings = [] if parent in gone else [
        c for c in after.children(parent) if c not in gone and after.product(c).offering_id == offering]
    for slot in compiled(result.catalog).slots(parent_offering or ""):
        if slot.offering_id == offering and len(siblings) - 1 < slot.lower:
            return False
    return True


def _apply_discount_rules(rules: Rulebook | None, discounts: Sequence[Rule], after: Bill,
                          projected: Mapping[str, str | None], decided: list[RuleOutcome]) -> Bill:
    """The bill after the change with the discounts of the ``discount`` rules (of ``rules``) that apply
    (``discounts``)."""
    for rule in discounts:  # a rule's discounts granted in one copy of the bill (each entry read once per rule)
        effect = rule.effect(DiscountEffect)
        grant = f"rule:{rule.id}"
        granted: list[tuple[str, Discount]] = []
        for entry in after.entries_of(effect.applies_to):
            if entry.product_id in projected:
                discount = discount_for(entry, grant, effect.name, effect.value)
                if discount is not None:
                    granted.append((grant, discount))
                    decided.append(_outcome(rules, rule, "discount"))
        after = with_discounts(after, granted)
    return after


def _one_time_prices(result: ChangeResult, added: Sequence[DeltaItem]) -> list[Charge]:
    """The catalog's one-time prices of the products the change adds (``added``, its items that add one)."""
    out = []
    for item in added:
        for line in catalog_prices(result.catalog, item.offering_id, result.as_of):
            if line.kind == ONE_TIME and line.amount.amount:
                out.append(charge("oneTime", line.name, line.amount, item.product_id, f"catalog:{line.pop_id}"))
    return out


def _fees(result: ChangeResult, asked: _Asked, promoted: Mapping[str, FactSection], currency: str,
          decided: list[RuleOutcome]) -> list[Charge]:
    """The fees of the ``fee`` rules that apply (``promoted``: the change's promotion section, when a rule reads
    it), each charged on the root product. What each fee rule of the book charges in a currency is made once per
    rule book, for all of them at once (:func:`_fee`, a table by rule key): a change reads the keys of the rules
    that apply and copies each one's charge onto its root (a :class:`Charge` of the fields with the product in its
    place: :func:`_charged`)."""
    root = result.delta.root_product_id
    out = []
    book = asked.rules
    table = book.for_kind("fee", ("fee fields", currency), partial(_fee, book, currency))
    for key in book.keys_in("fee", asked.plain, **promoted):
        fields, outcome = table[key]
        out.append(_charged(fields, root))
        decided.append(outcome)
    return out


def _fee(rules: Rulebook, currency: str, rule: Rule) -> tuple[dict[str, Any], RuleOutcome]:
    """What a fee rule charges in ``currency`` — the fields of its :class:`Charge` on no product yet (its name,
    amount, source and explanation) — and its outcome: the same for every change, made once per rule book (the
    dict is only copied, never changed)."""
    effect = rule.effect(FeeEffect)
    fields = vars(charge("fee", effect.name, Money(effect.amount, currency), None, f"rule:{rule.id}",
                         rule.model.description))
    return dict(fields), _outcome(rules, rule, "fee")


def _charged(fields: dict[str, Any], product_id: str | None) -> Charge:
    """The :class:`Charge` of ``fields`` (a charge's own, :func:`_fee`) on ``product_id``: a copy of them with the
    product in its place (the fields keep their order), set as the frozen instance's ``__dict__`` — the value
    :func:`charge` makes, without passing each field again (a change charges several fees)."""
    made: Charge = _made_value(Charge, {**fields, "product_id": product_id})
    return made


def _penalties(result: ChangeResult, asked: _Asked, installed_items: Sequence[DeltaItem], before: Bill,
               promoted: Mapping[str, FactSection], currency: str, timing: Timing,
               decided: list[RuleOutcome]) -> list[Charge]:
    """For every changed product under a commitment term (``installed_items``: the items of installed products):
    the first matching penalty rule, with its numbers. None when the change takes effect once the term has ended
    (end_of_term). The change's own facts (``change``) are those of the product it starts from: they are not built
    again for it. The sections a penalty judges in place of the change's own (the product's installed facts with
    this customer's price and discounts, the item, no projection; ``promoted``: the promotions) are made only when
    some rule of the book reads them: the rules never look at a section their plan does not hold."""
    out: list[Charge] = []
    book, change = asked.rules, asked.plain
    start = endpoints(result.delta.request)[0]
    own_target = change.section("target").offering
    products = result.inventory.products
    effective = timing.effective.date()
    for item in installed_items:
        product = products.get(item.product_id)
        if product is None or not product.product_term:
            continue
        target = None if item.action is _DELETE else item.offering_id
        facts = None
        if product.id == start and own_target == target:  # the change's own facts
            installed, term = change.section("installed"), change.section("term")
        else:
            facts = change_sections(result.catalog, result.inventory, product.id, target, result.as_of,
                                    result.context, result.kind)
            installed, term = facts["installed"], facts["term"]
        if term.end is not None and effective >= term.end:
            continue  # the change waits for the end of the commitment: nothing to pay
        plain = change if facts is None else book.plain_change(facts, result.context, shared=False)  # one question
        held = _held(before, term, product.id)
        reads = plain.plan.sections
        judged: dict[str, FactSection] = {**promoted}
        if "installed" in reads:
            judged["installed"] = updated(installed, **held)
        if "projected" in reads:
            judged["projected"] = _NOTHING_PROJECTED
        if "item" in reads:
            judged["item"] = made(ItemFacts, action=_ACTION_TEXT[item.action], offering=item.offering_id,
                                  reasons=tuple(r.code for r in item.reasons))
        rule = book.first_in("penalty", plain, **judged)
        if rule is None:
            continue
        effect = rule.effect(PenaltyEffect)
        amount, explanation = _penalty_amount(effect, term, held.get("price", installed.price),
                                              held.get("discount", installed.discount),
                                              held.get("discount_received", installed.discount_received), currency)
        decided.append(_outcome(book, rule, "penalty"))
        if amount.amount > 0:
            out.append(charge("penalty", effect.name, amount, product.id, f"rule:{rule.id}", explanation))
    return out


def _held(before: Bill, term: TermFacts, product_id: str) -> dict[str, Decimal]:
    """What a penalty reads of a product under a term in place of its offering's installed facts: what this
    customer pays before discounts (``price``) and the monthly discount they have and have received so far (those
    the bill knows)."""
    installed: dict[str, Decimal] = {}
    monthly_discount = before.discount_of(product_id)  # read off the bill's tables: no entry made
    if monthly_discount is not None:
        installed["discount"] = monthly_discount.amount
        installed["discount_received"] = monthly_discount.amount * (term.months_elapsed or 0)
    price = before.base_of(product_id)
    if price is not None:
        installed["price"] = price.amount  # what this customer pays, before discounts
    return installed


_NOTHING_PROJECTED = ProjectedFacts()
"""A penalty judges one product: its facts carry no projection (as when they were built for it alone)."""


def _penalty_amount(effect: PenaltyEffect, term: TermFacts, paid: Decimal | None, discount: Decimal | None,
                    discount_received: Decimal | None, currency: str) -> tuple[Money, str]:
    """A penalty's amount and its explanation, from the product's term and what the customer pays (``paid``)
    and the monthly discount they have and have received so far."""
    formula = effect.formula
    if formula == "waived":
        return Money.zero(currency), "waived"
    months = Decimal(term.months_remaining or 0)
    price = paid or _ZERO
    if formula == "fixed":  # the checker refuses a fixed penalty without an amount
        amount, text = effect.amount if effect.amount is not None else _ZERO, "fixed amount"
    elif formula == "remaining_months" and effect.amount is not None:
        per_month = effect.amount
        amount = months * per_month
        text = f"{months} months remaining × {shown(per_month, currency)}"
    elif formula == "remaining_months":
        factor = effect.factor
        amount = months * price * factor
        text = f"{months} months remaining × {shown(price, currency)} × {factor}"
    elif formula == "remaining_value_share":
        share = effect.share
        amount = share * months * price
        text = f"{share} × {months} months remaining × {shown(price, currency)}"
    else:  # discount_repayment
        share = effect.share
        received = discount_received or _ZERO
        amount = share * received
        text = (f"{share} × discount received so far {shown(received, currency)} "
                f"({shown(discount or _ZERO, currency)}/month × {term.months_elapsed} months)")
    low, high = effect.minimum, effect.maximum
    if high is not None and amount > high:
        amount, text = high, f"{text} = {shown(amount, currency)}, capped at {shown(high, currency)}"
    elif low is not None and amount < low:
        amount, text = low, f"{text} = {shown(amount, currency)}, at least {shown(low, currency)}"
    else:
        text = f"{text} = {shown(amount, currency)}"
    return rounded(amount, currency), text


_ZERO = Decimal(0)


def _recommendations(result: ChangeResult, asked: _Asked, deleted: Sequence[DeltaItem],
                     promoted: Mapping[str, FactSection], decided: list[RuleOutcome]) -> list[Recommendation]:
    """What the ``recommendation`` rules suggest in place of each product the change deletes (``deleted``; the
    item section made only if some rule reads it, as :func:`_penalties` does)."""
    out: list[Recommendation] = []
    reads_item = asked.reads("item")
    for item in deleted:
        judged: dict[str, FactSection] = {**promoted}
        if reads_item:
            judged["item"] = made(ItemFacts, action="delete", offering=item.offering_id,
                                  reasons=tuple(r.code for r in item.reasons))
        for rule in asked.hits("recommendation", **judged):
            effect = rule.effect(RecommendationEffect)
            parent = _home_for(result, result.shared_projection, item, effect.offering)  # built when needed
            if parent is None and item.parent_id is not None:
                continue  # nowhere to put it after the change
            price = catalog_base(result.catalog, effect.offering, result.as_of).amount
            out.append(Recommendation(effect.offering, parent, effect.message, price, rule.id))
            decided.append(_outcome(asked.rules, rule, "recommendation"))
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


def _outcome(rules: Rulebook | None, rule: Rule, reason: str) -> RuleOutcome:
    """What ``rule`` decided, for the result: made once per rule book, rule and reason (a frozen value)."""
    if rules is None:
        return _said(rule, reason)
    return rules.for_rule(rule, ("said", reason), lambda: _said(rule, reason))


def _said(rule: Rule, reason: str) -> RuleOutcome:
    model = rule.model  # read once: the rule's id, kind and effect are properties over it
    said = vars(model.then)  # an effect's fields (they forbid other keys): no attribute miss for pydantic to raise
    message = said.get("message") or said.get("name") or model.description
    return RuleOutcome(model.id, model.kind, reason, message)


__all__ = ["Charge", "Consequences", "ProductBill", "PromotionChange", "Recommendation", "compute"]
