"""The consequence page and the campaign report in a real browser: headless Chromium (Debian's ``chromium``
package) driven by Playwright's Python API pointing at the system browser — no browser is downloaded.

Each test reads the numbers a person sees, listens to the console (no error) and to every request the page makes
(none but the page itself, or the service that served it), and saves a screenshot as an artefact (in the test's
tmp directory, or in ``$ODEDELTA_ARTEFACTS`` when set). The service's ``/ui/`` flow runs against a real
``odedelta serve`` process on the demo catalog, with a bearer token. Without a browser the tests skip with the
reason — except where ``ODEDELTA_REQUIRE_BROWSER=1`` or ``CI`` is set (``.ci/run`` sets both and installs the
browser): there they fail.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import odedelta
from odedelta.adapters.cli import main
from odedelta.campaigns import ChangeOffering, generate, run

from .conftest import DEMO, ROOT
from .servers import serving

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
"""The system browser, found on PATH (or named by ``$ODEDELTA_CHROMIUM``)."""
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
REQUIRE = ("ODEDELTA_REQUIRE_BROWSER", "CI")
"""Either set (and not 0): no browser is a failure, not a skip."""


def _unavailable(reason: str) -> None:
    message = f"NO BROWSER — the browser tests did not run: {reason}. Install Debian's chromium (apt-get install " \
              "chromium) and the dev extra (Playwright's Python API)."
    for variable in REQUIRE:
        if os.environ.get(variable, "") not in ("", "0"):
            pytest.fail(message + f" ({variable} is set: a missing browser is a failure there)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    executable = os.environ.get("ODEDELTA_CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    if executable is None:
        _unavailable(f"none of {', '.join(BROWSERS)} is on PATH")
    with sync_playwright() as playwright:
        try:
            # --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start
            launched = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        except Error as exc:
            _unavailable(f"{executable} does not start: {str(exc).splitlines()[0]}")
        yield launched
        launched.close()


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ODEDELTA_ARTEFACTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Visit:
    """A page opened in the browser, with what it said on the console and every request it made."""

    page: Any
    url: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).inner_text()).strip()

    def check_quiet(self) -> None:
        assert self.console == [], self.console
        assert self.requests == [self.url], self.requests  # the page itself, nothing else


def _open(browser: Any, path: Path, width: int = 1000) -> Visit:
    page = browser.new_page(viewport={"width": width, "height": 900})
    visit = Visit(page, path.resolve().as_uri())
    page.on("console", lambda m: visit.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: visit.console.append(f"pageerror: {e}"))

    def route(request_route: Any) -> None:
        visit.requests.append(request_route.request.url)
        if request_route.request.url == visit.url:
            request_route.continue_()
        else:
            request_route.abort()

    page.route("**/*", route)
    page.goto(visit.url)
    return visit


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo downgrade as ``odedelta change --format html`` writes it."""
    path = tmp_path_factory.mktemp("page") / "demo-downgrade.html"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.chdir(ROOT):  # paths as a user types them, shown on the page
        code = main(["change", "--catalog", str(DEMO.relative_to(ROOT)), "--inventory",
                     str((DEMO / "inventories" / "alice.json").relative_to(ROOT)), "--rules", "rules",
                     "--product", "F-1", "--to", "po-fiber-300", "--as-of", "2026-03-01T00:00:00Z",
                     "--format", "html"])
    assert code == 0
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_the_demo_downgrade_in_a_browser(browser: Any, demo_page: Path, artefacts: Path) -> None:
    visit = _open(browser, demo_page)
    page = visit.page
    assert page.title() == "What this change means"
    assert visit.text("#monthly-before") == "54.00 EUR"
    assert visit.text("#monthly-after") == "44.00 EUR"
    assert visit.text("#monthly-difference") == "-10.00 EUR"
    assert visit.text("#due-now-total") == "60.00 EUR"
    removed = visit.text("#removed")
    assert "StreamMax" in removed and "F-4" in removed and "promotion_lost" in removed
    due = visit.text("#due-now")
    assert "Early downgrade fee" in due and "6 months remaining × 50.00 EUR × 0.2 = 60.00 EUR" in due
    assert "rules/money.yaml:4" in visit.text("#rules") and str(ROOT) not in visit.text("body")
    # the chart is drawn, and the per-product detail opens on a click
    assert page.locator("#monthly svg rect").count() == 2
    detail = page.locator("#monthly details table").first
    assert not detail.is_visible()
    page.locator("#monthly details summary").click()
    assert detail.is_visible() and "40.00 EUR" in visit.text("#monthly details")
    # a rule id links to its row
    page.locator("#due-now a[href='#rule-fiber-downgrade-under-commitment']").click()
    assert page.evaluate("location.hash") == "#rule-fiber-downgrade-under-commitment"
    page.screenshot(path=str(artefacts / "demo-downgrade.png"), full_page=True)
    visit.check_quiet()
    page.close()


