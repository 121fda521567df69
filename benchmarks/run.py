"""odedelta's benchmarks: the engine against its peers, side by side, and how its cost grows.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/run.py                          # prints the markdown table
    .venv/bin/python benchmarks/run.py --write benchmarks/RESULTS.md
    .venv/bin/python benchmarks/run.py --quick                  # tiny sizes: a smoke run of seconds (CI runs it)

Every input is generated from a seed (``generate.py``): nothing big is committed. Compare ratios from one run, not
absolute times: the machine is shared and noisy. Timings are wall clock (``time.perf_counter``) around the call
measured, with the catalog and rules already loaded unless the row says otherwise.

The peers (deepdiff, zen-engine, rule-engine: the ``bench`` extra) and durable-rules (the ``durable`` extra) are
optional: a row whose peer is not installed says so and is left out. ``--require-peers`` makes a missing peer an error
(CI installs both extras on Python 3.11 and runs ``--quick --require-peers``). The run exits 1 when anything fails:
an exception, or answers that disagree (executors on the full change, any decider against the plain-Python floor).
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import json
import math
import multiprocessing
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  - beside this file, found through the path set just above

import odedelta  # noqa: E402
from odedelta.flows.engine import Engine  # noqa: E402
from odedelta.model.catalog import Catalog  # noqa: E402
from odedelta.model.jsonio import dumps  # noqa: E402
from odedelta.model.requests import ChangeOffer, Context  # noqa: E402
from odedelta.rules import ReferenceExecutor, Rulebook  # noqa: E402
from odedelta.rules.language import check_rule_documents  # noqa: E402

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
CONTEXT = Context(segment="residential")

REQUIRE_PEERS = False
"""``--require-peers``: a peer that cannot be imported is an error instead of a row left out."""
MISSING: list[str] = []
"""The peers left out of this run (said in the table's note)."""
PROBLEMS: list[str] = []
"""What went wrong without an exception (disagreeing answers): the run prints its table, then exits 1."""


def peer(module: str, extra: str) -> Any:
    """The peer's module, or None (noted) when it is not installed and not required."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if REQUIRE_PEERS:
            raise SystemExit(f"error: {module} cannot be imported ({exc}); install it with pip install -e '.[{extra}]'"
                             ) from None
        if module not in MISSING:
            MISSING.append(module)
            print(f"note: {module} is not installed (pip install -e '.[{extra}]'): its rows are left out",
                  file=sys.stderr)
        return None


# ---------------------------------------------------------------------------------------------------- the world
@dataclass
class World:
    """A generated catalog with its rules, loaded once."""

    catalog: Catalog
    rules_text: str
    books: dict[str, Rulebook] = field(default_factory=dict)
    """executor name → rulebook: ``reference`` always, ``durable-rules`` where it imports."""

    @classmethod
    def build(cls, offerings: int) -> World:
        """The catalog is loaded as shipped: written as TMF JSON files and read back with ``load_catalog``, which
        moves what it loaded out of the garbage collector's view (``gc.freeze``). Built in memory with
        ``Catalog.from_documents`` instead, it would stay in view and every full collection during a change would
        walk it again: a cost no embedder who loads a catalog pays (and the generated documents are not kept)."""
        with tempfile.TemporaryDirectory() as tmp:
            write_catalog(Path(tmp), generate.catalog_documents(offerings))
            catalog = odedelta.load_catalog(tmp)
        text = generate.rules_text(plans(catalog))
        world = cls(catalog, text)
        for name, executor in executors().items():
            world.books[name] = rulebook(catalog, text, executor)
        return world

    def engine(self, executor: str) -> Engine:
        return Engine(self.catalog, self.books[executor])


def write_catalog(root: Path, documents: dict[str, list[dict[str, Any]]]) -> None:
    """The generated documents as TMF list files, one per resource kind (``productOffering.json``...)."""
    for kind, docs in documents.items():
        (root / f"{kind}.json").write_text(json.dumps(docs, default=float, indent=1), encoding="utf-8")


def plans(catalog: Catalog) -> list[str]:
    return sorted(o for o in catalog.offerings if o.startswith("po-plan-"))


def executors() -> dict[str, Any]:
    found: dict[str, Any] = {"reference": ReferenceExecutor}
    # durable-rules: the durable extra, a C extension that builds on Python 3.11 and 3.12 only
    if peer("durable.engine", "durable") is None:
        return found
    from odedelta.rules.durable import DurableExecutor

    return {"durable-rules": DurableExecutor, **found}


def rulebook(catalog: Catalog, text: str, executor: Any) -> Rulebook:
    rules, problems = check_rule_documents([("generated.yaml", text)], catalog)
    assert not problems, problems
    return Rulebook(rules, executor())


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def timed_both(call: Callable[[], Any]) -> tuple[float, float]:
    """Wall clock and processor time of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - start, time.process_time() - cpu


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# ---------------------------------------------------------------------------------------------------- residential
def residential_case(world: World) -> tuple[odedelta.Inventory, ChangeOffer]:
    """The first generated customer whose change of plan costs a penalty and loses a promotion."""
    engine = world.engine("reference")
    promoted = {c.criteria_value for p in world.catalog.promotions.values() for pattern in p.pattern
                for group in pattern.criteria_group for c in group.criteria}
    for seed in range(500):
        products = generate.residential_inventory(world.catalog, sorted(promoted & set(plans(world.catalog))), seed)
        inventory = odedelta.Inventory.from_document(world.catalog, products)
        installed = inventory.product("R-0").offering_id or ""
        for target in plans(world.catalog)[seed % 40::40]:
            if target == installed:
                continue
            request = ChangeOffer(product="R-0", to=target)
            try:
                result = engine.change(inventory, request, as_of=AS_OF, context=CONTEXT)
            except odedelta.RequestError:
                continue
            c = result.consequences
            if c is not None and c.penalty_total.amount > 0 and c.promotion_ids("lost"):
                return inventory, request
    raise SystemExit("no residential case with a penalty and a lost promotion in the generated catalog")


def tree(products: Iterable[Any]) -> list[dict[str, Any]]:
    return [p.to_tmf() for p in products]


def residential(world: World, runs: int) -> list[str]:
    deepdiff = peer("deepdiff", "bench")
    inventory, request = residential_case(world)
    answers, results = {}, {}
    engines = {name: world.engine(name) for name in world.books}
    for name, engine in engines.items():
        results[name] = engine.change(inventory, request, as_of=AS_OF, context=CONTEXT)
        answers[name] = dumps({k: v for k, v in odedelta.to_dict(results[name]).items() if k != "executor"})
    result = next(iter(results.values()))
    before, after = tree(inventory.products.values()), tree(result.projected())
    # Each change meets a new inventory of the same products (built before the clock starts), as in a campaign, a
    # service request or a CLI run: what an inventory remembers once asked again (a qualification's next target)
    # is not counted in the goal's row; the same inventory asked again is its own row.
    document = tree(inventory.products.values())
    fresh = {name: [odedelta.Inventory.from_document(world.catalog, document) for _ in range(runs)]
             for name in engines}
    # interleaved, one call of each per round: a ratio to the peer stays fair when the machine's load drifts
    times: dict[str, list[float]] = {name: [] for name in engines}
    again: dict[str, list[float]] = {name: [] for name in engines}
    diff_times: list[float] = []
    for turn in range(runs):
        for name, engine in engines.items():
            new = fresh[name][turn]
            times[name].append(timed(lambda e=engine, i=new: e.change(i, request, as_of=AS_OF, context=CONTEXT)))
            again[name].append(timed(lambda e=engine: e.change(inventory, request, as_of=AS_OF, context=CONTEXT)))
        if deepdiff is not None:
            diff_times.append(timed(lambda: deepdiff.DeepDiff(before, after)))
    rows = [(name, statistics.median(times[name]), percentile(times[name], 0.99)) for name in engines]
    diff_p50 = statistics.median(diff_times) if diff_times else None
    c = result.consequences
    assert c is not None
    what = (f"{len(inventory.products)} installed products, {len(world.catalog.offerings):,} offerings, "
            f"{sum(len(b.rules) for b in world.books.values()) // len(world.books)} rules; "
            f"{request.product} {inventory.product(request.product).offering_id} → {request.to}: "
            f"{len(result.items)} items, penalty {c.penalty_total}, promotions lost {len(c.promotion_ids('lost'))}")
    out = [f"| Residential change ({what}) | | | |"]
    for name, p50, p99 in rows:
        versus = f"{p50 / diff_p50:.3f}× deepdiff" if diff_p50 else "—"
        out.append(f"| &nbsp; odedelta, {name} executor, end to end, a new inventory each change | p50 "
                   f"{p50 * 1e3:.3f} ms, p99 {p99 * 1e3:.2f} ms | p50 ≤ 0.15 ms, ≤ 0.05× deepdiff | {versus} |")
        p50_again = statistics.median(again[name])
        versus = f"{p50_again / diff_p50:.2f}× deepdiff" if diff_p50 else "—"
        out.append(f"| &nbsp; odedelta, {name} executor, the same inventory asked again (what it remembers counts) "
                   f"| p50 {p50_again * 1e3:.2f} ms | — | {versus} |")
    if diff_p50 is not None:
        out.append(f"| &nbsp; deepdiff of the before and after product trees (answers less: no actions, reasons, "
                   f"money) | p50 {diff_p50 * 1e3:.2f} ms | — | 1× |")
    agree = len(set(answers.values())) == 1
    if not agree:
        PROBLEMS.append(f"residential: the executors give different answers ({', '.join(answers)})")
    out.append(f"| &nbsp; executors agree on the full answer | {'yes' if agree else 'NO'} ({len(answers)} executors) "
               f"| identical | — |")
    return out


# ---------------------------------------------------------------------------------------------------- enterprise
def enterprise(world: World, sizes: list[int]) -> list[str]:
    deepdiff = peer("deepdiff", "bench")
    engine = world.engine("reference")
    line = world.catalog.graph.components("po-pack-a")[0].offering_id
    points: list[tuple[int, float, float, float]] = []
    out = ["| Enterprise account: pack A → pack B, every line changes plan (time per size, the catalog loaded as "
           "shipped by `load_catalog`; then with the caller's own `gc.freeze()` of the loaded inventory too) | | | |"]
    request = ChangeOffer(product="ACCOUNT", to="po-pack-b")
    for size in sizes:
        document = generate.enterprise_inventory(size, line)
        held = holding(functools.partial(odedelta.Inventory.from_document, world.catalog, document))
        inventory = odedelta.Inventory.from_document(world.catalog, document)
        result = engine.change(inventory, request, as_of=AS_OF, context=CONTEXT)
        assert len(result.items) == size + 1

        def change(inventory: odedelta.Inventory = inventory) -> tuple[float, float]:
            """Median wall clock and processor time of five changes (processor time: other work on a shared
            machine does not count in it)."""
            runs = [timed_both(lambda: engine.change(inventory, request, as_of=AS_OF, context=CONTEXT))
                    for _ in range(5)]
            return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)

        seconds, cpu = change()
        # the loaded inventory leaves the collector's view too; never unfrozen, which would also give back the
        # catalog load_catalog froze: the next size's inventory replaces this one, freed by reference counting
        gc.freeze()
        frozen, _ = change()
        versus = "—"
        if deepdiff is not None:
            before, after = tree(inventory.products.values()), tree(result.projected())
            diff = timed(lambda b=before, a=after: deepdiff.DeepDiff(b, a))
            versus = f"{seconds / diff:.2f}× deepdiff ({diff:.3f} s)"
        points.append((size, seconds, frozen, cpu))
        goal = "≤ 0.25 s" if size == 5000 else ""
        out.append(f"| &nbsp; {size:,} lines | {seconds:.3f} s ({seconds / size * 1e6:.0f} µs/line; processor time "
                   f"{cpu:.3f} s); frozen {frozen:.3f} s ({frozen / size * 1e6:.0f} µs/line); the inventory holds "
                   f"{held[0] / size:.1f} tracked objects and {held[1] / size:,.0f} bytes a line | {goal} | {versus} |")
    fitted = [p for p in points if p[0] >= 100]
    logs = [math.log(p[0]) for p in fitted]
    exponent = slope(logs, [math.log(p[1]) for p in fitted])
    frozen_exponent = slope(logs, [math.log(p[2]) for p in fitted])
    cpu_exponent = slope(logs, [math.log(p[3]) for p in fitted])
    out.append(f"| &nbsp; fitted growth exponent (log time over log lines, {fitted[0][0]:,}–{fitted[-1][0]:,}) "
               f"| {exponent:.3f} (processor time {cpu_exponent:.3f}); frozen {frozen_exponent:.3f} | ≤ 1.05 | — |")
    return out


