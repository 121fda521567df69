"""What the API routers share: the route class that reads bodies, the query parameters, the declared responses,
the service of the request, and owned resources (found, listed, deleted)."""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from fastapi import Body, Query
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from starlette.background import BackgroundTasks
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from odedelta.service.api.models import DateTime, Error, OutOfRange, moment
from odedelta.service.edge import (
    ApiError,
    href_of,
    in_thread,
    json_answer,
    matches,
    parse_json,
    raw,
    read_raw,
    select_fields,
)
from odedelta.service.security import BEARER, Authenticator, Caller, CallerOf, bearer_credential, permitted
from odedelta.service.state import Service


class _ReadRequest(Request):
    """A request whose body was already read and parsed by the service's reader."""

    def __init__(self, scope: Scope, receive: Receive, body: bytes, parsed: Any) -> None:
        super().__init__(scope, receive)
        self._read, self._parsed = body, parsed

    async def body(self) -> bytes:
        return self._read

    async def json(self) -> Any:
        return self._parsed


class TmfRoute(APIRoute):
    """An operation of a TMF router. Its body is read by the service's reader — once the caller is known (401
    first) — media type (415), size (413), time (408), strict JSON (400: invalid, too deep, a key twice, a number
    too long) — and then validated against the operation's model, the one the OpenAPI document shows (400 naming
    every problem).

    FastAPI declares the operation (its parameters, body, security and answers: the OpenAPI document) and matches
    requests to it; the request itself is answered by :class:`_Operation`, which reads what the operation declares
    (the caller, path and query parameters, the body) and validates each with the same pydantic validators and
    locations FastAPI would use, without FastAPI's general dependency solving (about a quarter of what the app added
    to a cart's time). An operation with anything else in its signature is answered by FastAPI's handler."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        self._operation: _Operation | None = None
        super().__init__(path, endpoint, **options)
        if self._operation is not None and getattr(self, "max_body_size", None) is None:
            self.app = _answering(self._operation.handle)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # a path that does not hold the route's literal start (``/tmf-api/shoppingCart/v4/shoppingCart`` of
        # ``…/shoppingCart/{id}``) cannot match its pattern: no pattern is tried, as every request passes the
        # routes before its own (the mount point, ``root_path``, may come before the literal, never inside it)
        if scope["type"] == "http" and self._literal not in scope["path"]:
            return Match.NONE, {}
        return super().matches(scope)

    @functools.cached_property
    def _literal(self) -> str:
        return self.path_format.split("{", 1)[0]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        self._operation = operation = _Operation.of(self)
        if operation is not None:
            return operation.handle
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def read_then_handle(request: Request) -> Response:
            # who asks comes first (401 before anything of the body is read); the scope is the operation's check
            credentials = await BEARER(request)
            request.app.state.authenticator.caller(credentials.credentials if credentials is not None else None)
            body = await read_raw(request, service_of(request).limits)
            return await handler(_ReadRequest(request.scope, request.receive, body, parse_json(body)))

        return read_then_handle


class StaticPaths:
    """The router's dispatch with a shortcut for the TMF operations at a path without parameters (the create and
    the list of every resource: ``POST …/shoppingCart``): such a request is matched against the few routes that can
    match its path, found once per path, instead of passing every route before its own (20 for a v4 cart, 33 for a
    v4 order: a regular expression or a literal each, ~0.015 ms with the caches cold after the engine's work).

    A path is in the table only when every route whose pattern matches it is a TMF operation at exactly that path,
    so the route chosen is the one the router's loop would choose; anything else — another path, no route of the
    path taking the method (the router's 405), a router with form limits, a request FastAPI traces — goes through
    the router itself, and so does an app mounted under a path (``root_path``). The table is built again when the
    routes change: one added, removed, moved or replaced in place (the routes are compared one by one, by identity,
    on every request: ~0.5 µs). Install with :meth:`install`."""

    def __init__(self, router: Any) -> None:
        self.router, self.fallback = router, router.middleware_stack
        self._built: tuple[Any, ...] | None = None
        self._table: dict[str, tuple[TmfRoute, ...]] = {}

    @classmethod
    def install(cls, router: Any) -> None:
        """Put the shortcut in front of ``router``'s own dispatch (not when middleware wraps it: that would be
        skipped)."""
        if router.middleware_stack == router.app:
            router.middleware_stack = cls(router)

    def _paths(self) -> dict[str, tuple[TmfRoute, ...]]:
        routes = tuple(self.router.routes)  # the routes themselves, held: an id could be reused by a new route
        if routes != self._built:  # identical items compare by identity, without calling __eq__
            self._table, self._built = _static_table(routes), routes
        return self._table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path") and "fastapi.telemetry" not in scope \
                and not getattr(self.router, "form_limits", None):
            for route in self._paths().get(scope["path"], ()):
                match, child = route.matches(scope)
                if match is Match.FULL and child.keys() <= _CHILD_KEYS:
                    scope.setdefault("router", self.router)
                    scope.update(child)
                    await route.handle(scope, receive, send)
                    return
        await self.fallback(scope, receive, send)


_CHILD_KEYS = frozenset({"endpoint", "path_params", "route"})
"""What a TMF route's match adds to the scope (anything else: the router's own dispatch merges it)."""


def _static_table(routes: Sequence[Any]) -> dict[str, tuple[TmfRoute, ...]]:
    """Each path without parameters of a TMF operation → the routes matching it, in order, when all of them are TMF
    operations at that path (a route without a pattern, which might match anything: no table)."""
    paths = {r.path_format for r in routes
             if isinstance(r, TmfRoute) and r._operation is not None and "{" not in r.path_format}
    table: dict[str, tuple[TmfRoute, ...]] = {}
    for path in sorted(paths):
        matching = []
        for route in routes:
            pattern = getattr(route, "path_regex", None)
            if pattern is None:
                return {}
            if pattern.match(path):
                matching.append(route)
        if all(isinstance(r, TmfRoute) and r.path_format == path for r in matching):
            table[path] = tuple(matching)
    return table


def _answering(handle: Callable[[Request], Coroutine[Any, Any, Response]]) -> ASGIApp:
    """The ASGI app of an operation answered by :class:`_Operation`: the request, its answer, sent. What FastAPI
    wraps around a handler besides (exit stacks for dependencies with ``yield``, a second layer of exception
    handlers) is not needed: an exception goes to the app's handlers, the same ones, in its exception middleware."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await handle(Request(scope, receive, send))
        await response(scope, receive, send)

    return app


