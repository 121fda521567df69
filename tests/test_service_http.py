"""The service's HTTP edge on the protocol ``serve`` runs (uvicorn's httptools protocol with the service's guards):
slow and oversized request heads, a large body that is not a head, the ``Location`` read without parsing the
document, the access log line, and bearer tokens and JWTs looked up once."""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from odedelta.service import create_app, edge
from odedelta.service.app import access_line
from odedelta.service.edge import href_of
from odedelta.service.encode import dumps
from odedelta.service.protocol import GuardedHttpToolsProtocol, _OneWrite
from odedelta.service.security import Caller, Jwt, Refused, Tokens
from odedelta.service.server import GuardedH11Protocol, http_protocol

from .conftest import DEMO, ROOT
from .servers import in_thread

RULES = ROOT / "rules"
INVENTORIES = DEMO / "inventories"
CART = "/tmf-api/shoppingCart/v4/shoppingCart?asOf=2026-03-01T00:00:00Z"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
DOWNGRADE = {"cartItem": [{"action": "modify", "product": {"id": "F-1"}, "productOffering": {"id": "po-fiber-300"}}]}


def test_serve_runs_the_httptools_protocol_and_h11_without_httptools(monkeypatch: pytest.MonkeyPatch) -> None:
    assert http_protocol() is GuardedHttpToolsProtocol
    monkeypatch.setitem(sys.modules, "httptools", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "odedelta.service.protocol")
    assert http_protocol() is GuardedH11Protocol


# what GuardedHttpToolsProtocol and GuardedH11Protocol take from uvicorn beyond its public API: a method and the
# names of its parameters (``self`` left out)
UVICORN_METHODS = {
    HttpToolsProtocol: {
        "connection_made": ["transport"], "connection_lost": ["exc"], "data_received": ["data"],
        "_unset_keepalive_if_required": [], "send_400_response": ["msg"], "_should_upgrade": [],
        "handle_websocket_upgrade": [], "_unsupported_upgrade_warning": [], "on_message_begin": [],
        "on_url": ["url"], "on_header": ["name", "value"], "on_headers_complete": [], "on_message_complete": [],
        "on_response_complete": [],
    },
    H11Protocol: {"connection_made": ["transport"], "handle_events": [], "on_response_complete": []},
}


def test_the_uvicorn_internals_the_protocols_build_on_are_there_with_their_shape() -> None:
    """uvicorn's protocol classes are not its public API: pyproject bounds uvicorn to the versions these were
    checked with, and this says at once which name moved when the bound is raised."""
    for cls, methods in UVICORN_METHODS.items():
        for name, parameters in methods.items():
            method = getattr(cls, name, None)
            assert callable(method), f"{cls.__name__}.{name}"
            assert list(inspect.signature(method).parameters)[1:] == parameters, f"{cls.__name__}.{name}"
    assert STATUS_LINE[431] == b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    assert set(STATUS_LINE) >= set(range(100, 600))
    # the attributes read on the protocol and on its request/response cycle, as uvicorn sets them
    protocol_init = inspect.getsource(HttpToolsProtocol.__init__) + inspect.getsource(HttpToolsProtocol.connection_made)
    for attribute in ("self.cycle", "self.parser", "self.loop", "self.logger", "self.transport"):
        assert f"{attribute}:" in protocol_init or f"{attribute} =" in protocol_init, attribute
    assert "self.scope = " in inspect.getsource(HttpToolsProtocol.on_message_begin)
    assert "self.cycle = RequestResponseCycle(" in inspect.getsource(HttpToolsProtocol.on_headers_complete)
    cycle_init = inspect.getsource(RequestResponseCycle.__init__)
    for attribute in ("scope", "transport", "response_started", "response_complete"):
        assert f"self.{attribute} = " in cycle_init, attribute
    assert {"scope", "transport"} <= set(inspect.signature(RequestResponseCycle).parameters)
    h11_events = inspect.getsource(H11Protocol.handle_events)
    assert "self.scope = " in h11_events


class Quick(GuardedHttpToolsProtocol):
    HEADER_TIMEOUT = 0.5


