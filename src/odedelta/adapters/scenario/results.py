"""What a run of scenario files found: each scenario's outcome, the rules it exercised, and the run's report as
text, as JSON and (through :mod:`~odedelta.adapters.scenario.junit`) as JUnit XML."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from odedelta.adapters.scenario.junit import junit_xml
from odedelta.rules import Rulebook


@dataclass
class Outcome:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)
    """The rules that took part in this scenario's answer."""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures

    def lines(self) -> Iterator[str]:
        yield f"{'PASS' if self.passed else 'FAIL'}  {self.file} :: {self.name}"
        for failure in self.failures:
            yield f"      {failure}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.name, "passed": self.passed, "failures": list(self.failures),
                "rules": sorted(self.rules)}


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    rulebooks: dict[str, Rulebook] = field(default_factory=dict)

    def unexercised(self) -> list[str]:
        """``file:line id`` of every rule no scenario exercised, rulebook by rulebook."""
        used = set().union(*(o.rules for o in self.outcomes)) if self.outcomes else set()
        return [f"{rule.where} {rule.id}" for book in self.rulebooks.values() for rule in book.rules
                if rule.id not in used]

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.passed

    def lines(self) -> Iterator[str]:
        for outcome in self.outcomes:
            yield from outcome.lines()
        yield from self.summary_lines()

    def coverage(self) -> list[dict[str, Any]]:
        """Per rulebook: how many rules some scenario exercised, and where each of the others is."""
        out = []
        for book_path, book in self.rulebooks.items():
            missing = [line for line in self.unexercised() if line.startswith(tuple(r.file for r in book.rules))]
            ids = {r.id for r in book.rules}  # the versions of an effective-dated rule are one rule
            unused = {line.rsplit(" ", 1)[1] for line in missing}
            out.append({"rules": book_path, "executor": book.executor_name, "total": len(ids),
                        "exercised": len(ids) - len(unused), "not_exercised": missing})
        return out

    def summary_lines(self) -> Iterator[str]:
        """Rule coverage, then ``N passed, N failed``."""
        for book in self.coverage():
            yield (f"rule coverage ({book['rules']}, {book['executor']}): {book['exercised']} of {book['total']} "
                   "rules exercised")
            for line in book["not_exercised"]:
                yield f"      not exercised: {line}"
        yield f"{self.passed} passed, {self.failed} failed"

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "failed": self.failed, "scenarios": [o.to_dict() for o in self.outcomes],
                "coverage": self.coverage()}

    def junit_xml(self) -> str:
        """The run as JUnit XML (the format pytest writes and CI servers read)."""
        return junit_xml(self.outcomes, self.summary_lines())
