"""TMF663 Shopping Cart v5: create, list, retrieve, patch, delete (:mod:`.tmf663` does the work)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service.api import models, tmf663
from odedelta.service.api._common import BODY_ERRORS, MERGE_PATCH, AsOf, TmfRoute, answers
from odedelta.service.security import Caller

VERSION = 5


def router() -> APIRouter:
    api = APIRouter(tags=["TMF663 Shopping Cart v5"], route_class=TmfRoute)
    base = tmf663.path(VERSION)

    @api.post(base, summary="createShoppingCart", operation_id="TMF663v5_createShoppingCart", status_code=201,
              responses=answers(201, models.ShoppingCartAnswer, "the priced cart", *BODY_ERRORS))
    async def create(request: Request, body: models.ShoppingCartCreateV5, as_of_text: AsOf = None,
                     caller: Caller = tmf663.WRITE) -> Response:
        return await tmf663.create(request, body, as_of_text, caller, VERSION)

    tmf663.resources(api, VERSION)

    @api.patch(base + "/{id}", summary="patchShoppingCart", operation_id="TMF663v5_patchShoppingCart",
               responses=answers(200, models.ShoppingCartAnswer, "the cart priced again", 404, *BODY_ERRORS))
    async def patch(request: Request, id: str,
                    body: Annotated[models.ShoppingCartUpdateV5, MERGE_PATCH],
                    as_of_text: AsOf = None, caller: Caller = tmf663.WRITE) -> Response:
        """New items (the cart is priced again at ``asOf``, else at the cart's moment), a new customer, or both."""
        return await tmf663.patch(request, id, body, as_of_text, caller, VERSION)

    return api
