"""Where the service reads its catalog and inventories: local files, or TMF620/TMF671/TMF637 servers over HTTP.

A catalog source is read once and again on request (``reload``); an inventory source is asked per request for one
customer's products. The calls go through :mod:`odedelta.service.outbound` (httpx): timeouts, bounded retries with
backoff, no redirects; a server that stays slow or down is a located :class:`SourceError` (a 502), never a hang.
"""

from __future__ import annotations

import json
import urllib.parse
from decimal import Decimal
from pathlib import Path
from typing import Any

from odedelta.service._core import (
    SUFFIXES,
    Catalog,
    Document,
    Inventory,
    LoadError,
    Problem,
    RequestError,
    catalog_from_documents,
    inventory_from_products,
    load_catalog,
    parse_text,
)
from odedelta.service.outbound import OutboundError, Retry, request

CATALOG_KINDS = ("category", "productSpecification", "productOfferingPrice", "productOffering")
PAGE = 100
MAX_PAGES = 10_000


class SourceError(LoadError):
    """A catalog or inventory server could not be read, or answered something that is not a TMF list."""


def is_url(text: object) -> bool:
    return isinstance(text, str) and text.startswith(("http://", "https://"))


def get_json(url: str, retry: Retry | None = None) -> tuple[Any, dict[str, str]]:
    """GET ``url`` as JSON (numbers with decimals as ``Decimal``); any failure is a located :class:`SourceError`."""
    try:
        response = request("GET", url, retry or Retry(), headers={"Accept": "application/json"})
    except OutboundError as exc:
        raise SourceError(str(exc), [Problem(url, "$", "cannot read")]) from None
    if response.status_code != 200:
        raise SourceError(f"{url}: the server answered {response.status_code} {response.reason_phrase}",
                          [Problem(url, "$", f"HTTP {response.status_code}")])
    try:
        return json.loads(response.content, parse_float=Decimal), {k.lower(): v for k, v in response.headers.items()}
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"{url}: the answer is not JSON ({exc})", [Problem(url, "$", "not JSON")]) from None


def get_all(url: str, params: dict[str, str] | None = None, retry: Retry | None = None) -> list[Any]:
    """Every element of a TMF list endpoint, page by page (``offset``/``limit``), until the ``X-Total-Count`` the
    server announced is reached or a page is empty (a server may return fewer than ``limit`` before the end)."""
    out: list[Any] = []
    for _ in range(MAX_PAGES):
        query = urllib.parse.urlencode({**(params or {}), "offset": str(len(out)), "limit": str(PAGE)})
        page_url = f"{url}?{query}"
        page, headers = get_json(page_url, retry)
        if not isinstance(page, list):
            raise SourceError(f"{page_url}: expected a JSON list, found {type(page).__name__}",
                              [Problem(page_url, "$", "expected a list")])
        out.extend(page)
        total = headers.get("x-total-count")
        if not page or (total is not None and total.isdigit() and len(out) >= int(total)):
            return out
    raise SourceError(f"{url}: more than {MAX_PAGES} pages", [Problem(url, "$", "too many pages")])


class CatalogSource:
    """A catalog directory (or file), a TMF620 server base URL (``…/productCatalogManagement/v4``; promotions from
    TMF671 ``…/promotionManagement/v4/promotion`` unless ``promotion_url`` says), or a catalog already loaded."""

    def __init__(self, where: str | Path | Catalog, promotion_url: str | None = None,
                 retry: Retry | None = None) -> None:
        self.where = where
        self.retry = retry or Retry()
        self.promotion_url = promotion_url
        if promotion_url is None and is_url(where):
            base = str(where).rstrip("/")
            self.promotion_url = (base.replace("productCatalogManagement", "promotionManagement")
                                  if "productCatalogManagement" in base else base)

    @property
    def reloadable(self) -> bool:
        return not isinstance(self.where, Catalog)

    def describe(self) -> str:
        return "a loaded catalog" if isinstance(self.where, Catalog) else str(self.where)

    def load(self) -> Catalog:
        if isinstance(self.where, Catalog):
            return self.where
        if not is_url(self.where):
            return load_catalog(self.where)
        base = str(self.where).rstrip("/")
        documents = [Document(f"{base}/{kind}", get_all(f"{base}/{kind}", None, self.retry), kind)
                     for kind in CATALOG_KINDS]
        promotions = f"{str(self.promotion_url).rstrip('/')}/promotion"
        documents.append(Document(promotions, get_all(promotions, None, self.retry), "promotion"))
        return catalog_from_documents(documents)


