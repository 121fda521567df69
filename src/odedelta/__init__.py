"""odedelta: what happens if this customer moves from what they have to that?

The public face. Everything not listed in ``__all__`` may change between versions.
"""

from .catalog import Catalog
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

__version__ = "0.1.0"

__all__ = [
    "Catalog",
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
