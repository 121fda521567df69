"""Renewing a commitment term (S7, S8, S9), and the end-of-term notices an operator must send.

A renewal gives the product a new ProductTerm with its own ``validFor``; the previous terms stay, as history.
Where the new term starts: at the end of the current one when renewing before it ends (S7), on the day of the
renewal after it ended (S8) — or as a ``renewal`` rule says. How long: the request's ``months``, else the rule's,
else the current term's duration. A rule can also open a renewal window (``window_days`` before the end), bring a
benefit (a discount while the new term runs), refuse renewal, and say what happens at the end of a term and how
many days before it the customer must be told.

An offering that is no longer sold cannot be renewed (S9): the answer names its successor and is the change to it,
with the successor's own term starting on the day of the change.

A renewal is a request kind of the one pipeline: :func:`renewal_plan` decides what the renewal asks (the request the
delta stage builds, the new term as an amendment, the :class:`Renewal`), and the engine runs it like any change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from odedelta.delta.items import Reason, Recommit
from odedelta.flows.result import Plan, Refusal, Renewal, TermNotice
from odedelta.model.calendar import new_term
from odedelta.model.catalog import Catalog
from odedelta.model.errors import RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.requests import ChangeOffer, Context, Renew
from odedelta.model.terms import add_term, last_term
from odedelta.model.tmf import ProductTerm
from odedelta.rules import Rulebook, RuleOutcome, Verdict
from odedelta.rules.facts import change_facts
from odedelta.rules.language import RenewalEffect

DEFAULT_NOTICE_DAYS = 30


def renewal_plan(catalog: Catalog, rules: Rulebook | None, inventory: Inventory, request: Renew, *,
                 as_of: datetime, context: Context) -> Plan | Refusal:
    """What a renewal asks of the pipeline, or the rule's refusal: the new term as an amendment of the renewed
    product (in-term, S7/S8: the rules do not judge it further); for an end-of-sale offering (S9), the change to
    its successor, with the successor's own term, judged by the rules like any change."""
    product = inventory.installed(request.product)
    term = last_term(product.product_term)  # a renewal follows the last term, even one not begun (renewed already)
    if term is None or term.valid_for is None or term.valid_for.end is None:
        raise RequestError(f"{product.id} has no commitment term to renew")
    if product.offering_id is None:  # no offering: nothing says whether it is still sold or how it renews
        raise RequestError(f"{product.id} names no productOffering: a renewal renews an offering's commitment, and "
                           f"without one neither the catalog nor the rules can say whether or how it renews")
    offering = product.offering_id
    effect, rule_id = _renewal_rule(catalog, rules, inventory, product.id, offering, as_of, context)
    if not effect.allowed:
        verdict = Verdict(False, [RuleOutcome(rule_id or "", "renewal", "renewal_refused",
                                              effect.message or "renewal is not possible")])
        return Refusal(f"not eligible: renewal of {product.id}: {effect.message or 'refused'} [rule {rule_id}]",
                       verdict)
    months = request.months or effect.months or (term.duration.months() if term.duration else None) or 12
    previous_end = term.valid_for.end
    if effect.window_days is not None and as_of < previous_end - timedelta(days=effect.window_days):
        opens = (previous_end - timedelta(days=effect.window_days)).date().isoformat()
        raise RequestError(f"{product.id} cannot be renewed yet: renewal opens {effect.window_days} days before the "
                           f"term ends, on {opens} [rule {rule_id}]")
    renewed = (RuleOutcome(rule_id, "renewal", "renewed", effect.message or "renewal"),) if rule_id else ()
    sellable, why = catalog.sellable(offering, as_of)
    if not sellable:  # S9: renewing means moving to the successor, with its own term
        found = successor_of(catalog, rules, inventory, product.id, as_of=as_of, context=context, effect=effect,
                             rule_id=rule_id)
        if found is None:
            raise RequestError(f"{why}; it cannot be renewed and neither the catalog nor a rule names a successor")
        successor, named_by = found
        successor_months = request.months or _offering_months(catalog, successor) or months
        term_after = new_term(as_of, successor_months)
        moved = Reason("end_of_sale", f"{why}: it cannot be renewed; the renewal moves it to its successor "
                                      f"{successor}", named_by)
        recommit = Recommit(None, tuple(add_term(product.product_term, term_after)),
                            (_term_reason(term_after, successor_months, "starting on the day of the change", rule_id),),
                            first=moved)
        return Plan(ChangeOffer(product=product.id, to=successor), (recommit,),
                    Renewal(product.id, term_after, previous_end, rule_id, successor, effect), renewed)
    expired = previous_end <= as_of
    start = as_of if (effect.start == "as_of" or (effect.start is None and expired)) else previous_end
    term_after = new_term(start, months)
    when = "after the previous term ended" if expired else "at the end of the current term"
    recommit = Recommit(product.id, tuple(add_term(product.product_term, term_after)),
                        (_term_reason(term_after, months, when, rule_id),))
    return Plan(request, (recommit,), Renewal(product.id, term_after, previous_end, rule_id, None, effect), renewed,
                judged=False)


