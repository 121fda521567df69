"""Comparing what the engine answered with what a scenario expects: one function per part of the answer (items,
money lines, terms, notices, qualification, refusal, partner orders, settlement, roll-up, SLA), each returning every
difference as a line for the report (an empty list: as expected)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from odedelta.adapters.scenario.format import (
    Expect,
    ExpectedItem,
    ExpectedLine,
    ExpectedNotice,
    ExpectedPartnerOrder,
    ExpectedReason,
    ExpectedRollUp,
    ExpectedSettlement,
    ExpectedSla,
    ExpectedTerm,
)
from odedelta.delta.items import Action, DeltaItem
from odedelta.flows.qualify import Qualification
from odedelta.flows.result import ChangeResult, Refusal, TermNotice
from odedelta.flows.settlement import SettlementLine, SlaAdjustment, partner_items
from odedelta.model.catalog import value_key
from odedelta.outputs.rollup import RollUp


def names(item: DeltaItem, key: str) -> bool:
    """``key`` names the item: its installed product's id, or the offering of a product it adds."""
    return key == item.product_id if item.installed else key == item.offering_id


def _label(item: DeltaItem) -> str:
    return item.product_id if item.installed else f"added {item.offering_id}"


def compare_partner_orders(result: ChangeResult, expected: list[ExpectedPartnerOrder] | None) -> list[str]:
    if expected is None:
        return []
    failures = []
    got = partner_items(result)
    for want in expected:
        items = got.pop(want.supplier, None)
        if items is None:
            failures.append(f"partner orders: none to {want.supplier} (orders to: {', '.join(sorted(got)) or 'none'})")
            continue
        if want.items is None:
            continue
        unclaimed = list(items)
        for wanted in want.items:
            key = wanted.product or wanted.offering or ""
            match = next((pair for pair in unclaimed if names(pair[0], key) or (
                wanted.offering is not None and pair[0].offering_id == wanted.offering)), None)
            if match is None:
                failures.append(f"partner order to {want.supplier}: no item for {key}")
                continue
            unclaimed.remove(match)
            if wanted.action is not None and match[1] != wanted.action:
                failures.append(f"partner order to {want.supplier}: item {key} expected action {wanted.action}, "
                                f"got {match[1]}")
        if unclaimed:
            failures.append(f"partner order to {want.supplier}: unexpected items " + ", ".join(
                f"{action} {_label(item)}" for item, action in unclaimed))
    if got:
        failures.append(f"unexpected partner orders to {', '.join(sorted(got))}")
    return failures


def compare_settlement(result: ChangeResult, lines: Sequence[SettlementLine],
                       expected: list[ExpectedSettlement] | None, only_listed: bool = False) -> list[str]:
    failures: list[str] = []
    if expected is None:
        return failures
    items = {item.id: item for item in result.items}
    unclaimed = list(lines)
    for want in expected:
        match = next((line for line in unclaimed if want.supplier in (None, line.supplier.id)
                      and want.kind in (None, line.kind) and want.amount in (None, line.amount.amount)
                      and (want.product is None or names(items[line.item_id], want.product))
                      and (want.rule is None or line.source == f"rule:{want.rule}")), None)
        if match is None:
            wanted = " ".join(str(x) for x in (want.kind, want.amount, want.supplier, want.product, want.rule) if x)
            shown = "; ".join(f"{x.kind} {x.amount.amount} {x.supplier.id} {_label(items[x.item_id])} ({x.source})"
                              for x in lines) or "none"
            failures.append(f"settlement: expected a line {wanted}; got {shown}")
        else:
            unclaimed.remove(match)
    if only_listed and unclaimed:
        failures.append("settlement: unexpected lines " + "; ".join(
            f"{x.kind} {x.amount.amount} {x.supplier.id} {_label(items[x.item_id])} ({x.source})" for x in unclaimed))
    return failures


def compare_rollup(result: ChangeResult, rolled: RollUp, expected: ExpectedRollUp | None) -> list[str]:
    if expected is None:
        return []
    failures = []
    if expected.state is not None and rolled.state != expected.state:
        failures.append(f"roll-up: expected the customer order {expected.state}, got {rolled.state} "
                        f"({' → '.join(rolled.history)})")
    states = {s.id: s.state for s in rolled.items}
    for key, wanted in expected.items.items():
        item = next((i for i in result.items if names(i, key)), None)
        if item is None or item.id not in states:
            failures.append(f"roll-up: no item for {key}")
        elif states[item.id] != wanted:
            failures.append(f"roll-up: item {key} expected {wanted}, got {states[item.id]}")
    for text in expected.explanations:
        if not any(text in line for line in rolled.explanations):
            failures.append(f"roll-up: no explanation contains {text!r} (got {list(rolled.explanations)})")
    if expected.not_applied is not None and len(rolled.problems) != expected.not_applied:
        failures.append(f"roll-up: expected {expected.not_applied} events not applied, got {len(rolled.problems)}: "
                        f"{list(rolled.problems)}")
    return failures


