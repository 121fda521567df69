"""Campaign throughput: customers per second on one machine, by engine, beside the in-process Engine.change loop.

    .venv/bin/python benchmarks/campaigns.py [--customers 100000] [--out benchmarks/campaigns-run]
    .venv/bin/python benchmarks/campaigns.py --quick    # 200 customers in a temporary directory: a smoke run (CI)
    .venv/bin/python benchmarks/campaigns.py --customers 40000 --modes "local 1" "local 2" --repeat 3
                                                        # scaling on a shared machine: the modes in turn, best of 3

The base is generated (seeded) from the demo catalog: every customer holds Mobile Classic, the demo's end-of-sale
offering, and the campaign moves it to its successor Mobile M under the demo rules. Each mode runs in a fresh
process so that its peak memory is its own:

* ``engine only``: ``Engine.change`` alone, timed around each call (the library's cost, nothing else);
* ``stages``: the campaign in one process (``workers=0``, the collector set as in a local worker), its processor
  time split by stage: ``parse`` (the customer's JSON, with the hostile-input guards), ``validate`` (its products
  into an ``Inventory``), ``engine`` (``Engine.evaluate``: delta, rules, money, and the recurring totals it leaves
  to be added up when read), ``rows`` (the customer's and items' rows from the result, and a partition's rows
  sorted into pyarrow tables by the worker), ``writing`` (checkpoints,
  the sorted Parquet files, summary.json, report.html), ``start`` (reading the catalog and rules and checking the
  template, once per campaign) and ``other`` (the rest: reading and hashing the input, moving rows between
  stages);
* ``loop``: one process parses each JSON line and calls ``Engine.change`` (what a script would do);
* ``local 1`` / ``local 2``: ``odedelta.campaigns.run`` on a process pool of 1 and 2 processes (the ``workers``
  column: forked, or spawned when the driver runs threads);
* ``local 2 uncheckpointed``: the same with no checkpoint kept (a local worker drafts its partition's checkpoint
  and the driver reads the rows from the draft, then removes it instead of flushing it to disk and renaming it;
  the wall-clock cost of checkpointing is ``local 2`` over this);
* ``dask 2``: the same on a dask.distributed LocalCluster of 2 worker processes.

The cost of the checkpoints is also measured directly: the time the driver spends making them durable (writing a
finished partition's pickled rows, or reading them from the draft a local worker wrote; ``fsync`` and
``rename``), its share of the run's wall time, and their bytes.

The driver's peak memory (``local``/``dask``: the process that reads, sorts and writes) is its own column: it holds
at most ``budget`` customers' rows (default 20,000) and merges sorted runs from disk. Campaign times are wall clock
for the whole run: starting the workers, reading the catalog and rules in each,
sorting and writing summary.json and the Parquet files. Scaling is the rate over the rate of ``local 1``. The
per-customer cost is processor time (user + system, the driver's and the workers') per customer, compared with
``engine only`` and with ``loop``: unlike wall time it does not depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "catalogs" / "demo"
RULES = ROOT / "rules"
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
FROM, TO = "po-mobile-classic", "po-mobile-m"
MODES = ("engine only", "loop", "stages", "local 1", "local 2", "local 2 uncheckpointed", "dask 2")
STAGES = ("parse", "validate", "engine", "rows", "writing", "start", "other")


def _peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def _cpu() -> float:
    """Processor seconds of this process and of its finished children (the workers), user and system."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def measure(mode: str, base: Path, out: Path) -> dict[str, object]:
    import odedelta
    from odedelta.campaigns import ChangeOffering, run

    template = ChangeOffering(FROM, TO)
    if mode in ("engine only", "loop"):
        catalog = odedelta.load_catalog(DEMO)
        engine = odedelta.Engine(catalog, odedelta.load_rules(RULES, catalog))
        customers, seconds, cpu = 0, 0.0, 0.0
        with base.open(encoding="utf-8") as lines:  # one customer at a time: no mode holds the whole base
            start, started = time.perf_counter(), _cpu()
            for line in lines:
                record = json.loads(line)
                inventory = odedelta.Inventory.from_document(catalog, record["products"], "base")
                context = odedelta.Context(segment=record.get("segment"), attributes=record.get("attributes", {}))
                customers += 1
                if mode == "engine only":  # the change alone, timed around each call
                    begin, begun = time.perf_counter(), _cpu()
                    _change(engine, inventory, context, template.to)
                    seconds, cpu = seconds + time.perf_counter() - begin, cpu + _cpu() - begun
                else:
                    _change(engine, inventory, context, template.to)
            if mode == "loop":
                seconds, cpu = time.perf_counter() - start, _cpu() - started
        return {"mode": mode, "customers": customers, "seconds": seconds, "cpu": cpu,
                "peak_worker_mib": _peak_mib(resource.RUSAGE_SELF)}
    if mode == "stages":
        return _stages(base, out, template)
    from odedelta.campaigns.state import Checkpoints

    engine_name, workers, *rest = mode.split()
    saving = {"seconds": 0.0, "bytes": 0}
    save = Checkpoints.save

    def timed(self: Checkpoints, index: int, hashed: str, partition: bytes) -> None:
        begin = time.perf_counter()
        if rest:  # uncheckpointed: remembered as done, nothing written
            self.done[index] = hashed
        else:
            save(self, index, hashed, partition)
            saving["bytes"] += self.path(index).stat().st_size
        saving["seconds"] += time.perf_counter() - begin

    Checkpoints.save = timed  # type: ignore[method-assign,assignment]
    adopt = getattr(Checkpoints, "adopt", None)  # a local worker drafts the checkpoint, the driver publishes it
    if adopt is not None:
        def adopted(self: Checkpoints, index: int, draft: Path) -> object:
            begin = time.perf_counter()
            if rest:  # uncheckpointed: the rows read from the draft, which is removed, nothing flushed to disk
                with draft.open("rb") as stream:
                    self.done[index] = pickle.load(stream)["digest"]
                    partition = pickle.load(stream)
                draft.unlink()
            else:
                size = draft.stat().st_size
                partition = adopt(self, index, draft)
                saving["bytes"] += size
            saving["seconds"] += time.perf_counter() - begin
            return partition

        Checkpoints.adopt = adopted  # type: ignore[method-assign]
    start, cpu, driver = time.perf_counter(), _cpu(), _cpu_self()
    result = run(DEMO, base, template, as_of=AS_OF, out=out / mode.replace(" ", "-"), rules=RULES,
                 engine=engine_name, workers=int(workers), partition_size=250, force=True)
    seconds, cpu, driver = time.perf_counter() - start, _cpu() - cpu, _cpu_self() - driver
    try:
        from odedelta.campaigns.engines import STARTS
    except ImportError:  # an earlier commit: local workers were always spawned
        STARTS = {}  # type: ignore[assignment]
    return {"mode": mode, "started": ", ".join(sorted(STARTS)) or "—", "customers": result.summary["customers"],
            "seconds": seconds, "cpu": cpu,
            "driver_cpu": driver, "peak_worker_mib": _peak_mib(resource.RUSAGE_CHILDREN), "peak_driver_mib": _peak_mib(
                resource.RUSAGE_SELF), "changed": result.summary["changed"],
            "checkpoint_seconds": saving["seconds"] if not rest else None, "checkpoint_bytes": saving["bytes"]}


