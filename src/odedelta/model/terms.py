"""A product's commitment terms over time: which one is current, and how a new one joins them without overlap.

Conventions (documentation: how-to/renewals.md):

* the terms of one product never overlap: a new term that starts before the current one ends closes it at its start
  (its ``validFor.end`` becomes the new start — an end-of-sale renewal or a re-engagement starts a term on the day
  of the change), and a term recorded to start on or after the new one (a renewal not yet begun) is superseded and
  dropped;
* the current term at a moment is the latest *started* one (start on or before the moment), whether or not it has
  ended; before any has started, the first to start; a renewal follows the last term (the latest start), so a
  product renewed once cannot be renewed again until the window of its new term opens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from odedelta.model.tmf import ProductTerm, TmfModel

P = TypeVar("P", bound=TmfModel)
_new = object.__new__
_write = object.__setattr__


def _start(term: ProductTerm) -> datetime | None:
    return term.valid_for.start if term.valid_for is not None else None


def current_term(terms: list[ProductTerm], as_of: datetime) -> ProductTerm | None:
    """The latest started term at ``as_of``; before any starts, the first to start; else the first recorded."""
    if len(terms) == 1:  # every rule below picks the one term there is (most products have one)
        return terms[0]
    dated = [(start, index, term) for index, term in enumerate(terms) if (start := _start(term)) is not None]
    started = [entry for entry in dated if entry[0] <= as_of]
    if started:
        return max(started, key=lambda e: (e[0], e[1]))[2]
    if dated:
        return min(dated, key=lambda e: (e[0], e[1]))[2]
    return terms[0] if terms else None


def last_term(terms: list[ProductTerm]) -> ProductTerm | None:
    """The term that starts last (the one a renewal follows)."""
    dated = [(start, index, term) for index, term in enumerate(terms) if (start := _start(term)) is not None]
    if dated:
        return max(dated, key=lambda e: (e[0], e[1]))[2]
    return terms[-1] if terms else None


def add_term(terms: list[ProductTerm], new: ProductTerm) -> list[ProductTerm]:
    """``terms`` followed by ``new``, with no overlap: a term running at the new start ends there, a term starting
    on or after it is dropped (superseded before it began)."""
    begin = _start(new)
    if begin is None:
        return [*terms, new]
    out = []
    for term in terms:
        start = _start(term)
        if start is not None and start >= begin:
            continue
        period = term.valid_for
        if period is not None and (period.end is None or period.end > begin):
            term = copied(term, "valid_for", copied(period, "end", begin))
        out.append(term)
    return [*out, new]


def copied(part: P, name: str, value: Any) -> P:
    """``part.model_copy(update={name: value})`` for a field ``name`` of the part: the same shallow copy — its
    fields with ``value`` in place, its unknown fields and fields set copied (as ordinary ones: a part held
    read-only gives a copy that is not), ``name`` among those set — made directly, at two thirds of the cost (a
    re-engagement closes the current term: a campaign does it for half its changes). A part with private
    attributes (no TMF part has any) is copied by pydantic itself."""
    if part.__pydantic_private__ is not None or name not in type(part).model_fields:
        return part.model_copy(update={name: value})
    made: P = _new(type(part))
    fields = dict(part.__dict__)
    fields[name] = value
    _write(made, "__dict__", fields)
    extra = part.__pydantic_extra__
    _write(made, "__pydantic_extra__", dict(extra) if extra is not None else None)
    fields_set = set(part.__pydantic_fields_set__)
    fields_set.add(name)
    _write(made, "__pydantic_fields_set__", fields_set)
    _write(made, "__pydantic_private__", None)
    return made


def overlapping(terms: list[ProductTerm]) -> list[tuple[int, int]]:
    """Index pairs of terms whose periods overlap (empty when the terms are consistent)."""
    periods = [(i, t.valid_for.start, t.valid_for.end) for i, t in enumerate(terms)
               if t.valid_for is not None and t.valid_for.start is not None]
    pairs = []
    for a in range(len(periods)):
        for b in range(a + 1, len(periods)):
            (i, s1, e1), (j, s2, e2) = periods[a], periods[b]
            if (e1 is None or s2 < e1) and (e2 is None or s1 < e2):
                pairs.append((i, j))
    return pairs
