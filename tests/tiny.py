"""Tiny catalogs and inventories written as text, for regression tests of restructuring found by the harness.

Catalog lines: ``offering spec [retired] [price AMOUNT]`` then, after a colon, the slots
``offering lower..upper [dDEFAULT]`` (``n``: unbounded); ``promo ID: QUALIFYING -> TARGET DISCOUNT`` adds a TMF671
promotion (the target is discounted while the customer has the qualifying offering). Inventory lines:
``product offering`` then, after a colon, the products it bundles::

    po-l0 ps-1
    po-m0 ps-b0: po-l0 1..n d2

    P-1 po-m0: P-2
    P-2 po-l0
"""

from __future__ import annotations

from typing import Any

import odedelta
from odedelta.strategies import EPOCH, build_catalog


def catalog(text: str) -> odedelta.Catalog:
    specs: set[str] = set()
    offerings: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        head, _, tail = line.partition(":")
        if head.startswith("promo "):
            qualifying, _, target, value = tail.split()
            others.append(_promotion(head.split()[1], qualifying, target, value))
            continue
        oid, spec, *flags = head.split()
        if "price" in flags:
            amount = flags[flags.index("price") + 1]
            others.append({"id": f"pop-{oid}", "name": f"{oid} monthly", "priceType": "recurring",
                           "recurringChargePeriodType": "month", "recurringChargePeriodLength": 1,
                           "price": {"unit": "EUR", "value": amount}, "@type": "ProductOfferingPrice"})
        specs.add(spec)
        slots = []
        for part in filter(None, (p.strip() for p in tail.split(","))):
            target, bounds, *default = part.split()
            lower, upper = bounds.split("..")
            option: dict[str, Any] = {"numberRelOfferLowerLimit": int(lower),
                                      "numberRelOfferDefault": int(default[0][1:]) if default else int(lower)}
            if upper != "n":
                option["numberRelOfferUpperLimit"] = int(upper)
            slots.append({"id": target, "bundledProductOfferingOption": option})
        offerings.append({"id": oid, "name": oid, "lifecycleStatus": "Retired" if "retired" in flags else "Active",
                          "validFor": EPOCH, "productSpecification": {"id": spec}, "isBundle": bool(slots),
                          "bundledProductOffering": slots, "@type": "ProductOffering"})
        if "price" in flags:
            offerings[-1]["productOfferingPrice"] = [{"id": f"pop-{oid}"}]
    documents = [{"id": s, "name": s, "@type": "ProductSpecification"} for s in sorted(specs)]
    return build_catalog(documents + offerings + others)


def _promotion(pid: str, qualifying: str, target: str, value: str) -> dict[str, Any]:
    return {"id": pid, "name": pid, "lifecycleStatus": "active", "validFor": EPOCH, "@type": "Promotion",
            "pattern": [{"criteriaGroup": [{"criteria": [{"criteriaParameter": "productOffering.id",
                                                          "criteriaOperator": "=", "criteriaValue": qualifying}]}],
                         "action": [{"actionType": "discount", "actionValue": value,
                                     "actionEntityRef": {"id": target, "@referredType": "ProductOffering"}}]}]}


def inventory(text: str, within: odedelta.Catalog) -> odedelta.Inventory:
    products = []
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        head, _, tail = line.partition(":")
        pid, offering = head.split()
        product: dict[str, Any] = {"id": pid, "status": "active", "startDate": "2024-06-01T00:00:00Z",
                                   "productOffering": {"id": offering}, "@type": "Product"}
        if tail.split():
            product["productRelationship"] = [{"relationshipType": "bundles", "product": {"id": c}}
                                              for c in tail.split()]
        products.append(product)
    return odedelta.Inventory.from_document(within, products)