def _stages(base: Path, out: Path, template: object) -> dict[str, object]:
    """The campaign in this process (``workers=0``), each stage's processor time summed around its calls."""
    import odedelta
    import odedelta.campaigns as campaigns
    from odedelta.campaigns import report, run, worker
    from odedelta.campaigns.state import Checkpoints
    spent = dict.fromkeys((*STAGES, "money read by rows", "calibration"), 0.0)
    running: dict[str, int] = dict.fromkeys(spent, 0)
    calls: dict[str, int] = dict.fromkeys(spent, 0)

    def timed(owner: object, name: str, stage: str) -> None:
        real = getattr(owner, name, None)
        if real is None:  # a commit without this step (the stage is timed where that commit does it)
            return

        def call(*args: object, **kwargs: object) -> object:
            if running[stage]:  # inside a call of the same stage (from_products reads with from_document)
                return real(*args, **kwargs)
            running[stage] += 1
            calls[stage] += 1
            begun = time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                spent[stage] += time.process_time() - begun
                running[stage] -= 1

        setattr(owner, name, call)

    try:
        from odedelta.model.inventory_reader import InventoryReader
    except ImportError:  # an earlier commit: inventories are read by Inventory.from_document alone
        InventoryReader = None  # type: ignore[assignment,misc]
    for owner, name, stage in ((worker, "parse_text", "parse"), (worker, "parse_json", "parse"),
                               (InventoryReader, "read", "validate"),
                               (odedelta.Inventory, "from_document", "validate"),
                               (odedelta.Engine, "evaluate", "engine"), (worker, "_changed", "rows"),
                               (getattr(worker, "Partition", None), "pack", "rows"),
                               (Checkpoints, "save", "writing"), (campaigns, "write", "writing"),
                               (report, "write", "writing"), (campaigns, "_prepare", "start")):
        timed(owner, name, stage)
    inside, outside = _timing_cost(timed, spent)
    calls.pop("calibration")
    from odedelta.money.charges import Consequences

    for name in ("recurring_before", "recurring_after"):  # money the engine leaves to be added up when read
        getter = getattr(Consequences, name).fget
        holder = type("Holder", (), {"get": staticmethod(getter)})
        timed(holder, "get", "money read by rows")
        setattr(Consequences, name, property(getattr(holder, "get")))  # noqa: B009 - a class made here
    if hasattr(worker, "COLLECTOR"):  # as in a local worker process
        import gc

        gc.set_threshold(*worker.COLLECTOR)
    begun, start = time.process_time(), time.perf_counter()
    result = run(DEMO, base, template, as_of=AS_OF, out=out / "stages", rules=RULES,  # type: ignore[arg-type]
                 workers=0, partition_size=250, force=True)
    cpu = time.process_time() - begun
    # the timing's own cost: part inside each timed span (taken off its stage), the rest between spans
    for stage in spent:
        spent[stage] -= calls[stage] * inside
    overhead = sum(calls.values()) * (inside + outside)
    late = spent.pop("money read by rows")  # the engine's work, timed inside the rows stage
    spent["rows"] -= late + calls["money read by rows"] * outside
    spent["engine"] += late
    spent["other"] = cpu - overhead - sum(spent.values())
    return {"mode": "stages", "customers": result.summary["customers"], "seconds": time.perf_counter() - start,
            "cpu": cpu - overhead, "timing_overhead": overhead,
            "stages": spent, "peak_worker_mib": _peak_mib(resource.RUSAGE_SELF)}


