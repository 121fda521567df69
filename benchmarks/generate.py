"""Seeded generators of benchmark inputs: large catalogs, rule sets, residential and enterprise customers.

Nothing here is committed data: every input is built at run time from a seed, in official TMF JSON shapes.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

EPOCH = {"startDateTime": "2024-01-01T00:00:00Z"}
LEAF_SPECS = ["ps-line", "ps-voicemail", "ps-data", "ps-router", "ps-access", "ps-vas"]


def _price(prices: list[dict[str, Any]], oid: str, amount: Decimal, kind: str = "recurring") -> dict[str, str]:
    pop: dict[str, Any] = {"id": f"pop-{oid}-{kind}", "name": f"{oid} {kind}", "priceType": kind,
                           "price": {"unit": "EUR", "value": amount}, "lifecycleStatus": "Active", "validFor": EPOCH,
                           "@type": "ProductOfferingPrice"}
    if kind == "recurring":
        pop.update(recurringChargePeriodType="month", recurringChargePeriodLength=1)
    prices.append(pop)
    return {"id": pop["id"]}


def catalog_documents(offerings: int = 2000, seed: int = 7, enterprise: bool = True) -> dict[str, list[dict[str, Any]]]:
    """A catalog of about ``offerings`` offerings: a fifth bundles (plans) of four to six components, the rest leaf
    offerings over a few specifications, plus promotions and, when asked, two enterprise packs with unbounded
    lines. Returned by resource kind, ready to be written as TMF list files."""
    rng = random.Random(seed)
    specs: list[dict[str, Any]] = [
        {"id": s, "name": s, "@type": "ProductSpecification",
         "productSpecCharacteristic": [{"name": "level", "valueType": "string", "minCardinality": 1,
                                        "productSpecCharacteristicValue": [
                                            {"value": v, "isDefault": v == "a"} for v in ("a", "b", "c")]}]}
        for s in LEAF_SPECS
    ] + [{"id": "ps-plan", "name": "plan", "@type": "ProductSpecification"},
         {"id": "ps-pack", "name": "pack", "@type": "ProductSpecification"}]
    categories = [{"id": f"cat-{i}", "name": f"Category {i}", "@type": "Category"} for i in range(20)]
    prices: list[dict[str, Any]] = []
    docs: list[dict[str, Any]] = []
    n_plans = offerings // 5
    leaves = []
    for i in range(offerings - n_plans - (2 if enterprise else 0)):
        oid = f"po-leaf-{i}"
        spec = LEAF_SPECS[i % len(LEAF_SPECS)]
        docs.append({"id": oid, "name": oid, "lifecycleStatus": "Active", "validFor": EPOCH, "isBundle": False,
                     "productSpecification": {"id": spec}, "category": [{"id": f"cat-{i % 20}"}],
                     "productOfferingPrice": [_price(prices, oid, Decimal(rng.randint(0, 40)) / 2)],
                     "@type": "ProductOffering"})
        leaves.append((oid, spec))
    by_spec: dict[str, list[str]] = {}
    for oid, spec in leaves:
        by_spec.setdefault(spec, []).append(oid)
    for i in range(n_plans):
        oid = f"po-plan-{i}"
        chosen = rng.sample(LEAF_SPECS, rng.randint(4, 6))
        slots = []
        for j, spec in enumerate(chosen):
            component = by_spec[spec][(i + j) % len(by_spec[spec])]
            lower = 1 if j < 2 else 0
            slots.append({"id": component, "bundledProductOfferingOption": {
                "numberRelOfferLowerLimit": lower, "numberRelOfferUpperLimit": 2 if j == 2 else 1,
                "numberRelOfferDefault": lower}})
        docs.append({"id": oid, "name": oid, "lifecycleStatus": "Active", "validFor": EPOCH, "isBundle": True,
                     "productSpecification": {"id": "ps-plan"}, "category": [{"id": f"cat-{i % 20}"}],
                     "productOfferingPrice": [_price(prices, oid, Decimal(rng.randint(20, 160)) / 2)],
                     "productOfferingTerm": [{"name": "commitment", "duration": {"amount": 24, "units": "month"}}],
                     "bundledProductOffering": slots, "@type": "ProductOffering"})
    if enterprise:
        for name, line in (("po-pack-a", by_spec["ps-line"][0]), ("po-pack-b", by_spec["ps-line"][1])):
            docs.append({"id": name, "name": name, "lifecycleStatus": "Active", "validFor": EPOCH, "isBundle": True,
                         "productSpecification": {"id": "ps-pack"},
                         "productOfferingPrice": [_price(prices, name, Decimal(500))],
                         "bundledProductOffering": [{"id": line, "bundledProductOfferingOption": {
                             "numberRelOfferLowerLimit": 1, "numberRelOfferDefault": 1}}],
                         "@type": "ProductOffering"})
    promotions = []
    for i in range(50):
        plan = f"po-plan-{rng.randrange(n_plans)}"
        target = docs[-1 - rng.randrange(n_plans)]["bundledProductOffering"][0]["id"] if n_plans else leaves[0][0]
        promotions.append({"id": f"promo-{i}", "name": f"Promotion {i}", "lifecycleStatus": "active",
                           "validFor": EPOCH,
                           "pattern": [{"criteriaGroup": [{"criteria": [{"criteriaParameter": "productOffering.id",
                                                                          "criteriaOperator": "=",
                                                                          "criteriaValue": plan}]}],
                                        "action": [{"actionType": "discount", "actionValue": "50%",
                                                    "actionEntityRef": {"id": target}}]}],
                           "@type": "Promotion"})
    return {"productSpecification": specs, "category": categories, "productOfferingPrice": prices,
            "productOffering": docs, "promotion": promotions}


def rules_text(plans: list[str], count: int = 100, seed: int = 7) -> str:
    """About ``count`` rules: a 50-row penalty table (first match), eligibility denials, fees and discounts."""
    rng = random.Random(seed)
    lines = ["rules:"]
    for i in range(50):
        low = i * 2
        lines += [f"  - id: penalty-{i}", "    kind: penalty", f"    description: penalty band {i}",
                  f"    priority: {100 - i}",
                  f"    when: \"term.active and term.months_remaining >= {low} and term.months_remaining < {low + 2}"
                  f" and change.direction == 'downgrade'\"",
                  f"    then: {{name: Early change fee, formula: remaining_months, factor: 0.{i % 9 + 1}, "
                  "maximum: 200}"]
    for i in range(count - 60):
        plan = rng.choice(plans)
        lines += [f"  - id: deny-{i}", "    kind: eligibility", f"    description: not for segment s{i % 7}",
                  f"    when: \"target.offering == '{plan}' and customer.segment == 's{i % 7}'\"",
                  "    then: {decision: deny, reason: not_for_segment, message: Not for you.}"]
    for i in range(10):
        lines += [f"  - id: fee-{i}", "    kind: fee", f"    description: fee {i}",
                  f"    when: \"change.direction == 'downgrade' and customer.tenure_months < {6 + i}\"",
                  f"    then: {{name: Change fee {i}, amount: {i + 1}.00}}"]
    return "\n".join(lines) + "\n"


def residential_inventory(catalog: Any, plans: list[str], seed: int = 7) -> list[dict[str, Any]]:
    """About 15 installed products: two plans with their components, a commitment on each, a standalone add-on."""
    rng = random.Random(seed)
    products: list[dict[str, Any]] = []
    for n, plan in enumerate(rng.sample(plans, 2)):
        root = f"R-{n}"
        children = []
        for slot in catalog.graph.components(plan):
            for k in range(slot.upper if slot.upper is not None else 1):
                cid = f"{root}-{slot.slot}-{k}"
                children.append(cid)
                products.append({"id": cid, "productOffering": {"id": slot.offering_id},
                                 "productCharacteristic": [{"name": "level", "value": "b"}], "@type": "Product"})
        products.append({"id": root, "productOffering": {"id": plan}, "startDate": "2025-06-01T00:00:00Z",
                         "productRelationship": [{"relationshipType": "bundles", "product": {"id": c}}
                                                 for c in children],
                         "productTerm": [{"name": "commitment", "duration": {"amount": 24, "units": "month"},
                                          "validFor": {"startDateTime": "2025-06-01T00:00:00Z",
                                                       "endDateTime": "2027-06-01T00:00:00Z"}}],
                         "@type": "Product"})
    return products


def enterprise_inventory(lines: int, line_offering: str) -> list[dict[str, Any]]:
    """One account: pack A holding ``lines`` lines."""
    products: list[dict[str, Any]] = [{"id": f"L-{i}", "productOffering": {"id": line_offering},
                                       "productCharacteristic": [{"name": "level", "value": "a"}], "@type": "Product"}
                                      for i in range(lines)]
    products.append({"id": "ACCOUNT", "productOffering": {"id": "po-pack-a"},
                     "productRelationship": [{"relationshipType": "bundles", "product": {"id": f"L-{i}"}}
                                             for i in range(lines)], "@type": "Product"})
    return products
