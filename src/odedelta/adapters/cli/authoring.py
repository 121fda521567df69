"""The authors' commands: ``odedelta check`` (catalog, rules and inventories), ``test`` (scenario files),
``schema`` (the rule and scenario file schemas for editors) and ``facts`` (what rule conditions can read)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from odedelta.adapters.cli.common import _executor_factory, _executor_option
from odedelta.adapters.cli.errors import UsageError, problem_dict
from odedelta.model.errors import OdeDeltaError, Problem
from odedelta.model.jsonio import dumps

if TYPE_CHECKING:
    from odedelta.adapters.scenario import Outcome
    from odedelta.rules import Executor


def _check(args: argparse.Namespace) -> int:
    from odedelta.adapters.files import load_catalog, load_inventory, load_rules

    make = _executor_factory(args)
    if args.analyze:
        return _analyze(args)
    if args.format == "json":
        return _check_json(args, make)
    catalog = load_catalog(args.catalog)  # text: each line as soon as it is known
    verdict = "OK" if not catalog.warnings else (
        f"{len(catalog.warnings)} {'error' if args.strict else 'warning'}(s)")
    print(f"{args.catalog}: {verdict} — " + ", ".join(f"{n} {kind}" for kind, n in catalog.counts().items()))
    for warning in catalog.warnings:
        print(f"  {'error' if args.strict else 'warning'}: {warning}")
    if args.strict and catalog.warnings:
        return 1
    if args.rules is not None:
        book = load_rules(args.rules, catalog, make() if make else None)
        kinds = ", ".join(f"{sum(r.kind == k for r in book.rules)} {k}" for k in book.kinds)
        print(f"{args.rules}: OK — {len(book.rules)} rules ({kinds}); executor: {book.executor_name}")
    for path in args.inventory or []:
        inventory = load_inventory(path, catalog)
        print(f"{path}: OK — {len(inventory.products)} products, {len(inventory.roots())} top-level")
    return 0


def _analyze(args: argparse.Namespace) -> int:
    """``check --analyze``: the rules' problems and the analysis' findings (text or JSON); exit 1 on any problem
    or error finding (warnings and notes do not fail)."""
    from odedelta.adapters.files import analyze_rules, load_catalog

    if args.rules is None:
        raise UsageError("--analyze needs a RULES_DIR to analyse")
    problems, analysis = analyze_rules(args.rules, load_catalog(args.catalog))
    if args.format == "json":
        sys.stdout.write(dumps({**analysis.as_dict(), "ok": not problems and not analysis.errors,
                                "problems": [problem_dict(p) for p in problems]}))
    else:
        for problem in problems:
            print(problem)
        print(analysis.text())
    return 1 if problems or analysis.errors else 0


def _check_json(args: argparse.Namespace, make: Callable[[], Executor] | None) -> int:
    """``check --format json``: every problem as an object (file, line, column, path, message, suggestion), for
    editors; exit 1 when there is any."""
    from odedelta.adapters.files import load_catalog, load_inventory, load_rules

    checked: list[dict[str, object]] = []
    problems: list[Problem] = []
    warnings: list[Problem] = []
    try:
        catalog = load_catalog(args.catalog)
        checked.append({"file": str(args.catalog), "kind": "catalog", "counts": catalog.counts()})
        if args.rules is not None:
            book = load_rules(args.rules, catalog, make() if make else None)
            checked.append({"file": str(args.rules), "kind": "rules", "rules": len(book.rules),
                            "executor": book.executor_name})
        for path in args.inventory or []:
            inventory = load_inventory(path, catalog)
            checked.append({"file": str(path), "kind": "inventory", "products": len(inventory.products)})
    except OdeDeltaError as exc:
        problems = list(exc.problems) or [Problem("", "$", str(exc))]
    else:
        if args.strict:  # --strict: what is loaded but used by nothing, and defaults applied, are errors
            problems = list(catalog.warnings)
        else:
            warnings = catalog.warnings
    sys.stdout.write(dumps({"ok": not problems, "checked": checked,
                            "problems": [problem_dict(p) for p in problems],
                            "warnings": [problem_dict(p) for p in warnings]}))
    return 1 if problems else 0


def _schema(args: argparse.Namespace) -> int:
    from odedelta import rules as rule_files
    from odedelta.adapters import scenario as scenario_files

    source = scenario_files if args.scenarios or args.which == "scenario" else rule_files
    if args.write is None:
        sys.stdout.write(dumps(source.json_schema()))
        return 0
    if not args.write.is_dir():
        raise UsageError(f"--write {args.write}: no such directory (give the directory of your "
                         f"{'scenario' if args.scenarios else 'rule'} files)")
    target = args.write / source.SCHEMA_FILE
    target.write_text(dumps(source.json_schema()), encoding="utf-8")
    print(f"wrote {target}")
    return 0


def _facts(_args: argparse.Namespace) -> int:
    from odedelta.rules.facts import reference_markdown

    sys.stdout.write(reference_markdown())
    return 0


def _test(args: argparse.Namespace) -> int:
    from odedelta.adapters.scenario import Runner

    text = args.format == "text"

    def show(outcome: Outcome) -> None:  # each scenario as soon as it is known
        for line in outcome.lines():
            print(line, flush=True)

    run = Runner(_executor_factory(args)).run(args.paths, show if text else None)
    if text:
        for line in run.summary_lines():  # rule coverage, then the closing line
            print(line)
    else:
        sys.stdout.write(dumps(run.to_dict()))
    if args.junit_xml is not None:
        args.junit_xml.write_text(run.junit_xml(), encoding="utf-8")
    return 0 if run.failed == 0 and run.outcomes else 1


def add_parsers(sub: Any) -> None:
    """``check``, ``test``, ``schema`` and ``facts``."""
    check = sub.add_parser(
        "check",
        help="validate a catalog (and inventories) and print a summary or every problem",
        description="Load a catalog directory and optionally inventory files; print counts by kind, or every "
        "problem with its file, line and JSON path. Exit 0 when valid, 1 otherwise.",
    )
    check.add_argument("catalog", type=Path, metavar="CATALOG_DIR",
                       help="directory of TMF620/TMF671 JSON or YAML files")
    check.add_argument("rules", type=Path, nargs="?", metavar="RULES_DIR",
                       help="a directory of rule files to check against the catalog")
    check.add_argument("--inventory", type=Path, action="append", metavar="FILE",
                       help="a TMF637 product list to check against the catalog (repeatable)")
    check.add_argument("--strict", action="store_true",
                       help="warnings (prices attached to no offering, promotions naming nothing, unused "
                            "specifications, defaults applied) are errors: exit 1")
    check.add_argument("--format", choices=["text", "json"], default="text",
                       help="text (default), or JSON: every problem as an object (file, line, column, path, message, "
                       "suggestion) for editors")
    check.add_argument("--analyze", action="store_true",
                       help="also analyse the rules: overlaps, masked and subsumed rules, gaps, conditions always "
                       "true or false, each with a counterexample (exit 1 on errors)")
    _executor_option(check)
    check.set_defaults(run=_check)

    test = sub.add_parser(
        "test",
        help="run scenario files and report each scenario, ending with 'N passed, N failed'",
        description="Run every *.yaml scenario file in PATH (files or directories). One line per scenario, the "
        "differences under a failure, then 'N passed, N failed'. Exit 1 when any scenario fails or none ran.",
    )
    test.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or directories")
    _executor_option(test)
    test.add_argument("--format", choices=["text", "json"], default="text",
                      help="text: each scenario as it finishes, then the rule coverage and 'N passed, N failed' "
                      "(default); json: the whole run as one JSON object at the end")
    test.add_argument("--junit-xml", type=Path, metavar="FILE",
                      help="also write the results as JUnit XML (the file pytest writes and CI servers read)")
    test.set_defaults(run=_test)
    _add_schema_and_facts(sub)


def _add_schema_and_facts(sub: Any) -> None:
    schema = sub.add_parser("schema", help="print the JSON schema of rule (or scenario) files, or write it beside them",
                            description="Print the JSON schema of rule files (--scenarios: of scenario files), for "
                            "editors' autocompletion; --write DIR puts it in DIR under the name the files' "
                            "yaml-language-server modeline points at.")
    schema.add_argument("--write", type=Path, metavar="DIR", help="write the schema file into DIR (your rules)")
    schema.add_argument("--scenarios", action="store_true",
                        help="the schema of scenario files instead (scenarios-v1.schema.json)")
    schema.add_argument("which", nargs="?", choices=["rules", "scenario"], default="rules",
                        help="rules (default) or scenario (the same as --scenarios)")
    schema.set_defaults(run=_schema)

    facts = sub.add_parser("facts", help="print the reference page of facts rules can read (docs/facts.md)",
                           description="Print the reference page of the facts rule conditions can read.")
    facts.set_defaults(run=_facts)
