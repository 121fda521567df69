"""The ``odedelta`` command: an adapter that reads files, calls the core and prints. Exit codes: 0 success,
1 the input is refused or a scenario failed, 2 the command line is wrong."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import OdeDeltaError
from .load import load_catalog, load_inventory


def _check(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    counts = ", ".join(f"{n} {kind}" for kind, n in catalog.counts().items())
    print(f"{args.catalog}: OK — {counts}")
    for path in args.inventory or []:
        inventory = load_inventory(path, catalog)
        print(f"{path}: OK — {len(inventory.products)} products, {len(inventory.roots())} top-level")
    return 0


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
    check.add_argument("--inventory", type=Path, action="append", metavar="FILE",
                       help="a TMF637 product list to check against the catalog (repeatable)")
    check.set_defaults(run=_check)
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
