"""The ``odedelta`` command: an adapter that reads files, calls the core and prints. Exit codes: 0 success,
1 the input is refused or a scenario failed, 2 the command line is wrong.

With ``--format`` json (or a TMF format), a refusal is also written to stdout as a JSON error object
(:func:`error_document`), so automation reads one stream; the sentence for people still goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from odedelta import campaigns  # light: dask and pyarrow are imported when a campaign runs
from odedelta import rules as rule_files
from odedelta._version import __version__
from odedelta.adapters import demo
from odedelta.adapters import scenario as scenario_files
from odedelta.adapters.files import load_catalog, load_inventory, load_rules
from odedelta.adapters.scenario import Outcome, Runner
from odedelta.flows.engine import Engine
from odedelta.flows.result import NotEligible, Refusal
from odedelta.model.errors import OdeDeltaError, Problem, RequestError
from odedelta.model.inventory import Inventory
from odedelta.model.jsonio import dumps
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
from odedelta.outputs.json import change_dict, qualification_dict
from odedelta.outputs.report import explain, explain_qualification
from odedelta.outputs.tmf622 import product_order
from odedelta.outputs.tmf679 import qualification_document
from odedelta.rules import EXECUTORS, Executor, executor_factory
from odedelta.rules.facts import reference_markdown


class UsageError(RequestError):
    """The command line is wrong (a value that cannot be read, a missing option): exit 2, like argparse's own."""

    exit_code = 2


def error_document(exc: OdeDeltaError) -> dict[str, Any]:
    """The JSON error object of a refusal: its type, exit code, one-sentence message, every located problem and,
    for a change the rules refuse, every refusing rule."""
    error: dict[str, Any] = {
        "type": type(exc).__name__,
        "exitCode": exc.exit_code,
        "message": str(exc.args[0]) if exc.args else str(exc),
        "problems": [{k: v for k, v in (("file", p.file), ("line", p.line), ("column", p.column), ("path", p.path),
                                        ("message", p.message)) if v is not None} for p in exc.problems],
    }
    if isinstance(exc, NotEligible):
        error["rules"] = [{"rule": r.rule_id, "kind": r.kind, "reason": r.reason, "message": r.message}
                          for r in exc.verdict.reasons]
    return {"error": error}


def _executor_factory(args: argparse.Namespace) -> Callable[[], Executor] | None:
    """The executor ``--executor`` names, checked at once (so a missing durable-rules is said before any work)."""
    name = getattr(args, "executor", None)
    return None if name is None else executor_factory(name)


def _check(args: argparse.Namespace) -> int:
    make = _executor_factory(args)
    if args.format == "json":
        return _check_json(args, make)
    catalog = load_catalog(args.catalog)  # text: each line as soon as it is known
    print(f"{args.catalog}: OK — " + ", ".join(f"{n} {kind}" for kind, n in catalog.counts().items()))
    if args.rules is not None:
        book = load_rules(args.rules, catalog, make() if make else None)
        kinds = ", ".join(f"{sum(r.kind == k for r in book.rules)} {k}" for k in book.kinds)
        print(f"{args.rules}: OK — {len(book.rules)} rules ({kinds}); executor: {book.executor_name}")
    for path in args.inventory or []:
        inventory = load_inventory(path, catalog)
        print(f"{path}: OK — {len(inventory.products)} products, {len(inventory.roots())} top-level")
    return 0


