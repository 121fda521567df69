"""The service's consequence view (``/ui/``) without a browser: the static pages carry no secret and forbid other
origins, the view's data routes need the caller's token and apply its scopes, parties and ownership, and the view of
a cart is the view ``odedelta change --format html`` draws (tests/test_browser.py drives the pages themselves)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

import odedelta
from odedelta.outputs.html import CSS, fragment, to_html
from odedelta.service import create_app
from odedelta.service.security import Tokens
from odedelta.service.ui import locate

from .conftest import DEMO, ROOT

NOW = datetime(2026, 3, 1, tzinfo=UTC)
AS_OF = "2026-03-01T00:00:00Z"
CART = "/tmf-api/shoppingCart/v4/shoppingCart"
DOWNGRADE = {"cartItem": [{"id": "1", "action": "modify", "product": {"id": "F-1"},
                           "productOffering": {"id": "po-fiber-300"}}],
             "relatedParty": [{"id": "alice", "role": "customer"}]}
TOKENS = {"admin": "admin-token", "alice-shop": "alice-shop-token", "other-shop": "other-shop-token",
          "orders-only": "orders-only-token"}


def _as(caller: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[caller]}"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    path = tmp_path_factory.mktemp("tokens") / "tokens.yaml"
    path.write_text(
        "tokens:\n"
        f"  - {{caller: admin, sha256: {sha(TOKENS['admin'])}, scopes: [admin]}}\n"
        f"  - {{caller: alice-shop, sha256: {sha(TOKENS['alice-shop'])}, "
        "scopes: [tmf679:write, tmf663:write, tmf622:write], parties: [alice]}\n"
        f"  - {{caller: other-shop, sha256: {sha(TOKENS['other-shop'])}, "
        "scopes: [tmf679:write, tmf663:write, tmf622:write]}\n"
        f"  - {{caller: orders-only, sha256: {sha(TOKENS['orders-only'])}, scopes: [tmf622:write]}}\n")
    app = create_app(DEMO, ROOT / "rules", DEMO / "inventories", auth=Tokens.from_file(path), clock=lambda: NOW)
    return TestClient(app)


def test_the_pages_are_static_carry_no_secret_and_call_only_their_origin(client: TestClient) -> None:
    for path, framing in (("/ui/", "frame-ancestors 'none'"), ("/ui/consequences", "frame-ancestors *")):
        page = client.get(path)  # no token: the pages are static
        assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "script-src 'self'" in policy
        assert policy.endswith(framing)
        assert not any(token in page.text for token in TOKENS.values())
        assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # nothing from another origin
        assert '<html lang="en">' in page.text and "<main" in page.text
    assert client.get("/ui", follow_redirects=False).headers["location"] == "/ui/"
    style = client.get("/ui/static/odedelta.css")
    assert style.text.startswith(CSS) and ".odedelta-view" in style.text  # the static page's CSS, then the forms'
    for script in ("ui.js", "view.js"):
        answer = client.get(f"/ui/static/{script}")
        assert answer.status_code == 200 and answer.headers["content-type"] == "text/javascript; charset=utf-8"
        assert "http://" not in answer.text and "https://" not in answer.text
    assert client.get("/ui/static/..%2Fstate.py").status_code == 404
    assert client.get("/ui/static/tokens.yaml").status_code == 404
    assert not [p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/ui")]
    assert client.head("/ui/").status_code == 200
    wrong = client.post("/ui/")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET, HEAD")
    assert client.delete("/ui/api/consequences").headers["allow"] == "GET, POST"
    assert client.put("/ui/nothing").status_code == 404 and client.get("/ui/nothing").status_code == 404


def test_the_customers_are_those_the_caller_may_act_for(client: TestClient) -> None:
    assert client.get("/ui/api/customers").status_code == 401
    assert client.get("/ui/api/customers", headers=_as("orders-only")).status_code == 403  # needs tmf679:read
    every = client.get("/ui/api/customers", headers=_as("admin")).json()
    assert every == {"listable": True, "total": 6, "customers": [{"id": c} for c in
                                                     ("alice", "bob", "carol", "dave-corp", "erin", "frank")]}
    assert client.get("/ui/api/customers", headers=_as("alice-shop")).json()["customers"] == [{"id": "alice"}]
    products = client.get("/ui/api/customers/alice", headers=_as("alice-shop")).json()
    assert products["id"] == "alice"
    assert [(p["id"], p["offering"], p["status"]) for p in products["products"]] == [
        ("F-1", "po-fiber-500", "active"), ("A-1", "po-mobile-m", "active")]
    assert "StreamMax" in products["products"][0]["components"]
    refused = client.get("/ui/api/customers/bob", headers=_as("alice-shop"))
    assert refused.status_code == 403 and refused.json()["message"] == \
        "caller 'alice-shop' may not act for customer 'bob'"
    names = client.get("/ui/api/offerings", params={"ids": "po-fiber-300,po-nothing"}, headers=_as("alice-shop"))
    assert names.json() == {"po-fiber-300": "Fiber 300"}


def test_the_view_of_a_cart_is_the_static_page_s_view_for_its_owner_only(client: TestClient,
                                                                          demo: odedelta.Catalog) -> None:
    cart = client.post(CART, params={"asOf": AS_OF}, json=DOWNGRADE, headers=_as("alice-shop"))
    assert cart.status_code == 201
    ident = cart.json()["id"]
    view = client.get("/ui/api/consequences", params={"cart": ident}, headers=_as("alice-shop"))
    assert view.status_code == 200 and view.headers["content-type"] == "text/html; charset=utf-8"
    assert view.text.startswith('<article class="odedelta-view">')
    assert '<span class="value" id="monthly-before">54.00 EUR</span>' in view.text
    assert '<span class="value" id="due-now-total">60.00 EUR</span>' in view.text
    # the same view as `odedelta change --format html`: the same sections, byte for byte, as the static page of
    # the same result (whose rule locations are the absolute paths it was given; the service shows them relative)
    inventory = odedelta.load_inventory(DEMO / "inventories" / "alice.json", demo)
    engine = odedelta.Engine(demo, odedelta.load_rules(ROOT / "rules", demo))
    result = engine.evaluate(inventory, odedelta.ChangeOffer(product="F-1", to="po-fiber-300"), as_of=NOW)
    assert view.text == fragment(result, engine.rules, locate=locate)
    page = to_html(result, engine.rules).replace(f"{ROOT}/", "")

    def sections(html: str) -> str:
        return html[html.index('<section id="monthly"'):html.rindex("</section>")]

    assert sections(view.text) == sections(page)
    assert "rules/money.yaml:4" in view.text and str(ROOT) not in view.text
    # the cart is the caller's: another caller's token finds nothing, a caller without tmf663 may not ask
    assert client.get("/ui/api/consequences", params={"cart": ident}, headers=_as("other-shop")).status_code == 404
    assert client.get("/ui/api/consequences", params={"cart": ident}, headers=_as("orders-only")).status_code == 403
    assert client.get("/ui/api/consequences", params={"cart": ident}).status_code == 401
    assert client.get("/ui/api/consequences", params={"cart": ident, "version": 5},
                      headers=_as("alice-shop")).status_code == 404
    assert client.get("/ui/api/consequences", params={"cart": ident, "version": 6},
                      headers=_as("alice-shop")).status_code == 400


def test_a_refused_target_shows_the_refusal_and_each_rule_s_reason(client: TestClient) -> None:
    business = {"id": "po-business-fiber-1000"}
    body = {**DOWNGRADE, "cartItem": [{**DOWNGRADE["cartItem"][0], "productOffering": business}]}
    assert client.post(CART, params={"asOf": AS_OF}, json=body, headers=_as("alice-shop")).status_code == 422
    carts = client.get(CART, headers=_as("admin")).headers["x-total-count"]
    view = client.post("/ui/api/consequences", params={"asOf": AS_OF}, json=body, headers=_as("alice-shop"))
    assert view.status_code == 200
    assert ('<div class="refused" role="alert"><p><strong>Refused.</strong> not eligible: Business Fiber 1000'
            in view.text)
    assert "This offer is reserved for business customers." in view.text
    assert '<a href="#rule-business-offers-need-a-segment"' in view.text
    assert client.get(CART, headers=_as("admin")).headers["x-total-count"] == carts  # the view stored nothing
    # the preview applies the caller's parties like a cart does
    bob = {**body, "relatedParty": [{"id": "bob", "role": "customer"}]}
    assert client.post("/ui/api/consequences", json=bob, headers=_as("alice-shop")).status_code == 403


@pytest.mark.parametrize(("where", "shown"), [
    ("rules/money.yaml:4", "rules/money.yaml:4"),
    ("/srv/odedelta/rules/money.yaml:4", "rules/money.yaml:4"),
    ("/srv/odedelta/rules/money.yaml", "rules/money.yaml"),
    ("money.yaml", "money.yaml"),
])
def test_rule_locations_never_show_the_server_s_folders(where: str, shown: str) -> None:
    assert locate(where) == shown