def compare_sla(adjustment: SlaAdjustment | None, expected: ExpectedSla | None) -> list[str]:
    if expected is None:
        return []
    if adjustment is None:
        return ["sla: expected a credit, no sla_credit rule matched"] if expected.credited else []
    if not expected.credited:
        return [f"sla: expected no credit, got {adjustment.explanation}"]
    failures = []
    recharge = adjustment.supplier_penalty.amount if adjustment.supplier_penalty is not None else None
    for key, wanted, got in (("credit", expected.credit, adjustment.customer_credit.amount),
                             ("recharge", expected.recharge, recharge), ("rule", expected.rule, adjustment.rule_id)):
        if wanted is not None and wanted != got:
            failures.append(f"sla: expected {key} {wanted}, got {got}")
    return failures


def compare_refusal(refusal: Refusal, expected: list[ExpectedReason]) -> list[str]:
    got = [(r.reason, r.rule_id) for r in (refusal.verdict.reasons if refusal.verdict else [])]
    failures = []
    for want in expected:
        if not any(want.code in (None, code) and want.rule in (None, rule) for code, rule in got):
            failures.append(f"refusal: expected reason {want.code or '*'} by rule {want.rule or '*'}, got "
                            + (", ".join(f"{code} by rule {rule}" for code, rule in got) or "none"))
    return failures


def _lines_failures(label: str, expected: list[ExpectedLine],
                    got: Sequence[tuple[str, Decimal, str, str | None]]) -> list[str]:
    """``got``: (name, amount, source, product) of each line."""
    failures = []
    unclaimed = list(got)
    for want in expected:
        source = f"rule:{want.rule}" if want.rule else f"promotion:{want.promotion}" if want.promotion else None
        match = next((line for line in unclaimed if want.name in (None, line[0]) and (
            want.amount is None or line[1] == want.amount) and source in (None, line[2]) and want.product in (
            None, line[3])), None)
        if match is None:
            shown = ", ".join(f"{n!r} {a} ({s}{', ' + p if p else ''})" for n, a, s, p in got) or "none"
            wanted = " ".join(x for x in (repr(want.name) if want.name else None, str(want.amount) if want.amount
                              is not None else None, source, want.product) if x)
            failures.append(f"{label}: expected a line {wanted}; got {shown}")
        else:
            unclaimed.remove(match)
    return failures


def compare_lines(result: ChangeResult, expect: Expect) -> list[str]:
    c = result.consequences
    if c is None:
        return [f"{label}: the result has no money" for label in ("penalties", "fees", "discounts")
                if getattr(expect, label)]
    failures = []
    for label, kind in (("penalties", "penalty"), ("fees", "fee")):
        got = [(ch.name, ch.amount.rounded().amount, ch.source, ch.product_id) for ch in c.charges_of(kind)]
        failures += _lines_failures(label, getattr(expect, label), got)
    discounts = [(d.name, d.amount.rounded().amount, d.source, pid) for pid in c.after_ids
                 for d in c.after.products[pid].discounts]
    failures += _lines_failures("discounts", expect.discounts, discounts)
    for want in expect.recommendations:
        found = next((r for r in c.recommendations if r.offering_id == want.offering), None)
        if found is None:
            failures.append(f"recommendations: expected {want.offering}, got "
                            f"{[r.offering_id for r in c.recommendations] or 'none'}")
            continue
        for key, wanted, actual in (("rule", want.rule, found.rule_id), ("parent", want.parent, found.parent_id),
                                    ("price", want.price, found.price.amount if found.price else None)):
            if wanted is not None and wanted != actual:
                failures.append(f"recommendation {want.offering}: expected {key} {wanted}, got {actual}")
    return failures


def compare_terms(result: ChangeResult, expected: list[ExpectedTerm]) -> list[str]:
    failures = []
    for want in expected:
        item = next((i for i in result.items if i.product_id == want.product), None)
        terms = item.terms if item is not None else None
        period = terms[-1].valid_for if terms else None
        if period is None:
            failures.append(f"term of {want.product}: the change records no new term for it")
            continue
        got = (period.start.date() if period.start else None, period.end.date() if period.end else None)
        for key, wanted, value in (("start", want.start, got[0]), ("end", want.end, got[1])):
            if wanted is not None and wanted != value:
                failures.append(f"term of {want.product}: expected {key} {wanted}, got {value}")
    return failures


def compare_notices(notices: list[TermNotice], expected: list[ExpectedNotice]) -> list[str]:
    failures = []
    by_product = {n.product_id: n for n in notices}
    for want in expected:
        notice = by_product.pop(want.product, None)
        if notice is None:
            failures.append(f"notice for {want.product}: none")
            continue
        notify_by = (notice.ends - timedelta(days=notice.notice_days)).date()
        for key, wanted, got in (("ends", want.ends, notice.ends.date()), ("notify_by", want.notify_by, notify_by),
                                 ("at_end", want.at_end, notice.at_end), ("successor", want.successor,
                                                                          notice.successor),
                                 ("rule", want.rule, notice.rule_id)):
            if wanted is not None and wanted != got:
                failures.append(f"notice for {want.product}: expected {key} {wanted}, got {got}")
    if by_product:  # the notices are listed exhaustively: an empty list means none is due
        failures.append(f"unexpected notices: {', '.join(sorted(by_product))}")
    return failures


