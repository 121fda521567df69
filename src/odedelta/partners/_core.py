"""The library's internal names the partners edge uses, imported in this one place (the public face ``odedelta``
serves everything else), so a move inside the core changes one file here."""

from odedelta.model.catalog import KIND_LABEL, Document, kind_from_type
from odedelta.model.errors import CatalogError, Problem
from odedelta.model.graph import OFFERING, PRICE, SPECIFICATION
from odedelta.model.money import Money
from odedelta.model.partners import WHOLESALE

__all__ = [
    "KIND_LABEL",
    "OFFERING",
    "PRICE",
    "SPECIFICATION",
    "WHOLESALE",
    "CatalogError",
    "Document",
    "Money",
    "Problem",
    "kind_from_type",
]
