"""The consequence view as HTML (``odedelta.to_html``, ``odedelta change --format html``) and the campaign report:
what the page says, that it says it safely (every string escaped), the same bytes for the same input, other
currencies, a refusal, and an enterprise change of 5,000 lines."""

from __future__ import annotations

import importlib.util
import re
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import odedelta
from odedelta import ChangeOffer, Engine, Refusal
from odedelta.adapters.cli import main
from odedelta.flows.result import ChangeResult
from odedelta.model.catalog import Catalog, Document
from odedelta.model.requests import Context
from odedelta.outputs.html import amount_text, fragment, money, to_html

from .conftest import DEMO, ROOT

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
RULES = ROOT / "rules"
DOWNGRADE = ChangeOffer(product="F-1", to="po-fiber-300")


@pytest.fixture(scope="module")
def rules(demo: Catalog) -> odedelta.Rulebook:
    return odedelta.load_rules(RULES, demo)


@pytest.fixture(scope="module")
def downgrade(demo: Catalog, rules: odedelta.Rulebook,
              inventories: dict[str, odedelta.Inventory]) -> ChangeResult:
    return Engine(demo, rules).change(inventories["alice"], DOWNGRADE, as_of=AS_OF)


class _Page(HTMLParser):
    """The page as a browser reads it: its visible text, its tags, and the ids (which must be unique)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.words: list[str] = []
        self.headers: list[dict[str, str | None]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "th":
            self.headers.append(found)

    def handle_data(self, data: str) -> None:
        if self.tags[-1:] != ["style"]:
            self.words.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.words).split())


def test_the_demo_downgrade_page_shows_every_figure_the_result_carries(downgrade: ChangeResult,
                                                                     rules: odedelta.Rulebook) -> None:
    page = to_html(downgrade, rules)
    seen = _Page(page).text
    c = downgrade.consequences
    assert c is not None
    assert "Before 54.00 EUR" in seen and "After 44.00 EUR" in seen
    assert "Difference per month (less) -10.00 EUR" in seen
    assert "Due now 60.00 EUR" in seen
    # every charge, with its formula and the rule that decided it, written where the rule book says
    for charge in c.charges:
        assert f"{charge.name} {charge.kind} {charge.amount.rounded().amount} EUR {charge.explanation}" in seen
    assert "6 months remaining × 50.00 EUR × 0.2 = 60.00 EUR" in seen
    for decision in downgrade.decisions:
        where = rules.by_id[decision.rule_id].where
        assert f"{decision.rule_id} {decision.kind} {decision.message} {where}" in seen
    # promotions with their value, the removed service and why, the recommendation
    lost = next(p for p in c.promotions if p.status == "lost")
    assert f"{lost.name} {lost.promotion_id} {lost.before}" in seen
    assert "StreamMax F-4 StreamMax was free through" in seen
    assert "promotion_lost" in seen
    assert "StreamMax 10.00 EUR Keep StreamMax as a paid add-on" in seen
    # every product's monthly price before and after, as the money layer computed it
    for bill, ids in ((c.before, c.before_ids), (c.after, c.after_ids)):
        for entry in (bill.products[pid] for pid in ids if pid in bill.products):
            if entry.net is not None:
                assert str(entry.net) in seen, entry.product_id
    # every item of the delta, under its action
    for item in downgrade.items:
        assert item.product_id in seen
    assert "5 lines: 2 changed, 0 added, 1 removed, 2 kept as they are." in seen


def test_the_page_is_self_contained_accessible_and_printable(downgrade: ChangeResult) -> None:
    page = to_html(downgrade)
    parsed = _Page(page)
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert {"header", "nav", "main", "footer", "section"} <= set(parsed.tags)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing fetched, no link leaves the page
    assert all(h.get("scope") == "col" for h in parsed.headers) and parsed.headers
    assert not re.search(r"<th[^>]*></th>", page)  # every column header says what the column holds
    assert len(parsed.ids) == len(set(parsed.ids))  # every anchor unique
    assert "@media print" in page and "@media (max-width:40rem)" in page
    assert "default-src 'none'" in page  # the browser refuses any request the page would make
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "Before: 54.00 EUR; After: 44.00 EUR" in svg


def test_the_same_result_gives_the_same_bytes(demo: Catalog, rules: odedelta.Rulebook,
                                              inventories: dict[str, odedelta.Inventory]) -> None:
    first = to_html(Engine(demo, rules).change(inventories["alice"], DOWNGRADE, as_of=AS_OF), rules)
    again = to_html(Engine(odedelta.load_catalog(DEMO), odedelta.load_rules(RULES, demo)).change(
        odedelta.load_inventory(DEMO / "inventories" / "alice.json", demo), DOWNGRADE, as_of=AS_OF),
        odedelta.load_rules(RULES, demo))
    assert first.encode() == again.encode()
    assert odedelta.to_html is to_html


def _copy(tmp_path: Path, edit: dict[str, tuple[str, str]]) -> Path:
    """The demo catalog and alice's inventory copied with text replaced (file name → (old, new); '*': every file)."""
    target = tmp_path / "catalog"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("scenarios", "partners"))
    for path in [*target.glob("*.json"), *target.glob("inventories/*.json")]:
        body = path.read_text(encoding="utf-8")
        for name, (old, new) in edit.items():
            if name in ("*", path.name):
                assert old in body or name == "*", (old, path)
                body = body.replace(old, new)
        path.write_text(body, encoding="utf-8")
    return target


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    hostile = "<script>alert('x')</script> Fiber & \\\"300\\\" <img src=x onerror=alert(1)>"
    folder = _copy(tmp_path, {"productOffering.json": ('"name": "Fiber 300"', f'"name": "{hostile}"')})
    catalog = odedelta.load_catalog(folder)
    inventory = odedelta.load_inventory(folder / "inventories" / "alice.json", catalog)
    page = to_html(Engine(catalog, odedelta.load_rules(RULES, catalog)).change(inventory, DOWNGRADE, as_of=AS_OF))
    parsed = _Page(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Fiber &amp; &quot;300&quot;" in page
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "<script>alert('x')</script> Fiber & \"300\"" in parsed.text  # shown as text, as written


@pytest.mark.parametrize(("currency", "before", "after", "difference"), [
    ("GBP", "54.00 GBP", "44.00 GBP", "-10.00 GBP"),
    ("JPY", "54 JPY", "44 JPY", "-10 JPY"),
    ("KWD", "54.000 KWD", "44.000 KWD", "-10.000 KWD"),
])
def test_a_result_in_another_currency_is_shown_in_its_minor_unit(tmp_path: Path, currency: str, before: str,
                                                                   after: str, difference: str) -> None:
    folder = _copy(tmp_path, {"*": ('"EUR"', f'"{currency}"')})
    catalog = odedelta.load_catalog(folder)
    inventory = odedelta.load_inventory(folder / "inventories" / "alice.json", catalog)
    result = Engine(catalog).change(inventory, DOWNGRADE, as_of=AS_OF)  # no rules: their fees are in EUR
    assert result.consequences is not None and result.consequences.currency == currency
    seen = _Page(to_html(result)).text
    assert f"Before {before}" in seen and f"After {after}" in seen
    assert f"Difference per month (less) {difference}" in seen
    assert "EUR" not in seen
    assert f"Money in {currency}, rounded to its minor unit" in seen
    _same_in_the_service(result)


def test_amounts_follow_the_currency_and_group_thousands() -> None:
    assert amount_text(Decimal("1234567.5"), "EUR") == "1,234,567.50 EUR"
    assert amount_text(Decimal("-1234.5"), "JPY") == "-1,234 JPY"  # banker's rounding: 1234.5 → 1234
    assert amount_text(Decimal("0.1235"), "KWD") == "0.124 KWD"
    assert money(odedelta.Money(Decimal("3"), "GBP"), signed=True) == "+3.00 GBP"
    assert money(None) == "—"


def test_a_refusal_renders_its_reasons(demo: Catalog, rules: odedelta.Rulebook,
                                       inventories: dict[str, odedelta.Inventory]) -> None:
    answer = Engine(demo, rules).evaluate(inventories["alice"], ChangeOffer(product="A-1", to="po-mobile-s"),
                                          as_of=datetime(2025, 6, 1, tzinfo=UTC))
    assert isinstance(answer, Refusal) and answer.verdict is not None
    page = to_html(answer, rules)
    seen = _Page(page).text
    assert f"Refused. {answer.message}" in seen
    for reason in answer.verdict.reasons:
        assert f"{reason.rule_id} {reason.kind} {reason.message}" in seen
        assert rules.by_id[reason.rule_id].where in seen
    assert 'role="alert"' in page
    _same_in_the_service(answer, rules)


def test_the_cli_writes_the_page_and_a_refused_change_is_a_page_too(capsys: pytest.CaptureFixture[str]) -> None:
    common = ["change", "--catalog", str(DEMO), "--inventory", str(DEMO / "inventories" / "alice.json"),
              "--rules", str(RULES), "--format", "html"]
    assert main([*common, "--product", "F-1", "--to", "po-fiber-300", "--as-of", "2026-03-01T00:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>") and "60.00 EUR" in out and "money.yaml:4" in out
    assert main([*common, "--product", "A-1", "--to", "po-mobile-s", "--as-of", "2025-06-01T00:00:00Z"]) == 1
    captured = capsys.readouterr()
    assert "The change is refused" in captured.out and "no-downgrade-first-6-months" in captured.out
    assert "downgrade_too_early" in captured.err


def _benchmark_generator() -> Any:
    spec = importlib.util.spec_from_file_location("odedelta_benchmark_generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_enterprise_change_of_5000_lines_stays_usable() -> None:
    generate = _benchmark_generator()
    catalog = Catalog.from_documents([Document(kind, docs) for kind, docs in generate.catalog_documents(60).items()])
    line = catalog.graph.components("po-pack-a")[0].offering_id
    inventory = odedelta.Inventory.from_document(catalog, generate.enterprise_inventory(5000, line))
    result = Engine(catalog).change(inventory, ChangeOffer(product="ACCOUNT", to="po-pack-b"), as_of=AS_OF,
                                    context=Context(segment="residential"))
    assert len(result.items) == 5001
    page = to_html(result)
    parsed = _Page(page)
    # the group is collapsed, split by offering, and the 5,000 lines of one offering in tables of 500
    assert '<details id="group-modify"><summary>Changed (5001)</summary>' in page
    assert page.count("<summary>Lines ") == 10
    assert "<summary>Lines 4,501–5,000</summary>" in page
    for item in result.items:
        assert f"<code>{item.product_id}</code>" in page
    assert len(parsed.ids) == len(set(parsed.ids))
    _same_in_the_service(result)


def test_a_refusal_by_the_catalog_structure_names_no_rule() -> None:
    page = to_html(Refusal("F-1 cannot hold <b>two</b> routers", None))
    seen = _Page(page).text
    assert "Refused. F-1 cannot hold <b>two</b> routers" in seen and "<b>" not in page
    assert "no rule took part" in seen and 'id="rules"' not in page
    _same_in_the_service(Refusal("F-1 cannot hold <b>two</b> routers", None))


def _same_in_the_service(result: ChangeResult | Refusal, rules: odedelta.Rulebook | None = None) -> None:
    """The service's view (:func:`fragment`, an ``<article>`` for its /ui/ pages) has the page's sections, byte for
    byte, and its heading and footer."""
    page, article = to_html(result, rules), fragment(result, rules)
    assert article.startswith('<article class="odedelta-view">') and article.endswith("</article>\n")

    def inner(html: str, start: str, end: str) -> str:
        return html[html.index(start) + len(start):html.index(end)]

    assert inner(article, "<header>", "</header>") == inner(page, "<header>", "</header>")
    assert inner(article, "</header>\n", "<footer>") == inner(page, "<main>\n", "</main>")
    assert inner(article, "<footer>", "</footer>") == inner(page, "<footer>", "</footer>")
