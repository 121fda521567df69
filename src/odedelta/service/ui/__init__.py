"""The consequence view in the service: ``GET /ui/`` (pick a customer and a target, see what the change means,
accept it) and ``GET /ui/consequences?cart=<id>`` (the view of one cart, for a CPQ screen's iframe).

The pages and their script and style are static files of this package (``static/``): no secret, no data, no
request to another origin. Everything they show comes from authenticated calls made with the caller's own bearer
token, so scopes and ownership apply as on any API call: TMF679 to qualify, TMF663 for the cart, TMF622 to order,
and the few routes below that only the view needs —

- ``GET /ui/api/customers`` (``tmf679:read``): the customers of the service's TMF637 files the caller may act for
  (a TMF637 server is never listed whole: the page asks for one customer by id);
- ``GET /ui/api/customers/{party}`` (``tmf679:read``): that customer's top-level products;
- ``GET /ui/api/offerings?ids=a,b`` (``tmf679:read``): the names of catalog offerings (TMF679 answers with ids);
- ``GET /ui/api/consequences?cart=<id>`` (``tmf663:read``, the caller's carts only): the view of a stored cart, an
  HTML ``<article>`` drawn by :func:`odedelta.outputs.html.fragment` — the same view as ``change --format html``;
- ``POST /ui/api/consequences`` (``tmf663:read``; stores nothing): the view of a cart body before it is a cart —
  a refused change (which cannot become a cart) shows its refusal and every rule's reason.

These routes are the view's own, not a TM Forum API: they are left out of the served OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from importlib.resources import files
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from odedelta.service import documents as docs
from odedelta.service._core import VIEW_CSS, ChangeResult, Refusal, view_fragment
from odedelta.service.api._common import owner_of, service_of
from odedelta.service.edge import AS_OF, ApiError, Deadline, as_of, blocking, json_answer, read_body
from odedelta.service.security import Caller, caller_of
from odedelta.service.state import Service

INVENTORY = Depends(caller_of("tmf679", "read"))
CARTS = Depends(caller_of("tmf663", "read"))
CART_VERSIONS = (4, 5)
MAX_NAMES = 1000
MAX_CUSTOMERS = 1000
PAGE_METHODS = ["GET", "HEAD"]

POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
          "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'")
"""The pages' Content-Security-Policy: their own script, style and API calls, nothing from another origin. The
consequence page may be framed by any page (a CPQ screen); ``/ui/`` itself may not."""
PAGES = {"index.html": POLICY + "; frame-ancestors 'none'", "consequences.html": POLICY + "; frame-ancestors *"}
ASSETS = {"ui.js": "text/javascript", "view.js": "text/javascript"}
"""The static files served under ``/ui/static/`` (``odedelta.css`` is the view's CSS and this package's)."""


@cache
def _static(name: str) -> str:
    return files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _headers(policy: str | None = None) -> dict[str, str]:
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    if policy is not None:
        headers["Content-Security-Policy"] = policy
    return headers


def _page(name: str) -> Response:
    return Response(_static(name), media_type="text/html; charset=utf-8", headers=_headers(PAGES[name]))


def locate(where: str) -> str:
    """Where a rule is written, as the view shows it: a path given relative (``rules/money.yaml:4``) as it is; an
    absolute one as its folder and file (``rules/money.yaml:4``) — the server's own folders are not shown."""
    path, colon, line = where.rpartition(":")
    if not colon or not line.isdigit():
        path, colon, line = where, "", ""
    parts = PurePath(path)
    if not parts.is_absolute():
        return where
    return f"{PurePath(parts.parent.name, parts.name).as_posix()}{colon}{line}"


def _view(service: Service, answer: ChangeResult | Refusal) -> Response:
    html = view_fragment(answer, service.engine.rules, locate=locate)
    return Response(html, media_type="text/html; charset=utf-8", headers=_headers())


def _cart_view(deadline: Deadline, service: Service, cart: str, versions: tuple[int, ...],
               owner: str | None) -> Response:
    """The view of a stored cart: its intent computed again at its moment (as a patch of the cart would)."""
    for version in versions:
        found = service.store.get("shoppingCart", cart, version, owner)
        if found is not None:
            meta = found[1]
            intent = docs.Intent.from_json(meta["intent"])
            moment = datetime.fromisoformat(meta["asOf"].replace("Z", "+00:00"))
            answer = service.evaluate(intent, moment)
            deadline.check()
            return _view(service, answer)
    raise ApiError(404, "Not found", f"no shoppingCart {cart!r}" + (f" in v{versions[0]}" if len(versions) == 1
                                                                     else ""))


def _preview(deadline: Deadline, service: Service, body: Any, moment: datetime, caller: Caller) -> Response:
    intent = docs.intent_of(body, "cartItem", "ShoppingCart")
    service.check_party(caller, intent.party, intent.product)
    answer = service.evaluate(intent, moment)
    deadline.check()
    return _view(service, answer)


