"""What the API routers share: the service of the request, and owned resources (found, listed, deleted)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from odedelta.service.edge import ApiError, json_answer, raw, select_fields
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


def listed(service: Service, kind: str, version: int, fields: str | None, offset: int, limit: int,
           owner: str | None) -> Response:
    total, found = service.store.list(kind, version, offset, limit, owner)
    return json_answer([select_fields(d, fields) for d in found],
                       headers={"X-Total-Count": str(total), "X-Result-Count": str(len(found))})


def deleted(service: Service, kind: str, version: int, ident: str, owner: str | None,
            label: str | None = None) -> Response:
    if not service.store.delete(kind, ident, version, owner):
        raise ApiError(404, "Not found", f"no {label or kind} {ident!r} in v{version}")
    return Response(status_code=204)


def owner_of(caller: Caller, api: str) -> str | None:
    return caller.owner_filter(api)
