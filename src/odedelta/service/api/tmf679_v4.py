"""TMF679 Product Offering Qualification v4: ``productOfferingQualification`` (create, list, retrieve, delete)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service.api import models
from odedelta.service.api._common import BODY_ERRORS, AsOf, TmfRoute, answers, as_of, created, origin_of, service_of
from odedelta.service.api.tmf679 import WRITE, qualify, resources
from odedelta.service.api.versions import TABLE
from odedelta.service.edge import blocking, count_items
from odedelta.service.security import Caller

V4 = TABLE["TMF679", 4]
NAME = "ProductOfferingQualification"
PATH = f"{V4.base}/{V4.resources[0]}"


def router() -> APIRouter:
    api = APIRouter(tags=["TMF679 Product Offering Qualification v4"], route_class=TmfRoute)

    @api.post(PATH, summary=f"create{NAME}", operation_id=f"TMF679v4_create{NAME}", status_code=201,
              responses=answers(201, models.ProductOfferingQualificationAnswer, "the qualification", *BODY_ERRORS))
    async def create(request: Request, body: models.ProductOfferingQualificationCreate, as_of_text: AsOf = None,
                     caller: Caller = WRITE) -> Response:
        service = service_of(request)
        count_items(body.document(), V4.items, service.limits, NAME)
        moment = as_of(as_of_text, service.now)
        return created(await blocking(service.limits, qualify, service, body, 4, moment, caller,
                                      origin_of(request) + PATH))

    resources(api, 4, PATH, NAME, "poq", models.ProductOfferingQualificationAnswer)
    return api
