"""The service in production: never blocked (work off the event loop, limits, time budget, slow clients and slow
upstreams cut off), closed by default and scoped (tokens, JWT, ownership, admin, access log), callbacks that cannot
be turned on the host, and ``serve`` saying how it runs or why it cannot."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from odedelta.adapters import cli
from odedelta.outputs.schemas import validation_errors
from odedelta.service import InventorySource, create_app
from odedelta.service.edge import Limits
from odedelta.service.outbound import CallbackPolicy, OutboundError, Retry
from odedelta.service.security import AuthConfigError, Tokens, authenticator
from odedelta.service.server import GuardedH11Protocol

from .conftest import DEMO, ROOT
from .servers import free_port, in_thread, serving

RULES = ROOT / "rules"
INVENTORIES = DEMO / "inventories"
AS_OF = "2026-03-01T00:00:00Z"
CART = "/tmf-api/shoppingCart/v4/shoppingCart"
ORDER = "/tmf-api/productOrderingManagement/v4"
QUOTE = "/tmf-api/quoteManagement/v4/quote"
POQ = "/tmf-api/productOfferingQualification/v4/productOfferingQualification"
NOW = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)
DOWNGRADE = [{"action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}]
ALICE = [{"id": "alice", "role": "customer"}]
TOKENS = {"alice": "token-alice", "bob": "token-bob", "reader": "token-reader", "auditor": "token-auditor",
          "ops": "token-ops", "self-care": "token-self-care"}


def _app(**kwargs: Any) -> TestClient:
    inventory = kwargs.pop("inventory_source", INVENTORIES)
    return TestClient(create_app(DEMO, RULES, inventory, clock=kwargs.pop("clock", lambda: NOW), **kwargs))


def _as(caller: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[caller]}"}


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    path = tmp_path / "tokens.yaml"
    path.write_text(
        "tokens:\n"
        f"  - {{caller: alice, sha256: {sha(TOKENS['alice'])}, scopes: [tmf663:write, tmf622:write, tmf679:write]}}\n"
        f"  - {{caller: bob, sha256: {sha(TOKENS['bob'])}, scopes: [tmf663:write, tmf622:write]}}\n"
        f"  - {{caller: reader, token: {TOKENS['reader']}, scopes: [tmf622:read]}}\n"
        f"  - {{caller: auditor, sha256: {sha(TOKENS['auditor'])}, scopes: [tmf622:read, tmf622:all]}}\n"
        f"  - {{caller: ops, sha256: {sha(TOKENS['ops'])}, scopes: [admin]}}\n"
        f"  - {{caller: self-care, token: {TOKENS['self-care']}, scopes: [tmf679:write, tmf663:write, tmf622:write],"
        " parties: [alice]}\n")
    return path


@pytest.fixture
def scoped(tokens_file: Path) -> TestClient:
    return _app(auth=Tokens.from_file(tokens_file))


# ---------------------------------------------------------------------------------------------- never blocked
class GatedInventory(InventorySource):
    """Holds every inventory read until the test opens the gate (an engine run or a slow upstream, made
    deterministic)."""

    def __init__(self) -> None:
        super().__init__(INVENTORIES)
        self.entered, self.gate = threading.Event(), threading.Event()

    def inventory(self, catalog: Any, party: str | None, product_id: str | None) -> Any:
        self.entered.set()
        self.gate.wait(20)
        return super().inventory(catalog, party, product_id)


def test_health_is_answered_while_a_request_is_working() -> None:
    inventory = GatedInventory()
    app = create_app(DEMO, RULES, inventory, clock=lambda: NOW)
    with in_thread(app) as base:
        answers: list[httpx.Response] = []
        worker = threading.Thread(target=lambda: answers.append(httpx.post(
            base + CART, params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}, timeout=30)))
        worker.start()
        assert inventory.entered.wait(10)
        for _ in range(3):  # the cart's work holds its thread; the event loop answers everyone else
            assert httpx.get(base + "/health", timeout=5).status_code == 200
            assert httpx.get(base + CART, timeout=5).json() == []
        assert worker.is_alive() and answers == []
        inventory.gate.set()
        worker.join(30)
        assert answers[0].status_code == 201


def test_too_many_items_is_413_before_any_work(scoped: TestClient) -> None:
    client = _app(limits=Limits(max_items=2))
    response = client.post(CART, json={"cartItem": DOWNGRADE * 3})
    assert response.status_code == 413
    error = response.json()
    assert validation_errors(error, "TMF663", 4, "Error") == []
    assert error["message"] == ("ShoppingCart @ $.cartItem: 3 items, more than the 2 one request may hold; split it "
                                "into smaller requests")
    items = [{"product": {"id": "F-1"}}] * 1001  # the default limit: 1,000 items
    assert _app().post(POQ, json={"productOfferingQualificationItem": items}).status_code == 413


def test_over_the_time_budget_is_422_and_nothing_is_stored() -> None:
    client = _app(limits=Limits(time_budget=0))
    response = client.post(CART, params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE})
    assert response.status_code == 422
    assert response.json()["reason"] == "Time budget exceeded"
    assert "time budget of 0 s" in response.json()["message"] and "nothing was stored" in response.json()["message"]
    qualification = client.post(POQ, json={"productOfferingQualificationItem": [{"product": {"id": "F-1"}}]})
    assert qualification.status_code == 422 and "(0 of 1 items qualified)" in qualification.json()["message"]
    assert client.get(CART).json() == [] and client.get(CART).headers["X-Total-Count"] == "0"


def _raw_request(base: str, head: str, body: bytes, wait: float) -> tuple[bytes, float]:
    host, port = base.removeprefix("http://").split(":")
    start = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=wait) as conn:
        conn.sendall(head.encode() + b"\r\n" + body)
        received = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:  # the server closed the connection
                return received, time.monotonic() - start
            received += chunk


def test_a_slow_client_is_cut_off_and_a_huge_declared_body_refused_unread() -> None:
    app = create_app(DEMO, RULES, INVENTORIES, limits=Limits(body_timeout=0.5))
    head = ("POST /tmf-api/shoppingCart/v4/shoppingCart HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            "Content-Length: {}\r\n")
    with in_thread(app) as base:
        slow, _ = _raw_request(base, head.format(1000), b"{", wait=20)  # 1 byte of 1,000, then nothing
        assert slow.startswith(b"HTTP/1.1 408 ")
        assert b"the body was not received within 0.5 s (1 bytes came)" in slow
        huge, _ = _raw_request(base, head.format(100 * 1024 * 1024), b"{", wait=20)
        assert huge.startswith(b"HTTP/1.1 413 ") and b"Content-Length 104857600" in huge


def test_a_client_trickling_its_headers_is_closed() -> None:
    class Quick(GuardedH11Protocol):
        HEADER_TIMEOUT = 0.5

    app = create_app(DEMO, RULES, INVENTORIES)
    with in_thread(app, http=Quick) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n")  # and never the blank line
            assert conn.recv(1024) == b""  # closed by the server, with no answer
        with socket.create_connection((host, int(port)), timeout=10) as conn:  # a whole request is answered,
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")  # then the idle connection closed
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 ") and b'"status": "ok"' in answer


class _Inventory(BaseHTTPRequestHandler):
    """A TMF637 server answering alice's products, after ``delay`` seconds, or 503 for the first ``failures``."""

    delay = 0.0
    failures = 0
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if len(self.hits) <= self.failures:
            self.send_response(503)
            self.end_headers()
            return
        time.sleep(self.delay)
        body = (INVENTORIES / "alice.json").read_bytes()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Total-Count", str(len(json.loads(body))))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a slow upstream's client timed out and left: what the timeout test wants

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[Any]:
    servers = []

    def start(delay: float = 0.0, failures: int = 0) -> tuple[str, list[str]]:
        hits: list[str] = []
        handler = type("Inventory", (_Inventory,), {"delay": delay, "failures": failures, "hits": hits})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/tmf-api/productInventory/v4", hits

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_slow_upstream_is_timed_out_and_a_failing_one_retried(upstream: Any) -> None:
    body = {"cartItem": DOWNGRADE, "relatedParty": ALICE}
    slow, hits = upstream(delay=3.0)
    client = _app(inventory_source=slow, retry=Retry(attempts=2, backoff=0.05, timeout=0.3))
    started = time.monotonic()
    response = client.post(CART, params={"asOf": AS_OF}, json=body)
    assert response.status_code == 502 and time.monotonic() - started < 2.5
    assert "/product?relatedParty.id=alice&offset=0&limit=100: timed out after 0.3 s (2 attempts)" in \
        response.json()["message"]
    assert len(hits) == 2
    flaky, hits = upstream(failures=2)
    client = _app(inventory_source=flaky, retry=Retry(attempts=3, backoff=0.01, timeout=5))
    assert client.post(CART, params={"asOf": AS_OF}, json=body).status_code == 201
    assert len(hits) == 3  # two 503s, then the answer


