"""The library's internal names the partners edge uses, imported in this one place (the public face ``odedelta``
serves everything else), so a move inside the core changes one file here."""

from odedelta.adapters.cli import _as_of, _context, _engine, _request, build_parser
from odedelta.adapters.files import catalog_files
from odedelta.delta.items import Action, DeltaItem
from odedelta.model.catalog import (
    KIND_LABEL,
    Catalog,
    Document,
    kind_from_file_name,
    kind_from_type,
)
from odedelta.model.errors import CatalogError, LoadError, OdeDeltaError, Problem, RequestError
from odedelta.model.graph import OFFERING, PRICE, SPECIFICATION
from odedelta.model.jsonio import dumps, iso
from odedelta.model.money import Money
from odedelta.model.pricing import ONE_TIME, RECURRING, PriceLine, catalog_prices, monthly, price_line, price_type
from odedelta.model.source import JSON_SUFFIXES, parse_text, read_text, with_lines
from odedelta.model.tmf import RelatedParty, in_period
from odedelta.money.bill import bill
from odedelta.outputs.schemas import validation_errors
from odedelta.outputs.tmf622 import order_price, order_total, typed
from odedelta.rules import Rulebook
from odedelta.rules.facts import Facts, ItemFacts, SlaFacts
from odedelta.rules.language import SlaCreditEffect

__all__ = [
    "JSON_SUFFIXES",
    "KIND_LABEL",
    "OFFERING",
    "ONE_TIME",
    "PRICE",
    "RECURRING",
    "SPECIFICATION",
    "Action",
    "Catalog",
    "CatalogError",
    "DeltaItem",
    "Document",
    "Facts",
    "ItemFacts",
    "LoadError",
    "Money",
    "OdeDeltaError",
    "PriceLine",
    "Problem",
    "RelatedParty",
    "RequestError",
    "Rulebook",
    "SlaCreditEffect",
    "SlaFacts",
    "_as_of",
    "_context",
    "_engine",
    "_request",
    "bill",
    "build_parser",
    "catalog_files",
    "catalog_prices",
    "dumps",
    "in_period",
    "iso",
    "kind_from_file_name",
    "kind_from_type",
    "monthly",
    "order_price",
    "order_total",
    "parse_text",
    "price_line",
    "price_type",
    "read_text",
    "typed",
    "validation_errors",
    "with_lines",
]
