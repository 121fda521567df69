"""TMF648 Quote Management v4: create (priced by the engine, or refused with the reason), list, retrieve."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service import documents as docs
from odedelta.service._core import ChangeResult, iso
from odedelta.service.api import models
from odedelta.service.api._common import (
    BODY_ERRORS,
    FIELDS,
    LIMIT,
    OFFSET,
    AsOf,
    TmfRoute,
    answers,
    as_of,
    created,
    fetched,
    listed,
    origin_of,
    owner_of,
    service_of,
)
from odedelta.service.api.versions import TABLE
from odedelta.service.edge import Deadline, blocking, count_items
from odedelta.service.security import Caller, caller_of
from odedelta.service.state import Service

API = "tmf648"
READ, WRITE = Depends(caller_of(API, "read")), Depends(caller_of(API, "write"))


def router(version: int) -> APIRouter:
    base = f"{TABLE['TMF648', version].base}/quote"
    api = APIRouter(tags=[f"TMF648 Quote v{version}"], route_class=TmfRoute)

    def work(deadline: Deadline, service: Service, body: Any, moment: datetime, caller: Caller, origin: str) -> str:
        intent = docs.intent_of(body, "quoteItem", "Quote")
        service.check_party(caller, intent.party, intent.product)
        result: ChangeResult | None
        result, refusal = service.priced_or_refused(intent, moment)
        deadline.check()
        service.purge()
        now = service.now()
        _, text = service.store.add("quote", version, lambda ident: docs.quote(
            result, refusal, docs.intent_items(intent, version, "QuoteItem"), ident, f"{origin}{base}/{ident}",
            intent.party, now, moment), {"intent": intent.to_json(), "asOf": iso(moment)}, caller.name, now)
        return text

    @api.post(base, summary="createQuote", operation_id=f"TMF648v{version}_createQuote", status_code=201,
              responses=answers(201, models.QuoteAnswer, "the quote, approved or rejected", *BODY_ERRORS))
    async def create(request: Request, quote: models.QuoteCreate, as_of_text: AsOf = None,
                     caller: Caller = WRITE) -> Response:
        service = service_of(request)
        body = quote.document()
        count_items(body, "quoteItem", service.limits, "Quote")
        moment = as_of(as_of_text, service.now)
        return created(await blocking(service.limits, work, service, body, moment, caller, origin_of(request)))

    @api.get(base, summary="listQuote", operation_id=f"TMF648v{version}_listQuote",
             responses=answers(200, list[models.QuoteAnswer], "the quotes", 400))
    def list_quotes(request: Request, fields: str | None = FIELDS, offset: int = OFFSET, limit: int = LIMIT,
                    caller: Caller = READ) -> Response:
        return listed(service_of(request), "quote", version, fields, offset, limit, owner_of(caller, API),
                      request.query_params)

    @api.get(base + "/{id}", summary="retrieveQuote", operation_id=f"TMF648v{version}_retrieveQuote",
             responses=answers(200, models.QuoteAnswer, "the quote", 400, 404))
    def retrieve(request: Request, id: str, fields: str | None = FIELDS, caller: Caller = READ) -> Response:
        return fetched(service_of(request), "quote", version, id, fields, owner_of(caller, API))

    return api