# ---------------------------------------------------------------------------------------------- closed, scoped
def test_callers_see_only_their_own_carts_and_orders(scoped: TestClient) -> None:
    cart = scoped.post(CART, params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}, headers=_as("alice")).json()
    order = scoped.post(f"{ORDER}/productOrder", params={"asOf": AS_OF}, headers=_as("alice"),
                        json={"productOrderItem": DOWNGRADE, "relatedParty": ALICE}).json()
    bobs = scoped.post(f"{ORDER}/productOrder", params={"asOf": AS_OF}, headers=_as("bob"),
                       json={"productOrderItem": DOWNGRADE, "relatedParty": ALICE}).json()
    # bob cannot read, list or delete alice's cart or order: to him they do not exist
    assert scoped.get(f"{CART}/{cart['id']}", headers=_as("bob")).status_code == 404
    assert scoped.delete(f"{CART}/{cart['id']}", headers=_as("bob")).status_code == 404
    assert scoped.patch(f"{CART}/{cart['id']}", json={"cartItem": DOWNGRADE}, headers=_as("bob")).status_code == 404
    assert scoped.get(f"{ORDER}/productOrder/{order['id']}", headers=_as("bob")).status_code == 404
    assert scoped.get(f"{ORDER}/productOrder/{order['id']}/partnerOrder", headers=_as("bob")).status_code == 404
    assert [o["id"] for o in scoped.get(f"{ORDER}/productOrder", headers=_as("bob")).json()] == [bobs["id"]]
    assert scoped.get(CART, headers=_as("bob")).json() == []
    # alice still has hers; the auditor (tmf622:all) reads every order but writes none; admin sees everything
    assert scoped.get(f"{CART}/{cart['id']}", headers=_as("alice")).json() == cart
    assert [o["id"] for o in scoped.get(f"{ORDER}/productOrder", headers=_as("auditor")).json()] == [
        order["id"], bobs["id"]]
    refused = scoped.post(f"{ORDER}/productOrder", json={"productOrderItem": DOWNGRADE}, headers=_as("auditor"))
    assert refused.status_code == 403 and refused.json()["message"] == "caller 'auditor' lacks the scope 'tmf622:write'"
    assert scoped.get(CART, headers=_as("reader")).status_code == 403  # tmf622:read only
    assert scoped.get(f"{CART}/{cart['id']}", headers=_as("ops")).json() == cart
    assert scoped.delete(f"{CART}/{cart['id']}", headers=_as("alice")).status_code == 204


