"""``odedelta explain`` and ``odedelta.explain_rules``: every rule on one change, fired or not, and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import odedelta
from odedelta.adapters.cli import main
from odedelta.adapters.scenario import read_scenario_file
from odedelta.flows.explain import RulesExplanation
from odedelta.rules import ReferenceExecutor
from odedelta.rules.executor import evaluate
from odedelta.rules.expr import Compiler, ExprError
from odedelta.rules.facts import FACT_TYPES, OPEN_PREFIXES
from odedelta.rules.trace import trace

from .conftest import DEMO, ROOT, durable
from .test_rules import CONDITIONS, _with_absent, facts_strategy

RULES = ROOT / "rules"
DOWNGRADE = ["--catalog", str(DEMO), "--rules", str(RULES), "--inventory", str(DEMO / "inventories" / "alice.json"),
             "--product", "F-1", "--to", "po-fiber-300", "--as-of", "2026-03-01T00:00:00Z", "--segment", "residential"]


def test_explain_on_the_demo_downgrade_shows_the_penalty_fired_and_the_business_rule_not(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", *DOWNGRADE]) == 0
    out = capsys.readouterr().out
    fired, rest = out.split("Matched but did not decide")
    assert "fiber-downgrade-under-commitment (penalty, priority 10, " in fired
    assert ("      facts: term.active = true, installed.categories = ['cat-fiber'], item.action = 'modify', "
            "change.direction = 'downgrade'\n") in fired
    assert ("business-customers-no-penalty (penalty, priority 100, " in rest.split("Did not fire")[1])
    assert ": customer.segment == 'business' was false: customer.segment was 'residential'\n" in out
    assert "Fired (2):" in out and "Did not fire (11):" in out and "Not asked (6):" in out


def test_explain_json_gives_each_rule_status_false_part_and_facts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", *DOWNGRADE, "--format", "json", "--facts"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fired"] == ["fiber-downgrade-under-commitment", "keep-streammax-paid"]
    rules = {r["id"]: r for r in data["rules"]}
    penalty = rules["fiber-downgrade-under-commitment"]
    assert penalty["status"] == "fired"
    held = [c for c in penalty["checks"] if c["held"]]
    assert held[0]["facts"] == {"term.active": True, "installed.categories": ["cat-fiber"], "item.action": "modify",
                                "change.direction": "downgrade"}
    business = rules["business-customers-no-penalty"]
    assert business["status"] == "not_fired"
    assert business["checks"][0]["falsePart"] == {"condition": "customer.segment == 'business'",
                                                  "facts": {"customer.segment": "residential"}}
    question = data["questions"][business["checks"][0]["question"]]
    assert question["kind"] == "penalty" and question["subject"] == "the modify of po-fiber-300"
    assert question["facts"]["term"]["months_remaining"] == 6
    assert question["facts"]["term"]["end"] == "2026-09-01"
    assert rules["no-downgrade-first-6-months"]["why"] == ("term.months_elapsed < 6 was false: term.months_elapsed "
                                                          "was 6")
    assert rules["mobile-renewal-12-months"]["status"] == "not_evaluated"


def test_explain_a_refused_change_names_the_refusing_rule_and_the_allow_it_beat(
        capsys: pytest.CaptureFixture[str]) -> None:
    args = [a if a != "2026-03-01T00:00:00Z" else "2025-12-01T00:00:00Z" for a in DOWNGRADE]
    assert main(["explain", *args]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("Refused: not eligible: Fiber 300 (po-fiber-300): You can move to a smaller")
    assert "  no-downgrade-first-6-months (eligibility, priority 10, " in out.split("Matched")[0]
    # the VIP allow outranks the deny: the change goes through, and the deny is overridden, not fired
    assert main(["explain", *args, "--attribute", "vip=true", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rules = {r["id"]: r for r in data["rules"]}
    assert data["refused"] is None
    assert rules["no-downgrade-first-6-months"]["status"] == "matched"
    assert rules["no-downgrade-first-6-months"]["why"] == ("its condition held, but the allow "
                                                          "'vip-may-downgrade-anytime' (priority 15) overrides it")
    assert rules["vip-may-downgrade-anytime"]["status"] == "fired"


def test_explain_needs_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", *DOWNGRADE[:2], *DOWNGRADE[4:]]) == 2
    assert "explain needs --rules DIR" in capsys.readouterr().err


def test_explain_rules_is_the_library_call(demo: odedelta.Catalog,
                                           inventories: dict[str, odedelta.Inventory]) -> None:
    rules = odedelta.load_rules(RULES, demo)
    result = odedelta.Engine(demo, rules).change(inventories["alice"], odedelta.ChangeOffer(product="F-1",
                                                                                            to="po-fiber-300"),
                                                 as_of=datetime(2026, 3, 1, tzinfo=UTC))
    explanation = odedelta.explain_rules(result, rules)
    assert isinstance(explanation, RulesExplanation)
    assert explanation.fired == result.rule_ids
    with pytest.raises(AttributeError):
        explanation.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):  # frozen all the way down: the facts too
        explanation.questions[0].facts["customer"]["segment"] = "business"  # type: ignore[index]
    # without a segment, the business rule's fact is absent, and the explanation says so
    assert explanation.rule("business-customers-no-penalty").why == (
        "customer.segment == 'business' was false: customer.segment was absent")


def _demo_changes() -> list[tuple[str, Path, Any]]:
    out = []
    for path in sorted((DEMO / "scenarios").glob("*.yaml")):
        spec = read_scenario_file(path)
        if spec.rules is None:
            continue
        out += [(f"{path.name}::{s.name}", path, s) for s in spec.scenarios if s.request is not None]
    return out


def test_the_explanation_agrees_with_the_engine_on_every_demo_change(demo: odedelta.Catalog) -> None:
    """Fired set = the rules the engine's decisions name; on every question, the trace holds for exactly the rules
    the compiled executor matched, in its order."""
    rules = odedelta.load_rules(RULES, demo)
    engine = odedelta.Engine(demo, rules)
    checked = 0
    for name, path, scenario in _demo_changes():
        inventory = (odedelta.load_inventory(path.parent / scenario.inventory, demo)
                     if isinstance(scenario.inventory, str) else odedelta.Inventory.from_document(
                         demo, scenario.inventory, name))
        request = scenario.parsed_request()
        try:
            answer = engine.evaluate(inventory, request, as_of=scenario.as_of, context=scenario.context)
        except odedelta.OdeDeltaError:
            continue  # a change that cannot be answered (the scenario expects the error)
        if isinstance(answer, odedelta.Refusal) and answer.verdict is None:
            continue
        decided = answer.verdict.rule_ids if isinstance(answer, odedelta.Refusal) else answer.rule_ids
        explanation = odedelta.explain_change(engine, inventory, request, as_of=scenario.as_of,
                                              context=scenario.context)
        assert explanation.fired == sorted(set(decided)), name
        for index, question in enumerate(explanation.questions):
            held = [r for r in explanation.rules for c in r.checks if c.question == index and c.held]
            order = [x.key for x in explanation.rules]
            ranked = sorted(held, key=lambda r: (-r.priority, order.index(r.key)))
            assert tuple(r.key for r in ranked) == question.executor_hits, (name, question.kind)
        checked += 1
    assert checked >= 30  # 33 when written: every demo scenario with a change answered


@given(facts_strategy)
def test_the_trace_answers_as_the_compiled_executor(facts: dict[str, Any]) -> None:
    compiler = Compiler(FACT_TYPES, OPEN_PREFIXES)
    conditions = {f"c{i}": compiler.compile(text).condition for i, text in enumerate(CONDITIONS)}  # type: ignore[union-attr]
    compiled = ReferenceExecutor()
    compiled.register("x", conditions)
    facts = _with_absent(facts)
    hits = compiled.matches("x", facts)
    for rule_id, condition in conditions.items():
        found = trace(condition, facts, FACT_TYPES)
        assert found.held == (rule_id in hits)
        if not found.held:  # the part named is false on its own
            assert found.false_part is not None
            part = compiler.compile(found.false_part.text)  # written back in the rule language
            assert not isinstance(part, ExprError), found.false_part.text
            assert not evaluate(part.condition, facts)


def test_the_explanation_is_the_same_with_durable_rules(demo: odedelta.Catalog,
                                                        inventories: dict[str, odedelta.Inventory]) -> None:
    executor = durable().DurableExecutor()
    books = [odedelta.load_rules(RULES, demo), odedelta.load_rules(RULES, demo, executor)]
    request = odedelta.ChangeOffer(product="F-1", to="po-fiber-300")
    explained = [odedelta.explain_change(odedelta.Engine(demo, book), inventories["alice"], request,
                                         as_of=datetime(2025, 12, 1, tzinfo=UTC),
                                         context=odedelta.Context(segment="residential")) for book in books]
    assert explained[0].refused is not None and explained[0] == explained[1]
