"""The library's internal names the partners edge uses, imported in this one place (the public face ``odedelta``
serves everything else), so a move inside the core changes one file here."""

from odedelta.adapters.cli import _as_of, _context, _customer_options, _engine, _request, build_parser
from odedelta.adapters.files import catalog_files
from odedelta.model.catalog import KIND_LABEL, Catalog, Document, kind_from_file_name, kind_from_type
from odedelta.model.errors import CatalogError, LoadError, OdeDeltaError, Problem, RequestError
from odedelta.model.graph import OFFERING, PRICE, SPECIFICATION
from odedelta.model.jsonio import dumps
from odedelta.model.money import Money
from odedelta.model.partners import WHOLESALE
from odedelta.model.source import JSON_SUFFIXES, parse_text, read_text, with_lines

__all__ = [
    "JSON_SUFFIXES",
    "KIND_LABEL",
    "OFFERING",
    "PRICE",
    "SPECIFICATION",
    "WHOLESALE",
    "Catalog",
    "CatalogError",
    "Document",
    "LoadError",
    "Money",
    "OdeDeltaError",
    "Problem",
    "RequestError",
    "_as_of",
    "_context",
    "_customer_options",
    "_engine",
    "_request",
    "build_parser",
    "catalog_files",
    "dumps",
    "kind_from_file_name",
    "kind_from_type",
    "parse_text",
    "read_text",
    "with_lines",
]