def _timing_cost(timed: Any, spent: dict[str, float], calls: int = 20_000) -> tuple[float, float]:
    """What timing one call costs, in processor seconds: the part inside the span it measures and the part
    outside (measured on a call that does nothing; taken off the stages and ``other``)."""
    holder = type("Nothing", (), {"call": staticmethod(lambda: None)})
    timed(holder, "call", "calibration")
    nothing = getattr(holder, "call")  # noqa: B009 - a class made here
    begun = time.process_time()
    for _ in range(calls):
        nothing()
    whole = time.process_time() - begun
    inside = spent.pop("calibration") / calls
    return inside, whole / calls - inside


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _change(engine: object, inventory: object, context: object, to: str) -> None:
    import odedelta

    assert isinstance(engine, odedelta.Engine) and isinstance(inventory, odedelta.Inventory)
    for pid in sorted(p for p, product in inventory.products.items() if product.offering_id == FROM):
        try:  # noqa: SIM105  - timed: a try costs nothing when nothing is raised, contextlib.suppress more
            engine.change(inventory, odedelta.ChangeOffer(product=pid, to=to), as_of=AS_OF,
                          context=context)  # type: ignore[arg-type]
        except odedelta.OdeDeltaError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, help="size of the generated base (default 100,000; --quick: 200)")
    parser.add_argument("--out", type=Path, help="scratch directory (default benchmarks/campaigns-run; --quick: a "
                                                 "temporary directory, removed at the end)")
    parser.add_argument("--modes", nargs="*", default=list(MODES), help=f"a subset of {', '.join(MODES)}")
    parser.add_argument("--quick", action="store_true", help="a smoke run: every mode on 200 customers")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the modes in turn; each mode's fastest "
                                                              "run is shown (on a shared machine)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one mode, in its own process
    args = parser.parse_args()
    if args.customers is None:
        args.customers = 200 if args.quick else 100_000
    if args.quick and args.out is None and not args.measure:
        with tempfile.TemporaryDirectory() as scratch:
            args.out = Path(scratch)
            benchmark(args)
        return
    if args.out is None:
        args.out = Path("benchmarks/campaigns-run")
    benchmark(args)


