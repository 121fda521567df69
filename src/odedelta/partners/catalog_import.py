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
    work = _Import(export, prefix)
    supplier = {"id": supplier_id, "name": supplier_name, "role": "supplier", "@referredType": "Organization"}
    out = [work.specification(sid, item, supplier) for sid, (item, _, _) in work.exported[SPECIFICATION].items()]
    out += [work.offering(oid, *found) for oid, found in work.exported[OFFERING].items()]
    factor = 1 + markup / 100
    for pid, found in work.exported[PRICE].items():
        out += work.prices(pid, *found, factor)
    work.check_reseller(reseller, out)
    if work.problems:
        files = sorted({p.file for p in work.problems})
        raise CatalogError(f"{', '.join(files)}: the partner catalog cannot be imported: {len(work.problems)} "
                           "problem(s)", sorted(work.problems, key=Problem.sort_key))
    return out


_Found = tuple[dict[str, Any], Document, tuple[int, ...]]


class _Import:
    """One import while it runs: the export's resources by kind and id, and the problems found so far."""

    def __init__(self, export: Sequence[Document], prefix: str) -> None:
        self.prefix = prefix
        self.problems: list[Problem] = []
        self.exported: dict[str, dict[str, _Found]] = {OFFERING: {}, SPECIFICATION: {}, PRICE: {}}
        for kind, item, doc, parts in _resources(export):
            if kind not in self.exported:
                label = KIND_LABEL.get(kind or "", repr(item.get("@type")))
                self.problems.append(Problem.at(doc.file, parts, f"a {label} is not imported: a partner export "
                                                "brings productOffering, productSpecification and "
                                                "productOfferingPrice"))
            elif "id" not in item:
                self.problems.append(Problem.at(doc.file, parts, f"{KIND_LABEL[kind]} without an id"))
            else:
                self.exported[kind][str(item["id"])] = (item, doc, parts)

    def ref(self, kind: str, ref: Any, doc: Document, parts: tuple[str | int, ...]) -> dict[str, Any]:
        """``ref`` pointing at the imported resource (an empty id, and a problem, when the export lacks it)."""
        rid = str(ref.get("id")) if isinstance(ref, dict) else None
        if rid in self.exported[kind]:
            return _ref(ref, self.prefix + rid)
        self.problems.append(Problem.at(doc.file, parts,
                                        f"references {KIND_LABEL[kind]} {rid!r}, which the export lacks"))
        return _ref(ref if isinstance(ref, dict) else {}, "")

    def specification(self, sid: str, item: dict[str, Any], supplier: dict[str, str]) -> dict[str, Any]:
        spec = {k: v for k, v in item.items() if k not in ("href", "relatedParty")}
        spec["id"] = self.prefix + sid
        others = [p for p in item.get("relatedParty") or [] if str(p.get("role", "")).lower() not in SUPPLIER_ROLES]
        spec["relatedParty"] = [*others, supplier]
        spec.setdefault("@type", _TYPES[SPECIFICATION])
        return spec

    def offering(self, oid: str, item: dict[str, Any], doc: Document, parts: tuple[int, ...]) -> dict[str, Any]:
        offer = {k: v for k, v in item.items() if k not in ("href", "category")}
        offer["id"] = self.prefix + oid
        if isinstance(item.get("productSpecification"), dict):
            offer["productSpecification"] = self.ref(SPECIFICATION, item["productSpecification"], doc,
                                                     (*parts, "productSpecification"))
        for key, kind in (("bundledProductOffering", OFFERING), ("productOfferingRelationship", OFFERING),
                          ("productOfferingPrice", PRICE)):
            if key in item:
                offer[key] = [self.ref(kind, ref, doc, (*parts, key, n)) for n, ref in enumerate(item[key] or [])]
        for n, use in enumerate(item.get("prodSpecCharValueUse") or []):
            if isinstance(use.get("productSpecification"), dict):
                spec = self.ref(SPECIFICATION, use["productSpecification"], doc,
                                (*parts, "prodSpecCharValueUse", n, "productSpecification"))
                offer["prodSpecCharValueUse"][n] = {**use, "productSpecification": spec}
        offer.setdefault("@type", _TYPES[OFFERING])
        return offer

    def prices(self, pid: str, item: dict[str, Any], doc: Document, parts: tuple[int, ...],
               factor: Decimal) -> list[dict[str, Any]]:
        """The retail price (the supplier's marked up by ``factor``) and the wholesale price it points at."""
        relations = [self.ref(PRICE, rel, doc, (*parts, "popRelationship", n))
                     for n, rel in enumerate(item.get("popRelationship") or [])]
        wholesale = {k: v for k, v in item.items() if k != "href"}
        wholesale.update(id=self.prefix + pid + "-wholesale", name=f"{item.get('name') or pid} (wholesale)")
        if relations:
            wholesale["popRelationship"] = [{**r, "id": r["id"] + "-wholesale"} for r in relations]
        retail = {k: v for k, v in item.items() if k != "href"}
        retail["id"] = self.prefix + pid
        price = item.get("price")
        if isinstance(price, dict) and price.get("value") is not None and price.get("unit"):
            retail["price"] = {**price, "value": (Money(Decimal(str(price["value"])) * factor,
                                                        str(price["unit"])).rounded().amount)}
        retail["popRelationship"] = [*relations, {"id": wholesale["id"], "name": wholesale["name"],
                                                  "relationshipType": WHOLESALE}]
        retail.setdefault("@type", _TYPES[PRICE])
        wholesale.setdefault("@type", _TYPES[PRICE])
        return [retail, wholesale]

    def check_reseller(self, reseller: Sequence[Document], out: Sequence[dict[str, Any]]) -> None:
        """The reseller's catalog neither holds another resource under an imported id nor bundles a partner
        offering the import does not bring."""
        new_ids = {(kind_from_type(r) or "", str(r["id"])) for r in out}
        for kind, item, doc, parts in _resources(reseller):
            rid = str(item.get("id"))
            if (kind or "", rid) in new_ids:
                mine = next(r for r in out if str(r["id"]) == rid and kind_from_type(r) == kind)
                if mine != item:
                    self.problems.append(Problem.at(
                        doc.file, (*parts, "id"), f"the reseller's {KIND_LABEL.get(kind or '', '')} {rid!r} is not "
                        "the one the import brings (a different content under the same id); choose another prefix"))
            for n, ref in enumerate(item.get("bundledProductOffering") or [] if kind == OFFERING else []):
                ref_id = str(ref.get("id", "")) if isinstance(ref, dict) else ""
                if ref_id.startswith(self.prefix) and (OFFERING, ref_id) not in new_ids:
                    self.problems.append(Problem.at(doc.file, (*parts, "bundledProductOffering", n, "id"),
                                                    f"the reseller's bundle names partner offering {ref_id!r}, which "
                                                    "the import does not bring"))


__all__ = ["import_partner_catalog"]
