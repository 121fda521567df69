"""The TMF622 ProductOrder of a change (v4 ``ProductOrder_Create`` or v5 ``ProductOrder_FVO``).

Layout (documentation: reference/tmf-mapping.md):

* one item per delta item, ids ``"1"``, ``"2"``… in delta order (depth first), so the same change always gives the
  same ids;
* bundle hierarchy: a parent item lists each component's item in ``productOrderItemRelationship`` with
  ``relationshipType: "bundles"`` (flat items, not nested ``productOrderItem``);
* ``product``: for ``delete`` and ``noChange`` a reference to the installed product (v5 ``@type: ProductRef``);
  for ``modify`` the installed product's id with its characteristics after the change (v5 ``@type: Product``);
  for ``add`` a product value with its specification and characteristics, without an id (the inventory assigns
  one);
* a renewal is a ``modify`` item whose ``itemTerm`` names the new commitment (TMF622's OrderTerm has no dates)
  and whose ``product.productTerm`` lists the product's terms — the previous ones first, as history, then the new
  one with its ``validFor``; nothing else of the product changes. That is how a consumer tells a renewal from
  another modification;
* ``itemPrice``: what the item costs after the change — its monthly price (``recurring``) with each discount as a
  ``priceAlteration`` (promotion or rule named in ``description``), and every one-time amount that belongs to it
  (``oneTime``: one-time catalog prices of an added product, fees, penalties — ``description`` says which and why);
  ``itemTotalPrice`` the item's monthly net and one-time total; ``orderTotalPrice`` the monthly total after the
  change and everything due now.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from odedelta.delta.items import Action, DeltaItem
from odedelta.flows.result import ChangeResult
from odedelta.model.errors import RequestError
from odedelta.model.jsonio import iso
from odedelta.model.money import Money, total
from odedelta.model.pricing import RECURRING
from odedelta.model.tmf import ProductTerm, Ref, RelatedParty
from odedelta.outputs.describe import billing_account_ref, parties, summary

CATALOG_API = "/tmf-api/productCatalogManagement/v{v}"
INVENTORY_API = "/tmf-api/productInventory/v{v}"


def product_order(result: ChangeResult, version: int = 4, *, item_state: str | None = None) -> dict[str, Any]:
    """The change as a TMF622 ``ProductOrder_Create`` (version 4) or ``ProductOrder_FVO`` (version 5), valid against
    the official schema: one item per delta item, ids ``"1"``, ``"2"``… in delta order. ``item_state``: the
    ``state`` each order item carries (a service that acknowledges the order says so; the library's own document
    leaves it out)."""
    if version not in (4, 5):
        raise RequestError(f"TMF622 version must be 4 or 5, not {version!r}")
    v5 = version == 5
    item_of = {item.product_id: item.id for item in result.items}
    children: dict[str, list[str]] = {}
    for item in result.items:
        if item.parent_id in item_of:
            children.setdefault(item_of[item.parent_id], []).append(item.id)
    order_items = []
    for item in result.items:
        entry: dict[str, Any] = {"id": item.id, "action": item.action.value, "quantity": 1}
        entry["productOffering"] = _offering_ref(result, item.offering_id, v5)
        entry["product"] = _product(result, item, v5)
        if item.id in children:
            entry["productOrderItemRelationship"] = [
                typed({"id": child, "relationshipType": "bundles"}, "OrderItemRelationship", v5)
                for child in children[item.id]
            ]
        if item.terms is not None:  # a renewal: itemTerm names the new commitment (its dates are on the product)
            entry["itemTerm"] = [typed({k: v for k, v in _term(item.terms[-1]).items() if k != "validFor"},
                                        "OrderTerm", v5)]
        prices, totals = _item_prices(result, item, v5)
        if prices:
            entry["itemPrice"] = prices
            entry["itemTotalPrice"] = totals
        entry["@type"] = "ProductOrderItem"
        if item_state is not None:
            entry["state"] = item_state
        order_items.append(entry)
    order: dict[str, Any] = {"description": summary(result)}
    if result.consequences is not None and result.consequences.timing is not None:
        order["requestedStartDate"] = iso(result.consequences.timing.effective)
    related = related_parties(parties(result), v5)
    if related:
        order["relatedParty"] = related
    account = billing_account_ref(result)
    if account is not None:
        order["billingAccount"] = account_ref(account, v5)
    order["productOrderItem"] = order_items
    consequences = result.consequences
    if consequences is not None:
        order["orderTotalPrice"] = [
            _total(RECURRING, consequences.recurring_after, v5),
            _total("oneTime", consequences.due_now, v5),
        ]
    order["@type"] = "ProductOrder"
    return order


GENERIC_PARTY = "Party"
"""v4's RelatedParty requires ``@referredType``; when the inventory does not say (a v5 PartyRef may omit it), the
order says ``Party`` — the base type, which claims nothing about Individual or Organization."""


def related_parties(found: list[RelatedParty], v5: bool,
                    type_name: str = "RelatedPartyRefOrPartyRoleRef") -> list[dict[str, Any]]:
    """The parties of a document as the inventory (or the request) states them — id, href, name, role and
    ``@referredType`` carried, never replaced: v4 ``RelatedParty``; v5 ``RelatedPartyRefOrPartyRoleRef`` (or
    ``type_name``) wrapping a ``PartyRef`` (a ``PartyRoleRef`` when the inventory's was one)."""
    out = []
    for party in found:
        inner = party.party_or_party_role
        ref: dict[str, Any] = {"id": party.party_id}
        href = inner.href if inner is not None else (party.model_extra or {}).get("href")
        if href:
            ref["href"] = href
        if party.party_name:
            ref["name"] = party.party_name
        referred = (inner.referred_type if inner is not None else None) or party.referred_type
        if v5:
            ref["@type"] = inner.type if inner is not None and inner.type in ("PartyRef", "PartyRoleRef") \
                else "PartyRef"
            if referred:
                ref["@referredType"] = referred
            entry: dict[str, Any] = {"role": party.role} if party.role else {}
            out.append({**entry, "partyOrPartyRole": ref, "@type": type_name})
        else:
            if party.role:
                ref["role"] = party.role
            ref["@referredType"] = referred or GENERIC_PARTY
            out.append(ref)
    return out


def account_ref(account: Ref, v5: bool) -> dict[str, Any]:
    """A billing account reference as the inventory states it (id, href, name, ``@referredType``)."""
    ref: dict[str, Any] = {"id": account.id}
    for key, value in (("href", account.href), ("name", account.name), ("@referredType", account.referred_type)):
        if value:
            ref[key] = value
    return typed(ref, "BillingAccountRef", v5)


def typed(value: dict[str, Any], type_name: str, v5: bool) -> dict[str, Any]:
    """``value`` with its ``@type`` in v5 (v4 documents carry none)."""
    return {**value, "@type": type_name} if v5 else value


def _offering_ref(result: ChangeResult, offering_id: str, v5: bool) -> dict[str, Any]:
    offering = result.catalog.offering(offering_id)
    ref: dict[str, Any] = {"id": offering_id}
    if offering.href:
        ref["href"] = offering.href
    if offering.name:
        ref["name"] = offering.name
    if v5:
        ref["@type"] = "ProductOfferingRef"
    return ref


def _product(result: ChangeResult, item: DeltaItem, v5: bool) -> dict[str, Any]:
    if item.action in (Action.DELETE, Action.NO_CHANGE):
        ref: dict[str, Any] = {"id": item.product_id}
        href = result.inventory.products[item.product_id].href if item.installed else None
        if href:
            ref["href"] = href
        if v5:
            ref["@type"] = "ProductRef"
            ref["@referredType"] = "Product"
        return ref
    product: dict[str, Any] = {}
    if item.action is Action.MODIFY:
        product["id"] = item.product_id
        href = result.inventory.products[item.product_id].href
        if href:
            product["href"] = href
    product["isBundle"] = bool(result.catalog.graph.components(item.offering_id))
    if item.specification_id is not None:
        spec_ref: dict[str, Any] = {"id": item.specification_id}
        spec = result.catalog.specifications[item.specification_id]
        if spec.href:
            spec_ref["href"] = spec.href
        if v5:
            spec_ref["@type"] = "ProductSpecificationRef"
        product["productSpecification"] = spec_ref
    characteristics = [_characteristic(name, value, v5) for name, value in item.characteristics.items()]
    if characteristics:
        product["productCharacteristic"] = characteristics
    if item.terms is not None:
        product["productTerm"] = [typed(_term(term), "ProductTerm", v5) for term in item.terms]
    if v5:
        product["@type"] = "Product"
    return product


_V5_CHARACTERISTIC = {bool: "BooleanCharacteristic", str: "StringCharacteristic", dict: "ObjectCharacteristic"}


def _characteristic(name: str, value: Any, v5: bool) -> dict[str, Any]:
    if isinstance(value, bool):
        value_type = "boolean"
    elif isinstance(value, (int, Decimal)):
        value_type = "number"
    elif isinstance(value, dict):
        value_type = "object"
    else:
        value_type = "string"
        value = str(value)
    out: dict[str, Any] = {"name": name, "valueType": value_type, "value": value}
    if v5:
        out["@type"] = _V5_CHARACTERISTIC.get(type(value), "NumberCharacteristic")
    return out


def _term(term: ProductTerm) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if term.name:
        out["name"] = term.name
    if term.description:
        out["description"] = term.description
    if term.duration is not None and term.duration.amount is not None:
        out["duration"] = {"amount": int(term.duration.amount), "units": term.duration.units or "month"}
    if term.valid_for is not None:
        out["validFor"] = {k: iso(v) for k, v in (("startDateTime", term.valid_for.start),
                                                  ("endDateTime", term.valid_for.end)) if v is not None}
    return out


def _money(amount: Money) -> dict[str, Any]:
    rounded = amount.rounded()
    return {"unit": rounded.currency, "value": rounded.amount}


def order_price(amount: Money, v5: bool, duty_free: Money | None = None,
                percentage: Decimal | None = None) -> dict[str, Any]:
    price: dict[str, Any] = {"taxIncludedAmount": _money(amount)}
    if duty_free is not None:
        price["dutyFreeAmount"] = _money(duty_free)
    if percentage is not None:
        price["percentage"] = percentage
    return typed(price, "Price", v5)


def _total(kind: str, amount: Money, v5: bool) -> dict[str, Any]:
    return order_total("Total " + ("per month" if kind == RECURRING else "due now"), kind, amount, v5)


def order_total(name: str, kind: str, amount: Money, v5: bool) -> dict[str, Any]:
    """A TMF622 ``OrderPrice`` of ``kind`` (recurring: per month) for ``amount``."""
    out: dict[str, Any] = {"name": name, "priceType": kind}
    if kind == RECURRING:
        out["recurringChargePeriod"] = "month"
    out["price"] = order_price(amount, v5)
    return typed(out, "OrderPrice", v5)


def _item_prices(result: ChangeResult, item: DeltaItem, v5: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The item's recurring price after the change (with its discounts as price alterations) and its one-time
    amounts (one-time catalog prices of an added product, fees, penalties), then their totals."""
    consequences = result.consequences
    prices: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    if consequences is None:
        return prices, totals
    entry = consequences.after.products.get(item.product_id) if item.action is not Action.DELETE else None
    if entry is not None and entry.base is not None and entry.net is not None:
        recurring: dict[str, Any] = {"name": result.catalog.name_of(item.offering_id) + " monthly",
                                     "priceType": RECURRING, "recurringChargePeriod": "month",
                                     "price": order_price(entry.base, v5, entry.duty_free)}
        if entry.discounts:
            recurring["priceAlteration"] = [
                typed({"name": d.name, "description": d.source, "priceType": RECURRING,
                        "recurringChargePeriod": "month", "price": order_price(d.amount, v5, percentage=d.percentage)},
                       "PriceAlteration", v5)
                for d in entry.discounts
            ]
        if entry.pop_id is not None:
            recurring["productOfferingPrice"] = typed({"id": entry.pop_id}, "ProductOfferingPriceRef", v5)
        prices.append(typed(recurring, "OrderPrice", v5))
        totals.append(_total(RECURRING, entry.net, v5))
    once = [c for c in consequences.charges if c.product_id == item.product_id]
    for charge in once:
        line: dict[str, Any] = {"name": charge.name, "description": f"{charge.kind}; {charge.source}"
                                + (f"; {charge.explanation}" if charge.explanation else ""),
                                "priceType": "oneTime", "price": order_price(charge.amount, v5)}
        if charge.source.startswith("catalog:"):
            line["productOfferingPrice"] = typed({"id": charge.source[8:]}, "ProductOfferingPriceRef", v5)
        prices.append(typed(line, "OrderPrice", v5))
    if once:
        totals.append(_total("oneTime", total((c.amount.rounded() for c in once), once[0].amount.currency), v5))
    return prices, totals