def test_a_caller_limited_to_its_customers_learns_nothing_of_others(scoped: TestClient) -> None:
    def cart(product: str, party: list[dict[str, str]] | None = None) -> Any:
        body: dict[str, Any] = {"cartItem": [{"action": "delete", "product": {"id": product}}]}
        if party is not None:
            body["relatedParty"] = party
        return scoped.post(CART, params={"asOf": AS_OF}, json=body, headers=_as("self-care"))

    assert cart("F-4").status_code == 201  # alice's product
    others, unknown = cart("B-1"), cart("Z-404")  # bob's product, and one nobody holds: the same answer
    assert (others.status_code, unknown.status_code) == (422, 422)
    assert others.json()["message"] == unknown.json()["message"].replace("Z-404", "B-1")
    named = cart("B-1", [{"id": "bob", "role": "customer"}])
    assert named.status_code == 403 and named.json()["message"] == "caller 'self-care' may not act for customer 'bob'"
    poq = scoped.post(POQ, json={"productOfferingQualificationItem": [{"product": {"id": "B-1"}}]},
                      headers=_as("self-care"))
    assert poq.status_code == 422 and poq.json()["message"] == others.json()["message"]
    order = scoped.post(f"{ORDER}/productOrder", json={"productOrderItem": [
        {"action": "add", "productOffering": {"id": "po-fiber-300"}}]}, headers=_as("self-care"))
    assert order.status_code == 403 and "name the customer in relatedParty" in order.json()["message"]
    assert cart("B-1").status_code == 422 and _app(auth=scoped.app.state.authenticator).post(  # type: ignore[attr-defined]
        CART, params={"asOf": AS_OF}, json={"cartItem": [{"action": "delete", "product": {"id": "B-1"}}]},
        headers=_as("bob")).status_code == 201  # a caller without parties acts for anyone


