"""``odedelta change``, ``qualify`` and ``demo``: one customer's change, what a product could change to, and the
demo's change on the shipped demo."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from odedelta.adapters.cli import partners
from odedelta.adapters.cli.common import (
    _as_of,
    _context,
    _customer_options,
    _engine,
    _executor_factory,
    _executor_option,
    _write,
    installed,
    note_not_started,
    note_rules,
)
from odedelta.adapters.cli.errors import UsageError, did_you_mean, report
from odedelta.model.errors import RequestError

if TYPE_CHECKING:
    from odedelta.flows.engine import Engine
    from odedelta.flows.result import ChangeResult, Refusal
    from odedelta.model.inventory import Inventory
    from odedelta.model.requests import Request


def _choices(pairs: Sequence[str], default_key: str) -> dict[str, dict[str, str]]:
    from odedelta.model.requests import settings

    try:
        return settings(pairs, default_key)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _request(args: argparse.Namespace) -> Request:
    request = _what(args)
    updates = {k: v for k, v in (("timing", args.timing), ("reengage", args.reengage)) if v is not None}
    return request.model_copy(update=updates) if updates else request


def _what(args: argparse.Namespace) -> Request:
    from odedelta.model.requests import (
        Acquire,
        AddOffering,
        ChangeOffer,
        ModifyCharacteristics,
        RemoveProduct,
        Renew,
        TerminateProduct,
    )

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


def _known(engine: Engine, inventory: Inventory, request: Request) -> None:
    """Refuse an offering id the catalog lacks, or a ``--set KEY:`` that is neither an installed product nor an
    offering, before any work, naming the closest ids (the products the request names are checked by
    :func:`installed`)."""
    offerings = engine.catalog.offerings
    for offering in (getattr(request, "to", None), getattr(request, "offering", None)):
        if offering is not None and offering not in offerings:
            raise RequestError(f"unknown offering {offering!r}{did_you_mean(offering, offerings)}")
    for key in getattr(request, "set", {}):
        if key not in inventory.products and key not in offerings:
            hint = did_you_mean(key, [*inventory.products, *offerings])
            raise RequestError(f"set: {key!r} is neither an installed product nor an offering{hint}")


def _change(args: argparse.Namespace) -> int:
    from odedelta.flows.result import Refusal
    from odedelta.outputs.json import change_dict
    from odedelta.outputs.report import explain
    from odedelta.outputs.tmf622 import product_order

    engine, inventory = _engine(args)
    request, as_of, context = _request(args), _as_of(args.as_of), _context(args)
    installed(inventory, (getattr(request, "product", None), getattr(request, "parent", None)))
    _known(engine, inventory, request)
    result = engine.evaluate(inventory, request, as_of=as_of, context=context)
    if args.format == "html":
        return _html(args, engine, result)
    if isinstance(result, Refusal):  # an expected answer, written like every error
        code = report(args, result.error())
        note_not_started(inventory, as_of)
        return code
    note_rules(args, engine)
    note_not_started(inventory, as_of)
    if args.format in partners.CHANGE_FORMATS:
        return partners.write_change(args, engine, result)
    return _write(args.format, lambda: explain(result), lambda: change_dict(result),
                  lambda: product_order(result, args.tmf_version))


def _html(args: argparse.Namespace, engine: Engine, answer: ChangeResult | Refusal) -> int:
    """The consequence view as one HTML page; a refusal is a page too (with its reasons), then goes the shared error
    path (its message on stderr, exit 1) as in every format."""
    import sys

    from odedelta.flows.result import Refusal
    from odedelta.outputs.html import to_html

    note_rules(args, engine)
    sys.stdout.write(to_html(answer, engine.rules))
    if isinstance(answer, Refusal):
        raise answer.error()
    return 0


def _qualify(args: argparse.Namespace) -> int:
    from odedelta.outputs.json import qualification_dict
    from odedelta.outputs.report import explain_qualification
    from odedelta.outputs.tmf679 import qualification_document

    engine, inventory = _engine(args)
    as_of, context = _as_of(args.as_of), _context(args)
    installed(inventory, [args.product])
    result = engine.qualify(inventory, args.product, as_of=as_of, context=context)
    note_rules(args, engine)
    note_not_started(inventory, as_of)
    return _write(args.format, lambda: explain_qualification(result), lambda: qualification_dict(result),
                  lambda: qualification_document(result))


def _demo(args: argparse.Namespace) -> int:
    from odedelta.adapters import demo
    from odedelta.outputs.json import change_dict
    from odedelta.outputs.report import explain
    from odedelta.outputs.tmf622 import product_order

    if args.path:
        print(demo.catalog_path())
        return 0
    make = _executor_factory(args)
    result = demo.run(make() if make else None)
    return _write(args.format, lambda: explain(result), lambda: change_dict(result), lambda: product_order(result, 4))


def request_options(parser: argparse.ArgumentParser) -> None:
    """The arguments of one change request (``change``, and ``explain`` which takes the same)."""
    parser.add_argument("--catalog", type=Path, required=True, metavar="DIR", help="catalog directory")
    parser.add_argument("--inventory", type=Path, metavar="FILE",
                        help="the customer's TMF637 products (omit for a customer with none)")
    parser.add_argument("--as-of", metavar="ISO-8601", help="the moment of the change (default: now, UTC)")
    _customer_options(parser)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--to", metavar="OFFERING", help="with --product: move that product to OFFERING")
    what.add_argument("--add", metavar="OFFERING", help="add a product of OFFERING (under --parent, or top level)")
    what.add_argument("--remove", metavar="ID", help="remove a component and what it bundles")
    what.add_argument("--terminate", metavar="ID", help="terminate a product and everything it bundles")
    what.add_argument("--acquire", metavar="OFFERING", help="a new OFFERING from nothing")
    what.add_argument("--renew", metavar="ID", help="renew the commitment term of a product")
    parser.add_argument("--product", metavar="ID", help="the installed product to change (with --to or --set)")
    parser.add_argument("--parent", metavar="ID", help="with --add: the installed bundle to add to")
    parser.add_argument("--set", action="append", default=[], metavar="[KEY:]NAME=VALUE",
                        help="a characteristic value; KEY (a product id or offering id) defaults to the request's "
                        "product or offering (repeatable)")
    parser.add_argument("--option", action="append", default=[], metavar="OFFERING",
                        help="with --to or --acquire: an optional component to add (repeatable)")
    parser.add_argument("--timing", choices=["immediate", "next_bill_cycle", "end_of_term"],
                        help="when the change takes effect (default: as a timing rule says, else immediately)")
    parser.add_argument("--reengage", action="store_true", default=None,
                        help="the change restarts the commitment (a new term; no penalty)")


def add_parsers(sub: Any) -> None:
    """``change``, ``qualify`` and ``demo``."""
    change = sub.add_parser(
        "change",
        help="compute the delta of one change request and print it as text, JSON or a TMF622 order",
        description="Compute what changes for a customer: every installed product the request touches "
        "(noChange, modify, delete) and every product it adds, with the reasons. Exit 1 with a one-line reason "
        "for an unknown product or offering, a value that is not allowed, or an offering not sellable at --as-of.",
    )
    request_options(change)
    change.add_argument("--format", choices=["text", "json", "tmf622", "html", *partners.CHANGE_FORMATS],
                        default="text", help="text report (default), the full result as JSON, the TMF622 "
                        "ProductOrder, or html: the consequence view as one self-contained page (a refused change "
                        "is a page too, and exits 1); "
                        + partners.CHANGE_FORMATS_HELP)
    change.add_argument("--tmf-version", type=int, choices=[4, 5], default=4, help="TMF622 version (default 4)")
    partners.add_change_options(change)
    change.set_defaults(run=_change)
    _add_qualify(sub)
    _add_demo(sub)


def _add_qualify(sub: Any) -> None:
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


def _add_demo(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="run the demo: a downgrade that loses a promotion, with its consequences (or --path: where it is)",
        description="Run the demo's change on the demo catalog shipped with odedelta: alice moves from Fiber "
        "500 to Fiber 300 under commitment and loses the promotion that made her StreamMax free. --path prints "
        "the demo catalog directory (with inventories/ and scenarios/; the rules are in ../../rules), to copy "
        "as a starting point or to run: odedelta test \"$(odedelta demo --path)\".",
    )
    demo.add_argument("--path", action="store_true", help="print the demo catalog directory and exit")
    demo.add_argument("--format", choices=["text", "json", "tmf622"], default="text",
                      help="text report (default), the full result as JSON, or the TMF622 v4 ProductOrder")
    _executor_option(demo)
    demo.set_defaults(run=_demo)
