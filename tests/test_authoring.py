"""Product managers' tooling (issue 13): rules that could never fire are refused at the exact token, with a
suggestion; messages speak the author's words, never pydantic's."""

from __future__ import annotations

from pathlib import Path

import pytest

import odedelta
from odedelta.adapters.files import load_rules
from odedelta.rules import RuleError
from odedelta.rules.language import check_rule_documents

from .conftest import DATA


def problems(demo: odedelta.Catalog, text: str) -> list[tuple[int | None, int | None, str, str | None]]:
    _, found = check_rule_documents([("r.yaml", text)], demo)
    return [(p.line, p.column, p.message, p.suggestion) for p in found]


def test_each_never_firing_rule_is_refused_at_its_token(demo: odedelta.Catalog) -> None:
    with pytest.raises(RuleError) as caught:
        load_rules(DATA / "never_firing", demo)
    found = [(p.line, p.column, p.message, p.suggestion) for p in caught.value.problems]
    assert found == [
        (6, 43, "formula 'waived' does not use share (it reads no parameter)",
         "remove share, or use a formula that reads it: remaining_value_share, discount_repayment"),
        (11, 43, "item.action is never 'Delete': it is one of 'add', 'modify', 'delete', 'noChange'",
         "did you mean 'delete'?"),
        (17, 32, "change.direction is never 'Downgrade': it is one of 'upgrade', 'downgrade', 'lateral', 'new'",
         "did you mean 'downgrade'?"),
        (23, 27, "change.kind is never 'change': it is one of 'change_offer', 'add', 'remove', 'modify', "
                 "'terminate', 'acquire', 'renew'", "did you mean 'change_offer'?"),
        # the second comparison's id, not the first occurrence of 'po-streamin' (inside 'po-streaming-vas')
        (29, 69, "unknown offering 'po-streamin' (compared with item.offering): no such id in the catalog",
         "did you mean 'po-streaming-vas'?"),
        (35, 12, "unknown promotion 'promo-x' (compared with promotion.lost): no such id in the catalog", None),
        (41, 12, "fee rules never see item.* facts (item.action is there for penalty, recommendation, "
                 "promotion_loss, sla_credit, revenue_share, partner_charge rules): this rule could never fire", None),
        (47, 12, "renewal rules never see target.* facts (target.offering is there for eligibility, migration, "
                 "compatibility, penalty, fee, discount, recommendation, promotion_loss, timing rules): this rule "
                 "could never fire", None),
        (53, 12, "unknown category 'cat-bussiness' (compared with target.categories): no such id in the catalog",
         "did you mean 'cat-business'?"),
        (59, 58, "unknown specification 'ps-mobile' (compared with installed.specification): no such id in the "
                 "catalog", "did you mean 'ps-mobile-plan'?"),
    ]


RULE = """rules:
  - id: r
    kind: {kind}
    description: d
    when: "{when}"
    then: {then}
"""
FEE = "{name: Fee, amount: 10}"
PENALTY = "{name: P, formula: remaining_months}"


@pytest.mark.parametrize(("kind", "when", "then", "column", "message", "suggestion"), [
    ("fee", "change.price_difference > 10 EUR", FEE, 38, "amounts are plain numbers in the catalog's currency",
     "write 10"),
    ("eligibility", "customer.segment == business", "{decision: deny, reason: r, message: m}", 32,
     "unknown fact 'business'", "quote text values: 'business'"),
    ("penalty", "promotion.lost == 'promo-phone-half-price-plan'", PENALTY, 12,
     "promotion.lost is a list: it is never equal to a text", "write 'promo-phone-half-price-plan' in promotion.lost"),
    ("penalty", "'promo-phone-half-price-plan' in promotion.gained and item.action in ['delete', 'Modify']",
     PENALTY, 92, "item.action is never 'Modify'", "did you mean 'modify'?"),
    ("promotion_loss", "promotion.id == 'promo-fiber-free-streamin'", "{keep: true, message: m}", 28,
     "unknown promotion 'promo-fiber-free-streamin'", "did you mean 'promo-fiber-free-streaming'?"),
    ("fee", "promotion.id == 'promo-fiber-free-streaming'", FEE, 12, "fee rules never see promotion.id (only "
     "promotion_loss rules do)", None),
    ("eligibility", "projected.offerings == 'x'", "{decision: deny, reason: r, message: m}", 12,
     "projected.offerings is a list", "write 'x' in projected.offerings"),
])
def test_condition_messages_in_the_authors_words(demo: odedelta.Catalog, kind: str, when: str, then: str,
                                                 column: int, message: str, suggestion: str | None) -> None:
    ((line, col, text, hint), *_) = problems(demo, RULE.format(kind=kind, when=when, then=then))
    assert (line, col, hint) == (5, column, suggestion)
    assert text.startswith(message)