class InventorySource:
    """TMF637 products: a file or a directory of files (one customer's list each, as ``GET /product`` returns it),
    or a TMF637 server base URL (``…/productInventory/v4``) asked ``GET /product?relatedParty.id=…`` or ``?id=…``."""

    CACHED = 1024

    def __init__(self, where: str | Path | None, retry: Retry | None = None) -> None:
        self.where = where
        self.retry = retry or Retry()
        self._files: list[tuple[str, list[Any]]] | None = None
        self._built: dict[tuple[str | None, str | None], tuple[Catalog, Inventory]] = {}
        """Inventories built from local files, per (party, product) asked, with the catalog they were checked
        against; emptied by :meth:`reload`. A server's answers are never kept (its products may change)."""

    def describe(self) -> str:
        return str(self.where) if self.where is not None else "no inventory"

    def reload(self) -> None:
        self._files = None
        self._built = {}

    def _local(self) -> list[tuple[str, list[Any]]]:
        if self._files is None:
            files: list[tuple[str, list[Any]]] = []
            if self.where is not None:
                root = Path(self.where)
                paths = sorted(p for p in root.iterdir() if p.suffix.lower() in SUFFIXES) if root.is_dir() else [root]
                for path in paths:
                    try:
                        text = path.read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError) as exc:
                        raise LoadError(f"{path}: cannot read ({exc})", [Problem(str(path), "$", "cannot read")]) \
                            from None
                    data = parse_text(text, str(path), yaml_syntax=path.suffix.lower() != ".json")
                    files.append((str(path), data if isinstance(data, list) else [data]))
            self._files = files
        return self._files

    def customers(self) -> list[str] | None:
        """The customers the local files hold products of, sorted (the ``/ui/`` page's picker); None for a TMF637
        server, which is asked for one customer at a time (``?relatedParty.id=``), never for its whole base."""
        if self.where is None:
            return []
        if is_url(self.where):
            return None
        return sorted({found for _, products in self._local() for product in products
                       if (found := _customer(product)) is not None})

    def products(self, party: str | None, product_id: str | None) -> tuple[str, list[Any]]:
        """(where they came from, the TMF637 products) of ``party``, or of the customer holding ``product_id``."""
        if self.where is None:
            return "<no inventory>", []
        if is_url(self.where):
            return self._remote(party, product_id)
        files = self._local()
        if party is None and product_id is not None:
            for _, products in files:
                for product in products:
                    if isinstance(product, dict) and product.get("id") == product_id:
                        party = _customer(product)
                        if party is None:
                            return self._file_of(files, product_id)
                        break
                if party is not None:
                    break
            if party is None:
                raise self.unknown(product_id)
        if party is None:
            return "<no inventory>", []
        held = [(name, [p for p in products if _has_party(p, party)]) for name, products in files]
        held = [(name, found) for name, found in held if found]
        return ", ".join(name for name, _ in held) or f"<no products of {party}>", [p for _, f in held for p in f]

    @staticmethod
    def _file_of(files: list[tuple[str, list[Any]]], product_id: str) -> tuple[str, list[Any]]:
        for name, products in files:
            if any(isinstance(p, dict) and p.get("id") == product_id for p in products):
                return name, products
        raise RequestError(f"unknown product {product_id!r}")

    def _remote(self, party: str | None, product_id: str | None) -> tuple[str, list[Any]]:
        url = f"{str(self.where).rstrip('/')}/product"
        if party is None and product_id is not None:
            found = get_all(url, {"id": product_id}, self.retry)
            if not found:
                raise self.unknown(product_id)
            party = _customer(found[0])
            if party is None:
                return f"{url}?id={product_id}", found
        if party is None:
            return "<no inventory>", []
        return f"{url}?relatedParty.id={party}", get_all(url, {"relatedParty.id": party}, self.retry)

    def unknown(self, product_id: str) -> RequestError:
        """The refusal of a product no customer holds (also of one the caller may not see: the same words). It goes
        to the caller: it names neither the server's folders nor its upstream's address."""
        return RequestError(f"unknown product {product_id!r}: no inventory holds it")

    def customer(self, party: str | None, product_id: str | None) -> str | None:
        """The customer a request is for: its party, else the holder of ``product_id`` (None: unknown)."""
        if party is not None or product_id is None or self.where is None:
            return party
        if is_url(self.where):
            found = get_all(f"{str(self.where).rstrip('/')}/product", {"id": product_id}, self.retry)
            return _customer(found[0]) if found else None
        for _, products in self._local():
            for product in products:
                if isinstance(product, dict) and product.get("id") == product_id:
                    return _customer(product)
        return None

    def inventory(self, catalog: Catalog, party: str | None, product_id: str | None) -> Inventory:
        """The customer's products checked against ``catalog`` (the engine never modifies an inventory, so one
        built from local files serves every request of that customer until a reload)."""
        key = (party, product_id)
        cached = self._built.get(key)
        if cached is not None and cached[0] is catalog:
            return cached[1]
        origin, products = self.products(party, product_id)
        inventory = inventory_from_products(catalog, products, origin)
        if self.where is not None and not is_url(self.where):
            if len(self._built) >= self.CACHED:
                self._built = {}
            self._built[key] = (catalog, inventory)
        return inventory


def _parties(product: Any) -> list[tuple[str, str]]:
    out = []
    for party in product.get("relatedParty") or [] if isinstance(product, dict) else []:
        if isinstance(party, dict):
            pid = party.get("id") or (party.get("partyOrPartyRole") or {}).get("id")
            if isinstance(pid, str):
                out.append((str(party.get("role", "")).lower(), pid))
    return out


def _customer(product: Any) -> str | None:
    parties = _parties(product)
    return next((pid for role, pid in parties if role == "customer"), parties[0][1] if parties else None)


def _has_party(product: Any, party: str) -> bool:
    return any(pid == party for _, pid in _parties(product))

