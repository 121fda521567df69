"""``report.html`` beside a campaign's Parquet files: the numbers of the summary and of every customer row, as one
self-contained page with static SVG charts; and the comparison of two rule sets, rule by rule."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import odedelta
from odedelta.campaigns import ChangeOffering, compare, generate, run
from odedelta.campaigns.report import REPORT, histogram_bins, monthly_changes, render
from odedelta.outputs.html import amount_text

from .conftest import DEMO, ROOT
from .test_html import _Page

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
DOWNGRADE = ChangeOffering("po-fiber-500", "po-fiber-300")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, demo: odedelta.Catalog) -> Path:
    path = tmp_path_factory.mktemp("report-base") / "customers.jsonl"
    return generate.write_jsonl(path, generate.customers(demo, 150, as_of=AS_OF, seed=11, favour="po-fiber-500"))


@pytest.fixture(scope="module")
def campaign(base: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return run(DEMO, base, DOWNGRADE, as_of=AS_OF, out=tmp_path_factory.mktemp("report"), rules=ROOT / "rules",
               workers=0)


def test_the_report_shows_the_campaign_numbers(campaign: Any) -> None:
    summary = campaign.summary
    page = (campaign.out / REPORT).read_text(encoding="utf-8")
    seen = _Page(page).text
    assert summary["changed"] and summary["refused"]["total"]  # the base exercises both
    assert f"Customers {summary['customers']:,} Changed {summary['changed']:,}" in seen
    assert f"Refused {summary['refused']['total']:,}" in seen
    for reason, count in summary["refused"]["byReason"].items():
        assert f"{reason} {count:,}" in seen
    eur = summary["recurring"]["EUR"]
    assert f"Monthly revenue before {amount_text(eur['before'], 'EUR')}" in seen
    assert f"Monthly revenue after {amount_text(eur['after'], 'EUR')}" in seen
    assert f"Penalties due now {amount_text(summary['penalties']['EUR'], 'EUR')}" in seen
    for rule, count in summary["rules"].items():
        assert f"{rule} {count:,}" in seen
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_histogram_counts_every_changed_customer_once(campaign: Any) -> None:
    rows = [r for r in campaign.iter_customers() if r["status"] == "changed"]
    expected = Counter(r["recurring_difference"] for r in rows)
    histogram = monthly_changes(campaign.out / "customers.parquet")
    assert histogram == {"EUR": expected}
    bins = histogram_bins(histogram["EUR"], "EUR")
    assert sum(n for _, _, n in bins) == len(rows)
    for amount, count in expected.items():  # each amount falls in exactly one bin, from ≤ amount < to
        assert sum(n for lo, hi, n in bins if lo <= amount < hi) >= count
    widths = {hi - lo for lo, hi, _ in bins}
    assert len(widths) == 1 and widths.pop() in {Decimal(w) for w in ("1", "2", "5", "10", "20", "50")}
    page = render(campaign.summary, histogram)
    assert f"Monthly change per customer, EUR ({len(rows):,} customers)" in _Page(page).text
    assert page == (campaign.out / REPORT).read_text(encoding="utf-8")  # the same bytes for the same campaign


def test_histogram_bins_of_one_amount_and_of_a_currency_without_decimals() -> None:
    assert histogram_bins(Counter({Decimal("-10.00"): 7}), "EUR") == [(Decimal(-10), Decimal(-9), 7)]
    bins = histogram_bins(Counter({Decimal(-1200): 3, Decimal(0): 2, Decimal(1100): 1}), "JPY")
    assert [n for _, _, n in bins if n] == [3, 2, 1] and bins[0][0] <= -1200 and bins[-1][1] > 1100
    assert histogram_bins(Counter(), "EUR") == []


def test_comparing_two_rule_sets_reports_the_per_rule_differences(base: Path, tmp_path: Path) -> None:
    comparison = compare(DEMO, base, DOWNGRADE, rules_a=None, rules_b=ROOT / "rules", as_of=AS_OF, out=tmp_path,
                         workers=0)
    assert comparison["ruleChanges"]
    seen = _Page((tmp_path / REPORT).read_text(encoding="utf-8")).text
    assert f"Outcome differs {comparison['differ']:,}" in seen
    for rule, entry in comparison["ruleChanges"].items():
        assert (f"{rule} {entry['firesInA']:,} {entry['firesInB']:,} {entry['onlyInA']:,} "
                f"{entry['onlyInB']:,}") in seen
    for move, count in comparison["byOutcome"].items():
        assert f"{move} {count:,}" in seen
    assert (tmp_path / "a" / REPORT).is_file() and (tmp_path / "b" / REPORT).is_file()


def test_a_report_in_two_currencies_keeps_them_apart() -> None:
    money = {"GBP": Decimal("12.50"), "JPY": Decimal("3000")}
    summary = {"template": {"kind": "ChangeOffering", "offering": "a", "to": "b"}, "asOf": "2026-03-01T00:00:00Z",
               "customers": 5, "changed": 4, "unchanged": 0, "refused": {"total": 1, "byReason": {"<no>": 1}},
               "errors": {"total": 0, "byKind": {}}, "requests": 4,
               "recurring": {"GBP": {"before": Decimal("60.00"), "after": Decimal("40.00"),
                                     "difference": Decimal("-20.00")},
                             "JPY": {"before": Decimal("9000"), "after": Decimal("12000"),
                                     "difference": Decimal("3000")}},
               "penalties": money, "fees": {}, "oneTime": {}, "proration": {}, "dueNow": money,
               "promotions": {"lost": {}, "gained": {}}, "actions": {"modify": 4}, "rules": {"r<1>": 4}}
    histogram = {"GBP": Counter({Decimal("-10.00"): 2}), "JPY": Counter({Decimal(1000): 1, Decimal(2000): 1})}
    page = render(summary, histogram)
    seen = _Page(page).text
    assert "Money in GBP (customers changed) Figure Amount Monthly revenue before 60.00 GBP" in seen
    assert "Money in JPY (customers changed) Figure Amount Monthly revenue before 9,000 JPY" in seen
    assert "Penalties due now 3,000 JPY" in seen and "Penalties due now 12.50 GBP" in seen
    assert "Monthly change per customer, GBP (2 customers)" in seen
    assert "Monthly change per customer, JPY (2 customers)" in seen
    assert "<no>" in seen and "&lt;no&gt;" in page and "r&lt;1&gt;" in page