def benchmark(args: argparse.Namespace) -> None:
    base = args.out / f"customers-{args.customers}.jsonl"
    if args.measure:
        print(json.dumps(measure(args.measure, base, args.out)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if not base.exists():
        import odedelta
        from odedelta.campaigns import generate

        catalog = odedelta.load_catalog(DEMO)
        generate.write_jsonl(base, generate.customers(catalog, args.customers, as_of=AS_OF, seed=11, favour=FROM,
                                                      share=1.0))
    best: dict[str, dict[str, Any]] = {}
    loads = [os.getloadavg()[0]]
    for _round in range(args.repeat):  # the modes in turn, each round: a busy minute slows them alike
        for mode in args.modes:
            done = subprocess.run([sys.executable, __file__, "--customers", str(args.customers), "--out",
                                   str(args.out), "--measure", mode], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"error: mode {mode!r} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
            row = json.loads(done.stdout.splitlines()[-1])
            loads.append(os.getloadavg()[0])
            print(f"... {mode}: {row['seconds']:.1f} s (load {loads[-1]:.1f})", file=sys.stderr)
            if mode not in best or row["seconds"] < best[mode]["seconds"]:
                best[mode] = row
    rows = [best[mode] for mode in args.modes]
    if args.repeat > 1:
        print(f"best of {args.repeat} rounds per mode (the modes in turn each round); one-minute load average "
              f"from {min(loads):.1f} to {max(loads):.1f}")
    rates = {row["mode"]: row["customers"] / row["seconds"] for row in rows}
    cost = {row["mode"]: row["cpu"] / row["customers"] * 1000 for row in rows}  # CPU milliseconds per customer
    one = rates.get("local 1")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{args.customers:,} customers, {os.cpu_count()} cores (load average at the end: {load}); "
          f"{FROM} -> {TO} under rules/\n")
    (args.out / f"rows-{args.customers}.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print("| mode | wall s | customers/s | scaling vs local 1 | CPU ms/customer | of which the driver | vs engine only "
          "| vs loop | peak MiB per worker | peak MiB driver | checkpoints s (% of wall) | workers |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        mode = str(row["mode"])
        scaling = f"{rates[mode] / one:.2f}x" if one else ""
        ratios = [f"{cost[mode] / cost[base]:.2f}" if base in cost else "" for base in ("engine only", "loop")]
        driver = f"{row['peak_driver_mib']:.0f}" if "peak_driver_mib" in row else "—"
        own = f"{row['driver_cpu'] / row['customers'] * 1000:.3f}" if "driver_cpu" in row else "—"
        saved = row.get("checkpoint_seconds")
        checkpoints = (f"{saved:.2f} ({100 * saved / row['seconds']:.1f} %, "
                       f"{row['checkpoint_bytes'] / 2 ** 20:.0f} MiB)" if isinstance(saved, float) else "—")
        print(f"| {mode} | {row['seconds']:.1f} | {rates[mode]:,.0f} | {scaling} | {cost[mode]:.3f} | {own} | "
              f"{' | '.join(ratios)} | {row['peak_worker_mib']:.0f} | {driver} | {checkpoints} | "
              f"{row.get('started', '—')} |")
    _print_stages(rows)
    plain = rates.get("local 2 uncheckpointed")
    if plain and "local 2" in rates:
        print(f"\nlocal 2 with checkpoints vs without: {rates['local 2'] / plain:.3f}x the rate "
              f"({100 * (plain / rates['local 2'] - 1):+.1f} % wall time)")


def _print_stages(rows: list[dict[str, Any]]) -> None:
    """The ``stages`` row as processor milliseconds per customer, by stage."""
    for row in rows:
        if row["mode"] == "stages":
            each = {stage: row["stages"][stage] / row["customers"] * 1000 for stage in STAGES}
            print("\nCPU ms per customer by stage (one process, workers=0): "
                  + ", ".join(f"{stage} {each[stage]:.3f}" for stage in STAGES)
                  + f"; total {row['cpu'] / row['customers'] * 1000:.3f} "
                  f"(outside the engine: {sum(each.values()) - each['engine']:.3f}; the timing's own "
                  f"{row.get('timing_overhead', 0) / row['customers'] * 1000:.3f} taken off)")


if __name__ == "__main__":
    main()