def _exchange(base: str, data: bytes, wait: float = 20) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as conn:
        conn.sendall(data)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def _post(body: bytes, *, close: bool = True) -> bytes:
    return (f"POST {CART} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            + ("Connection: close\r\n" if close else "") + "\r\n").encode() + body


def test_a_client_trickling_its_headers_is_closed_and_a_complete_request_answered() -> None:
    app = create_app(DEMO, RULES, INVENTORIES)
    with in_thread(app, http=Quick) as base:
        start = time.monotonic()
        assert _exchange(base, b"GET /health HTTP/1.1\r\nHost: t\r\n") == b""  # never the blank line: closed
        assert time.monotonic() - start < 5
        answer = _exchange(base, b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200 ") and b'"status": "ok"' in answer


def test_the_header_deadline_starts_again_after_each_answer_on_a_kept_alive_connection() -> None:
    app = create_app(DEMO, RULES, INVENTORIES)
    with in_thread(app, http=Quick) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            for _ in range(3):  # each request within the deadline, together longer than it
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")
                time.sleep(0.3)
            conn.sendall(b"GET /health HTTP/1.1\r\n")  # then a head that never ends
            assert conn.recv(65536) == b""


def test_the_header_deadline_starts_again_when_an_answer_came_before_the_whole_body() -> None:
    """The app answers a request whose body is still arriving (``/health`` reads none); the next head's deadline
    starts when that body ends, not when the answer went (before: the clock the answer started ran out while no
    head was pending, and none ran after it — the next request's headers could trickle for ever)."""
    app = create_app(DEMO, RULES, INVENTORIES)
    with in_thread(app, http=Quick) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=4) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12345")
            assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")  # answered before the body's end
            time.sleep(0.3)
            conn.sendall(b"67890")  # the body ends within the deadline
            time.sleep(0.3)  # the next request: past the deadline counted from the answer, within the body's end's
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")
            conn.sendall(b"GET /health HTTP/1.1\r\n")  # then a head that never ends
            start = time.monotonic()
            assert conn.recv(65536) == b""  # closed by the deadline
            assert time.monotonic() - start < 2


def test_the_rest_of_a_body_answered_before_it_came_has_the_header_deadline_too() -> None:
    """The answer is sent and the body's remaining bytes are thrown away as they come: a client trickling them for
    ever is closed like one trickling a head (uvicorn's keep-alive clock stops at each byte received)."""
    app = create_app(DEMO, RULES, INVENTORIES)
    with in_thread(app, http=Quick) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=4) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n12345")
            assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")
            start = time.monotonic()
            with pytest.raises(OSError):  # closed: a send fails, the connection reset
                for _ in range(40):  # a byte every 0.1 s: 4 s of a body that never ends
                    conn.sendall(b"6")
                    time.sleep(0.1)
            assert time.monotonic() - start < 2
            assert conn.recv(65536) == b""


class Patient(GuardedHttpToolsProtocol):
    HEADER_TIMEOUT = 1.0  # a second: a client paused by a loaded machine stays well within it


def test_an_answer_slower_than_the_header_deadline_is_not_cut_and_the_deadline_moves_with_each_request() -> None:
    """The head's deadline is one timer per connection that each request only moves: a request answered after
    longer than the deadline is not cut (no head is pending while it is answered), nor is one sent behind another
    on the same write (pipelined), the requests that follow on the kept-alive connection each have the whole
    deadline, and a head that never ends is still closed in time."""
    app = create_app(DEMO, RULES, INVENTORIES)

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(2.2)  # past the 1 s deadline, and past the timer armed when the connection opened
        return {"status": "slow"}

    def answers(conn: socket.socket, count: int) -> bytes:
        got = b""
        while got.count(b"HTTP/1.1 200 ") < count and (chunk := conn.recv(65536)):
            got += chunk
        return got

    with in_thread(app, http=Patient) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            assert answers(conn, 1).startswith(b"HTTP/1.1 200 ")
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\nGET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            assert answers(conn, 2).count(b"HTTP/1.1 200 ") == 2  # the second answered 2.2 s after the first
            for _ in range(4):  # together longer than the deadline, each within it
                time.sleep(0.3)
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                assert answers(conn, 1).startswith(b"HTTP/1.1 200 ")
            conn.sendall(b"GET /health HTTP/1.1\r\n")  # then a head that never ends
            start = time.monotonic()
            assert conn.recv(65536) == b""
            assert 0.8 < time.monotonic() - start < 3


