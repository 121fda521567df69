"""TMF679 Product Offering Qualification: v4 ``productOfferingQualification``, v5
``checkProductOfferingQualification`` and ``queryProductOfferingQualification`` (create, list, retrieve, delete).

An item names what it asks about:
- an installed product (``product.id``): every offering it can change to, or the one ``productOffering`` named;
- an offering alone (``productOffering.id``): may the customer (``relatedParty``; none: a prospect) acquire it;
- a category (v4: the request's ``category``; v5: the item's ``category``): every offering in it sold on its own.
An offering the catalog does not know is an ``unqualified`` item with its reason, not a refusal of the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service import documents as docs
from odedelta.service._core import Candidate, Context, Engine, Inventory, Reason
from odedelta.service.api._common import created, deleted, fetched, listed, origin_of, owner_of, service_of
from odedelta.service.edge import (
    AS_OF,
    LIMIT,
    OFFSET,
    ApiError,
    Deadline,
    as_of,
    blocking,
    body_schema,
    count_items,
    deleted_responses,
    doc_response,
    list_response,
    read_body,
)
from odedelta.service.prospect import acquisition, category_offerings
from odedelta.service.security import Caller, caller_of
from odedelta.service.state import Service

BASE = "/tmf-api/productOfferingQualification"
API = "tmf679"
READ, WRITE = Depends(caller_of(API, "read")), Depends(caller_of(API, "write"))


def _flag(body: dict[str, Any], key: str, default: bool, name: str) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ApiError(400, "Bad request", f"{name} @ $.{key}: expected true or false, found {value!r}")
    return value


def _ref(value: Any, where: str) -> str | None:
    """The id of a reference (None when absent); a reference without a string id is a 400."""
    if value is None:
        return None
    found = docs._id_of(value)
    if found is None:
        raise ApiError(400, "Bad request", f"{where}: expected a reference with a non-empty string id")
    return found


class _Asker:
    """The answers to one qualification request, item by item."""

    def __init__(self, service: Service, caller: Caller, party: str | None, moment: datetime) -> None:
        self.service, self.caller, self.party, self.moment = service, caller, party, moment
        self.engine: Engine = service.engine
        self._held: Inventory | None = None

    def held(self) -> Inventory:
        """The customer's inventory (empty for a prospect: no party named)."""
        if self._held is None:
            if self.party is not None:
                self.service.check_party(self.caller, self.party, None)
            self._held = (self.service.inventory_source.inventory(self.engine.catalog, self.party, None)
                          if self.party is not None else Inventory())
        return self._held

    def installed(self, product_id: str, offering: str | None) -> list[Candidate]:
        service = self.service
        service.check_party(self.caller, self.party, product_id)
        inventory = service.inventory_source.inventory(self.engine.catalog, self.party, product_id)
        qual = self.engine.qualify(inventory, product_id, as_of=self.moment)
        if offering is None:
            return list(qual.candidates)
        found = [c for c in qual.candidates if c.offering_id == offering]
        if found:
            return found
        why = (f"the catalog has no offering {offering!r}" if offering not in self.engine.catalog.offerings else
               f"{offering} is not among the offerings {product_id} ({qual.offering_id}) can change to")
        code = "unknownOffering" if offering not in self.engine.catalog.offerings else "notACandidate"
        return [Candidate(offering, qualified=False, reasons=[Reason(code, why, f"catalog:{qual.offering_id}")])]

    def acquire(self, offering: str) -> Candidate:
        return acquisition(self.engine, self.held(), offering, self.moment, Context())

    def category(self, category: str) -> list[Candidate] | None:
        """The candidates of every sellable offering of ``category``; None when the catalog has no such category."""
        if category not in self.engine.catalog.categories:
            return None
        return [self.acquire(o) for o in category_offerings(self.engine.catalog, category, self.moment)]


def _unknown_category(asker: _Asker, category: str) -> Candidate:
    known = ", ".join(sorted(asker.engine.catalog.categories)) or "no categories"
    return Candidate("", qualified=False, reasons=[Reason(
        "unknownCategory", f"the catalog has no category {category!r} (it has {known})", "catalog")])


