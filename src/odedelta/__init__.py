"""odedelta: what happens if this customer moves from what they have to that?

The public face. Everything not listed in ``__all__`` may change between versions.
"""

from importlib.metadata import PackageNotFoundError, version as _version

from . import demo
from .catalog import Catalog
from .delta import Action, CharacteristicChange, DeltaItem, Reason
from .engine import ChangeResult, Engine, NotEligible, apply
from .errors import (
    CatalogError,
    CurrencyMismatch,
    InventoryError,
    LoadError,
    OdeDeltaError,
    Problem,
    RequestError,
)
from .inventory import Inventory
from .load import load_catalog, load_inventory
from .money import Money
from .qualify import Candidate, Qualification
from .rules import Rulebook, RuleError, load_rules
from .requests import (
    Acquire,
    AddOffering,
    ChangeOffer,
    Context,
    ModifyCharacteristics,
    RemoveProduct,
    Request,
    TerminateProduct,
)

try:
    __version__ = _version("odedelta")  # defined once, in pyproject.toml
except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Acquire",
    "Candidate",
    "NotEligible",
    "Qualification",
    "RuleError",
    "Rulebook",
    "load_rules",
    "Action",
    "AddOffering",
    "Catalog",
    "ChangeOffer",
    "ChangeResult",
    "CharacteristicChange",
    "Context",
    "DeltaItem",
    "Engine",
    "ModifyCharacteristics",
    "Reason",
    "RemoveProduct",
    "Request",
    "TerminateProduct",
    "apply",
    "demo",
    "CatalogError",
    "CurrencyMismatch",
    "Inventory",
    "InventoryError",
    "LoadError",
    "Money",
    "OdeDeltaError",
    "Problem",
    "RequestError",
    "load_catalog",
    "load_inventory",
]
