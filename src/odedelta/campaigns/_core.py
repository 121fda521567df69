"""The library's internal names the campaign package needs, imported in this one place (the restructuring of
``odedelta`` into layered packages fixes this file and nothing else)."""

from __future__ import annotations

from odedelta import to_tmf622 as tmf622
from odedelta.adapters.files import catalog_files, rule_files
from odedelta.model.errors import Problem, did_you_mean
from odedelta.model.inventory_reader import InventoryReader
from odedelta.model.jsonio import dumps, plain
from odedelta.model.requests import Renew
from odedelta.model.source import parse_text, with_lines

__all__ = ["InventoryReader", "Problem", "Renew", "catalog_files", "did_you_mean", "dumps", "parse_text", "plain",
           "rule_files", "tmf622", "with_lines"]

