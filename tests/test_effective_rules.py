"""Effective-dated rules: ``valid_for: {from, to}`` on a rule or a whole file, compared with as_of; versions of one
rule (the same id, periods that do not overlap) are one rule; overlapping versions are refused with both places."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import odedelta
from odedelta.adapters.cli import main
from odedelta.rules import RuleError

from .conftest import DEMO

FEE = """  - id: mobile-downgrade-fee
    kind: fee
    description: A mobile downgrade costs an administration fee.
{period}    when: "change.direction == 'downgrade' and installed.specification == 'ps-mobile-plan'"
    then: {{name: Downgrade fee, amount: {amount}}}
"""
DOWNGRADE = odedelta.ChangeOffer(product="G-1", to="po-mobile-s")


def _rules(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "fees.yaml").write_text(text, encoding="utf-8")
    return folder


def _fees(catalog: odedelta.Catalog, frank: odedelta.Inventory, folder: Path, day: str) -> list[tuple[str, str]]:
    book = odedelta.load_rules(folder, catalog)
    result = odedelta.Engine(catalog, book).change(frank, DOWNGRADE, as_of=datetime.fromisoformat(f"{day}T00:00:00Z"))
    assert result.consequences is not None
    return [(c.source, str(c.amount)) for c in result.consequences.charges if c.kind == "fee"]


def test_two_versions_of_a_fee_each_apply_in_their_period(tmp_path: Path, demo: odedelta.Catalog,
                                                         inventories: dict[str, odedelta.Inventory]) -> None:
    folder = _rules(tmp_path, "rules:\n"
                    + FEE.format(period="    valid_for: {to: 2026-07-01}\n", amount="10.00")
                    + FEE.format(period="    valid_for: {from: 2026-07-01}\n", amount="15.00"))
    frank = inventories["frank"]
    assert _fees(demo, frank, folder, "2026-03-01") == [("rule:mobile-downgrade-fee", "10.00 EUR")]
    assert _fees(demo, frank, folder, "2026-06-30") == [("rule:mobile-downgrade-fee", "10.00 EUR")]
    assert _fees(demo, frank, folder, "2026-07-01") == [("rule:mobile-downgrade-fee", "15.00 EUR")]
    book = odedelta.load_rules(folder, demo)
    assert [r.key for r in book.rules] == ["mobile-downgrade-fee@always", "mobile-downgrade-fee@2026-07-01"]


def test_a_rule_starting_later_does_not_apply_before(tmp_path: Path, demo: odedelta.Catalog,
                                                    inventories: dict[str, odedelta.Inventory]) -> None:
    folder = _rules(tmp_path, "rules:\n" + FEE.format(period="    valid_for: {from: 2026-07-01, to: 2027-01-01}\n",
                                                      amount="10.00"))
    frank = inventories["frank"]
    assert _fees(demo, frank, folder, "2026-06-30") == []
    assert _fees(demo, frank, folder, "2026-12-31") == [("rule:mobile-downgrade-fee", "10.00 EUR")]
    assert _fees(demo, frank, folder, "2027-01-01") == []
    # the explanation names the bound that was false
    book = odedelta.load_rules(folder, demo)
    explanation = odedelta.explain_change(odedelta.Engine(demo, book), frank, DOWNGRADE,
                                          as_of=datetime(2026, 3, 1, tzinfo=UTC))
    fee = explanation.rule("mobile-downgrade-fee")
    assert fee.status == "not_fired"
    assert fee.why == "as_of >= date('2026-07-01') was false: as_of was 2026-03-01"
    assert fee.valid_for == "2026-07-01 to 2027-01-01"


def test_a_file_level_valid_for_is_the_default_of_its_rules(tmp_path: Path, demo: odedelta.Catalog,
                                                           inventories: dict[str, odedelta.Inventory]) -> None:
    folder = _rules(tmp_path, "valid_for: {from: 2026-07-01}\nrules:\n"
                    + FEE.format(period="", amount="10.00")
                    + FEE.format(period="    valid_for: {to: 2026-07-01}\n", amount="5.00"))
    frank = inventories["frank"]
    assert _fees(demo, frank, folder, "2026-03-01") == [("rule:mobile-downgrade-fee", "5.00 EUR")]
    assert _fees(demo, frank, folder, "2026-07-01") == [("rule:mobile-downgrade-fee", "10.00 EUR")]


def test_overlapping_versions_are_refused_with_both_places(tmp_path: Path, demo: odedelta.Catalog,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = _rules(tmp_path, "rules:\n"
                    + FEE.format(period="    valid_for: {to: 2026-07-02}\n", amount="10.00")
                    + FEE.format(period="    valid_for: {from: 2026-07-01}\n", amount="15.00"))
    with pytest.raises(RuleError) as caught:
        odedelta.load_rules(folder, demo)
    where = folder / "fees.yaml"
    assert [(p.line, p.text) for p in caught.value.problems] == [
        (8, f"versions of rule 'mobile-downgrade-fee' overlap: {where}:2 (until 2026-07-02) and {where}:8 "
            "(from 2026-07-01) — end one version the day the next one starts (to is exclusive)")]
    assert main(["check", str(DEMO), str(folder)]) == 1
    assert "versions of rule 'mobile-downgrade-fee' overlap" in capsys.readouterr().err


def test_a_version_without_a_period_or_of_another_kind_is_refused(tmp_path: Path, demo: odedelta.Catalog) -> None:
    folder = _rules(tmp_path, "rules:\n" + FEE.format(period="", amount="10.00")
                    + FEE.format(period="    valid_for: {from: 2026-07-01}\n", amount="15.00"))
    with pytest.raises(RuleError) as caught:
        odedelta.load_rules(folder, demo)
    assert [(p.line, p.text) for p in caught.value.problems] == [
        (7, f"duplicate rule id 'mobile-downgrade-fee' (first in {folder / 'fees.yaml'}:2) — versions of one rule "
            "each need a valid_for, and the periods must not overlap")]
    other = FEE.format(period="    valid_for: {from: 2026-07-01}\n", amount="15.00").replace(
        "kind: fee", "kind: penalty").replace("amount: 15.00}", "formula: fixed, amount: 15.00}")
    folder = _rules(tmp_path, "rules:\n" + FEE.format(period="    valid_for: {to: 2026-07-01}\n", amount="10.00")
                    + other)
    with pytest.raises(RuleError) as caught:
        odedelta.load_rules(folder, demo)
    assert [p.message for p in caught.value.problems] == [
        f"rule 'mobile-downgrade-fee' is a penalty rule here and a fee rule at {folder / 'fees.yaml'}:2: versions "
        "of one rule have one kind"]


def test_the_tmf_spelling_and_dates_with_times_still_read(tmp_path: Path, demo: odedelta.Catalog,
                                                         inventories: dict[str, odedelta.Inventory]) -> None:
    folder = _rules(tmp_path, "rules:\n" + FEE.format(
        period="    validFor: {startDateTime: '2026-07-01T00:00:00Z'}\n", amount="10.00"))
    frank = inventories["frank"]
    assert _fees(demo, frank, folder, "2026-06-30") == []
    assert _fees(demo, frank, folder, "2026-07-01") == [("rule:mobile-downgrade-fee", "10.00 EUR")]


def test_scenario_coverage_counts_the_versions_of_a_rule_as_one(tmp_path: Path) -> None:
    from odedelta.adapters.scenario import Runner

    folder = _rules(tmp_path, "rules:\n"
                    + FEE.format(period="    valid_for: {to: 2026-07-01}\n", amount="10.00")
                    + FEE.format(period="    valid_for: {from: 2026-07-01}\n", amount="15.00"))
    (tmp_path / "s.yaml").write_text(f"""catalog: {DEMO}
rules: {folder}
scenarios:
  - name: before July
    as_of: 2026-03-01T00:00:00Z
    inventory: {DEMO / 'inventories' / 'frank.json'}
    request: {{change_offer: {{product: G-1, to: po-mobile-s}}}}
    expect:
      fees: [{{name: Downgrade fee, amount: "10.00"}}]
""")
    run = Runner().run([tmp_path / "s.yaml"])
    assert [o.failures for o in run.outcomes] == [[]]
    (coverage,) = run.coverage()
    assert (coverage["total"], coverage["exercised"]) == (1, 1)


def test_versions_under_a_file_period_stay_versions_when_another_rule_is_broken(tmp_path: Path,
                                                                               demo: odedelta.Catalog) -> None:
    folder = _rules(tmp_path, "valid_for: {from: 2026-07-01}\nrules:\n"
                    + FEE.format(period="", amount="10.00")
                    + FEE.format(period="    valid_for: {to: 2026-07-01}\n", amount="5.00")
                    + "  - id: broken\n    kind: fee\n    description: d\n    then: {name: F}\n")
    with pytest.raises(RuleError) as caught:
        odedelta.load_rules(folder, demo)
    assert [p.message for p in caught.value.problems] == ["missing key 'amount'"]
