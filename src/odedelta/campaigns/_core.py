"""The library's internal names the campaign package needs, imported in this one place (the restructuring of
``odedelta`` into layered packages fixes this file and nothing else)."""

from __future__ import annotations

from typing import Any

from odedelta import ChangeResult, to_tmf622
from odedelta.model.jsonio import dumps, plain
from odedelta.model.requests import Renew
from odedelta.model.source import parse_text, with_lines

__all__ = ["Renew", "dumps", "parse_text", "plain", "tmf622", "with_lines"]


def tmf622(result: ChangeResult, version: int) -> dict[str, Any]:
    """The TMF622 ProductOrder of a result."""
    return to_tmf622(result, version)
