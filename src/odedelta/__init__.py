"""odedelta: what happens if this customer moves from what they have to that?

The public face. Everything not listed in ``__all__`` may change between versions.
"""

from odedelta.model.catalog import Catalog
from odedelta.delta.builder import Action, CharacteristicChange, DeltaItem, Reason
from odedelta.flows.engine import ChangeResult, Engine, NotEligible, apply
from odedelta.model.errors import (
    CatalogError,
    CurrencyMismatch,
    InventoryError,
    LoadError,
    OdeDeltaError,
    Problem,
    RequestError,
)
from odedelta.model.inventory import Inventory
from odedelta.adapters.files import load_catalog, load_inventory
from odedelta.model.money import Money
from odedelta.flows.qualify import Candidate, Qualification
from odedelta.rules import Rulebook, RuleError, load_rules
from odedelta.model.requests import (
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
