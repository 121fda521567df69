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
from odedelta.service._core import (
    ChangeResult,
    RequestError,
    iso,
    order_reference,
    partner_items,
    partner_orders,
)
from odedelta.service.api._common import deleted, fetched, listed, owner_of, service_of, stored
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


def router(version: int) -> APIRouter:
    base = f"{BASE}/v{version}"
    api = APIRouter(tags=[f"TMF622 Product Ordering v{version}"])

    def work(deadline: Deadline, service: Service, body: Any, moment: datetime,
             caller: Caller) -> tuple[dict[str, Any], str, datetime]:
        intent = docs.intent_of(body, "productOrderItem", "ProductOrder")
        service.check_party(caller, intent.party, intent.product)
        result: ChangeResult | None
        result, refusal = service.priced_or_refused(intent, moment)
        # with partner items, the customer order names the reference its partner orders carry
        reference = order_reference(result) if result is not None and partner_items(result) else None
        deadline.check()
        now = service.now()
        order, text = service.store.add("productOrder", version, lambda ident: docs.product_order(
            result, refusal, intent, version, ident, f"{base}/productOrder/{ident}", now, reference),
            {"intent": intent.to_json(), "asOf": iso(moment)}, caller.name, now)
        if result is not None and reference is not None:
            partners = partner_orders(result, version, reference=docs.partner_reference(reference, order["id"]))
            service.store.put("partnerOrders", version, order["id"], {"partnerOrder": partners}, {}, caller.name,
                              now)
        return order, text, now

    def notify(service: Service, owner: str, event_type: str, order: dict[str, Any], now: datetime) -> None:
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

    @api.post(base + "/productOrder", summary="createProductOrder", status_code=201,
              operation_id=f"TMF622v{version}_createProductOrder", openapi_extra=body_schema("productOrderItem"),
              responses=doc_response(201, "ProductOrder", ["id", "state", "productOrderItem"]))
    async def create(request: Request, as_of_text: str | None = AS_OF, caller: Caller = WRITE) -> Response:
        service = service_of(request)
        body = await read_body(request, service.limits)
        count_items(body, "productOrderItem", service.limits, "ProductOrder")
        moment = as_of(as_of_text, service.now)
        order, text, now = await blocking(service.limits, work, service, body, moment, caller)
        tasks = BackgroundTasks()
        events = [("ProductOrderCreateEvent", order)]
        if order["state"] == "rejected":
            events.append(("ProductOrderStateChangeEvent", order))
        for event_type, payload in events:
            tasks.add_task(notify, service, caller.name, event_type, payload, now)
        return raw(text, 201, background=tasks)

    @api.get(base + "/productOrder", summary="listProductOrder", operation_id=f"TMF622v{version}_listProductOrder",
             responses=error_responses())
    def list_orders(request: Request, fields: str | None = None, offset: int = OFFSET, limit: int = LIMIT,
                    caller: Caller = READ) -> Response:
        return listed(service_of(request), "productOrder", version, fields, offset, limit, owner_of(caller, API))

    @api.get(base + "/productOrder/{id}", summary="retrieveProductOrder",
             operation_id=f"TMF622v{version}_retrieveProductOrder",
             responses=doc_response(200, "ProductOrder", ["id", "state"]))
    def retrieve(request: Request, id: str, fields: str | None = None, caller: Caller = READ) -> Response:
        return fetched(service_of(request), "productOrder", version, id, fields, owner_of(caller, API))

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

    return api

