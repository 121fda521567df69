"""The stages one change visits, in order, from ``Engine.change`` to its TMF622 document (issue 24's trace depth).

    .venv/bin/python benchmarks/trace_stages.py              # the demo S1 change (alice F-1 → po-fiber-300)
    .venv/bin/python benchmarks/trace_stages.py --reengage   # the same with a re-engagement (a second amendment)
    .venv/bin/python benchmarks/trace_stages.py --residential   # the residential change of benchmarks/run.py

A *stage call* is a call from the pipeline (a module of ``odedelta.flows``) into a function of a stage layer
(``delta``, ``rules``, ``money``), or the caller's call of the output (``outputs``): the module-level functions and
the ``Rulebook``'s decisions, not the methods of the values they return. Consecutive calls into one layer are one
hop. A *climb* is a hop to a higher layer than the previous hop's (the layers of pyproject.toml's import
contract: model < delta < rules < money < flows < outputs). A straight pipeline rules → delta → money → rules →
outputs climbs twice; every time the money step goes back to the delta or the rules and then on again, it climbs
once more.
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import odedelta
from odedelta.flows.engine import Engine
from odedelta.model.requests import ChangeOffer, Context

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["model", "delta", "rules", "money", "flows", "outputs"]
STAGES = {"delta", "rules", "money", "outputs"}


def layer(module: str | None) -> str | None:
    parts = (module or "").split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "odedelta" and parts[1] in LAYERS else None


def stage_calls(run: Any) -> list[tuple[str, str]]:
    """``(layer, module.function)`` of every stage call ``run()`` makes, in order."""
    calls: list[tuple[str, str]] = []

    def profile(frame: FrameType, event: str, _: Any) -> None:
        if event != "call":
            return
        name = layer(frame.f_globals.get("__name__"))
        caller = frame.f_back
        called_by = layer(caller.f_globals.get("__name__")) if caller is not None else None
        if name not in STAGES or not (called_by == "flows" or (name == "outputs" and called_by is None)):
            return
        qualified = frame.f_code.co_qualname
        if qualified.startswith("<") or ("." in qualified and not qualified.startswith("Rulebook.")):
            return  # a value's method or a comprehension, not a stage's function
        calls.append((name, f"{frame.f_globals['__name__'].removeprefix('odedelta.')}.{qualified}"))

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return calls


def hops(calls: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for name, function in calls:
        if out and out[-1][0] == name:
            out[-1][1].append(function)
        else:
            out.append((name, [function]))
    return out


def case() -> tuple[Engine, odedelta.Inventory, ChangeOffer, datetime, Context]:
    if "--residential" in sys.argv:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import run  # benchmarks/run.py, beside this file

        world = run.World.build(2000)
        inventory, request = run.residential_case(world)
        return world.engine("reference"), inventory, request, run.AS_OF, run.CONTEXT
    demo = ROOT / "catalogs" / "demo"
    catalog = odedelta.load_catalog(demo)
    engine = Engine(catalog, odedelta.load_rules(ROOT / "rules", catalog))
    inventory = odedelta.load_inventory(demo / "inventories" / "alice.json", catalog)
    request = ChangeOffer(product="F-1", to="po-fiber-300", reengage=True if "--reengage" in sys.argv else None)
    return engine, inventory, request, datetime(2026, 3, 1, tzinfo=UTC), Context(segment="residential")


def main() -> None:
    engine, inventory, request, as_of, context = case()
    engine.change(inventory, request, as_of=as_of, context=context)  # imports and memos out of the trace
    found = hops(stage_calls(lambda: odedelta.to_tmf622(engine.change(inventory, request, as_of=as_of,
                                                                       context=context))))
    climbs = sum(1 for (a, _), (b, _) in itertools.pairwise(found) if LAYERS.index(b) > LAYERS.index(a))
    for name, functions in found:
        counted = Counter(functions)
        print(f"{name:8} " + ", ".join(f"{f} ×{n}" if n > 1 else f for f, n in counted.items()))
    print(f"{len(found)} hops, {climbs} climbs")


if __name__ == "__main__":
    main()
