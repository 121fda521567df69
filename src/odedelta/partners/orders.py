"""The customer order and one partner order per supplier, for a change (TMF622 v4 ``ProductOrder_Create`` or v5
``ProductOrder_FVO``).

* A delta item belongs to a supplier when the specification of its offering names one (``relatedParty`` with role
  ``supplier``, ``partner`` or ``provider``); a ``delete`` is the installed offering's supplier's, and a ``modify``
  that leaves a partner offering for one of the reseller's is still that supplier's (it has something to end).
* Each supplier's partner order holds exactly its ``add``, ``modify`` and ``delete`` items — with their product,
  characteristics and terms as in the customer order. A partner item with nothing to do (``noChange``) and every
  item the reseller fulfils itself stay only in the customer order.
* Links that survive the round trip: a partner item has the id of the customer item it serves; the customer order
  carries ``externalId`` ``REF`` and each partner order ``REF:SUPPLIER`` (v5: an ``ExternalIdentifier``, the
  customer order's as a second one), ``REF`` derived from the customer order's content (same change, same
  reference). A bundle relationship stays only between items of the same partner order.
* The supplier is ``relatedParty`` role ``Supplier`` (the seller), the reseller role ``Buyer``; the end customer
  and the billing account stay with the reseller. Prices are the supplier's wholesale prices (the retail price the
  customer pays is the reseller's business), with the wholesale totals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import odedelta
from odedelta.partners._core import ONE_TIME, RECURRING, Action, Catalog, DeltaItem, Money, RequestError, dumps
from odedelta.partners.wholesale import wholesale_prices

OWNER = "odedelta"
DEFAULT_RESELLER = ("reseller", "Reseller")


@dataclass(frozen=True)
class Supplier:
    id: str
    name: str


def supplier_of(catalog: Catalog, offering_id: str | None) -> Supplier | None:
    spec = catalog.specification_of(offering_id) if offering_id and offering_id in catalog.offerings else None
    party = spec.supplier if spec else None
    if party is None:
        return None
    pid = party.party_id or party.party_name or ""
    return Supplier(pid, party.party_name or pid)


def item_supplier(catalog: Catalog, item: DeltaItem) -> Supplier | None:
    """The supplier that fulfils the item, or None when the reseller does (see the module docstring)."""
    return supplier_of(catalog, item.offering_id) or (
        supplier_of(catalog, item.previous_offering_id) if item.action is Action.MODIFY else None)


def partner_items(result: odedelta.ChangeResult) -> dict[str, list[DeltaItem]]:
    """The items each supplier must act on (``noChange`` excluded), by supplier id, in delta order."""
    out: dict[str, list[DeltaItem]] = {}
    for item in result.items:
        supplier = item_supplier(result.catalog, item)
        if supplier is not None and item.action is not Action.NO_CHANGE:
            out.setdefault(supplier.id, []).append(item)
    return out


def order_reference(result: odedelta.ChangeResult) -> str:
    """The customer order's external id: derived from its v4 document, so the same change gives the same one."""
    digest = hashlib.sha256(dumps(odedelta.to_tmf622(result, 4)).encode("utf-8")).hexdigest()
    return f"{OWNER}-{digest[:16]}"


def _external(ids: list[str], v5: bool) -> Any:
    if not v5:
        return ids[0]
    return [{"id": i, "owner": OWNER, "externalIdentifierType": "ProductOrder", "@type": "ExternalIdentifier"}
            for i in ids]


def customer_order(result: odedelta.ChangeResult, version: int = 4) -> dict[str, Any]:
    """``odedelta.to_tmf622`` with the ``externalId`` its partner orders refer to."""
    order = odedelta.to_tmf622(result, version)
    return {"externalId": _external([order_reference(result)], version == 5), **order}


def _party(party_id: str, name: str, role: str, v5: bool) -> dict[str, Any]:
    if v5:
        return {"role": role, "partyOrPartyRole": {"id": party_id, "name": name, "@type": "PartyRef",
                                                   "@referredType": "Organization"},
                "@type": "RelatedPartyRefOrPartyRoleRef"}
    return {"id": party_id, "name": name, "role": role, "@referredType": "Organization"}


def _price(amount: Money, v5: bool) -> dict[str, Any]:
    rounded = amount.rounded()
    price = {"taxIncludedAmount": {"unit": rounded.currency, "value": rounded.amount}}
    return {**price, "@type": "Price"} if v5 else price


