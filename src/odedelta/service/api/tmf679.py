"""TMF679 Product Offering Qualification: v4 ``productOfferingQualification``, v5
``checkProductOfferingQualification`` (create, retrieve, delete)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service import documents as docs
from odedelta.service._core import Qualification, RequestError
from odedelta.service.api._common import deleted, owner_of, service_of
from odedelta.service.edge import (
    AS_OF,
    ApiError,
    Deadline,
    as_of,
    blocking,
    body_schema,
    count_items,
    deleted_responses,
    doc_response,
    raw,
    read_body,
)
from odedelta.service.security import Caller, caller_of
from odedelta.service.state import Service

BASE = "/tmf-api/productOfferingQualification"
API = "tmf679"
READ, WRITE = Depends(caller_of(API, "read")), Depends(caller_of(API, "write"))


def router(version: int) -> APIRouter:
    resource = "checkProductOfferingQualification" if version == 5 else "productOfferingQualification"
    name = "CheckProductOfferingQualification" if version == 5 else "ProductOfferingQualification"
    items_key = f"{resource}Item"
    path = f"{BASE}/v{version}/{resource}"
    api = APIRouter(tags=[f"TMF679 Product Offering Qualification v{version}"])

    def work(deadline: Deadline, service: Service, body: Any, moment: datetime, caller: Caller) -> str:
        if not isinstance(body, dict):
            raise RequestError(f"{name}: expected a JSON object, found {type(body).__name__}")
        items = body.get(items_key)
        if not isinstance(items, list) or not items:
            raise RequestError(f"{name} @ $.{items_key}: expected a non-empty list of items")
        party = docs.party_of(body)
        engine = service.engine
        answers: list[tuple[str, Qualification, str | None]] = []
        for index, item in enumerate(items):
            deadline.check(f" ({index} of {len(items)} items qualified)")
            product = item.get("product") if isinstance(item, dict) else None
            product_id = docs._id_of(product)
            if product_id is None:
                raise RequestError(f"{name} @ $.{items_key}[{index}].product.id: name the installed product")
            offering = docs._id_of(item.get("productOffering"))
            service.check_party(caller, party, product_id)
            inventory = service.inventory_source.inventory(engine.catalog, party, product_id)
            answers.append((product_id, engine.qualify(inventory, product_id, as_of=moment), offering))
        deadline.check()
        service.purge()
        now = service.now()
        _, text = service.store.add("poq", version, lambda ident: docs.qualification(
            answers, version, ident, f"{path}/{ident}", now, moment), {}, caller.name, now)
        return text

    @api.post(path, summary=f"create{name}", operation_id=f"TMF679v{version}_create{name}", status_code=201,
              openapi_extra=body_schema(items_key, example="qualify"),
              responses=doc_response(201, name, ["id", items_key]))
    async def create(request: Request, as_of_text: str | None = AS_OF, caller: Caller = WRITE) -> Response:
        service = service_of(request)
        body = await read_body(request, service.limits)
        count_items(body, items_key, service.limits, name)
        moment = as_of(as_of_text, service.now)
        return raw(await blocking(service.limits, work, service, body, moment, caller), 201)

    @api.get(path + "/{id}", summary=f"retrieve{name}", operation_id=f"TMF679v{version}_retrieve{name}",
             responses=doc_response(200, name, ["id"]))
    def retrieve(request: Request, id: str, caller: Caller = READ) -> Response:
        found = service_of(request).store.text("poq", id, version, owner_of(caller, API))
        if found is None:
            raise ApiError(404, "Not found", f"no qualification {id!r}")
        return raw(found)

    @api.delete(path + "/{id}", summary=f"delete{name}", operation_id=f"TMF679v{version}_delete{name}",
                status_code=204, responses=deleted_responses())
    def delete(request: Request, id: str, caller: Caller = WRITE) -> Response:
        return deleted(service_of(request), "poq", version, id, owner_of(caller, API), "qualification")

    return api
