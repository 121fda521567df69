"""The rule-set analysis (check --analyze): planted overlaps, masked and subsumed rules, gaps and always-false
conditions are found, and every counterexample is evaluated with the real executor: both rules fire (overlap), the
masking rule wins (masked), no rule fires (gap)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import odedelta
from odedelta.adapters.cli import main
from odedelta.rules import Rulebook
from odedelta.rules.analysis import Analysis, Finding, analyze
from odedelta.rules.executor import evaluate
from odedelta.rules.expr import Compiled, Compiler
from odedelta.rules.facts import FACT_TYPES, FACT_VALUES, OPEN_PREFIXES
from odedelta.rules.language import Rule, check_rule_documents
from odedelta.rules.solver import Solver, conj, engine_facts, formula, from_plain, negate

from .conftest import DATA, DEMO, ROOT

PLANTED = DATA / "analysis"


def _documents(root: Path) -> list[tuple[str, str]]:
    return [(str(p), p.read_text()) for p in sorted(root.glob("*.yaml"))]


@pytest.fixture(scope="module")
def planted(demo: odedelta.Catalog) -> tuple[list[Rule], Analysis]:
    rules, _problems = check_rule_documents(_documents(PLANTED), demo)
    return rules, analyze(rules)


def _facts(book: Rulebook, counterexample: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: from_plain(name, value, book.attribute_types) for name, value in counterexample.items()}
    attributes = {f"customer.attributes.{k}": v for k, v in book.attribute_types.items()}
    return engine_facts(values, book.used_facts | set(attributes))


def _hits(rules: list[Rule], kind: str, counterexample: Mapping[str, Any] | None) -> list[str]:
    """The rules of ``kind`` the real (reference) executor fires on the counterexample, winner first."""
    assert counterexample is not None
    book = Rulebook(rules)
    return [r.id for r in book.hits(kind, _facts(book, counterexample))]


def _one(analysis: Analysis, code: str, *rules: str) -> Finding:
    found = [f for f in analysis.findings if f.code == code and set(rules) <= set(f.rules)]
    assert len(found) == 1, [f.text() for f in analysis.findings]
    return found[0]


def test_every_planted_finding_is_reported(planted: tuple[list[Rule], Analysis]) -> None:
    _, analysis = planted
    found = {(f.code, f.severity, f.rules) for f in analysis.findings if f.severity != "info"}
    assert found == {
        ("always_false", "error", ("impossible-tenure",)),
        ("masked", "error", ("terminate-in-first-months", "any-terminate")),
        ("masked", "error", ("staff-may-take-retired", "no-retired")),
        ("overlap", "error", ("downgrade-next-cycle", "committed-end-of-term")),
        ("overlap", "error", ("early-downgrade", "vip-downgrade")),
        ("always_true", "warning", ("every-direction",)),
        ("subsumed", "warning", ("mobile-downgrade-fee", "downgrade-fee")),
        ("subsumed", "warning", ("short-tenure-now", "every-direction")),
        ("gap", "warning", ("residential-new", "residential-settled", "residential-loyal", "business-new",
                            "business-loyal")),
        ("gap", "warning", ("upgrade-business", "upgrade-residential", "downgrade-residential")),
    }
    located = _one(analysis, "always_false", "impossible-tenure")
    assert located.locations == (f"{PLANTED / 'penalties.yaml'}:49",)
    assert located.message == ("penalty rule 'impossible-tenure' can never fire: no facts satisfy its condition "
                               "(customer.tenure_months > 24 and customer.tenure_months < 12 exclude each other)")


def test_an_overlap_at_equal_priority_shows_both_rules_firing_and_file_order_deciding(
        planted: tuple[list[Rule], Analysis]) -> None:
    rules, analysis = planted
    finding = _one(analysis, "overlap", "downgrade-next-cycle", "committed-end-of-term")
    assert finding.counterexample == {"change.direction": "downgrade", "term.active": True,
                                      "term.months_remaining": 1}
    hits = _hits(rules, "timing", finding.counterexample)
    assert hits[:2] == ["downgrade-next-cycle", "committed-end-of-term"]  # both fire; file order picks the first
    assert finding.winner == hits[0]
    assert finding.locations == (f"{PLANTED / 'timing.yaml'}:4", f"{PLANTED / 'timing.yaml'}:11")


def test_overlaps_resolved_by_priority_say_which_rule_wins(planted: tuple[list[Rule], Analysis]) -> None:
    rules, analysis = planted
    notes = [f for f in analysis.findings if f.code == "overlap" and f.severity == "info"]
    assert len(notes) >= 10
    for note in notes:
        hits = _hits(rules, note.kind, note.counterexample)
        assert set(note.rules) <= set(hits), note.text()
        if note.kind == "eligibility":
            continue
        assert hits[0] == note.winner, note.text()


def test_a_masked_rule_is_shown_losing_on_its_counterexample(planted: tuple[list[Rule], Analysis]) -> None:
    rules, analysis = planted
    finding = _one(analysis, "masked", "terminate-in-first-months")
    hits = _hits(rules, "penalty", finding.counterexample)
    assert "terminate-in-first-months" in hits and hits[0] == "any-terminate" == finding.winner
    allow = _one(analysis, "masked", "staff-may-take-retired")
    book = Rulebook(rules)
    assert set(_hits(rules, "eligibility", allow.counterexample)) >= {"staff-may-take-retired", "no-retired"}
    assert book.by_id["no-retired"].priority >= book.by_id["staff-may-take-retired"].priority  # the deny wins


def test_a_gap_is_a_combination_no_rule_fires_on_and_the_suggested_rule_closes_it(
        demo: odedelta.Catalog, planted: tuple[list[Rule], Analysis]) -> None:
    rules, analysis = planted
    gap = _one(analysis, "gap", "business-new")
    assert gap.counterexample == {"customer.segment": "business", "customer.tenure_months": 12}
    assert _hits(rules, "penalty", gap.counterexample) == []
    assert _hits(rules, "penalty", {**gap.counterexample, "customer.tenure_months": 24}) == []
    assert _hits(rules, "penalty", {**gap.counterexample, "customer.tenure_months": 25}) == ["business-loyal"]
    assert gap.message.startswith("no penalty rule fires when customer.segment == 'business' and "
                                  "customer.tenure_months >= 12 and customer.tenure_months <= 24")
    when = gap.suggestion.split('when: "')[1].split('"')[0] if gap.suggestion else ""
    closing = (f"rules:\n  - id: business-settled\n    kind: penalty\n    description: closes the gap\n"
               f"    when: \"{when}\"\n    then: {{name: Exit fee, formula: fixed, amount: 75}}\n")
    closed, problems = check_rule_documents([*_documents(PLANTED), ("closing.yaml", closing)], demo)
    assert not [p for p in problems if "business-settled" in p.message]
    assert not [f for f in analyze(closed).findings if f.code == "gap" and "business-new" in f.rules]
    enum_gaps = [f for f in analysis.findings if f.code == "gap" and "downgrade-residential" in f.rules]
    assert [(f.message.split(" (")[0], f.counterexample) for f in enum_gaps] == [
        ("no recommendation rule fires when change.direction in ['downgrade', 'lateral', 'new'] and customer.segment "
         "== 'business'", {"change.direction": "downgrade", "customer.segment": "business"}),
        ("no recommendation rule fires when change.direction in ['lateral', 'new'] and customer.segment == "
         "'residential'", {"change.direction": "lateral", "customer.segment": "residential"}),
    ]
    for finding in enum_gaps:  # every value of the closed set is a gap when no rule names it: 'lateral', 'new'
        for direction in finding.message.split("in [")[1].split("]")[0].replace("'", "").split(", "):
            assert _hits(rules, "recommendation", {**(finding.counterexample or {}),
                                                   "change.direction": direction}) == []


def test_subsumed_and_always_true_rules_fire_on_their_counterexample(planted: tuple[list[Rule], Analysis]) -> None:
    rules, analysis = planted
    subsumed = _one(analysis, "subsumed", "mobile-downgrade-fee")
    assert _hits(rules, "fee", subsumed.counterexample) == ["downgrade-fee", "mobile-downgrade-fee"]
    first_match = _one(analysis, "subsumed", "short-tenure-now")
    hits = _hits(rules, "timing", first_match.counterexample)
    assert hits[0] == "short-tenure-now" and "every-direction" in hits
    book = Rulebook([r for r in rules if r.id != "short-tenure-now"])
    winner = book.first_hit("timing", _facts(book, first_match.counterexample or {}))
    assert winner is not None and winner.then == Rulebook(rules).by_id["short-tenure-now"].then  # nothing changes
    always = _one(analysis, "always_true", "every-direction")
    assert "every-direction" in _hits(rules, "timing", always.counterexample)
    assert "every-direction" in _hits(rules, "timing", {})  # every fact absent: still true


def test_rules_that_cannot_both_match_are_neither_refused_nor_reported(
        demo: odedelta.Catalog, planted: tuple[list[Rule], Analysis]) -> None:
    """tenure_months < 12 and tenure_months >= 36 at one priority: no overlap (the old syntactic check refused
    them); an overlap marked intended (allow_overlap) is neither refused nor reported."""
    _, problems = check_rule_documents(_documents(PLANTED), demo)
    refused = {(p.message.split("'")[1], p.message.split("'")[3]) for p in problems}
    assert refused == {("early-downgrade", "vip-downgrade"), ("downgrade-next-cycle", "committed-end-of-term")}
    _, analysis = planted
    named = {r for f in analysis.findings for r in f.rules}
    assert not [f for f in analysis.findings if {"short-tenure-now", "long-tenure-next-cycle"} <= set(f.rules)]
    assert "gold-downgrade" not in named


def test_arithmetic_between_facts_is_undecided_not_guessed(planted: tuple[list[Rule], Analysis]) -> None:
    _, analysis = planted
    finding = _one(analysis, "undecided", "big-jump")
    assert finding.severity == "info"
    assert "arithmetic between facts" in finding.message


def test_the_demo_rules_give_no_error_and_no_warning(demo: odedelta.Catalog) -> None:
    rules, problems = check_rule_documents(_documents(ROOT / "rules"), demo)
    assert problems == []
    analysis = analyze(rules)
    assert analysis.errors == [] and analysis.warnings == []
    for note in analysis.findings:  # the notes say which rule wins where two meet, on facts the executor agrees with
        assert note.code in ("overlap", "undecided")
        if note.code == "overlap":
            assert set(note.rules) <= set(_hits(rules, note.kind, note.counterexample))


def test_check_analyze_prints_findings_and_fails_on_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DEMO), str(PLANTED), "--analyze"]) == 1
    out = capsys.readouterr().out
    assert f"{PLANTED / 'penalties.yaml'}:49: error: [always_false] penalty rule 'impossible-tenure'" in out
    assert "counterexample: customer.segment = 'business', customer.tenure_months = 12 (other facts absent)" in out
    assert main(["check", str(DEMO), str(ROOT / "rules"), "--analyze", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["problems"] == [] and report["counts"]["error"] == 0
    first = report["findings"][0]
    assert set(first) >= {"code", "severity", "kind", "rules", "locations", "message"}


# ------------------------------------------------------------------------------------------------ the solver

_COMPILER = Compiler(FACT_TYPES, OPEN_PREFIXES, values=FACT_VALUES)
_ATOMS = st.sampled_from([
    "customer.tenure_months < 12", "customer.tenure_months >= 12", "customer.tenure_months > 24",
    "customer.tenure_months <= 24", "customer.tenure_months == 13", "customer.tenure_months != 13",
    "customer.segment == 'business'", "customer.segment != 'business'", "not exists(customer.segment)",
    "change.direction == 'downgrade'", "change.direction in ['upgrade', 'lateral']", "change.direction != 'new'",
    "term.active", "not term.active", "'cat-tv' in target.categories", "'cat-tv' not in target.categories",
    "term.end < date('2026-06-01')", "term.end >= date('2026-05-31')", "target.price > 9.5", "target.price <= 9.5",
])
_CONDITIONS = st.recursive(_ATOMS, lambda inner: st.tuples(inner, st.sampled_from([" and ", " or "]), inner).map(
    lambda t: f"({t[0]}{t[1]}{t[2]})"), max_leaves=4)
_FACTS = st.fixed_dictionaries({"term.active": st.booleans()}, optional={  # term.active is never absent
    "customer.tenure_months": st.integers(0, 40), "customer.segment": st.sampled_from(["business", "residential"]),
    "change.direction": st.sampled_from(list(FACT_VALUES["change.direction"])),
    "target.categories": st.lists(st.sampled_from(["cat-tv", "cat-fiber"]), min_size=1, unique=True),
    "term.end": st.integers(20_600, 20_620), "target.price": st.sampled_from([9, 9.5, 10]),
})
_USED = {"customer.tenure_months", "customer.segment", "change.direction", "term.active", "target.categories",
         "term.end", "target.price"}


def _compiled(text: str) -> dict[str, Any]:
    compiled = _COMPILER.compile(text)
    assert isinstance(compiled, Compiled), compiled
    return compiled.condition


@given(_CONDITIONS, _CONDITIONS, _FACTS)
def test_the_solver_agrees_with_the_executor(a: str, b: str, values: dict[str, Any]) -> None:
    """"No" is never said of facts on which the executor finds both conditions true, or the first true and the
    second false; "yes" comes with a witness the executor agrees with."""
    ca, cb = _compiled(a), _compiled(b)
    solver = Solver()
    facts = engine_facts({k: from_plain(k, v) for k, v in values.items()}, _USED)
    for f, checks in ((conj(formula(ca), formula(cb)), [(ca, True), (cb, True)]),
                      (conj(formula(ca), negate(formula(cb))), [(ca, True), (cb, False)])):
        found = solver.satisfy(f, checks)
        if found.verdict == "no":
            assert not all(evaluate(c, facts) == want for c, want in checks), (a, b, values)
        if found.verdict == "yes":
            assert found.witness is not None
            witness = engine_facts(found.witness, _USED)
            assert all(evaluate(c, witness) == want for c, want in checks)


def test_versions_of_one_rule_are_one_rule_to_the_analysis(demo: odedelta.Catalog) -> None:
    """Two versions of a penalty (consecutive periods) against another rule: one overlap, said once, with a date
    inside a version; the versions themselves neither overlap nor leave a gap before the first one."""
    text = ("rules:\n"
            "  - {id: fee-a, kind: penalty, description: d, valid_for: {from: 2026-01-01, to: 2026-07-01},\n"
            "     when: \"customer.segment == 'business'\", then: {name: Fee, formula: fixed, amount: 10}}\n"
            "  - {id: fee-a, kind: penalty, description: d, valid_for: {from: 2026-07-01},\n"
            "     when: \"customer.segment == 'business'\", then: {name: Fee, formula: fixed, amount: 20}}\n"
            "  - {id: fee-b, kind: penalty, description: d,\n"
            "     when: \"customer.segment == 'business' and customer.tenure_months < 3\",\n"
            "     then: {name: Fee, formula: fixed, amount: 30}}\n")
    rules, problems = check_rule_documents([("versions.yaml", text)], demo)
    assert [p.message.split(" (e.g.")[0] for p in problems] == [
        "rules 'fee-a' and 'fee-b' (versions.yaml:6) have the same priority 0 and can both match with different "
        "effects"]
    analysis = analyze(rules)
    assert [(f.code, f.severity, f.rules) for f in analysis.findings] == [("overlap", "error", ("fee-a", "fee-b"))]
    counterexample = analysis.findings[0].counterexample
    assert counterexample == {"as_of": "2026-01-01", "customer.segment": "business", "customer.tenure_months": 0}
    assert _hits(rules, "penalty", counterexample) == ["fee-a", "fee-b"]
