"""The delta and the result are values: no later stage edits them; refusals are values; caches are bounded."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

import odedelta
from odedelta.adapters.files import load_rules
from odedelta.delta.builder import DeltaBuilder
from odedelta.delta.items import Action, Drop, Reason, Recommit
from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult
from odedelta.model.calendar import new_term
from odedelta.model.memo import Memo
from odedelta.model.requests import ChangeOffer, Context

from .conftest import ROOT
from .helpers import AS_OF

AS_OF_EARLY = datetime(2025, 6, 1, tzinfo=UTC)


def test_items_results_and_deltas_cannot_be_edited(demo: odedelta.Catalog,
                                                   inventories: dict[str, odedelta.Inventory]) -> None:
    result = Engine(demo).change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    item = result.item("F-4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.action = Action.NO_CHANGE  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.delta.items = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.consequences = None  # type: ignore[misc]
    assert isinstance(item.reasons, tuple) and isinstance(result.items, tuple)


def test_the_money_stage_amends_a_new_delta_and_leaves_the_built_one_as_it_was(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    """S1: StreamMax is free only through a promotion Fiber 300 loses. The delta layer built it as kept; the money
    stage asks for it to go (a Drop amendment) and the builder applies it: the built delta is untouched."""
    alice = inventories["alice"]
    built = DeltaBuilder(demo, alice, AS_OF).build(ChangeOffer(product="F-1", to="po-fiber-300"))
    assert built.item("F-4") is not None and built.item("F-4").action is Action.NO_CHANGE  # type: ignore[union-attr]
    result = Engine(demo).change(alice, ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    assert result.item("F-4").action is Action.DELETE
    assert result.item("F-4").codes == ["promotion_lost"]
    assert [(i.product_id, i.action) for i in built.items if i.product_id != "F-4"] == [
        (i.product_id, i.action) for i in result.items if i.product_id != "F-4"]
    assert built.item("F-4").action is Action.NO_CHANGE  # type: ignore[union-attr]


def test_amendments_return_a_new_delta_and_apply_in_order(demo: odedelta.Catalog,
                                                          inventories: dict[str, odedelta.Inventory]) -> None:
    alice = inventories["alice"]
    builder = DeltaBuilder(demo, alice, AS_OF)
    built = builder.build(ChangeOffer(product="F-1", to="po-fiber-300"))
    term = new_term(AS_OF, 12)
    why = Reason("goodwill", "a new term as a goodwill gesture", "request")
    amended = builder.amend(built, [Drop("F-5", Reason("test", "dropped for the test", "request")),
                                    Recommit("F-3", (term,), (why,))])
    assert amended is not built
    assert [(i.id, i.product_id, i.action.value, i.codes) for i in amended.items if i.product_id in ("F-3", "F-5")] \
        == [("3", "F-3", "modify", ["kept", "goodwill"]), ("5", "F-5", "delete", ["test"])]
    assert amended.item("F-3").terms == (term,)  # type: ignore[union-attr]
    assert [(i.product_id, i.action.value) for i in built.items if i.product_id in ("F-3", "F-5")] == [
        ("F-3", "noChange"), ("F-5", "noChange")]
    # items are values: what the amendments leave alone is shared with the built delta, not copied
    untouched = [(a, b) for a, b in zip(built.items, amended.items, strict=True) if a.product_id not in ("F-3", "F-5")]
    assert untouched and all(a is b for a, b in untouched)


def test_the_catalogs_words_are_kept_bounded_and_shared_by_the_items_that_say_them(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A reason depends on the catalog alone (its code, the installed and target offerings, its source): the delta
    keeps each in a table of the compiled catalog, shared by every item that gives it, and the table is bounded
    (kinds of product come from inventories)."""
    from odedelta.delta import builder
    from odedelta.model.compiled import compiled

    table = compiled(demo).table("delta.reasons")
    table.clear()
    first = Engine(demo).change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    again = Engine(demo).change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    assert first.items == again.items
    kept = [i for i in first.items if i.codes == ["kept"]]
    assert kept and all(i.reasons is j.reasons for i, j in zip(kept, [again.item(i.product_id) for i in kept],
                                                                strict=True))
    assert {i.reasons[0].message for i in kept} <= {r[0].message for r in table.values()}
    requests = [ChangeOffer(product="F-1", to="po-fiber-300"), ChangeOffer(product="A-1", to="po-mobile-l")]
    answers = [Engine(demo).change(inventories["alice"], r, as_of=AS_OF).items for r in requests]
    monkeypatch.setattr(builder, "TABLE_SIZE", 2)
    table.clear()
    for request, answer in zip(requests, answers, strict=True):
        assert Engine(demo).change(inventories["alice"], request, as_of=AS_OF).items == answer
        assert len(table) <= 2


