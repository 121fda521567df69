"""A customer's JSON line read quickly: what :func:`odedelta.model.source.parse_text` returns for it, or the very
same error.

A campaign reads millions of lines, nearly all of the common shape: no number with a fraction or an exponent
(those parse to ``Decimal``), integers of a few digits, shallow nesting, each key once. Such a line is parsed by
orjson (a C parser, several times the standard library's speed) and then checked to be of that shape; any other
line — or one orjson refuses, or without orjson installed — goes through ``parse_text`` with every guard and its
located errors. Duplicate keys (orjson keeps the last) are caught by counting: a key is a string followed by a
colon, so the text has at least as many ``"`` + ``:`` pairs as it has keys, and when the parsed objects hold as
many keys as that count, none was repeated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from odedelta.campaigns._core import parse_text


def _orjson() -> ModuleType | None:
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson comes with the bulk extra
        return None
    return orjson


orjson = _orjson()

_SPACED_KEY = re.compile(r'"[ \t\n\r]+:')
"""Where a key written with space before its colon may end (``"`` + ``:`` counts the others)."""
_MAX_CHARS = 64 * 1024 * 1024
_MAX_DEPTH = 200
_MAX_INT = 10 ** 14
"""Integers below this (at most 14 characters as written) are read as they are; longer ones are checked against
the limits by ``parse_text``."""


def parse_json(text: str, origin: str) -> Any:
    """The value of a JSON text, as ``parse_text(text, origin, yaml_syntax=False)`` gives it."""
    if orjson is not None and len(text) <= _MAX_CHARS and not text.startswith("\ufeff") and "\x00" not in text:
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError:
            data = None
        else:
            if _plain(data) == _key_ends(text):
                return data
    return parse_text(text, origin, yaml_syntax=False)


def _key_ends(text: str) -> int:
    """How many places in ``text`` a key may end: a ``"``, JSON whitespace, a colon (a string that starts with a
    colon counts too: never fewer than the keys)."""
    ends = text.count('":')
    # a key spaced from its colon needs whitespace: a compact line (as JSON Lines exports are usually written)
    # has none, and looking for one character at a time (memchr) is a twentieth of the regular expression's scan
    # (a JSON line ends with its newline: that one is no key's)
    if " " in text or "\t" in text or "\r" in text or text.find("\n", 0, len(text) - 1) >= 0:
        ends += len(_SPACED_KEY.findall(text))
    return ends


def _plain(data: Any) -> int:
    """How many keys the parsed objects hold, or -1 when a value is off the common shape (a float, a long integer,
    nesting beyond the limit)."""
    keys = 0
    level = [data] if type(data) is dict or type(data) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > _MAX_DEPTH:
            return -1
        below: list[Any] = []
        for node in level:
            values: Iterable[Any]
            if type(node) is dict:
                keys += len(node)
                values = node.values()
            else:
                values = node
            for value in values:
                kind = type(value)
                if kind is str:
                    continue
                if kind is dict or kind is list:
                    below.append(value)
                elif kind is float or (kind is int and not -_MAX_INT < value < _MAX_INT):
                    return -1
        level = below
    if type(data) is float or (type(data) is int and not -_MAX_INT < data < _MAX_INT):
        return -1
    return keys
