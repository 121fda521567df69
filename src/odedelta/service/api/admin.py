"""The service's own routes: ``/health`` (open, for liveness probes: says nothing about files, URLs or callers) and
``/admin/*`` (the ``admin`` scope only): reload the sources, the configuration, a retention purge now."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service.api._common import answers, service_of
from odedelta.service.edge import ApiError, json_answer
from odedelta.service.security import Caller, caller_of
from odedelta.service.state import Service

ADMIN = Depends(caller_of("admin", "admin"))


def router() -> APIRouter:
    api = APIRouter(tags=["service"])

    @api.get("/health", summary="health", operation_id="health")
    async def health(request: Request) -> Response:
        """Open to every caller: the service answers and its catalog is loaded (how many of each element)."""
        return json_answer({"status": "ok", "counts": service_of(request).counts})

    @api.get("/admin/status", summary="the sources, store, limits and policies", operation_id="status",
             responses=answers(200, dict[str, Any], "the service's configuration"))
    async def status(request: Request, _caller: Caller = ADMIN) -> Response:
        service = service_of(request)
        limits = service.limits
        return json_answer({
            "status": "ok", "catalog": service.catalog_source.describe(), "counts": service.counts,
            "rules": len(service.engine.rules.rules) if service.engine.rules else 0,
            "inventory": service.inventory_source.describe(), "store": service.store.path,
            "auth": request.app.state.authenticator.mode, "callbackAllow": service.callbacks.describe(),
            "limits": {"maxItems": limits.max_items, "timeBudgetSeconds": limits.time_budget,
                       "maxBodyBytes": limits.max_body, "bodyTimeoutSeconds": limits.body_timeout},
            "retentionDays": service.retention.total_seconds() / 86400 if service.retention else None})

    @api.post("/admin/reload", summary="reload the catalog, rules and inventory files", operation_id="reload",
              responses=answers(200, dict[str, Any], "the reloaded counts", 409))
    async def reload(request: Request, _caller: Caller = ADMIN) -> Response:
        service = service_of(request)
        if not service.catalog_source.reloadable:
            raise ApiError(409, "Conflict", "the catalog was given as a loaded object: nothing to reload")
        engine = await anyio.to_thread.run_sync(service.reload)
        return json_answer({"status": "reloaded", "counts": engine.catalog.counts(),
                            "rules": len(engine.rules.rules) if engine.rules else 0})

    @api.post("/admin/purge", summary="delete the qualifications, carts and quotes older than the retention now",
              operation_id="purge", responses=answers(200, dict[str, Any], "what was deleted"))
    async def purge(request: Request, _caller: Caller = ADMIN) -> Response:
        service: Service = service_of(request)
        purged: dict[str, Any] = await anyio.to_thread.run_sync(lambda: service.purge(force=True))
        return json_answer({"status": "purged", "deleted": purged})

    return api