def test_a_refusal_is_a_value_from_evaluate_and_an_error_from_change(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    engine = Engine(demo, load_rules(ROOT / "rules", demo))
    request = ChangeOffer(product="A-1", to="po-mobile-s")  # 3 months into alice's commitment
    refusal = engine.evaluate(inventories["alice"], request, as_of=AS_OF_EARLY)
    assert isinstance(refusal, odedelta.Refusal)
    assert refusal.verdict is not None and refusal.verdict.rule_ids == ["no-downgrade-first-6-months"]
    with pytest.raises(odedelta.NotEligible) as caught:
        engine.change(inventories["alice"], request, as_of=AS_OF_EARLY)
    assert str(caught.value) == refusal.message
    structural = engine.evaluate(inventories["alice"], ChangeOffer(product="A-2", to="po-fiber-300"), as_of=AS_OF)
    assert isinstance(structural, odedelta.Refusal) and structural.verdict is None
    assert "is not a component of" in structural.message
    assert isinstance(structural.error(), odedelta.NotOrderable)


def test_a_wrong_tmf_version_is_an_odedelta_error(demo: odedelta.Catalog,
                                                 inventories: dict[str, odedelta.Inventory]) -> None:
    result = Engine(demo).change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-300"), as_of=AS_OF)
    with pytest.raises(odedelta.RequestError, match="TMF622 version must be 4 or 5, not 3"):
        odedelta.to_tmf622(result, 3)


def test_the_memo_forgets_the_oldest_answers_past_its_size() -> None:
    memo = Memo(size=3)
    for key in "abcd":
        assert memo.get(key, lambda k=key: k.upper()) == key.upper()  # type: ignore[misc]
    assert len(memo) == 3
    assert memo.get("a", lambda: "again") == "again"  # "a" was forgotten first
    assert memo.get("d", lambda: "not computed") == "D"


def test_changes_at_ever_new_moments_do_not_grow_the_catalog_memo(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    """A service asks with as_of = now: every request is a new moment. Answers are keyed by the stretch of time
    between the catalog's validity boundaries, so the memo stops growing once each stretch has been seen."""
    engine = Engine(demo, load_rules(ROOT / "rules", demo))
    start = datetime(2026, 3, 1, tzinfo=UTC)

    def changes(first: int, count: int) -> None:
        for n in range(first, first + count):
            moment = start + timedelta(minutes=17 * n, seconds=n)
            engine.change(inventories["alice"], ChangeOffer(product="F-1", to="po-fiber-300"), as_of=moment,
                          context=Context(billing_cycle_day=1))

    changes(0, 20)
    warm = len(demo.memo)
    changes(20, 400)
    assert len(demo.memo) == warm


def test_a_change_result_is_a_plain_record(demo: odedelta.Catalog,
                                           inventories: dict[str, odedelta.Inventory]) -> None:
    result = Engine(demo).change(inventories["bob"], ChangeOffer(product="B-1", to="po-mobile-l"), as_of=AS_OF)
    fields = {f.name for f in dataclasses.fields(ChangeResult)}
    assert fields == {"catalog", "inventory", "delta", "context", "decisions", "consequences", "renewal", "change_kind"}
    assert not any(hasattr(result, name) for name in ("to_tmf622", "explain", "to_dict"))


def test_a_change_result_is_made_with_its_fields_in_order_and_stays_frozen(
        demo: odedelta.Catalog, inventories: dict[str, odedelta.Inventory]) -> None:
    """ChangeResult's own constructor takes the dataclass's fields, in order, with their defaults; replace() and
    equality work as for any dataclass; the record cannot be edited."""
    import inspect

    parameters = list(inspect.signature(ChangeResult.__init__).parameters.values())[1:]
    assert [(p.name, p.default) for p in parameters] == [
        (f.name, f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty)
        for f in dataclasses.fields(ChangeResult)]
    result = Engine(demo).change(inventories["bob"], ChangeOffer(product="B-1", to="po-mobile-l"), as_of=AS_OF)
    plain = ChangeResult(result.catalog, result.inventory, result.delta, result.context)
    assert (plain.decisions, plain.consequences, plain.renewal, plain.change_kind) == ((), None, None, None)
    again = dataclasses.replace(result, renewal=None)
    assert again == result and again is not result
    assert dataclasses.replace(result, decisions=()).decisions == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.decisions = ()  # type: ignore[misc]
