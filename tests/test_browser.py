"""The consequence page and the campaign report in a real browser: headless Chromium (Debian's ``chromium``
package) driven by Playwright's Python API pointing at the system browser — no browser is downloaded.

Each test reads the numbers a person sees, listens to the console (no error) and to every request the page makes
(none but the page itself), and saves a screenshot as an artefact (in the test's tmp directory, or in
``$ODEDELTA_ARTEFACTS`` when set). Without a browser the tests skip with the reason — except where the environment
variable ``CI`` is set (``.ci/run`` sets it and installs the browser): there they fail.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import odedelta
from odedelta.adapters.cli import main
from odedelta.campaigns import ChangeOffering, generate, run

from .conftest import DEMO, ROOT

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
"""The system browser, found on PATH (or named by ``$ODEDELTA_CHROMIUM``)."""
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def _unavailable(reason: str) -> None:
    message = f"NO BROWSER — the browser tests did not run: {reason}. Install Debian's chromium (apt-get install " \
              "chromium) and the dev extra (Playwright's Python API)."
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set: a missing browser is a failure there)")
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
