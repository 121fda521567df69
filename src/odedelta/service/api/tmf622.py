"""TMF622 Product Ordering v4 and v5: create (the engine's order, or a rejected one with the reason), list,
retrieve, the partner orders of an order (an odedelta extension), and the hub: listeners registered under the
callback policy receive ``ProductOrderCreateEvent`` and ``ProductOrderStateChangeEvent`` for the orders their caller
may see."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service import documents as docs
from odedelta.service import orders
from odedelta.service._core import (
    ChangeResult,
    RequestError,
    iso,
    order_reference,
    partner_items,
    partner_orders,
)
from odedelta.service.api._common import created, deleted, fetched, listed, origin_of, owner_of, service_of, stored
from odedelta.service.edge import (
    AS_OF,
    HUB_BODY,
    LIMIT,
    OFFSET,
    Deadline,
    as_of,
    blocking,
    body_schema,
    count_items,
    deleted_responses,
    doc_response,
    error_responses,
    json_answer,
    list_response,
    raw,
    read_body,
)
from odedelta.service.encode import dumps
from odedelta.service.outbound import OutboundError
from odedelta.service.security import Caller, caller_of
from odedelta.service.state import Service

log = logging.getLogger("odedelta.service")
BASE = "/tmf-api/productOrderingManagement"
API = "tmf622"
READ, WRITE = Depends(caller_of(API, "read")), Depends(caller_of(API, "write"))


PATCH_BODY = {"requestBody": {"required": True, "content": {"application/merge-patch+json": {"schema": {
    "type": "object", "properties": {
        **{key: {"type": ["string", "null"]} for key in orders.PATCHABLE_TEXT},
        **{key: {"type": ["string", "null"], "format": "date-time"} for key in orders.PATCHABLE_DATES},
        "externalId": {"type": ["string", "array", "null"], "items": {
            "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
            "description": "v4: a string; v5: a list of ExternalIdentifier"},
        "note": {"type": ["array", "null"], "items": {"type": "object", "required": ["text"],
                                                      "properties": {"text": {"type": "string"},
                                                                     "author": {"type": "string"}}}}},
    "additionalProperties": False}, "example": {"description": "deliver after 6 pm"}}}}}
CANCEL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["productOrder"], "properties": {
        "productOrder": {"type": "object", "required": ["id"],
                         "properties": {"id": {"type": "string", "minLength": 1}}},
        "cancellationReason": {"type": "string"},
        "requestedCancellationDate": {"type": "string", "format": "date-time"}}},
    "example": {"productOrder": {"id": "1"}, "cancellationReason": "customer changed their mind"}}}}}


def router(version: int) -> APIRouter:
    api = APIRouter(tags=[f"TMF622 Product Ordering v{version}"])
    base = f"{BASE}/v{version}"
    _order_routes(api, version, base)
    _cancel_routes(api, version, base)
    _partner_and_hub_routes(api, version, base)
    return api


def _order_routes(api: APIRouter, version: int, base: str) -> None:
    """Create, list, retrieve and patch ``productOrder``."""
    @api.post(base + "/productOrder", summary="createProductOrder", status_code=201,
              operation_id=f"TMF622v{version}_createProductOrder", openapi_extra=body_schema("productOrderItem"),
              responses=doc_response(201, "ProductOrder", ["id", "state", "productOrderItem"]))
    async def create(request: Request, as_of_text: str | None = AS_OF, caller: Caller = WRITE) -> Response:
        service = service_of(request)
        body = await read_body(request, service.limits)
        count_items(body, "productOrderItem", service.limits, "ProductOrder")
        moment = as_of(as_of_text, service.now)
        order, text, now = await blocking(service.limits, _create, service, body, moment, caller,
                                            origin_of(request), version)
        tasks = BackgroundTasks()
        events = [("ProductOrderCreateEvent", order)]
        if order["state"] == "rejected":
            events.append(("ProductOrderStateChangeEvent", order))
        for event_type, payload in events:
            tasks.add_task(_notify, service, version, caller.name, event_type, payload, now)
        return created(text, background=tasks)

    @api.get(base + "/productOrder", summary="listProductOrder", operation_id=f"TMF622v{version}_listProductOrder",
             responses=error_responses())
    def list_orders(request: Request, fields: str | None = None, offset: int = OFFSET, limit: int = LIMIT,
                    caller: Caller = READ) -> Response:
        return listed(service_of(request), "productOrder", version, fields, offset, limit, owner_of(caller, API),
                      request.query_params)

    @api.get(base + "/productOrder/{id}", summary="retrieveProductOrder",
             operation_id=f"TMF622v{version}_retrieveProductOrder",
             responses=doc_response(200, "ProductOrder", ["id", "state"]))
    def retrieve(request: Request, id: str, fields: str | None = None, caller: Caller = READ) -> Response:
        return fetched(service_of(request), "productOrder", version, id, fields, owner_of(caller, API))

    @api.patch(base + "/productOrder/{id}", summary="patchProductOrder",
               operation_id=f"TMF622v{version}_patchProductOrder", openapi_extra=PATCH_BODY,
               responses=doc_response(200, "ProductOrder", ["id", "state"]))
    async def patch(request: Request, id: str, caller: Caller = WRITE) -> Response:
        """A JSON merge-patch of what a client may change (description, externalId, priority, category,
        notificationContact, requested dates, notes) while the order is not final."""
        service = service_of(request)
        owner = owner_of(caller, API)
        body = await read_body(request, service.limits)

        def work(_deadline: Deadline) -> tuple[dict[str, Any], str]:
            order, meta = stored(service, "productOrder", version, id, owner)
            changed = orders.patched(order, body, version)
            return changed, service.store.put("productOrder", version, id, changed, meta)

        changed, text = await blocking(service.limits, work)
        tasks = BackgroundTasks()
        tasks.add_task(_notify, service, version, caller.name, "ProductOrderAttributeValueChangeEvent", changed,
                       service.now())
        return raw(text, background=tasks)


def _cancel_routes(api: APIRouter, version: int, base: str) -> None:
    """Create, list and retrieve ``cancelProductOrder``."""
    @api.post(base + "/cancelProductOrder", summary="createCancelProductOrder", status_code=201,
              operation_id=f"TMF622v{version}_createCancelProductOrder", openapi_extra=CANCEL_BODY,
              responses=doc_response(201, "CancelProductOrder", ["id", "state", "productOrder"]))
    async def cancel(request: Request, caller: Caller = WRITE) -> Response:
        """Cancel an order that is not final: it and its items become ``cancelled`` at once (409 otherwise)."""
        service = service_of(request)
        owner = owner_of(caller, API)
        body = await read_body(request, service.limits)
        ident = orders.order_of(body)
        origin = origin_of(request)

        def work(_deadline: Deadline) -> tuple[dict[str, Any], str, datetime]:
            order, meta = stored(service, "productOrder", version, ident, owner)
            now = service.now()
            orders.cancellation(order, body, version, "", "", now)  # refused before an id is taken
            pending: list[dict[str, Any]] = []

            def build(cancel_id: str) -> dict[str, Any]:
                cancelled, cancel = orders.cancellation(order, body, version, cancel_id,
                                                        f"{origin}{base}/cancelProductOrder/{cancel_id}", now)
                pending.append(cancelled)
                return cancel

            _, text = service.store.add("cancelProductOrder", version, build, {"order": ident}, caller.name, now)
            service.store.put("productOrder", version, ident, pending[0], meta)
            return pending[0], text, now

        cancelled, text, now = await blocking(service.limits, work)
        tasks = BackgroundTasks()
        tasks.add_task(_notify, service, version, caller.name, "ProductOrderStateChangeEvent", cancelled, now)
        return created(text, background=tasks)

    @api.get(base + "/cancelProductOrder", summary="listCancelProductOrder",
             operation_id=f"TMF622v{version}_listCancelProductOrder", responses=list_response("CancelProductOrder"))
    def list_cancels(request: Request, fields: str | None = None, offset: int = OFFSET, limit: int = LIMIT,
                     caller: Caller = READ) -> Response:
        return listed(service_of(request), "cancelProductOrder", version, fields, offset, limit,
                      owner_of(caller, API), request.query_params)

    @api.get(base + "/cancelProductOrder/{id}", summary="retrieveCancelProductOrder",
             operation_id=f"TMF622v{version}_retrieveCancelProductOrder",
             responses=doc_response(200, "CancelProductOrder", ["id", "state"]))
    def retrieve_cancel(request: Request, id: str, fields: str | None = None, caller: Caller = READ) -> Response:
        return fetched(service_of(request), "cancelProductOrder", version, id, fields, owner_of(caller, API),
                       "cancelProductOrder")


def _partner_and_hub_routes(api: APIRouter, version: int, base: str) -> None:
    """The partner orders of an order (an odedelta extension) and the listeners' hub."""
    @api.get(base + "/productOrder/{id}/partnerOrder", summary="listPartnerOrder (odedelta)",
             operation_id=f"odedelta_TMF622v{version}_listPartnerOrder", responses=error_responses())
    def get_partner_orders(request: Request, id: str, caller: Caller = READ) -> Response:
        """The partner orders of a customer order: one TMF622 ProductOrder per supplier whose items the change
        touches, linked by ``externalId`` (an odedelta extension; the reseller sends them to its suppliers)."""
        service = service_of(request)
        stored(service, "productOrder", version, id, owner_of(caller, API))
        found = service.store.get("partnerOrders", id, version)
        return json_answer(found[0]["partnerOrder"] if found is not None else [])

    @api.post(base + "/hub", summary="registerListener", status_code=201,
              operation_id=f"TMF622v{version}_registerListener", openapi_extra=HUB_BODY,
              responses=doc_response(201, "EventSubscription", ["id", "callback"]))
    async def register(request: Request, caller: Caller = WRITE) -> Response:
        service = service_of(request)
        body = await read_body(request, service.limits)
        callback = body.get("callback") if isinstance(body, dict) else None
        if not isinstance(callback, str):
            raise RequestError("EventSubscriptionInput @ $.callback: expected the listener's URL (a string)")
        query = body.get("query")
        if query is not None and not isinstance(query, str):
            raise RequestError("EventSubscriptionInput @ $.query: expected a string")

        def work(_deadline: Deadline) -> str:
            refusal, _ = service.callbacks.check(callback)
            if refusal:
                raise RequestError(f"EventSubscriptionInput @ $.callback: {callback!r} refused: {refusal}")
            subscription = {"callback": callback, **({"query": query} if query else {}),
                            **({"@type": "EventSubscription"} if version == 5 else {})}
            # the listener of a caller that sees every order receives every order's events
            meta = {"everyOrder": owner_of(caller, API) is None}
            _, text = service.store.add("hub", version, lambda ident: {"id": ident, **subscription}, meta,
                                        caller.name, service.now())
            return text

        return raw(await blocking(service.limits, work), 201)

    @api.delete(base + "/hub/{id}", summary="unregisterListener", status_code=204,
                operation_id=f"TMF622v{version}_unregisterListener", responses=deleted_responses())
    def unregister(request: Request, id: str, caller: Caller = WRITE) -> Response:
        return deleted(service_of(request), "hub", version, id, owner_of(caller, API), "hub registration")


