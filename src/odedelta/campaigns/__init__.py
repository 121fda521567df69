"""Campaigns: the change-offer question asked for a whole customer base at once, before anything is executed.

An edge of odedelta (the core never imports it), installed with ``pip install 'odedelta[bulk]'`` (Parquet output
through pyarrow, the ``dask`` engine through dask.distributed). :func:`run` makes a template's requests for every
customer on a process pool or a Dask cluster and writes ``summary.json``, ``customers.parquet``, ``items.parquet``
and ``orders.jsonl``, then ``_manifest.json``; :func:`compare` runs the same changes under two rule sets;
:func:`dry_run` checks a campaign and estimates it; :func:`open` reads a finished campaign's folder.

A campaign is checked before it starts (the template against the catalog and rules), works in partitions with a
durable checkpoint each (``resume=True`` continues after any kill, with byte-identical files), retries a failed
partition, writes every file under a temporary name and renames it when whole, and leaves no worker behind.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import multiprocessing
import pickle
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from odedelta import Engine, LoadError, __version__, load_catalog, load_rules
from odedelta.campaigns import generate, report
from odedelta.campaigns._core import did_you_mean, dumps
from odedelta.campaigns.columns import MESSAGE, STATUS
from odedelta.campaigns.durable import atomic, write_text
from odedelta.campaigns.engines import ENGINES, INSTALL, check_options, execute, start
from odedelta.campaigns.engines import stop as stop_pool
from odedelta.campaigns.impact import catalog_comparison, rule_changes
from odedelta.campaigns.outputs import (
    CUSTOMERS,
    ITEMS,
    ORDERS,
    SCRATCH,
    SUMMARY,
    Collected,
    describe,
    write,
)
from odedelta.campaigns.progress import Progress
from odedelta.campaigns.sources import Record, Source
from odedelta.campaigns.spec import (
    Campaign,
    CampaignError,
    CampaignUsageError,
    ChangeOffering,
    Interrupted,
    Renewal,
    StopRequest,
    Template,
    TemplateError,
    Termination,
    check_template,
)
from odedelta.campaigns.state import MANIFEST, Checkpoints, digest, output_files, prepare
from odedelta.campaigns.tasks import Task
from odedelta.campaigns.worker import (
    Partition,
    Row,
    Shipment,
    adopt,
    content_hash,
    files_of,
    run_partition_with,
)
from odedelta.model.requests import settings

__all__ = [
    "ENGINES",
    "Campaign",
    "CampaignError",
    "CampaignResult",
    "CampaignUsageError",
    "ChangeOffering",
    "Record",
    "Renewal",
    "Source",
    "Template",
    "TemplateError",
    "Termination",
    "command",
    "compare",
    "compare_catalogs",
    "dry_run",
    "open",
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
    def manifest(self) -> dict[str, Any]:
        """``_manifest.json``: the inputs and their hashes, the options, the counts, each file's size and hash."""
        manifest: dict[str, Any] = json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))
        return manifest

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
    """Refuse a campaign that could not write its files, without importing pyarrow (its import starts a thread,
    and local workers are forked only from a driver that runs one: :mod:`odedelta.campaigns.engines`)."""
    if "pyarrow" in sys.modules:
        available = sys.modules["pyarrow"] is not None
    else:
        try:
            available = importlib.util.find_spec("pyarrow") is not None
        except (ImportError, ValueError):
            available = False
    if not available:
        raise CampaignError(f"campaigns write Parquet through pyarrow: {INSTALL}")


@dataclass(frozen=True)
class _Prepared:
    campaign: Campaign
    engine: Engine
    shipment: Shipment