def compare_qualification(qualification: Qualification, expect: Expect) -> list[str]:
    failures = []
    candidates = {c.offering_id: c for c in qualification.candidates}
    for want in expect.qualification:
        found = candidates.pop(want.offering, None)
        if found is None:
            failures.append(f"qualification: {want.offering} is not a candidate")
            continue
        codes = [r.code for r in found.reasons]
        difference = found.difference.amount if found.difference is not None else None
        checks = (("qualified", want.qualified, found.qualified),
                  ("price_difference", want.price_difference, difference),
                  ("penalties", want.penalties, found.penalties.rounded().amount if found.penalties is not None
                   else None),
                  ("fees", want.fees, found.fees.rounded().amount if found.fees is not None else None))
        for key, wanted, got in checks:
            if wanted is not None and wanted != got:
                failures.append(f"qualification of {want.offering}: expected {key} {wanted}, got {got}")
        missing = [code for code in want.reasons if code not in codes]
        if missing:
            failures.append(f"qualification of {want.offering}: expected reasons {missing} among {codes}")
    if expect.only_listed_candidates and candidates:
        failures.append(f"unexpected candidates: {', '.join(sorted(candidates))}")
    return failures


def compare(result: ChangeResult, expect: Expect) -> list[str]:
    """Every way ``result`` differs from ``expect``."""
    failures: list[str] = []
    unclaimed = list(result.items)
    for expected in expect.items:
        item = _find(unclaimed, expected)
        label = expected.product or f"added {expected.offering}"
        if item is None:
            failures.append(f"item {label}: not in the result" + _near(result.items, expected))
            continue
        unclaimed.remove(item)
        if expected.action is not None and item.action.value != expected.action:
            failures.append(f"item {label}: expected action {expected.action}, got {item.action.value}")
        if expected.offering is not None and item.offering_id != expected.offering:
            failures.append(f"item {label}: expected offering {expected.offering}, got {item.offering_id}")
        missing = [code for code in expected.reasons if code not in item.codes]
        if missing:
            failures.append(f"item {label}: expected reasons {missing} among {item.codes}")
    if expect.only_listed_items and unclaimed:
        failures.append("unexpected items: " + ", ".join(f"{i.action.value} {i.product_id} ({i.offering_id})"
                                                          for i in unclaimed))
    for key, values in expect.characteristics.items():
        item = next((i for i in result.items if i.product_id == key or (not i.installed and i.offering_id == key)),
                    None)
        if item is None:
            failures.append(f"characteristics of {key}: no such item")
            continue
        for name, value in values.items():
            got = item.characteristics.get(name)
            if got is None or value_key(got) != value_key(value):
                failures.append(f"characteristics of {key}: expected {name}={value_key(value)}, got "
                                f"{'nothing' if got is None else value_key(got)}")
    failures.extend(_compare_money(result, expect))
    failures.extend(compare_lines(result, expect))
    failures.extend(compare_terms(result, expect.terms))
    return failures


def _compare_money(result: ChangeResult, expect: Expect) -> list[str]:
    c = result.consequences
    failures: list[str] = []
    if c is None:
        return failures
    if expect.promotions is not None:
        for status in ("lost", "gained", "kept"):
            wanted_ids, got_ids = sorted(getattr(expect.promotions, status)), sorted(c.promotion_ids(status))
            if wanted_ids != got_ids:
                failures.append(f"promotions {status}: expected {wanted_ids}, got {got_ids}")
    if expect.recurring is not None:
        if expect.recurring.currency != c.currency:
            failures.append(f"recurring currency: expected {expect.recurring.currency}, got {c.currency}")
        for side, got in (("before", c.recurring_before), ("after", c.recurring_after)):
            wanted = Decimal(getattr(expect.recurring, side))
            if got.amount != wanted:
                failures.append(f"recurring {side}: expected {wanted}, got {got.amount}")
    for key, got in (("one_time_total", c.one_time_total), ("penalty_total", c.penalty_total)):
        wanted_text = getattr(expect, key)
        if wanted_text is not None and got.amount != Decimal(wanted_text):
            failures.append(f"{key}: expected {Decimal(wanted_text)}, got {got.amount}")
    return failures


def _find(items: list[DeltaItem], expected: ExpectedItem) -> DeltaItem | None:
    for item in items:
        if expected.product is not None:
            if item.product_id == expected.product:
                return item
        elif item.action is Action.ADD and item.offering_id == expected.offering and (
            expected.action in (None, "add")
        ):
            return item
    return None


def _near(items: Sequence[DeltaItem], expected: ExpectedItem) -> str:
    if expected.product is None:
        added = sorted({i.offering_id for i in items if i.action is Action.ADD})
        return f" (added: {', '.join(added) or 'nothing'})"
    return ""

