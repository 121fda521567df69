"""The ASGI application: TMF679, TMF663, TMF648 and TMF622 on their official base paths, over the engine.

``create_app`` wires a catalog source, rules, an inventory source, a store, an authenticator and the callback
policy into a FastAPI app; it keeps no global state (two apps in one process are independent). Each API and version
is one ``APIRouter`` (:mod:`odedelta.service.api`), all sharing the security dependency
(:func:`odedelta.service.security.caller_of`) and the edge helpers (:mod:`odedelta.service.edge`). Every refusal is
a TMF ``Error`` with the library's one-sentence message, never a trace; every request is one JSON line in the
access log (``odedelta.service.access``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from odedelta.service import documents as docs
from odedelta.service import ui
from odedelta.service._core import (
    Catalog,
    LoadError,
    NotEligible,
    OdeDeltaError,
    RequestError,
    Rulebook,
)
from odedelta.service.api import routers
from odedelta.service.api._common import StaticPaths, problems
from odedelta.service.edge import ApiError, Limits, error
from odedelta.service.logs import LineWriter
from odedelta.service.orders import Conflict
from odedelta.service.outbound import CallbackPolicy, Retry
from odedelta.service.security import Authenticator, Refused, Tokens, authenticator
from odedelta.service.sources import CatalogSource, InventorySource, SourceError
from odedelta.service.state import Service
from odedelta.service.store import Store, open_store

log = logging.getLogger("odedelta.service")
access = logging.getLogger("odedelta.service.access")

def create_app(catalog: CatalogSource | Catalog | str | Path, rules: Rulebook | str | Path | None = None,
               inventory_source: InventorySource | str | Path | None = None, store_path: str | Path | None = None,
               token: str | None = None, *, clock: Callable[[], datetime] | None = None,
               auth: Authenticator | None = None, limits: Limits | None = None,
               callback_allow: Iterable[str] = (), bound_host: str | None = None, retry: Retry | None = None,
               retention: timedelta | None = timedelta(days=30), store: Store | None = None,
               public_url: str | None = None) -> FastAPI:
    """The app. ``catalog``: a directory, a TMF620 base URL, a :class:`CatalogSource` or a loaded catalog;
    ``rules``: a rules directory or a rulebook; ``inventory_source``: a TMF637 file, directory or base URL;
    ``store_path``: the SQLite file or a ``postgresql://`` URL (None: SQLite in memory), or ``store`` an open one;
    ``token``: a single admin bearer token (``auth``: any authenticator; neither: open); ``limits``: items, time
    budget, body size and body timeout per request; ``callback_allow``: the hosts/CIDRs listeners may be on;
    ``retry``: timeouts and retries of calls to sources and listeners; ``retention``: how long qualifications,
    carts and quotes are kept (None: forever); ``public_url``: the address hrefs and ``Location`` start with
    (None: the scheme and host each request came to)."""
    retry = retry or Retry()
    catalog_source = catalog if isinstance(catalog, CatalogSource) else CatalogSource(catalog, retry=retry)
    inventory = inventory_source if isinstance(inventory_source, InventorySource) else InventorySource(
        inventory_source, retry)
    service = Service(catalog_source, rules, inventory, store if store is not None else open_store(store_path),
                      clock or (lambda: datetime.now(UTC)), limits=limits,
                      callbacks=CallbackPolicy.of(callback_allow, bound_host), retry=retry, retention=retention,
                      public_url=public_url)
    app = FastAPI(title="odedelta TMF service",
                  description="TMF679 qualification, TMF663 shopping cart, TMF648 quote and TMF622 product order "
                              "answered by the odedelta change engine.",
                  version="0.1.0")
    app.state.service = service
    app.state.authenticator = auth if auth is not None else (Tokens.single(token) if token else authenticator())
    app.openapi_schema = None
    _handlers(app)
    for router in [*routers(), ui.router()]:  # ui: the consequence view (issue 30), not in the OpenAPI document
        _add(app, router)
    StaticPaths.install(app.router)
    _openapi(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(AccessLog)
    return app


def _add(app: FastAPI, router: APIRouter) -> None:
    """The router's operations as the app's own routes: the same operations and OpenAPI document as
    ``include_router`` (the routers have no prefix, dependencies or events of their own to merge), but each request
    is matched once against a flat list, not against every included router and then again inside the one that
    matched (FastAPI 0.16x keeps included routers nested): ~0.04 ms less per request."""
    if router.prefix or router.dependencies:  # what include_router would have to merge into each route
        app.include_router(router)
        return
    app.router.routes.extend(router.routes)


class HeadAsGet:
    """``HEAD`` answered as ``GET`` without its content (RFC 9110 §9.3.2: the same status and headers, its
    ``content-length`` included; a general-purpose server must support it, and every ``Allow`` that lists GET lists
    HEAD). The request goes on as a GET (the same caller, scope and checks); only the body is not sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class AccessLog:
    """One JSON line per request on the ``odedelta.service.access`` logger: method, path, status, ms, caller.

    A pure ASGI middleware (no request object, no task): it only watches the status go by and, once the answer is
    sent, puts one preformatted line on the logger (``serve`` hands it to a writer thread; when that writer is the
    logger's one handler, the line goes straight to it: a log record costs more than the line)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            state = scope.get("state") or {}
            line = access_line(scope["method"], scope["path"], status, time.perf_counter() - start,
                               state.get("caller", "-"))
            handlers = access.handlers
            if len(handlers) == 1 and isinstance(handlers[0], LineWriter) and not access.filters \
                    and not handlers[0].filters and handlers[0].level <= logging.INFO:
                handlers[0].put(line)  # serve's writer: the line as it is, without a log record
            else:
                access.info(line)


def access_line(method: str, path: str, status: int, seconds: float, caller: str) -> str:
    """The access log's JSON line, as ``json.dumps`` of the same object writes it (a plain path and caller, the
    usual case, are written as they are; any other through the encoder)."""
    return (f'{{"method": {_json_text(method)}, "path": {_json_text(path)}, "status": {status}, '
            f'"ms": {round(seconds * 1000, 2)!r}, "caller": {_json_text(caller)}}}')


def _json_text(text: str) -> str:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Response:
        return error(exc.status, exc.reason, exc.message, exc.headers)

    @app.exception_handler(Refused)
    async def refused_caller(_request: Request, exc: Refused) -> Response:
        reason = "Unauthorized" if exc.status == 401 else "Forbidden"
        headers = {"WWW-Authenticate": "Bearer" if exc.status == 401 else 'Bearer error="insufficient_scope"'}
        return error(exc.status, reason, exc.message, headers)

    @app.exception_handler(NotEligible)
    async def not_eligible(_request: Request, exc: NotEligible) -> Response:
        return error(422, "Not eligible", str(exc))

    @app.exception_handler(OdeDeltaError)
    async def refused(_request: Request, exc: OdeDeltaError) -> Response:
        if isinstance(exc, SourceError):
            return error(502, "Bad gateway", str(exc))
        if isinstance(exc, Conflict):
            return error(409, "Conflict", str(exc))
        if isinstance(exc, docs.Incomplete):
            return error(400, "Bad request", str(exc))
        if isinstance(exc, RequestError):
            return error(422, "Unprocessable entity", str(exc))
        if isinstance(exc, LoadError):
            return error(409, "Conflict", str(exc))
        return error(422, "Unprocessable entity", str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not those of the first route that matched it
            headers["Allow"] = allowed(app, request)
            return error(405, "Method not allowed", f"{request.method} is not allowed on {request.url.path}; "
                                                    f"allowed: {headers['Allow']}", headers)
        return error(exc.status_code, str(exc.detail), f"{exc.detail}", headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> Response:
        return error(400, "Bad request", problems(exc.errors()))  # TMF630: every problem, each with its path

    @app.exception_handler(Exception)
    async def bug(_request: Request, exc: Exception) -> Response:
        log.exception("internal error")
        return error(500, "Internal error", f"internal error ({type(exc).__name__}); see the service log")


def allowed(app: FastAPI, request: Request) -> str:
    """The methods the request's path answers, from the served OpenAPI (TMF630: the ``Allow`` header of a 405)."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods.update(m.upper() for m in operations if m.upper() in HTTP_METHODS)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _openapi(app: FastAPI) -> None:
    """The OpenAPI document as the service answers: a request the schema refuses is a 400 TMF ``Error`` (declared
    by each operation), so FastAPI's own 422 ``HTTPValidationError`` is taken out."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    answer = operation.get("responses", {}).get("422", {})
                    if "HTTPValidationError" in json.dumps(answer):
                        del operation["responses"]["422"]
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend its OpenAPI
