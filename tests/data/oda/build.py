"""Build catalog directories from the vendored TM Forum ODA payloads (see SOURCES.md).

The payloads are create bodies: they carry no ``id`` (the server assigns one) and the retail-and-wholesale ones
name each other through Postman variables (``{{specFibre100Id}}``). This script does what running them against a
catalog server would do, and nothing else: it gives each resource an id, replaces the variables by the ids and
names of the resources they stand for, applies the two ``PATCH /catalog/{id}`` bodies to their catalogs, and
groups the resources into one file per kind. The payloads' content is otherwise written unchanged.

    python tests/data/oda/build.py OUT_DIR      # writes OUT_DIR/retail_and_wholesale, enterprise, wholesale

Ids:

* retail and wholesale (Postman): the variable the collection's test script stores the created id in, without its
  ``Id`` suffix (``specFibre100Id`` → ``specFibre100``, ``redBrandId`` → ``redBrand``); offerings, whose id the
  collection does not store, get the slug of their file name (``20-offering-fibre-100.json`` → ``fibre-100``);
* enterprise and wholesale (MCP test payloads): a specification's ``productNumber`` (the id its offerings
  reference), a category the id its offerings reference for its name, an offering the id a price names in its
  ``productOffering`` field where one does, else its file name; prices and catalogs their file name.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RETAIL = HERE / "retail_and_wholesale"
MCP = HERE / "mcp"

KIND_FILES = {
    "Catalog": "catalog.json",
    "Category": "category.json",
    "ProductSpecification": "productSpecification.json",
    "ProductOfferingPrice": "productOfferingPrice.json",
    "ProductOffering": "productOffering.json",
}
# retail-and-wholesale body → (kind, the Postman variable its id is stored in, without "Id")
RETAIL_IDS = {
    "catalog-redbrand": ("Catalog", "redBrand"),
    "catalog-mvno": ("Catalog", "mvno"),
    "category-mobile": ("Category", "catMobile"),
    "category-broadband": ("Category", "catBroadband"),
    "category-mvno-wholesale": ("Category", "catMVNO"),
    "spec-unlimited-sim": ("ProductSpecification", "specUnlimitedSim"),
    "spec-pay-as-you-go": ("ProductSpecification", "specPayAsYouGo"),
    "spec-fibre-100": ("ProductSpecification", "specFibre100"),
    "spec-fibre-900": ("ProductSpecification", "specFibre900"),
    "spec-mvno-data": ("ProductSpecification", "specMVNOData"),
    "spec-mvno-voice": ("ProductSpecification", "specMVNOVoice"),
    "spec-mvno-bundle": ("ProductSpecification", "specMVNOBundle"),
    "price-mob1": ("ProductOfferingPrice", "priceMob1"),
    "price-mob2": ("ProductOfferingPrice", "priceMob2"),
    "price-mob3": ("ProductOfferingPrice", "priceMob3"),
    "price-bb1": ("ProductOfferingPrice", "priceBB1"),
    "price-bb2": ("ProductOfferingPrice", "priceBB2"),
    "price-bb3": ("ProductOfferingPrice", "priceBB3"),
    "price-mvno1": ("ProductOfferingPrice", "priceMVNO1"),
    "price-mvno2": ("ProductOfferingPrice", "priceMVNO2"),
    "price-mvno3": ("ProductOfferingPrice", "priceMVNO3"),
    "price-mvno4": ("ProductOfferingPrice", "priceMVNO4"),
}
PATCHES = {"patch-redbrand-categories": "redBrand", "patch-mvno-categories": "mvno"}
VARIABLE = re.compile(r"\{\{(\w+?)(Id|Name)\}\}")


def _slug(path: Path) -> str:
    return path.stem.split("-", 1)[1]


def _substitute(value: Any, ids: dict[str, str], names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, ids, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids, names) for v in value]
    if isinstance(value, str):
        return VARIABLE.sub(lambda m: (ids if m.group(2) == "Id" else names)[m.group(1)], value)
    return value


def retail_and_wholesale() -> dict[str, list[dict[str, Any]]]:
    bodies = {_slug(p): json.loads(p.read_text()) for p in sorted(RETAIL.glob("*.json"))}
    ids = {var: var for _, var in RETAIL_IDS.values()}
    names = {var: bodies[slug]["name"] for slug, (_, var) in RETAIL_IDS.items()}
    groups: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KIND_FILES}
    by_id: dict[str, dict[str, Any]] = {}
    for slug, body in bodies.items():
        if slug in PATCHES:
            continue
        if slug in RETAIL_IDS:
            kind, ident = RETAIL_IDS[slug][0], ids[RETAIL_IDS[slug][1]]
        elif slug.startswith("offering-"):
            kind, ident = "ProductOffering", slug.removeprefix("offering-")
        else:
            raise SystemExit(f"{slug}: no id rule for this body")
        resource = {"id": ident, **_substitute(body, ids, names)}
        groups[kind].append(resource)
        by_id[ident] = resource
    for slug, catalog in PATCHES.items():  # PATCH /catalog/{id} (merge patch: the category list is replaced)
        by_id[catalog].update(_substitute(bodies[slug], ids, names))
    return groups


def _mcp(prefix: str) -> dict[str, list[dict[str, Any]]]:
    files = {p.stem: json.loads(p.read_text()) for p in sorted(MCP.glob(f"{prefix}_*.json"))}
    category_ids = {ref["name"]: ref["id"] for body in files.values() for ref in body.get("category", [])}
    offering_ids = {stem.removesuffix("_price") + "_offering": body["productOffering"]["id"]
                    for stem, body in files.items() if stem.endswith("_price") and "productOffering" in body}
    groups: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KIND_FILES}
    for stem, body in files.items():
        kind = body["@type"]
        if kind == "ProductSpecification":
            ident = body["productNumber"]
        elif kind == "Category":
            ident = category_ids.get(body["name"], stem)
        elif kind == "ProductOffering":
            ident = offering_ids.get(stem, stem)
        else:
            ident = stem
        groups[kind].append({"id": ident, **body})
    return groups


def build(out: Path) -> dict[str, Path]:
    """Write the three catalog directories under ``out``; return them by name."""
    made = {}
    for name, groups in (("retail_and_wholesale", retail_and_wholesale()), ("enterprise", _mcp("enterprise")),
                         ("wholesale", _mcp("wholesale"))):
        directory = out / name
        directory.mkdir(parents=True, exist_ok=True)
        for kind, resources in groups.items():
            if resources:
                (directory / KIND_FILES[kind]).write_text(json.dumps(resources, indent=2, ensure_ascii=False) + "\n")
        made[name] = directory
    return made


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for name, path in build(Path(sys.argv[1])).items():
        print(f"{name}: {path}")
