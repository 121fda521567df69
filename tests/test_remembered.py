"""What an inventory remembers (its bill before a change, the facts of its changes) never changes an answer: the
same inventory asked at other moments, in other contexts, against another catalog, from several threads, answers
as a freshly loaded one does."""

from __future__ import annotations

import json
import pickle
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import odedelta
from odedelta.flows.engine import Engine
from odedelta.model.requests import ChangeOffer, Context, RemoveProduct, Request
from odedelta.rules.facts import INVENTORY_MEMO_SIZE, change_facts, context_key, moment_key

from .conftest import DEMO, ROOT

MOMENTS = [
    datetime(2026, 3, 1, tzinfo=UTC),
    datetime(2026, 3, 1, tzinfo=UTC).astimezone(timezone(timedelta(hours=-5))),  # the same instant, the day before
    datetime(2026, 6, 1, 12, tzinfo=UTC),
    datetime(2027, 12, 31, 23, 30, tzinfo=UTC),
]
CONTEXTS = [Context(), Context(segment="business"), Context(segment="residential", attributes={"loyalty": "gold"}),
            Context(segment="residential", attributes={"loyalty": 1}), Context(billing_cycle_day=10)]
REQUESTS: list[tuple[str, Request]] = [
    ("alice", ChangeOffer(product="F-1", to="po-fiber-300")),
    ("alice", ChangeOffer(product="F-1", to="po-fiber-1000")),
    ("alice", RemoveProduct(product="F-4")),
    ("bob", ChangeOffer(product="B-1", to="po-mobile-l")),
    ("carol", ChangeOffer(product="C-1", to="po-fiber-500")),
    ("dave", ChangeOffer(product="D-1", to="po-fiber-1000")),  # its security add-on is free for business only
    ("dave", RemoveProduct(product="D-6")),
]


def _answer(engine: Engine, inventory: odedelta.Inventory, request: Request, as_of: datetime,
            context: Context) -> str:
    try:
        found = engine.evaluate(inventory, request, as_of=as_of, context=context)
    except odedelta.OdeDeltaError as exc:
        return f"error: {exc}"
    if isinstance(found, odedelta.Refusal):
        return f"refused: {found.message}"
    return json.dumps(odedelta.to_dict(found), default=str, sort_keys=True)


def _fresh(catalog: odedelta.Catalog, name: str) -> odedelta.Inventory:
    return odedelta.load_inventory(DEMO / "inventories" / f"{name}.json", catalog)


@pytest.fixture(scope="module")
def dearer(tmp_path_factory: pytest.TempPathFactory) -> odedelta.Catalog:
    """The demo catalog with every recurring price doubled: the same ids, other money."""
    folder = tmp_path_factory.mktemp("dearer") / "demo"
    shutil.copytree(DEMO, folder)
    prices = json.loads((folder / "productOfferingPrice.json").read_text(encoding="utf-8"))
    doubled = 0
    for price in prices:
        if price.get("priceType") == "recurring" and isinstance(price.get("price"), dict):
            price["price"]["value"] = price["price"]["value"] * 2
            doubled += 1
    assert doubled > 5
    (folder / "productOfferingPrice.json").write_text(json.dumps(prices), encoding="utf-8")
    return odedelta.load_catalog(folder)


def test_one_inventory_answers_as_fresh_ones_at_every_moment_context_and_catalog(
        demo: odedelta.Catalog, dearer: odedelta.Catalog) -> None:
    engines = [Engine(demo, odedelta.load_rules(ROOT / "rules", demo)),
               Engine(dearer, odedelta.load_rules(ROOT / "rules", dearer)), Engine(demo)]
    kept = {name: _fresh(demo, name) for name, _ in REQUESTS}  # one object each, asked everything in turn
    asked = 0
    differ = set()
    for engine in engines:
        for as_of in MOMENTS:
            for context in CONTEXTS:
                for name, request in REQUESTS:
                    again = _answer(engine, kept[name], request, as_of, context)
                    alone = _answer(engine, _fresh(demo, name), request, as_of, context)
                    assert again == alone, (engine.catalog is dearer, as_of, context, name, request)
                    differ.add(alone)
                    asked += 1
    assert asked == 3 * len(MOMENTS) * len(CONTEXTS) * len(REQUESTS)
    assert len(differ) > 100  # the moments, contexts and catalogs give different answers: each was really asked


