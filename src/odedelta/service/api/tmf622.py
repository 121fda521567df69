"""TMF622 Product Ordering, what v4 (:mod:`.tmf622_v4`) and v5 (:mod:`.tmf622_v5`) share: create (the engine's
order, or a rejected one with the reason), list, retrieve, patch, ``cancelProductOrder``, the partner orders of an
order (an odedelta extension), and the hub: listeners registered under the callback policy receive
``ProductOrderCreateEvent``, ``ProductOrderStateChangeEvent`` and ``ProductOrderAttributeValueChangeEvent`` for the
orders their caller may see. The versions differ in their bodies' models (the party's form, ``externalId``)."""

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
from odedelta.service.api import models
from odedelta.service.api._common import (
    BODY_ERRORS,
    FIELDS,
    LIMIT,
    OFFSET,
    TmfRoute,
    answers,
    as_of,
    created,
    deleted,
    fetched,
    listed,
    no_content,
    origin_of,
    owner_of,
    service_of,
    stored,
)
from odedelta.service.api.versions import TABLE
from odedelta.service.edge import ApiError, Deadline, blocking, count_items, json_answer, raw
from odedelta.service.encode import dumps
from odedelta.service.outbound import OutboundError
from odedelta.service.security import Caller, caller_of
from odedelta.service.state import Service

log = logging.getLogger("odedelta.service")
API = "tmf622"
READ, WRITE = Depends(caller_of(API, "read")), Depends(caller_of(API, "write"))


def new_router(version: int) -> tuple[APIRouter, str]:
    return APIRouter(tags=[f"TMF622 Product Ordering v{version}"], route_class=TmfRoute), TABLE["TMF622", version].base


def shared_routes(api: APIRouter, version: int, base: str) -> None:
    """The operations whose bodies are the same in v4 and v5."""
    _order_reads(api, version, base)
    _cancel_routes(api, version, base)
    _partner_and_hub_routes(api, version, base)


async def create(request: Request, body: models.Tmf, as_of_text: str | None, caller: Caller,
                 version: int) -> Response:
    service = service_of(request)
    sent = body.document()
    count_items(sent, "productOrderItem", service.limits, "ProductOrder")
    moment = as_of(as_of_text, service.now)
    order, text, now = await blocking(service.limits, _create, service, sent, moment, caller,
                                      origin_of(request), version)
    tasks = BackgroundTasks()
    events = [("ProductOrderCreateEvent", order)]
    if order["state"] == "rejected":
        events.append(("ProductOrderStateChangeEvent", order))
    for event_type, payload in events:
        tasks.add_task(_notify, service, version, caller.name, event_type, payload, now)
    return created(text, background=tasks)


async def patch(request: Request, id: str, body: models.Tmf | models.ProductOrderPatch | models.ProductOrderPatchV5,
                caller: Caller, version: int) -> Response:
    """A JSON merge-patch of what a client may change (description, externalId, priority, category,
    notificationContact, requested dates, notes) while the order is not final."""
    service = service_of(request)
    owner = owner_of(caller, API)
    sent = body.document()

    def work(_deadline: Deadline) -> tuple[dict[str, Any], str]:
        return updated(service, version, id, owner, lambda order: orders.patched(order, sent, version))

    changed, text = await blocking(service.limits, work)
    tasks = BackgroundTasks()
    tasks.add_task(_notify, service, version, caller.name, "ProductOrderAttributeValueChangeEvent", changed,
                   service.now())
    return raw(text, background=tasks)


def updated(service: Service, version: int, ident: str, owner: str | None,
            change: Any) -> tuple[dict[str, Any], str]:
    """The order after ``change``, read and written in one transaction (404 when there is no such order)."""
    found = service.store.update("productOrder", version, ident, owner, change)
    if found is None:
        raise ApiError(404, "Not found", f"no productOrder {ident!r} in v{version}")
    return found


def _order_reads(api: APIRouter, version: int, base: str) -> None:
    @api.get(base + "/productOrder", summary="listProductOrder", operation_id=f"TMF622v{version}_listProductOrder",
             responses=answers(200, list[models.ProductOrderAnswer], "the orders", 400))
    def list_orders(request: Request, fields: str | None = FIELDS, offset: int = OFFSET, limit: int = LIMIT,
                    caller: Caller = READ) -> Response:
        return listed(service_of(request), "productOrder", version, fields, offset, limit, owner_of(caller, API),
                      request.query_params)

    @api.get(base + "/productOrder/{id}", summary="retrieveProductOrder",
             operation_id=f"TMF622v{version}_retrieveProductOrder",
             responses=answers(200, models.ProductOrderAnswer, "the order", 400, 404))
    def retrieve(request: Request, id: str, fields: str | None = FIELDS, caller: Caller = READ) -> Response:
        return fetched(service_of(request), "productOrder", version, id, fields, owner_of(caller, API))


