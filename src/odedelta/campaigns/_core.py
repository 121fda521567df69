"""The library's internal names the campaign package needs, imported in this one place (the restructuring of
``odedelta`` into layered packages fixes this file and nothing else)."""

from __future__ import annotations

from odedelta import to_tmf622 as tmf622
from odedelta.model.jsonio import dumps, plain
from odedelta.model.requests import Renew
from odedelta.model.source import parse_text, with_lines

__all__ = ["Renew", "dumps", "parse_text", "plain", "tmf622", "with_lines"]

