"""The customer order and one partner order per supplier, for a change (TMF622 v4 ``ProductOrder_Create`` or v5
``ProductOrder_FVO``).

* A delta item belongs to a supplier when the specification of its offering names one (``relatedParty`` with role
  ``supplier``, ``partner`` or ``provider``); a ``delete`` is the installed offering's supplier's.
* What the supplier is asked (:func:`supplier_actions`): an ``add``, ``modify`` or ``delete`` as in the customer
  order, with its product, characteristics and terms — except a ``modify`` that moves a product between the
  reseller and a supplier, or between two suppliers: the supplier it leaves gets a ``delete`` of the installed
  product (its own offering named), the one it joins an ``add`` of a new product (no id). A partner item with
  nothing to do (``noChange``) and every item the reseller fulfils itself stay only in the customer order.
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
from typing import Any

from odedelta.delta.items import DeltaItem
from odedelta.flows.result import ChangeResult
from odedelta.flows.settlement import partner_items, supplier_actions
from odedelta.model.errors import RequestError
from odedelta.model.jsonio import dumps
from odedelta.model.money import Money
from odedelta.model.partners import wholesale_prices
from odedelta.model.pricing import ONE_TIME, RECURRING
from odedelta.outputs.tmf622 import order_price, order_total, product_order, typed

OWNER = "odedelta"
DEFAULT_RESELLER = ("reseller", "Reseller")


def order_reference(result: ChangeResult, order: Mapping[str, Any] | None = None) -> str:
    """The customer order's external id: derived from its v4 document (``order`` when the caller has it), so the
    same change gives the same one."""
    digest = hashlib.sha256(dumps(order or product_order(result, 4)).encode("utf-8")).hexdigest()
    return f"{OWNER}-{digest[:16]}"


def _external(ids: list[str], v5: bool) -> Any:
    if not v5:
        return ids[0]
    return [{"id": i, "owner": OWNER, "externalIdentifierType": "ProductOrder", "@type": "ExternalIdentifier"}
            for i in ids]


def customer_order(result: ChangeResult, version: int = 4, *, reference: str | None = None,
                   item_state: str | None = None) -> dict[str, Any]:
    """``odedelta.to_tmf622`` with the ``externalId`` its partner orders refer to (``reference``, by default
    :func:`order_reference`; a system that can place the same change twice passes one per order). ``item_state``:
    as in :func:`~odedelta.outputs.tmf622.product_order`."""
    order = product_order(result, version, item_state=item_state)
    # the reference is the change's, whatever state a service gives the items
    reference = reference or order_reference(result, order if version == 4 and item_state is None else None)
    return {"externalId": _external([reference], version == 5), **order}


def _party(party_id: str, name: str, role: str, v5: bool) -> dict[str, Any]:
    if v5:
        return {"role": role, "partyOrPartyRole": {"id": party_id, "name": name, "@type": "PartyRef",
                                                   "@referredType": "Organization"},
                "@type": "RelatedPartyRefOrPartyRoleRef"}
    return {"id": party_id, "name": name, "role": role, "@referredType": "Organization"}


def _wholesale(result: ChangeResult, item: DeltaItem, action: str,
               v5: bool) -> tuple[list[dict[str, Any]], dict[str, Money]]:
    """The item's wholesale prices after the change (recurring; one-time too for an add) and their sums by kind."""
    if action == "delete":
        return [], {}
    kinds = {RECURRING, ONE_TIME} if action == "add" else {RECURRING}
    prices: list[dict[str, Any]] = []
    sums: dict[str, Money] = {}
    for line in wholesale_prices(result.catalog, item.offering_id, result.as_of):
        if line.kind not in kinds:
            continue
        entry: dict[str, Any] = {"name": line.name, "priceType": line.kind}
        if line.kind == RECURRING:
            entry["recurringChargePeriod"] = "month"
        entry["price"] = order_price(line.amount, v5)
        entry["productOfferingPrice"] = typed({"id": line.pop_id}, "ProductOfferingPriceRef", v5)
        prices.append(typed(entry, "OrderPrice", v5))
        sums[line.kind] = sums[line.kind] + line.amount.rounded() if line.kind in sums else line.amount.rounded()
    return prices, sums


def _total(kind: str, amount: Money, v5: bool) -> dict[str, Any]:
    return order_total("Wholesale " + ("per month" if kind == RECURRING else "one-time"), kind, amount, v5)


def partner_orders(result: ChangeResult, version: int = 4, *, reseller: tuple[str, str] = DEFAULT_RESELLER,
                   reference: str | None = None) -> list[dict[str, Any]]:
    """One TMF622 order per supplier whose items the change touches, ordered by supplier id; ``reseller`` is the
    buyer's (id, name), ``reference`` the customer order's (as :func:`customer_order` was given it)."""
    if version not in (4, 5):
        raise RequestError(f"TMF622 version must be 4 or 5, not {version!r}")
    v5 = version == 5
    customer = product_order(result, version)
    reference = reference or order_reference(result, customer if version == 4 else None)
    by_id: Mapping[str, dict[str, Any]] = {entry["id"]: entry for entry in customer["productOrderItem"]}
    orders = []
    for supplier_id, items in sorted(partner_items(result).items()):
        supplier = next(s for s, _ in supplier_actions(result.catalog, items[0][0]) if s.id == supplier_id)
        mine = {item.id for item, _ in items}
        entries: list[dict[str, Any]] = []
        totals: dict[str, Money] = {}
        for item, action in items:
            entry = {k: v for k, v in by_id[item.id].items() if k not in ("itemPrice", "itemTotalPrice", "@type")}
            if action != entry["action"]:  # a product moving between the reseller and a supplier, or two suppliers
                entry = _moved(result, item, action, entry, v5)
            relations = [r for r in entry.pop("productOrderItemRelationship", []) if r["id"] in mine]
            if relations:
                entry["productOrderItemRelationship"] = relations
            prices, sums = _wholesale(result, item, action, v5)
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


def _moved(result: ChangeResult, item: DeltaItem, action: str, entry: dict[str, Any],
           v5: bool) -> dict[str, Any]:
    """The customer's ``modify`` as the supplier sees it: a ``delete`` of the installed product at the supplier it
    leaves (its offering there named), an ``add`` of a new product (without the installed id) at the one it joins."""
    moved = {**entry, "action": action}
    if action == "add":
        moved["product"] = {k: v for k, v in entry["product"].items() if k not in ("id", "href")}
        return moved
    offering_id = item.previous_offering_id or item.offering_id
    offering = result.catalog.offerings[offering_id]
    ref = {"id": offering_id, **({"href": offering.href} if offering.href else {}),
           **({"name": offering.name} if offering.name else {})}
    moved["productOffering"] = typed(ref, "ProductOfferingRef", v5)
    product = {k: v for k, v in entry["product"].items() if k in ("id", "href")}
    moved["product"] = {**product, "@type": "ProductRef", "@referredType": "Product"} if v5 else product
    moved.pop("itemTerm", None)
    return moved


def _recurring_first(pair: tuple[str, Money]) -> int:
    return 0 if pair[0] == RECURRING else 1


def served_item(partner_item: Mapping[str, Any]) -> str:
    """The id of the customer order item a partner order item serves (they share it)."""
    return str(partner_item["id"])
