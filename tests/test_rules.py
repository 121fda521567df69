"""The rule language: checker, compiler, both executors, decisions, and rules changing outcomes without Python."""

from __future__ import annotations

import json
import shutil
import sys
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import odedelta
from odedelta.adapters.cli import main
from odedelta.adapters.files import load_rules
from odedelta.flows.engine import Engine
from odedelta.flows.result import NotEligible
from odedelta.model.months import months_between, months_started
from odedelta.model.requests import ChangeOffer, Context
from odedelta.rules import (
    SCHEMA_FILE,
    SCHEMA_LINE,
    ReferenceExecutor,
    RuleError,
    default_executor,
    json_schema,
)
from odedelta.rules.executor import evaluate
from odedelta.rules.expr import Compiler, ExprError
from odedelta.rules.facts import (
    FACT_TYPES,
    OPEN_PREFIXES,
    ChangeFacts,
    CustomerFacts,
    EngineFacts,
    Facts,
    InstalledFacts,
    ItemFacts,
    ProjectedFacts,
    PromotionFacts,
    SettlementFacts,
    SlaFacts,
    TargetFacts,
    TermFacts,
    change_facts,
    engine_facts,
    reference_markdown,
    term_facts,
)
from odedelta.rules.language import KINDS, check_rule_documents

from .conftest import DATA, DEMO, ROOT, durable

RULES = ROOT / "rules"


@pytest.fixture(scope="module")
def rulebook(demo: odedelta.Catalog) -> Any:
    return load_rules(RULES, demo)


# ------------------------------------------------------------------------------------------------ the checker


def test_a_dozen_planted_mistakes_are_reported_with_line_and_column(demo: odedelta.Catalog) -> None:
    with pytest.raises(RuleError) as caught:
        load_rules(DATA / "broken_rules", demo)
    found = [(Path(p.file).name, p.line, p.column, p.text) for p in caught.value.problems]
    assert found == [
        ("broken.yaml", 4, 1, "invalid YAML: while parsing a flow sequence did not find expected ',' or ']'"),
        ("eligibility.yaml", 5, 12, "unknown fact 'target.ofering' — did you mean 'target.offering'?"),
        ("eligibility.yaml", 11, 12, "cannot compare customer.segment (string) with 5 (number)"),
        ("eligibility.yaml", 17, 31, "unknown offering 'po-fibre-300' (compared with target.offering): no such id in "
                                     "the catalog — did you mean 'po-fiber-300'?"),
        ("eligibility.yaml", 20, 5, f"duplicate rule id 'typo-in-fact' (first in {DATA / 'broken_rules'}/"
                                    "eligibility.yaml:2)"),
        ("eligibility.yaml", 28, 5, "validFor ends (2026-01-01T00:00:00+00:00) before it starts "
                                    "(2026-06-01T00:00:00+00:00)"),
        ("eligibility.yaml", 34, 5, "unknown key 'priorty' — did you mean 'priority'?"),
        ("eligibility.yaml", 40, 12, "decision cannot be 'maybe': it is one of 'allow', 'deny'"),
        ("eligibility.yaml", 45, 12, "unknown function \"__import__('os').system\"; the functions are exists(fact) and "
                                     "date('YYYY-MM-DD')"),
        ("eligibility.yaml", 48, None, "rules 'conflict-a' and 'conflict-b' "
                                       f"({DATA / 'broken_rules'}/eligibility.yaml:55) have the same priority 3 and "
                                       "can both match with different effects (e.g. target.offering == 'po-fiber-300' "
                                       "and term.expired): give one a higher priority, or mark the overlap intended "
                                       "(analysis: {allow_overlap: true})"),
        ("other.yaml", 3, 5, "unknown kind 'eligibilty' — did you mean 'eligibility'? (kinds: eligibility, migration, "
                             "compatibility, penalty, fee, discount, recommendation, promotion_loss, renewal, timing, "
                             "sla_credit, revenue_share, partner_charge)"),
        ("other.yaml", 12, 12, "unknown specification 'ps-fiber-acess': no such id in the catalog — did you mean "
                               "'ps-fiber-access'?"),
        ("other.yaml", 17, 28, "not a condition: it ends with '==', expected something after it"),
    ]


@pytest.mark.parametrize(
    ("condition", "column", "message"),
    [
        ("target.price + 1", 0, "not a condition: 'target.price + 1'"),
        ("target.offering in []", 19, "an empty list: nothing can be in it"),
        ("target.categories == 'cat-tv'", 0, "target.categories is a list: it is never equal to a text"),
        ("3 > 2", 0, "one side of a comparison must be a fact on its own"),
        ("installed.price * target.price > 2", 0, "one side of a comparison must be a fact on its own"),
        ("term.end < date('2026-13-01')", 16, "'2026-13-01' is not a date (YYYY-MM-DD)"),
        ("customer.segment", 0, "customer.segment is a string, not true/false"),
        ("target.offering is None", 19, "operator Is is not allowed"),
        ("lambda: 1", 0, "not a condition"),
        ("true", 0, "a condition that is only true or false"),
        ("not false", 4, "a condition that is only true or false"),
        ("term.active or true", 15, "a condition that is only true or false"),
    ],
)
def test_expression_errors_name_the_column(condition: str, column: int, message: str) -> None:
    result = Compiler(FACT_TYPES, OPEN_PREFIXES).compile(condition)
    assert isinstance(result, ExprError)
    assert result.column == column and result.message.startswith(message)


