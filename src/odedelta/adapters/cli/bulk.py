"""``odedelta bulk``: one change for every customer of a base (the campaigns edge; the extra ``bulk``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from odedelta.adapters.cli.common import _as_of


def _bulk(args: argparse.Namespace) -> int:
    from odedelta import campaigns  # light: dask and pyarrow are imported when a campaign runs

    return campaigns.command(args, _as_of(args.as_of))


def _generate_base(args: argparse.Namespace) -> int:
    from odedelta import campaigns

    return campaigns.generate_command(args, _as_of(args.as_of))


def add_parser(sub: Any) -> None:
    bulk = sub.add_parser(
        "bulk", help="a campaign: the same change for every customer of a base, summed up (odedelta[bulk])",
        description="Change every product of offering --from (or renew, or terminate it) for every customer of "
        "--inventories (a directory of TMF637 files or a JSON Lines file, one customer per line) and write "
        "summary.json, customers.parquet, items.parquet (and orders.jsonl) into --out. Needs "
        "pip install 'odedelta[bulk]'.")
    bulk.add_argument("--catalog", type=Path, required=True, metavar="DIR", help="catalog directory")
    bulk.add_argument("--rules", type=Path, metavar="DIR", help="a directory of rule files to apply")
    bulk.add_argument("--compare-rules", type=Path, metavar="DIR",
                      help="also run under these rules: out/a, out/b and out/comparison.json (with the rules that "
                      "fire differently, for how many customers, and the money)")
    bulk.add_argument("--compare-catalog", type=Path, metavar="DIR",
                      help="also run under this version of the catalog (same base, same rules): out/a, out/b, "
                      "out/affected.jsonl and out/comparison.json (price changes, who is affected and by how much)")
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
    bulk.add_argument("--set", action="append", default=[], metavar="[OFFERING:]NAME=VALUE",
                      help="with --to: a characteristic value of the target (or of OFFERING) (repeatable)")
    bulk.add_argument("--option", action="append", default=[], metavar="OFFERING",
                      help="with --to: an add-on (an optional component of the target) to add (repeatable)")
    again = bulk.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help="continue the campaign in --out from its last checkpoints (same inputs and options)")
    again.add_argument("--force", action="store_true", help="replace the campaign files already in --out")
    bulk.add_argument("--retries", type=int, default=2, metavar="N",
                      help="times a failed partition is run again before the campaign stops (default 2)")
    bulk.add_argument("--dry-run", type=int, nargs="?", const=100, metavar="N",
                      help="check everything, run the first N customers (default 100) and print the estimate; "
                      "write nothing")
    bulk.set_defaults(run=_bulk)

    base = sub.add_parser(
        "generate-base", help="a seeded synthetic customer base for a catalog, as JSON Lines (for trials)",
        description="Write --customers made-up customers of --catalog into --out (JSON Lines, one customer per "
        "line, the input of 'odedelta bulk'): each holds one or more top-level offerings with their components, "
        "allowed characteristic values, commitment terms active, ending or expired at --as-of, and a segment. "
        "Same seed, same file.")
    base.add_argument("--catalog", type=Path, required=True, metavar="DIR", help="catalog directory")
    base.add_argument("--customers", type=int, required=True, metavar="N", help="how many customers")
    base.add_argument("--out", type=Path, required=True, metavar="FILE", help="the JSON Lines file to write")
    base.add_argument("--seed", type=int, default=7, help="the seed (default 7)")
    base.add_argument("--favour", metavar="OFFERING", help="an offering a --share of the customers hold")
    base.add_argument("--share", type=float, default=0.5, help="the share holding --favour (default 0.5)")
    base.add_argument("--max-plans", type=int, default=2, metavar="N",
                      help="top-level offerings per customer at most (default 2)")
    base.add_argument("--as-of", metavar="ISO-8601", default="2026-03-01T00:00:00Z",
                      help="the moment the commitment terms are relative to (default 2026-03-01T00:00:00Z)")
    base.add_argument("--force", action="store_true", help="replace --out if it exists")
    base.set_defaults(run=_generate_base)
