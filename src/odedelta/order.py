"""The TMF622 ProductOrder of a change (v4 ``ProductOrder_Create`` or v5 ``ProductOrder_FVO``).

Layout (documented in the README):

* one item per delta item, ids ``"1"``, ``"2"``… in delta order (depth first), so the same change always gives the
  same ids;
* bundle hierarchy: a parent item lists each component's item in ``productOrderItemRelationship`` with
  ``relationshipType: "bundles"`` (flat items, not nested ``productOrderItem``);
* ``product``: for ``delete`` and ``noChange`` a reference to the installed product (v5 ``@type: ProductRef``);
  for ``modify`` the installed product's id with its characteristics after the change (v5 ``@type: Product``);
  for ``add`` a product value with its specification and characteristics, without an id (the inventory assigns
  one);
* ``itemPrice``: what the item costs after the change — its recurring catalog prices, plus one-time prices for an
  ``add``; nothing for ``delete``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .delta import Action, DeltaItem
from .pricing import RECURRING, PriceLine

if TYPE_CHECKING:
    from .engine import ChangeResult

CATALOG_API = "/tmf-api/productCatalogManagement/v{v}"
INVENTORY_API = "/tmf-api/productInventory/v{v}"


def product_order(result: ChangeResult, version: int = 4) -> dict[str, Any]:
    if version not in (4, 5):
        raise ValueError(f"TMF622 version must be 4 or 5, not {version!r}")
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
                _typed({"id": child, "relationshipType": "bundles"}, "OrderItemRelationship", v5)
                for child in children[item.id]
            ]
        prices = [_order_price(line, v5) for line in result.item_prices(item)]
        if prices:
            entry["itemPrice"] = prices
        entry["@type"] = "ProductOrderItem"
        order_items.append(entry)
    order: dict[str, Any] = {"description": result.summary()}
    party = result.customer()
    if party is not None:
        if v5:
            order["relatedParty"] = [{
                "role": "customer",
                "partyOrPartyRole": {"id": party, "@type": "PartyRef", "@referredType": "Individual"},
                "@type": "RelatedPartyRefOrPartyRoleRef",
            }]
        else:
            order["relatedParty"] = [{"id": party, "role": "customer", "@referredType": "Individual"}]
    account = result.billing_account()
    if account is not None:
        order["billingAccount"] = _typed({"id": account}, "BillingAccountRef", v5)
    order["productOrderItem"] = order_items
    order["@type"] = "ProductOrder"
    return order


def _typed(value: dict[str, Any], type_name: str, v5: bool) -> dict[str, Any]:
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


def _order_price(line: PriceLine, v5: bool) -> dict[str, Any]:
    amount = line.amount.rounded()
    price: dict[str, Any] = {"taxIncludedAmount": {"unit": amount.currency, "value": amount.amount}}
    out: dict[str, Any] = {"name": line.name, "priceType": line.kind}
    if line.kind == RECURRING:
        out["recurringChargePeriod"] = "month"
    out["price"] = _typed(price, "Price", v5)
    out["productOfferingPrice"] = _typed({"id": line.pop_id}, "ProductOfferingPriceRef", v5)
    return _typed(out, "OrderPrice", v5)