def _check_json(args: argparse.Namespace, make: Callable[[], Executor] | None) -> int:
    """``check --format json``: every problem as an object (file, line, column, path, message, suggestion), for
    editors; exit 1 when there is any."""
    checked: list[dict[str, object]] = []
    problems: list[Problem] = []
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
    """The edge reads the clock when no ``--as-of`` is given, and says so on stderr; the core never does."""
    if text is None:
        now = datetime.now(UTC).replace(microsecond=0)
        print(f"note: no --as-of given: using now, {now.isoformat().replace('+00:00', 'Z')}", file=sys.stderr)
        return now
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not an ISO-8601 date-time (e.g. 2026-03-01T00:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _choices(pairs: Sequence[str], default_key: str) -> dict[str, dict[str, object]]:
    """``NAME=VALUE`` (for the request's product or offering) or ``KEY:NAME=VALUE`` (KEY a product or offering)."""
    out: dict[str, dict[str, object]] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--set {pair!r}: expected NAME=VALUE or KEY:NAME=VALUE")
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
            raise UsageError("--to needs --product (the installed product to change)")
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
        return ModifyCharacteristics(product=args.product,
                                     characteristics=_choices(args.set, args.product)[args.product])
    raise UsageError("say what to change: --product ID --to OFFERING, --product ID --set NAME=VALUE, --add, "
                     "--remove, --terminate or --acquire")


def _engine(args: argparse.Namespace) -> tuple[Engine, Inventory]:
    make = _executor_factory(args)
    catalog = load_catalog(args.catalog)
    rules = load_rules(args.rules, catalog, make() if make else None) if args.rules else None
    inventory = load_inventory(args.inventory, catalog) if args.inventory else Inventory()
    return Engine(catalog, rules), inventory


def _context(args: argparse.Namespace) -> Context:
    attributes: dict[str, object] = {}
    for pair in args.attribute:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--attribute {pair!r}: expected NAME=VALUE")
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


def _demo(args: argparse.Namespace) -> int:
    if args.path:
        print(demo.catalog_path())
        return 0
    make = _executor_factory(args)
    result = demo.run(make() if make else None)
    return _write(args.format, lambda: explain(result), lambda: change_dict(result), lambda: product_order(result, 4))


def _facts(_args: argparse.Namespace) -> int:
    sys.stdout.write(reference_markdown())
    return 0


def _change(args: argparse.Namespace) -> int:
    engine, inventory = _engine(args)
    result = engine.evaluate(inventory, _request(args), as_of=_as_of(args.as_of), context=_context(args))
    if isinstance(result, Refusal):  # an expected answer, reported like every refusal (text or JSON)
        return _failed(args, result.error())
    return _write(args.format, lambda: explain(result), lambda: change_dict(result),
                  lambda: product_order(result, args.tmf_version))


def _test(args: argparse.Namespace) -> int:
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


def _serve(args: argparse.Namespace) -> int:
    try:
        import odedelta.service as service  # the optional service extra: FastAPI and uvicorn
    except ImportError as exc:
        if exc.name not in ("fastapi", "starlette", "uvicorn"):
            raise
        raise RequestError(f"odedelta serve needs the service extra ({exc.name} is missing): "
                           "pip install 'odedelta[service]'") from None
    token = args.token or os.environ.get("ODEDELTA_TOKEN") or None
    service.serve(args.catalog, args.rules, args.inventory, host=args.host, port=args.port, store_path=args.store,
                  token=token)
    return 0


def _bulk(args: argparse.Namespace) -> int:
    return campaigns.command(args, _as_of(args.as_of))


def _customer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", type=Path, metavar="DIR", help="a directory of rule files to apply")
    parser.add_argument("--segment", help="customer segment (e.g. residential, business), a fact for rules")
    parser.add_argument("--attribute", action="append", default=[], metavar="NAME=VALUE",
                        help="a free customer attribute for rules: customer.attributes.NAME (repeatable)")
    parser.add_argument("--billing-day", type=int, choices=range(1, 29), metavar="DAY",
                        help="the customer's billing cycle day (1-28): immediate changes are prorated to it")
    _executor_option(parser)


def _executor_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=EXECUTORS,
                        help="which executor runs the rules: reference (default; compiled Python) or durable "
                        "(durable-rules: pip install 'odedelta[durable]')")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odedelta",
        description="Compute what changes when a customer moves from their installed products to another offer. "
        "Start with 'odedelta demo'.",
    )
    parser.add_argument("--version", action="version", version=f"odedelta {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    check.add_argument("--format", choices=["text", "json"], default="text",
                       help="text (default), or JSON: every problem as an object (file, line, column, path, message, "
                       "suggestion) for editors")
    _executor_option(check)
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

    demo = sub.add_parser(
        "demo",
        help="run the demo: a downgrade that loses a promotion, with its consequences (or --path: where it is)",
        description="Run the README's main job on the demo catalog shipped with odedelta: alice moves from Fiber "
        "500 to Fiber 300 under commitment and loses the promotion that made her StreamMax free. --path prints "
        "the demo catalog directory (with inventories/ and scenarios/; the rules are in ../../rules), to copy "
        "as a starting point or to run: odedelta test \"$(odedelta demo --path)\".",
    )
    demo.add_argument("--path", action="store_true", help="print the demo catalog directory and exit")
    demo.add_argument("--format", choices=["text", "json", "tmf622"], default="text",
                      help="text report (default), the full result as JSON, or the TMF622 v4 ProductOrder")
    _executor_option(demo)
    demo.set_defaults(run=_demo)
    facts = sub.add_parser("facts", help="print the reference page of facts rules can read (docs/facts.md)",
                           description="Print the reference page of the facts rule conditions can read.")
    facts.set_defaults(run=_facts)

    serve = sub.add_parser(
        "serve",
        help="serve TMF679, TMF663, TMF648 and TMF622 over HTTP (needs pip install 'odedelta[service]')",
        description="Serve the engine as TM Forum Open APIs on their official base paths (/tmf-api/...), with "
        "GET /health and the OpenAPI document at /openapi.json. Binds to loopback unless --host says otherwise.",
    )
    serve.add_argument("--catalog", required=True, metavar="DIR|URL",
                       help="catalog directory, or a TMF620 base URL (.../productCatalogManagement/v4)")
    serve.add_argument("--rules", type=Path, metavar="DIR", help="a directory of rule files to apply")
    serve.add_argument("--inventory", metavar="PATH|URL",
                       help="a TMF637 file or directory of files, or a TMF637 base URL (.../productInventory/v4)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--store", type=Path, metavar="FILE",
                       help="SQLite file keeping carts, quotes and orders across restarts (default: in memory)")
    serve.add_argument("--token", help="bearer token every request must carry (default: $ODEDELTA_TOKEN, else none)")
    serve.set_defaults(run=_serve)

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

    bulk = sub.add_parser(
        "bulk", help="a campaign: the same change for every customer of a base, summed up (odedelta[bulk])",
        description="Change every product of offering --from (or renew, or terminate it) for every customer of "
        "--inventories (a directory of TMF637 files or a JSON Lines file, one customer per line) and write "
        "summary.json, customers.parquet, items.parquet (and orders.jsonl) into --out. Needs "
        "pip install 'odedelta[bulk]'.")
    bulk.add_argument("--catalog", type=Path, required=True, metavar="DIR", help="catalog directory")
    bulk.add_argument("--rules", type=Path, metavar="DIR", help="a directory of rule files to apply")
    bulk.add_argument("--compare-rules", type=Path, metavar="DIR",
                      help="also run under these rules: out/a, out/b and out/comparison.json")
    bulk.add_argument("--inventories", type=Path, required=True, metavar="PATH", help="directory or .jsonl file")
    bulk.add_argument("--from", dest="offering", required=True, metavar="OFFERING", help="the offering to change")
    action = bulk.add_mutually_exclusive_group(required=True)
    action.add_argument("--to", metavar="OFFERING", help="the offering every --from product changes to")
    action.add_argument("--renew", action="store_true", help="renew the commitment of every --from product")
    action.add_argument("--terminate", action="store_true", help="terminate every --from product")
    bulk.add_argument("--as-of", required=True, metavar="ISO-8601", help="the moment of the changes")
    bulk.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the campaign's files go")
    bulk.add_argument("--engine", choices=["local", "dask"], default="local",
                      help="local: a process pool on this machine (default); dask: dask.distributed")
    bulk.add_argument("--workers", type=int, metavar="N", help="processes (default: the cores; local 0: inline)")
    bulk.add_argument("--scheduler", metavar="ADDRESS", help="with --engine dask: an existing cluster")
    bulk.add_argument("--partition-size", type=int, default=200, metavar="N", help="customers per task")
    bulk.add_argument("--budget", type=int, default=20_000, metavar="N",
                      help="customers whose rows the driver holds before sorting them to disk (default 20000)")
    bulk.add_argument("--orders", action="store_true", help="also write the TMF622 orders to orders.jsonl")
    bulk.add_argument("--tmf-version", type=int, choices=[4, 5], default=4, help="TMF622 version (default 4)")
    bulk.set_defaults(run=_bulk)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except OdeDeltaError as exc:
        return _failed(args, exc)


def _failed(args: argparse.Namespace, error: OdeDeltaError) -> int:
    """The one error path every command shares: the sentence on stderr, the JSON error object on stdout with a
    JSON or TMF format; the exit code."""
    print(f"error: {error}", file=sys.stderr)
    if getattr(args, "format", "text") != "text":
        sys.stdout.write(dumps(error_document(error)))
    return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
