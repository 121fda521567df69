"""A run of scenario files as JUnit XML, the format pytest writes and CI servers read: one testsuite per scenario
file, one testcase per scenario, a failure element with every difference; the rule coverage in system-out."""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree

if TYPE_CHECKING:  # results imports this module to give Run its junit_xml()
    from odedelta.adapters.scenario.results import Outcome, Run


def junit_xml(run: Run) -> str:
    """``run`` as a JUnit XML document (UTF-8, with its declaration), indented."""
    root = ElementTree.Element("testsuites", name="odedelta scenarios", tests=str(len(run.outcomes)),
                               failures=str(run.failed), errors="0",
                               time=f"{sum(o.seconds for o in run.outcomes):.3f}")
    files: dict[str, list[Outcome]] = {}
    for outcome in run.outcomes:
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
    out.text = "\n".join(run.summary_lines())
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
