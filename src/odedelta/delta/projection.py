"""Projection: the inventory as it will be once a change is done (TMF637 products), and checks that an installed
tree is a valid instance of its offering."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from odedelta.model.catalog import Catalog, value_key
from odedelta.delta.items import Action, Delta
from odedelta.model.inventory import BUNDLES, Inventory
from odedelta.model.tmf import Characteristic, Product, ProductRelationship, Ref


def project(inventory: Inventory, delta: Delta, catalog: Catalog) -> list[Product]:
    """The products after the change: deleted ones gone, modified ones updated in place (same id), new ones with
    the delta's generated ids, untouched ones as they were. Bundle links follow the delta's parents."""
    by_id = {item.product_id: item for item in delta.items}
    placed: dict[str, list[str]] = {}  # parent → the components the delta places under it, in delta order
    for item in delta.items:
        if item.action is not Action.DELETE and item.parent_id is not None:
            placed.setdefault(item.parent_id, []).append(item.product_id)

    def children(pid: str) -> list[str]:
        untouched = [c for c in inventory.children(pid) if c not in by_id] if pid in inventory.products else []
        return untouched + placed.get(pid, [])

    deleted = {item.product_id for item in delta.items if item.action is Action.DELETE}
    out: list[Product] = []
    for pid, product in inventory.products.items():
        found = by_id.get(pid)
        if found is None:
            gone = deleted | {c for c in inventory.children(pid) if c in by_id and by_id[c].parent_id != pid}
            out.append(_without_links_to(product, gone))
        elif found.action is not Action.DELETE:
            updated = _updated(product, found.offering_id, found.specification_id, found.characteristics,
                               children(pid), catalog)
            if found.terms is not None:
                updated.product_term = list(found.terms)
                updated.model_fields_set.add("product_term")
            out.append(updated)
    for item in delta.items:
        if not item.installed:
            out.append(_updated(Product(id=item.product_id, status="created"), item.offering_id,
                                item.specification_id, item.characteristics, children(item.product_id), catalog))
    return out


def _without_links_to(product: Product, gone: set[str]) -> Product:
    """An untouched product loses its relationships to the products the change deletes or moves elsewhere (a
    bundle whose component is removed no longer bundles it)."""
    kept = [r for r in product.product_relationship if r.target_id not in gone]
    if len(kept) == len(product.product_relationship):
        return product
    return product.model_copy(update={"product_relationship": kept})


def _updated(product: Product, offering_id: str, spec_id: str | None, characteristics: Mapping[str, Any],
             children: list[str], catalog: Catalog) -> Product:
    offering = catalog.offering(offering_id)
    update: dict[str, Any] = {
        "product_offering": Ref(id=offering_id, name=offering.name),
        "product_characteristic": [Characteristic(name=k, value=v) for k, v in characteristics.items()],
    }
    if spec_id is not None:
        update["product_specification"] = Ref(id=spec_id)
    others = [r for r in product.product_relationship if (r.relationship_type or "").lower() != BUNDLES]
    kept = {r.target_id: r for r in product.product_relationship if (r.relationship_type or "").lower() == BUNDLES}
    links = others + [kept.get(c) or ProductRelationship(relationship_type=BUNDLES, product=Ref(id=c))
                      for c in children]
    if links or product.product_relationship:
        update["product_relationship"] = links
    new = product.model_copy(update=update)
    for name in update:  # model_copy does not mark fields as set; the TMF output must show them
        new.model_fields_set.add(name)
    return new


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
