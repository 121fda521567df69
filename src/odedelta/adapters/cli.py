"""The ``odedelta`` command: an adapter that reads files, calls the core and prints. Exit codes: 0 success,
1 the input is refused or a scenario failed, 2 the command line is wrong."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from datetime import UTC, datetime

from odedelta.flows.engine import Engine
from odedelta.outputs.json import change_dict, qualification_dict
from odedelta.outputs.report import explain, explain_qualification
from odedelta.outputs.tmf622 import product_order
from odedelta.outputs.tmf679 import qualification_document
from odedelta.model.errors import OdeDeltaError, Problem, RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.jsonio import dumps
from odedelta.adapters.files import load_catalog, load_inventory
from odedelta.model.requests import (
    Acquire,
    AddOffering,
    ChangeOffer,
    Context,
    ModifyCharacteristics,
    RemoveProduct,
    Renew,
    Request,
    TerminateProduct,
)
from odedelta.adapters.scenario import Outcome, Runner
from odedelta.adapters.scenario import json_schema as scenario_schema
from odedelta.rules import ReferenceExecutor, default_executor, json_schema
from odedelta.rules.facts import reference_markdown
from odedelta.adapters.files import load_rules


def _check(args: argparse.Namespace) -> int:
    if args.format == "json":
        return _check_json(args)
    catalog = load_catalog(args.catalog)
    counts = ", ".join(f"{n} {kind}" for kind, n in catalog.counts().items())
    print(f"{args.catalog}: OK — {counts}")
    if args.rules is not None:
        book = load_rules(args.rules, catalog)
        kinds = ", ".join(f"{sum(r.kind == k for r in book.rules)} {k}" for k in book.kinds)
        print(f"{args.rules}: OK — {len(book.rules)} rules ({kinds}); executor: {book.executor_name}")
    for path in args.inventory or []:
        inventory = load_inventory(path, catalog)
        print(f"{path}: OK — {len(inventory.products)} products, {len(inventory.roots())} top-level")
    return 0


def _check_json(args: argparse.Namespace) -> int:
    """``check --format json``: every problem as an object (file, line, column, path, message, suggestion), for
    editors; exit 1 when there is any."""
    checked: list[dict[str, object]] = []
    problems: list[Problem] = []
    try:
        catalog = load_catalog(args.catalog)
        checked.append({"file": str(args.catalog), "kind": "catalog", "counts": catalog.counts()})
        if args.rules is not None:
            book = load_rules(args.rules, catalog)
            checked.append({"file": str(args.rules), "kind": "rules", "rules": len(book.rules)})
        for path in args.inventory or []:
            inventory = load_inventory(path, catalog)
            checked.append({"file": str(path), "kind": "inventory", "products": len(inventory.products)})
    except OdeDeltaError as exc:
        problems = list(exc.problems) or [Problem("", "$", str(exc))]
    sys.stdout.write(dumps({"ok": not problems, "checked": checked,
                            "problems": [problem_dict(p) for p in problems]}))
    return 1 if problems else 0


def problem_dict(problem: Problem) -> dict[str, object]:
    """A problem for editor integrations; a suggestion written into the message (`` — did you mean 'x'?``) is
    given on its own too."""
    message, suggestion = problem.message, problem.suggestion
    if suggestion is None and " — " in message:
        message, _, suggestion = message.partition(" — ")
    return {"file": problem.file, "line": problem.line, "column": problem.column, "path": problem.path,
            "message": message, "suggestion": suggestion}


def _as_of(text: str | None) -> datetime:
    """The edge reads the clock when no ``--as-of`` is given; the core never does."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RequestError(f"--as-of {text!r} is not an ISO-8601 date-time (e.g. 2026-03-01T00:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _choices(pairs: Sequence[str], default_key: str) -> dict[str, dict[str, object]]:
    """``NAME=VALUE`` (for the request's product or offering) or ``KEY:NAME=VALUE`` (KEY a product or offering)."""
    out: dict[str, dict[str, object]] = {}
    for pair in pairs:
        if "=" not in pair:
            raise RequestError(f"--set {pair!r}: expected NAME=VALUE or KEY:NAME=VALUE")
        name, value = pair.split("=", 1)
        key, _, name = name.rpartition(":")
        out.setdefault(key or default_key, {})[name] = value
    return out


def _request(args: argparse.Namespace) -> Request:
    request = _what(args)
    updates = {k: v for k, v in (("timing", args.timing), ("reengage", args.reengage)) if v is not None}
    return request.model_copy(update=updates) if updates else request


def _what(args: argparse.Namespace) -> Request:
    if args.renew is not None:
        return Renew(product=args.renew)
    if args.to is not None:
        if args.product is None:
            raise RequestError("--to needs --product (the installed product to change)")
        return ChangeOffer(product=args.product, to=args.to, set=_choices(args.set, args.product),
                           options=args.option)
    if args.add is not None:
        return AddOffering(offering=args.add, parent=args.parent, set=_choices(args.set, args.add))
    if args.remove is not None:
        return RemoveProduct(product=args.remove)
    if args.terminate is not None:
        return TerminateProduct(product=args.terminate)
    if args.acquire is not None:
        return Acquire(offering=args.acquire, set=_choices(args.set, args.acquire), options=args.option)
    if args.product is not None and args.set:
        return ModifyCharacteristics(product=args.product, characteristics=_choices(args.set, args.product)[args.product])
    raise RequestError("say what to change: --product ID --to OFFERING, --product ID --set NAME=VALUE, --add, "
                       "--remove, --terminate or --acquire")


def _engine(args: argparse.Namespace) -> tuple[Engine, Inventory]:
    catalog = load_catalog(args.catalog)
    rules = load_rules(args.rules, catalog) if args.rules else None
    inventory = load_inventory(args.inventory, catalog) if args.inventory else Inventory()
    return Engine(catalog, rules), inventory


def _context(args: argparse.Namespace) -> Context:
    attributes: dict[str, object] = {}
    for pair in args.attribute:
        name, sep, value = pair.partition("=")
        if not sep:
            raise RequestError(f"--attribute {pair!r}: expected NAME=VALUE")
        attributes[name] = {"true": True, "false": False}.get(value, value)
    return Context(segment=args.segment, attributes=attributes, billing_cycle_day=args.billing_day)


def _qualify(args: argparse.Namespace) -> int:
    engine, inventory = _engine(args)
    result = engine.qualify(inventory, args.product, as_of=_as_of(args.as_of), context=_context(args))
    return _write(args.format, lambda: explain_qualification(result), lambda: qualification_dict(result),
                  lambda: qualification_document(result))


def _write(form: str, text: Callable[[], str], data: Callable[[], object], document: Callable[[], object]) -> int:
    """Print one of a result's three faces: the text report, the full JSON, or the TMF document."""
    sys.stdout.write(text() if form == "text" else dumps(data() if form == "json" else document()))
    return 0


def _schema(args: argparse.Namespace) -> int:
    sys.stdout.write(dumps(scenario_schema() if args.which == "scenario" else json_schema()))
    return 0


def _facts(_args: argparse.Namespace) -> int:
    sys.stdout.write(reference_markdown())
    return 0


def _change(args: argparse.Namespace) -> int:
    engine, inventory = _engine(args)
    result = engine.change(inventory, _request(args), as_of=_as_of(args.as_of), context=_context(args))
    return _write(args.format, lambda: explain(result), lambda: change_dict(result),
                  lambda: product_order(result, args.tmf_version))


def _test(args: argparse.Namespace) -> int:
    executor = {"reference": ReferenceExecutor, "durable": default_executor, None: None}[args.executor]
    if args.executor == "durable" and default_executor().name != "durable-rules":
        raise RequestError("--executor durable: durable-rules cannot be imported here (Python 3.13+?)")
    text = args.format == "text"

    def show(outcome: Outcome) -> None:  # each scenario as soon as it is known
        for line in outcome.lines():
            print(line, flush=True)

    run = Runner(executor).run(args.paths, show if text else None)
    if text:
        for line in run.summary_lines():  # rule coverage, then the closing line
            print(line)
    else:
        sys.stdout.write(dumps(run.to_dict()))
    if args.junit_xml is not None:
        args.junit_xml.write_text(run.junit_xml(), encoding="utf-8")
    return 0 if run.failed == 0 and run.outcomes else 1


def _customer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", type=Path, metavar="DIR", help="a directory of rule files to apply")
    parser.add_argument("--segment", help="customer segment (e.g. residential, business), a fact for rules")
    parser.add_argument("--attribute", action="append", default=[], metavar="NAME=VALUE",
                        help="a free customer attribute for rules: customer.attributes.NAME (repeatable)")
    parser.add_argument("--billing-day", type=int, choices=range(1, 29), metavar="DAY",
                        help="the customer's billing cycle day (1-28): immediate changes are prorated to it")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odedelta",
        description="Compute what changes when a customer moves from their installed products to another offer.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser(
        "check",
        help="validate a catalog (and inventories) and print a summary or every problem",
        description="Load a catalog directory and optionally inventory files; print counts by kind, or every "
        "problem with its file, line and JSON path. Exit 0 when valid, 1 otherwise.",
    )
    check.add_argument("catalog", type=Path, metavar="CATALOG_DIR", help="directory of TMF620/TMF671 JSON or YAML files")
    check.add_argument("rules", type=Path, nargs="?", metavar="RULES_DIR",
                       help="a directory of rule files to check against the catalog")
    check.add_argument("--inventory", type=Path, action="append", metavar="FILE",
                       help="a TMF637 product list to check against the catalog (repeatable)")
    check.add_argument("--format", choices=["text", "json"], default="text",
                       help="text (default), or JSON: every problem as an object (file, line, column, path, message, "
                       "suggestion) for editors")
    check.set_defaults(run=_check)

    change = sub.add_parser(
        "change",
        help="compute the delta of one change request and print it as text, JSON or a TMF622 order",
        description="Compute what changes for a customer: every installed product the request touches "
        "(noChange, modify, delete) and every product it adds, with the reasons. Exit 1 with a one-line reason "
        "for an unknown product or offering, a value that is not allowed, or an offering not sellable at --as-of.",
    )
    change.add_argument("--catalog", type=Path, required=True, metavar="DIR", help="catalog directory")
    change.add_argument("--inventory", type=Path, metavar="FILE",
                        help="the customer's TMF637 products (omit for a customer with none)")
    change.add_argument("--as-of", metavar="ISO-8601", help="the moment of the change (default: now, UTC)")
    _customer_options(change)
    what = change.add_mutually_exclusive_group()
    what.add_argument("--to", metavar="OFFERING", help="with --product: move that product to OFFERING")
    what.add_argument("--add", metavar="OFFERING", help="add a product of OFFERING (under --parent, or top level)")
    what.add_argument("--remove", metavar="ID", help="remove a component and what it bundles")
    what.add_argument("--terminate", metavar="ID", help="terminate a product and everything it bundles")
    what.add_argument("--acquire", metavar="OFFERING", help="a new OFFERING from nothing")
    what.add_argument("--renew", metavar="ID", help="renew the commitment term of a product")
    change.add_argument("--product", metavar="ID", help="the installed product to change (with --to or --set)")
    change.add_argument("--parent", metavar="ID", help="with --add: the installed bundle to add to")
    change.add_argument("--set", action="append", default=[], metavar="[KEY:]NAME=VALUE",
                        help="a characteristic value; KEY (a product id or offering id) defaults to the request's "
                        "product or offering (repeatable)")
    change.add_argument("--option", action="append", default=[], metavar="OFFERING",
                        help="with --to or --acquire: an optional component to add (repeatable)")
    change.add_argument("--timing", choices=["immediate", "next_bill_cycle", "end_of_term"],
                        help="when the change takes effect (default: as a timing rule says, else immediately)")
    change.add_argument("--reengage", action="store_true", default=None,
                        help="the change restarts the commitment (a new term; no penalty)")
    change.add_argument("--format", choices=["text", "json", "tmf622"], default="text",
                        help="text report (default), the full result as JSON, or the TMF622 ProductOrder")
    change.add_argument("--tmf-version", type=int, choices=[4, 5], default=4, help="TMF622 version (default 4)")
    change.set_defaults(run=_change)

    qualify = sub.add_parser(
        "qualify",
        help="list every offering an installed product could change to, qualified or not, with the reasons",
        description="Every candidate offering for an installed product (catalog relationships, same category, "
        "successors, offerings named by rules), qualified or not with each reason and the rule or catalog "
        "element behind it, and the monthly price before and after. Output as text, JSON or a TMF679 "
        "ProductOfferingQualification (v4).",
    )
    qualify.add_argument("--catalog", type=Path, required=True, metavar="DIR", help="catalog directory")
    qualify.add_argument("--inventory", type=Path, required=True, metavar="FILE", help="the customer's products")
    qualify.add_argument("--product", required=True, metavar="ID", help="the installed product to change")
    qualify.add_argument("--as-of", metavar="ISO-8601", help="the moment of the change (default: now, UTC)")
    _customer_options(qualify)
    qualify.add_argument("--format", choices=["text", "json", "tmf679"], default="text",
                         help="text (default), JSON, or a TMF679 ProductOfferingQualification")
    qualify.set_defaults(run=_qualify)

    schema = sub.add_parser("schema", help="print the JSON schema of rule files (rules/rules.schema.json) or of "
                            "scenario files (catalogs/demo/scenarios/scenario.schema.json)",
                            description="Print the JSON schema of rule files (default) or scenario files, for "
                            "editors' autocompletion.")
    schema.add_argument("which", nargs="?", choices=["rules", "scenario"], default="rules",
                        help="rules (default) or scenario")
    schema.set_defaults(run=_schema)
    facts = sub.add_parser("facts", help="print the reference page of facts rules can read (docs/facts.md)",
                           description="Print the reference page of the facts rule conditions can read.")
    facts.set_defaults(run=_facts)

    test = sub.add_parser(
        "test",
        help="run scenario files and report each scenario, ending with 'N passed, N failed'",
        description="Run every *.yaml scenario file in PATH (files or directories). One line per scenario, the "
        "differences under a failure, then 'N passed, N failed'. Exit 1 when any scenario fails or none ran.",
    )
    test.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or directories")
    test.add_argument("--executor", choices=["durable", "reference"],
                      help="which rule executor runs the rules (default: durable-rules where it imports)")
    test.add_argument("--format", choices=["text", "json"], default="text",
                      help="text: each scenario as it finishes, then the rule coverage and 'N passed, N failed' "
                      "(default); json: the whole run as one JSON object at the end")
    test.add_argument("--junit-xml", type=Path, metavar="FILE",
                      help="also write the results as JUnit XML (the file pytest writes and CI servers read)")
    test.set_defaults(run=_test)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except OdeDeltaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