def test_the_memo_is_bounded_and_left_out_of_copies(demo: odedelta.Catalog) -> None:
    inventory = _fresh(demo, "alice")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for minute in range(3 * INVENTORY_MEMO_SIZE):  # a service asking with as_of = now
        change_facts(demo, inventory, product_id="F-1", target_id="po-fiber-300",
                     as_of=start + timedelta(minutes=minute), context=Context(), kind="change_offer")
    held: dict[Any, Any] = vars(inventory)["_answers"]
    assert 0 < len(held) <= INVENTORY_MEMO_SIZE
    copy = pickle.loads(pickle.dumps(inventory))
    assert vars(copy)["_answers"] == {}
    assert copy.products == inventory.products


def test_keys_tell_apart_what_the_answers_read() -> None:
    utc = datetime(2026, 3, 1, tzinfo=UTC)
    assert moment_key(utc) != moment_key(utc.astimezone(timezone(timedelta(hours=-5))))  # the same instant
    assert context_key(Context(attributes={"loyalty": 1})) != context_key(Context(attributes={"loyalty": True}))
    assert context_key(Context(attributes={"loyalty": 1.0})) != context_key(Context(attributes={"loyalty": 1}))
    assert context_key(Context(segment="a", channel="web")) == context_key(Context(segment="a"))


def test_threads_sharing_an_inventory_answer_as_one_thread(demo: odedelta.Catalog) -> None:
    engine = Engine(demo, odedelta.load_rules(ROOT / "rules", demo))
    jobs = [(name, request, as_of, context) for name, request in REQUESTS for as_of in MOMENTS
            for context in CONTEXTS[:3]] * 3
    expected = [_answer(engine, _fresh(demo, name), request, as_of, context)
                for name, request, as_of, context in jobs]
    shared = {name: _fresh(demo, name) for name, _ in REQUESTS}
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda job: _answer(engine, shared[job[0]], *job[1:]), jobs))
    assert found == expected


def test_an_inventory_without_a_dict_remembers_nothing(demo: odedelta.Catalog) -> None:
    from odedelta.rules.facts import remembered

    calls = []

    class Slotted:
        __slots__ = ()

    for _ in range(2):
        assert remembered(Slotted(), demo, ("x",), lambda: calls.append(1) or 7) == 7  # type: ignore[arg-type]
    assert calls == [1, 1]


def test_what_is_asked_again_is_kept_longest(demo: odedelta.Catalog, dearer: odedelta.Catalog) -> None:
    from odedelta.rules.facts import _ASKED, remembered

    inventory = _fresh(demo, "alice")
    calls: list[str] = []
    assert remembered(inventory, demo, ("once",), lambda: calls.append("once") or 0) == 0
    held: dict[Any, Any] = vars(inventory)["_answers"]
    assert [answer for _, answer in held.values()] == [_ASKED]  # asked once: only the question is kept
    for i in range(3 * INVENTORY_MEMO_SIZE):  # a qualification: one bill before, many targets
        assert remembered(inventory, demo, ("hot",), lambda: calls.append("hot") or 1) == 1
        assert remembered(inventory, demo, ("cold", i), lambda: calls.append("cold") or 0) == 0
    assert calls.count("hot") == 2  # asked, then kept from the second time on
    assert calls.count("cold") == 3 * INVENTORY_MEMO_SIZE
    assert remembered(inventory, dearer, ("hot",), lambda: 2) == 2  # another catalog: asked again