def test_the_demo_page_at_phone_width_and_in_print(browser: Any, demo_page: Path, artefacts: Path) -> None:
    visit = _open(browser, demo_page, width=375)
    page = visit.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    assert visit.text("#monthly-before") == "54.00 EUR"
    page.screenshot(path=str(artefacts / "demo-downgrade-phone.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible()
    assert page.locator("#products table").first.is_visible()
    visit.check_quiet()
    page.close()


def test_a_campaign_report_in_a_browser(browser: Any, tmp_path: Path, artefacts: Path,
                                        demo: odedelta.Catalog) -> None:
    customers = int(os.environ.get("ODEDELTA_REPORT_CUSTOMERS", "300"))
    base = generate.write_jsonl(tmp_path / "customers.jsonl",
                                generate.customers(demo, customers, as_of=AS_OF, seed=11, favour="po-fiber-500"))
    result = run(DEMO, base, ChangeOffering("po-fiber-500", "po-fiber-300"), as_of=AS_OF, out=tmp_path / "out",
                 rules=ROOT / "rules", workers=0)
    summary = result.summary
    visit = _open(browser, tmp_path / "out" / "report.html")
    page = visit.page
    assert visit.text("#count-customers") == f"{customers:,}"
    assert visit.text("#count-changed") == f"{summary['changed']:,}"
    assert visit.text("#count-refused") == f"{summary['refused']['total']:,}"
    assert "downgrade_too_early" in visit.text("#refusals")
    money = visit.text("#money")
    assert f"{summary['recurring']['EUR']['before']:,} EUR" in money
    assert f"{summary['penalties']['EUR']:,} EUR" in money
    assert page.locator("#distribution svg rect").count() >= 1
    assert page.locator("svg").count() >= 5
    page.screenshot(path=str(artefacts / "campaign-report.png"), full_page=True)
    visit.check_quiet()
    page.close()


# ----------------------------------------------------------------------------------------- the service's /ui/

TOKEN = "ui-test-token"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
CARTS = "/tmf-api/shoppingCart/v4/shoppingCart"


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """``odedelta serve`` on the demo catalog, rules and inventories, with a bearer token (its base URL)."""
    with serving("--catalog", str(DEMO), "--rules", str(ROOT / "rules"), "--inventory", str(DEMO / "inventories"),
                 "--token", TOKEN) as server:
        yield server.url


def _api(method: str, url: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30, **kwargs)


def _visit(browser: Any, url: str, origins: tuple[str, ...], width: int = 1000) -> Visit:
    """``url`` opened in a new page that may reach ``origins`` only (every other request is recorded, then
    aborted)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    visit = Visit(page, url)
    page.on("console", lambda m: visit.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: visit.console.append(f"pageerror: {e}"))

    def route(request_route: Any) -> None:
        wanted = request_route.request.url
        visit.requests.append(wanted)
        if wanted.startswith(tuple(o + "/" for o in origins)):
            request_route.continue_()
        else:
            request_route.abort()

    page.route("**/*", route)
    page.goto(url)
    return visit


def _leaving(visit: Visit, origins: tuple[str, ...]) -> list[str]:
    return [u for u in visit.requests if not u.startswith(tuple(o + "/" for o in origins))]


def _pick_and_qualify(visit: Visit) -> None:
    page = visit.page
    page.fill("#token", TOKEN)
    page.fill("#as-of", "2026-03-01T00:00:00Z")
    page.click("#access-form button")
    page.wait_for_selector("#customer-list option", state="attached")  # no polled script: the CSP forbids eval
    page.fill("#customer", "alice")
    page.click("#customer-form button")
    page.wait_for_selector("#product-form:not([hidden])")
    page.check("input[name=product][value=F-1]")
    page.click("#product-form button")
    page.wait_for_selector("#step-target:not([hidden])")


def test_the_ui_flow_pick_view_accept_creates_the_order(browser: Any, served: str, artefacts: Path) -> None:
    orders_before = int(_api("GET", served + ORDERS).headers["x-total-count"])
    visit = _visit(browser, served + "/ui/", (served,))
    page = visit.page
    assert page.title() == "Change an offering — odedelta"
    assert page.locator("main").count() == 1 and page.locator("header").count() >= 1
    assert page.get_attribute("#token", "type") == "password"
    for ident in ("token", "as-of", "customer"):  # every field has its label
        assert page.locator(f"label[for={ident}]").count() == 1
    _pick_and_qualify(visit)
    assert visit.text("#status") == "5 offerings: 3 qualified."
    targets = page.locator("#targets table")
    assert targets.locator("th[scope=col]").count() == 5
    assert visit.text("tr[data-offering=po-fiber-300] td:nth-child(3)") == "Qualified"
    assert "monthly price 54.00 EUR → 44.00 EUR" in visit.text("tr[data-offering=po-fiber-300]")
    assert "reserved for business customers" in visit.text("tr[data-offering=po-business-fiber-1000]")
    page.check("tr[data-offering=po-fiber-300] input[type=radio]")
    page.screenshot(path=str(artefacts / "ui-pick.png"), full_page=True)

    page.click("#target-form button")
    page.wait_for_selector("#accept-bar:not([hidden])")
    assert visit.text("#monthly-before") == "54.00 EUR"
    assert visit.text("#monthly-after") == "44.00 EUR"
    assert visit.text("#monthly-difference") == "-10.00 EUR"
    assert visit.text("#due-now-total") == "60.00 EUR"
    removed = visit.text("#removed")
    assert "StreamMax" in removed and "F-4" in removed and "promotion_lost" in removed
    assert "6 months remaining × 50.00 EUR × 0.2 = 60.00 EUR" in visit.text("#due-now")
    assert "rules/money.yaml:4" in visit.text("#rules") and str(ROOT) not in visit.text("body")
    cart = visit.text("#status").removeprefix("Shopping cart ").split(":")[0]
    totals = {t["name"]: t["price"]["taxIncludedAmount"]["value"]
              for t in _api("GET", f"{served}{CARTS}/{cart}").json()["cartTotalPrice"]}
    assert (totals["Total per month after the change"], totals["Total due now"]) == (44.0, 60.0)  # the cart's own
    page.locator("#view").screenshot(path=str(artefacts / "ui-consequences.png"))
    page.screenshot(path=str(artefacts / "ui-flow.png"), full_page=True)

    page.click("#accept")
    page.wait_for_selector("#ordered:not([hidden])")
    ident = visit.text("#order-id")
    assert visit.text("#order-state") == "state: acknowledged"
    order = _api("GET", f"{served}{ORDERS}/{ident}").json()  # the order exists in the service, through its API
    assert order["state"] == "acknowledged"
    assert order["relatedParty"][0]["id"] == "alice"
    main = [i for i in order["productOrderItem"] if i["action"] == "modify" and i["product"]["id"] == "F-1"]
    assert [i["productOffering"]["id"] for i in main] == ["po-fiber-300"]
    assert int(_api("GET", served + ORDERS).headers["x-total-count"]) == orders_before + 1
    page.screenshot(path=str(artefacts / "ui-ordered.png"), full_page=True)
    assert visit.console == []
    assert _leaving(visit, (served,)) == []
    page.close()


def test_the_ui_at_phone_width_and_a_refused_target_shows_its_reasons(browser: Any, served: str,
                                                                        artefacts: Path) -> None:
    carts_before = _api("GET", served + CARTS).headers["x-total-count"]
    visit = _visit(browser, served + "/ui/", (served,), width=375)
    page = visit.page
    _pick_and_qualify(visit)
    assert "Not qualified" in visit.text("tr[data-offering=po-business-fiber-1000]")
    page.check("tr[data-offering=po-business-fiber-1000] input[type=radio]")
    page.click("#target-form button")
    page.wait_for_selector("#step-view:not([hidden])")
    assert visit.text("#status") == "The change is refused: the reasons are shown below."
    refusal = visit.text("#refusal")
    assert "Refused. not eligible: Business Fiber 1000" in refusal
    assert "business-offers-need-a-segment" in refusal and "This offer is reserved for business customers." in refusal
    assert not page.locator("#accept").is_visible()  # nothing to order
    assert _api("GET", served + CARTS).headers["x-total-count"] == carts_before  # and no cart made
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    page.screenshot(path=str(artefacts / "ui-refused-phone.png"), full_page=True)
    assert visit.console == []
    assert _leaving(visit, (served,)) == []
    page.close()


def test_the_fragment_in_another_origin_s_iframe_shows_the_same_numbers(browser: Any, served: str,
                                                                         artefacts: Path) -> None:
    """A CPQ screen on its own origin puts ``/ui/consequences?cart=…`` in an iframe (the token in the fragment
    of the address, never sent to a server) and sizes it from the height the view tells it."""
    body = {"cartItem": [{"id": "1", "action": "modify", "product": {"id": "F-1"},
                          "productOffering": {"id": "po-fiber-300"}}],
            "relatedParty": [{"id": "alice", "role": "customer"}]}
    cart = _api("POST", served + CARTS, params={"asOf": "2026-03-01T00:00:00Z"}, json=body)
    assert cart.status_code == 201
    view = f"{served}/ui/consequences?cart={cart.json()['id']}"
    # two frames: the token in the first one's address fragment; the second one asks for it (odedelta:ready)
    screen = ('<!DOCTYPE html><html lang="en"><head><title>CPQ</title></head><body><main><h1>Your order</h1>'
              f'<iframe id="odedelta" title="What this change means" style="width:100%;border:0;height:200px" '
              f'src="{view}#token={TOKEN}"></iframe>'
              f'<iframe id="asks" title="The same, token sent on request" src="{view}"></iframe></main><script>'
              'addEventListener("message", (e) => {'
              ' if (e.data && e.data.type === "odedelta:height" && e.source === frames[0])'
              '  document.getElementById("odedelta").style.height = e.data.height + "px";'
              f' if (e.data && e.data.type === "odedelta:ready") e.source.postMessage('
              f'{{type: "odedelta:token", token: "{TOKEN}"}}, "{served}"); }});</script></body></html>')
    with screen_server(screen) as cpq:
        _check_the_iframe(browser, served, cpq, artefacts)


@contextlib.contextmanager
def screen_server(html: str) -> Iterator[str]:
    """A CPQ screen: ``html`` served at ``/screen`` on loopback under the name localhost — another origin than the
    service's 127.0.0.1 (both local: Chromium refuses a public page an iframe of a local address)."""
    data = html.encode()

    class Screen(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/screen"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Screen)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _check_the_iframe(browser: Any, served: str, cpq: str, artefacts: Path) -> None:
    visit = _visit(browser, f"{cpq}/screen", (served, cpq))
    page = visit.page
    frame = page.frame_locator("#odedelta")
    assert frame.locator("#monthly-before").inner_text() == "54.00 EUR"
    assert frame.locator("#monthly-after").inner_text() == "44.00 EUR"
    assert frame.locator("#due-now-total").inner_text() == "60.00 EUR"
    assert "StreamMax" in frame.locator("#removed").inner_text()
    asks = page.frame_locator("#asks")
    assert asks.locator("#monthly-before").inner_text() == "54.00 EUR"
    assert asks.locator("#due-now-total").inner_text() == "60.00 EUR"
    page.wait_for_function("parseInt(document.getElementById('odedelta').style.height) > 1000")
    framed = [f.url for f in page.frames if f.url.startswith(served)]
    assert framed == [framed[1], framed[1]] and "token" not in framed[0]  # the token left the address bar
    page.screenshot(path=str(artefacts / "ui-iframe.png"), full_page=True)
    assert visit.console == []
    assert _leaving(visit, (served, cpq)) == []
    page.close()
