"""TMF663 Shopping Cart, what v4 (:mod:`.tmf663_v4`) and v5 (:mod:`.tmf663_v5`) share: create (priced by the
engine), list, retrieve, patch (priced again), delete; the versions differ in their bodies' models (the party's
form) and the cart's dates (v5 ``creationDate``, ``lastUpdate``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from odedelta.service import documents as docs
from odedelta.service._core import iso
from odedelta.service.api import models
from odedelta.service.api._common import (
    FIELDS,
    LIMIT,
    OFFSET,
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
from odedelta.service.edge import Deadline, blocking, count_items, raw
from odedelta.service.security import Caller, caller_of
from odedelta.service.state import Service

API = "tmf663"
READ, WRITE = Depends(caller_of(API, "read")), Depends(caller_of(API, "write"))
KIND = "shoppingCart"


def path(version: int) -> str:
    table = TABLE["TMF663", version]
    return f"{table.base}/{table.resources[0]}"


def resources(api: APIRouter, version: int) -> None:
    """List, retrieve and delete carts."""
    base = path(version)

    @api.get(base, summary="listShoppingCart", operation_id=f"TMF663v{version}_listShoppingCart",
             responses=answers(200, list[models.ShoppingCartAnswer], "the carts", 400))
    def list_carts(request: Request, fields: str | None = FIELDS, offset: int = OFFSET, limit: int = LIMIT,
                   caller: Caller = READ) -> Response:
        return listed(service_of(request), KIND, version, fields, offset, limit, owner_of(caller, API),
                      request.query_params)

    @api.get(base + "/{id}", summary="retrieveShoppingCart", operation_id=f"TMF663v{version}_retrieveShoppingCart",
             responses=answers(200, models.ShoppingCartAnswer, "the cart", 400, 404))
    def retrieve(request: Request, id: str, fields: str | None = FIELDS, caller: Caller = READ) -> Response:
        return fetched(service_of(request), KIND, version, id, fields, owner_of(caller, API))

    @api.delete(base + "/{id}", summary="deleteShoppingCart", status_code=204,
                operation_id=f"TMF663v{version}_deleteShoppingCart", responses=no_content(404))
    def delete(request: Request, id: str, caller: Caller = WRITE) -> Response:
        return deleted(service_of(request), KIND, version, id, owner_of(caller, API), "shoppingCart")


async def create(request: Request, body: models.Tmf, as_of_text: str | None, caller: Caller,
                 version: int) -> Response:
    service = service_of(request)
    sent = body.document()
    count_items(sent, "cartItem", service.limits, "ShoppingCart")
    moment = as_of(as_of_text, service.now)
    return created(await blocking(service.limits, _create, service, sent, moment, caller, origin_of(request),
                                  version))


async def patch(request: Request, id: str, body: models.Tmf, as_of_text: str | None, caller: Caller,
                version: int) -> Response:
    service = service_of(request)
    owner = owner_of(caller, API)
    await blocking(service.limits, lambda _deadline: stored(service, KIND, version, id, owner))
    sent = body.document()
    if sent.get("cartItem", []) is None:  # a cart keeps items: null leaves them as they are
        del sent["cartItem"]
    count_items(sent, "cartItem", service.limits, f"ShoppingCart {id}")
    return raw(await blocking(service.limits, _patch, service, id, sent, as_of_text, caller, version))


def _document(version: int, origin: str, ident: str, intent: docs.Intent, result: Any, made: datetime,
              updated: datetime) -> dict[str, Any]:
    href = f"{origin}{path(version)}/{ident}"
    return docs.shopping_cart(result, version, ident, href, intent.party, made, updated)


def _create(deadline: Deadline, service: Service, body: Any, moment: datetime, caller: Caller, origin: str,
            version: int) -> str:
    """Compute and store a new cart."""
    intent = docs.intent_of(body, "cartItem", "ShoppingCart")
    service.check_party(caller, intent.party, intent.product)
    result = service.change(intent, moment)
    deadline.check()
    service.purge()
    now = service.now()
    meta = {"intent": intent.to_json(), "asOf": iso(moment), "created": iso(now), "origin": origin}
    _, text = service.store.add(KIND, version, lambda ident: _document(version, origin, ident, intent, result, now,
                                                                       now), meta, caller.name, now)
    return text


def _patch(deadline: Deadline, service: Service, ident: str, body: Any, as_of_text: str | None, caller: Caller,
           version: int) -> str:
    """Compute the cart again with what the patch changes (its items, its party, its moment) and store it."""
    owner = owner_of(caller, API)
    _, meta = stored(service, KIND, version, ident, owner)
    intent = _patched_intent(docs.Intent.from_json(meta["intent"]), body, ident)
    moment = as_of(as_of_text if as_of_text is not None else meta["asOf"], service.now)  # the cart's, unless given
    made = datetime.fromisoformat(meta["created"].replace("Z", "+00:00"))
    service.check_party(caller, intent.party, intent.product)
    result = service.change(intent, moment)
    deadline.check()
    return service.store.put(KIND, version, ident, _document(version, meta.get("origin", ""), ident, intent, result,
                                                             made, service.now()),
                             {**meta, "intent": intent.to_json(), "asOf": iso(moment)})


def _patched_intent(stored_intent: docs.Intent, body: dict[str, Any], ident: str) -> docs.Intent:
    """The cart's intent after a patch: new items (keeping the stored party unless the patch names one), or only
    a new party."""
    if "cartItem" in body:
        intent = docs.intent_of({**body, "relatedParty": body.get("relatedParty")}, "cartItem",
                                f"ShoppingCart {ident}")
        if intent.party is None:
            intent = docs.Intent(intent.action, intent.product, intent.offering, intent.parent,
                                 intent.characteristics, intent.options, stored_intent.party)
        return intent
    if "relatedParty" in body:
        old = stored_intent
        return docs.Intent(old.action, old.product, old.offering, old.parent, old.characteristics, old.options,
                           docs.party_of(body))
    return stored_intent
