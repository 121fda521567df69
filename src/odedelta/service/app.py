"""The ASGI application: TMF679, TMF663, TMF648 and TMF622 on their official base paths, over the engine.

``create_app`` wires a catalog source, rules, an inventory source and a store into a FastAPI app; it keeps no
global state (two apps in one process are independent). Bodies are read and checked here, at the edge: content
type, size, JSON syntax; every refusal is a TMF ``Error`` with the library's one-sentence message, never a trace.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Query
from fastapi.exceptions import RequestValidationError
from starlette.background import BackgroundTasks
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from odedelta.service import documents as docs
from odedelta.service._core import (
    Catalog,
    ChangeResult,
    Context,
    Engine,
    LoadError,
    NotEligible,
    OdeDeltaError,
    Refusal,
    RequestError,
    Rulebook,
    iso,
    load_rules,
    order_reference,
    partner_items,
    partner_orders,
)
from odedelta.service.encode import dumps
from odedelta.service.sources import CatalogSource, InventorySource, SourceError
from odedelta.service.store import Store

log = logging.getLogger("odedelta.service")

MAX_BODY = 1 << 20  # 1 MiB: a cart, quote or order of a few hundred items is far below
JSON_TYPES = ("application/json", "application/merge-patch+json")
POQ = "/tmf-api/productOfferingQualification"
CART = "/tmf-api/shoppingCart"
QUOTE = "/tmf-api/quoteManagement/v4"
ORDER = "/tmf-api/productOrderingManagement"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ApiError(Exception):
    """A refusal at the edge (not found, bad body, wrong type): becomes a TMF Error with ``status``."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        self.status, self.reason, self.message = status, reason, message
        super().__init__(message)


class Service:
    """What one app answers with: the catalog (reloadable), rules, the engine, the inventory source, the store."""

    def __init__(self, catalog: CatalogSource, rules: Rulebook | str | Path | None, inventory: InventorySource,
                 store: Store, clock: Callable[[], datetime]) -> None:
        self.catalog_source, self.rules_source, self.inventory_source = catalog, rules, inventory
        self.store, self.clock = store, clock
        self._lock = threading.Lock()
        self.engine = self._build()

    def _build(self) -> Engine:
        catalog = self.catalog_source.load()
        rules = self.rules_source
        book = load_rules(rules, catalog) if isinstance(rules, (str, Path)) else rules
        return Engine(catalog, book)

    def reload(self) -> Engine:
        """Read the catalog (and rules, inventory files) again; on any problem the previous ones stay."""
        engine = self._build()
        with self._lock:
            self.engine = engine
            self.inventory_source.reload()
        return engine

    @property
    def catalog(self) -> Catalog:
        return self.engine.catalog

    def now(self) -> datetime:
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def change(self, intent: docs.Intent, as_of: datetime) -> ChangeResult:
        answer = self.evaluate(intent, as_of)
        if isinstance(answer, Refusal):
            raise answer.error()
        return answer

    def evaluate(self, intent: docs.Intent, as_of: datetime) -> ChangeResult | Refusal:
        engine = self.engine
        inventory = self.inventory_source.inventory(engine.catalog, intent.party, intent.product)
        return engine.evaluate(inventory, intent.request(inventory), as_of=as_of, context=Context())


def _refused_by_rules(answer: ChangeResult | Refusal) -> tuple[ChangeResult | None, str | None]:
    """A change, or the rules' refusal of it (a rejected document); a refusal by the catalog's structure is a 422."""
    if not isinstance(answer, Refusal):
        return answer, None
    if answer.verdict is None:
        raise answer.error()
    return None, answer.message


