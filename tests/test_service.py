"""The service adapter: every API on its official path, answers that validate against the official schemas and
equal the engine's, TMF errors for bad input, persistence across restarts, listeners, the bearer token."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

import odedelta
import odedelta.service as odedelta_service
from odedelta.adapters import cli
from odedelta.model import jsonio
from odedelta.outputs.schemas import validation_errors
from odedelta.service import create_app, encode

from .conftest import DEMO, ROOT

RULES = ROOT / "rules"
INVENTORIES = DEMO / "inventories"
AS_OF = "2026-03-01T00:00:00Z"
CART = "/tmf-api/shoppingCart/v{v}/shoppingCart"
ORDER = "/tmf-api/productOrderingManagement/v{v}"
QUOTE = "/tmf-api/quoteManagement/v4/quote"
POQ4 = "/tmf-api/productOfferingQualification/v4/productOfferingQualification"
POQ5 = "/tmf-api/productOfferingQualification/v5/checkProductOfferingQualification"
NOW = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)
DOWNGRADE = [{"action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}]


def _app(**kwargs: Any) -> TestClient:
    return TestClient(create_app(DEMO, RULES, INVENTORIES, clock=lambda: NOW, **kwargs))


@pytest.fixture(scope="module")
def client() -> TestClient:
    return _app()


def _valid(document: Any, api: str, version: int, schema: str) -> None:
    assert validation_errors(document, api, version, schema) == []


def _flat(items: list[dict[str, Any]], key: str = "cartItem") -> list[dict[str, Any]]:
    out = []
    for item in items:
        out.append(item)
        out += _flat(item.get(key, []), key)
    return out


def _amount(prices: list[dict[str, Any]], name: str) -> Decimal:
    return next(Decimal(str(p["price"]["taxIncludedAmount"]["value"])) for p in prices if p["name"] == name)


def _engine_result() -> odedelta.ChangeResult:
    catalog = odedelta.load_catalog(DEMO)
    engine = odedelta.Engine(catalog, odedelta.load_rules(RULES, catalog))
    alice = odedelta.load_inventory(INVENTORIES / "alice.json", catalog)
    return engine.change(alice, odedelta.ChangeOffer(product="F-1", to="po-fiber-300"),
                         as_of=datetime(2026, 3, 1, tzinfo=UTC))


# ---------------------------------------------------------------------------------------------- TMF663
@pytest.mark.parametrize("version", [4, 5])
def test_cart_of_the_downgrade_that_loses_a_promotion(client: TestClient, version: int) -> None:
    response = client.post(CART.format(v=version), params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE})
    assert response.status_code == 201, response.text
    cart = response.json()
    _valid(cart, "TMF663", version, "ShoppingCart")
    expected = _engine_result()
    items = _flat(cart["cartItem"])
    assert [(i["product"]["id"], i["action"]) for i in items] == sorted(
        ((i.product_id, i.action.value) for i in expected.items),
        key=lambda pair: [i["product"]["id"] for i in items].index(pair[0]))
    assert {i["product"]["id"]: i["action"] for i in items} == {
        "F-1": "modify", "F-2": "modify", "F-3": "noChange", "F-4": "delete", "F-5": "noChange"}
    assert [i["product"]["id"] for i in cart["cartItem"]] == ["F-1"]  # components nested under their bundle
    root = cart["cartItem"][0]
    before = next(p for p in root["itemPrice"] if p.get("description") == "before the change")
    after = next(p for p in root["itemPrice"] if p.get("description") == "after the change")
    assert (before["price"]["taxIncludedAmount"]["value"], after["price"]["taxIncludedAmount"]["value"]) == (50, 40)
    penalty = next(p for p in root["itemPrice"] if p["priceType"] == "oneTime")
    assert penalty["name"] == "Early downgrade fee" and penalty["price"]["taxIncludedAmount"]["value"] == 60
    assert root["itemTerm"][0]["duration"] == {"amount": 12, "units": "month", **({"@type": "Duration"}
                                                                                  if version == 5 else {})}
    assert any("promotion lost: StreamMax included" in n["text"] for n in root["note"])
    f4 = next(i for i in items if i["product"]["id"] == "F-4")
    assert f4["note"][0]["text"].startswith("promotion_lost:")
    totals = cart["cartTotalPrice"]
    consequences = expected.consequences
    assert consequences is not None
    assert _amount(totals, "Total per month before the change") == consequences.recurring_before.amount == 54
    assert _amount(totals, "Total per month after the change") == consequences.recurring_after.amount == 44
    assert _amount(totals, "Penalties") == 60 and _amount(totals, "Total due now") == 60
    assert _amount(totals, "One-time charges and fees") == 0
    assert cart["relatedParty"][0]["id" if version == 4 else "partyOrPartyRole"] in ("alice", {
        "id": "alice", "@type": "PartyRef", "@referredType": "Individual"})
    again = client.get(f"{CART.format(v=version)}/{cart['id']}")
    assert again.status_code == 200 and again.json() == cart


def test_cart_patch_recomputes_and_get_returns_it(client: TestClient) -> None:
    cart = client.post(CART.format(v=4), params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}).json()
    upgrade = [{"action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-1000"}}]
    response = client.patch(f"{CART.format(v=4)}/{cart['id']}", json={"cartItem": upgrade},
                            headers={"Content-Type": "application/merge-patch+json"})
    assert response.status_code == 200, response.text
    patched = response.json()
    _valid(patched, "TMF663", 4, "ShoppingCart")
    assert patched["id"] == cart["id"]
    assert patched["cartItem"][0]["productOffering"]["id"] == "po-fiber-1000"
    assert {i["product"].get("id"): i["action"] for i in _flat(patched["cartItem"])}["F-4"] == "noChange"
    assert _amount(patched["cartTotalPrice"], "Penalties") == 0
    assert client.get(f"{CART.format(v=4)}/{cart['id']}").json() == patched
    assert client.get(f"{CART.format(v=5)}/{cart['id']}").status_code == 404  # a v4 cart is not a v5 one
    assert client.delete(f"{CART.format(v=4)}/{cart['id']}").status_code == 204
    assert client.get(f"{CART.format(v=4)}/{cart['id']}").status_code == 404


def test_cart_add_and_delete_intents(client: TestClient) -> None:
    add = [{"action": "add", "productOffering": {"id": "po-static-ip"},
            "product": {"productRelationship": [{"relationshipType": "bundled", "product": {"id": "F-1"}}]}}]
    response = client.post(CART.format(v=4), params={"asOf": AS_OF},
                           json={"cartItem": add, "relatedParty": [{"id": "alice", "role": "customer"}]})
    assert response.status_code == 201, response.text
    actions = {(i["productOffering"]["id"], i["action"]) for i in _flat(response.json()["cartItem"])}
    assert ("po-static-ip", "add") in actions
    removal = client.post(CART.format(v=4), params={"asOf": AS_OF},
                          json={"cartItem": [{"action": "delete", "product": {"id": "F-5"}}]})
    assert removal.status_code == 201, removal.text
    assert [(i["product"]["id"], i["action"]) for i in _flat(removal.json()["cartItem"]) if i["action"] == "delete"] \
        == [("F-5", "delete")]


# ---------------------------------------------------------------------------------------------- TMF679
@pytest.mark.parametrize(("version", "path", "key", "schema"), [
    (4, POQ4, "productOfferingQualificationItem", "ProductOfferingQualification"),
    (5, POQ5, "checkProductOfferingQualificationItem", "CheckProductOfferingQualification"),
])
def test_qualification_lists_every_candidate(client: TestClient, version: int, path: str, key: str,
                                              schema: str) -> None:
    response = client.post(path, params={"asOf": "2025-06-01T00:00:00Z"}, json={key: [{"product": {"id": "A-1"}}]})
    assert response.status_code == 201, response.text
    document = response.json()
    _valid(document, "TMF679", version, schema)
    catalog = odedelta.load_catalog(DEMO)
    engine = odedelta.Engine(catalog, odedelta.load_rules(RULES, catalog))
    expected = engine.qualify(odedelta.load_inventory(INVENTORIES / "alice.json", catalog), "A-1",
                              as_of=datetime(2025, 6, 1, tzinfo=UTC))
    items = document[key]
    assert [i["productOffering"]["id"] for i in items] == [c.offering_id for c in expected.candidates]
    results = {i["productOffering"]["id"]: i["qualificationItemResult"] for i in items}
    for candidate in expected.candidates:
        assert (results[candidate.offering_id] == "qualified") is candidate.qualified
    priced = [i for i in items if any(n["text"].startswith("monthly price") for n in i.get("note", []))]
    assert priced  # price differences are given
    refused = [i for i in items if i["qualificationItemResult"] != "qualified"]
    reasons = "eligibilityResultReason" if version == 5 else "eligibilityUnavailabilityReason"
    assert refused and all(i[reasons] for i in refused)
    one = client.post(path, params={"asOf": "2025-06-01T00:00:00Z"},
                      json={key: [{"product": {"id": "A-1"}, "productOffering": {"id": items[0]["productOffering"]
                                                                                  ["id"]}}]}).json()
    assert [i["productOffering"]["id"] for i in one[key]] == [items[0]["productOffering"]["id"]]
    assert client.get(f"{path}/{document['id']}").json() == document


# ---------------------------------------------------------------------------------------------- TMF648
def test_quote_of_a_change_and_of_a_refused_one(client: TestClient) -> None:
    response = client.post(QUOTE, params={"asOf": AS_OF}, json={"quoteItem": DOWNGRADE})
    assert response.status_code == 201, response.text
    quote = response.json()
    _valid(quote, "TMF648", 4, "Quote")
    assert quote["state"] == "approved"
    assert {i["product"]["id"]: i["action"] for i in _flat(quote["quoteItem"], "quoteItem")}["F-4"] == "delete"
    assert _amount(quote["quoteTotalPrice"], "Penalties") == 60
    assert any(n["text"].startswith("term: 12-month commitment") for n in quote["quoteItem"][0]["note"])
    early = client.post(QUOTE, params={"asOf": "2025-10-01T00:00:00Z"}, json={"quoteItem": DOWNGRADE}).json()
    _valid(early, "TMF648", 4, "Quote")
    assert early["state"] == "rejected"
    assert "downgrade_too_early" in early["note"][0]["text"]
    assert client.get(f"{QUOTE}/{quote['id']}").json() == quote


# ---------------------------------------------------------------------------------------------- TMF622
class _Listener(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    received: list[tuple[str, dict[str, Any]]] = []
    handler = type("Listener", (_Listener,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/client", received
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("version", [4, 5])
def test_order_is_completed_acknowledged_and_announced(version: int, listener: Any) -> None:
    client = _app(callback_allow=["127.0.0.1/32"])  # the test's listener is on loopback: allowed explicitly
    url, received = listener
    hub = client.post(f"{ORDER.format(v=version)}/hub", json={"callback": url})
    assert hub.status_code == 201 and hub.json()["callback"] == url
    response = client.post(f"{ORDER.format(v=version)}/productOrder", params={"asOf": AS_OF},
                           json={"productOrderItem": [{"id": "1", **DOWNGRADE[0]}],
                                 "relatedParty": [{"id": "alice", "role": "customer"}]})
    assert response.status_code == 201, response.text
    order = response.json()
    _valid(order, "TMF622", version, "ProductOrder")
    assert order["state"] == "acknowledged"
    expected = odedelta.to_tmf622(_engine_result(), version)
    assert [(i["action"], i["product"].get("id")) for i in order["productOrderItem"]] == [
        (i["action"], i["product"].get("id")) for i in expected["productOrderItem"]]
    assert order["orderTotalPrice"] == json.loads(json.dumps(expected["orderTotalPrice"], default=float))
    assert [(path, event["eventType"], event["event"]["productOrder"]["id"]) for path, event in received] == [
        ("/client/listener/productOrderCreateEvent", "ProductOrderCreateEvent", order["id"])]
    early = client.post(f"{ORDER.format(v=version)}/productOrder", params={"asOf": "2025-10-01T00:00:00Z"},
                        json={"productOrderItem": [{"id": "1", **DOWNGRADE[0]}]})
    assert early.status_code == 201
    rejected = early.json()
    _valid(rejected, "TMF622", version, "ProductOrder")
    assert rejected["state"] == "rejected" and "downgrade_too_early" in rejected["note"][0]["text"]
    assert [event["eventType"] for _, event in received[1:]] == ["ProductOrderCreateEvent",
                                                                 "ProductOrderStateChangeEvent"]
    assert client.delete(f"{ORDER.format(v=version)}/hub/{hub.json()['id']}").status_code == 204
    listed = client.get(f"{ORDER.format(v=version)}/productOrder", params={"fields": "state", "limit": 1,
                                                                           "offset": 1})
    assert listed.status_code == 200
    assert listed.json() == [{"id": rejected["id"], "state": "rejected"}]
    assert (listed.headers["X-Total-Count"], listed.headers["X-Result-Count"]) == ("2", "1")
    assert client.get(f"{ORDER.format(v=version)}/productOrder/{order['id']}").json() == order


@pytest.mark.parametrize("version", [4, 5])
def test_an_order_touching_a_partner_product_exposes_its_partner_orders(version: int, client: TestClient) -> None:
    base = ORDER.format(v=version)
    response = client.post(f"{base}/productOrder", params={"asOf": AS_OF},
                           json={"productOrderItem": [{"id": "1", **DOWNGRADE[0]}],
                                 "relatedParty": [{"id": "alice", "role": "customer"}]})
    order = response.json()
    _valid(order, "TMF622", version, "ProductOrder")
    partners = client.get(f"{base}/productOrder/{order['id']}/partnerOrder")
    assert partners.status_code == 200
    [partner] = partners.json()  # StreamMax's removal of F-4, and nothing else
    _valid(partner, "TMF622", version, "ProductOrder_Create" if version == 4 else "ProductOrder_FVO")
    reference = order["externalId"] if version == 4 else order["externalId"][0]["id"]
    external = partner["externalId"] if version == 4 else partner["externalId"][0]["id"]
    assert reference.startswith("odedelta-") and reference.endswith(f"-{order['id']}")
    assert external == f"{reference}:org-streammax"
    again = client.post(f"{base}/productOrder", params={"asOf": AS_OF},  # the same change ordered again
                        json={"productOrderItem": [{"id": "1", **DOWNGRADE[0]}],
                              "relatedParty": [{"id": "alice", "role": "customer"}]}).json()
    assert (again["externalId"] if version == 4 else again["externalId"][0]["id"]) != reference
    assert [(i["action"], i["product"]["id"]) for i in partner["productOrderItem"]] == [("delete", "F-4")]
    served = {i["id"] for i in order["productOrderItem"]}
    assert {i["id"] for i in partner["productOrderItem"]} <= served  # each partner item is its customer item
    # an order with no partner item has none, and no externalId; an unknown order is a 404
    mobile = client.post(f"{base}/productOrder", params={"asOf": AS_OF}, json={"productOrderItem": [
        {"id": "1", "action": "modify", "product": {"id": "A-1"}, "productOffering": {"id": "po-mobile-l"}}],
        "relatedParty": [{"id": "alice", "role": "customer"}]}).json()
    assert "externalId" not in mobile and client.get(f"{base}/productOrder/{mobile['id']}/partnerOrder").json() == []
    assert client.get(f"{base}/productOrder/999/partnerOrder").status_code == 404


def test_hub_refuses_every_listener_without_callback_allow(client: TestClient) -> None:
    for url in ("http://example.com/listener", "http://127.0.0.1:18099/arbitrary/internal/path"):
        response = client.post(f"{ORDER.format(v=4)}/hub", json={"callback": url})
        assert response.status_code == 422
        assert "started without --callback-allow" in response.json()["message"]


# ---------------------------------------------------------------------------------------------- errors, token
@pytest.mark.parametrize(("kwargs", "status", "words"), [
    ({"content": b'{"cartItem": [', "headers": {"Content-Type": "application/json"}}, 400, "<body>:1:15: invalid JSON"),
    ({"content": b"cartItem", "headers": {"Content-Type": "text/plain"}}, 415, "must be application/json"),
    ({"content": b" " * (1 << 20) + b"{}", "headers": {"Content-Type": "application/json"}}, 413, "larger than"),
    # TMF630: malformed or incomplete is 400 (issue 25)
    ({"json": []}, 400, "a valid dictionary or object to extract fields from @ $"),
    ({"json": {"cartItem": []}}, 400, "at least 1 item after validation, not 0 @ $.cartItem"),
    ({"json": {"cartItem": [{"action": "modify", "product": {"id": "F-99"},
                             "productOffering": {"id": "po-fiber-300"}}]}}, 422, "unknown product 'F-99'"),
    ({"json": {"cartItem": [{"action": "modify", "product": {"id": "F-1"},
                             "productOffering": {"id": "po-fibre-300"}}]}}, 422, "po-fibre-300"),
    # an action the schema does not have: the body does not fit the served schema (400, issue 25)
    ({"json": {"cartItem": [{"action": "replace", "product": {"id": "F-1"}}]}}, 400,
     "Input should be 'add', 'modify', 'delete' or 'noChange' @ $.cartItem[0].action"),
])
def test_bad_requests_are_tmf_errors(client: TestClient, kwargs: dict[str, Any], status: int, words: str) -> None:
    response = client.post(CART.format(v=4), params={"asOf": AS_OF}, **kwargs)
    assert response.status_code == status, response.text
    error = response.json()
    _valid(error, "TMF663", 4, "Error")
    assert error["status"] == str(status) and words in error["message"]


def test_unknown_offering_message_is_the_librarys(client: TestClient) -> None:
    body = {"cartItem": [{"action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fibre-300"}}]}
    message = client.post(CART.format(v=4), params={"asOf": AS_OF}, json=body).json()["message"]
    assert "did you mean 'po-fiber-300'" in message


def test_not_found_bad_as_of_and_wrong_method(client: TestClient) -> None:
    assert client.get(f"{CART.format(v=4)}/999").json()["status"] == "404"
    assert client.get("/tmf-api/nothing").status_code == 404
    bad = client.post(CART.format(v=4), params={"asOf": "yesterday"}, json={"cartItem": DOWNGRADE})
    assert bad.status_code == 400 and "'yesterday' is not an ISO-8601 date-time" in bad.json()["message"]
    assert bad.json()["message"].endswith("@ asOf")
    assert client.put(CART.format(v=4), json={}).status_code == 405


def test_token_protects_every_route_but_health_and_the_openapi() -> None:
    client = _app(token="s3cret")
    for method, path in [("get", CART.format(v=4)), ("post", CART.format(v=4)), ("post", "/admin/reload"),
                         ("get", f"{ORDER.format(v=5)}/productOrder/1")]:
        refused = getattr(client, method)(path)
        assert refused.status_code == 401 and refused.json()["code"] == "401"
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert client.get(CART.format(v=4), headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get(CART.format(v=4), headers={"Authorization": "Bearer s3cret"}).status_code == 200
    # liveness probes and clients reading the contract need no secret; /health names no file, URL or store
    health = client.get("/health")
    assert health.status_code == 200 and set(health.json()) == {"status", "counts"}
    assert client.get("/openapi.json").status_code == 200


def test_health_and_openapi_names_the_tmf_operations(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["counts"]["productOffering"] == 51
    spec = client.get("/openapi.json").json()
    operations = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"TMF679v4_createProductOfferingQualification", "TMF679v5_createCheckProductOfferingQualification",
            "TMF663v4_createShoppingCart", "TMF663v5_patchShoppingCart", "TMF648v4_createQuote",
            "TMF622v4_createProductOrder", "TMF622v5_listProductOrder", "TMF622v4_registerListener"} <= operations


# ---------------------------------------------------------------------------------------------- persistence
def test_a_restart_loses_nothing(tmp_path: Path) -> None:
    store = tmp_path / "odedelta.sqlite"
    first = _app(store_path=store)
    cart = first.post(CART.format(v=5), params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE})
    order = first.post(f"{ORDER.format(v=4)}/productOrder", params={"asOf": AS_OF},
                       json={"productOrderItem": DOWNGRADE})
    quote = first.post(QUOTE, params={"asOf": AS_OF}, json={"quoteItem": DOWNGRADE})
    first.app.state.service.store.close()  # type: ignore[attr-defined]
    second = _app(store_path=store)
    assert second.get(f"{CART.format(v=5)}/{cart.json()['id']}").content == cart.content
    assert second.get(f"{ORDER.format(v=4)}/productOrder/{order.json()['id']}").content == order.content
    assert second.get(f"{QUOTE}/{quote.json()['id']}").content == quote.content
    following = second.post(CART.format(v=5), params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}).json()
    assert following["id"] == str(int(cart.json()["id"]) + 1)


def test_reload_reads_the_catalog_again(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    for file in DEMO.glob("*.json"):
        (catalog / file.name).write_text(file.read_text())
    client = TestClient(create_app(catalog, RULES, INVENTORIES, clock=lambda: NOW))
    before = client.post(CART.format(v=4), params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}).json()
    prices = catalog / "productOfferingPrice.json"
    prices.write_text(prices.read_text().replace('"value": 40.00', '"value": 41.00', 1))
    assert '"value": 41.00' in prices.read_text()
    assert client.post("/admin/reload").status_code == 200
    after = client.post(CART.format(v=4), params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}).json()
    assert _amount(after["cartTotalPrice"], "Total per month after the change") != _amount(
        before["cartTotalPrice"], "Total per month after the change")
    prices.write_text("{not json")
    failed = client.post("/admin/reload")
    assert failed.status_code == 409 and "invalid JSON" in failed.json()["message"]
    kept = client.post(CART.format(v=4), params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}).json()
    assert kept["cartTotalPrice"] == after["cartTotalPrice"]  # the catalog loaded before stays


# ---------------------------------------------------------------------------------------------- CLI
def test_serve_without_the_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    for name in [m for m in sys.modules if m == "odedelta.service" or m.startswith("odedelta.service.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(odedelta, "service", raising=False)
    monkeypatch.setitem(sys.modules, "fastapi", None)
    assert cli.main(["serve", "--catalog", str(DEMO)]) == 1
    assert "pip install 'odedelta[service]'" in capsys.readouterr().err


def test_the_core_and_the_cli_do_not_import_the_service() -> None:
    code = ("import sys, odedelta, odedelta.adapters.cli, odedelta.strategies; "
            "print(sorted(m for m in sys.modules if m.startswith(('fastapi', 'uvicorn', 'odedelta.service'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False, places=None),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_the_fast_encoder_writes_the_librarys_bytes(value: Any) -> None:
    assert encode.dumps(value) == jsonio.dumps(value)


def test_serve_reads_the_token_from_the_environment_at_the_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(odedelta_service, "serve", lambda *args, **kwargs: calls.append({"args": args, **kwargs}))
    monkeypatch.setenv("ODEDELTA_TOKEN", "from-env")
    assert cli.main(["serve", "--catalog", str(DEMO), "--port", "9"]) == 0
    assert cli.main(["serve", "--catalog", str(DEMO), "--token", "given"]) == 0
    assert [(c["token"], c["host"], c["port"]) for c in calls] == [("from-env", "127.0.0.1", 9),
                                                                   ("given", "127.0.0.1", 8080)]
