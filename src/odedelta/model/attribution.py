"""Which catalog promotion an inventory ``productPriceAlteration`` records — so that a discount is counted once.

A TMF637 product carries the discounts it was sold with as ``productPriceAlteration``s; TMF637 gives them no reference
to the TMF671 promotion that granted them. odedelta evaluates promotions afresh (before and after the change), so an
alteration that records a promotion must be left to that promotion, and only an alteration no promotion accounts for
(a goodwill discount) is kept as a standing reduction of the price. The rule, strongest evidence first:

1. **id** — the alteration's ``name`` or ``description`` contains a promotion's id (as a whole token);
2. **name** — it contains a promotion's ``name`` (case and spacing ignored);
3. **action** — for an alteration with no name or description only: a promotion whose ``discount`` action targets the
   product's offering (``actionEntityRef``) takes the alteration's value: the same percentage, or the same amount per
   month on this product's price. An alteration named something no promotion is called ("Goodwill") is a discount of
   its own, whatever its value.

The first level that finds a promotion decides. When it finds several (two promotions of one name, two with the same
action on the offering), or when several alterations of one product fall to the same promotion, the attribution is
*ambiguous*: the alteration is still left to the promotions — counted once, never both as a standing discount and as
a promotion — and the result reports it (:attr:`odedelta.money.bill.Bill.attributions`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from odedelta.model.catalog import Catalog
from odedelta.model.graph import OFFERING

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Attribution:
    """An inventory alteration (``source``) of ``product_id`` read as the record of ``promotion_id``."""

    product_id: str
    source: str
    promotion_id: str
    how: str
    """``id``, ``name`` or ``action``: the evidence (see the module)."""
    candidates: tuple[str, ...]
    """Every promotion the evidence fits; more than one makes the attribution ambiguous."""
    duplicate: bool = False
    """Another alteration of the same product fell to the same promotion."""

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1 or self.duplicate

    def describe(self) -> str:
        others = [c for c in self.candidates if c != self.promotion_id]
        text = f"{self.source} is promotion {self.promotion_id} (by {self.how})"
        if others:
            text += f"; it could also be {', '.join(others)}"
        if self.duplicate:
            text += "; another alteration of the product records the same promotion"
        return text + ": counted once, as the promotion"


def _words(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def _id_index(catalog: Catalog) -> re.Pattern[str] | None:
    ids = sorted(catalog.promotions, key=len, reverse=True)
    if not ids:
        return None
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(i) for i in ids) + r")(?![\w-])")


def attribute(catalog: Catalog, product_id: str, offering_id: str, source: str, alteration: Any,
              base_amount: Decimal | None) -> Attribution | None:
    """The promotion ``alteration`` records, if any (module docstring)."""
    text = f"{alteration.name or ''} {alteration.description or ''}"
    pattern = catalog.remembered(("promotion-ids",), lambda: _id_index(catalog))
    if pattern is not None:
        found = sorted(set(pattern.findall(text)))
        if found:
            return Attribution(product_id, source, found[0], "id", tuple(found))
    words = _words(text)
    if words:
        named = sorted(pid for pid, promotion in catalog.promotions.items()
                       if (name := _words(promotion.name)) and name in words)
        if named:
            return Attribution(product_id, source, named[0], "name", tuple(named))
        return None  # it has a name of its own that names no promotion: a discount of its own (a goodwill gesture)
    matching = sorted(pid for pid in catalog.graph.promotions_naming(OFFERING, offering_id)
                      if _action_matches(catalog.promotions[pid], offering_id, alteration, base_amount))
    if matching:
        return Attribution(product_id, source, matching[0], "action", tuple(matching))
    return None


def _action_matches(promotion: Any, offering_id: str, alteration: Any, base_amount: Decimal | None) -> bool:
    price = alteration.price
    if price is None:
        return False
    money = price.tax_included_amount or price.duty_free_amount
    amount = abs(money.value) if money is not None and money.value is not None else None
    for pattern in promotion.pattern:
        for action in pattern.action:
            if (action.action_type or "").lower() != "discount":
                continue
            if offering_id not in {ref.id for ref in action.entity_refs}:
                continue
            value = (action.action_value or "").strip()
            try:
                if value.endswith("%"):
                    percentage = Decimal(value[:-1].strip())
                    if price.percentage is not None and Decimal(price.percentage) == percentage:
                        return True
                    if amount is not None and base_amount is not None and amount == base_amount * percentage / HUNDRED:
                        return True
                elif value and amount is not None and amount == Decimal(value):
                    return True
            except ArithmeticError:
                continue
    return False
