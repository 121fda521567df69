"""What Python's garbage collector costs an enterprise change, and why: the numbers behind the enterprise rows.

    .venv/bin/python benchmarks/collector.py                      # the catalog loaded as shipped (load_catalog)
    .venv/bin/python benchmarks/collector.py --catalog in-memory  # built with Catalog.from_documents, never frozen
    .venv/bin/python benchmarks/collector.py --quick              # tiny sizes: a smoke run

For each size of the generated enterprise account (pack A → pack B, every line changes plan): the objects the
loaded inventory keeps in the collector's view (per line, by type, after a full collection has untracked what it
can) and its memory, then the processor time of one change (median of seven: other work on a shared machine does
not count in it) with the collections that ran during it and what they cost. Then the fitted growth exponent of
processor time over lines, as ``run.py`` fits the wall clock.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # beside this file, found through the path set just above
import run

import odedelta
from odedelta.model.catalog import Catalog, Document
from odedelta.model.requests import ChangeOffer

REQUEST = ChangeOffer(product="ACCOUNT", to="po-pack-b")


class Collections:
    """Counts and times the collections of each generation while it is installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.runs: Counter[int] = Counter()
        self.seconds: Counter[int] = Counter()
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.runs[info["generation"]] += 1
            self.seconds[info["generation"]] += time.process_time() - self._started


def census() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def inventory_of(world: run.World, size: int) -> tuple[odedelta.Inventory, str]:
    """The loaded inventory and what it keeps in the collector's view and in memory, per line."""
    line = world.catalog.graph.components("po-pack-a")[0].offering_id
    documents = generate.enterprise_inventory(size, line)
    gc.collect()
    before = census()
    tracemalloc.start()
    inventory = odedelta.Inventory.from_document(world.catalog, documents)
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    gc.collect()
    tracked = census() - before
    top = ", ".join(f"{name} {count / size:.1f}" for name, count in tracked.most_common(6))
    return inventory, (f"{sum(tracked.values()) / size:.1f} tracked objects per line ({top}); "
                       f"{kept / size / 1024:.1f} KB per line")


def change(world: run.World, inventory: odedelta.Inventory) -> tuple[float, str]:
    """Median processor time of seven changes, and the collections that ran during them (mean per change)."""
    engine = world.engine("reference")
    engine.change(inventory, REQUEST, as_of=run.AS_OF, context=run.CONTEXT)
    watch = Collections()
    gc.callbacks.append(watch)
    times = []
    try:
        for _ in range(7):
            start = time.process_time()
            engine.change(inventory, REQUEST, as_of=run.AS_OF, context=run.CONTEXT)
            times.append(time.process_time() - start)
    finally:
        gc.callbacks.remove(watch)
    spent = "; ".join(f"generation {g}: {watch.runs[g] / 7:.1f} × ({watch.seconds[g] / 7 * 1e3:.1f} ms)"
                      for g in sorted(watch.runs))
    return statistics.median(times), spent or "no collection"


def world_of(how: str) -> run.World:
    if how == "shipped":
        return run.World.build(2000)
    documents = generate.catalog_documents(2000)  # as the benchmarks built it before: never frozen
    catalog = Catalog.from_documents([Document(kind, docs) for kind, docs in documents.items()])
    del documents
    world = run.World(catalog, generate.rules_text(run.plans(catalog)))
    world.books["reference"] = run.rulebook(catalog, world.rules_text, run.ReferenceExecutor)
    return world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", choices=("shipped", "in-memory"), default="shipped")
    parser.add_argument("--quick", action="store_true", help="sizes 100 and 300 only")
    args = parser.parse_args()
    world = world_of(args.catalog)
    sizes = [100, 300] if args.quick else [100, 1000, 2000, 5000, 10000]
    points = []
    print(f"catalog {args.catalog}; Python {sys.version.split()[0]}; collector thresholds {gc.get_threshold()}; "
          f"{gc.get_freeze_count():,} objects frozen")
    for size in sizes:
        inventory, held = inventory_of(world, size)
        seconds, spent = change(world, inventory)
        points.append((size, seconds))
        print(f"{size:>6,} lines: change {seconds * 1e3:.1f} ms ({seconds / size * 1e6:.0f} µs/line), collections "
              f"during it: {spent}\n{'':>14}inventory: {held}", flush=True)
    logs = [math.log(size) for size, _ in points]
    exponent = run.slope(logs, [math.log(seconds) for _, seconds in points])
    print(f"fitted growth exponent of processor time, {sizes[0]:,}–{sizes[-1]:,} lines: {exponent:.2f}")


if __name__ == "__main__":
    main()
