"""TMF679 ProductOfferingQualification: what an installed product can change to, one item per candidate."""

from __future__ import annotations

from typing import Any

from odedelta.flows.qualify import Qualification
from odedelta.model.jsonio import iso
from odedelta.model.money import Money
from odedelta.outputs.report import money_lines


def qualification_document(q: Qualification) -> dict[str, Any]:
    """A TMF679 v4 ``ProductOfferingQualification`` (the answer): one item per candidate."""
    items = []
    for index, candidate in enumerate(q.candidates, start=1):
        item: dict[str, Any] = {
            "id": str(index),
            "action": "modify",
            "product": {"id": q.product_id, "@referredType": "Product"},
            "productOffering": {"id": candidate.offering_id, "@referredType": "ProductOffering"},
            "qualificationItemResult": "qualified" if candidate.qualified else (
                "alternate" if candidate.alternative else "unqualified"),
            "state": "done",
        }
        if not candidate.qualified:
            item["eligibilityUnavailabilityReason"] = [{"code": r.code, "label": r.message}
                                                       for r in candidate.reasons]
        if candidate.qualified and candidate.recurring_after is not None:
            prices = [{"name": "Monthly price after the change", "priceType": "recurring",
                       "recurringChargePeriod": "month",
                       "price": {"taxIncludedAmount": _money(candidate.recurring_after)}}]
            prices += [{"name": c.name, "priceType": "oneTime", "description": f"{c.kind}; {c.source}",
                        "price": {"taxIncludedAmount": _money(c.amount)}} for c in candidate.charges]
            item["product"]["productPrice"] = prices
            item["note"] = [{"id": f"{index}-{n}", "text": line}
                            for n, line in enumerate(money_lines(candidate), start=1)]
        if candidate.alternative:
            item["alternateProductOfferingProposal"] = [{
                "id": f"{index}-1",
                "alternateProductOffering": {"id": candidate.alternative, "@referredType": "ProductOffering"},
            }]
        items.append(item)
    qualified = any(c.qualified for c in q.candidates)
    return {
        "description": f"What {q.product_id} ({q.offering_id}) can change to",
        "effectiveQualificationDate": iso(q.as_of),
        "provideUnavailabilityReason": True,
        "provideAlternative": True,
        "qualificationResult": "qualified" if qualified else "unqualified",
        "state": "done",
        "productOfferingQualificationItem": items,
        "@type": "ProductOfferingQualification",
    }


def _money(amount: Money) -> dict[str, Any]:
    rounded = amount.rounded()
    return {"unit": rounded.currency, "value": rounded.amount}