def _customers(service: Service, caller: Caller) -> dict[str, Any]:
    """The customers to pick from: at most :data:`MAX_CUSTOMERS` (``total`` says how many there are; the page
    accepts any id typed)."""
    found = service.inventory_source.customers()
    if found is None:
        return {"listable": False, "total": None, "customers": []}
    allowed = [c for c in found if caller.may_act_for(c)]
    return {"listable": True, "total": len(allowed), "customers": [{"id": c} for c in allowed[:MAX_CUSTOMERS]]}


def _products(_deadline: Deadline, service: Service, party: str, caller: Caller) -> dict[str, Any]:
    service.check_party(caller, party, None)
    catalog = service.catalog
    inventory = service.inventory_source.inventory(catalog, party, None)
    products = []
    for pid in inventory.roots():
        product = inventory.products[pid]
        components = [catalog.name_of(inventory.products[c].offering_id) for c in inventory.children(pid)]
        products.append({"id": pid, "name": product.name or catalog.name_of(product.offering_id),
                         "offering": product.offering_id, "offeringName": catalog.name_of(product.offering_id),
                         "status": product.status, "components": components})
    return {"id": party, "products": products}


def router() -> APIRouter:
    """The pages and their files, the view's data routes, and the answer to any other method or path under /ui/."""
    api = APIRouter(tags=["consequence view"], include_in_schema=False)
    _pages(api)
    _data(api)
    _fallback(api)
    return api


def _pages(api: APIRouter) -> None:
    @api.api_route("/ui", methods=PAGE_METHODS)
    def home_without_slash() -> Response:
        return RedirectResponse("/ui/", status_code=308)

    @api.api_route("/ui/", methods=PAGE_METHODS)
    def home() -> Response:
        """Pick a customer and a target offering, see the consequences, accept to order."""
        return _page("index.html")

    @api.api_route("/ui/consequences", methods=PAGE_METHODS)
    def consequences_page() -> Response:
        """The view of one cart (``?cart=<id>``), for an iframe: the token comes from the URL's fragment
        (``#token=…``, never sent to a server) or a ``postMessage`` of the embedding page."""
        return _page("consequences.html")

    @api.api_route("/ui/static/odedelta.css", methods=PAGE_METHODS)
    def style() -> Response:
        return Response(VIEW_CSS + _static("ui.css"), media_type="text/css; charset=utf-8", headers=_headers())

    @api.api_route("/ui/static/{name}", methods=PAGE_METHODS)
    def asset(name: str) -> Response:
        if name not in ASSETS:
            raise ApiError(404, "Not found", f"no static file {name!r}")
        return Response(_static(name), media_type=f"{ASSETS[name]}; charset=utf-8", headers=_headers())



def _data(api: APIRouter) -> None:
    @api.get("/ui/api/customers")
    def customers(request: Request, caller: Caller = INVENTORY) -> Response:
        return json_answer(_customers(service_of(request), caller))

    @api.get("/ui/api/customers/{party}")
    async def products(request: Request, party: str, caller: Caller = INVENTORY) -> Response:
        service = service_of(request)
        return json_answer(await blocking(service.limits, _products, service, party, caller))

    @api.get("/ui/api/offerings")
    def offerings(request: Request, ids: str = "", _caller: Caller = INVENTORY) -> Response:
        catalog = service_of(request).catalog
        asked = [i for i in ids.split(",") if i][:MAX_NAMES]
        return json_answer({i: catalog.name_of(i) for i in asked if i in catalog.offerings})

    @api.get("/ui/api/consequences")
    async def cart_view(request: Request, cart: str, version: int | None = None, caller: Caller = CARTS) -> Response:
        if version is not None and version not in CART_VERSIONS:
            raise ApiError(400, "Bad request", f"version: expected 4 or 5, found {version}")
        service = service_of(request)
        versions = (version,) if version is not None else CART_VERSIONS
        return await blocking(service.limits, _cart_view, service, cart, versions, owner_of(caller, "tmf663"))

    @api.post("/ui/api/consequences")
    async def preview(request: Request, as_of_text: str | None = AS_OF, caller: Caller = CARTS) -> Response:
        service = service_of(request)
        body = await read_body(request, service.limits)
        moment = as_of(as_of_text, service.now)
        return await blocking(service.limits, _preview, service, body, moment, caller)



def _fallback(api: APIRouter) -> None:
    @api.api_route("/ui/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    def not_allowed(request: Request, rest: str) -> Response:
        """Past every route above: a method a /ui/ path does not answer is 405 with the methods it does (the
        app's own 405 reads them from the OpenAPI document, which leaves these routes out); another path is 404."""
        path = request.url.path
        methods = sorted({method for route in api.routes if isinstance(route, APIRoute)
                          and route.name != "not_allowed" and route.path_regex.fullmatch(path)
                          for method in route.methods or ()})
        if not methods:
            raise ApiError(404, "Not found", f"no page {path!r}")
        raise ApiError(405, "Method not allowed", f"{request.method} is not allowed on {path}; "
                                                  f"allowed: {', '.join(methods)}", {"Allow": ", ".join(methods)})


__all__ = ["locate", "router"]
