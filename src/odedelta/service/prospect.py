"""TMF679 for a prospect (or a customer adding something new): may this offering be acquired, and at what price?

Each offering is judged like the engine's ``acquire`` request on the customer's inventory (empty for a prospect):
unknown to the catalog, not sellable (lifecycle, validFor, its catalog's period — with its successor as the
alternative), refused by eligibility or compatibility rules, or structurally impossible — each with its reason and
the catalog element or rule that says so — else qualified, with the monthly price after, the charges due once and
the promotions it brings. A category stands for every sellable offering in it (and its sub-categories) sold on
its own: a bundle, or an offering that is no part of a bundle.

Pure functions of their inputs: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime

from odedelta.service._core import (
    Acquire,
    Candidate,
    Catalog,
    Context,
    Engine,
    Inventory,
    Reason,
    Refusal,
    RequestError,
)


def acquisition(engine: Engine, inventory: Inventory, offering: str, as_of: datetime,
                context: Context | None = None) -> Candidate:
    """The qualification of acquiring ``offering`` (a :class:`Candidate`, qualified or not, with the reasons)."""
    catalog = engine.catalog
    candidate = Candidate(offering, qualified=False)
    if offering not in catalog.offerings:
        candidate.reasons.append(Reason("unknownOffering", f"the catalog has no offering {offering!r}", "catalog"))
        return candidate
    sellable, why = catalog.sellable(offering, as_of)
    if not sellable:
        successors = catalog.successors(offering)
        candidate.reasons.append(Reason("not_sellable", why, f"catalog:{offering}"))
        candidate.alternative = successors[0] if successors else None
        return candidate
    try:
        result = engine.evaluate(inventory, Acquire(offering=offering), as_of=as_of, context=context)
    except RequestError as exc:  # e.g. a characteristic without a default the prospect must choose
        candidate.reasons.append(Reason("not_orderable", str(exc), f"catalog:{offering}"))
        return candidate
    if isinstance(result, Refusal):
        if result.verdict is not None:
            candidate.reasons += [Reason(r.reason, r.message, _source(r.rule_id)) for r in result.verdict.reasons]
        else:
            candidate.reasons.append(Reason("not_orderable", result.message, f"catalog:{offering}"))
        return candidate
    candidate.qualified = True
    candidate.reasons += [Reason(d.reason, d.message, f"rule:{d.rule_id}") for d in result.decisions
                          if d.kind == "eligibility"]
    c = result.consequences
    if c is not None:
        candidate.recurring_before = c.recurring_before
        candidate.recurring_after = c.recurring_after
        candidate.penalties = c.penalty_total
        candidate.promotions_gained = c.promotion_ids("gained")
        candidate.charges = list(c.charges)
        candidate.promotions = list(c.promotions)
        candidate.due_now = c.due_now
    return candidate


def category_offerings(catalog: Catalog, category: str, as_of: datetime) -> list[str]:
    """The offerings of ``category`` and its sub-categories sold on their own (not only as a part of a bundle) and
    sellable at ``as_of``, sorted by id. An unknown category is a :class:`RequestError`."""
    if category not in catalog.categories:
        raise RequestError(f"unknown category {category!r}: the catalog has "
                           f"{', '.join(sorted(catalog.categories)) or 'no categories'}")
    wanted = {category}
    grew = True
    while grew:  # sub-categories (parentId), at any depth
        more = {c.id for c in catalog.categories.values() if c.parent_id in wanted} - wanted
        wanted |= more
        grew = bool(more)
    graph = catalog.graph
    found = {o for c in wanted for o in graph.offerings_in_category(c)}
    alone = {o for o in found if graph.components(o) or not graph.bundles_containing(o)}  # bundles, or not a part
    return sorted(o for o in alone if catalog.sellable(o, as_of)[0])


def _source(rule_id: str) -> str:
    return rule_id if rule_id.startswith("catalog:") else f"rule:{rule_id}"
