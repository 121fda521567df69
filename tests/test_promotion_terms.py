"""A promotion's terms as a bill judges them: patterns joined by OR, each pattern's groups by its relationship,
each group's criteria by theirs — the loops that stop at the first deciding criterion answer as the definition
(``any``/``all`` over every pattern, group and criterion) on every shape, empty ones included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from odedelta.model.graph import CATEGORY, OFFERING, SPECIFICATION
from odedelta.model.requests import Context
from odedelta.money.bill import _HELD, _NEVER, _SEGMENT, _met, _Terms

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
