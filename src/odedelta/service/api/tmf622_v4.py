"""TMF622 Product Ordering v4: ``productOrder`` (create, list, retrieve, patch), ``cancelProductOrder``, the
partner orders of an order and the hub (:mod:`.tmf622` does the work)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service.api import models, tmf622
from odedelta.service.api._common import BODY_ERRORS, MERGE_PATCH, AsOf, answers
from odedelta.service.security import Caller

VERSION = 4


def router() -> APIRouter:
    api, base = tmf622.new_router(VERSION)

    @api.post(base + "/productOrder", summary="createProductOrder", status_code=201,
              operation_id="TMF622v4_createProductOrder",
              responses=answers(201, models.ProductOrderAnswer, "the order, acknowledged or rejected", *BODY_ERRORS))
    async def create(request: Request, body: models.ProductOrderCreate, as_of_text: AsOf = None,
                     caller: Caller = tmf622.WRITE) -> Response:
        return await tmf622.create(request, body, as_of_text, caller, VERSION)

    @api.patch(base + "/productOrder/{id}", summary="patchProductOrder", operation_id="TMF622v4_patchProductOrder",
               responses=answers(200, models.ProductOrderAnswer, "the patched order", 404, 409, *BODY_ERRORS))
    async def patch(request: Request, id: str, body: Annotated[models.ProductOrderPatch, MERGE_PATCH],
                    caller: Caller = tmf622.WRITE) -> Response:
        """A JSON merge-patch of what a client may change (description, externalId, priority, category,
        notificationContact, requested dates, notes) while the order is not final (409 otherwise)."""
        return await tmf622.patch(request, id, body, caller, VERSION)

    tmf622.shared_routes(api, VERSION, base)
    return api