@pytest.mark.parametrize(("then", "line", "column", "message", "suggestion"), [
    ('{name: Fee, amount: "29.00 EUR"}', 5, 23, "amount '29.00 EUR': amounts are plain numbers in the catalog's "
     "currency", "write 29.00"),
    ('{name: Fee, amount: "€ 29,50"}', 5, 23, "amount '€ 29,50': amounts are plain numbers in the catalog's "
     "currency", "write 29.50"),
    ("{name: Fee, amount: lots}", 5, 23, "amount must be a number (found 'lots')",
     "write a plain number, e.g. 0.5 or 29.00"),
    ("{name: Fee, amount: 10, extra: 1}", 5, 35, "unknown key 'extra'", None),
    ("{name: [a], amount: 10}", 5, 12, "name must be text (found a list)", "put it in quotes"),
    ("[a]", 5, 5, "then must be a mapping of keys and values (found a list)", None),
])
def test_effect_messages_in_the_authors_words(demo: odedelta.Catalog, then: str, line: int, column: int,
                                              message: str, suggestion: str | None) -> None:
    text = RULE.format(kind="fee", when="", then=then).replace('    when: ""\n', "")
    found = problems(demo, text)
    assert found == [(line, column, message, suggestion)]


@pytest.mark.parametrize(("effect", "column", "message", "suggestion"), [
    ("{decision: Deny, reason: r, message: m}", 12, "decision cannot be 'Deny': it is one of 'allow', 'deny'",
     "did you mean 'deny'?"),
    ("{decision: deny, reason: Not-Allowed, message: m}", 28, "reason 'Not-Allowed' is not a code: use "
     "lower_snake_case, e.g. downgrade_too_early", None),
])
def test_eligibility_effect_messages(demo: odedelta.Catalog, effect: str, column: int, message: str,
                                     suggestion: str | None) -> None:
    found = problems(demo, RULE.format(kind="eligibility", when="change.direction == 'downgrade'", then=effect))
    assert found == [(6, column, message, suggestion)]


def test_no_pydantic_words_in_any_planted_mistake(demo: odedelta.Catalog) -> None:
    cases = ["{months: 0}", "{months: twelve}", "{start: tomorrow}", "{allowed: maybe}", "{window_days: -1}"]
    for then in cases:
        for problem in check_rule_documents([("r.yaml", RULE.format(kind="renewal", when="term.active",
                                                                     then=then))], demo)[1]:
            assert "Input should" not in problem.text and "Value error" not in problem.text, problem.text
            assert problem.line == 6


def test_renewal_messages(demo: odedelta.Catalog) -> None:
    found = {p.message for then in ("{months: 0}", "{months: twelve}", "{start: tomorrow}", "{allowed: maybe}")
             for p in check_rule_documents([("r.yaml", RULE.format(kind="renewal", when="term.active",
                                                                     then=then))], demo)[1]}
    assert found == {"months must be at least 1 (found 0)", "months must be a whole number (found 'twelve')",
                     "start cannot be 'tomorrow': it is one of 'term_end', 'as_of'",
                     "allowed must be true or false (found 'maybe')"}


