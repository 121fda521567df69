"""Regenerate the screenshots in docs/images/ from the demo: the downgrade page, the service's /ui/ flow and a
campaign report of 3,000 customers.

    python tools/screenshots.py [--out docs/images] [--customers 3000]

Needs the dev extra (Playwright's Python API, the service and bulk extras' libraries) and a system Chromium
(Debian's ``chromium``, or ``$ODEDELTA_CHROMIUM``); no browser is downloaded. Every input is fixed (the demo catalog
and rules, the moment 2026-03-01, the base's seed, the viewport), so a run on the same machine gives the same
pictures. The tests do not need it: tests/test_browser.py takes its own screenshots as test artefacts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "catalogs" / "demo"
AS_OF = "2026-03-01T00:00:00Z"
TOKEN = "screenshots"
WIDTH = 1000


def odedelta(*args: str, cwd: Path = ROOT) -> str:
    """One ``odedelta`` command as a developer types it (this interpreter's), its output."""
    done = subprocess.run([sys.executable, "-m", "odedelta", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"odedelta {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    return done.stdout


def chromium() -> str:
    found = os.environ.get("ODEDELTA_CHROMIUM") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if found is None:
        raise SystemExit("no Chromium on PATH: apt-get install chromium (or set ODEDELTA_CHROMIUM)")
    return found


@contextmanager
def service() -> Iterator[str]:
    """The service on the demo (catalog, rules, inventories) with a bearer token, on uvicorn in a thread."""
    import uvicorn

    from odedelta.service import create_app

    app = create_app(DEMO, ROOT / "rules", DEMO / "inventories", token=TOKEN)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def new_page(browser: Any, width: int = WIDTH) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    return page


def shoot(page: Any, path: Path, **options: Any) -> None:
    if page.errors:
        raise SystemExit(f"{path.name}: the page said {page.errors}")
    page.screenshot(path=str(path), **options)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size:,} bytes)")


def demo_page(browser: Any, work: Path, out: Path) -> None:
    html = odedelta("change", "--catalog", "catalogs/demo", "--inventory", "catalogs/demo/inventories/alice.json",
                    "--rules", "rules", "--product", "F-1", "--to", "po-fiber-300", "--as-of", AS_OF,
                    "--format", "html")
    path = work / "demo-downgrade.html"
    path.write_text(html, encoding="utf-8")
    page = new_page(browser)
    page.goto(path.as_uri())
    shoot(page, out / "demo-downgrade.png", full_page=True)
    page.close()


def ui_flow(browser: Any, out: Path) -> None:
    with service() as base:
        page = new_page(browser)
        page.goto(f"{base}/ui/")
        page.fill("#token", TOKEN)
        page.fill("#as-of", AS_OF)
        page.click("#access-form button")
        page.wait_for_selector("#customer-list option", state="attached")  # no polled script: the CSP forbids eval
        page.fill("#customer", "alice")
        page.click("#customer-form button")
        page.wait_for_selector("#product-form:not([hidden])")
        page.click("#product-form button")
        page.wait_for_selector("#step-target:not([hidden])")
        page.check("tr[data-offering=po-fiber-300] input[type=radio]")
        shoot(page, out / "ui-pick.png", full_page=True)
        page.click("#target-form button")
        page.wait_for_selector("#accept-bar:not([hidden])")
        page.evaluate("document.querySelector('#step-view').scrollIntoView()")
        shoot(page, out / "ui-consequences.png")  # the view as the agent sees it: the first screen of step 3
        page.close()

        phone = new_page(browser, 390)
        phone.goto(f"{base}/ui/")
        phone.fill("#token", TOKEN)
        phone.fill("#as-of", AS_OF)
        phone.click("#access-form button")
        phone.wait_for_selector("#customer-list option", state="attached")  # no polled script: the CSP forbids eval
        phone.fill("#customer", "alice")
        phone.click("#customer-form button")
        phone.wait_for_selector("#product-form:not([hidden])")
        phone.click("#product-form button")
        phone.wait_for_selector("#step-target:not([hidden])")
        phone.check("tr[data-offering=po-business-fiber-1000] input[type=radio]")
        phone.click("#target-form button")
        phone.wait_for_selector("#refusal")
        phone.evaluate("document.querySelector('#step-view').scrollIntoView()")
        shoot(phone, out / "ui-refused-phone.png")
        phone.close()


def campaign(browser: Any, work: Path, out: Path, customers: int) -> None:
    base = work / "customers.jsonl"
    odedelta("generate-base", "--catalog", "catalogs/demo", "--customers", str(customers), "--out", str(base),
             "--seed", "11", "--favour", "po-fiber-500", "--as-of", AS_OF)
    odedelta("bulk", "--catalog", "catalogs/demo", "--rules", "rules", "--inventories", str(base),
             "--from", "po-fiber-500", "--to", "po-fiber-300", "--as-of", AS_OF, "--out", str(work / "campaign"))
    page = new_page(browser)
    page.goto((work / "campaign" / "report.html").as_uri())
    shoot(page, out / "campaign-report.png", full_page=True)
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="where the PNGs go")
    parser.add_argument("--customers", type=int, default=3000, help="the campaign's customers (default 3000)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        # --no-sandbox: containers run as root, where Chromium's sandbox refuses to start
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=["--no-sandbox"])
        try:
            demo_page(browser, Path(folder), out)
            ui_flow(browser, out)
            campaign(browser, Path(folder), out, args.customers)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
