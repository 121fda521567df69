"""One pipeline of values: request → delta → rules → money → ChangeResult | Refusal. Each stage returns a value (a
refusal too), renewal is a request kind of the same pipeline, and no stage edits another stage's value."""

from __future__ import annotations

import ast
import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pydantic
import pytest

import odedelta
from odedelta.delta.builder import amend, build
from odedelta.delta.items import Action, Delta, Drop, Migration, Reason, Recommit, Refused
from odedelta.flows.engine import Engine
from odedelta.flows.renewal import renewal_plan
from odedelta.flows.result import Plan
from odedelta.model.money import Money
from odedelta.model.requests import ChangeOffer, Context, RemoveProduct, Renew
from odedelta.money.bill import Discount, bill, with_discount
from odedelta.outputs.partner_orders import customer_order
from odedelta.rules.facts import ItemFacts, change_facts

from .conftest import ROOT
from .helpers import AS_OF

SRC = ROOT / "src" / "odedelta"


@pytest.fixture(scope="module")
def engine(demo: odedelta.Catalog) -> Engine:
    return Engine(demo, odedelta.load_rules(ROOT / "rules", demo))


def test_the_delta_stage_returns_a_structural_refusal_as_a_value(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory], engine: Engine) -> None:
    alice = inventories["alice"]
    refused = build(demo, alice, ChangeOffer(product="A-2", to="po-fiber-300"), AS_OF)
    assert refused == Refused("'po-fiber-300' is not a component of 'po-mobile-m' (installed as A-1)")
    answer = engine.evaluate(alice, ChangeOffer(product="A-2", to="po-fiber-300"), as_of=AS_OF)
    assert isinstance(answer, odedelta.Refusal) and answer.verdict is None and answer.message == refused.message
    # a mandatory component cannot go on its own: a refusal from the delta stage too
    mandatory = build(demo, alice, RemoveProduct(product="F-2"), AS_OF)
    assert isinstance(mandatory, Refused) and mandatory.message.startswith("F-2 (po-fiber-access-500) is mandatory")
    # a request naming what does not exist is bad input: an error, not a refusal
    with pytest.raises(odedelta.RequestError, match="unknown offering 'po-fiber-3000'"):
        build(demo, alice, ChangeOffer(product="F-1", to="po-fiber-3000"), AS_OF)


def test_the_delta_layer_applies_amendments_with_the_migration_rules_the_delta_was_built_with(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    alice = inventories["alice"]
    rule = Migration("test-rule", from_offering="po-streaming-vas", to_offering="po-security-vas")
    built = build(demo, alice, ChangeOffer(product="F-1", to="po-fiber-300"), AS_OF, [rule])
    assert isinstance(built, Delta) and built.migrations == (rule,)
    amended = amend(demo, alice, built, [Drop("F-5", Reason("test", "dropped for the test", "request"))])
    assert isinstance(amended, Delta) and amended is not built and amended.migrations == (rule,)
    assert [(i.product_id, i.action) for i in amended.items if i.product_id == "F-5"] == [("F-5", Action.DELETE)]
    assert [(i.product_id, i.action) for i in built.items if i.product_id == "F-5"] == [("F-5", Action.NO_CHANGE)]


def test_a_renewal_is_a_request_kind_of_the_one_pipeline(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory], engine: Engine) -> None:
    moment = datetime(2027, 1, 15, tzinfo=UTC)
    plan = renewal_plan(demo, engine.rules, inventories["alice"], Renew(product="A-1"), as_of=moment,
                        context=Context())
    assert isinstance(plan, Plan) and plan.request == Renew(product="A-1") and plan.judged is False
    assert [type(a) for a in plan.amendments] == [Recommit] and plan.renewal is not None
    assert [d.rule_id for d in plan.decisions] == ["mobile-renewal-12-months"]
    result = engine.evaluate(inventories["alice"], Renew(product="A-1"), as_of=moment)
    assert isinstance(result, odedelta.ChangeResult) and result.kind == "renew" and result.renewal == plan.renewal
    assert result.item("A-1").terms == plan.amendments[0].terms  # type: ignore[union-attr]
    # S9: an end-of-sale offering renews as the change to its successor, judged by the rules like any change
    moved = renewal_plan(demo, engine.rules, inventories["carol"], Renew(product="C-1"),
                         as_of=datetime(2026, 11, 22, tzinfo=UTC), context=Context())
    assert isinstance(moved, Plan) and moved.request == ChangeOffer(product="C-1", to="po-mobile-m")
    assert moved.judged is True and moved.renewal is not None and moved.renewal.successor == "po-mobile-m"
    answer = engine.change(inventories["carol"], Renew(product="C-1"), as_of=datetime(2026, 11, 22, tzinfo=UTC))
    assert answer.kind == "renew" and answer.item("C-1").offering_id == "po-mobile-m"
    assert answer.decisions[-1].rule_id == "mobile-renewal-12-months"