def holding(build: Callable[[], Any]) -> tuple[int, int]:
    """The objects the garbage collector tracks (what each full collection walks) and the bytes allocated (Python's
    allocator, tracemalloc) that what ``build`` returns holds."""
    gc.collect()
    objects = len(gc.get_objects())
    tracemalloc.start()
    built = build()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    gc.collect()
    objects = len(gc.get_objects()) - objects
    del built
    return objects, held


def slope(xs: list[float], ys: list[float]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


# ---------------------------------------------------------------------------------------------------- catalog load
LOAD = """
import gc, json, sys, time
import odedelta
from odedelta.adapters.files import load_rules
from odedelta.flows.engine import Engine  # the library imported before its base memory is read

def peak_kb():  # VmHWM: this process image's peak RSS (ru_maxrss would include the parent's, kept across exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))

base = peak_kb()
start, cpu = time.perf_counter(), time.process_time()
catalog = odedelta.load_catalog(sys.argv[1])
if sys.argv[3] == "freeze":
    gc.freeze()
loaded = time.perf_counter()
engine = Engine(catalog, load_rules(sys.argv[2], catalog))
gc.collect()  # the first full collection after loading is part of getting ready
ready, cpu = time.perf_counter(), time.process_time() - cpu
peak = peak_kb()
print(json.dumps({"catalog": loaded - start, "total": ready - start, "cpu": cpu, "peak": peak, "base": base,
                  "offerings": len(catalog.offerings)}))
"""


def catalog_load(offerings: int, runs: int) -> list[str]:
    documents = generate.catalog_documents(offerings)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "catalog"
        root.mkdir()
        write_catalog(root, documents)
        rules = Path(tmp) / "rules"
        rules.mkdir()
        world_plans = sorted(d["id"] for d in documents["productOffering"] if d["id"].startswith("po-plan-"))
        (rules / "rules.yaml").write_text(generate.rules_text(world_plans), encoding="utf-8")
        size = sum(p.stat().st_size for p in root.iterdir())
        medians = {}
        for mode in ("plain", "freeze"):
            answers = []
            for _ in range(runs):
                run = subprocess.run([sys.executable, "-c", LOAD, str(root), str(rules), mode], capture_output=True,
                                     text=True, check=True)
                answers.append(json.loads(run.stdout))
            medians[mode] = sorted(answers, key=lambda a: a["total"])[len(answers) // 2]
    best, frozen = medians["plain"], medians["freeze"]
    peak_mb, base_mb = best["peak"] / 1024, best["base"] / 1024
    per = (best["peak"] - best["base"]) / best["offerings"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    return [f"| Catalog load: {best['offerings']:,} offerings of TMF620 JSON ({size / 1e6:.1f} MB, 4 files) and 100 "
            f"rules from disk to a ready engine, including the first full garbage collection (median of {runs} fresh "
            f"processes; load average {load:.1f}) | {best['total']:.2f} s (catalog {best['catalog']:.2f} s; "
            f"processor time {best['cpu']:.2f} s); {frozen['total']:.2f} s with the caller's own `gc.freeze()` after "
            f"loading | ≤ 0.4 s, ≤ 6 KB per offering | peak RSS {peak_mb:.0f} MB ({peak_mb - base_mb:.0f} MB above "
            f"the {base_mb:.0f} MB of the imported library: {per:.1f} KB per offering) |"]


# ---------------------------------------------------------------------------------------------------- bulk
_BULK: World | None = None


def _bulk_worker(span: tuple[int, int]) -> tuple[int, int, float]:
    """Load and change customers ``span``: (changes made, refused, seconds spent in load + change)."""
    assert _BULK is not None
    world = _BULK
    engine = world.engine(next(iter(world.books)))
    targets = plans(world.catalog)
    done = refused = 0
    spent = 0.0
    for seed in range(*span):
        products = generate.residential_inventory(world.catalog, targets, seed)
        start = time.perf_counter()
        inventory = odedelta.Inventory.from_document(world.catalog, products)
        try:
            engine.change(inventory, ChangeOffer(product="R-0", to=targets[seed * 7 % len(targets)]), as_of=AS_OF,
                          context=CONTEXT)
            done += 1
        except odedelta.RequestError:
            refused += 1
        spent += time.perf_counter() - start
    return done, refused, spent


def bulk(world: World, customers: int) -> list[str]:
    global _BULK
    _BULK = world
    one = _bulk_worker((0, customers))
    rate_one = customers / one[2]
    half = customers // 2
    with multiprocessing.get_context("fork").Pool(2) as pool:
        wall = time.perf_counter()
        parts = pool.map(_bulk_worker, [(0, half), (half, customers)])
        wall = time.perf_counter() - wall
    rate_two = customers / max(p[2] for p in parts)
    return [f"| Bulk: {customers:,} generated customers (≈15 products each), load the inventory and change plan "
            f"({one[0]:,} changes, {one[1]:,} refused by the rules) | one core: {rate_one:,.0f} customers/s | — | "
            f"two cores: {rate_two:,.0f} customers/s ({rate_two / rate_one:.2f}×; wall {wall:.0f} s with generation) |"]


# ---------------------------------------------------------------------------------------------------- rule layer
@dataclass
class Table:
    """The penalty table and eligibility rules of the generated rule set, as data every peer is built from."""

    penalty: list[tuple[str, int]]  # (rule id, months_remaining lower bound), priority order
    denies: list[tuple[str, str, str]]  # (rule id, offering, segment), file order

    @classmethod
    def of(cls, book: Rulebook) -> Table:
        penalty = [(r.id, int(r.id.split("-")[1]) * 2) for r in book.rules if r.kind == "penalty"]
        penalty.sort(key=lambda p: -book.by_id[p[0]].priority)
        denies = []
        for rule in (r for r in book.rules if r.kind == "eligibility"):
            when = rule.model.when  # type: ignore[attr-defined]
            offering = when.split("'")[1]
            segment = when.split("'")[3]
            denies.append((rule.id, offering, segment))
        return cls(penalty, denies)


def facts_inputs(table: Table, count: int) -> list[dict[str, Any]]:
    rng = random.Random(11)
    offerings = sorted({o for _, o, _ in table.denies})
    out = []
    for _ in range(count):
        out.append({
            "term": {"active": rng.random() < 0.8, "months_remaining": rng.randrange(0, 110)},
            "change": {"direction": rng.choice(["upgrade", "downgrade", "lateral"])},
            "target": {"offering": rng.choice(offerings)},
            "customer": {"segment": f"s{rng.randrange(8)}"},
            "_absent": ["-"],
        })
    return out


def floor_deciders(table: Table) -> tuple[Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], Any]]:
    """The plain-Python floor: a dict lookup for each decision."""
    bands = {low // 2: rule_id for rule_id, low in table.penalty}
    deny: dict[tuple[str, str], list[str]] = {}
    for rule_id, offering, segment in table.denies:
        deny.setdefault((offering, segment), []).append(rule_id)

    def penalty(f: dict[str, Any]) -> str | None:
        term = f["term"]
        if not term["active"] or f["change"]["direction"] != "downgrade":
            return None
        return bands.get(term["months_remaining"] // 2)

    def eligibility(f: dict[str, Any]) -> list[str]:
        return deny.get((f["target"]["offering"], f["customer"]["segment"]), [])

    return penalty, eligibility


def zen_deciders(table: Table, zen: Any) -> tuple[Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], Any]]:

    def graph(name: str, hit: str, inputs: list[dict[str, str]], rows: list[dict[str, str]]) -> Any:
        jdm = {"nodes": [{"id": "in", "type": "inputNode", "name": "in"},
                         {"id": "table", "type": "decisionTableNode", "name": name,
                          "content": {"hitPolicy": hit, "inputs": inputs,
                                      "outputs": [{"id": "rule", "name": "rule", "field": "rule"}], "rules": rows}},
                         {"id": "out", "type": "outputNode", "name": "out"}],
               "edges": [{"id": "a", "sourceId": "in", "targetId": "table"},
                         {"id": "b", "sourceId": "table", "targetId": "out"}]}
        return zen.ZenDecisionContent(json.dumps(jdm))

    contents = {
        "penalty": graph("penalty", "first", [{"id": "a", "name": "active", "field": "term.active"},
                                              {"id": "m", "name": "months", "field": "term.months_remaining"},
                                              {"id": "d", "name": "direction", "field": "change.direction"}],
                         [{"_id": r, "a": "true", "m": f"[{low}..{low + 2})", "d": "'downgrade'", "rule": f"'{r}'"}
                          for r, low in table.penalty]),
        "eligibility": graph("eligibility", "collect", [{"id": "o", "name": "offering", "field": "target.offering"},
                                                        {"id": "s", "name": "segment", "field": "customer.segment"}],
                             [{"_id": r, "o": f"'{o}'", "s": f"'{s}'", "rule": f"'{r}'"} for r, o, s in table.denies]),
    }
    engine = zen.ZenEngine({"loader": lambda key: contents[key]})

    def penalty(f: dict[str, Any]) -> str | None:
        return engine.evaluate("penalty", f)["result"].get("rule")

    def eligibility(f: dict[str, Any]) -> list[str]:
        return [row["rule"] for row in engine.evaluate("eligibility", f)["result"]]

    return penalty, eligibility


def rule_engine_deciders(table: Table, rule_engine: Any) -> tuple[Callable[[dict[str, Any]], Any],
                                                                    Callable[[dict[str, Any]], Any]]:

    penalties = [(r, rule_engine.Rule(f"term.active and term.months_remaining >= {low} and "
                                      f"term.months_remaining < {low + 2} and change.direction == 'downgrade'"))
                 for r, low in table.penalty]
    denies = [(r, rule_engine.Rule(f"target.offering == '{o}' and customer.segment == '{s}'"))
              for r, o, s in table.denies]

    def penalty(f: dict[str, Any]) -> str | None:
        return next((r for r, rule in penalties if rule.matches(f)), None)

    def eligibility(f: dict[str, Any]) -> list[str]:
        return [r for r, rule in denies if rule.matches(f)]

    return penalty, eligibility


def raw_durable_deciders(book: Rulebook) -> tuple[Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], Any]]:
    """durable-rules alone: a Host with the same conditions as JSON rulesets, one assert and retract per decision,
    actions collecting the rules that fire — without odedelta's executor (no lock, no fact conversion)."""
    from durable import engine as durable_engine

    class Host(durable_engine.Host):
        def _run(self) -> None:  # no dispatcher threads
            return None

    host = Host()
    hits: list[str] = []
    order = {}
    for kind in ("penalty", "eligibility"):
        rules = [r for r in sorted(book.rules, key=lambda r: -r.priority) if r.kind == kind]
        order[kind] = [r.id for r in rules]
        host.set_rulesets({f"raw_{kind}": {
            r.id: {"all": [{"m": json.loads(json.dumps(r.condition, default=float))}],
                   "run": (lambda rid: lambda c: hits.append(rid))(r.id)} for r in rules}})
    counter = iter(range(1, 1 << 62))

    def decide(kind: str, f: dict[str, Any]) -> list[str]:
        hits.clear()
        fact = {**f, "sid_": next(counter)}
        # a try costs nothing when nothing is raised; contextlib.suppress would build a context manager per call in
        # the loop being timed
        try:  # noqa: SIM105
            host.assert_fact(f"raw_{kind}", fact)
        except durable_engine.MessageNotHandledException:
            pass
        try:  # noqa: SIM105
            host.retract_fact(f"raw_{kind}", fact)
        except durable_engine.MessageNotHandledException:
            pass
        return [r for r in order[kind] if r in hits]

    def penalty(f: dict[str, Any]) -> str | None:
        found = decide("penalty", f)
        return found[0] if found else None

    return penalty, lambda f: decide("eligibility", f)


