"""TMF620 v5 ``policy`` on offerings: a PolicyRef whose id is a rule's id binds that rule to the offerings naming it.

A bound rule applies only to changes whose target is one of those offerings (its condition gains
``target.offering in [...]``), so one eligibility rule — "needs a credit check", "business customers only" — is
written once and attached to offerings in the catalog, where the offer manager sees it. Rules of kinds that never
see ``target.*`` (renewal, sla_credit, revenue_share, partner_charge) are not bound. A policy naming no rule is
another system's business and is left alone; v4 offerings carry no policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from odedelta.model.catalog import Catalog
from odedelta.rules.facts import visible
from odedelta.rules.language import Rule


def bind_policies(rules: Sequence[Rule], catalog: Catalog) -> list[Rule]:
    """The rules, each one that some offering names as a policy restricted to the offerings naming it."""
    bound: dict[str, set[str]] = {}
    for offering in catalog.offerings.values():
        for ref in offering.policy:
            if ref.id:
                bound.setdefault(ref.id, set()).add(offering.id)
    out = []
    for rule in rules:
        offerings = bound.get(rule.id)
        if not offerings or not visible(rule.kind, "target.offering"):
            out.append(rule)
            continue
        scope = {"$or": [{"target.offering": offering} for offering in sorted(offerings)]}
        out.append(replace(rule, condition={"$and": [rule.condition, scope]},
                           facts=rule.facts | {"target.offering"}))
    return out