def test_a_head_longer_than_the_limit_is_refused_431_and_a_long_body_is_not() -> None:
    app = create_app(DEMO, RULES, INVENTORIES)
    with in_thread(app, http=GuardedHttpToolsProtocol) as base:
        long_head = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Padding: " + b"a" * (70 * 1024) + b"\r\n\r\n"
        refused = _exchange(base, long_head)
        assert refused.startswith(b"HTTP/1.1 431 ")
        assert refused.endswith(b"the request head is longer than 65536 bytes")
        endless = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Padding: " + b"a" * (66 * 1024)  # and no more
        assert _exchange(base, endless).startswith(b"HTTP/1.1 431 ")
        body = json.dumps(DOWNGRADE).encode() + b" " * (300 * 1024)  # a 300 KB body sent with its head at once
        created = _exchange(base, _post(body))
        assert created.startswith(b"HTTP/1.1 201 "), created[:200]
        assert b"\r\nlocation: http://t/tmf-api/shoppingcart/v4/shoppingcart/1\r\n" in created.lower()


def test_a_head_under_the_limit_is_answered() -> None:
    app = create_app(DEMO, RULES, INVENTORIES)
    with in_thread(app, http=GuardedHttpToolsProtocol) as base:
        head = b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Padding: " + b"a" * (60 * 1024) + b"\r\n\r\n"
        assert _exchange(base, head).startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("document", [
    {"id": "7", "href": "http://h/x/7", "item": [{"href": "http://h/not-this"}]},
    {"item": [{"href": "http://h/nested-first"}], "href": 'http://h/"quoted"\\back/é\u2028'},
    {"id": "7", "item": [{"href": "http://h/nested-only"}]},
    {"id": "7", "href": 7},
    [{"href": "http://h/in-a-list"}],
])
def test_href_of_a_stored_text_is_the_top_level_href(document: Any) -> None:
    expected = document.get("href") if isinstance(document, dict) else None
    expected = expected if isinstance(expected, str) else None
    assert href_of(dumps(document)) == expected
    assert href_of(json.dumps(document)) == expected  # a text in another layout: parsed


@pytest.mark.parametrize("path", ["/tmf-api/x/1", '/a"b', "/a\\b", "/\u00e9t\u00e9", "/tab\there", "/\x7f"])
def test_the_access_line_is_what_json_dumps_writes(path: str) -> None:
    line = access_line("GET", path, 404, 0.0123456, 'caller "x"')
    assert line == json.dumps({"method": "GET", "path": path, "status": 404, "ms": 12.35, "caller": 'caller "x"'})


def test_a_token_is_found_among_many_and_a_wrong_one_refused() -> None:
    callers = {f"token-{n}": Caller(f"c{n}", frozenset({"tmf663:read"})) for n in range(500)}
    import hashlib

    tokens = Tokens({hashlib.sha256(t.encode()).hexdigest(): c for t, c in callers.items()}, "test")
    assert tokens.caller("token-417").name == "c417"
    with pytest.raises(Refused) as refused:
        tokens.caller("token-500")
    assert refused.value.status == 401


def test_a_jwt_is_checked_once_until_it_expires(tmp_path: Path) -> None:
    jwt = pytest.importorskip("jwt")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "key.pem").write_bytes(pem)
    auth = Jwt(tmp_path / "key.pem")
    checks = []
    validated = auth._validated

    def counting(credential: str) -> tuple[Caller, float]:
        checks.append(credential)
        return validated(credential)

    auth._validated = counting  # type: ignore[method-assign]  # count the full checks
    token = jwt.encode({"sub": "alice", "scope": "tmf663:read", "exp": int(time.time()) + 2}, key, algorithm="RS256")
    assert [auth.caller(token).name for _ in range(5)] == ["alice"] * 5
    assert len(checks) == 1
    time.sleep(max(0.0, int(time.time()) + 2 - time.time()) + 1.1)  # past exp: checked again, and refused
    with pytest.raises(Refused) as refused:
        auth.caller(token)
    assert refused.value.status == 401 and "expired" in refused.value.message
    assert len(checks) == 2


