"""Projection: the inventory as it will be once a change is done (TMF637 products), and checks that an installed
tree is a valid instance of its offering."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from odedelta.delta.items import Action, Delta
from odedelta.model.catalog import Catalog, value_key
from odedelta.model.compiled import compiled
from odedelta.model.inventory import BUNDLES, Inventory
from odedelta.model.pricing import RECURRING
from odedelta.model.tmf import Characteristic, Product, ProductPrice, ProductRelationship, Ref


def project(inventory: Inventory, delta: Delta, catalog: Catalog) -> list[Product]:
    """The products after the change: deleted ones gone, modified ones updated in place (same id), new ones with
    the delta's generated ids, untouched ones as they were. Bundle links follow the delta's parents."""
    by_id = {item.product_id: item for item in delta.items}
    placed: dict[str, list[str]] = {}  # parent → the components the delta places under it, in delta order
    for item in delta.items:
        if item.action is not Action.DELETE and item.parent_id is not None:
            placed.setdefault(item.parent_id, []).append(item.product_id)

    def children(pid: str) -> list[str]:
        untouched = [c for c in inventory.graph.children_of(pid) if c not in by_id] if pid in inventory.products else []
        return untouched + placed.get(pid, [])

    deleted = {item.product_id for item in delta.items if item.action is Action.DELETE}
    out: list[Product] = []
    for pid, product in inventory.products.items():
        found = by_id.get(pid)
        if found is None:
            if product.product_relationship:
                gone = deleted | {c for c in inventory.graph.children_of(pid)
                                  if c in by_id and by_id[c].parent_id != pid}
                product = _without_links_to(product, gone)
            out.append(product)
        elif found.action is not Action.DELETE:
            updated = _updated(product, found.offering_id, found.specification_id, found.characteristics,
                               children(pid), catalog, delta.as_of)
            if found.terms is not None and list(found.terms) != list(product.product_term):
                updated = updated.model_copy(update={"product_term": list(found.terms)})  # never the installed one
                updated.model_fields_set.add("product_term")
            out.append(updated)
    for item in delta.items:
        if not item.installed:
            out.append(_updated(Product(id=item.product_id, status="created"), item.offering_id,
                                item.specification_id, item.characteristics, children(item.product_id), catalog,
                                None))
    return out


_DELETE = Action.DELETE


def placed(inventory: Inventory, delta: Delta) -> Iterator[tuple[str, str | None, str | None]]:
    """The products after the change as ``(product id, offering id, specification id)``, in the order
    :func:`project` gives them, without building them: what prices and rules read of the projection."""
    by_id = {item.product_id: item for item in delta.items}
    kinds = inventory.graph.kinds  # each product's (offering, specification), read in one table
    for pid, product in inventory.products.items():
        own, own_spec = kinds.get(pid) or (product.offering_id, product.spec_id)
        found = by_id.get(pid)
        if found is None:
            yield pid, own, own_spec
        elif found.action is not _DELETE:
            spec, moved = found.specification_id, own != found.offering_id
            # as _updated sets it: the new specification when it differs and either the offering changes or the
            # product named one
            keep = spec is None or own_spec == spec or not (moved or own_spec is not None)
            yield pid, found.offering_id, own_spec if keep else spec
    for item in delta.items:
        if not item.installed:
            yield item.product_id, item.offering_id, item.specification_id


def _without_links_to(product: Product, gone: set[str]) -> Product:
    """An untouched product loses its relationships to the products the change deletes or moves elsewhere (a
    bundle whose component is removed no longer bundles it)."""
    kept = [r for r in product.product_relationship if r.target_id not in gone]
    if len(kept) == len(product.product_relationship):
        return product
    return product.model_copy(update={"product_relationship": kept})


def _updated(product: Product, offering_id: str, spec_id: str | None, characteristics: Mapping[str, Any],
             children: list[str], catalog: Catalog, as_of: datetime | None) -> Product:
    """``product`` after the change. Only what the change alters is rebuilt; every other field — and every ref,
    characteristic and relationship it keeps — is the installed object itself, so a ``noChange`` product is
    written back byte-identically (href, ``@referredType``, ``valueType``…). A product whose offering changes gets
    the new offering's recurring prices at ``as_of`` as its ``productPrice`` (``as_of`` None: a new product, priced
    by the catalog). Links already naming exactly ``children`` are kept as written;
    components the installed product held nested (``product``) become ``bundles`` relationships."""
    update: dict[str, Any] = {}
    moved = product.offering_id != offering_id
    if moved:
        update["product_offering"] = Ref(id=offering_id, name=catalog.offering(offering_id).name)
        if as_of is not None and (product.product_price or "product_price" in product.model_fields_set):
            update["product_price"] = _catalog_product_prices(catalog, offering_id, as_of)
    if spec_id is not None and product.spec_id != spec_id and (moved or product.spec_id is not None):
        update["product_specification"] = Ref(id=spec_id)
    chars = _characteristics(product.product_characteristic, characteristics)
    if len(chars) != len(product.product_characteristic) or any(
            a is not b for a, b in zip(chars, product.product_characteristic, strict=False)):
        update["product_characteristic"] = chars
    others = [r for r in product.product_relationship if (r.relationship_type or "").lower() != BUNDLES]
    kept = {r.target_id: r for r in product.product_relationship if (r.relationship_type or "").lower() == BUNDLES}
    links = product.product_relationship if set(kept) == set(children) else others + [
        kept.get(c) or ProductRelationship(relationship_type=BUNDLES, product=Ref(id=c)) for c in children]
    if len(links) != len(product.product_relationship) or any(
            a is not b for a, b in zip(links, product.product_relationship, strict=False)):
        update["product_relationship"] = links
    if not update:
        return product
    new = product.model_copy(update=update)
    for name in update:  # model_copy does not mark fields as set; the TMF output must show them
        new.model_fields_set.add(name)
    return new


def _characteristics(installed: list[Characteristic], values: Mapping[str, Any]) -> list[Characteristic]:
    """The characteristics after the change, in the installed order then the new ones: an unchanged one is the
    installed object; a changed value keeps the installed entry's other fields when its type is the same."""
    out = []
    for char in installed:
        if char.name not in values:
            continue
        value = values[char.name]
        if char.value == value and type(char.value) is type(value):
            out.append(char)
        elif type(char.value) is type(value):
            out.append(char.model_copy(update={"value": value}))
        else:
            out.append(Characteristic(name=char.name, value=value))
    names = {c.name for c in installed}
    out += [Characteristic(name=k, value=v) for k, v in values.items() if k not in names]
    return out