def test_admin_routes_need_the_admin_scope_and_health_is_open(scoped: TestClient) -> None:
    assert scoped.post("/admin/reload", headers=_as("alice")).status_code == 403
    assert scoped.post("/admin/reload").status_code == 401
    assert scoped.post("/admin/reload", headers=_as("ops")).status_code == 200
    status = scoped.get("/admin/status", headers=_as("ops")).json()
    assert status["auth"].startswith("tokens file") and status["limits"]["maxItems"] == 1000
    assert scoped.get("/admin/status", headers=_as("auditor")).status_code == 403
    health = scoped.get("/health")
    assert health.status_code == 200 and set(health.json()) == {"status", "counts"}
    assert scoped.get(CART, headers={"Authorization": "Bearer nope"}).json()["message"] == \
        "the bearer token is not valid"


def test_the_openapi_declares_the_bearer_scheme_on_every_tmf_operation(scoped: TestClient) -> None:
    spec = scoped.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearer"][
            "description"]}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            secured = operation.get("security") == [{"bearer": []}]
            assert secured == (path != "/health"), (method, path)


def test_a_single_token_is_an_admin_and_a_bad_tokens_file_is_one_line(tmp_path: Path) -> None:
    single = _app(token="s3cret")
    assert single.post("/admin/reload", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    bad = tmp_path / "tokens.yaml"
    for text, words in [
        ("tokens: []", "@ $.tokens: expected a non-empty list"),
        ("tokens:\n  - {caller: a, sha256: abc, scopes: [admin]}",
         "@ $.tokens[0].sha256: expected the token's SHA-256"),
        ("tokens:\n  - {caller: a, token: t, scopes: [tmf622:delete]}", "unknown scope 'tmf622:delete'"),
        ("tokens:\n  - {caller: a, token: t, scopes: [admin], role: x}", "unknown key 'role'"),
        ("tokens:\n  - {caller: a, token: t, scopes: [admin]}\n  - {caller: b, token: t, scopes: [admin]}",
         "the same token as caller 'a'"),
    ]:
        bad.write_text(text)
        with pytest.raises(AuthConfigError) as refused:
            Tokens.from_file(bad)
        assert words in str(refused.value) and str(bad) in str(refused.value)


def test_a_tokens_file_reports_every_problem_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    bad = tmp_path / "tok.yaml"
    bad.write_text("tokens:\n  - caller: a\n    sha256: abc\n    scopes: [tmf622:wirte, admin\n")
    with pytest.raises(AuthConfigError) as refused:
        Tokens.from_file(bad)
    assert str(refused.value) == (f"{bad}:5:1: invalid YAML: while parsing a flow sequence "
                                  "did not find expected ',' or ']'")
    bad.write_text("tokens:\n  - caller: a\n    sha256: abc\n    scopes: [tmf622:wirte, admin]\n    rol: x\n"
                   "  - caller: b\n    token: t\n    scopes: [admin]\n")
    with pytest.raises(AuthConfigError) as refused:
        Tokens.from_file(bad)
    expected = "(expected admin, or <api>:read|write|all with api in tmf679, tmf663, tmf648, tmf622)"
    assert str(refused.value).splitlines() == [
        f"{bad}: 3 problems in the tokens file",
        f"  {bad}:3:5 @ $.tokens[0].sha256: expected the token's SHA-256 in hex (64 digits), or token: the token "
        "itself",
        f"  {bad}:4:14 @ $.tokens[0].scopes[0]: unknown scope 'tmf622:wirte' {expected} — did you mean 'tmf622:write'?",
        f"  {bad}:5:5 @ $.tokens[0].rol: unknown key 'rol' (expected caller, sha256, token, scopes, parties)",
    ]
    bad.write_text("tokens:\n  - {caller: a, token: t, scopes: [admin], callr: x}\n")
    with pytest.raises(AuthConfigError) as refused:
        Tokens.from_file(bad)
    assert str(refused.value) == (f"{bad}:2:44 @ $.tokens[0].callr: unknown key 'callr' "
                                  "(expected caller, sha256, token, scopes, parties) — did you mean 'caller'?")


def test_jwts_signed_by_the_configured_key_carry_their_scopes(tmp_path: Path) -> None:
    jwt = pytest.importorskip("jwt")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))
    (tmp_path / "key.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    exp = int(time.time()) + 600

    def token(signer: Any = key, **claims: Any) -> dict[str, str]:
        body = {"sub": "shop", "exp": exp, "aud": "odedelta", "scope": "tmf663:write tmf622:read", **claims}
        return {"Authorization": "Bearer " + jwt.encode(body, signer, algorithm="RS256", headers={"kid": "k1"})}

    for key_file in ("jwks.json", "key.pem"):
        client = _app(auth=authenticator(jwt_key=tmp_path / key_file, jwt_audience="odedelta"))
        made = client.post(CART, params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}, headers=token())
        assert made.status_code == 201
        assert client.get(f"{CART}/{made.json()['id']}", headers=token(sub="another")).status_code == 404
        assert client.post(f"{ORDER}/productOrder", json={"productOrderItem": DOWNGRADE},
                           headers=token()).status_code == 403
        for bad in (token(signer=other), token(exp=int(time.time()) - 10), token(aud="elsewhere")):
            refused = client.get(CART, headers=bad)
            assert refused.status_code == 401 and refused.json()["message"].startswith("the JWT is not valid")


