"""The house rules, read off the source: layers import only downwards, no import cycle, no import hidden in a
function body to dodge one — a function body may import only an odedelta module that needs an optional extra
(FastAPI, Dask, …), so that the command works without it. The one other exception is the command line's package:
each command imports the engine when it runs (and names its types for the type checker only), so `odedelta --help`
does not load it; those imports still count in the layer and cycle checks below. (`lint-imports` checks the layer
contract in CI.)"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "odedelta"

# bottom to top; a layer may import the layers before it, never one after it
LAYERS = ["model", "delta", "rules", "money", "flows", "outputs", "adapters"]
# the edges sit beside the adapters, on top: they may import any layer and each other; the core never imports them
EDGES = ["service", "campaigns", "partners"]
# modules at the package root: the public face and test engineers' strategies
ROOT_MODULES = {"odedelta": len(LAYERS) + 1, "odedelta.__main__": len(LAYERS) + 1, "odedelta.strategies": 1,
                "odedelta._version": 0}
# the command line: its commands import what they need when they run (`odedelta --help` stays quick)
LAZY = "odedelta.adapters.cli"
# third-party packages of the optional extras: a module importing one is imported lazily by the commands
EXTRAS = {"fastapi", "starlette", "uvicorn", "httpx", "dask", "distributed", "pyarrow", "durable", "tqdm"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(SRC.rglob("*.py"))}


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module] if node.module.split(".")[0] == "odedelta" else []
    if isinstance(node, ast.ImportFrom):
        raise AssertionError(f"relative import at line {node.lineno}: the house uses absolute imports")
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "odedelta"]
    return []


def _rank(module: str) -> int:
    if module in ROOT_MODULES:
        return ROOT_MODULES[module]
    package = module.split(".")[1]
    if package in EDGES:
        return LAYERS.index("adapters")
    return LAYERS.index(package) if package in LAYERS else -1


def _graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for name, tree in modules.items():
        graph.add_node(name)
        for node in ast.walk(tree):
            for target in _imported(node):
                # `from odedelta.x import y` may name a module y of package x
                resolved = f"{target}.{node.names[0].name}" if isinstance(node, ast.ImportFrom) and \
                    f"{target}.{node.names[0].name}" in modules else target
                graph.add_edge(name, resolved if resolved in modules else target, line=node.lineno)
    return graph


def test_every_module_belongs_to_a_layer() -> None:
    unknown = [m for m in _modules() if _rank(m) < 0]
    assert unknown == [], f"modules outside the layers {LAYERS}: {unknown}"


def test_layers_import_only_downwards() -> None:
    graph = _graph()
    upward = [f"{a} → {b} (line {data['line']})" for a, b, data in graph.edges(data=True)
              if b != "odedelta" and _rank(a) < _rank(b)]
    assert upward == []


def test_no_import_cycle_between_modules() -> None:
    graph = _graph()
    graph.remove_edges_from([(a, b) for a, b in graph.edges if b == "odedelta" or a == b])
    assert list(nx.simple_cycles(graph)) == []


def _needs_an_extra(modules: dict[str, ast.Module]) -> set[str]:
    """The odedelta modules that import (at their top, or through another such module) an optional extra."""
    top = {name: [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
           for name, tree in modules.items()}

    def third_party(node: ast.stmt) -> set[str]:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            return {node.module.split(".")[0]}
        return {a.name.split(".")[0] for a in node.names} if isinstance(node, ast.Import) else set()

    needing = {name for name, nodes in top.items() if any(third_party(n) & EXTRAS for n in nodes)}
    grown = True
    while grown:
        before = len(needing)
        needing |= {name for name, nodes in top.items() if any(set(_imported(n)) & needing for n in nodes)}
        grown = len(needing) > before
    return needing


def test_no_function_body_imports_an_odedelta_module_but_an_optional_extra() -> None:
    modules = _modules()
    optional = _needs_an_extra(modules)
    hidden = []
    for name, tree in modules.items():
        if name == LAZY or name.startswith(f"{LAZY}."):
            continue
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                hidden += [f"{name}:{n.lineno} {t}" for n in ast.walk(function) for t in _imported(n)
                           if _resolved(n, t, modules) not in optional]
    assert hidden == []


def _resolved(node: ast.AST, target: str, modules: dict[str, ast.Module]) -> str:
    """``from odedelta.x import y`` names the module ``odedelta.x.y`` when there is one."""
    if isinstance(node, ast.ImportFrom) and f"{target}.{node.names[0].name}" in modules:
        return f"{target}.{node.names[0].name}"
    return target


def test_the_core_imports_no_optional_extra() -> None:
    needing = _needs_an_extra(_modules())
    core = [m for m in needing if m.split(".")[1] in LAYERS[:LAYERS.index("adapters")] and not m.endswith("durable")]
    assert core == []


def test_no_module_imports_odedelta_type_checking_only() -> None:
    """A TYPE_CHECKING import of an odedelta module is a cycle in disguise."""
    hidden = []
    for name, tree in _modules().items():
        if name == LAZY or name.startswith(f"{LAZY}."):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                hidden += [f"{name}:{n.lineno}" for s in node.body for n in ast.walk(s) if _imported(n)]
    assert hidden == []


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_says_in_its_init_what_it_owns(layer: str) -> None:
    doc = ast.get_docstring(ast.parse((SRC / layer / "__init__.py").read_text(encoding="utf-8")))
    assert doc and 1 <= len(doc.splitlines()) <= 3
