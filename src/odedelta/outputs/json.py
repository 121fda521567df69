"""The JSON faces of results: everything a change or a qualification decided, as JSON-ready data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from odedelta.flows.qualify import Qualification
from odedelta.flows.result import ChangeResult
from odedelta.model.money import Money
from odedelta.money.bill import Bill
from odedelta.outputs.describe import summary


def change_dict(result: ChangeResult) -> dict[str, Any]:
    """The full result as JSON-ready data (items, reasons, characteristic changes, prices, money); write it with
    :func:`odedelta.model.jsonio.dumps` for a deterministic document."""
    request = result.delta.request.model_dump(mode="json")
    return {
        "request": request,
        "asOf": result.as_of,
        "summary": summary(result),
        "items": [
            {
                "id": item.id,
                "action": item.action.value,
                "product": item.product_id,
                "new": not item.installed,
                "offering": item.offering_id,
                **({"previousOffering": item.previous_offering_id} if item.previous_offering_id else {}),
                "specification": item.specification_id,
                "parent": item.parent_id,
                # a copy: the items of one delta with the same values share one dictionary
                "characteristics": dict(item.characteristics),
                "characteristicChanges": [
                    {"name": c.name, "before": c.before, "after": c.after, "why": c.why} for c in item.changes
                ],
                "reasons": [{"code": r.code, "message": r.message, "source": r.source} for r in item.reasons],
                "prices": [
                    {"pop": p.pop_id, "name": p.name, "type": p.kind, "amount": p.amount.rounded().amount,
                     "currency": p.amount.currency}
                    for p in result.item_prices(item)
                ],
            }
            for item in result.items
        ],
        "rules": [{"rule": d.rule_id, "kind": d.kind, "reason": d.reason, "message": d.message}
                  for d in result.decisions],
        **({"money": _money(result)} if result.consequences is not None else {}),
    }

def _money(result: ChangeResult) -> dict[str, Any]:
    c = result.consequences
    assert c is not None

    def amount(m: Money | None) -> Decimal | None:
        return m.rounded().amount if m is not None else None

    def products(side: Bill, ids: list[str]) -> list[dict[str, Any]]:
        return [{"product": pid, "offering": side.products[pid].offering_id,
                 "base": amount(side.products[pid].base), "basis": side.products[pid].basis,
                 "discounts": [{"source": d.source, "name": d.name, "amount": amount(d.amount),
                                **({"percentage": d.percentage} if d.percentage is not None else {})}
                               for d in side.products[pid].discounts],
                 "net": amount(side.products[pid].net)} for pid in ids if pid in side.products]

    return {
        "currency": c.currency,
        **({"unpriced": c.unpriced} if c.unpriced else {}),
        "recurringBefore": amount(c.recurring_before),
        "recurringAfter": amount(c.recurring_after),
        "recurringDifference": amount(c.recurring_difference),
        "oneTimeTotal": amount(c.one_time_total),
        "penaltyTotal": amount(c.penalty_total),
        "dueNow": amount(c.due_now),
        "before": products(c.before, c.before_ids),
        "after": products(c.after, c.after_ids),
        "charges": [{"kind": ch.kind, "name": ch.name, "amount": amount(ch.amount), "product": ch.product_id,
                     "source": ch.source, "explanation": ch.explanation} for ch in c.charges],
        "promotions": [{"promotion": p.promotion_id, "name": p.name, "status": p.status,
                        "before": amount(p.before), "after": amount(p.after)} for p in c.promotions],
        "recommendations": [{"offering": r.offering_id, "parent": r.parent_id, "message": r.message,
                             "price": amount(r.price), "rule": r.rule_id} for r in c.recommendations],
        "attributions": [{"product": a.product_id, "alteration": a.source, "promotion": a.promotion_id,
                          "by": a.how, "candidates": list(a.candidates), "ambiguous": a.ambiguous}
                         for a in c.attributions],
    }


def qualification_dict(q: Qualification) -> dict[str, Any]:
    """One candidate of a qualification, JSON-ready."""
    return {
        "product": q.product_id,
        "offering": q.offering_id,
        "asOf": q.as_of,
        "executor": q.executor,
        "candidates": [
            {
                "offering": c.offering_id,
                "qualified": c.qualified,
                "reasons": [{"code": r.code, "message": r.message, "source": r.source} for r in c.reasons],
                **({"alternative": c.alternative} if c.alternative else {}),
                **({"penalties": c.penalties.rounded().amount} if c.penalties is not None else {}),
                **({"fees": c.fees.rounded().amount, "dueNow": c.due_now.rounded().amount,
                    "charges": [{"kind": ch.kind, "name": ch.name, "amount": ch.amount.rounded().amount,
                                 "source": ch.source, "explanation": ch.explanation} for ch in c.charges],
                    "promotions": [{"promotion": p.promotion_id, "name": p.name, "status": p.status,
                                    "before": p.before.rounded().amount if p.before is not None else None,
                                    "after": p.after.rounded().amount if p.after is not None else None}
                                   for p in c.promotions]}
                   if c.due_now is not None and c.fees is not None else {}),
                **({"promotionsGained": c.promotions_gained, "promotionsLost": c.promotions_lost}
                   if c.qualified else {}),
                **({"recurringBefore": c.recurring_before.rounded().amount,
                    "recurringAfter": c.recurring_after.rounded().amount,
                    "currency": c.recurring_after.currency}
                   if c.recurring_before is not None and c.recurring_after is not None else {}),
            }
            for c in q.candidates
        ],
    }