def _cancel_routes(api: APIRouter, version: int, base: str) -> None:
    """Create, list and retrieve ``cancelProductOrder``."""
    @api.post(base + "/cancelProductOrder", summary="createCancelProductOrder", status_code=201,
              operation_id=f"TMF622v{version}_createCancelProductOrder",
              responses=answers(201, models.CancelProductOrderAnswer, "the cancellation (done: the order is "
                                "cancelled)", 404, 409, *BODY_ERRORS))
    async def cancel(request: Request, body: models.CancelProductOrderCreate, caller: Caller = WRITE) -> Response:
        """Cancel an order that is not final: it and its items become ``cancelled`` at once (409 otherwise)."""
        service = service_of(request)
        owner = owner_of(caller, API)
        sent = body.document()
        ident = body.product_order.id
        origin = origin_of(request)

        def work(_deadline: Deadline) -> tuple[dict[str, Any], str, datetime]:
            now = service.now()
            # the order is cancelled in one transaction (a concurrent patch or cancellation waits, then sees it:
            # 409), then the cancellation is recorded with its own id
            cancelled, _ = updated(service, version, ident, owner,
                                   lambda order: orders.cancellation(order, sent, version, "", "", now)[0])
            _, text = service.store.add("cancelProductOrder", version, lambda cancel_id: orders.cancellation_record(
                cancelled, sent, version, cancel_id, f"{origin}{base}/cancelProductOrder/{cancel_id}", now),
                {"order": ident}, caller.name, now)
            return cancelled, text, now

        cancelled, text, now = await blocking(service.limits, work)
        tasks = BackgroundTasks()
        tasks.add_task(_notify, service, version, caller.name, "ProductOrderStateChangeEvent", cancelled, now)
        return created(text, background=tasks)

    @api.get(base + "/cancelProductOrder", summary="listCancelProductOrder",
             operation_id=f"TMF622v{version}_listCancelProductOrder",
             responses=answers(200, list[models.CancelProductOrderAnswer], "the cancellations", 400))
    def list_cancels(request: Request, fields: str | None = FIELDS, offset: int = OFFSET, limit: int = LIMIT,
                     caller: Caller = READ) -> Response:
        return listed(service_of(request), "cancelProductOrder", version, fields, offset, limit,
                      owner_of(caller, API), request.query_params)

    @api.get(base + "/cancelProductOrder/{id}", summary="retrieveCancelProductOrder",
             operation_id=f"TMF622v{version}_retrieveCancelProductOrder",
             responses=answers(200, models.CancelProductOrderAnswer, "the cancellation", 400, 404))
    def retrieve_cancel(request: Request, id: str, fields: str | None = FIELDS, caller: Caller = READ) -> Response:
        return fetched(service_of(request), "cancelProductOrder", version, id, fields, owner_of(caller, API),
                       "cancelProductOrder")


def _partner_and_hub_routes(api: APIRouter, version: int, base: str) -> None:
    """The partner orders of an order (an odedelta extension) and the listeners' hub."""
    @api.get(base + "/productOrder/{id}/partnerOrder", summary="listPartnerOrder (odedelta)",
             operation_id=f"odedelta_TMF622v{version}_listPartnerOrder",
             responses=answers(200, list[models.PartnerOrder], "the partner orders", 404))
    def get_partner_orders(request: Request, id: str, caller: Caller = READ) -> Response:
        """The partner orders of a customer order: one TMF622 ProductOrder per supplier whose items the change
        touches, linked by ``externalId`` (an odedelta extension; the reseller sends them to its suppliers)."""
        service = service_of(request)
        stored(service, "productOrder", version, id, owner_of(caller, API))
        found = service.store.get("partnerOrders", id, version)
        return json_answer(found[0]["partnerOrder"] if found is not None else [])

    @api.post(base + "/hub", summary="registerListener", status_code=201,
              operation_id=f"TMF622v{version}_registerListener",
              responses=answers(201, models.EventSubscription, "the registration", *BODY_ERRORS))
    async def register(request: Request, body: models.EventSubscriptionInput, caller: Caller = WRITE) -> Response:
        """Register a listener (its base URL must be allowed by ``serve --callback-allow``, else 422)."""
        service = service_of(request)
        callback, query = body.callback, body.query

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
                operation_id=f"TMF622v{version}_unregisterListener", responses=no_content(404))
    def unregister(request: Request, id: str, caller: Caller = WRITE) -> Response:
        return deleted(service_of(request), "hub", version, id, owner_of(caller, API), "hub registration")


def _create(deadline: Deadline, service: Service, body: Any, moment: datetime, caller: Caller, origin: str,
            version: int) -> tuple[dict[str, Any], str, datetime]:
    """Compute and store the order (the engine's, or a rejected one with the reason) and its partner orders."""
    base = TABLE["TMF622", version].base
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