def test_every_request_is_one_json_access_log_line(scoped: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="odedelta.service.access"):
        scoped.post(CART, params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}, headers=_as("alice"))
        scoped.get(f"{CART}/999", headers=_as("bob"))
        scoped.get("/health")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "odedelta.service.access"]
    assert [(x["method"], x["path"], x["status"], x["caller"]) for x in lines] == [
        ("POST", CART, 201, "alice"), ("GET", f"{CART}/999", 404, "bob"), ("GET", "/health", 200, "-")]
    assert all(isinstance(x["ms"], float) and x["ms"] >= 0 for x in lines)


def test_retention_purges_old_qualifications_carts_and_quotes_but_never_orders() -> None:
    moment = [NOW]
    client = _app(clock=lambda: moment[0], retention=timedelta(days=30))
    cart = client.post(CART, params={"asOf": AS_OF}, json={"cartItem": DOWNGRADE}).json()
    poq = client.post(POQ, json={"productOfferingQualificationItem": [{"product": {"id": "F-1"}}]}).json()
    quote = client.post(QUOTE, params={"asOf": AS_OF}, json={"quoteItem": DOWNGRADE}).json()
    order = client.post(f"{ORDER}/productOrder", params={"asOf": AS_OF}, json={"productOrderItem": DOWNGRADE}).json()
    moment[0] = NOW + timedelta(days=29)
    assert client.post("/admin/purge").json() == {"status": "purged", "deleted": {
        "qualifications": 0, "carts": 0, "quotes": 0}}
    moment[0] = NOW + timedelta(days=31)
    assert client.post("/admin/purge").json()["deleted"] == {"qualifications": 1, "carts": 1, "quotes": 1}
    assert client.get(f"{CART}/{cart['id']}").status_code == 404
    assert client.get(f"{POQ}/{poq['id']}").status_code == 404
    assert client.get(f"{QUOTE}/{quote['id']}").status_code == 404
    assert client.get(f"{ORDER}/productOrder/{order['id']}").status_code == 200


def test_a_qualification_can_be_deleted_by_its_owner(scoped: TestClient) -> None:
    made = scoped.post(POQ, json={"productOfferingQualificationItem": [{"product": {"id": "F-1"}}]},
                       headers=_as("alice"))
    assert made.status_code == 201
    assert scoped.delete(f"{POQ}/{made.json()['id']}", headers=_as("ops")).status_code == 204
    assert scoped.get(f"{POQ}/{made.json()['id']}", headers=_as("alice")).status_code == 404


# ---------------------------------------------------------------------------------------------- callbacks
def _resolver(table: dict[str, list[str]]) -> Any:
    return lambda host, _port: [ipaddress.ip_address(a) for a in table[host]]


