"""Seeded synthetic customer bases for a catalog: for tests, benchmarks and what-if dry runs on made-up data.

Each customer holds one to ``max_plans`` top-level offerings (the ``favour`` offering first with probability
``share``), every component within its cardinalities, allowed characteristic values, and a commitment term that is
active, ending soon or expired relative to ``as_of``, a segment (residential, business or none) and now and
then a VIP flag. Same seed, same customers.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from odedelta import Catalog
from odedelta.campaigns._core import plain


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def customer(catalog: Catalog, number: int, *, as_of: datetime, seed: int = 7, favour: str | None = None,
             share: float = 0.5, max_plans: int = 2) -> dict[str, Any]:
    """Customer ``number`` of the base: ``{"customer": ..., "products": [...]}`` (a JSON Lines record)."""
    rng = random.Random(f"{seed}:{number}")
    roots = sorted(o for o, offering in catalog.offerings.items() if catalog.graph.components(o)
                   and not catalog.graph.bundles_containing(o))
    cid = f"CUST-{number:07d}"
    products: list[dict[str, Any]] = []
    counter = iter(range(1, 10_000))

    def instantiate(offering: str, top: bool) -> str:
        pid = f"{cid}-P{next(counter)}"
        product: dict[str, Any] = {"id": pid, "status": "active", "startDate": "2024-06-01T00:00:00Z",
                                   "productOffering": {"id": offering}, "@type": "Product"}
        spec = catalog.specification_of(offering)
        chars = [{"name": c.name, "value": rng.choice([v.value for v in allowed])}
                 for c in (spec.product_spec_characteristic if spec else [])
                 if (allowed := catalog.allowed_values(offering, c.name))]
        if chars:
            product["productCharacteristic"] = chars
        if top:
            product["relatedParty"] = [{"id": cid, "role": "customer", "@referredType": "Individual"}]
        products.append(product)
        children = []
        for slot in catalog.graph.components(offering):
            high = min(slot.upper if slot.upper is not None else slot.lower + 2, slot.lower + 2)
            for _ in range(rng.randint(slot.lower, high)):
                children.append(instantiate(slot.offering_id, False))
        if children:
            product["productRelationship"] = [{"relationshipType": "bundles", "product": {"id": c}}
                                              for c in children]
        terms = catalog.offering(offering).product_offering_term
        if top and terms:
            state = rng.choice(["active", "ending soon", "expired", "none"])
            if state != "none":
                end = as_of + {"active": timedelta(days=300), "ending soon": timedelta(days=20),
                               "expired": timedelta(days=-40)}[state]
                product["productTerm"] = [{"name": "commitment", "duration": {"amount": 12, "units": "month"},
                                           "validFor": {"startDateTime": _iso(end - timedelta(days=365)),
                                                        "endDateTime": _iso(end)}}]
        return pid

    plans = []
    if favour is not None and rng.random() < share:
        plans.append(favour)
    while not plans or (len(plans) < max_plans and rng.random() < 0.3):
        plans.append(rng.choice(roots))
    for plan in plans:
        instantiate(plan, True)
    record: dict[str, Any] = {"customer": cid, "products": plain(products)}
    segment = rng.choice(["residential", "residential", "business", None])
    if segment is not None:
        record["segment"] = segment
    if rng.random() < 0.1:
        record["attributes"] = {"vip": True}
    return record


def customers(catalog: Catalog, count: int, **options: Any) -> Iterator[dict[str, Any]]:
    for number in range(count):
        yield customer(catalog, number, **options)


def write_jsonl(path: str | Path, records: Iterator[dict[str, Any]]) -> Path:
    """One customer per line."""
    target = Path(path)
    with target.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n")
    return target
