"""What several commands share: the customer options, the moment of a change, loading the engine and printing a
result's faces. The engine is imported inside the functions that use it, so ``odedelta --help`` stays quick."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from odedelta.adapters.cli.errors import UsageError, did_you_mean
from odedelta.model.errors import RequestError

if TYPE_CHECKING:
    from odedelta.flows.engine import Engine
    from odedelta.model.inventory import Inventory
    from odedelta.model.requests import Context
    from odedelta.rules import Executor

# the rule executors (odedelta.rules.EXECUTORS; a test keeps the two equal): the parser names them without
# importing the rules layer
EXECUTORS = ("reference", "durable")

NO_RULES = "note: no --rules given: the catalog alone answers (no eligibility, fee, penalty or other rule applied)"


def _executor_factory(args: argparse.Namespace) -> Callable[[], Executor] | None:
    """The executor ``--executor`` names, checked at once (so a missing durable-rules is said before any work)."""
    from odedelta.rules import executor_factory

    name = getattr(args, "executor", None)
    return None if name is None else executor_factory(name)


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


def _engine(args: argparse.Namespace) -> tuple[Engine, Inventory]:
    from odedelta.adapters.files import load_catalog, load_inventory, load_rules
    from odedelta.flows.engine import Engine
    from odedelta.model.inventory import Inventory

    make = _executor_factory(args)
    catalog = load_catalog(args.catalog)
    rules = load_rules(args.rules, catalog, make() if make else None) if args.rules else None
    inventory = load_inventory(args.inventory, catalog) if args.inventory else Inventory()
    return Engine(catalog, rules), inventory


def installed(inventory: Inventory, product_ids: Iterable[str | None]) -> None:
    """Refuse a product id the inventory does not hold before any work, naming the closest ids it does hold."""
    for product_id in product_ids:
        if product_id is not None and product_id not in inventory.products:
            raise RequestError(f"no installed product {product_id!r}{did_you_mean(product_id, inventory.products)}")


def note_not_started(inventory: Inventory, as_of: datetime) -> None:
    """Say on stderr when ``as_of`` comes before some installed product started (a mistyped year, most often): the
    answer judges them at a moment they did not exist (a commitment not yet running has no penalty, a promotion not
    yet granted is not lost)."""
    late = sorted((p.start_date, p.id) for p in inventory.products.values()
                  if p.start_date is not None and p.start_date > as_of)
    if late:
        shown = ", ".join(f"{ident} ({start.isoformat().replace('+00:00', 'Z')})" for start, ident in late[:5])
        more = f" and {len(late) - 5} more" if len(late) > 5 else ""
        print(f"note: --as-of {as_of.isoformat().replace('+00:00', 'Z')} is before these products started: "
              f"{shown}{more}; they are judged at a moment they did not exist yet", file=sys.stderr)


def note_rules(args: argparse.Namespace, engine: Engine) -> None:
    """Say on stderr when no rules took part (stdout, the answer, is the same either way)."""
    if engine.rules is None:
        print(NO_RULES, file=sys.stderr)
    elif not engine.rules.rules:
        print(f"note: --rules {args.rules} holds no rules: the catalog alone answers", file=sys.stderr)


def _context(args: argparse.Namespace) -> Context:
    from odedelta.model.requests import Context

    attributes: dict[str, object] = {}
    for pair in args.attribute:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"--attribute {pair!r}: expected NAME=VALUE")
        attributes[name] = {"true": True, "false": False}.get(value, value)
    return Context(segment=args.segment, attributes=attributes, billing_cycle_day=args.billing_day,
                   channel=args.channel)


def _write(form: str, text: Callable[[], str], data: Callable[[], object], document: Callable[[], object]) -> int:
    """Print one of a result's three faces: the text report, the full JSON, or the TMF document."""
    from odedelta.model.jsonio import dumps

    sys.stdout.write(text() if form == "text" else dumps(data() if form == "json" else document()))
    return 0


def _customer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", type=Path, metavar="DIR", help="a directory of rule files to apply")
    parser.add_argument("--segment", help="customer segment (e.g. residential, business), a fact for rules")
    parser.add_argument("--attribute", action="append", default=[], metavar="NAME=VALUE",
                        help="a free customer attribute for rules: customer.attributes.NAME (repeatable)")
    parser.add_argument("--channel", metavar="ID|NAME",
                        help="the sales channel of the request (TMF620 v5 allowedAction may allow an action in some "
                        "channels only)")
    parser.add_argument("--billing-day", type=int, choices=range(1, 29), metavar="DAY",
                        help="the customer's billing cycle day (1-28): immediate changes are prorated to it")
    _executor_option(parser)


def _executor_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=EXECUTORS,
                        help="which executor runs the rules: reference (default; compiled Python) or durable "
                        "(durable-rules: pip install 'odedelta[durable]')")