@pytest.mark.parametrize(("allow", "url", "refusal"), [
    ((), "https://hooks.example.com/x", "started without --callback-allow"),
    (("hooks.example.com",), "https://hooks.example.com/x", ""),
    (("*.example.com",), "https://a.b.example.com/x", ""),
    (("hooks.example.com",), "https://evil.example.net/x", "'evil.example.net' is not allowed by --callback-allow"),
    (("hooks.example.com",), "ftp://hooks.example.com/x", "is not an http(s) URL"),
    (("hooks.example.com",), "https://u:p@hooks.example.com/x", "carries credentials"),
    (("internal.example.com",), "http://internal.example.com/x", "resolves to 10.1.2.3, a loopback, link-local"),
    (("internal.example.com", "10.1.2.0/24"), "http://internal.example.com/x", ""),
    (("metadata.example.com",), "http://metadata.example.com/", "resolves to 169.254.169.254"),
    (("loop.example.com",), "http://loop.example.com:8080/admin/reload", "resolves to 127.0.0.1"),
    (("self.example.com",), "https://self.example.com/", "resolves to 203.0.113.9, this service's own address"),
    (("127.0.0.1/32",), "http://127.0.0.1:18099/arbitrary/internal/path", ""),
    (("127.0.0.1/32",), "http://127.0.0.2:18099/x", "'127.0.0.2' is not allowed"),
    (("*",), "http://[::1]:80/x", "resolves to ::1"),
])
def test_the_callback_policy(allow: tuple[str, ...], url: str, refusal: str) -> None:
    table = {"hooks.example.com": ["93.184.215.14"], "a.b.example.com": ["93.184.215.15"],
             "evil.example.net": ["93.184.215.16"], "internal.example.com": ["10.1.2.3"],
             "metadata.example.com": ["169.254.169.254"], "loop.example.com": ["127.0.0.1"],
             "self.example.com": ["203.0.113.9"], "127.0.0.1": ["127.0.0.1"], "127.0.0.2": ["127.0.0.2"],
             "::1": ["::1"]}
    policy = CallbackPolicy(allow, frozenset({ipaddress.ip_address("203.0.113.9")}), _resolver(table))
    found, _ = policy.check(url)
    assert (refusal in found) if refusal else found == ""