def test_the_head_of_an_answer_is_written_with_its_body() -> None:
    class Transport:
        def __init__(self) -> None:
            self.writes: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.writes.append(data)

        def is_closing(self) -> bool:
            return False

    class Cycle:
        response_started = False

    class Loop:
        def __init__(self) -> None:
            self.soon: list[Any] = []

        def call_soon(self, callback: Any) -> None:
            self.soon.append(callback)

    transport, cycle, loop = Transport(), Cycle(), Loop()
    one = _OneWrite(transport, cycle, loop)
    one.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # before the answer starts: at once
    cycle.response_started = True
    one.write(b"HTTP/1.1 200 OK\r\n\r\n")  # the head: held
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    one.write(b"body")
    one.write(b"more")
    for callback in loop.soon:  # the end of the loop's turn: nothing left to send
        callback()
    assert transport.writes[1:] == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"more"]
    alone = _OneWrite(transport := Transport(), cycle, loop := Loop())
    alone.write(b"HEAD")  # a head whose body does not follow in this turn goes alone at its end
    loop.soon[0]()
    assert transport.writes == [b"HEAD"]


def test_an_answer_is_one_write_and_100_continue_still_comes_first() -> None:
    app = create_app(DEMO, RULES, INVENTORIES)
    with in_thread(app, http=GuardedHttpToolsProtocol) as base:
        host, port = base.removeprefix("http://").split(":")
        body = json.dumps(DOWNGRADE).encode()
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(f"POST {CART} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode())
            assert conn.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"  # before the body is sent
            conn.sendall(body)
            time.sleep(0.5)  # the whole answer has arrived: one read holds its head and its body
            answer = conn.recv(1 << 20)
            head, _, document = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 201 ") and json.loads(document)["id"] == "1"
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")  # the connection is kept alive
            assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")


V4 = "/tmf-api/shoppingCart/v4/shoppingCart"
V5 = "/tmf-api/shoppingCart/v5/shoppingCart"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
POQ = "/tmf-api/productOfferingQualification/v4/productOfferingQualification"
WRITER, READER = "writer-token", "reader-token"
JSON, PATCH = {"Content-Type": "application/json"}, {"Content-Type": "application/merge-patch+json"}
# (method, path, query, headers beside the token, body: text sent as it is; token: writer, reader or none)
REQUESTS: list[tuple[str, str, str, dict[str, str], str | None, str | None]] = [
    ("POST", V4, "asOf=2026-03-01T00:00:00Z", JSON, json.dumps(DOWNGRADE), WRITER),
    ("POST", V4, "", JSON, json.dumps(DOWNGRADE), WRITER),
    ("POST", V4, "asOf=yesterday", JSON, json.dumps(DOWNGRADE), WRITER),
    ("POST", V4, "asOf=", JSON, json.dumps(DOWNGRADE), WRITER),
    ("POST", V4, "asOf=0001-01-01T00:00:00%2B03:00", JSON, json.dumps(DOWNGRADE), WRITER),
    ("POST", V4, "asOf=2026-03-01T00:00:00Z&asOf=nonsense", JSON, json.dumps(DOWNGRADE), WRITER),
    ("POST", V4, "asOf=yesterday", JSON, '{"cartItem": "none"}', WRITER),
    ("POST", V4, "", JSON, '{"cartItem": [{"action": 3, "product": {"id": ""}}]}', WRITER),
    ("POST", V4, "", JSON, "[]", WRITER),
    ("POST", V4, "", JSON, "null", WRITER),
    ("POST", V4, "", JSON, '"cart"', WRITER),
    ("POST", V4, "", JSON, "{}", WRITER),
    ("POST", V4, "", JSON, "{", WRITER),
    ("POST", V4, "", JSON, "", WRITER),
    ("POST", V4, "", {"Content-Type": "text/plain"}, json.dumps(DOWNGRADE), WRITER),
    ("POST", V4, "", JSON, json.dumps(DOWNGRADE), READER),
    ("POST", V4, "", JSON, "{", READER),
    ("POST", V4, "", JSON, json.dumps(DOWNGRADE), None),
    ("POST", V4, "", JSON, "{", None),
    ("POST", V4, "", {**JSON, "Authorization": f"Basic {WRITER}"}, json.dumps(DOWNGRADE), None),
    ("POST", V4, "", {**JSON, "Authorization": f"bEaReR   {WRITER}  "}, json.dumps(DOWNGRADE), None),
    ("POST", V4, "", {**JSON, "Authorization": "Bearer"}, json.dumps(DOWNGRADE), None),
    ("POST", V5, "asOf=2026-03-01T00:00:00Z", JSON, '{"cartItem": [{"action": "modify", "product": {"id": "F-1"}, '
     '"productOffering": {"id": "po-fiber-300"}}], "relatedParty": [{"role": "customer"}]}', WRITER),
    ("PATCH", V4 + "/1", "", PATCH, '{"cartItem": null}', WRITER),
    ("PATCH", V4 + "/1", "", PATCH, '{"validFor": 3}', WRITER),
    ("PATCH", V4 + "/999", "", PATCH, "{}", WRITER),
    ("PATCH", ORDERS + "/1", "", PATCH, '{"productOrderItem": []}', WRITER),
    ("GET", V4, "", {}, None, READER),
    ("GET", V4, "offset=-1&limit=5000", {}, None, READER),
    ("GET", V4, "limit=abc&fields=id", {}, None, READER),
    ("GET", V4, "offset=1&offset=0&limit=1", {}, None, READER),
    ("GET", V4, "state=active&fields=id,state", {}, None, READER),
    ("GET", V4 + "/1", "fields=state", {}, None, READER),
    ("GET", V4 + "/999", "", {}, None, READER),
    ("GET", V4 + "/1", "", {}, None, None),
    ("DELETE", V4 + "/1", "", {}, None, READER),
    ("DELETE", V4 + "/1", "", {}, None, WRITER),
    ("GET", V4 + "/1", "", {}, None, WRITER),
    ("POST", POQ, "", JSON, '{"productOfferingQualificationItem": [{"product": {"id": "F-1"}}]}', WRITER),
    ("POST", POQ, "", JSON, '{"productOfferingQualificationItem": [{"product": {"id": 1}}]}', WRITER),
    ("PUT", V4, "", JSON, "{}", WRITER),
]


def test_the_tmf_operations_answer_as_fastapis_own_handler_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """The TMF routes read the caller, parameters and body themselves (not through FastAPI's dependency solving):
    every answer — success, 400 with each problem's path, 401, 403, 404, 405, 415, 422 — is the one FastAPI's
    handler gives for the same request, in the same order of checks, and the OpenAPI document is the same."""
    from fastapi.testclient import TestClient

    from odedelta.service.api._common import TmfRoute, _Operation

    def sha(text: str) -> str:
        import hashlib

        return hashlib.sha256(text.encode()).hexdigest()

    tokens = Tokens({sha(WRITER): Caller("writer", frozenset({"tmf663:write", "tmf679:write", "tmf622:write"})),
                     sha(READER): Caller("reader", frozenset({"tmf663:read"}))}, "test")

    def app() -> TestClient:
        return TestClient(create_app(DEMO, RULES, INVENTORIES, auth=tokens, clock=lambda: NOW))

    ours = app()
    tmf = [r for r in ours.app.router.routes if isinstance(r, TmfRoute)]
    assert len(tmf) == 45 and all(_Operation.of(r) is not None for r in tmf)  # every TMF operation reads its own
    with monkeypatch.context() as patched:
        patched.setattr(_Operation, "of", classmethod(lambda cls, route: None))
        fastapis = app()
    assert ours.get("/openapi.json").content == fastapis.get("/openapi.json").content
    statuses = set()
    for method, path, query, headers, body, token in REQUESTS:
        sent = {**headers, **({"Authorization": f"Bearer {token}"} if token else {})}
        answers = [client.request(method, f"{path}?{query}" if query else path, headers=sent,
                                  content=None if body is None else body.encode()) for client in (ours, fastapis)]
        ours_, theirs = answers
        statuses.add(ours_.status_code)
        assert (ours_.status_code, ours_.text) == (theirs.status_code, theirs.text), (method, path, query, body)
        assert {k: v for k, v in ours_.headers.items() if k != "date"} == {
            k: v for k, v in theirs.headers.items() if k != "date"}, (method, path, query, body)
    assert statuses == {200, 201, 204, 400, 401, 403, 404, 405, 415, 422}


def test_a_tmf_path_without_parameters_goes_to_the_route_the_routers_loop_would_choose() -> None:
    """The shortcut to the routes of a path without parameters (``POST …/shoppingCart``) picks, for every method,
    the route the router's own loop picks, or leaves the request to the router (a method no route of the path
    takes: its 405); a route put in front of the list later that also matches the path takes it over."""
    from fastapi.testclient import TestClient
    from starlette.responses import PlainTextResponse
    from starlette.routing import Match, Route

    from odedelta.service.api._common import StaticPaths

    app = create_app(DEMO, RULES, INVENTORIES, clock=lambda: NOW)
    shortcut = app.router.middleware_stack
    assert isinstance(shortcut, StaticPaths)
    table = shortcut._paths()
    assert {V4, V5, ORDERS, POQ} <= set(table) and not any("{" in path for path in table)
    chosen = 0
    for path in table:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
            loops = next((r for r in app.router.routes if r.matches(scope)[0] is Match.FULL), None)
            fast = next((r for r in table[path] if r.matches(scope)[0] is Match.FULL), None)
            assert fast is None or fast is loops, (method, path)
            chosen += fast is not None
    assert chosen == 22  # POST and GET of each path, POST only of the two hubs
    client = TestClient(app)
    assert client.post(V4, json=DOWNGRADE).status_code == 201
    assert client.put(V4, json={}).status_code == 405
    app.router.routes.insert(0, Route(V4, lambda request: PlainTextResponse("in front"), methods=["POST"]))
    answer = client.post(V4, json=DOWNGRADE)
    assert (answer.status_code, answer.text) == (200, "in front")
    assert V4 not in shortcut._paths() and V5 in shortcut._paths()
    # a route replaced in place (the list as long as before): the table follows it too
    orders_post = next(i for i, r in enumerate(app.router.routes)
                       if getattr(r, "path_format", None) == ORDERS and "POST" in getattr(r, "methods", ()))
    app.router.routes[orders_post] = Route(ORDERS, lambda request: PlainTextResponse("replaced"), methods=["POST"])
    answer = client.post(ORDERS, json={})
    assert (answer.status_code, answer.text) == (200, "replaced")


def test_serves_writer_writes_every_line_in_order_gathered_and_the_queued_ones_at_close() -> None:
    import io
    import logging

    from odedelta.service.logs import LineWriter

    class Stream(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            return super().write(text)

    stream = Stream()
    writer = LineWriter(stream, gather=0.2)
    writer.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("odedelta.test.writer")
    logger.addHandler(writer)
    logger.propagate = False
    try:
        for n in range(50):
            writer.put(f'{{"n": {n}}}')
        logger.warning("a warning")
        deadline = time.monotonic() + 10
        while stream.writes == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.getvalue().splitlines() == [f'{{"n": {n}}}' for n in range(50)] + ["a warning"]
        assert stream.writes == 1  # one write for all the lines that came while the first waited
        writer.put("last")  # queued, not yet written: close writes it
    finally:
        logger.removeHandler(writer)
        writer.close()
    assert stream.getvalue().splitlines()[-1] == "last"
    assert not writer._thread.is_alive()


def test_the_access_log_goes_straight_to_serves_writer_and_through_logging_otherwise(
        caplog: pytest.LogCaptureFixture) -> None:
    import io
    import logging

    from fastapi.testclient import TestClient

    from odedelta.service.logs import LineWriter

    client = TestClient(create_app(DEMO, RULES, INVENTORIES, clock=lambda: NOW))
    access = logging.getLogger("odedelta.service.access")
    stream = io.StringIO()
    writer = LineWriter(stream, gather=0)
    level, propagate = access.level, access.propagate
    access.addHandler(writer)
    access.setLevel(logging.INFO)
    access.propagate = False
    try:
        assert client.post(CART, json=DOWNGRADE).status_code == 201
        assert client.get("/health").status_code == 200
    finally:
        access.removeHandler(writer)
        access.setLevel(level)
        access.propagate = propagate
        writer.close()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(x["method"], x["path"], x["status"], x["caller"]) for x in lines] == [
        ("POST", CART.split("?")[0], 201, "anonymous"), ("GET", "/health", 200, "-")]
    with caplog.at_level(logging.INFO, logger="odedelta.service.access"):  # another handler: a log record
        assert client.get("/health").status_code == 200
    assert [json.loads(r.getMessage())["path"] for r in caplog.records if r.name == access.name] == ["/health"]


@pytest.mark.parametrize(("scheme", "host", "server", "root_path"), [
    ("http", b"127.0.0.1:8080", ("127.0.0.1", 8080), ""), ("https", None, ("shop.example", 443), ""),
    ("http", None, ("::1", 8080), "/api"), ("http", None, ["10.0.0.1", 80], "/api/"), ("http", b"bad host:x", None, ""),
    ("https", b"shop.example", ("10.0.0.1", 8443), "/odedelta"), ("http", None, None, ""),
    ("http", b"[::1]:9000", ("::1", 9000), ""),
])
def test_the_origin_of_hrefs_is_the_requests_base_url(scheme: str, host: bytes | None, server: Any,
                                                      root_path: str) -> None:
    from starlette.requests import Request

    from odedelta.service.api._common import origin_of

    class Service:
        public_url = None

    class App:
        class state:  # as request.app.state reads
            service = Service()

    scope = {"type": "http", "scheme": scheme, "server": server, "root_path": root_path, "path": root_path + "/x",
             "query_string": b"a=1", "headers": [(b"host", host)] if host is not None else [], "app": App()}
    for _ in range(2):  # the second from the cache
        assert origin_of(Request(scope)) == str(Request(scope).base_url).rstrip("/")


def test_a_read_is_answered_while_every_engine_thread_is_busy() -> None:
    """Reads (plain ``def`` operations) have threads of their own: 40 changes in flight do not hold up a list."""
    app = create_app(DEMO, RULES, INVENTORIES, clock=lambda: datetime(2026, 3, 1, tzinfo=UTC))
    release = threading.Event()

    def held(deadline: Any) -> int:
        release.wait(30)
        return 1

    async def scenario() -> int:
        busy = [asyncio.ensure_future(edge.blocking(edge.Limits(), held)) for _ in range(edge.WORKERS)]
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                answer = await asyncio.wait_for(client.get("/tmf-api/shoppingCart/v4/shoppingCart"), 20)
            return answer.status_code
        finally:
            release.set()
            await asyncio.gather(*busy)

    assert asyncio.run(scenario()) == 200


def test_work_past_its_time_budget_is_refused_by_the_timer_and_its_late_result_dropped() -> None:
    """Work that never checks its deadline: the request is refused 422 once the budget and its second of grace
    have passed, the thread's result that comes later is dropped, and the thread takes the next work."""
    release, finished = threading.Event(), threading.Event()

    def stuck(deadline: Any) -> str:
        release.wait(10)
        finished.set()
        return "late"

    async def scenario() -> tuple[edge.ApiError, float, int]:
        start = time.monotonic()
        with pytest.raises(edge.ApiError) as refused:
            await edge.blocking(edge.Limits(time_budget=0.2), stuck)
        took = time.monotonic() - start
        release.set()
        assert await asyncio.to_thread(finished.wait, 5)
        await asyncio.sleep(0.05)  # the late result reaches the loop, and is dropped
        return refused.value, took, await edge.blocking(edge.Limits(), lambda deadline: 7)

    refused, took, next_one = asyncio.run(scenario())
    assert (refused.status, refused.reason) == (422, "Time budget exceeded")
    assert "time budget of 0.2 s" in refused.message
    assert 1.1 < took < 5 and next_one == 7