def _prepare(catalog: str | Path, template: ChangeOffering | Renewal | Termination, as_of: datetime,
             rules: str | Path | None, orders: bool, tmf_version: int) -> _Prepared:
    """Read the catalog and rules and check the template against them: every problem before any customer is
    read (a :class:`TemplateError`, exit 2)."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # a local worker importing a script without a main guard: dying here tells the driver (see STOPPED)
        raise RuntimeError("odedelta.campaigns.run called while a worker process imports the main module")
    campaign = Campaign(str(catalog), template, as_of, str(rules) if rules is not None else None, orders,
                        tmf_version)
    try:
        loaded = load_catalog(campaign.catalog)
        book = load_rules(campaign.rules, loaded) if campaign.rules is not None else None
    except LoadError as exc:
        raise TemplateError(str(exc).splitlines()[0], exc.problems) from None
    check_template(loaded, template, as_of)
    catalog_files = files_of(Path(campaign.catalog), rules=False)
    rule_files = files_of(Path(campaign.rules), rules=True) if campaign.rules is not None else None
    shipment = Shipment(content_hash(catalog_files), catalog_files,
                        content_hash(rule_files) if rule_files is not None else None, rule_files)
    campaign = replace(campaign, catalog_hash=shipment.catalog_hash, rules_hash=shipment.rules_hash)
    return _Prepared(campaign, Engine(loaded, book), shipment)


def _plan(prepared: _Prepared, source: Source, partition_size: int) -> dict[str, Any]:
    """What a resume must find unchanged (the inventories are checked partition by partition as they are read)."""
    campaign = prepared.campaign
    return {"catalog": {"path": campaign.catalog, "sha256": campaign.catalog_hash},
            "rules": {"path": campaign.rules, "sha256": campaign.rules_hash} if campaign.rules else None,
            "inventories": str(source.path.resolve()), "template": describe(campaign.template),
            "asOf": campaign.as_of.isoformat(), "orders": campaign.orders, "tmfVersion": campaign.tmf_version,
            "partitionSize": partition_size}


def run(catalog: str | Path, inventories: str | Path, template: ChangeOffering | Renewal | Termination, *,
        as_of: datetime, out: str | Path, rules: str | Path | None = None, orders: bool = False,
        tmf_version: int = 4, engine: str = "local", workers: int | None = None, scheduler: str | None = None,
        partition_size: int = 200, progress: bool | Progress = False, budget: int = 20_000, resume: bool = False,
        force: bool = False, retries: int = 2, stop: StopRequest | None = None) -> CampaignResult:
    """Run ``template`` over every customer of ``inventories`` (a directory of TMF637 files or a JSON Lines file)
    and write the campaign's files into ``out``. ``workers=0`` with the local engine runs in this process.

    Before any customer is read, the options, the catalog, the rules and the template are checked
    (:class:`TemplateError` names what does not exist, with "did you mean"), and ``out`` must be new or empty
    unless ``resume`` (continue an interrupted campaign: byte-identical files to an uninterrupted run) or
    ``force`` (replace the campaign there). Each finished partition is a durable checkpoint; a failed partition
    is run again at most ``retries`` times. The files are renamed into place when complete and
    ``_manifest.json`` is written last. ``stop``, once set, ends the campaign with :class:`Interrupted` at the next
    partition (what is finished stays saved for ``resume``).

    The driver holds the rows of at most ``budget`` customers (about 20 KB each with their order items, more with
    ``orders``); beyond that it sorts them into runs in a scratch directory under ``out``, merged when the files
    are written and then removed."""
    _require_pyarrow()
    if budget < 1:
        raise CampaignUsageError(f"budget {budget}: expected 1 customer or more")
    count = check_options(engine=engine, workers=workers, scheduler=scheduler, partition_size=partition_size,
                          retries=retries)
    source = Source(inventories)
    prepared = _prepare(catalog, template, as_of, rules, orders, tmf_version)
    campaign = prepared.campaign
    folder = Path(out)
    prepare(folder, resume=resume, force=force)
    plan = _plan(prepared, source, partition_size)
    checkpoints = Checkpoints(folder, plan)
    manifest = checkpoints.finished() if resume else None
    if manifest is not None:  # resumed a campaign that had finished: nothing to do
        return open(folder)
    checkpoints.start(resume)
    # the local workers start before the driver reads a checkpoint (with pyarrow) or counts the input
    pool = start(campaign, count, prepared.engine) if engine == "local" and count else None
    try:
        # counting the customers reads the whole input once more (not a pipe's): only for a progress meter to show
        meter = progress if isinstance(progress, Progress) else Progress(source.total()) if progress else None
        scratch = folder / SCRATCH
        rows = Collected(scratch, budget, reread=checkpoints.partition)
        for index, partition in checkpoints.load():
            rows.add(partition, index)
            if meter:
                meter.update(partition.tally.customers)
    except BaseException:
        if pool is not None:
            stop_pool(pool)
        raise

    def finished(index: int, packed: bytes | Path) -> None:
        partition: Partition
        if isinstance(packed, Path):  # a local worker drafted the checkpoint: the rows are read from it
            partition = checkpoints.adopt(index, packed)
        else:
            partition = pickle.loads(packed)  # rows a worker of this campaign made
            assert partition.digest is not None
            checkpoints.save(index, partition.digest, packed)
        _check(stop)
        rows.add(partition, index)

    if count == 0:
        adopt(campaign, prepared.engine)
    try:
        # a Dask worker may be on another machine: it is sent its customers; a local one reads its own slice
        execute(replace(campaign, shipped=True) if engine == "dask" else campaign,
                _tasks(source, partition_size, checkpoints, stop, read=engine == "dask"), engine=engine,
                workers=count, scheduler=scheduler, progress=meter, sink=finished, retries=retries,
                shipment=prepared.shipment, pool=pool, saving=checkpoints.path)
        if meter:
            meter.close()
        summary = write(folder, campaign, rows)
        report.write(folder, summary, rows.tally.monthly)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    whole = hashlib.sha256()  # the input's hash: its partitions' hashes in order
    for index in sorted(checkpoints.done):
        whole.update(checkpoints.done[index].encode())
    checkpoints.finish(_manifest(plan, whole.hexdigest(), summary, len(checkpoints.done), orders, folder))
    return CampaignResult(summary, folder)


def _tasks(source: Source, partition_size: int, checkpoints: Checkpoints, stop: StopRequest | None,
           read: bool) -> Iterator[Task]:
    """The partitions still to run, as slices of the input (``read``: as their customers); a resumed campaign's
    input must be the one its finished partitions came from (their input is read and hashed again here, the
    others' where they run)."""
    count = 0
    for index, part in enumerate(source.slices(partition_size)):
        _check(stop)
        count = index + 1
        if index in checkpoints.done:
            if checkpoints.done[index] != digest(part.records()):
                raise CampaignUsageError(
                    f"{source.path}: cannot resume: the customers of partition {index} (from "
                    f"{part.origin}) changed since the campaign started (use --force to start again)")
            continue
        yield index, part.records() if read else part
    if any(index >= count for index in checkpoints.done):
        raise CampaignUsageError(f"{source.path}: cannot resume: it has fewer customers than when the campaign "
                                 "started (use --force to start again)")


def _check(stop: StopRequest | None) -> None:
    """Raise :class:`Interrupted` once ``stop`` is set: a signal handler's exception can be lost (raised while the
    driver runs a ``__del__``, it is only printed), the event is seen at the next partition."""
    if stop is not None and stop.is_set():
        raise Interrupted(stop.reason)


def _manifest(plan: dict[str, Any], inventories_hash: str, summary: dict[str, Any], partitions_done: int,
              orders: bool, folder: Path) -> dict[str, Any]:
    """``_manifest.json`` of a finished campaign: its inputs by hash, options, partitions, counts and files."""
    return {
        "odedelta": __version__, "complete": True, "plan": plan,
        "inputs": {"catalog": plan["catalog"], "rules": plan["rules"],
                   "inventories": {"path": plan["inventories"], "sha256": "sha256:" + inventories_hash,
                                   "customers": summary["customers"]}},
        "options": {k: plan[k] for k in ("template", "asOf", "orders", "tmfVersion", "partitionSize")},
        "partitions": {"total": partitions_done, "done": partitions_done},
        "counts": {"customers": summary["customers"], "changed": summary["changed"],
                   "unchanged": summary["unchanged"], "refused": summary["refused"]["total"],
                   "errors": summary["errors"]["total"], "items": sum(summary["actions"].values()),
                   "orders": summary["requests"] if orders else 0},
        "files": output_files(folder)}


def open(out: str | Path, *, incomplete: bool = False) -> CampaignResult:
    """Read a campaign's folder. A folder without ``_manifest.json`` (a run still going, interrupted, or killed
    while writing), or whose files are not the ones the manifest lists, is refused unless ``incomplete``: then
    whatever whole files are there are read (the summary may be missing)."""
    folder = Path(out)
    if not folder.is_dir():
        raise CampaignError(f"{folder}: no such campaign directory")
    path = folder / MANIFEST
    if not path.exists():
        if not incomplete:
            raise CampaignError(f"{folder}: the campaign is incomplete (no {MANIFEST}: still running, or "
                                "interrupted — finish it with --resume); open(..., incomplete=True) reads it anyway")
    elif not incomplete:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        for name, expected in manifest.get("files", {}).items():
            file = folder / name
            if not file.exists() or file.stat().st_size != expected["bytes"]:
                raise CampaignError(f"{file}: not the file the campaign wrote (missing or another size than the "
                                    f"{MANIFEST} says)")
    summary_path = folder / SUMMARY
    summary = json.loads(summary_path.read_text(encoding="utf-8"), parse_float=Decimal) \
        if summary_path.exists() else {}
    return CampaignResult(summary, folder)


def dry_run(catalog: str | Path, inventories: str | Path, template: ChangeOffering | Renewal | Termination, *,
            as_of: datetime, rules: str | Path | None = None, sample: int = 100, workers: int | None = None,
            engine: str = "local", scheduler: str | None = None, partition_size: int = 200,
            orders: bool = False, tmf_version: int = 4) -> dict[str, Any]:
    """Check everything a campaign would check, run the first ``sample`` customers in this process and estimate
    the whole run: customers, outcomes of the sample, and the time on ``workers`` workers (processor time per
    customer of the sample over the workers; start-up and writing not included). Writes nothing."""
    import time

    if sample < 1:
        raise CampaignUsageError(f"--dry-run {sample}: expected 1 customer or more")
    count = check_options(engine=engine, workers=workers, scheduler=scheduler, partition_size=partition_size,
                          retries=0)
    source = Source(inventories)
    prepared = _prepare(catalog, template, as_of, rules, orders, tmf_version)
    total = source.total()
    records: list[Record] = []
    if total is None:  # a pipe: counted as the sample is read, in one pass
        total = 0
        for record in source:
            if len(records) < sample:
                records.append(record)
            total += 1
    else:
        records = list(itertools.islice(iter(source), sample))
    start = time.process_time()
    partition = run_partition_with(prepared.engine, prepared.campaign, records)
    seconds = time.process_time() - start
    statuses = Counter(row[STATUS] for row in partition.customers)
    each = seconds / len(records) if records else 0.0
    parallel = max(1, count or 1)
    return {"customers": total, "sampled": len(records),
            "sample": {status: statuses[status] for status in sorted(statuses)},
            "errors": [row[MESSAGE].splitlines()[-1].strip()
                       for row in partition.customers if row[STATUS] == "error"][:10],
            "secondsPerCustomer": Decimal(f"{each:.6f}"), "workers": parallel,
            "estimatedSeconds": Decimal(f"{each * total / parallel:.1f}")}


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
    write_text(root / "comparison.json", dumps(comparison))
    report.write_comparison(root, comparison)
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



def _choices(pairs: list[str], default_key: str) -> dict[str, dict[str, str]]:
    try:
        return settings(pairs, default_key)
    except ValueError as exc:
        raise CampaignUsageError(str(exc)) from None


def command(args: Any, as_of: datetime) -> int:
    """``odedelta bulk``: run (or compare, or estimate) a campaign from the parsed command line; print the
    summary. SIGTERM stops the workers and exits 143: ``--resume`` continues from the last checkpoint."""
    import signal

    if args.to is None and (args.set or args.option):
        raise CampaignUsageError("--set and --option go with --to (the offering the products change to)")
    template: ChangeOffering | Renewal | Termination = (
        ChangeOffering(args.offering, args.to, _choices(args.set, args.to), tuple(args.option))
        if args.to is not None else Renewal(args.offering) if args.renew else Termination(args.offering))
    if args.dry_run is not None:
        estimate = dry_run(args.catalog, args.inventories, template, as_of=as_of, rules=args.rules,
                           sample=args.dry_run, workers=args.workers, engine=args.engine, scheduler=args.scheduler,
                           partition_size=args.partition_size, orders=args.orders, tmf_version=args.tmf_version)
        sys.stdout.write(dumps(estimate))
        return 0
    stopping = StopRequest()
    options = {"orders": args.orders, "tmf_version": args.tmf_version, "engine": args.engine,
               "workers": args.workers, "scheduler": args.scheduler, "partition_size": args.partition_size,
               "budget": args.budget, "progress": True, "resume": args.resume, "force": args.force,
               "retries": args.retries, "stop": stopping}

    def stop(number: int, _frame: Any) -> None:
        stopping.request(f"stopped by {signal.Signals(number).name}: the finished partitions are saved in "
                         f"{args.out}; run the same command with --resume to continue")
        raise Interrupted(stopping.reason)  # seen at once where it can be; else at the next partition

    if getattr(args, "compare_catalog", None) is not None and args.compare_rules is not None:
        raise CampaignError("--compare-rules and --compare-catalog: compare one thing at a time (run twice)")
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        if getattr(args, "compare_catalog", None) is not None:
            result = compare_catalogs(args.catalog, args.compare_catalog, args.inventories, template, as_of=as_of,
                                      out=args.out, rules=args.rules, **options)
        elif args.compare_rules is not None:
            result = compare(args.catalog, args.inventories, template, rules_a=args.rules,
                             rules_b=args.compare_rules, as_of=as_of, out=args.out, **options)
        else:
            result = run(args.catalog, args.inventories, template, as_of=as_of, out=args.out, rules=args.rules,
                         **options).summary
    except KeyboardInterrupt:
        interrupted = Interrupted(f"stopped by SIGINT: the finished partitions are saved in {args.out}; run the "
                                  "same command with --resume to continue")
        interrupted.exit_code = 130
        raise interrupted from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    sys.stdout.write(dumps(result))
    return 0


def generate_command(args: Any, as_of: datetime) -> int:
    """``odedelta generate-base``: a seeded synthetic customer base for a catalog, as JSON Lines."""
    if args.customers < 0:
        raise CampaignUsageError(f"--customers {args.customers}: expected 0 or more")
    if not 0 <= args.share <= 1:
        raise CampaignUsageError(f"--share {args.share}: expected a fraction from 0 to 1")
    if args.max_plans < 1:
        raise CampaignUsageError(f"--max-plans {args.max_plans}: expected 1 or more")
    loaded = load_catalog(args.catalog)
    if args.favour is not None and args.favour not in loaded.offerings:
        raise TemplateError(f"--favour {args.favour!r}: no such offering in the catalog"
                            f"{did_you_mean(args.favour, loaded.offerings)}")
    out = Path(args.out)
    if out.exists() and not args.force:
        raise CampaignUsageError(f"{out}: exists (add --force to replace it)")
    with atomic(out) as scratch:
        generate.write_jsonl(scratch, generate.customers(loaded, args.customers, as_of=as_of, seed=args.seed,
                                                         favour=args.favour, share=args.share,
                                                         max_plans=args.max_plans))
    print(f"{out}: {args.customers} customers (seed {args.seed})", file=sys.stderr)
    return 0