class _Listener(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]]
    answers: list[int]
    redirect = ""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        status = self.answers.pop(0) if self.answers else 201
        self.send_response(status)
        if status in (302, 307):
            self.send_header("Location", self.redirect)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def listeners() -> Iterator[Any]:
    servers = []

    def start(answers: list[int] | None = None, redirect: str = "") -> tuple[str, list[Any]]:
        received: list[tuple[str, dict[str, Any]]] = []
        handler = type("L", (_Listener,), {"received": received, "answers": list(answers or []),
                                           "redirect": redirect})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/hooks", received

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _order(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post(f"{ORDER}/productOrder", params={"asOf": AS_OF}, headers=headers or {},
                           json={"productOrderItem": DOWNGRADE, "relatedParty": ALICE})
    assert response.status_code == 201
    return dict(response.json())


def test_a_listener_on_an_allowed_address_is_called_and_on_a_refused_one_is_not(listeners: Any) -> None:
    url, received = listeners()
    refused = _app(callback_allow=["localhost"])  # the name is allowed, but it resolves to loopback
    answer = refused.post(f"{ORDER}/hub", json={"callback": url.replace("127.0.0.1", "localhost")})
    assert answer.status_code == 422
    assert "refused: the host 'localhost' resolves to 127.0.0.1" in answer.json()["message"]
    allowed = _app(callback_allow=["127.0.0.0/8"])
    assert allowed.post(f"{ORDER}/hub", json={"callback": url}).status_code == 201
    order = _order(allowed)
    assert [(path, event["event"]["productOrder"]["id"]) for path, event in received] == [
        ("/hooks/listener/productOrderCreateEvent", order["id"])]


def test_listener_posts_are_retried_and_redirects_not_followed(listeners: Any) -> None:
    target, redirected = listeners()
    bouncing, bounced = listeners(answers=[307], redirect=target + "/listener/productOrderCreateEvent")
    flaky, delivered = listeners(answers=[503])
    client = _app(callback_allow=["127.0.0.1/32"], retry=Retry(attempts=3, backoff=0.01, timeout=2))
    for url in (bouncing, flaky):
        assert client.post(f"{ORDER}/hub", json={"callback": url}).status_code == 201
    order = _order(client)
    assert len(bounced) == 1 and redirected == []  # the 307 is a failure, not followed
    assert [event["event"]["productOrder"]["id"] for _, event in delivered] == [order["id"], order["id"]]


def test_a_listener_receives_only_the_orders_its_caller_may_see(listeners: Any, tokens_file: Path) -> None:
    alices, alice_got = listeners()
    auditors, auditor_got = listeners()
    client = _app(auth=Tokens.from_file(tokens_file), callback_allow=["127.0.0.1/32"])
    assert client.post(f"{ORDER}/hub", json={"callback": alices}, headers=_as("alice")).status_code == 201
    assert client.post(f"{ORDER}/hub", json={"callback": auditors}, headers=_as("ops")).status_code == 201
    bobs = _order(client, _as("bob"))
    alice = _order(client, _as("alice"))
    assert [e["event"]["productOrder"]["id"] for _, e in alice_got] == [alice["id"]]
    assert [e["event"]["productOrder"]["id"] for _, e in auditor_got] == [bobs["id"], alice["id"]]


def test_the_event_goes_to_the_checked_address_with_the_name_in_host(listeners: Any) -> None:
    url, received = listeners()
    port = int(url.split(":")[2].split("/")[0])
    policy = CallbackPolicy(("hooks.example.com", "127.0.0.1/32"), frozenset(),
                            _resolver({"hooks.example.com": ["127.0.0.1"]}))
    assert policy.post(f"http://hooks.example.com:{port}/hooks/x", b"{}", Retry(attempts=1)) == 201
    assert received == [("/hooks/x", {})]
    with pytest.raises(OutboundError, match=r"refused: the host 'elsewhere\.example\.com' is not allowed"):
        policy.post("http://elsewhere.example.com/x", b"{}", Retry(attempts=1))


# ---------------------------------------------------------------------------------------------- serve
def test_serve_refuses_to_start_open_off_loopback_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--catalog", str(DEMO), "--host", "0.0.0.0", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--host 0.0.0.0 is not loopback and no credentials are set" in err


@pytest.mark.parametrize(("args", "code", "words"), [
    (["--port", "99999"], 2, "--port 99999: expected a port from 1 to 65535"),
    (["--workers", "2"], 2, "--workers 2 needs a store the processes share"),
    (["--workers", "0"], 2, "--workers 0: expected 1 or more"),
])
def test_serve_bad_settings_are_one_line_errors(args: list[str], code: int, words: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--catalog", str(DEMO), *args]) == code
    err = capsys.readouterr().err
    assert err == f"error: {err.removeprefix('error: ')}" and err.count("\n") == 1 and words in err


def test_serve_on_a_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--catalog", str(DEMO), "--port", str(port)]) == 1
    assert capsys.readouterr().err == f"error: port {port} on 127.0.0.1 is already in use\n"


def test_serve_with_two_workers_says_how_it_listens_and_serves(tmp_path: Path, tokens_file: Path) -> None:
    store = tmp_path / "shared.sqlite"
    with serving("--catalog", str(DEMO), "--rules", str(RULES), "--inventory", str(INVENTORIES), "--workers", "2",
                 "--store", str(store), "--tokens", str(tokens_file)) as server:
        made = [httpx.post(server.url + f"{ORDER}/productOrder", params={"asOf": AS_OF}, headers=_as("alice"),
                           json={"productOrderItem": DOWNGRADE}, timeout=30) for _ in range(4)]
        assert [m.status_code for m in made] == [201] * 4
        assert sorted(int(m.json()["id"]) for m in made) == [1, 2, 3, 4]
        for m in made:
            assert httpx.get(f"{server.url}{ORDER}/productOrder/{m.json()['id']}", headers=_as("alice")).content \
                == m.content
        assert httpx.get(server.url + CART).status_code == 401
        err = server.stop()
    assert (f"odedelta serve: listening on http://127.0.0.1:{server.port} — store: SQLite {store}; "
            f"auth: tokens file {tokens_file} (6 tokens); workers: 2; callbacks: none (listeners refused)") in err
