"""A promotion's terms as a bill judges them: patterns joined by OR, each pattern's groups by its relationship,
each group's criteria by theirs — the loops that stop at the first deciding criterion answer as the definition
(``any``/``all`` over every pattern, group and criterion) on every shape, empty ones included."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import odedelta
from odedelta.model.compiled import compiled
from odedelta.model.graph import CATEGORY, OFFERING, SPECIFICATION
from odedelta.model.requests import Context
from odedelta.money.bill import _HELD, _NEVER, _SEGMENT, _holding, _Judgments, _met, _Terms, promotion_applies

from .conftest import DEMO

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
HELD = {OFFERING: {"o1", "o2"}, SPECIFICATION: {"s1"}, CATEGORY: {"c1"}}
CONTEXT = Context(segment="residential")

criteria = st.one_of(
    st.tuples(st.just(_HELD), st.sampled_from([OFFERING, SPECIFICATION, CATEGORY]),
              st.frozensets(st.sampled_from(["o1", "o3", "s1", "c2"]), max_size=2), st.booleans()),
    st.tuples(st.just(_SEGMENT), st.just("segment"), st.frozensets(st.sampled_from(["residential", "business"]),
                                                                   max_size=2), st.booleans()),
    st.tuples(st.just(_NEVER), st.just(""), st.just(frozenset()), st.booleans()),
)
groups = st.tuples(st.booleans(), st.lists(criteria, max_size=3).map(tuple))
patterns = st.tuples(st.just(None), st.booleans(), st.lists(groups, max_size=3).map(tuple))


def _defined(patterns: tuple[Any, ...]) -> bool:
    """TMF671 as the module defines it: one pattern whose groups (OR or AND) of criteria (OR or AND) hold."""
    for _valid_for, either, pattern_groups in patterns:
        results = [any(_met(c, HELD, CONTEXT) for c in crits) if any_of else all(_met(c, HELD, CONTEXT) for c in crits)
                   for any_of, crits in pattern_groups]
        if any(results) if either else all(results):
            return True
    return False


@given(st.lists(patterns, max_size=3).map(tuple))
def test_terms_apply_as_defined(shape: tuple[Any, ...]) -> None:
    terms = _Terms(None, True, None, shape, (), frozenset())  # type: ignore[arg-type]
    assert terms.applies(HELD, CONTEXT, AS_OF) is _defined(shape)


def test_an_unsellable_or_expired_promotion_never_applies() -> None:
    from odedelta.model.records import TimePeriod

    always = ((None, False, ()),)
    assert _Terms(None, True, None, always, (), frozenset()).applies(HELD, CONTEXT, AS_OF)  # type: ignore[arg-type]
    assert not _Terms(None, False, None, always, (), frozenset()).applies(  # type: ignore[arg-type]
        HELD, CONTEXT, AS_OF)
    ended = TimePeriod(None, None, None, None, datetime(2025, 1, 1, tzinfo=UTC), None)
    assert not _Terms(None, True, ended, always, (), frozenset()).applies(  # type: ignore[arg-type]
        HELD, CONTEXT, AS_OF)
    assert not _Terms(None, True, None, ((ended, False, ()),), (), frozenset()).applies(  # type: ignore[arg-type]
        HELD, CONTEXT, AS_OF)


# ------------------------------------------------------- judgments remembered per catalog, by what they read


def _with_promotions_reading_more(tmp: Path) -> odedelta.Catalog:
    """The demo catalog with three promotions more: one reads a specification and an attribute, one a category
    (OR a segment), one has a pattern valid for a month only."""
    for path in DEMO.glob("*.json"):
        shutil.copy(path, tmp / path.name)
    promotions = json.loads((DEMO / "promotion.json").read_text())

    def promotion(pid: str, groups: list[list[tuple[str, str, str]]], relation: str, target: str,
                  valid_for: dict[str, str] | None = None) -> dict[str, Any]:
        return {"id": pid, "name": pid, "lifecycleStatus": "active", "pattern": [{
            "criteriaGroupLogicalRelationship": relation, **({"validFor": valid_for} if valid_for else {}),
            "criteriaGroup": [{"criteria": [{"criteriaParameter": p, "criteriaOperator": o, "criteriaValue": v}
                                            for p, o, v in group]} for group in groups],
            "action": [{"actionType": "discount", "actionValue": "10%",
                        "actionEntityRef": {"id": target, "@referredType": "ProductOffering"}}]}]}

    promotions += [
        promotion("promo-x-spec", [[("productSpecification.id", "=", "ps-voicemail")],
                                   [("customer.loyalty", "in", "gold,silver")]], "AND", "po-mobile-m"),
        promotion("promo-x-category", [[("category.id", "=", "cat-fiber")], [("customer.segment", "=", "business")]],
                  "OR", "po-streaming-vas"),
        promotion("promo-x-month", [[("productOffering.id", "!=", "po-mobile-s")]], "AND", "po-mobile-classic",
                  {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}),
    ]
    (tmp / "promotion.json").write_text(json.dumps(promotions))
    return odedelta.load_catalog(tmp)


MOMENTS = [datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC), datetime(2026, 2, 28, 23, tzinfo=UTC),
           datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, 23, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC),
           datetime(2030, 1, 1, tzinfo=UTC)]


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> list[odedelta.Catalog]:
    return [odedelta.load_catalog(DEMO), _with_promotions_reading_more(tmp_path_factory.mktemp("reading-more"))]


CONTEXTS = [Context(), Context(segment="business"), Context(segment="residential", attributes={"loyalty": "gold"}),
            Context(segment="residential", attributes={"loyalty": "bronze", "other": 1}),
            Context(attributes={"loyalty": "silver"})]


@settings(max_examples=40)
@given(data=st.data())
def test_a_remembered_judgment_is_the_judgment(catalogs: list[odedelta.Catalog], data: st.DataObject) -> None:
    """The promotions a bill finds applying through the catalog's table of judgments are those the definition
    gives — every promotion the offerings held bring in, in id order, that applies (``promotion_applies`` over
    what is held) and discounts an offering held — for a holding in every context, at every moment, with and
    without a specification, whether asked first or answered from the table: the moments, contexts and
    specifications a judgment does not read share its key (holdings drawn from a few offerings, named by
    promotions or not)."""
    catalog = data.draw(st.sampled_from(catalogs))
    pool = ["po-mobile-m", "po-mobile-classic", "po-streaming-vas", "po-fiber-500", "po-business-fiber-1000",
            "po-security-vas", "po-fiber-300"]
    offerings = data.draw(st.sets(st.sampled_from(pool), max_size=4))
    unnamed = data.draw(st.sampled_from(["po-fiber-100", "po-mobile-s", "po-unknown"]))  # named by no promotion
    tables = compiled(catalog)
    judgments = _Judgments(catalog)  # a table of its own: each example meets its keys afresh
    for holding, specifications, context, as_of in itertools.product(
            [offerings, offerings | {unnamed}], [set(), {"ps-voicemail"}], CONTEXTS, MOMENTS):
        held = _holding(tables, set(holding), specifications)
        brought = {pid for offering in holding for pid in tables.promotions(offering)}
        expected = [pid for pid in sorted(brought)
                    if promotion_applies(catalog.promotions[pid], held, context, as_of)
                    and any(targets & holding for targets, _ in _Terms.in_catalog(catalog, pid).actions)]
        found = judgments.applying(catalog, set(holding), set(specifications) if judgments.beyond else None,
                                   context, as_of)
        assert [terms.promotion.id for terms in found] == expected, (holding, specifications, context, as_of)
