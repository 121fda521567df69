"""Merge a supplier's TMF620 export into the reseller's catalog: a pure function over documents.

What the import makes of each exported resource (ids prefixed, so nothing collides with the reseller's):

* a specification: the supplier set as its ``relatedParty`` with role ``supplier`` (any other supplier-like party
  replaced), so every product of it goes to the supplier's partner order;
* an offering: its specification, bundled offerings, relationships and prices pointing at the imported ids; the
  supplier's categories are not the reseller's and are left out; a ``lifecycleStatus`` is kept;
* a price: two prices — the supplier's, unchanged, as the *wholesale* price ``<id>-wholesale`` (what the reseller
  pays), and the *retail* price ``<id>`` the offering lists (what the customer pays: the wholesale amount plus the
  reseller's ``markup`` percent, rounded to the cent), which names the wholesale one in a ``popRelationship`` of
  type ``wholesale``.

Problems, all at once, each located: a resource of another kind, a reference to what the export lacks, an imported
id the reseller already uses for something else (the same content again is fine: importing twice changes
nothing), a reseller bundle naming an offering of the prefix the import does not bring.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from odedelta.partners._core import (
    KIND_LABEL,
    OFFERING,
    PRICE,
    SPECIFICATION,
    WHOLESALE,
    CatalogError,
    Document,
    Money,
    Problem,
    kind_from_type,
)

SUPPLIER_ROLES = {"supplier", "partner", "provider"}
_TYPES = {OFFERING: "ProductOffering", SPECIFICATION: "ProductSpecification", PRICE: "ProductOfferingPrice"}


def _resources(documents: Sequence[Document]) -> Iterator[tuple[str | None, dict[str, Any], Document, tuple[int, ...]]]:
    for doc in documents:
        items = doc.data if isinstance(doc.data, list) else [doc.data]
        for index, item in enumerate(items):
            parts = (index,) if isinstance(doc.data, list) else ()
            if isinstance(item, dict):
                yield kind_from_type(item) or doc.kind_hint, item, doc, parts


def _ref(ref: dict[str, Any], new_id: str) -> dict[str, Any]:
    """A reference to an imported resource: its new id, the supplier's href dropped (it is the reseller's now)."""
    return {k: v for k, v in ref.items() if k != "href"} | {"id": new_id}


def import_partner_catalog(reseller: Sequence[Document], export: Sequence[Document], *, supplier_id: str,
                           supplier_name: str, prefix: str, markup: Decimal = Decimal(0)) -> list[dict[str, Any]]:
    """The resources to add to the reseller's catalog (specifications, offerings, then retail and wholesale
    prices, each in export order); raise :class:`CatalogError` listing every problem."""
    problems: list[Problem] = []
    exported: dict[str, dict[str, tuple[dict[str, Any], Document, tuple[int, ...]]]] = {
        OFFERING: {}, SPECIFICATION: {}, PRICE: {}}
    for kind, item, doc, parts in _resources(export):
        if kind not in exported:
            label = KIND_LABEL.get(kind or "", repr(item.get("@type")))
            problems.append(Problem.at(doc.file, parts, f"a {label} is not imported: a partner export brings "
                                                        "productOffering, productSpecification and "
                                                        "productOfferingPrice"))
            continue
        if "id" not in item:
            problems.append(Problem.at(doc.file, parts, f"{KIND_LABEL[kind]} without an id"))
            continue
        exported[kind][str(item["id"])] = (item, doc, parts)

    def mapped(kind: str, ref: Any, doc: Document, parts: tuple[str | int, ...]) -> str | None:
        rid = str(ref.get("id")) if isinstance(ref, dict) else None
        if rid in exported[kind]:
            return prefix + rid
        problems.append(Problem.at(doc.file, parts, f"references {KIND_LABEL[kind]} {rid!r}, which the export lacks"))
        return None

    supplier = {"id": supplier_id, "name": supplier_name, "role": "supplier", "@referredType": "Organization"}
    out_specs, out_offers, out_prices = [], [], []
    for sid, (item, _doc, _parts) in exported[SPECIFICATION].items():
        spec = {k: v for k, v in item.items() if k not in ("href", "relatedParty")}
        spec["id"] = prefix + sid
        others = [p for p in item.get("relatedParty") or [] if str(p.get("role", "")).lower() not in SUPPLIER_ROLES]
        spec["relatedParty"] = [*others, supplier]
        spec.setdefault("@type", _TYPES[SPECIFICATION])
        out_specs.append(spec)
    for oid, (item, doc, parts) in exported[OFFERING].items():
        offer = {k: v for k, v in item.items() if k not in ("href", "category")}
        offer["id"] = prefix + oid
        if isinstance(item.get("productSpecification"), dict):
            new = mapped(SPECIFICATION, item["productSpecification"], doc, (*parts, "productSpecification"))
            offer["productSpecification"] = _ref(item["productSpecification"], new or "")
        for key, kind in (("bundledProductOffering", OFFERING), ("productOfferingRelationship", OFFERING),
                          ("productOfferingPrice", PRICE)):
            refs = []
            for n, ref in enumerate(item.get(key) or []):
                new = mapped(kind, ref, doc, (*parts, key, n))
                refs.append(_ref(ref, new or ""))
            if key in item:
                offer[key] = refs
        for n, use in enumerate(item.get("prodSpecCharValueUse") or []):
            if isinstance(use.get("productSpecification"), dict):
                new = mapped(SPECIFICATION, use["productSpecification"], doc,
                             (*parts, "prodSpecCharValueUse", n, "productSpecification"))
                offer["prodSpecCharValueUse"][n] = {**use, "productSpecification": _ref(use["productSpecification"],
                                                                                        new or "")}
        offer.setdefault("@type", _TYPES[OFFERING])
        out_offers.append(offer)
    factor = 1 + markup / 100
    for pid, (item, doc, parts) in exported[PRICE].items():
        relations = []
        for n, rel in enumerate(item.get("popRelationship") or []):
            new = mapped(PRICE, rel, doc, (*parts, "popRelationship", n))
            relations.append(_ref(rel, new or ""))
        wholesale = {k: v for k, v in item.items() if k != "href"}
        wholesale.update(id=prefix + pid + "-wholesale", name=f"{item.get('name') or pid} (wholesale)")
        if relations:
            wholesale["popRelationship"] = [{**r, "id": r["id"] + "-wholesale"} for r in relations]
        retail = {k: v for k, v in item.items() if k != "href"}
        retail["id"] = prefix + pid
        price = item.get("price")
        if isinstance(price, dict) and price.get("value") is not None and price.get("unit"):
            retail["price"] = {**price, "value": (Money(Decimal(str(price["value"])) * factor,
                                                        str(price["unit"])).rounded().amount)}
        retail["popRelationship"] = [*relations, {"id": wholesale["id"], "name": wholesale["name"],
                                                  "relationshipType": WHOLESALE}]
        retail.setdefault("@type", _TYPES[PRICE])
        wholesale.setdefault("@type", _TYPES[PRICE])
        out_prices += [retail, wholesale]
    out = out_specs + out_offers + out_prices

    new_ids = {(kind_from_type(r) or "", str(r["id"])) for r in out}
    for kind, item, doc, parts in _resources(reseller):
        rid = str(item.get("id"))
        if (kind or "", rid) in new_ids:
            mine = next(r for r in out if str(r["id"]) == rid and kind_from_type(r) == kind)
            if mine != item:
                problems.append(Problem.at(doc.file, (*parts, "id"), f"the reseller's {KIND_LABEL.get(kind or '', '')} "
                                           f"{rid!r} is not the one the import brings (a different content under "
                                           "the same id); choose another prefix"))
        for n, ref in enumerate(item.get("bundledProductOffering") or [] if kind == OFFERING else []):
            ref_id = str(ref.get("id", "")) if isinstance(ref, dict) else ""
            if ref_id.startswith(prefix) and (OFFERING, ref_id) not in new_ids:
                problems.append(Problem.at(doc.file, (*parts, "bundledProductOffering", n, "id"),
                                           f"the reseller's bundle names partner offering {ref_id!r}, which the "
                                           "import does not bring"))
    if problems:
        files = sorted({p.file for p in problems})
        raise CatalogError(f"{', '.join(files)}: the partner catalog cannot be imported: {len(problems)} problem(s)",
                           sorted(problems, key=Problem.sort_key))
    return out



__all__ = ["import_partner_catalog"]
