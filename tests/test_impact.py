"""The impact of a rule or catalog change over a base: the rules that fire differently (for how many customers,
with how much money) and, for two catalog versions, who is affected by a price change."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import odedelta
from odedelta.adapters.cli import main
from odedelta.campaigns import ChangeOffering, compare, compare_catalogs, generate

from .conftest import DEMO, ROOT

RULES = ROOT / "rules"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
DOWNGRADE = ChangeOffering("po-fiber-500", "po-fiber-300")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, demo: odedelta.Catalog) -> Path:
    """60 generated customers, about half of them on Fiber 500."""
    path = tmp_path_factory.mktemp("impact") / "customers.jsonl"
    generate.write_jsonl(path, generate.customers(demo, 60, as_of=AS_OF, seed=5, favour="po-fiber-500"))
    return path


@pytest.fixture(scope="module")
def repriced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo catalog with Fiber 500 at 55.00 instead of 50.00 a month."""
    folder = tmp_path_factory.mktemp("repriced") / "catalog"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("scenarios", "inventories"))
    prices = json.loads((folder / "productOfferingPrice.json").read_text())
    for price in prices:
        if price["id"] == "pop-fiber-500":
            price["price"]["value"] = 55.0
    (folder / "productOfferingPrice.json").write_text(json.dumps(prices))
    return folder


def _eur(value: object) -> Decimal:
    return Decimal(str(value))


def test_a_rule_set_comparison_names_each_rule_that_fires_differently(base: Path, tmp_path: Path) -> None:
    comparison = compare(DEMO, base, DOWNGRADE, rules_a=None, rules_b=RULES, as_of=AS_OF, out=tmp_path, workers=0)
    changes = comparison["ruleChanges"]
    assert comparison["rulesThatFireDifferently"] == len(changes) == 5
    counts = {rule: (c["firesInA"], c["firesInB"], c["onlyInA"], c["onlyInB"]) for rule, c in changes.items()}
    assert counts == {"business-customers-no-penalty": (0, 4, 0, 4),
                      "fiber-downgrade-under-commitment": (0, 4, 0, 4),
                      "keep-streammax-paid": (0, 16, 0, 16),
                      "no-downgrade-first-6-months": (0, 8, 0, 8),
                      "vip-may-downgrade-anytime": (0, 5, 0, 5)}
    # the deny refuses 8 customers: exactly the outcomes that move to refused; they keep their bill (76.00 a month
    # more than the downgrade would have left them) and pay nothing now
    assert comparison["byOutcome"] == {"changed -> changed": 4, "changed -> refused": 8}
    deny = changes["no-downgrade-first-6-months"]["money"]
    assert (_eur(deny["recurringAfter"]["EUR"]), _eur(deny["dueNow"]["EUR"])) == (Decimal("76.00"), Decimal("0"))
    penalty = changes["fiber-downgrade-under-commitment"]
    assert _eur(penalty["money"]["penalties"]["EUR"]) == Decimal("140.00")
    assert _eur(changes["vip-may-downgrade-anytime"]["money"]["penalties"]["EUR"]) == Decimal("110.00")
    assert changes["business-customers-no-penalty"]["money"]["penalties"]["EUR"] == 0
    # the counts are those of the customer rows each campaign wrote
    import pyarrow.parquet as pq

    rows_b = pq.read_table(tmp_path / "b" / "customers.parquet").to_pylist()
    fired = sorted(row["customer"] for row in rows_b if "fiber-downgrade-under-commitment" in row["rules"])
    assert penalty["examples"] == fired and len(fired) == 4
    written = json.loads((tmp_path / "comparison.json").read_text())
    assert written["ruleChanges"]["keep-streammax-paid"]["customers"] == 16


def test_two_catalog_versions_say_who_a_price_change_affects(base: Path, repriced: Path, tmp_path: Path) -> None:
    comparison = compare_catalogs(DEMO, repriced, base, DOWNGRADE, rules=RULES, as_of=AS_OF, out=tmp_path,
                                  workers=0)
    assert [(p["offering"], _eur(p["monthlyA"]), _eur(p["monthlyB"])) for p in comparison["prices"]] == [
        ("po-fiber-500", Decimal("50"), Decimal("55"))]
    # 29 customers change their Fiber 500: all of them pay 5.00 more today (not grandfathered), nothing changes
    # after the downgrade, and 3 of them pay a larger penalty (20% of the remaining months of a higher price)
    assert comparison["differ"] == 29 and comparison["byOutcome"] == {"changed -> changed": 29}
    assert comparison["affected"] == {"recurringBefore": 29, "recurringAfter": 0, "dueNow": 3}
    money = comparison["differences"]
    assert _eur(money["recurringBefore"]["EUR"]) == Decimal("145.00") == 29 * Decimal("5.00")
    assert _eur(money["penalties"]["EUR"]) == _eur(money["dueNow"]["EUR"]) == Decimal("4.00")
    assert _eur(comparison["b"]["penalties"]["EUR"]) - _eur(comparison["a"]["penalties"]["EUR"]) == Decimal("4.00")
    assert comparison["rulesThatFireDifferently"] == 0
    lines = [json.loads(line) for line in (tmp_path / "affected.jsonl").read_text().splitlines()]
    assert len(lines) == 29
    assert [(x["customer"], [_eur(v) for v in x["penalties"]]) for x in lines
            if x["penalties"][0] != x["penalties"][1]] == [
        ("CUST-0000010", [Decimal("10.00"), Decimal("11.00")]), ("CUST-0000035", [Decimal("20.00"), Decimal("22.00")]),
        ("CUST-0000055", [Decimal("10.00"), Decimal("11.00")])]
    capped = next(x for x in lines if x["customer"] == "CUST-0000000")  # at the 100.00 maximum on both sides
    assert [_eur(v) for v in capped["penalties"]] == [Decimal("100.00"), Decimal("100.00")]
    assert [_eur(v) for v in capped["recurringBefore"]] == [Decimal("55.00"), Decimal("60.00")]


def test_the_command_line_compares_catalogs(base: Path, repriced: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bulk", "--catalog", str(DEMO), "--rules", str(RULES), "--inventories", str(base), "--from",
            "po-fiber-500", "--to", "po-fiber-300", "--as-of", "2026-03-01T00:00:00Z", "--out", str(tmp_path),
            "--workers", "0"]
    assert main([*args, "--compare-catalog", str(repriced)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tmp_path / "comparison.json").read_text())
    assert printed["affected"]["recurringBefore"] == 29
    assert main([*args, "--compare-catalog", str(repriced), "--compare-rules", str(RULES)]) == 1
    assert "compare one thing at a time" in capsys.readouterr().err
