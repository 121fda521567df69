"""The TMF620/TMF671/TMF637 client against a real HTTP server on loopback serving the demo catalog and inventories
in the official shapes, a page at a time."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

import odedelta
from odedelta.service import CatalogSource, InventorySource, create_app

from .conftest import DEMO, ROOT

CATALOG_API = "/tmf-api/productCatalogManagement/v4"
PROMOTION_API = "/tmf-api/promotionManagement/v4"
INVENTORY_API = "/tmf-api/productInventory/v4"
MAX_PAGE = 7  # the server returns at most this many per page, whatever limit the client asks


def _catalog() -> dict[str, list[dict[str, Any]]]:
    """The demo catalog's resources by kind, as a TMF620/671 server holds them: the files named after a kind, and the
    resources of the other files (an imported partner catalog) by their @type."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(DEMO.glob("*.json")):
        for item in json.loads(path.read_text()):
            kind = path.stem if path.stem in ("productOffering", "productSpecification", "productOfferingPrice",
                                              "category", "promotion") else item["@type"][0].lower() + item["@type"][1:]
            kinds.setdefault(kind, []).append(item)
    return kinds


def _products() -> list[dict[str, Any]]:
    return [p for f in sorted((DEMO / "inventories").glob("*.json")) for p in json.loads(f.read_text())]


class _Tmf(BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        headers = {}
        if url.path.startswith(CATALOG_API + "/"):
            kind = url.path.removeprefix(CATALOG_API + "/")
            found = _catalog().get(kind, [])
            headers["X-Total-Count"] = str(len(found))  # announced by the catalog, not by the inventory
        elif url.path == PROMOTION_API + "/promotion":
            found = _catalog()["promotion"]
            headers["X-Total-Count"] = str(len(found))
        elif url.path == INVENTORY_API + "/product":
            found = [p for p in _products()
                     if ("id" not in query or p["id"] == query["id"])
                     and ("relatedParty.id" not in query
                          or any(r.get("id") == query["relatedParty.id"] for r in p.get("relatedParty", [])))]
        else:
            self.send_error(404)
            return
        offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", MAX_PAGE)), MAX_PAGE)
        page = found[offset:offset + limit]
        body = json.dumps(page).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Tmf", (_Tmf,), {"requests": requests}))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()
    httpd.server_close()


def test_catalog_from_a_tmf620_server_page_by_page(server: tuple[str, list[str]]) -> None:
    base, requests = server
    requests.clear()
    catalog = CatalogSource(base + CATALOG_API).load()
    demo = odedelta.load_catalog(DEMO)
    assert catalog.counts() == demo.counts()
    assert sorted(catalog.offerings) == sorted(demo.offerings)
    offerings = [r for r in requests if r.startswith(CATALOG_API + "/productOffering?")]
    assert offerings == [f"{CATALOG_API}/productOffering?offset={o}&limit=100" for o in range(0, 51, MAX_PAGE)]
    assert f"{PROMOTION_API}/promotion?offset=0&limit=100" in requests


def test_inventory_from_a_tmf637_server_by_party_and_by_product(server: tuple[str, list[str]]) -> None:
    base, requests = server
    catalog = odedelta.load_catalog(DEMO)
    source = InventorySource(base + INVENTORY_API)
    alice = [p["id"] for p in json.loads((DEMO / "inventories" / "alice.json").read_text())]
    requests.clear()
    assert sorted(source.inventory(catalog, "alice", None).products) == sorted(alice)
    # no X-Total-Count: pages of 7, then 2, then the empty page that ends it
    assert len(alice) == 9
    assert requests == [f"{INVENTORY_API}/product?relatedParty.id=alice&offset={o}&limit=100" for o in (0, 7, 9)]
    requests.clear()
    assert sorted(source.inventory(catalog, None, "F-3").products) == sorted(alice)
    assert requests[0] == f"{INVENTORY_API}/product?id=F-3&offset=0&limit=100"
    with pytest.raises(odedelta.RequestError, match="unknown product 'Z-9'"):
        source.inventory(catalog, None, "Z-9")


def test_the_service_fed_by_servers_answers_as_fed_by_files(server: tuple[str, list[str]]) -> None:
    base, _ = server
    moment = datetime(2026, 2, 20, tzinfo=UTC)
    remote = TestClient(create_app(base + CATALOG_API, ROOT / "rules", base + INVENTORY_API, clock=lambda: moment))
    local = TestClient(create_app(DEMO, ROOT / "rules", DEMO / "inventories", clock=lambda: moment))
    body = {"cartItem": [{"action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}]}
    answers = [c.post("/tmf-api/shoppingCart/v4/shoppingCart", params={"asOf": "2026-03-01T00:00:00Z"}, json=body)
               for c in (remote, local)]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].content == answers[1].content
    assert remote.post("/admin/reload").json()["counts"]["productOffering"] == 51


def test_an_unreachable_inventory_server_is_a_502_tmf_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = TestClient(create_app(DEMO, None, f"http://127.0.0.1:{port}{INVENTORY_API}"))
    response = client.post("/tmf-api/shoppingCart/v4/shoppingCart", params={"asOf": "2026-03-01T00:00:00Z"},
                           json={"cartItem": [{"action": "modify", "product": {"id": "F-1"},
                                               "productOffering": {"id": "po-fiber-300"}}]})
    assert response.status_code == 502
    assert response.json()["message"].startswith(f"http://127.0.0.1:{port}{INVENTORY_API}/product?id=F-1")


def test_an_unknown_product_is_refused_without_naming_the_servers_folders_or_upstream(
        server: tuple[str, list[str]]) -> None:
    """The refusal goes to the API's caller: the inventory's folder or TMF637 address is the operator's business."""
    base, _ = server
    catalog = odedelta.load_catalog(DEMO)
    for source in (InventorySource(base + INVENTORY_API), InventorySource(DEMO / "inventories")):
        with pytest.raises(odedelta.RequestError) as refused:
            source.inventory(catalog, None, "Z-9")
        assert str(refused.value) == "unknown product 'Z-9': no inventory holds it"
