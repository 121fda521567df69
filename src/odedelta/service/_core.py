"""The library names the service needs, imported in one place.

The public face (``odedelta``) first; the few internal names below may move when the library's modules are
rearranged, and then only this file changes.
"""

from __future__ import annotations

from typing import Any

from odedelta import (
    Acquire,
    AddOffering,
    Catalog,
    ChangeOffer,
    ChangeResult,
    Context,
    Engine,
    Inventory,
    LoadError,
    ModifyCharacteristics,
    NotEligible,
    OdeDeltaError,
    Problem,
    Qualification,
    Refusal,
    RemoveProduct,
    Request,
    RequestError,
    Rulebook,
    TerminateProduct,
    load_catalog,
    load_rules,
    to_tmf622,
    to_tmf679,
)
from odedelta.adapters.files import SUFFIXES
from odedelta.delta.items import Reason
from odedelta.flows.qualify import Candidate
from odedelta.flows.settlement import partner_items
from odedelta.model.catalog import Document
from odedelta.model.errors import closest
from odedelta.model.jsonio import dumps, iso, plain
from odedelta.model.source import parse_text, with_lines
from odedelta.model.tmf import RelatedParty
from odedelta.outputs.describe import customer, parties, summary
from odedelta.outputs.html import CSS as VIEW_CSS
from odedelta.outputs.html import fragment as view_fragment
from odedelta.outputs.partner_orders import customer_order, order_reference, partner_orders
from odedelta.outputs.tmf622 import related_parties


def catalog_from_documents(documents: list[Document]) -> Catalog:
    return Catalog.from_documents(documents)


def inventory_from_products(catalog: Catalog, products: list[Any], origin: str) -> Inventory:
    return Inventory.from_document(catalog, products, origin)


__all__ = [
    "SUFFIXES",
    "VIEW_CSS",
    "Acquire",
    "AddOffering",
    "Candidate",
    "Catalog",
    "ChangeOffer",
    "ChangeResult",
    "Context",
    "Document",
    "Engine",
    "Inventory",
    "LoadError",
    "ModifyCharacteristics",
    "NotEligible",
    "OdeDeltaError",
    "Problem",
    "Qualification",
    "Reason",
    "Refusal",
    "RelatedParty",
    "RemoveProduct",
    "Request",
    "RequestError",
    "Rulebook",
    "TerminateProduct",
    "catalog_from_documents",
    "closest",
    "customer",
    "customer_order",
    "dumps",
    "inventory_from_products",
    "iso",
    "load_catalog",
    "load_rules",
    "order_reference",
    "parse_text",
    "parties",
    "partner_items",
    "partner_orders",
    "plain",
    "related_parties",
    "summary",
    "to_tmf622",
    "to_tmf679",
    "view_fragment",
    "with_lines",
]