def test_facts_bills_and_consequences_are_frozen_values(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory], engine: Engine) -> None:
    alice = inventories["alice"]
    facts = change_facts(demo, alice, product_id="F-1", target_id="po-fiber-300", as_of=AS_OF, context=Context(),
                         kind="change_offer")
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        facts.item = ItemFacts(action="delete")  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        facts.installed.price = Decimal(1)  # type: ignore[misc]
    # assembled once, whole: the installed side, the term, the target and the change
    assert (facts.installed.price, facts.installed.months_active, facts.target.price) == (
        Decimal("50.00"), 6, Decimal("40.00"))
    assert (facts.change.price_difference, facts.change.direction) == (Decimal("-10.00"), "downgrade")
    assert (facts.term.months_elapsed, facts.term.months_remaining, facts.term.days_to_end) == (6, 6, 184)
    result = engine.change(alice, ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    consequences = result.consequences
    assert consequences is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        consequences.charges = []  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        consequences.after.promotions = {}  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        consequences.before.products["F-4"].discounts = []  # type: ignore[misc]


def test_a_discount_makes_a_new_bill_and_leaves_the_old_one_as_it_was(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    before = bill(demo, inventories["alice"].products, Context(), AS_OF)
    entry = before.products["F-3"]
    discount = Discount("F-3", "rule:test", "Test discount", Money(Decimal("1.00"), "EUR"))
    after = with_discount(before, "rule:test", discount)
    assert after.products["F-3"].discounts == [*entry.discounts, discount]
    assert after.promotions["rule:test"] == [discount] and "rule:test" not in before.promotions
    assert before.products["F-3"] is entry and discount not in entry.discounts


def test_a_service_gives_order_items_their_state_without_editing_the_document(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory], engine: Engine) -> None:
    result = engine.change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    plain = odedelta.to_tmf622(result)
    acknowledged = odedelta.to_tmf622(result, item_state="acknowledged")
    assert all("state" not in item for item in plain["productOrderItem"])
    assert [list(item)[-1] for item in acknowledged["productOrderItem"]] == ["state"] * len(result.items)
    assert [{k: v for k, v in item.items() if k != "state"} for item in acknowledged["productOrderItem"]] == \
        plain["productOrderItem"]
    # the reference partner orders carry is the change's, whatever state the items are given
    assert customer_order(result, 4, item_state="acknowledged")["externalId"] == customer_order(result, 4)["externalId"]


@pytest.mark.parametrize("layer", ["flows", "delta", "money"])
def test_no_function_of_the_pipeline_is_over_80_lines(layer: str) -> None:
    long = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 80:
                    long.append(f"{Path(path).relative_to(SRC)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def test_the_projection_is_worked_out_for_the_facts_only_when_a_question_can_see_it(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory], engine: Engine) -> None:
    """A book with no compatibility rule and no rule reading a projected fact gives every answer it gives when the
    offerings after the change are worked out for its facts; an explanation still records them in each question
    asked after the delta (it shows every fact)."""
    assert engine.rules is not None and engine.rules.reads_projection  # the demo book has compatibility rules
    blind = odedelta.Rulebook([r for r in engine.rules.rules if r.kind != "compatibility"
                               and not any(fact.startswith("projected.") for fact in r.facts)])
    seeing = odedelta.Rulebook(blind.rules)
    seeing.reads_projection = True
    assert not blind.reads_projection and len(blind.rules) > 10
    asked = 0
    for name, inventory in inventories.items():
        for pid in inventory.products:
            for request in [*(ChangeOffer(product=pid, to=o) for o in demo.offerings), RemoveProduct(product=pid)]:
                answers = []
                for book in (blind, seeing):
                    try:
                        answer = Engine(demo, book).evaluate(inventory, request, as_of=AS_OF)
                    except odedelta.RequestError as exc:
                        answers.append(str(exc))
                        continue
                    answers.append(answer.message if isinstance(answer, odedelta.Refusal) else odedelta.to_dict(answer))
                assert answers[0] == answers[1], (name, request)
                asked += 1
    assert asked > 200
    explained = odedelta.explain_change(Engine(demo, blind), inventories["alice"],
                                        RemoveProduct(product=next(iter(inventories["alice"].products))), as_of=AS_OF)
    after = [q for q in explained.questions if q.kind not in ("eligibility", "migration")]
    assert after and all(q.facts["projected"]["offerings"] for q in after)