def _as_of(text: str | None, service: Service) -> datetime:
    if text is None:
        return service.now()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "Bad request", f"asOf {text!r} is not an ISO-8601 date-time "
                                           "(e.g. 2026-03-01T00:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _body(request: Request) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in JSON_TYPES:
        raise ApiError(415, "Unsupported media type",
                       f"the body must be application/json, found {kind or 'no content type'!r}")
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, "Payload too large", f"the body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        return json.loads(raw, parse_float=Decimal)
    except UnicodeDecodeError:
        raise ApiError(400, "Bad request", "the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, "Bad request", f"<body>:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def _json(document: Any, status: int = 200, headers: dict[str, str] | None = None,
          background: BackgroundTasks | None = None) -> Response:
    return Response(dumps(document), status_code=status, media_type="application/json", headers=headers,
                    background=background)


def _raw(text: str, status: int = 200, background: BackgroundTasks | None = None) -> Response:
    return Response(text, status_code=status, media_type="application/json", background=background)


def _error(status: int, reason: str, message: str) -> Response:
    return _json(docs.error(status, reason, message), status)


def _fields(document: dict[str, Any], fields: str | None) -> dict[str, Any]:
    if not fields:
        return document
    wanted = {f.strip() for f in fields.split(",") if f.strip()} | {"id", "href", "@type"}
    return {k: v for k, v in document.items() if k in wanted}


def _error_responses() -> dict[int | str, dict[str, Any]]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {code: {"description": reason, "content": {"application/json": {"schema": schema}}}
            for code, reason in ((400, "Bad request"), (401, "Unauthorized"), (404, "Not found"),
                                 (413, "Payload too large"), (415, "Unsupported media type"),
                                 (422, "Unprocessable entity"), (502, "A catalog or inventory server failed"))}


def _doc_response(code: int, what: str, required: list[str]) -> dict[int | str, dict[str, Any]]:
    schema = {"type": "object", "required": required, "properties": {"id": {"type": "string"},
                                                                      "@type": {"type": "string"}}}
    return {code: {"description": what, "content": {"application/json": {"schema": schema}}}, **_error_responses()}


_REF = {"type": "object", "properties": {"id": {"type": "string"}}}
_ITEM = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "action": {"type": "string", "enum": ["add", "modify", "delete", "noChange"]},
        "productOffering": _REF,
        "product": {"type": "object", "properties": {
            "id": {"type": "string"},
            "productCharacteristic": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "value": {}}}},
            "productRelationship": {"type": "array", "items": {"type": "object", "properties": {
                "relationshipType": {"type": "string"}, "id": {"type": "string"}, "product": _REF}}},
        }},
    },
}
_PARTY = {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"},
                                                                     "role": {"type": "string"}}}}


def _body_schema(items_key: str, required: bool = True, example: str = "modify") -> dict[str, Any]:
    """The part of the TMF body the service reads (the official schemas allow more; the rest is ignored), with
    the demo's downgrade as the example."""
    schema: dict[str, Any] = {"type": "object", "properties": {items_key: {"type": "array", "items": _ITEM},
                                                               "relatedParty": _PARTY}}
    if required:
        schema["required"] = [items_key]
    item: dict[str, Any] = {"product": {"id": "F-1"}}
    if example == "modify":
        item = {"action": "modify", **item, "productOffering": {"id": "po-fiber-300"}}
    sample = {items_key: [item], "relatedParty": [{"id": "alice", "role": "customer"}]}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema, "example": sample}}}}


_HUB_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["callback"],
    "properties": {"callback": {"type": "string"}, "query": {"type": "string"}}}}}}}

AS_OF = Query(None, alias="asOf", description="the moment of the change, ISO-8601 (default: now, UTC)")