def _catalog_product_prices(catalog: Catalog, offering_id: str, as_of: datetime) -> list[ProductPrice]:
    """The offering's monthly catalog price at ``as_of`` as one TMF637 ``productPrice`` (what
    :func:`~odedelta.money.bill.recurring_base` reads back): the recurring prices summed, the catalog's standing
    discounts as ``productPriceAlteration``s — so a change on the projected inventory prices it as this one did."""
    base = compiled(catalog).base(offering_id, as_of)
    if base.amount is None:
        return []
    money = {"unit": base.amount.currency, "value": base.amount.amount}
    alterations = []
    for source, name, value in base.alterations:
        price = {"percentage": value[:-1]} if value.endswith("%") else {
            "taxIncludedAmount": {"unit": base.amount.currency, "value": value}}
        alterations.append({"name": name, "priceType": "discount", "recurringChargePeriod": "month", "price": price,
                            "productOfferingPrice": {"id": source.removeprefix("catalog:"),
                                                     "@referredType": "ProductOfferingPrice"}})
    entry: dict[str, Any] = {"name": catalog.offering(offering_id).name or offering_id, "priceType": RECURRING,
                             "recurringChargePeriod": "month", "price": {"taxIncludedAmount": money}}
    if base.pop_id is not None:
        entry["productOfferingPrice"] = {"id": base.pop_id, "@referredType": "ProductOfferingPrice"}
    if alterations:
        entry["productPriceAlteration"] = alterations
    return [ProductPrice.model_validate(entry)]


def instance_problems(catalog: Catalog, inventory: Inventory, product_id: str) -> list[str]:
    """Why the tree under ``product_id`` is not a valid instance of its offering (empty when it is): every
    mandatory component present, no cardinality exceeded, every characteristic value allowed, every component an
    offering the bundle names."""
    problems: list[str] = []
    product = inventory.product(product_id)
    offering = product.offering_id or ""
    for char in product.product_characteristic:
        if not catalog.is_allowed(offering, char.name, char.value):
            problems.append(f"{product_id}: {char.name}={value_key(char.value)} not allowed by {offering}")
    spec = catalog.specification_of(offering)
    for char_spec in spec.product_spec_characteristic if spec else []:
        has_default, _ = catalog.default_value(offering, char_spec.name)
        if char_spec.mandatory and has_default and char_spec.name not in product.characteristics():
            problems.append(f"{product_id}: mandatory characteristic {char_spec.name} missing")
    slots = catalog.graph.components(offering)
    counts = {slot.offering_id: 0 for slot in slots}
    for child in inventory.children(product_id):
        child_offering = inventory.product(child).offering_id or ""
        if child_offering not in counts:
            problems.append(f"{product_id}: {child} ({child_offering}) is not a component of {offering}")
        else:
            counts[child_offering] += 1
        problems.extend(instance_problems(catalog, inventory, child))
    for slot in slots:
        if not slot.allows(counts[slot.offering_id]):
            upper = "n" if slot.upper is None else slot.upper
            problems.append(f"{product_id}: {counts[slot.offering_id]} × {slot.offering_id}, expected "
                            f"{slot.lower}..{upper}")
    return problems