def test_plain_facts_read_their_sections_and_copy_the_facts_only_when_asked(demo: odedelta.Catalog) -> None:
    from odedelta.rules.facts import engine_facts

    book = odedelta.load_rules(ROOT / "rules", demo)
    assert "vip" in book.attribute_types
    inventory = _fresh(demo, "alice")
    facts = change_facts(demo, inventory, product_id="F-1", target_id="po-fiber-300", as_of=MOMENTS[0],
                         context=Context(), kind="change_offer")
    for context in [Context(), Context(segment="business"), Context(attributes={"vip": True}),
                    Context(attributes={"vip": "false"})]:
        plain = book.plain_facts(facts, context)
        assert plain.of() == engine_facts(facts, context, book.used_facts, book.attribute_types)
        assert plain.facts is facts
    replaced = plain.replaced(item=facts.item.model_copy(update={"action": "delete"}))
    assert replaced.section("item").action == "delete" and replaced.section("target") is facts.target
    assert replaced.facts.item.action == "delete" and plain.facts.item.action is None
    assert replaced.facts is replaced.facts  # copied once
    assert replaced.of() == engine_facts(replaced.facts, plain.context, book.used_facts, book.attribute_types)


def test_fact_sections_made_without_validation_are_the_validated_values() -> None:
    import datetime as dt
    from decimal import Decimal

    from odedelta.rules import facts as f

    given: dict[type[Any], list[dict[str, Any]]] = {
        f.TermFacts: [{"recorded": True, "active": True, "expired": False, "duration_months": 24, "months_elapsed": 3,
                       "months_remaining": 21, "days_to_end": 640, "start": dt.date(2025, 6, 1),
                       "end": dt.date(2027, 6, 1)}, {}],
        f.CustomerFacts: [{"segment": "residential", "tenure_months": 9, "products": 2}, {"segment": None}],
        f.ChangeFacts: [{"kind": "change_offer", "direction": "downgrade", "price_difference": Decimal("-10.5")}],
        f.ItemFacts: [{"action": "modify", "offering": "po-x", "reasons": ("offering_changed",)}, {}],
        f.PromotionFacts: [{"lost": ("promo-1",), "gained": ()}, {"id": "promo-2"}],
        f.Facts: [{"as_of": dt.date(2026, 3, 1)},
                  {"as_of": dt.date(2026, 3, 1), "customer": f.CustomerFacts(segment="b"), "term": f.TermFacts(),
                   "change": f.ChangeFacts(kind="renew"), "projected": f.ProjectedFacts(offerings=("a", "b"))}],
    }
    for model, cases in given.items():
        for values in cases:
            fast, checked = f.made(model, **values), model(**values)
            assert fast == checked and type(fast) is model
            assert list(vars(fast)) == list(vars(checked)) and fast.model_fields_set == checked.model_fields_set
            assert fast.model_dump() == checked.model_dump() and repr(fast) == repr(checked)
            assert hash(fast) == hash(checked)
    with pytest.raises(TypeError, match="TermFacts has no field months"):
        f.made(f.TermFacts, months=3)  # a bug, said: not a section silently without it


def test_the_repeated_hour_when_clocks_go_back_is_two_moments(demo: odedelta.Catalog) -> None:
    """01:30 in New York on 2026-11-01 happens twice (``fold`` 0 and 1 compare equal, an hour apart): a term ending
    at 06:00Z between them has not ended at the first and has at the second, and an inventory asked at the first
    answers the second as a fresh one does."""
    from zoneinfo import ZoneInfo

    engine = Engine(demo, odedelta.load_rules(ROOT / "rules", demo))
    document = json.loads((DEMO / "inventories" / "alice.json").read_text(encoding="utf-8"))
    for product in document:
        if product["id"] == "F-1":
            product["productTerm"][0]["validFor"]["endDateTime"] = "2026-11-01T06:00:00Z"
    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    second = first.replace(fold=1)
    assert first == second and second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert moment_key(first) != moment_key(second)
    request = ChangeOffer(product="F-1", to="po-fiber-1000")

    def answer(inventory: odedelta.Inventory, as_of: datetime) -> str:
        return odedelta.dumps(odedelta.to_dict(engine.change(inventory, request, as_of=as_of)))

    fresh = answer(odedelta.Inventory.from_document(demo, document), second)
    asked = odedelta.Inventory.from_document(demo, document)
    before = [answer(asked, first) for _ in range(2)]  # the second ask is the one remembered
    assert before[0] != fresh  # the term still runs at the first 01:30: a different answer
    assert answer(asked, second) == fresh