def _renewal_rule(catalog: Catalog, rules: Rulebook | None, inventory: Inventory, product_id: str, offering: str,
                  as_of: datetime, context: Context) -> tuple[RenewalEffect, str | None]:
    """The first ``renewal`` rule's effect for the product, and its id; the defaults when none applies."""
    if rules is None:
        return RenewalEffect(), None
    facts = change_facts(catalog, inventory, product_id=product_id, target_id=offering, as_of=as_of,
                         context=context, kind="renew")
    rule = rules.first("renewal", facts, context)
    if rule is None:
        return RenewalEffect(), None
    return rule.effect(RenewalEffect), rule.id


def successor_of(catalog: Catalog, rules: Rulebook | None, inventory: Inventory, product_id: str, *,
                 as_of: datetime, context: Context, effect: RenewalEffect | None = None,
                 rule_id: str | None = None) -> tuple[str, str] | None:
    """The offering an end-of-sale product moves to, and who names it: the catalog (``replacedBy`` and the other
    successor relationships), else the renewal rule (``successor:``), else a migration rule from its offering or
    specification to a sellable offering. ``(offering, source)`` with source ``catalog:<id>`` or ``rule:<id>``."""
    offering = inventory.product(product_id).offering_id or ""
    for successor in catalog.successors(offering):
        return successor, f"catalog:{offering}"
    if effect is not None and effect.successor is not None:
        return effect.successor, f"rule:{rule_id}"
    if rules is None:
        return None
    facts = change_facts(catalog, inventory, product_id=product_id, target_id=None, as_of=as_of, context=context,
                         kind="renew")
    spec = catalog.graph.specification_of(offering)
    for rule, migration in rules.migrations(facts, context):
        source, dest = migration.from_, migration.to
        if source.offering not in (None, offering) or source.specification not in (None, spec):
            continue
        if dest.offering is not None and dest.offering != offering and catalog.sellable(dest.offering, as_of)[0]:
            return dest.offering, f"rule:{rule.id}"
    return None


def _term_reason(term: ProductTerm, months: int, when: str, rule_id: str | None) -> Reason:
    period = term.valid_for
    assert period is not None and period.start is not None and period.end is not None
    return Reason("renewed", f"new {months}-month term from {period.start.date().isoformat()} to "
                             f"{period.end.date().isoformat()} ({when})", f"rule:{rule_id}" if rule_id else "request")


def _offering_months(catalog: Catalog, offering_id: str) -> int | None:
    for term in catalog.offering(offering_id).product_offering_term:
        if term.duration is not None and term.duration.months():
            return term.duration.months()
    return None


def term_notices(catalog: Catalog, rules: Rulebook | None, inventory: Inventory, *, as_of: datetime,
                 context: Context) -> list[TermNotice]:
    """Products whose commitment ends within its notice window (a ``renewal`` rule's ``notice_days``, else 30 days),
    with what happens at the end: ``renew``, ``terminate`` or ``migrate`` (to the successor of an end-of-sale
    offering)."""
    notices = []
    for product in inventory.products.values():
        term = last_term(product.product_term)
        if term is None or term.valid_for is None or term.valid_for.end is None or term.valid_for.end <= as_of:
            continue
        offering = product.offering_id or ""
        effect, rule_id = _renewal_rule(catalog, rules, inventory, product.id, offering, as_of, context)
        notice = effect.notice_days if effect.notice_days is not None else DEFAULT_NOTICE_DAYS
        days_left = (term.valid_for.end - as_of).days
        if days_left > notice:
            continue
        sellable = catalog.sellable(offering, as_of)[0]
        found = None if sellable and effect.at_end != "migrate" else successor_of(
            catalog, rules, inventory, product.id, as_of=as_of, context=context, effect=effect, rule_id=rule_id)
        at_end = "migrate" if found is not None else (effect.at_end or "renew")
        notices.append(TermNotice(product.id, offering, term.valid_for.end, days_left, at_end, notice,
                                  found[0] if found is not None else None, rule_id))
    return notices
