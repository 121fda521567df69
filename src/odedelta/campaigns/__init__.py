"""Campaigns: the change-offer question asked for a whole customer base at once, before anything is executed.

An edge of odedelta (the core never imports it), installed with ``pip install 'odedelta[bulk]'`` (Parquet output
through pyarrow, the ``dask`` engine through dask.distributed). :func:`run` makes a template's requests for every
customer on a process pool or a Dask cluster and writes ``summary.json``, ``customers.parquet``, ``items.parquet``
and ``orders.jsonl``; :func:`compare` runs the same changes under two rule sets.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from odedelta.campaigns._core import dumps
from odedelta.campaigns.engines import ENGINES, INSTALL, execute
from odedelta.campaigns.impact import catalog_comparison, rule_changes
from odedelta.campaigns.outputs import CUSTOMERS, ITEMS, ORDERS, SCRATCH, Collected, write
from odedelta.campaigns.progress import Progress
from odedelta.campaigns.sources import Record, Source
from odedelta.campaigns.spec import Campaign, CampaignError, ChangeOffering, Renewal, Template, Termination
from odedelta.campaigns.worker import Row

__all__ = [
    "ENGINES",
    "Campaign",
    "CampaignError",
    "CampaignResult",
    "ChangeOffering",
    "Record",
    "Renewal",
    "Source",
    "Template",
    "Termination",
    "command",
    "compare",
    "compare_catalogs",
    "run",
]


@dataclass(frozen=True)
class CampaignResult:
    """A finished campaign: its summary, and its rows read back from the files in ``out`` when asked (a campaign
    of ten million customers is never held in memory)."""

    summary: dict[str, Any]
    out: Path

    def iter_customers(self) -> Iterator[Row]:
        """One row per customer, sorted by customer: the rows of ``customers.parquet``."""
        return _read(self.out / CUSTOMERS)

    def iter_items(self) -> Iterator[Row]:
        """One row per order item, sorted by customer: the rows of ``items.parquet``."""
        return _read(self.out / ITEMS)

    @property
    def customers(self) -> list[Row]:
        return list(self.iter_customers())

    @property
    def items(self) -> list[Row]:
        return list(self.iter_items())

    @property
    def orders(self) -> list[str]:
        """The TMF622 ProductOrders as JSON lines (empty unless the campaign was run with ``orders=True``)."""
        path = self.out / ORDERS
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _read(path: Path) -> Iterator[Row]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches():
        yield from batch.to_pylist()


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401 - only checks that the optional extra is installed
    except ImportError:
        raise CampaignError(f"campaigns write Parquet through pyarrow: {INSTALL}") from None


def run(catalog: str | Path, inventories: str | Path, template: ChangeOffering | Renewal | Termination, *,
        as_of: datetime, out: str | Path, rules: str | Path | None = None, orders: bool = False,
        tmf_version: int = 4, engine: str = "local", workers: int | None = None, scheduler: str | None = None,
        partition_size: int = 200, progress: bool | Progress = False, budget: int = 20_000) -> CampaignResult:
    """Run ``template`` over every customer of ``inventories`` (a directory of TMF637 files or a JSON Lines file)
    and write the campaign's files into ``out``. ``workers=0`` with the local engine runs in this process.

    The driver holds the rows of at most ``budget`` customers (about 20 KB each with their order items, more with
    ``orders``); beyond that it sorts them into runs in a scratch directory under ``out``, merged when the files
    are written and then removed."""
    _require_pyarrow()
    campaign = Campaign(str(catalog), template, as_of, str(rules) if rules is not None else None, orders,
                        tmf_version)
    source = Source(inventories)
    if budget < 1:
        raise CampaignError(f"budget {budget}: expected 1 customer or more")
    meter = progress if isinstance(progress, Progress) else Progress(len(source)) if progress else None
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise CampaignError(f"{folder}: the output directory is a file (expected a directory, new or existing)")
    try:  # before any work: a campaign that cannot write its files does not run
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CampaignError(f"{folder}: cannot create the output directory ({exc.strerror})") from None
    scratch = folder / SCRATCH
    rows = Collected(scratch, budget)
    try:
        execute(campaign, source, engine=engine, workers=workers, scheduler=scheduler,
                partition_size=partition_size, progress=meter, sink=rows.add)
        summary = write(folder, campaign, rows)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return CampaignResult(summary, folder)


def compare(catalog: str | Path, inventories: str | Path, template: ChangeOffering | Renewal | Termination, *,
            rules_a: str | Path | None, rules_b: str | Path | None, as_of: datetime, out: str | Path,
            **options: Any) -> dict[str, Any]:
    """The same changes under rule sets A and B: each campaign's files in ``out/a`` and ``out/b``, and
    ``out/comparison.json``: the customers whose outcome differs, by status change, and the money by currency
    under each rule set."""
    root = Path(out)
    a = run(catalog, inventories, template, as_of=as_of, out=root / "a", rules=rules_a, **options)
    b = run(catalog, inventories, template, as_of=as_of, out=root / "b", rules=rules_b, **options)
    moves: dict[str, int] = {}
    differ = []
    fields = ("status", "reasons", "recurring_after", "penalties", "fees", "due_now", "promotions_lost")
    for row_a, row_b in zip(a.iter_customers(), b.iter_customers(), strict=True):
        if any(row_a[f] != row_b[f] for f in fields):
            differ.append(row_a["customer"])
            move = f"{row_a['status']} -> {row_b['status']}"
            moves[move] = moves.get(move, 0) + 1
    money = ("recurring", "penalties", "fees", "dueNow")
    comparison = {
        "rulesA": str(rules_a) if rules_a is not None else None,
        "rulesB": str(rules_b) if rules_b is not None else None,
        "customers": a.summary["customers"],
        "differ": len(differ),
        "byOutcome": {k: moves[k] for k in sorted(moves)},
        "a": {k: a.summary[k] for k in ("changed", "refused", *money)},
        "b": {k: b.summary[k] for k in ("changed", "refused", *money)},
        "differences": _differences(a.summary, b.summary),
        "customersThatDiffer": differ,
    }
    comparison.update(rule_changes(a.iter_customers(), b.iter_customers()))  # per rule: for whom, the money
    (root / "comparison.json").write_text(dumps(comparison), encoding="utf-8")
    return comparison


def compare_catalogs(catalog_a: str | Path, catalog_b: str | Path, inventories: str | Path,
                     template: ChangeOffering | Renewal | Termination, *, as_of: datetime, out: str | Path,
                     rules: str | Path | None = None, **options: Any) -> dict[str, Any]:
    """The same changes over the same base and rules under two versions of the catalog: each campaign's files in
    ``out/a`` and ``out/b``, and what :func:`odedelta.campaigns.impact.catalog_comparison` writes (who a price
    change affects, and by how much)."""
    root = Path(out)
    a = run(catalog_a, inventories, template, as_of=as_of, out=root / "a", rules=rules, **options)
    b = run(catalog_b, inventories, template, as_of=as_of, out=root / "b", rules=rules, **options)
    return catalog_comparison(a, b, catalog_a=catalog_a, catalog_b=catalog_b, rules=rules, as_of=as_of, out=root)


def _differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Decimal]]:
    """B minus A for each money total, by currency."""
    out: dict[str, dict[str, Decimal]] = {}
    for name in ("penalties", "fees", "dueNow"):
        currencies = sorted(set(a[name]) | set(b[name]))
        out[name] = {c: b[name].get(c, Decimal(0)) - a[name].get(c, Decimal(0)) for c in currencies}
    currencies = sorted(set(a["recurring"]) | set(b["recurring"]))
    out["recurringAfter"] = {c: b["recurring"].get(c, {}).get("after", Decimal(0))
                             - a["recurring"].get(c, {}).get("after", Decimal(0)) for c in currencies}
    return out



def command(args: Any, as_of: datetime) -> int:
    """``odedelta bulk``: run (or compare) a campaign from the parsed command line; print the summary."""
    import sys

    template: ChangeOffering | Renewal | Termination = (
        ChangeOffering(args.offering, args.to) if args.to is not None
        else Renewal(args.offering) if args.renew else Termination(args.offering))
    options = {"orders": args.orders, "tmf_version": args.tmf_version, "engine": args.engine,
               "workers": args.workers, "scheduler": args.scheduler, "partition_size": args.partition_size,
               "budget": args.budget, "progress": True}
    if getattr(args, "compare_catalog", None) is not None and args.compare_rules is not None:
        raise CampaignError("--compare-rules and --compare-catalog: compare one thing at a time (run twice)")
    if getattr(args, "compare_catalog", None) is not None:
        result = compare_catalogs(args.catalog, args.compare_catalog, args.inventories, template, as_of=as_of,
                                  out=args.out, rules=args.rules, **options)
    elif args.compare_rules is not None:
        result = compare(args.catalog, args.inventories, template, rules_a=args.rules, rules_b=args.compare_rules,
                         as_of=as_of, out=args.out, **options)
    else:
        result = run(args.catalog, args.inventories, template, as_of=as_of, out=args.out, rules=args.rules,
                     **options).summary
    sys.stdout.write(dumps(result))
    return 0
