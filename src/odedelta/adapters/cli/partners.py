"""The partner commands (S10): the files side of the partners edge — it reads the files, calls the pure functions
(``odedelta.partners``, and the core's partner orders, roll-up and settlement), prints:

* ``odedelta import-partner-catalog`` merges a supplier's TMF620 export into a catalog directory;
* ``odedelta change … --format customer-order|partner-orders|settlement`` prints the customer order with its
  reference, the JSON array of partner orders, or the settlement lines between the partners;
* ``odedelta partner-status`` rolls the supplier's notifications up into the customer order;
* ``odedelta partner-sla`` prints what one month's SLA measure of a product costs (credit and recharge).
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from odedelta.adapters.cli.common import _as_of, _context, _customer_options, _engine, installed
from odedelta.model.errors import LoadError, RequestError
from odedelta.model.jsonio import dumps

if TYPE_CHECKING:
    from odedelta.flows.engine import Engine
    from odedelta.flows.result import ChangeResult
    from odedelta.flows.settlement import SettlementLine
    from odedelta.model.catalog import Document

CHANGE_FORMATS = ("customer-order", "partner-orders", "settlement")
CHANGE_FORMATS_HELP = ("customer-order (the TMF622 order with its externalId), partner-orders (a JSON array: one "
                       "TMF622 order per supplier) or settlement (the money between the partners, JSON)")
# the states of an order item (odedelta.outputs.rollup.RANK; a test keeps the two equal), named here so the parser
# does not import the outputs layer
ITEM_STATES = ("acknowledged", "assessingCancellation", "cancelled", "completed", "failed", "held", "inProgress",
               "pending", "pendingCancellation", "rejected")


def _documents(root: Path, skip: Path | None, texts: dict[str, str]) -> list[Document]:
    from odedelta.adapters.files import catalog_files
    from odedelta.model.catalog import Document, kind_from_file_name
    from odedelta.model.source import JSON_SUFFIXES, parse_text, read_text

    if not root.is_dir():
        raise LoadError(f"{root}: no such catalog directory")
    documents = []
    for file in catalog_files(root):
        if skip is not None and file.resolve() == skip.resolve():
            continue  # the previous import, replaced by this one
        name = str(file)
        texts[name] = read_text(file, name)
        documents.append(Document(name, parse_text(texts[name], name, yaml_syntax=file.suffix.lower() not in
                                                   JSON_SUFFIXES), kind_from_file_name(file.stem)))
    return documents


def _import(args: argparse.Namespace) -> int:
    from odedelta.model.catalog import Catalog, Document
    from odedelta.model.errors import CatalogError
    from odedelta.model.source import with_lines
    from odedelta.partners.catalog_import import import_partner_catalog

    try:
        markup = Decimal(args.markup)
    except InvalidOperation:
        raise RequestError(f"--markup {args.markup!r} is not a number (a percentage, e.g. 25)") from None
    texts: dict[str, str] = {}
    reseller = _documents(args.catalog, args.out, texts)
    export = _documents(args.export, None, texts)
    try:
        added = import_partner_catalog(reseller, export, supplier_id=args.supplier_id,
                                       supplier_name=args.supplier_name or args.supplier_id, prefix=args.prefix,
                                       markup=markup)
        name = str(args.out) if args.out else "<import>"
        Catalog.from_documents([*reseller, Document(name, added)])  # the merged catalog must load
    except CatalogError as exc:
        raise CatalogError(str(exc).splitlines()[0], with_lines(exc.problems, texts)) from None
    text = dumps(added)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        kinds = {k: sum(r["@type"] == k for r in added) for k in ("ProductSpecification", "ProductOffering",
                                                                  "ProductOfferingPrice")}
        print(f"{args.out}: {', '.join(f'{n} {k}' for k, n in kinds.items())} from {args.export} "
              f"(supplier {args.supplier_id}, prefix {args.prefix!r}, markup {markup}%)")
    return 0


def write_change(args: argparse.Namespace, engine: Engine, result: ChangeResult) -> int:
    """``odedelta change … --format customer-order|partner-orders|settlement``."""
    from odedelta.flows.settlement import settlement_lines
    from odedelta.outputs.partner_orders import customer_order, partner_orders

    if args.format == "customer-order":
        sys.stdout.write(dumps(customer_order(result, args.tmf_version)))
    elif args.format == "settlement":
        sys.stdout.write(dumps([_line(line) for line in settlement_lines(result, engine.rules)]))
    else:
        sys.stdout.write(dumps(partner_orders(result, args.tmf_version,
                                              reseller=(args.reseller_id, args.reseller_name or args.reseller_id))))
    return 0


def _line(line: SettlementLine) -> dict[str, Any]:
    return {"supplier": {"id": line.supplier.id, "name": line.supplier.name}, "item": line.item_id,
            "product": line.product_id, "kind": line.kind, "amount": line.amount.amount,
            "currency": line.amount.currency, "source": line.source, "explanation": line.explanation}


def _sla(args: argparse.Namespace) -> int:
    from odedelta.flows.settlement import sla_adjustment

    try:
        measured = Decimal(args.measured)
    except InvalidOperation:
        raise RequestError(f"--measured {args.measured!r} is not a number (e.g. 98.7)") from None
    engine, inventory = _engine(args)
    if engine.rules is None:
        raise RequestError("--rules is needed: SLA credits are sla_credit rules")
    as_of, context = _as_of(args.as_of), _context(args)
    installed(inventory, [args.product])
    found = sla_adjustment(engine.rules, engine.catalog, inventory, args.product, args.metric, measured, as_of,
                           context)
    if args.format == "json":
        sys.stdout.write(dumps(None if found is None else {
            "product": found.product_id, "rule": found.rule_id, "customerCredit": found.customer_credit,
            "supplier": {"id": found.supplier.id, "name": found.supplier.name} if found.supplier else None,
            "supplierPenalty": found.supplier_penalty, "explanation": found.explanation}))
    else:
        print(found.explanation if found is not None else f"{args.product}: {args.metric} {measured}: no credit "
              "(no sla_credit rule matches)")
    return 0


def _read_json(path: Path) -> Any:
    from odedelta.model.source import JSON_SUFFIXES, parse_text, read_text

    name = str(path)
    return parse_text(read_text(path, name), name, yaml_syntax=path.suffix.lower() not in JSON_SUFFIXES)


def _status(args: argparse.Namespace) -> int:
    from odedelta.outputs.rollup import roll_up

    customer = _read_json(args.customer_order)
    partners = _read_json(args.partner_orders)
    events = _read_json(args.events)
    for path, value, shape in ((args.customer_order, customer, dict), (args.partner_orders, partners, list),
                               (args.events, events, list)):
        if not isinstance(value, shape):
            raise LoadError(f"{path}: expected {'an order (object)' if shape is dict else 'a JSON array'}")
    if not customer.get("externalId") or not isinstance(customer.get("productOrderItem"), list):
        raise LoadError(f"{args.customer_order}: expected a customer order with externalId and productOrderItem "
                        "(odedelta change … --format customer-order)")
    result = roll_up(customer, partners, events, own_state=args.own_state, version=args.tmf_version)
    sys.stdout.write(result.report() if args.format == "text" else dumps(result.notification))
    return 0


def add_change_options(change: argparse.ArgumentParser) -> None:
    """The options ``change`` takes for its partner formats."""
    change.add_argument("--reseller-id", default="reseller", help="with --format partner-orders: the buyer's party id")
    change.add_argument("--reseller-name", help="with --format partner-orders: the buyer's name")


def add_parsers(sub: Any) -> None:
    """``import-partner-catalog``, ``partner-status`` and ``partner-sla``."""
    imp = sub.add_parser(
        "import-partner-catalog",
        help="merge a supplier's TMF620 export into a catalog (ids prefixed, wholesale and retail prices)",
        description="Read a supplier's exported catalog and write the resources it adds to the reseller's catalog: "
        "ids prefixed, the supplier as related party of every specification, each supplier price kept as the "
        "wholesale price beside a retail price (wholesale plus --markup percent). Every problem is reported at "
        "once; the merged catalog is checked before anything is written.",
    )
    imp.add_argument("--catalog", type=Path, required=True, metavar="DIR", help="the reseller's catalog directory")
    imp.add_argument("--export", type=Path, required=True, metavar="DIR", help="the supplier's exported catalog")
    imp.add_argument("--supplier-id", required=True, help="the supplier's party id (e.g. org-streamco)")
    imp.add_argument("--supplier-name", help="the supplier's name (default: its id)")
    imp.add_argument("--prefix", required=True, help="prefix of every imported id (e.g. streamco-)")
    imp.add_argument("--markup", default="0", metavar="PERCENT", help="retail = wholesale × (1 + PERCENT/100)")
    imp.add_argument("--out", type=Path, metavar="FILE", help="write the imported resources here (a file in the "
                     "catalog directory; a previous import in it is replaced), else print them")
    imp.set_defaults(run=_import)
    _add_status(sub)
    _add_sla(sub)


def _add_status(sub: Any) -> None:
    status = sub.add_parser(
        "partner-status",
        help="roll the supplier's order notifications up into the customer order's state",
        description="Given the customer order (--format customer-order), its partner orders (--format "
        "partner-orders) and the supplier's TMF622 ProductOrderStateChangeEvent / AttributeValueChangeEvent "
        "notifications in arrival order, print each item's state, the customer order's state with the "
        "explanations and every event not applied (or --format notification: the event to send the customer).",
    )
    status.add_argument("--customer-order", type=Path, required=True, metavar="FILE")
    status.add_argument("--partner-orders", type=Path, required=True, metavar="FILE")
    status.add_argument("--events", type=Path, required=True, metavar="FILE", help="a JSON array of events")
    status.add_argument("--own-state", default="completed", choices=ITEM_STATES,
                        help="the state of the items the reseller fulfils itself (default completed)")
    status.add_argument("--format", choices=["text", "notification"], default="text")
    status.add_argument("--tmf-version", type=int, choices=[4, 5], default=4)
    status.set_defaults(run=_status)


def _add_sla(sub: Any) -> None:
    sla = sub.add_parser(
        "partner-sla",
        help="what one month's SLA measure of a product costs: the customer's credit and the supplier's recharge",
        description="Apply the sla_credit rules to one month's measure of an installed product: the credit to the "
        "customer (on what they pay for it per month) and the share recharged to its supplier.",
    )
    sla.add_argument("--catalog", type=Path, required=True, metavar="DIR", help="catalog directory")
    sla.add_argument("--inventory", type=Path, required=True, metavar="FILE", help="the customer's products")
    sla.add_argument("--product", required=True, metavar="ID", help="the installed product measured")
    sla.add_argument("--metric", required=True, help="the metric measured over the month (e.g. availability)")
    sla.add_argument("--measured", required=True, metavar="VALUE", help="its value (e.g. 98.7)")
    sla.add_argument("--as-of", metavar="ISO-8601", help="the month's end (default: now, UTC)")
    _customer_options(sla)
    sla.add_argument("--format", choices=["text", "json"], default="text")
    sla.set_defaults(run=_sla)
