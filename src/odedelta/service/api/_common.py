"""What the API routers share: the route class that reads bodies, the query parameters, the declared responses,
the service of the request, and owned resources (found, listed, deleted)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Body, Query
from fastapi.routing import APIRoute
from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from odedelta.service.api.models import DateTime, Error, OutOfRange, moment
from odedelta.service.edge import ApiError, href_of, json_answer, matches, parse_json, raw, read_raw, select_fields
from odedelta.service.security import BEARER, Caller
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
    """An operation whose body is read by the service's reader — once the caller is known (401 first) — media type
    (415), size (413), time (408),
    strict JSON (400: invalid, too deep, a key twice, a number too long) — and then validated by FastAPI against
    the operation's model, the one the OpenAPI document shows (400 naming every problem)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
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
    return (public or str(request.base_url)).rstrip("/")


def created(text: str, background: BackgroundTasks | None = None) -> Response:
    """201 with the stored document and its ``Location`` (its href)."""
    href = href_of(text)
    return Response(text, status_code=201, media_type="application/json", background=background,
                    headers={"Location": href} if href is not None else None)


def owner_of(caller: Caller, api: str) -> str | None:
    return caller.owner_filter(api)