def create_app(catalog: CatalogSource | Catalog | str | Path, rules: Rulebook | str | Path | None = None,
               inventory_source: InventorySource | str | Path | None = None, store_path: str | Path | None = None,
               token: str | None = None, *, clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The app. ``catalog``: a directory, a TMF620 base URL, a :class:`CatalogSource` or a loaded catalog;
    ``rules``: a rules directory or a rulebook; ``inventory_source``: a TMF637 file, directory or base URL;
    ``store_path``: the SQLite file (None: in memory); ``token``: the bearer token every route then requires."""
    catalog_source = catalog if isinstance(catalog, CatalogSource) else CatalogSource(catalog)
    inventory = inventory_source if isinstance(inventory_source, InventorySource) else InventorySource(
        inventory_source)
    service = Service(catalog_source, rules, inventory, Store(store_path), clock or (lambda: datetime.now(UTC)))
    app = FastAPI(title="odedelta TMF service",
                  description="TMF679 qualification, TMF663 shopping cart, TMF648 quote and TMF622 product order "
                              "answered by the odedelta change engine.",
                  version="0.1.0")
    app.state.service = service
    app.openapi_schema = None
    _handlers(app)
    _routes(app, service)
    _openapi(app)
    if token:
        app.add_middleware(BearerToken, token=token)
    return app


class BearerToken:
    """Every route requires ``Authorization: Bearer <token>`` (compared in constant time)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = _error(401, "Unauthorized", "a bearer token is required (Authorization: Bearer …)")
                response.headers["WWW-Authenticate"] = "Bearer"
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Response:
        return _error(exc.status, exc.reason, exc.message)

    @app.exception_handler(NotEligible)
    async def not_eligible(_request: Request, exc: NotEligible) -> Response:
        return _error(422, "Not eligible", str(exc))

    @app.exception_handler(OdeDeltaError)
    async def refused(_request: Request, exc: OdeDeltaError) -> Response:
        if isinstance(exc, SourceError):
            return _error(502, "Bad gateway", str(exc))
        if isinstance(exc, RequestError):
            return _error(422, "Unprocessable entity", str(exc))
        if isinstance(exc, LoadError):
            return _error(409, "Conflict", str(exc))
        return _error(422, "Unprocessable entity", str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> Response:
        return _error(exc.status_code, str(exc.detail), f"{exc.detail}")

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(400, "Bad request", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(Exception)
    async def bug(_request: Request, exc: Exception) -> Response:
        log.exception("internal error")
        return _error(500, "Internal error", f"internal error ({type(exc).__name__}); see the service log")


def _routes(app: FastAPI, service: Service) -> None:
    store = service.store

    # ------------------------------------------------------------------ health, admin
    @app.get("/health", tags=["service"], summary="health", operation_id="health")
    async def health() -> Response:
        counts = service.catalog.counts()
        return _json({"status": "ok", "catalog": service.catalog_source.describe(), "counts": counts,
                      "rules": len(service.engine.rules.rules) if service.engine.rules else 0,
                      "inventory": service.inventory_source.describe(), "store": store.path})

    @app.post("/admin/reload", tags=["service"], summary="reload the catalog, rules and inventory files",
              operation_id="reload")
    async def reload() -> Response:
        if not service.catalog_source.reloadable:
            raise ApiError(409, "Conflict", "the catalog was given as a loaded object: nothing to reload")
        engine = service.reload()
        return _json({"status": "reloaded", "counts": engine.catalog.counts(),
                      "rules": len(engine.rules.rules) if engine.rules else 0})

    # ------------------------------------------------------------------ TMF679
    async def qualify(request: Request, version: int, as_of_text: str | None) -> Response:
        items_key = "checkProductOfferingQualificationItem" if version == 5 else "productOfferingQualificationItem"
        body = await _body(request)
        as_of = _as_of(as_of_text, service)
        where = f"{'CheckProductOfferingQualification' if version == 5 else 'ProductOfferingQualification'}"
        if not isinstance(body, dict):
            raise RequestError(f"{where}: expected a JSON object, found {type(body).__name__}")
        items = body.get(items_key)
        if not isinstance(items, list) or not items:
            raise RequestError(f"{where} @ $.{items_key}: expected a non-empty list of items")
        party = docs.party_of(body)
        engine = service.engine
        answers = []
        for index, item in enumerate(items):
            product = item.get("product") if isinstance(item, dict) else None
            product_id = docs._id_of(product)
            if product_id is None:
                raise RequestError(f"{where} @ $.{items_key}[{index}].product.id: name the installed product")
            offering = docs._id_of(item.get("productOffering"))
            inventory = service.inventory_source.inventory(engine.catalog, party, product_id)
            answers.append((product_id, engine.qualify(inventory, product_id, as_of=as_of), offering))
        now = service.now()
        resource = "checkProductOfferingQualification" if version == 5 else "productOfferingQualification"
        path = f"{POQ}/v{version}/{resource}"
        kind = "poq"
        _, text = store.add(kind, version, lambda ident: docs.qualification(
            answers, version, ident, f"{path}/{ident}", now, as_of), {})
        return _raw(text, 201)

    async def get_qualification(version: int, ident: str) -> Response:
        found = store.text("poq", ident, version)
        if found is None:
            raise ApiError(404, "Not found", f"no qualification {ident!r}")
        return _raw(found)

    @app.post(f"{POQ}/v4/productOfferingQualification", tags=["TMF679 Product Offering Qualification v4"],
              summary="createProductOfferingQualification", operation_id="TMF679v4_createProductOfferingQualification",
              openapi_extra=_body_schema("productOfferingQualificationItem", example="qualify"),
              responses=_doc_response(201, "ProductOfferingQualification", ["id", "productOfferingQualificationItem"]),
              status_code=201)
    async def poq_v4(request: Request, as_of: str | None = AS_OF) -> Response:
        return await qualify(request, 4, as_of)

    @app.get(f"{POQ}/v4/productOfferingQualification/{{id}}", tags=["TMF679 Product Offering Qualification v4"],
             summary="retrieveProductOfferingQualification",
             operation_id="TMF679v4_retrieveProductOfferingQualification",
             responses=_doc_response(200, "ProductOfferingQualification", ["id"]))
    async def poq_v4_get(id: str) -> Response:
        return await get_qualification(4, id)

    @app.post(f"{POQ}/v5/checkProductOfferingQualification", tags=["TMF679 Product Offering Qualification v5"],
              summary="createCheckProductOfferingQualification",
              operation_id="TMF679v5_createCheckProductOfferingQualification",
              openapi_extra=_body_schema("checkProductOfferingQualificationItem", example="qualify"),
              responses=_doc_response(201, "CheckProductOfferingQualification",
                                      ["id", "checkProductOfferingQualificationItem"]),
              status_code=201)
    async def poq_v5(request: Request, as_of: str | None = AS_OF) -> Response:
        return await qualify(request, 5, as_of)

    @app.get(f"{POQ}/v5/checkProductOfferingQualification/{{id}}", tags=["TMF679 Product Offering Qualification v5"],
             summary="retrieveCheckProductOfferingQualification",
             operation_id="TMF679v5_retrieveCheckProductOfferingQualification",
             responses=_doc_response(200, "CheckProductOfferingQualification", ["id"]))
    async def poq_v5_get(id: str) -> Response:
        return await get_qualification(5, id)

    # ------------------------------------------------------------------ TMF663
    def cart_document(version: int, ident: str, intent: docs.Intent, as_of: datetime, created: datetime,
                      updated: datetime) -> dict[str, Any]:
        result = service.change(intent, as_of)
        return docs.shopping_cart(result, version, ident, f"{CART}/v{version}/shoppingCart/{ident}", intent.party,
                                  created, updated)

    async def create_cart(request: Request, version: int, as_of_text: str | None) -> Response:
        body = await _body(request)
        intent = docs.intent_of(body, "cartItem", "ShoppingCart")
        as_of = _as_of(as_of_text, service)
        now = service.now()
        meta = {"intent": intent.to_json(), "asOf": iso(as_of), "created": iso(now)}
        _, text = store.add("shoppingCart", version,
                            lambda ident: cart_document(version, ident, intent, as_of, now, now), meta)
        return _raw(text, 201)

    def fetched(kind: str, version: int, ident: str, fields: str | None) -> Response:
        if fields:
            return _json(_fields(stored(kind, version, ident)[0], fields))
        text = store.text(kind, ident, version)
        if text is None:
            raise ApiError(404, "Not found", f"no {kind} {ident!r} in v{version}")
        return _raw(text)

    def stored(kind: str, version: int, ident: str) -> tuple[dict[str, Any], dict[str, Any]]:
        found = store.get(kind, ident, version)
        if found is None:
            raise ApiError(404, "Not found", f"no {kind} {ident!r} in v{version}")
        return found

    async def patch_cart(request: Request, version: int, ident: str, as_of_text: str | None) -> Response:
        _, meta = stored("shoppingCart", version, ident)
        body = await _body(request)
        if not isinstance(body, dict):
            raise RequestError(f"ShoppingCart {ident}: expected a JSON object, found {type(body).__name__}")
        intent = docs.Intent.from_json(meta["intent"])
        if "cartItem" in body:
            intent = docs.intent_of({**body, "relatedParty": body.get("relatedParty")}, "cartItem",
                                    f"ShoppingCart {ident}")
            if intent.party is None:
                party = docs.Intent.from_json(meta["intent"]).party
                intent = docs.Intent(intent.action, intent.product, intent.offering, intent.parent,
                                     intent.characteristics, intent.options, party)
        elif "relatedParty" in body:
            old = intent
            intent = docs.Intent(old.action, old.product, old.offering, old.parent, old.characteristics, old.options,
                                 docs.party_of(body))
        as_of = _as_of(as_of_text, service) if as_of_text is not None else _as_of(meta["asOf"], service)
        created = datetime.fromisoformat(meta["created"].replace("Z", "+00:00"))
        document = cart_document(version, ident, intent, as_of, created, service.now())
        text = store.put("shoppingCart", version, ident, document,
                         {**meta, "intent": intent.to_json(), "asOf": iso(as_of)})
        return _raw(text)

    def bind(version: int) -> None:
        tag = f"TMF663 Shopping Cart v{version}"
        base = f"{CART}/v{version}/shoppingCart"

        @app.post(base, tags=[tag], summary="createShoppingCart", operation_id=f"TMF663v{version}_createShoppingCart",
                  openapi_extra=_body_schema("cartItem"), status_code=201,
                  responses=_doc_response(201, "ShoppingCart", ["id", "cartItem", "cartTotalPrice"]))
        async def post_cart(request: Request, as_of: str | None = AS_OF) -> Response:
            return await create_cart(request, version, as_of)

        @app.get(base, tags=[tag], summary="listShoppingCart", operation_id=f"TMF663v{version}_listShoppingCart",
                 responses=_error_responses())
        async def list_carts(fields: str | None = None, offset: int = Query(0, ge=0),
                             limit: int = Query(100, ge=1, le=1000)) -> Response:
            return listed("shoppingCart", version, fields, offset, limit)

        @app.get(base + "/{id}", tags=[tag], summary="retrieveShoppingCart",
                 operation_id=f"TMF663v{version}_retrieveShoppingCart",
                 responses=_doc_response(200, "ShoppingCart", ["id", "cartItem"]))
        async def get_cart(id: str, fields: str | None = None) -> Response:
            return fetched("shoppingCart", version, id, fields)

        @app.patch(base + "/{id}", tags=[tag], summary="patchShoppingCart",
                   operation_id=f"TMF663v{version}_patchShoppingCart",
                   openapi_extra=_body_schema("cartItem", required=False),
                   responses=_doc_response(200, "ShoppingCart", ["id", "cartItem"]))
        async def patch(request: Request, id: str, as_of: str | None = AS_OF) -> Response:
            return await patch_cart(request, version, id, as_of)

        @app.delete(base + "/{id}", tags=[tag], summary="deleteShoppingCart", status_code=204,
                    operation_id=f"TMF663v{version}_deleteShoppingCart",
                    responses={204: {"description": "Deleted"}, **_error_responses()})
        async def delete_cart(id: str) -> Response:
            if not store.delete("shoppingCart", id, version):
                raise ApiError(404, "Not found", f"no shoppingCart {id!r} in v{version}")
            return Response(status_code=204)

    for version in (4, 5):
        bind(version)

    def listed(kind: str, version: int, fields: str | None, offset: int, limit: int) -> Response:
        total, found = store.list(kind, version, offset, limit)
        return _json([_fields(d, fields) for d in found],
                     headers={"X-Total-Count": str(total), "X-Result-Count": str(len(found))})

    # ------------------------------------------------------------------ TMF648
    @app.post(f"{QUOTE}/quote", tags=["TMF648 Quote v4"], summary="createQuote", operation_id="TMF648v4_createQuote",
              openapi_extra=_body_schema("quoteItem"), status_code=201,
              responses=_doc_response(201, "Quote", ["id", "quoteItem", "state"]))
    async def create_quote(request: Request, as_of: str | None = AS_OF) -> Response:
        body = await _body(request)
        intent = docs.intent_of(body, "quoteItem", "Quote")
        moment = _as_of(as_of, service)
        now = service.now()
        result, refusal = _refused_by_rules(service.evaluate(intent, moment))
        _, text = store.add("quote", 4, lambda ident: docs.quote(
            result, refusal, docs.intent_items(intent, 4, "QuoteItem"), ident, f"{QUOTE}/quote/{ident}",
            intent.party, now, moment), {"intent": intent.to_json(), "asOf": iso(moment)})
        return _raw(text, 201)

    @app.get(f"{QUOTE}/quote", tags=["TMF648 Quote v4"], summary="listQuote", operation_id="TMF648v4_listQuote",
             responses=_error_responses())
    async def list_quotes(fields: str | None = None, offset: int = Query(0, ge=0),
                          limit: int = Query(100, ge=1, le=1000)) -> Response:
        return listed("quote", 4, fields, offset, limit)

    @app.get(f"{QUOTE}/quote/{{id}}", tags=["TMF648 Quote v4"], summary="retrieveQuote",
             operation_id="TMF648v4_retrieveQuote", responses=_doc_response(200, "Quote", ["id", "quoteItem"]))
    async def get_quote(id: str, fields: str | None = None) -> Response:
        return fetched("quote", 4, id, fields)

    # ------------------------------------------------------------------ TMF622
    def bind_order(version: int) -> None:
        tag = f"TMF622 Product Ordering v{version}"
        base = f"{ORDER}/v{version}"

        @app.post(base + "/productOrder", tags=[tag], summary="createProductOrder", status_code=201,
                  operation_id=f"TMF622v{version}_createProductOrder", openapi_extra=_body_schema("productOrderItem"),
                  responses=_doc_response(201, "ProductOrder", ["id", "state", "productOrderItem"]))
        async def post_order(request: Request, as_of: str | None = AS_OF) -> Response:
            body = await _body(request)
            intent = docs.intent_of(body, "productOrderItem", "ProductOrder")
            moment = _as_of(as_of, service)
            now = service.now()
            result, refusal = _refused_by_rules(service.evaluate(intent, moment))
            # with partner items, the customer order names the reference its partner orders carry
            reference = order_reference(result) if result is not None and partner_items(result) else None
            order, text = store.add("productOrder", version, lambda ident: docs.product_order(
                result, refusal, intent, version, ident, f"{base}/productOrder/{ident}", now, reference),
                {"intent": intent.to_json(), "asOf": iso(moment)})
            if result is not None and reference is not None:
                partners = partner_orders(result, version, reference=docs.partner_reference(reference, order["id"]))
                store.put("partnerOrders", version, order["id"], {"partnerOrder": partners}, {})
            tasks = BackgroundTasks()
            events = [("ProductOrderCreateEvent", order)]
            if order["state"] == "rejected":
                events.append(("ProductOrderStateChangeEvent", order))
            for event_type, payload in events:
                tasks.add_task(notify, version, event_type, payload, now)
            return _raw(text, 201, background=tasks)

        @app.get(base + "/productOrder", tags=[tag], summary="listProductOrder",
                 operation_id=f"TMF622v{version}_listProductOrder", responses=_error_responses())
        async def list_orders(fields: str | None = None, offset: int = Query(0, ge=0),
                              limit: int = Query(100, ge=1, le=1000)) -> Response:
            return listed("productOrder", version, fields, offset, limit)

        @app.get(base + "/productOrder/{id}", tags=[tag], summary="retrieveProductOrder",
                 operation_id=f"TMF622v{version}_retrieveProductOrder",
                 responses=_doc_response(200, "ProductOrder", ["id", "state"]))
        async def get_order(id: str, fields: str | None = None) -> Response:
            return fetched("productOrder", version, id, fields)

        @app.get(base + "/productOrder/{id}/partnerOrder", tags=[tag], summary="listPartnerOrder (odedelta)",
                 operation_id=f"odedelta_TMF622v{version}_listPartnerOrder", responses=_error_responses())
        async def get_partner_orders(id: str) -> Response:
            """The partner orders of a customer order: one TMF622 ProductOrder per supplier whose items the change
            touches, linked by ``externalId`` (an odedelta extension; the reseller sends them to its suppliers)."""
            stored("productOrder", version, id)
            found = store.get("partnerOrders", id, version)
            return _json(found[0]["partnerOrder"] if found is not None else [])

        @app.post(base + "/hub", tags=[tag], summary="registerListener", status_code=201,
                  operation_id=f"TMF622v{version}_registerListener", openapi_extra=_HUB_BODY,
                  responses=_doc_response(201, "EventSubscription", ["id", "callback"]))
        async def register(request: Request) -> Response:
            body = await _body(request)
            callback = body.get("callback") if isinstance(body, dict) else None
            if not isinstance(callback, str):
                raise RequestError("EventSubscriptionInput @ $.callback: expected the listener's URL (a string)")
            parts = urlsplit(callback)
            if parts.scheme != "http" or parts.hostname not in LOOPBACK:
                raise RequestError(f"EventSubscriptionInput @ $.callback: {callback!r} is not a loopback http "
                                   f"URL (http://127.0.0.1:PORT/…); this service only calls local listeners")
            query = body.get("query")
            if query is not None and not isinstance(query, str):
                raise RequestError("EventSubscriptionInput @ $.query: expected a string")
            _, text = store.add("hub", version, lambda ident: {
                "id": ident, "callback": callback, **({"query": query} if query else {}),
                **({"@type": "EventSubscription"} if version == 5 else {})}, {})
            return _raw(text, 201)

        @app.delete(base + "/hub/{id}", tags=[tag], summary="unregisterListener", status_code=204,
                    operation_id=f"TMF622v{version}_unregisterListener",
                    responses={204: {"description": "Deleted"}, **_error_responses()})
        async def unregister(id: str) -> Response:
            if not store.delete("hub", id, version):
                raise ApiError(404, "Not found", f"no hub registration {id!r} in v{version}")
            return Response(status_code=204)

    for version in (4, 5):
        bind_order(version)

    def notify(version: int, event_type: str, order: dict[str, Any], now: datetime) -> None:
        """POST the event to every listener registered for it (``{callback}/listener/productOrderCreateEvent``);
        a listener that fails is logged and skipped."""
        _, hubs = store.list("hub", version, 0, 10_000)
        for hub in hubs:
            query = hub.get("query") or ""
            if "eventType=" in query and f"eventType={event_type}" not in query.replace(" ", ""):
                continue
            event = {"eventId": f"{order['id']}-{event_type}", "eventTime": iso(now), "eventType": event_type,
                     "event": {"productOrder": order}}
            url = hub["callback"].rstrip("/") + "/listener/" + event_type[0].lower() + event_type[1:]
            data = dumps(event).encode()
            request = urllib.request.Request(url, data=data, method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=2):
                    pass
            except OSError as exc:
                log.warning("listener %s failed: %s", url, exc)


def _openapi(app: FastAPI) -> None:
    """Add the TMF ``Error`` schema the error responses name."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
                "type": "object", "required": ["code", "reason"],
                "properties": {k: {"type": "string"} for k in ("code", "reason", "message", "status", "@type")},
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

