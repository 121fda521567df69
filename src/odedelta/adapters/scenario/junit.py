"""A run of scenario files as JUnit XML, the format pytest writes and CI servers read: one testsuite per scenario
file, one testcase per scenario, a failure element with every difference; the rule coverage in system-out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol
from xml.etree import ElementTree


class Case(Protocol):
    """What a testcase shows of a scenario's outcome (:class:`~odedelta.adapters.scenario.results.Outcome`)."""

    @property
    def file(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def failures(self) -> list[str]: ...
    @property
    def seconds(self) -> float: ...
    @property
    def passed(self) -> bool: ...


def junit_xml(cases: Sequence[Case], summary: Iterable[str]) -> str:
    """The scenarios' outcomes, in run order, as a JUnit XML document (UTF-8, with its declaration), indented;
    ``summary`` (the rule coverage and the counts) goes in system-out."""
    root = ElementTree.Element("testsuites", name="odedelta scenarios", tests=str(len(cases)),
                               failures=str(sum(not c.passed for c in cases)), errors="0",
                               time=f"{sum(c.seconds for c in cases):.3f}")
    files: dict[str, list[Case]] = {}
    for outcome in cases:
        files.setdefault(outcome.file, []).append(outcome)
    for file, outcomes in files.items():
        suite = ElementTree.SubElement(root, "testsuite", name=file, tests=str(len(outcomes)),
                                       failures=str(sum(not o.passed for o in outcomes)), errors="0",
                                       skipped="0", time=f"{sum(o.seconds for o in outcomes):.3f}")
        for outcome in outcomes:
            case = ElementTree.SubElement(suite, "testcase", classname=file, name=outcome.name,
                                          time=f"{outcome.seconds:.3f}")
            if not outcome.passed:
                failure = ElementTree.SubElement(case, "failure", message=outcome.failures[0], type="scenario")
                failure.text = "\n".join(outcome.failures)
    out = ElementTree.SubElement(root, "system-out")
    out.text = "\n".join(summary)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
