"""What the API routers share: the service of the request, and owned resources (found, listed, deleted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service.edge import ApiError, href_of, json_answer, matches, raw, select_fields
from odedelta.service.security import Caller
from odedelta.service.state import Service


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