def _create(deadline: Deadline, service: Service, body: Any, moment: datetime, caller: Caller, origin: str,
            version: int) -> tuple[dict[str, Any], str, datetime]:
    """Compute and store the order (the engine's, or a rejected one with the reason) and its partner orders."""
    base = f"{BASE}/v{version}"
    intent = docs.intent_of(body, "productOrderItem", "ProductOrder")
    service.check_party(caller, intent.party, intent.product)
    result: ChangeResult | None
    result, refusal = service.priced_or_refused(intent, moment)
    # with partner items, the customer order names the reference its partner orders carry
    reference = order_reference(result) if result is not None and partner_items(result) else None
    deadline.check()
    now = service.now()
    order, text = service.store.add("productOrder", version, lambda ident: docs.product_order(
        result, refusal, intent, version, ident, f"{origin}{base}/productOrder/{ident}", now, reference),
        {"intent": intent.to_json(), "asOf": iso(moment)}, caller.name, now)
    if result is not None and reference is not None:
        partners = partner_orders(result, version, reference=docs.partner_reference(reference, order["id"]))
        service.store.put("partnerOrders", version, order["id"], {"partnerOrder": partners}, {}, caller.name,
                          now)
    return order, text, now


def _notify(service: Service, version: int, owner: str, event_type: str, order: dict[str, Any],
            now: datetime) -> None:
    """POST the event to every listener registered for it whose caller may see the order
    (``{callback}/listener/productOrderCreateEvent``), under the callback policy, with retries; a listener
    that fails is logged and skipped."""
    for hub_owner, hub, meta in service.store.every("hub", version):
        if hub_owner != owner and not meta.get("everyOrder"):
            continue
        query = hub.get("query") or ""
        if "eventType=" in query and f"eventType={event_type}" not in query.replace(" ", ""):
            continue
        event = {"eventId": f"{order['id']}-{event_type}", "eventTime": iso(now), "eventType": event_type,
                 "event": {"productOrder": order}}
        url = hub["callback"].rstrip("/") + "/listener/" + event_type[0].lower() + event_type[1:]
        try:
            service.callbacks.post(url, dumps(event).encode(), service.retry)
        except OutboundError as exc:
            log.warning("listener failed: %s", exc)