def test_a_fixed_penalty_without_amount_and_a_bounded_waiver(demo: odedelta.Catalog) -> None:
    found = problems(demo, RULE.format(kind="penalty", when="term.active",
                                       then="{name: P, formula: fixed, maximum: 100}"))
    assert found == [(6, 5, "a fixed penalty needs an amount",
                      "add amount: 50.00 (a plain number in the catalog's currency)")]
    found = problems(demo, RULE.format(kind="penalty", when="term.active",
                                       then="{name: P, formula: remaining_months, factor: 0.5, amount: 10}"))
    assert found == [(6, 48, "remaining_months takes an amount per month or a factor of the monthly price, not both",
                      "keep one of amount and factor")]


def test_the_demo_rules_pass_every_new_check(demo: odedelta.Catalog) -> None:
    book = load_rules(Path(__file__).resolve().parent.parent / "rules", demo)
    assert len(book.rules) == 22


def test_generated_rules_read_only_facts_their_kind_sees() -> None:
    from odedelta.rules.facts import KIND_SECTIONS
    from odedelta.strategies import _SEES_ITEM

    assert set(_SEES_ITEM) == {kind for kind, sections in KIND_SECTIONS.items() if "item" in sections}


def test_check_format_json_lists_problems_as_objects(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from odedelta.adapters.cli import main

    from .conftest import DEMO

    assert main(["check", str(DEMO), str(DATA / "never_firing"), "--format", "json"]) == 1  # refused input: 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and len(data["problems"]) == 10
    assert data["problems"][4] == {
        "file": str(DATA / "never_firing" / "rules.yaml"), "line": 29, "column": 69, "path": "$.rules[4].when",
        "message": "unknown offering 'po-streamin' (compared with item.offering): no such id in the catalog",
        "suggestion": "did you mean 'po-streaming-vas'?"}
    assert main(["check", str(DEMO), str(DATA / "broken_rules"), "--format", "json"]) == 1
    problem = json.loads(capsys.readouterr().out)["problems"][1]  # a suggestion inside the message is split off
    assert (problem["message"], problem["suggestion"]) == ("unknown fact 'target.ofering'",
                                                           "did you mean 'target.offering'?")
    assert main(["check", str(DEMO), str(Path(__file__).resolve().parent.parent / "rules"), "--format",
                 "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["problems"] == [] and data["checked"][1]["rules"] == 22
    with pytest.raises(SystemExit) as usage:  # a wrong command line: 2
        main(["check", str(DEMO), "--format", "yaml"])
    assert usage.value.code == 2


def test_the_readme_file_with_five_mistakes(demo: odedelta.Catalog) -> None:
    with pytest.raises(RuleError) as caught:
        load_rules(DATA / "five_mistakes", demo)
    assert [(p.line, p.column, p.path) for p in caught.value.problems] == [
        (6, 12, "$.rules[0].when"), (12, 32, "$.rules[1].when"), (19, 35, "$.rules[2].then.amount"),
        (24, 80, "$.rules[3].when"), (32, 63, "$.rules[4].then.share")]


def test_a_rule_with_a_wrong_effect_still_has_its_condition_checked(demo: odedelta.Catalog) -> None:
    found = problems(demo, RULE.format(kind="fee", when="item.offering == 'po-streaming-vas'",
                                       then='{name: F, amount: "5 EUR"}'))
    assert [(line, col, text.split(":")[0]) for line, col, text, _ in found] == [
        (6, 21, "amount '5 EUR'"), (5, 12, "fee rules never see item.* facts (item.offering is there for penalty, "
                                           "recommendation, promotion_loss, sla_credit, revenue_share, "
                                           "partner_charge rules)")]


@pytest.mark.parametrize(("kind", "then", "column", "message", "suggestion"), [
    ("discount", "{name: D, value: five, applies_to: po-mobile-l}", 21, "value 'five' is neither a percentage nor an "
     "amount", "write '5%' or '3.00'"),
    ("renewal", "{months: 200}", 12, "months must be at most 120 (found 200)", None),
    ("renewal", "{notice_days: -5}", 12, "notice_days must be at least 0 (found -5)", None),
    ("compatibility", "{offering: po-tv-basic, requires: po-fiber-500, reason: r, message: m}", 35,
     "requires must be a list (found 'po-fiber-500')", "write requires: [...]"),
])
def test_more_effect_messages(demo: odedelta.Catalog, kind: str, then: str, column: int, message: str,
                              suggestion: str | None) -> None:
    assert problems(demo, RULE.format(kind=kind, when="term.active", then=then)) == [
        (6, column, message, suggestion)]


def test_rule_level_messages(demo: odedelta.Catalog) -> None:
    text = """rules:
  - id: " spaced"
    kind: fee
    description: d
    validFor: {startDateTime: someday}
    then: {name: F, amount: 1}
  - kind: fee
    id: x
    then: {name: F, amount: 1}
"""
    assert problems(demo, text) == [
        (2, 5, "id ' spaced' begins or ends with a space", "remove the spaces"),
        (5, 16, "startDateTime 'someday' is not a date-time", "write e.g. 2026-01-01T00:00:00Z"),
        (7, 5, "missing key 'description'", None)]


def test_a_catalog_type_error_names_the_entity_in_plain_words(tmp_path: Path) -> None:
    import json
    import shutil

    from .conftest import DEMO

    shutil.copytree(DEMO, tmp_path / "demo", ignore=shutil.ignore_patterns("scenarios", "inventories"))
    prices = json.loads((tmp_path / "demo" / "productOfferingPrice.json").read_text())
    prices[0]["price"]["value"] = "50.00 EUR"
    (tmp_path / "demo" / "productOfferingPrice.json").write_text(json.dumps(prices))
    with pytest.raises(odedelta.LoadError) as caught:
        odedelta.load_catalog(tmp_path / "demo")
    (problem,) = [p for p in caught.value.problems if p.file.endswith("productOfferingPrice.json")]
    assert (problem.message, problem.suggestion) == (
        f"productOfferingPrice {prices[0]['id']!r}: value '50.00 EUR': amounts are plain numbers in the catalog's "
        "currency", "write 50.00")


def test_a_rule_of_an_unknown_kind_still_has_its_other_mistakes_reported(demo: odedelta.Catalog) -> None:
    text = """rules:
  - id: r
    kind: discont
    priority: high
    when: "target.ofering == 'po-fiber-300' and"
    colour: red
    then: {name: Loyal, value: 10%, applies_to: po-fiber-300}
"""
    assert sorted(problems(demo, text)) == [
        (2, 5, "missing key 'description'", None),
        (3, 5, "unknown kind 'discont' — did you mean 'discount'? (kinds: eligibility, migration, compatibility, "
               "penalty, fee, discount, recommendation, promotion_loss, renewal, timing, sla_credit, revenue_share, "
               "partner_charge)", None),
        (4, 5, "priority must be a whole number (found 'high')", None),
        (5, 45, "not a condition: it ends with 'and', expected something after it", None),
        (6, 5, "unknown key 'colour'", None),
    ]
    # no kind close to it: what every kind finds in the condition
    text = text.replace("discont", "zzz").replace("target.ofering == 'po-fiber-300' and",
                                                  "installed.offering == 'po-fibre-300'")
    assert [p for p in problems(demo, text) if p[0] == 5] == [
        (5, 34, "unknown offering 'po-fibre-300' (compared with installed.offering): no such id in the catalog",
         "did you mean 'po-fiber-300'?"),
    ]


@pytest.mark.parametrize(("when", "column", "message"), [
    ("change.direction == 'upgrade' and", 42, "not a condition: it ends with 'and', expected something after it"),
    ("  change.direction ==  ", 31, "not a condition: it ends with '==', expected something after it"),
    ("change.direction == 'upgrade' and and x", 46, "not a condition: invalid syntax"),
])
def test_a_condition_that_cannot_be_read_is_located_where_it_fails(demo: odedelta.Catalog, when: str, column: int,
                                                                   message: str) -> None:
    assert problems(demo, RULE.format(kind="fee", when=when, then=FEE)) == [(5, column, message, None)]