def odedelta_deciders(book: Rulebook) -> tuple[Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], Any]]:
    def penalty(f: dict[str, Any]) -> str | None:
        rule = book.first_hit("penalty", f)
        return rule.id if rule is not None else None

    def eligibility(f: dict[str, Any]) -> list[str]:
        return [r.id for r in book.hits("eligibility", f)]

    return penalty, eligibility


def rule_layer(world: World, count: int) -> list[str]:
    book = world.books["reference"]
    table = Table.of(book)
    inputs = facts_inputs(table, count)
    floor = floor_deciders(table)
    peers: list[tuple[str, Any]] = [("plain Python floor (dict lookup)", floor)]
    for name, rules in world.books.items():
        peers.append((f"odedelta, {name} executor", odedelta_deciders(rules)))
    if "durable-rules" in world.books:
        peers.append(("durable-rules alone (assert + retract)", raw_durable_deciders(book)))
    zen = peer("zen", "bench")
    if zen is not None:
        peers.append(("zen-engine (`ZenEngine(...).evaluate`)", zen_deciders(table, zen)))
    rule_engine = peer("rule_engine", "bench")
    if rule_engine is not None:
        peers.append(("rule-engine", rule_engine_deciders(table, rule_engine)))
    expected = [[floor[k](f) for f in inputs] for k in range(2)]
    measured = []
    for name, deciders in peers:
        row = [name]
        for k in range(2):
            subset = inputs if "rule-engine" not in name else inputs[: max(1, count // 4)]
            gc.collect()
            start = time.perf_counter()
            answers = [deciders[k](f) for f in subset]
            seconds = (time.perf_counter() - start) / len(subset)
            wrong = sum(1 for a, e in zip(answers, expected[k], strict=False) if a != e)
            if wrong:
                PROBLEMS.append(f"rule layer: {name} differs from the plain-Python floor on {wrong} of {len(subset)} "
                                f"{('penalty', 'eligibility')[k]} decisions")
            row += [seconds, wrong, len(subset)]
        measured.append(row)
    floor_us = (measured[0][1], measured[0][4])
    zen_us = next(((m[1], m[4]) for m in measured if m[0].startswith("zen")), None)
    raw = next(((m[1], m[4]) for m in measured if m[0].startswith("durable-rules alone")), None)
    hits = sum(1 for e in expected[0] if e is not None), sum(1 for e in expected[1] if e)
    out = [f"| Rule layer: a 50-row penalty table (first match) and 40 eligibility denies (collect all), {count:,} "
           f"seeded inputs ({hits[0]:,} penalty hits, {hits[1]:,} denials), µs per decision | penalty · eligibility "
           f"| goal | vs floor · vs zen-engine · mismatches |"]
    for name, p_s, p_wrong, p_n, e_s, e_wrong, e_n in measured:
        goal = ""
        if name.startswith("odedelta, reference"):
            goal = "faster than zen-engine, ≤ 5× floor"
        elif name.startswith("odedelta, durable") and raw:
            goal = f"≤ 1.5× durable-rules alone ({p_s / raw[0]:.2f}× · {e_s / raw[1]:.2f}×)"
        zen_ratio = f"{p_s / zen_us[0]:.2f}× · {e_s / zen_us[1]:.2f}× zen; " if zen_us else ""
        out.append(f"| &nbsp; {name} | {p_s * 1e6:.2f} · {e_s * 1e6:.2f} | {goal} | {p_s / floor_us[0]:.1f}× · "
                   f"{e_s / floor_us[1]:.1f}× floor; {zen_ratio}{p_wrong + e_wrong} of {p_n + e_n:,} differ |")
    return out


# ---------------------------------------------------------------------------------------------------- report
def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    versions = []
    for package in ("pydantic", "networkx", "durable_rules", "deepdiff", "zen-engine", "rule-engine"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:  # a missing optional package is reported as such
            versions.append(f"{package} —")
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, {memory:,} MB; "
            f"Python {platform.python_version()}; {', '.join(versions)}")


SECTIONS = ("residential", "enterprise", "catalog load", "rule layer", "bulk")


def main() -> None:
    global REQUIRE_PEERS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes (400 offerings, 300 lines, 200 customers): a smoke run of seconds")
    parser.add_argument("--customers", type=int, help="bulk batch size (default 100,000; --quick: 200)")
    parser.add_argument("--require-peers", action="store_true",
                        help="a peer that is not installed (deepdiff, zen-engine, rule-engine, durable-rules) is an "
                             "error instead of a row left out")
    parser.add_argument("--write", type=Path, help="also write the table and the machine to this markdown file")
    parser.add_argument("--sections", help=f"run only these sections, comma-separated (of: {', '.join(SECTIONS)})")
    args = parser.parse_args()
    quick, REQUIRE_PEERS = args.quick, args.require_peers
    started = time.perf_counter()
    world = World.build(400 if quick else 2000)
    sections = [
        ("residential", lambda: residential(world, 20 if quick else 500)),
        ("enterprise", lambda: enterprise(world, [10, 100, 300] if quick else [10, 100, 1000, 2000, 5000, 10000])),
        ("catalog load", lambda: catalog_load(400 if quick else 10000, 1 if quick else 3)),
        ("rule layer", lambda: rule_layer(world, 400 if quick else 20000)),
        ("bulk", lambda: bulk(world, args.customers or (200 if quick else 100_000))),
    ]
    if args.sections:
        wanted = [name.strip() for name in args.sections.split(",")]
        unknown = [name for name in wanted if name not in SECTIONS]
        if unknown:
            parser.error(f"unknown section(s) {', '.join(unknown)}: expected some of {', '.join(SECTIONS)}")
        sections = [(name, run) for name, run in sections if name in wanted]
    lines = ["| what | measured | goal | compared |", "| --- | --- | --- | --- |"]
    for name, run in sections:
        print(f"… {name}", file=sys.stderr, flush=True)
        lines += run()
    if MISSING:
        lines.append(f"| (not installed, rows left out: {', '.join(MISSING)}) | | | |")
    table = "\n".join(lines)
    print(table)
    took = time.perf_counter() - started
    print(f"… {took:.1f} s", file=sys.stderr)
    if args.write:
        command = "python benchmarks/run.py" + (" --quick" if quick else "") + (
            f" --customers {args.customers}" if args.customers else "") + (
            f" --sections '{args.sections}'" if args.sections else "")
        args.write.write_text(
            f"# odedelta benchmarks\n\nOne run of `{command}` on {datetime.now(UTC):%Y-%m-%d} "
            f"({took / 60:.0f} minutes).\n\nMachine: {machine()}.\n\n{table}\n", encoding="utf-8")
    if PROBLEMS:
        print("error: " + "\nerror: ".join(PROBLEMS), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
