"""TMF679 ProductOfferingQualification: what an installed product can change to, one item per candidate."""

from __future__ import annotations

from typing import Any

from odedelta.flows.qualify import Qualification
from odedelta.model.jsonio import iso


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
