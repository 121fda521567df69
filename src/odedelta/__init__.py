"""odedelta: what happens if this customer moves from what they have to that?

The public face. Everything not listed in ``__all__`` may change between versions.
"""

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
from .limits import Limits
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

__version__ = "0.1.0"

__all__ = [
    "Limits",
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