def test_committed_rule_schema_is_current() -> None:
    committed = json.loads((RULES / SCHEMA_FILE).read_text())
    assert committed == json.loads(json.dumps(json_schema())), "regenerate: odedelta schema --write rules"


def test_committed_facts_reference_is_current() -> None:
    assert (ROOT / "docs" / "facts.md").read_text() == reference_markdown(), (
        "regenerate: odedelta facts > docs/facts.md")


def test_every_rule_file_points_editors_at_the_versioned_schema_beside_it() -> None:
    assert SCHEMA_LINE == "# yaml-language-server: $schema=rules-v1.schema.json"
    for path in RULES.glob("*.yaml"):
        assert path.read_text().splitlines()[0] == SCHEMA_LINE, path
    assert (RULES / SCHEMA_FILE).is_file()


def test_schema_write_puts_the_schema_beside_the_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from odedelta.adapters.cli import main

    assert main(["schema", "--write", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'rules-v1.schema.json'}\n"
    written = json.loads((tmp_path / "rules-v1.schema.json").read_text())
    assert written == json.loads((RULES / "rules-v1.schema.json").read_text())
    assert written["$id"] == "urn:odedelta:rules:v1"
    assert main(["schema", "--write", str(tmp_path / "nowhere")]) == 2


# ------------------------------------------------------------------------------------------------ decisions


AS_OF_EARLY = datetime(2025, 6, 1, tzinfo=UTC)


def test_a_rule_edit_changes_the_decision_without_python(tmp_path: Path, demo: odedelta.Catalog,
                                                         inventories: dict[str, odedelta.Inventory]) -> None:
    request = ChangeOffer(product="A-1", to="po-mobile-s")  # 3 months into alice's commitment
    with pytest.raises(NotEligible) as caught:
        Engine(demo, load_rules(RULES, demo)).change(inventories["alice"], request, as_of=AS_OF_EARLY)
    assert caught.value.verdict.rule_ids == ["no-downgrade-first-6-months"]
    assert str(caught.value) == ("not eligible: Mobile S (po-mobile-s): You can move to a smaller plan once your "
                                 "commitment is 6 months old. [downgrade_too_early, rule no-downgrade-first-6-months]")
    edited = tmp_path / "rules"
    shutil.copytree(RULES, edited)
    text = (edited / "eligibility.yaml").read_text()
    (edited / "eligibility.yaml").write_text(text.replace("term.months_elapsed < 6", "term.months_elapsed < 3"))
    result = Engine(demo, load_rules(edited, demo)).change(inventories["alice"], request, as_of=AS_OF_EARLY)
    assert result.item("A-1").action.value == "modify"


def test_allow_of_higher_priority_overrides_deny(demo: odedelta.Catalog, rulebook: Any,
                                                 inventories: dict[str, odedelta.Inventory]) -> None:
    vip = Context(attributes={"vip": True})
    result = Engine(demo, rulebook).change(inventories["alice"], ChangeOffer(product="A-1", to="po-mobile-s"),
                                           as_of=AS_OF_EARLY, context=vip)
    assert result.rule_ids == ["mobile-downgrade-fee", "vip-may-downgrade-anytime"]
    assert odedelta.to_dict(result)["rules"] == [
        {"rule": "vip-may-downgrade-anytime", "kind": "eligibility", "reason": "vip_exception",
         "message": "As a VIP customer you may change plan at any time."},
        {"rule": "mobile-downgrade-fee", "kind": "fee", "reason": "fee", "message": "Downgrade fee"},
    ]


def test_several_denials_are_all_reasons(demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    from odedelta.rules.language import check_rule_documents
    from odedelta.rules.rulebook import Rulebook

    rules, problems = check_rule_documents([("r.yaml", """
rules:
  - {id: a, kind: eligibility, description: a, when: "target.price > 10",
     then: {decision: deny, reason: too_dear, message: "Too dear."}}
  - {id: b, kind: eligibility, description: b, when: "change.direction == 'downgrade'",
     then: {decision: deny, reason: downgrade, message: "A downgrade."}}
  - {id: c, kind: eligibility, description: c, priority: -1, when: "target.is_bundle",
     then: {decision: allow, reason: bundles_ok, message: "Bundles are fine."}}
""")], demo)
    assert problems == []
    with pytest.raises(NotEligible) as caught:
        Engine(demo, Rulebook(rules)).change(inventories["frank"], ChangeOffer(product="G-1", to="po-mobile-s"),
                                             as_of=AS_OF_EARLY)
    assert caught.value.verdict.rule_ids == ["a", "b"]


def test_qualify_a_demo_customer(demo: odedelta.Catalog, rulebook: Any,
                                 inventories: dict[str, odedelta.Inventory]) -> None:
    from odedelta.outputs.schemas import validation_errors

    engine = Engine(demo, rulebook)
    result = engine.qualify(inventories["alice"], "A-1", as_of=AS_OF_EARLY)
    summary = {c.offering_id: (c.qualified, [r.code for r in c.reasons], c.alternative,
                               str(c.difference) if c.difference else None) for c in result.candidates}
    assert summary == {
        "po-business-mobile": (False, ["business_only"], None, None),
        "po-mobile-classic": (False, ["not_sellable"], "po-mobile-m", None),
        "po-mobile-l": (True, [], None, "10.00 EUR"),
        "po-mobile-s": (False, ["downgrade_too_early"], None, None),
        "po-mobile-xl": (True, [], None, "71.00 EUR"),
    }
    document = odedelta.to_tmf679(result)
    assert validation_errors(document, "TMF679", 4, "ProductOfferingQualification") == []
    items = {i["productOffering"]["id"]: i for i in document["productOfferingQualificationItem"]}
    assert items["po-mobile-classic"]["qualificationItemResult"] == "alternate"
    assert items["po-mobile-s"]["eligibilityUnavailabilityReason"] == [
        {"code": "downgrade_too_early",
         "label": "You can move to a smaller plan once your commitment is 6 months old."}]


def test_term_months_are_calendar_months(inventories: dict[str, odedelta.Inventory]) -> None:
    product = inventories["alice"].product("A-1")  # 24 months from 2025-03-01 to 2027-03-01
    facts = term_facts(product, datetime(2025, 6, 15, tzinfo=UTC))
    assert (facts.active, facts.months_elapsed, facts.months_remaining, facts.duration_months) == (True, 3, 21, 24)
    assert facts.days_to_end == 624
    ended = term_facts(inventories["frank"].product("G-1"), datetime(2026, 3, 1, tzinfo=UTC))
    assert (ended.active, ended.expired, ended.months_remaining) == (False, True, 0)


@pytest.mark.parametrize("document", [
    {"duration": {"amount": 24, "units": "month"},
     "validFor": {"startDateTime": "2025-03-01T00:00:00Z", "endDateTime": "2027-03-01T00:00:00Z"}},
    {"duration": {"amount": 1, "units": "year"}, "validFor": {"startDateTime": "2025-03-01T00:00:00+02:00",
                                                              "endDateTime": "2026-03-01T00:00:00+02:00"}},
    {"validFor": {"startDateTime": "2026-03-01T00:00:00Z"}},  # starts at as_of, open end
    {"validFor": {"endDateTime": "2026-03-01T00:00:00Z"}},  # ends at as_of: expired, not active
    {"validFor": {"startDateTime": "2026-04-01T00:00:00Z", "endDateTime": "2027-04-01T00:00:00Z"}},  # not started
    {"duration": {"amount": 30, "units": "day"}},  # no period
])
def test_term_facts_are_the_validated_section_of_what_the_term_says(demo: odedelta.Catalog,
                                                                     document: dict[str, Any]) -> None:
    """term_facts makes the section without validating it: the same value, fields and fields set as validating the
    facts it works out, each read from the term as the reference page says."""
    product = odedelta.Inventory.from_document(demo, [{"id": "P", "productOffering": {"id": "po-fiber-300"},
                                                       "productTerm": [{"name": "t", **document}]}]).product("P")
    as_of = datetime(2026, 3, 1, tzinfo=UTC)
    fast = term_facts(product, as_of)
    period = product.product_term[0].valid_for
    start, end = (period.start, period.end) if period is not None else (None, None)
    expected = TermFacts(
        recorded=True, active=bool(period and period.contains(as_of)), expired=bool(end and end <= as_of),
        duration_months=product.product_term[0].duration.months() if product.product_term[0].duration else None,
        months_elapsed=max(months_between(start.date(), as_of.date()), 0) if start else None,
        months_remaining=max(months_started(as_of.date(), end.date()), 0) if end else None,
        days_to_end=(end.date() - as_of.date()).days if end else None,
        start=start.date() if start else None, end=end.date() if end else None)
    assert fast == expected and list(vars(fast)) == list(vars(expected))
    assert fast.model_fields_set == expected.model_fields_set and repr(fast) == repr(expected)


# ------------------------------------------------------------------------------------------------ executors


CONDITIONS = [
    "target.price > 30",
    "target.price - installed.price >= 10",
    "installed.price * 2 < target.price + 5",
    "change.direction == 'downgrade' and term.active and term.months_elapsed < 6",
    "change.direction in ['upgrade', 'lateral']",
    "change.direction not in ['upgrade', 'lateral']",
    "'cat-tv' in target.categories",
    "'cat-tv' not in target.categories",
    "not exists(customer.segment)",
    "exists(term.end) and term.end < date('2026-06-01')",
    "not (customer.segment == 'business' or target.is_bundle)",
    "0 < term.months_remaining <= 12",
    "customer.attributes.vip == true",
    "not customer.attributes.vip == true",
    "customer.segment != 'business'",
    "target.offering >= 'po-m'",
    "term.months_remaining / 2 > 3",
    "target.price > installed.price",
    "10 + target.price <= installed.price * 2",
    "target.price >= 29.5 and term.active == false",
    "term.months_elapsed != 3 and change.direction < 'lateral'",
]


def _durable() -> Any:
    """durable-rules' executor (required on Python < 3.13; these tests skip on 3.13+, where it cannot import)."""
    return durable().DurableExecutor


@pytest.fixture(scope="module")
def executors() -> tuple[ReferenceExecutor, Any]:
    compiler = Compiler(FACT_TYPES, OPEN_PREFIXES)
    conditions = {}
    for i, text in enumerate(CONDITIONS):
        compiled = compiler.compile(text)
        assert not isinstance(compiled, ExprError), (text, compiled)
        conditions[f"c{i}"] = compiled.condition
    reference, durable = ReferenceExecutor(), _durable()()
    reference.register("x", conditions)
    durable.register("x", conditions)
    return reference, durable


# halves are exact in binary floating point, which durable-rules computes in (see the README)
money = st.integers(0, 400).map(lambda n: Decimal(n) / 2)
facts_strategy = st.fixed_dictionaries({}, optional={
    "target": st.fixed_dictionaries({}, optional={
        "price": money,
        "categories": st.lists(st.sampled_from(["cat-tv", "cat-fiber", "cat-mobile"]), min_size=1, max_size=3),
        "is_bundle": st.booleans(),
        "offering": st.sampled_from(["po-fiber-300", "po-mobile-s", "po-tv-basic"]),
    }),
    "installed": st.fixed_dictionaries({}, optional={"price": money}),
    "change": st.fixed_dictionaries({}, optional={"direction": st.sampled_from(["upgrade", "downgrade", "lateral"])}),
    "term": st.fixed_dictionaries({}, optional={
        "active": st.booleans(), "months_elapsed": st.integers(0, 36), "months_remaining": st.integers(0, 36),
        "end": st.integers(20000, 21000),
    }),
    "customer": st.fixed_dictionaries({}, optional={
        "segment": st.sampled_from(["business", "residential"]),
        "attributes": st.fixed_dictionaries({}, optional={"vip": st.booleans()}),
    }),
})


def _with_absent(facts: dict[str, Any]) -> dict[str, Any]:
    from odedelta.rules.executor import get

    used = {"customer.segment", "term.end", "target.categories"}
    return {**facts, "_absent": sorted(n for n in used if get(facts, n) is None) or ["-"]}


@given(facts_strategy)
def test_durable_and_reference_executors_decide_the_same(executors: tuple[ReferenceExecutor, Any],
                                                         facts: dict[str, Any]) -> None:
    reference, durable = executors
    facts = _with_absent(facts)
    assert durable.matches("x", facts) == reference.matches("x", facts)


_odd_value = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.just(0.5), st.sampled_from(["cat-tv", "x"]),
                       st.lists(st.one_of(st.none(), st.just(0.5), st.just(1), st.sampled_from(["cat-tv", "x"])),
                                max_size=3))
_odd_section = st.one_of(_odd_value, st.dictionaries(
    st.sampled_from(["categories", "segment", "attributes", "active", "price", "direction"]),
    st.one_of(_odd_value, st.fixed_dictionaries({}, optional={"vip": _odd_value})), max_size=3))


@given(st.dictionaries(st.sampled_from(["target", "customer", "term", "change", "installed", "_absent"]),
                       _odd_section, max_size=4), st.booleans())
def test_the_compiled_executor_reads_odd_facts_as_the_interpreter(facts: dict[str, Any], proxied: bool) -> None:
    """Facts of unexpected shapes — a section that is a list or a number, a mapping that is not a dict, lists of
    mixed elements — are read by the compiled rules exactly as :func:`evaluate` reads them (a caller may give
    :meth:`Rulebook.hits` any plain facts)."""
    from types import MappingProxyType

    compiler = Compiler(FACT_TYPES, OPEN_PREFIXES)
    conditions = {f"c{i}": compiler.compile(text).condition for i, text in enumerate(CONDITIONS)}  # type: ignore[union-attr]
    conditions["absent"] = {"$iany": {"_absent": {"$i": "customer.segment"}}}
    reference = ReferenceExecutor()
    reference.register("x", conditions)
    given_facts: Any = facts
    if proxied:
        given_facts = MappingProxyType({k: MappingProxyType(v) if isinstance(v, dict) else v for k, v in facts.items()})
    expected = [rule_id for rule_id, condition in conditions.items() if evaluate(condition, given_facts)]
    assert reference.matches("x", given_facts) == expected
    assert reference.first("x", given_facts) == (expected[0] if expected else None)


@given(facts_strategy)
def test_the_compiled_reference_executor_answers_as_the_interpreter(facts: dict[str, Any]) -> None:
    compiler = Compiler(FACT_TYPES, OPEN_PREFIXES)
    conditions = {f"c{i}": compiler.compile(text).condition for i, text in enumerate(CONDITIONS)}  # type: ignore[union-attr]
    reference = ReferenceExecutor()
    reference.register("x", conditions)
    facts = _with_absent(facts)
    expected = [rule_id for rule_id, condition in conditions.items() if evaluate(condition, facts)]
    assert reference.matches("x", facts) == expected
    assert reference.first("x", facts) == (expected[0] if expected else None)


def test_executors_agree_on_every_demo_qualification(demo: odedelta.Catalog,
                                                     inventories: dict[str, odedelta.Inventory]) -> None:
    books = [load_rules(RULES, demo, ReferenceExecutor()), load_rules(RULES, demo, _durable()())]
    compared = 0
    for as_of in (AS_OF_EARLY, datetime(2026, 3, 1, tzinfo=UTC)):
        for context in (Context(), Context(segment="business"), Context(attributes={"vip": True})):
            for inventory in inventories.values():
                for product_id in inventory.roots():
                    answers = [odedelta.qualification_dict(
                        Engine(demo, b).qualify(inventory, product_id, as_of=as_of, context=context)) for b in books]
                    for answer in answers:
                        answer.pop("executor")
                    assert answers[0] == answers[1]
                    compared += 1
    assert compared == 54


def test_one_rulebook_is_safe_under_threads(demo: odedelta.Catalog, rulebook: Any,
                                            inventories: dict[str, odedelta.Inventory]) -> None:
    engine = Engine(demo, rulebook)
    cases = [(AS_OF_EARLY, "po-mobile-s", False), (AS_OF_EARLY, "po-mobile-l", True),
             (datetime(2025, 9, 2, tzinfo=UTC), "po-mobile-s", True)]
    failures: list[str] = []

    def work(seed: int) -> None:
        for i in range(60):
            as_of, target, expected = cases[(seed + i) % len(cases)]
            try:
                engine.change(inventories["alice"], ChangeOffer(product="A-1", to=target), as_of=as_of)
                got = True
            except NotEligible:
                got = False
            if got != expected:
                failures.append(f"{as_of} {target}: {got}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_the_reference_executor_is_the_default_and_durable_is_chosen_by_name(demo: odedelta.Catalog) -> None:
    assert default_executor().name == "reference"
    assert load_rules(RULES, demo).executor_name == "reference"
    assert load_rules(RULES, demo, "reference").executor_name == "reference"
    with pytest.raises(odedelta.OdeDeltaError, match=r"^unknown rule executor 'drools': expected one of reference, "
                                                     r"durable$"):
        load_rules(RULES, demo, "drools")
    _durable()
    assert load_rules(RULES, demo, "durable").executor_name == "durable-rules"


def test_without_durable_rules_asking_for_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                                    demo: odedelta.Catalog,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "durable.engine", None)  # as without the extra, or on Python 3.13+
    with pytest.raises(odedelta.OdeDeltaError) as refused:
        load_rules(RULES, demo, "durable")
    assert str(refused.value).startswith("the durable executor needs durable-rules, which cannot be imported here (")
    assert str(refused.value).endswith("install it with pip install 'odedelta[durable]' (Python 3.11 or 3.12, a C "
                                       "compiler)")
    assert main(["test", "--executor", "durable", str(DEMO / "scenarios")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {refused.value}\n"


def test_decimal_facts_compare_exactly_in_the_reference_executor() -> None:
    reference = ReferenceExecutor()
    compiled = Compiler(FACT_TYPES, OPEN_PREFIXES).compile("target.price == 19.99")
    assert not isinstance(compiled, ExprError)
    reference.register("p", {"r": compiled.condition})
    assert reference.matches("p", {"target": {"price": Decimal("19.99")}, "_absent": ["-"]}) == ["r"]
    assert reference.matches("p", {"target": {"price": Decimal("19.98")}, "_absent": ["-"]}) == []


def test_scenario_runner_uses_the_rules_and_reports_coverage(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from odedelta.adapters.cli import main

    path = tmp_path / "one.yaml"
    path.write_text(f"""\
catalog: {DEMO}
rules: {RULES}
scenarios:
  - name: early downgrade refused
    as_of: "2025-06-01T00:00:00Z"
    inventory: {DEMO / 'inventories' / 'alice.json'}
    request: {{change_offer: {{product: A-1, to: po-mobile-s}}}}
    expect: {{eligible: false}}
""")
    assert main(["test", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"rule coverage ({RULES}, reference): 1 of 22 rules exercised"
    assert f"      not exercised: {RULES}/eligibility.yaml:14 business-offers-for-business" in lines
    assert lines[-1] == "1 passed, 0 failed"


# ------------------------------------------------------------------------------------------------ authoring (issue 27)


def test_every_problem_of_one_condition_is_reported_at_once(demo: odedelta.Catalog) -> None:
    """An unquoted business no longer hides the 'Downgrade' beside it (nor a misspelt fact after an 'or')."""
    text = ("rules:\n  - id: three-mistakes\n    kind: eligibility\n    description: d\n"
            "    when: \"customer.segment == business and change.direction == 'Downgrade' or target.ofering == 'x'\"\n"
            "    then: {decision: deny, reason: r, message: m}\n")
    _, problems = check_rule_documents([("three.yaml", text)], demo)
    assert [(p.line, p.column, p.text) for p in problems] == [
        (5, 32, "unknown fact 'business' — quote text values: 'business'"),
        (5, 65, "change.direction is never 'Downgrade': it is one of 'upgrade', 'downgrade', 'lateral', 'new' — did "
                "you mean 'downgrade'?"),
        (5, 80, "unknown fact 'target.ofering' — did you mean 'target.offering'?"),
    ]


def test_the_schema_flags_an_amount_with_a_currency_and_names_the_kinds() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads((RULES / SCHEMA_FILE).read_text()))

    def errors(rule: str) -> list[tuple[str, str]]:
        return [(e.json_path, e.message) for e in validator.iter_errors(yaml.safe_load(f"rules:\n  - {rule}"))]

    assert errors("{id: a, kind: fee, description: d, then: {name: n, amount: '29.00 EUR'}}") == [
        ("$.rules[0].then.amount", "'29.00 EUR' is not valid under any of the given schemas")]
    assert errors("{id: a, kind: fee, description: d, then: {name: n, amount: '29.00'}}") == []
    assert errors("{id: a, kind: penalty, description: d, then: {name: n, formula: fixed, amount: 29}}") == []
    assert errors("{id: a, kind: eligibilty, description: d, then: {decision: deny, reason: r, message: m}}") == [
        ("$.rules[0].kind", f"'eligibilty' is not one of {list(KINDS)!r}")]
    assert errors("{id: a, kind: fee, description: d, then: {name: n, amount: 1}, analysis: {allow_gaps: true}}")
    for path in RULES.glob("*.yaml"):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path


_SECTION_VALUES = {
    "item": st.builds(ItemFacts, action=st.sampled_from([None, "add", "delete", "noChange"]),
                      offering=st.sampled_from([None, "po-a", "po-b"]),
                      reasons=st.lists(st.sampled_from(["promotion_lost", "x"]), max_size=2)),
    "promotion": st.builds(PromotionFacts, lost=st.lists(st.sampled_from(["promo-1", "promo-2"]), max_size=2),
                           gained=st.lists(st.sampled_from(["promo-3"]), max_size=1),
                           id=st.sampled_from([None, "promo-1"])),
    "installed": st.builds(InstalledFacts, offering=st.sampled_from([None, "po-a"]),
                           price=st.sampled_from([None, Decimal("9.99"), Decimal(0)]),
                           discount=st.sampled_from([None, Decimal("2.50")]),
                           categories=st.lists(st.sampled_from(["c1", "c2"]), max_size=2)),
    "projected": st.builds(ProjectedFacts, offerings=st.lists(st.sampled_from(["po-a", "po-b"]), max_size=2)),
}
_READ = sorted({*FACT_TYPES, "customer.attributes.loyalty", "customer.attributes.tier", "installed", "item"})


@given(used=st.frozensets(st.sampled_from(_READ), max_size=12),
       sections=st.dictionaries(st.sampled_from(sorted(_SECTION_VALUES)), st.none(), max_size=4).flatmap(
           lambda chosen: st.fixed_dictionaries({name: _SECTION_VALUES[name] for name in chosen})),
       segment=st.sampled_from([None, "residential"]),
       attributes=st.dictionaries(st.sampled_from(["loyalty", "tier"]), st.sampled_from(["3", "gold"]),
                                  max_size=2))
def test_plain_facts_with_replaced_sections_are_those_of_the_copied_facts(
        used: frozenset[str], sections: dict[str, Any], segment: str | None, attributes: dict[str, str]) -> None:
    """The money stage replaces the sections it judges (an item, a promotion…) in facts made plain once: the
    executors read exactly what the plain facts of the copied model would be."""
    facts = Facts(as_of=datetime(2026, 3, 1).date(), customer=CustomerFacts(segment=segment, products=2),
                  term=term_facts_model(), item=ItemFacts(action="modify", offering="po-c"))
    context = Context(segment=segment, attributes=attributes)
    plain = EngineFacts(facts, context, used)
    assert plain.of(**sections) == engine_facts(facts.model_copy(update=sections), context, used)
    assert plain.of() == engine_facts(facts, context, used)
    # the engine replaces the projection once for the whole money stage: a new value, the old one unchanged
    replaced = plain.replaced(**sections)
    assert replaced.facts == facts.model_copy(update=sections)
    assert replaced.of() == engine_facts(facts.model_copy(update=sections), context, used)
    assert replaced.of(item=ItemFacts(action="delete")) == engine_facts(
        facts.model_copy(update={**sections, "item": ItemFacts(action="delete")}), context, used)
    assert plain.of() == engine_facts(facts, context, used)


def term_facts_model() -> TermFacts:
    return TermFacts(recorded=True, active=True, months_remaining=15, start=datetime(2025, 6, 1).date())


# facts that make the demo rules of every kind match, and miss, and read absent facts
_KIND_SECTIONS = {
    **_SECTION_VALUES,
    "customer": st.builds(CustomerFacts, segment=st.sampled_from([None, "business", "residential"]),
                          tenure_months=st.sampled_from([None, 3, 30]), products=st.sampled_from([0, 2])),
    "term": st.builds(TermFacts, recorded=st.booleans(), active=st.booleans(),
                      months_elapsed=st.sampled_from([None, 2, 12])),
    "target": st.builds(TargetFacts, offering=st.sampled_from([None, "po-fiber-300"]),
                        categories=st.lists(st.sampled_from(["cat-business", "cat-fiber"]), max_size=2),
                        lifecycle=st.sampled_from([None, "Active", "Retired"])),
    "change": st.builds(ChangeFacts, kind=st.sampled_from([None, "terminate", "change_offer"]),
                        direction=st.sampled_from([None, "upgrade", "downgrade"])),
    "sla": st.builds(SlaFacts, metric=st.sampled_from([None, "availability"]),
                     measured=st.sampled_from([None, Decimal("94"), Decimal("99")]),
                     supplier=st.sampled_from([None, "org-streamco"])),
    "settlement": st.builds(SettlementFacts, supplier=st.sampled_from([None, "org-streamco", "org-streammax"])),
}


@given(base=st.fixed_dictionaries({name: _KIND_SECTIONS[name] for name in ("customer", "term", "target", "change")}),
       sections=st.dictionaries(st.sampled_from(sorted(_KIND_SECTIONS)), st.none(), max_size=4).flatmap(
           lambda chosen: st.fixed_dictionaries({name: _KIND_SECTIONS[name] for name in chosen})),
       attributes=st.sampled_from([{}, {"vip": True}, {"vip": "false"}]))
def test_a_question_of_one_kind_over_its_sections_only_has_the_answer_over_all_the_facts(
        demo_book: Any, base: dict[str, Any], sections: dict[str, Any], attributes: dict[str, Any]) -> None:
    """A rule book asks each kind over the sections its rules read (and the absent facts of those): every kind of
    the demo rules, ``not exists`` and free attributes included, answers as over every fact the book reads."""
    facts = Facts(as_of=datetime(2026, 3, 1).date(), **base)
    context = Context(segment=base["customer"].segment, attributes=attributes)
    plain = demo_book.plain_facts(facts, context)
    everything = engine_facts(facts.model_copy(update=sections), context, demo_book.used_facts,
                              demo_book.attribute_types)
    assert plain.of(**sections) == everything
    for kind in KINDS:
        assert demo_book.matching_in(kind, plain, **sections) == (
            demo_book.hits(kind, everything) if kind in demo_book.kinds else [])
        assert demo_book.first_in(kind, plain, **sections) == demo_book.first_hit(kind, everything)
        assert demo_book.keys_in(kind, plain, **sections) == [
            r.key for r in demo_book.matching_in(kind, plain, **sections)]


@pytest.fixture(scope="module")
def demo_book(demo: odedelta.Catalog) -> Any:
    return load_rules(RULES, demo)


def test_each_kind_is_asked_over_the_sections_its_rules_read(demo: odedelta.Catalog) -> None:
    book = load_rules(RULES, demo)
    facts = Facts(as_of=datetime(2026, 3, 1).date(), customer=CustomerFacts(segment="business"),
                  term=term_facts_model(), change=ChangeFacts(direction="downgrade"))
    plain = book.plain_facts(facts, Context(segment="business", attributes={"vip": True}))
    asked = plain.viewed(book._views["eligibility"], {})
    # the sections eligibility rules read (change, customer, target, term: each as every rule of the book reads
    # it, its absent facts listed) and the vip attribute; not installed.*, read by other kinds only
    assert asked == {"change": {"direction": "downgrade"},
                     "customer": {"attributes": {"vip": True}, "segment": "business"}, "term": {"active": True},
                     "_absent": ["change.kind", "customer.tenure_months", "target.categories", "target.lifecycle",
                                 "term.months_elapsed"]}
    assert plain.viewed(book._views["discount"], {}) == {"customer": {"segment": "business"},
                                                         "_absent": ["customer.tenure_months"]}
    assert book._views["recommendation"].sections == ("item",) and not book._views["recommendation"].attributes


def test_the_facts_made_section_by_section_are_those_of_change_facts(demo: odedelta.Catalog) -> None:
    from odedelta.rules.facts import change_sections

    book = load_rules(RULES, demo)
    inventory = odedelta.load_inventory(DEMO / "inventories" / "alice.json", demo)
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    for product_id, target, kind in [("F-1", "po-fiber-300", "change_offer"), ("F-1", None, "terminate"),
                                     (None, "po-fiber-300", "acquire")]:
        for context in (Context(), Context(segment="business", attributes={"vip": True})):
            facts = change_facts(demo, inventory, product_id=product_id, target_id=target, as_of=moment,
                                 context=context, kind=kind)
            sections = change_sections(demo, inventory, product_id, target, moment, context, kind)
            plain = book.plain_change(sections, context)
            assert plain.of() == book.plain_facts(facts, context).of()
            assert {name: plain.section(name) for name in Facts.model_fields} == vars(facts)
            made_facts = plain.facts
            assert made_facts == facts and list(vars(made_facts)) == list(vars(facts))
            assert made_facts.model_fields_set == facts.model_fields_set
            assert plain.facts is made_facts  # assembled once
            projected = ProjectedFacts(offerings=("po-a",))
            assert plain.replaced(projected=projected).facts == facts.model_copy(update={"projected": projected})
    # the target and change sections read the catalog only: one value for every customer making the change
    other = odedelta.load_inventory(DEMO / "inventories" / "alice.json", demo)
    first, second = (change_sections(demo, i, "F-1", "po-fiber-300", moment, Context(), "change_offer")
                     for i in (inventory, other))
    assert first["change"] is second["change"] and first["target"] is second["target"]
    assert first["customer"] is not second["customer"]


def test_values_made_once_per_rule_are_kept_by_the_rule_object(demo: odedelta.Catalog) -> None:
    """A rule book keeps what a rule says (outcomes, fee charges) once per rule; an entry left by another object
    that had the same id — a copy of the book in another process holds other objects — is made again."""
    import copy

    book = load_rules(RULES, demo)
    rule, other = book.rules[0], copy.deepcopy(book.rules[0])
    assert book.for_rule(rule, "k", lambda: "made") == "made"
    assert book.for_rule(rule, "k", lambda: "again") == "made"
    assert book.for_rule(other, "k", lambda: "for the copy") == "for the copy"
    book._made[(id(other), "j")] = (rule, "stale")  # as if `rule` had had the copy's id
    assert book.for_rule(other, "j", lambda: "fresh") == "fresh"


def test_values_made_once_per_kind_are_kept_by_rule_key(
        demo: odedelta.Catalog) -> None:
    """A rule book makes a value for every rule of a kind once per key (what each fee rule charges in a currency),
    all at once, by rule key (what :meth:`keys_in` answers)."""
    book = load_rules(RULES, demo)
    made: list[str] = []

    def name(rule: Any) -> str:
        made.append(rule.key)
        return f"{rule.id}:{rule.model.description}"

    table = book.for_kind("fee", "EUR", name)
    fees = [rule.key for rule in book.rules if rule.kind == "fee"]
    assert list(table) == fees == ["mobile-downgrade-fee"] and made == fees
    assert table["mobile-downgrade-fee"] == "mobile-downgrade-fee:A mobile downgrade costs a 10 EUR administration fee."
    assert book.for_kind("fee", "EUR", name) is table and made == fees  # made once
    assert book.for_kind("fee", "USD", name) is not table and made == fees * 2


def test_the_questions_asked_over_the_facts_as_they_are_share_one_plain_dict(demo: odedelta.Catalog) -> None:
    """The questions asked over a change's facts with no section replaced read one plain dict of every section the
    book reads, made once; a question replacing a section, or facts asked one question, get their own."""
    book = load_rules(RULES, demo)
    facts = Facts(as_of=datetime(2026, 3, 1).date(), customer=CustomerFacts(segment="business"),
                  term=term_facts_model(), change=ChangeFacts(direction="downgrade"))
    context = Context(segment="business", attributes={"vip": True})
    plain = book.plain_facts(facts, context)
    whole = plain.asked(book._views["fee"], {})
    assert whole == engine_facts(facts, context, book.used_facts, book.attribute_types)
    assert plain.asked(book._views["penalty"], {}) is whole
    item = ItemFacts(action="delete", offering="po-fiber-100")
    assert plain.asked(book._views["penalty"], {"item": item}) == plain.viewed(book._views["penalty"], {"item": item})
    assert plain.replaced(item=item).asked(book._views["penalty"], {}) is not whole
    alone = book.plain_change(vars(facts), context, shared=False)
    assert alone.asked(book._views["fee"], {}) == plain.viewed(book._views["fee"], {})


def test_the_facts_of_one_change_cannot_be_edited_into_the_next(demo: odedelta.Catalog,
                                                                  inventories: dict[str, odedelta.Inventory]) -> None:
    """Fact sections are shared by the changes between the same offerings (remembered per catalog): what they hold
    is immutable, so a caller editing the facts it was given cannot change another change's facts."""
    from odedelta.rules.facts import change_facts

    def facts() -> Any:
        return change_facts(demo, inventories["alice"], product_id="F-1", target_id="po-fiber-300",
                            as_of=datetime(2026, 3, 1, tzinfo=UTC), context=Context(), kind="change_offer")

    first = facts()
    assert first.installed.categories == first.target.categories == ("cat-fiber",)
    for section in (first.installed, first.target, first.item, first.promotion, first.projected):
        for name, value in section:
            assert not isinstance(value, list | dict | set), (type(section).__name__, name)
    with pytest.raises(AttributeError):
        first.installed.categories.append("cat-injected")  # type: ignore[attr-defined]
    assert facts() == first