def _typed(value: dict[str, Any], name: str, v5: bool) -> dict[str, Any]:
    return {**value, "@type": name} if v5 else value


def _wholesale(result: odedelta.ChangeResult, item: DeltaItem, v5: bool) -> tuple[list[dict[str, Any]], dict[str, Money]]:
    """The item's wholesale prices after the change (recurring; one-time too for an add) and their sums by kind."""
    if item.action is Action.DELETE:
        return [], {}
    kinds = {RECURRING, ONE_TIME} if item.action is Action.ADD else {RECURRING}
    prices, sums = [], {}
    for line in wholesale_prices(result.catalog, item.offering_id, result.as_of):
        if line.kind not in kinds:
            continue
        entry: dict[str, Any] = {"name": line.name, "priceType": line.kind}
        if line.kind == RECURRING:
            entry["recurringChargePeriod"] = "month"
        entry["price"] = _price(line.amount, v5)
        entry["productOfferingPrice"] = _typed({"id": line.pop_id}, "ProductOfferingPriceRef", v5)
        prices.append(_typed(entry, "OrderPrice", v5))
        sums[line.kind] = sums[line.kind] + line.amount.rounded() if line.kind in sums else line.amount.rounded()
    return prices, sums


def _total(kind: str, amount: Money, v5: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "Wholesale " + ("per month" if kind == RECURRING else "one-time"), "priceType": kind}
    if kind == RECURRING:
        out["recurringChargePeriod"] = "month"
    out["price"] = _price(amount, v5)
    return _typed(out, "OrderPrice", v5)


def partner_orders(result: odedelta.ChangeResult, version: int = 4, *,
                   reseller: tuple[str, str] = DEFAULT_RESELLER) -> list[dict[str, Any]]:
    """One TMF622 order per supplier whose items the change touches, ordered by supplier id; ``reseller`` is the
    buyer's (id, name)."""
    if version not in (4, 5):
        raise RequestError(f"TMF622 version must be 4 or 5, not {version!r}")
    v5 = version == 5
    customer = odedelta.to_tmf622(result, version)
    reference = order_reference(result)
    by_id: Mapping[str, dict[str, Any]] = {entry["id"]: entry for entry in customer["productOrderItem"]}
    orders = []
    for supplier_id, items in sorted(partner_items(result).items()):
        supplier = item_supplier(result.catalog, items[0])
        assert supplier is not None  # partner_items grouped them by it
        mine = {item.id for item in items}
        entries, totals = [], {}
        for item in items:
            entry = {k: v for k, v in by_id[item.id].items() if k not in ("itemPrice", "itemTotalPrice", "@type")}
            relations = [r for r in entry.pop("productOrderItemRelationship", []) if r["id"] in mine]
            if relations:
                entry["productOrderItemRelationship"] = relations
            prices, sums = _wholesale(result, item, v5)
            if prices:
                entry["itemPrice"] = prices
                entry["itemTotalPrice"] = [_total(kind, amount, v5) for kind, amount in sorted(sums.items(),
                                                                                               key=_recurring_first)]
                for kind, amount in sums.items():
                    totals[kind] = totals[kind] + amount if kind in totals else amount
            entry["@type"] = "ProductOrderItem"
            entries.append(entry)
        order: dict[str, Any] = {
            "externalId": _external([f"{reference}:{supplier_id}"] + ([reference] if v5 else []), v5),
            "description": f"Partner order to {supplier.name} for customer order {reference}: "
                           f"{len(entries)} item(s) of {customer['description']}",
        }
        if "requestedStartDate" in customer:
            order["requestedStartDate"] = customer["requestedStartDate"]
        order["relatedParty"] = [_party(supplier.id, supplier.name, "Supplier", v5),
                                 _party(reseller[0], reseller[1], "Buyer", v5)]
        order["productOrderItem"] = entries
        if totals:
            order["orderTotalPrice"] = [_total(kind, amount, v5) for kind, amount in sorted(totals.items(),
                                                                                            key=_recurring_first)]
        order["@type"] = "ProductOrder"
        orders.append(order)
    return orders


def _recurring_first(pair: tuple[str, Money]) -> int:
    return 0 if pair[0] == RECURRING else 1


def served_item(partner_item: Mapping[str, Any]) -> str:
    """The id of the customer order item a partner order item serves (they share it)."""
    return str(partner_item["id"])
