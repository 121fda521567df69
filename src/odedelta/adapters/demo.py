"""The demo: a small operator's catalog, its customers, rules and scenario files, and the change the demo shows.

The files live in the repository (``catalogs/demo/``, ``rules/``), where product managers edit them; the wheel
carries the same two folders under ``odedelta/_demo/`` (``pyproject.toml``, ``force-include``), so the relative
paths in the scenario files hold in both. This module finds them in an installed wheel or in a clone (an editable
install), and reads them only when asked: it is an edge, like the CLI.

    from odedelta import demo
    result = demo.run()       # alice moves Fiber 500 → Fiber 300 and loses her free StreamMax
    print(odedelta.explain(result))   # what ``odedelta demo`` prints
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from odedelta.adapters.files import load_catalog, load_inventory, load_rules
from odedelta.flows.engine import Engine
from odedelta.flows.result import ChangeResult
from odedelta.model.errors import OdeDeltaError
from odedelta.model.requests import ChangeOffer
from odedelta.rules import Executor

_PACKAGE = Path(__file__).resolve().parent.parent  # src/odedelta/adapters/demo.py → src/odedelta
_PACKAGED = _PACKAGE / "_demo"
_CLONE = _PACKAGE.parent.parent  # src/odedelta → the repository

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
"""The moment of the demo change."""
CUSTOMER = "alice"
REQUEST = ChangeOffer(product="F-1", to="po-fiber-300")
"""The demo's change: alice downgrades Fiber 500 to Fiber 300 under commitment, losing the promotion that made
her StreamMax free."""


def root() -> Path:
    """The folder holding ``catalogs/demo/`` and ``rules/``: inside the installed package, else the clone."""
    for base in (_PACKAGED, _CLONE):
        if (base / "catalogs" / "demo" / "productOffering.json").is_file() and (base / "rules").is_dir():
            return base
    raise OdeDeltaError(f"the demo files are not installed: neither {_PACKAGED} nor {_CLONE} holds catalogs/demo "
                        "and rules (reinstall odedelta)")


def catalog_path() -> Path:
    """The demo catalog directory; it also holds ``inventories/`` and ``scenarios/`` (``odedelta demo --path``)."""
    return root() / "catalogs" / "demo"


def rules_path() -> Path:
    """The demo rules directory (with the rule-file schema for editors, ``rules-v1.schema.json``)."""
    return root() / "rules"


def scenarios_path() -> Path:
    """The demo scenario files (``odedelta test`` runs them)."""
    return catalog_path() / "scenarios"


def inventory_path(customer: str = CUSTOMER) -> Path:
    """A sample customer's TMF637 products: alice, bob, carol, dave, erin or frank."""
    path = catalog_path() / "inventories" / f"{customer}.json"
    if not path.is_file():
        names = sorted(p.stem for p in (catalog_path() / "inventories").glob("*.json"))
        raise OdeDeltaError(f"no demo customer {customer!r}: expected one of {', '.join(names)}")
    return path


def run(executor: Executor | str | None = None) -> ChangeResult:
    """The demo's change on the demo files: ``odedelta.explain(result)`` is what ``odedelta demo`` prints."""
    catalog = load_catalog(catalog_path())
    rules = load_rules(rules_path(), catalog, executor)
    inventory = load_inventory(inventory_path(), catalog)
    return Engine(catalog, rules).change(inventory, REQUEST, as_of=AS_OF)
