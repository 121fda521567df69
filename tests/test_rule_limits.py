"""Limits on rule files (issue 27): an oversized file is refused by its size before it is read, a rule set by its
count — each with a message naming the limit. Time and memory are measured in benchmarks/rule_limits.py."""

from __future__ import annotations

from pathlib import Path

import pytest

import odedelta
from odedelta.adapters.files import load_rules
from odedelta.rules import RuleError
from odedelta.rules.language import check_rule_documents

from .conftest import ROOT


def test_a_50_mb_rule_file_is_refused_by_its_size_before_it_is_read(demo: odedelta.Catalog, tmp_path: Path) -> None:
    """Issue 27: a 50 MB rule file (about 200,000 rules) had no answer after 200 s and reached 2.1 GB; it is refused
    by its size, with the limit named (time and memory: benchmarks/rule_limits.py)."""
    rule = ("  - id: rule-{}\n    kind: eligibility\n    description: Generated.\n    when: \"target.offering == "
            "'po-fiber-300'\"\n    then: {{decision: deny, reason: r, message: \"No.\"}}\n")
    block = "".join(rule.format(i) for i in range(1000)).encode()
    with (tmp_path / "rules.yaml").open("wb") as out:
        out.write(b"rules:\n")
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            out.write(block)
    size = (tmp_path / "rules.yaml").stat().st_size
    assert size > 50 * 1024 * 1024
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path, demo)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'rules.yaml'}: rule file of {size:,} bytes is larger than the limit of 1,048,576 "
        "(max_rule_file_bytes, about 4,559 rules): split it into several files, or raise the limit (odedelta.Limits)"]


def test_a_rule_set_over_the_rule_count_limit_is_refused(demo: odedelta.Catalog) -> None:
    with pytest.raises(RuleError) as caught:
        load_rules(ROOT / "rules", demo, limits=odedelta.Limits(max_rules=10))
    assert [p.message for p in caught.value.problems] == [
        "more than 10 rules in the rule set (17 so far, this file included): the limit max_rules bounds the time and "
        "memory a check takes; split the rule set, or raise the limit (odedelta.Limits)"]
    documents = [("big.yaml", "rules:\n" + "  - {id: x}\n" * 2_000_000)]
    rules, problems = check_rule_documents(documents, demo)
    assert rules == [] and [p.message.split(" bytes")[0] for p in problems] == ["rule file of 24,000,007"]
