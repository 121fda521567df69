"""The rules' part in one change for people and machines: :func:`explanation_text` (``odedelta explain``) and
:func:`explanation_dict` (``--format json``) of a :class:`~odedelta.flows.explain.RulesExplanation`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from odedelta.flows.explain import STATUSES, Check, RulesExplanation
from odedelta.rules.facts import visible
from odedelta.rules.trace import shown


def explanation_text(explanation: RulesExplanation, *, facts: bool = False) -> str:
    """The explanation for people: fired rules with the facts they read, rules that matched without deciding,
    rules that did not fire with the first false part, and the kinds never asked."""
    lines = [f"Rules on {explanation.title}"]
    if explanation.refused:
        lines.append(f"Refused: {explanation.refused}")
    headings = {"fired": "Fired", "matched": "Matched but did not decide", "not_fired": "Did not fire",
                "not_evaluated": "Not asked"}
    for status in STATUSES:
        group = explanation.of_status(status)
        if not group:
            continue
        lines += ["", f"{headings[status]} ({len(group)}):"]
        for rule in group:
            period = f", in force {rule.valid_for}" if rule.valid_for else ""
            lines.append(f"  {rule.rule_id} ({rule.kind}, priority {rule.priority}{period}, {rule.where}): "
                         f"{rule.why}")
            if status == "fired" and rule.when:
                used = next(c for c in rule.checks if c.held)
                lines.append(f"      when {rule.when}")
                lines.append("      facts: " + ", ".join(f"{n} = {shown(v)}" for n, v in used.facts))
            elif status == "not_fired":
                said = {_false(rule.checks[0])}
                for check in rule.checks[1:]:
                    text = _false(check)
                    if text not in said:
                        said.add(text)
                        lines.append(f"      on {explanation.questions[check.question].subject}: {text}")
    if facts:
        lines += ["", "Facts (each question after the first: what differs from the first):"]
        first: dict[str, Any] | None = None
        printed: list[dict[str, Any]] = []
        for question in explanation.questions:
            kinds = [q.kind for q in explanation.questions if q.facts == question.facts]
            flat = {n: v for n, v in _flat(question.facts) if any(visible(k, n) for k in kinds)}
            if flat in printed:
                continue
            printed.append(flat)
            shown_facts = flat if first is None else {n: v for n, v in flat.items() if first.get(n) != v}
            first = first if first is not None else flat
            lines.append(f"  {question.subject} (asked of {', '.join(dict.fromkeys(kinds))} rules):")
            lines += [f"    {name} = {shown(value)}" for name, value in shown_facts.items()]
    return "\n".join(lines) + "\n"


def _false(check: Check) -> str:
    part = check.false_part
    if part is None:
        return ""
    values = ", ".join(f"{name} was {shown(value)}" for name, value in part.facts)
    return f"{part.text} was false" + (f": {values}" if values else "")


def _flat(facts: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in facts.items():
        if isinstance(value, Mapping):
            out += _flat(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out


def explanation_dict(explanation: RulesExplanation, *, facts: bool = False) -> dict[str, Any]:
    """The explanation as JSON-ready data (``facts``: with every question's facts)."""

    def check(c: Check) -> dict[str, Any]:
        out: dict[str, Any] = {"question": c.question, "held": c.held, "facts": dict(c.facts)}
        if c.false_part is not None:
            out["falsePart"] = {"condition": c.false_part.text, "facts": dict(c.false_part.facts)}
        return out

    data: dict[str, Any] = {
        "change": explanation.title,
        "refused": explanation.refused,
        "fired": explanation.fired,
        "rules": [{"id": r.rule_id, "key": r.key, "kind": r.kind, "where": r.where, "priority": r.priority,
                   "validFor": r.valid_for, "when": r.when,
                   "status": r.status, "why": r.why, "checks": [check(c) for c in r.checks]}
                  for r in explanation.rules],
        "questions": [{"kind": q.kind, "subject": q.subject, "executorHits": list(q.executor_hits),
                       **({"facts": dict(q.facts)} if facts else {})} for q in explanation.questions],
    }
    document: dict[str, Any] = _json(data)
    return document


def _json(value: Any) -> Any:
    """Dates as ISO text (the JSON writer keeps Decimals exact and writes date-times itself)."""
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value
