"""``odedelta bulk``: one change for every customer of a base (the campaigns edge; the extra ``bulk``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from odedelta.adapters.cli.common import _as_of


def _bulk(args: argparse.Namespace) -> int:
    from odedelta import campaigns  # light: dask and pyarrow are imported when a campaign runs

    return campaigns.command(args, _as_of(args.as_of))


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
    bulk.set_defaults(run=_bulk)
