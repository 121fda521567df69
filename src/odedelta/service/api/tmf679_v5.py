"""TMF679 Product Offering Qualification v5: ``checkProductOfferingQualification`` (may the customer have these
offerings?) and ``queryProductOfferingQualification`` (which offerings may the customer have?), each with create,
list, retrieve and delete."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service.api import models
from odedelta.service.api._common import BODY_ERRORS, AsOf, TmfRoute, answers, as_of, created, origin_of, service_of
from odedelta.service.api.tmf679 import WRITE, qualify, query, resources
from odedelta.service.api.versions import TABLE
from odedelta.service.edge import blocking, count_items
from odedelta.service.security import Caller

CHECK, QUERY = "CheckProductOfferingQualification", "QueryProductOfferingQualification"
V5 = TABLE["TMF679", 5]
CHECK_PATH, QUERY_PATH = (f"{V5.base}/{resource}" for resource in V5.resources)


def router() -> APIRouter:
    api = APIRouter(tags=["TMF679 Product Offering Qualification v5"], route_class=TmfRoute)

    @api.post(CHECK_PATH, summary=f"create{CHECK}", operation_id=f"TMF679v5_create{CHECK}", status_code=201,
              responses=answers(201, models.CheckProductOfferingQualificationAnswer, "the qualification",
                                *BODY_ERRORS))
    async def check(request: Request, body: models.CheckProductOfferingQualificationCreate, as_of_text: AsOf = None,
                    caller: Caller = WRITE) -> Response:
        service = service_of(request)
        count_items(body.document(), V5.items, service.limits, CHECK)
        moment = as_of(as_of_text, service.now)
        return created(await blocking(service.limits, qualify, service, body, 5, moment, caller,
                                      origin_of(request) + CHECK_PATH))

    resources(api, 5, CHECK_PATH, CHECK, "poq", models.CheckProductOfferingQualificationAnswer)

    @api.post(QUERY_PATH, summary=f"create{QUERY}", operation_id=f"TMF679v5_create{QUERY}", status_code=201,
              responses=answers(201, models.QueryProductOfferingQualificationAnswer, "the qualifying offerings",
                                *BODY_ERRORS))
    async def create_query(request: Request, body: models.QueryProductOfferingQualificationCreate,
                           as_of_text: AsOf = None, caller: Caller = WRITE) -> Response:
        """Which offerings may the customer have? ``searchCriteria`` names an offering, a category or an installed
        product; the answer lists the qualifying ones as ``qualifiedProductOfferingItem``s."""
        service = service_of(request)
        moment = as_of(as_of_text, service.now)
        return created(await blocking(service.limits, query, service, body, moment, caller,
                                      origin_of(request) + QUERY_PATH))

    resources(api, 5, QUERY_PATH, QUERY, "poqQuery", models.QueryProductOfferingQualificationAnswer)
    return api