def _answers(deadline: Deadline, asker: _Asker, items: list[Any], category: str | None, items_key: str,
             name: str) -> list[docs.Answer]:
    answers: list[docs.Answer] = []
    numbered = len(items) > 1
    for index, item in enumerate(items):
        deadline.check(f" ({index} of {len(items)} items qualified)")
        where = f"{name} @ $.{items_key}[{index}]"
        if not isinstance(item, dict):
            raise ApiError(400, "Bad request", f"{where}: expected an object, found {type(item).__name__}")
        ident = item.get("id")
        if ident is not None and not isinstance(ident, str):
            raise ApiError(400, "Bad request", f"{where}.id: expected a string, found {ident!r}")
        product = _ref(item.get("product"), f"{where}.product")
        offering = _ref(item.get("productOffering"), f"{where}.productOffering")
        asked_category = _ref(item.get("category"), f"{where}.category") or category
        activation = item.get("expectedActivationDate")
        activation = activation if isinstance(activation, str) else None
        found: list[tuple[Candidate, str | None]]
        if product is not None:
            found = [(c, None) for c in asker.installed(product, offering)]
        elif offering is not None:
            found = [(asker.acquire(offering), None)]
        elif asked_category is not None:
            in_category = asker.category(asked_category)
            if in_category is None:  # not a refusal of the request: this item could not be qualified
                answers.append(docs.Answer(ident or str(index + 1), None, _unknown_category(asker, asked_category),
                                           asked_category, terminated=True, activation=activation))
                continue
            found = [(c, asked_category) for c in in_category]
        else:
            raise ApiError(400, "Bad request", f"{where}: name what to qualify: product.id (an installed product), "
                                               "productOffering.id or category.id")
        base = ident or str(index + 1)
        for number, (candidate, by_category) in enumerate(found, start=1):
            if len(found) == 1 and (ident or numbered):
                label = base
            elif ident or numbered:
                label = f"{base}-{number}"
            else:
                label = str(number)
            answers.append(docs.Answer(label, product, candidate, by_category, activation=activation))
    return answers


def router(version: int) -> APIRouter:
    api = APIRouter(tags=[f"TMF679 Product Offering Qualification v{version}"])
    if version == 5:
        _check(api, version, "checkProductOfferingQualification", "CheckProductOfferingQualification")
        _query(api)
    else:
        _check(api, version, "productOfferingQualification", "ProductOfferingQualification")
    return api


def _resources(api: APIRouter, version: int, path: str, name: str, kind: str) -> None:
    """List, retrieve and delete of one stored resource."""

    @api.get(path, summary=f"list{name}", operation_id=f"TMF679v{version}_list{name}",
             responses=list_response(name))
    def list_all(request: Request, fields: str | None = None, offset: int = OFFSET, limit: int = LIMIT,
                 caller: Caller = READ) -> Response:
        return listed(service_of(request), kind, version, fields, offset, limit, owner_of(caller, API),
                      request.query_params)

    @api.get(path + "/{id}", summary=f"retrieve{name}", operation_id=f"TMF679v{version}_retrieve{name}",
             responses=doc_response(200, name, ["id"]))
    def retrieve(request: Request, id: str, fields: str | None = None, caller: Caller = READ) -> Response:
        return fetched(service_of(request), kind, version, id, fields, owner_of(caller, API), "qualification")

    @api.delete(path + "/{id}", summary=f"delete{name}", operation_id=f"TMF679v{version}_delete{name}",
                status_code=204, responses=deleted_responses())
    def delete(request: Request, id: str, caller: Caller = WRITE) -> Response:
        return deleted(service_of(request), kind, version, id, owner_of(caller, API), "qualification")


def _stored(service: Service, kind: str, version: int, href: str, caller: Caller, build: Any) -> str:
    service.purge()
    now = service.now()
    _, text = service.store.add(kind, version, lambda ident: build(ident, f"{href}/{ident}", now), {}, caller.name,
                                now)
    return text