@dataclass(frozen=True)
class _Parameter:
    """A path or query parameter of an operation, as FastAPI would read and validate it."""

    name: str
    """the endpoint's argument"""
    alias: str
    """the name in the request"""
    where: str
    """``path`` or ``query``"""
    adapter: TypeAdapter[Any]
    required: bool
    default: Any
    validate_default: bool

    @classmethod
    def of(cls, field: Any, where: str) -> _Parameter | None:
        info: FieldInfo = field.field_info
        if not _scalar(info.annotation):  # a list parameter (?x=1&x=2): FastAPI's reader
            return None
        return cls(field.name, field.alias, where, _adapter(info),
                   info.is_required(), None if info.is_required() else info.get_default(call_default_factory=True),
                   bool(info.validate_default))

    def read(self, sent: Any, values: dict[str, Any], errors: list[Any]) -> None:
        if sent is None:
            if self.required:
                errors.append(_missing((self.where, self.alias)))
                return
            if not self.validate_default:
                values[self.name] = copy.deepcopy(self.default)
                return
            sent = copy.deepcopy(self.default)
        _validate(self.adapter, sent, (self.where, self.alias), self.name, values, errors)


def _scalar(annotation: Any) -> bool:
    """Whether a parameter's type takes one value (str, int, a date-time, optional or not)."""
    if get_origin(annotation) is Annotated:
        return _scalar(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return all(_scalar(a) for a in get_args(annotation))
    return annotation in (str, int, float, bool, type(None))


def _adapter(info: FieldInfo) -> TypeAdapter[Any]:
    """The validator of a parameter or body: its type with its constraints (``ge``, ``le``…), as FastAPI builds it."""
    kind: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(kind)


def _missing(loc: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def _validate(adapter: TypeAdapter[Any], sent: Any, loc: tuple[str, ...], name: str, values: dict[str, Any],
              errors: list[Any]) -> None:
    try:
        values[name] = adapter.validate_python(sent, from_attributes=True)
    except ValidationError as exc:
        errors.extend({**error, "loc": (*loc, *error.get("loc", ()))} for error in exc.errors(include_url=False))


@dataclass(frozen=True)
class _Operation:
    """How one TMF operation is answered without FastAPI's dependency solving: the caller (the operation's one
    :class:`CallerOf` dependency), then, for an operation with a body, the body read and parsed, then the scope
    (403), then every path, query and body problem at once (400), then the endpoint — on the event loop when it is
    ``async`` (it hands its work to a thread itself), in a worker thread when it is a plain ``def``."""

    endpoint: Callable[..., Any]
    is_async: bool
    request: str
    """the argument that receives the request"""
    caller: str
    """the argument that receives the caller"""
    needs: CallerOf
    parameters: tuple[_Parameter, ...]
    body: tuple[str, TypeAdapter[Any]] | None
    """the argument that receives the body, and its model"""

    @classmethod
    def of(cls, route: APIRoute) -> _Operation | None:
        """The operation of ``route``, or None when its signature has more than this reads (headers, cookies,
        other dependencies, several bodies, an endpoint that does not answer a :class:`Response`)."""
        found = route.dependant
        if (found.header_params or found.cookie_params or found.request_param_name is None
                or found.background_tasks_param_name or found.response_param_name or found.websocket_param_name
                or found.http_connection_param_name or found.security_scopes_param_name
                or len(found.dependencies) != 1 or len(found.body_params) > 1 or found.call is None):
            return None
        needed = found.dependencies[0]
        if not isinstance(needed.call, CallerOf) or needed.name is None or needed.use_cache is False:
            return None
        try:
            answers = get_type_hints(found.call).get("return")
        except (NameError, TypeError):
            return None
        if not (isinstance(answers, type) and issubclass(answers, Response)):
            return None
        parameters = [_Parameter.of(f, "path") for f in found.path_params]
        parameters += [_Parameter.of(f, "query") for f in found.query_params]
        if any(p is None for p in parameters):
            return None
        body = None
        if found.body_params:
            if route.body_field is None or getattr(route, "_embed_body_fields", False):  # {"body": …}: FastAPI's
                return None
            info: FieldInfo = route.body_field.field_info
            body = (found.body_params[0].name, _adapter(info))
        return cls(found.call, inspect.iscoroutinefunction(found.call), found.request_param_name, needed.name,
                   needed.call, tuple(p for p in parameters if p is not None), body)

    async def handle(self, request: Request) -> Response:
        scope = request.scope
        authorization = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                authorization = value.decode("latin-1")
                break
        auth: Authenticator = request.app.state.authenticator
        who = auth.caller(bearer_credential(authorization))
        scope.setdefault("state", {})["caller"] = who.name  # the access log's
        values: dict[str, Any] = {}
        errors: list[Any] = []
        parsed: Any = None
        if self.body is not None:
            raw_body = await read_raw(request, service_of(request).limits)
            parsed = parse_json(raw_body)
            request = _ReadRequest(scope, request.receive, raw_body, parsed)
        values[self.caller] = permitted(who, self.needs.api, self.needs.access)
        values[self.request] = request
        if self.parameters:
            path, query = request.path_params, request.query_params if scope["query_string"] else {}
            for parameter in self.parameters:
                sent = (path if parameter.where == "path" else query).get(parameter.alias)
                parameter.read(sent, values, errors)
        if self.body is not None:
            name, adapter = self.body
            _validate(adapter, parsed, ("body",), name, values, errors)
        if errors:
            raise RequestValidationError(errors, body=parsed)
        if self.is_async:
            answer = await self.endpoint(**values)
        else:
            answer = await in_thread(self.endpoint, **values)
        if not isinstance(answer, Response):
            raise TypeError(f"{self.endpoint.__name__} answered a {type(answer).__name__}, not a Response")
        return answer


def problems(errors: Sequence[Any]) -> str:
    """Every validation problem as ``message @ $.path`` (a query parameter by its name), in one sentence."""
    out = []
    for problem in errors:
        where, *path = problem.get("loc", ()) or ("body",)
        text = "$" if where == "body" else ""
        for part in path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
        if problem.get("type") == "extra_forbidden" and path:  # a merge-patch names what it may change only
            message = (f"not patchable: {path[-1]} (the items, parties, prices and state are the engine's answer: "
                       "cancel the order and order again)")
        out.append(f"{message} @ {text or where}")
    return "; ".join(dict.fromkeys(out))


MERGE_PATCH = Body(media_type="application/merge-patch+json")
"""A JSON merge-patch body (RFC 7386; application/json is read too)."""
AsOf = Annotated[DateTime | None, Query(alias="asOf", description="the moment of the change, RFC 3339 (default: "
                                                                   "now, UTC)")]
OFFSET = Query(0, ge=0, le=1 << 62, description="TMF630: the first resource of the page")
LIMIT = Query(100, ge=1, le=1000, description="TMF630: how many resources at most")
FIELDS = Query(None, description="TMF630: the first-level attributes to return, comma-separated (id always), "
                                "e.g. state,creationDate")


def as_of(text: str | None, now: Callable[[], datetime]) -> datetime:
    """The moment ``asOf`` names (validated by :data:`AsOf`), else now; one no moment in UTC can be is a 422."""
    try:
        return now() if text is None else moment(text)
    except OutOfRange as exc:
        raise ApiError(422, "Unprocessable entity", f"asOf {exc}") from None


_REASONS = {400: "Bad request: malformed JSON, or a body or parameter the schema does not allow",
            401: "Unauthorized: no or an unknown bearer token", 403: "Forbidden: the token lacks the scope",
            404: "Not found", 408: "Request timeout: the body came too slowly",
            409: "Conflict: the resource's state does not allow it", 413: "Payload too large",
            415: "Unsupported media type", 422: "Unprocessable entity: valid, but the catalog, inventory or rules "
                                                 "cannot make it (an unknown offering, a change the rules refuse)",
            502: "A catalog, inventory or listener server failed"}


def answers(code: int, model: Any, what: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    """The declared responses of an operation: ``code`` with ``model``, and the TMF Error for each of ``errors``
    (401 and 403 always: every operation but /health needs a caller)."""
    out: dict[int | str, dict[str, Any]] = {code: {"model": model, "description": what}}
    for status in sorted({401, 403, *errors}):
        out[status] = {"model": Error, "description": _REASONS[status]}
    return out


def no_content(*errors: int) -> dict[int | str, dict[str, Any]]:
    """The declared responses of a delete: 204, and the TMF Error for each of ``errors`` (and 401, 403)."""
    return {204: {"description": "Deleted"}, **{k: v for k, v in answers(204, None, "", *errors).items() if k != 204}}


BODY_ERRORS = (400, 408, 413, 415, 422, 502)
"""The errors of an operation that takes a body."""


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def stored(service: Service, kind: str, version: int, ident: str, owner: str | None,
           label: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    found = service.store.get(kind, ident, version, owner)
    if found is None:
        raise ApiError(404, "Not found", f"no {label or kind} {ident!r} in v{version}")
    return found


def fetched(service: Service, kind: str, version: int, ident: str, fields: str | None, owner: str | None,
            label: str | None = None) -> Response:
    if fields:
        return json_answer(select_fields(stored(service, kind, version, ident, owner, label)[0], fields))
    text = service.store.text(kind, ident, version, owner)
    if text is None:
        raise ApiError(404, "Not found", f"no {label or kind} {ident!r} in v{version}")
    return raw(text)


PAGING = frozenset({"fields", "offset", "limit", "asOf", "sort"})
"""Query parameters that are not attribute filters (TMF630)."""
EVERY = 1 << 31
"""How many resources a filtered list reads before it filters (the store's own order)."""


def listed(service: Service, kind: str, version: int, fields: str | None, offset: int, limit: int,
           owner: str | None, query: Mapping[str, str] | None = None) -> Response:
    """A TMF630 list: ``fields`` selection, ``offset``/``limit`` paging, and attribute filters (every other query
    parameter: ``state=done``, ``relatedParty.id=alice``, ``creationDate.gte=2026-01-01``, ``state=a,b``)."""
    filters = [(name, value) for name, value in (query or {}).items() if name not in PAGING]
    if filters:
        _, every = service.store.list(kind, version, 0, EVERY, owner)
        matching = [d for d in every if all(matches(d, name, value) for name, value in filters)]
        total, found = len(matching), matching[offset:offset + limit]
    else:
        total, found = service.store.list(kind, version, offset, limit, owner)
    return json_answer([select_fields(d, fields) for d in found],
                       headers={"X-Total-Count": str(total), "X-Result-Count": str(len(found))})


def deleted(service: Service, kind: str, version: int, ident: str, owner: str | None,
            label: str | None = None) -> Response:
    if not service.store.delete(kind, ident, version, owner):
        raise ApiError(404, "Not found", f"no {label or kind} {ident!r} in v{version}")
    return Response(status_code=204)


def origin_of(request: Request) -> str:
    """Where hrefs point: ``serve --public-url``, else the scheme and host the request came to."""
    public = service_of(request).public_url
    if public:
        return public.rstrip("/")
    scope = request.scope
    host = None
    for key, value in scope["headers"]:
        if key == b"host":
            host = value
            break
    server = scope.get("server")
    return _origin(scope.get("scheme", "http"), host, None if server is None else tuple(server),
                   scope.get("app_root_path", scope.get("root_path", "")))


@functools.lru_cache(maxsize=64)
def _origin(scheme: str, host: bytes | None, server: tuple[Any, ...] | None, root_path: str) -> str:
    """The request's base URL without its final slash, as Starlette's ``Request.base_url`` writes it, for the few
    (scheme, Host, server, mount point) a service is reached by."""
    headers = [(b"host", host)] if host is not None else []
    base = URL(scope={"type": "http", "scheme": scheme, "server": server, "headers": headers,
                      "path": root_path if root_path.endswith("/") else root_path + "/", "root_path": root_path,
                      "query_string": b""})
    return str(base).rstrip("/")


def created(text: str, background: BackgroundTasks | None = None) -> Response:
    """201 with the stored document and its ``Location`` (its href)."""
    href = href_of(text)
    return Response(text, status_code=201, media_type="application/json", background=background,
                    headers={"Location": href} if href is not None else None)


def owner_of(caller: Caller, api: str) -> str | None:
    return caller.owner_filter(api)