def _check(api: APIRouter, version: int, resource: str, name: str) -> None:
    items_key = f"{resource}Item"
    path = f"{BASE}/v{version}/{resource}"

    def work(deadline: Deadline, service: Service, body: Any, moment: datetime, caller: Caller, origin: str) -> str:
        if not isinstance(body, dict):
            raise ApiError(400, "Bad request", f"{name}: expected a JSON object, found {type(body).__name__}")
        items = body.get(items_key)
        category = _ref(body.get("category"), f"{name} @ $.category") if version == 4 else None
        if items is None and category is not None:
            items = [{}]
        if not isinstance(items, list) or not items:
            raise ApiError(400, "Bad request", f"{name} @ $.{items_key}: missing mandatory attribute: a non-empty "
                                               "list of items" + (" (or a category)" if version == 4 else ""))
        asked = docs.Asked(alternative=_flag(body, "provideAlternative", True, name),
                           reason=_flag(body, "provideResultReason" if version == 5 else
                                        "provideUnavailabilityReason", True, name),
                           only_available=_flag(body, "provideOnlyAvailable", False, name),
                           party=docs.party_of(body),
                           description=body["description"] if isinstance(body.get("description"), str) else None,
                           echo={k: body[k] for k in docs.POQ_ECHOED[version] if k in body})
        answers = _answers(deadline, _Asker(service, caller, asked.party, moment), items, category, items_key, name)
        deadline.check()
        return _stored(service, "poq", version, origin + path, caller, lambda ident, href, now: docs.qualification(
            answers, asked, version, ident, href, now, moment))

    @api.post(path, summary=f"create{name}", operation_id=f"TMF679v{version}_create{name}", status_code=201,
              openapi_extra=body_schema(items_key, example="qualify"),
              responses=doc_response(201, name, ["id", items_key]))
    async def create(request: Request, as_of_text: str | None = AS_OF, caller: Caller = WRITE) -> Response:
        service = service_of(request)
        body = await read_body(request, service.limits)
        count_items(body, items_key, service.limits, name)
        moment = as_of(as_of_text, service.now)
        return created(await blocking(service.limits, work, service, body, moment, caller, origin_of(request)))

    _resources(api, version, path, name, "poq")


def _query(api: APIRouter) -> None:
    """v5 QueryProductOfferingQualification: which offerings may the customer have? ``searchCriteria`` names an
    offering, a category or an installed product; the answer lists them as ``qualifiedProductOfferingItem``s."""
    name = "QueryProductOfferingQualification"
    path = f"{BASE}/v5/queryProductOfferingQualification"

    def work(deadline: Deadline, service: Service, body: Any, moment: datetime, caller: Caller, origin: str) -> str:
        if not isinstance(body, dict):
            raise ApiError(400, "Bad request", f"{name}: expected a JSON object, found {type(body).__name__}")
        criteria = body.get("searchCriteria")
        if not isinstance(criteria, dict):
            raise ApiError(400, "Bad request", f"{name} @ $.searchCriteria: missing mandatory attribute: an object "
                                               "naming a productOffering, a category or a product")
        party = docs.party_of(body)
        answers = _answers(deadline, _Asker(service, caller, party, moment), [criteria], None, "searchCriteria",
                           name)
        deadline.check()
        return _stored(service, "poqQuery", 5, origin + path, caller, lambda ident, href, now: docs.query_qualification(
            answers, criteria, party, ident, href, now, moment))

    @api.post(path, summary=f"create{name}", operation_id=f"TMF679v5_create{name}", status_code=201,
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["searchCriteria"],
                  "properties": {"searchCriteria": {"type": "object", "minProperties": 1, "properties": {
                      "productOffering": {"type": "object", "properties": {"id": {"type": "string"}}},
                      "category": {"type": "object", "properties": {"id": {"type": "string"}}},
                      "product": {"type": "object", "properties": {"id": {"type": "string"}}}}}}},
                  "example": {"searchCriteria": {"category": {"id": "cat-fiber"}}}}}}},
              responses=doc_response(201, name, ["id"]))
    async def create(request: Request, as_of_text: str | None = AS_OF, caller: Caller = WRITE) -> Response:
        service = service_of(request)
        body = await read_body(request, service.limits)
        moment = as_of(as_of_text, service.now)
        return created(await blocking(service.limits, work, service, body, moment, caller, origin_of(request)))

    _resources(api, 5, path, name, "poqQuery")
