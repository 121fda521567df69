"""Limits on what odedelta reads, stated once and enforced at the edge (documentation: reference/limits.md).

Every limit is a located :class:`~odedelta.errors.OdeDeltaError` when exceeded, never a traceback, a hang or a
silently dropped file. The defaults fit every real catalog we know of with a wide margin; an operator with unusual
data passes another :class:`Limits` to the loaders (``load_catalog(path, limits=Limits(max_depth=400))``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 64 * 1024 * 1024
    """Largest file read (catalog, inventory, rule or scenario file), in bytes."""
    max_depth: int = 200
    """Deepest nesting of objects/lists (mappings/sequences) in a JSON or YAML document."""
    max_nodes: int = 5_000_000
    """Most values in one document once YAML aliases are expanded (billion laughs)."""
    max_number_chars: int = 40
    """Longest number as written (digits, sign, point and exponent)."""
    max_significant_digits: int = 28
    """Most significant digits of a number (Decimal's precision: arithmetic on it stays exact)."""
    max_magnitude_exponent: int = 14
    """A number's absolute value is below ``10 ** (max_magnitude_exponent + 1)`` (10^15: exact as a double, so
    both rule executors compare it alike, and roundable in any currency)."""
    min_exponent: int = -15
    """A number's last digit is no finer than ``10 ** min_exponent``."""
    max_rule_file_bytes: int = 1024 * 1024
    """Largest rule file, in bytes (about 4,000 rules; a few seconds to check): checked before the file is read,
    so an oversized file is refused at once instead of being parsed, validated and compiled."""
    max_rules: int = 10_000
    """Most rules in one rule set (all its files together)."""
    max_condition_chars: int = 100_000
    """Longest rule condition (``when``), in characters."""
    max_condition_nodes: int = 5_000
    """Most syntax nodes in one condition (each fact, constant, operator counts)."""
    max_condition_depth: int = 60
    """Deepest nesting in one condition (parentheses, ``not``, chained arithmetic)."""
    max_alternatives: int = 500
    """Most operands of one ``or``/``and`` and most constants in one ``fact in [...]`` list (durable-rules hangs
    holding the GIL from 512)."""

    def number_problem(self, text: str, value: Decimal | int | None = None) -> str | None:
        """Why a number as written in a file breaks the limits, or None when it fits."""
        if len(text) > self.max_number_chars:
            return f"number of {len(text)} characters (at most {self.max_number_chars})"
        if value is None:
            try:
                value = Decimal(text.replace("_", ""))
            except ArithmeticError:
                return f"{text!r} is not a number"
        return self.value_problem(value)

    def value_problem(self, value: Decimal | int | float) -> str | None:
        """Why a number breaks the limits (not finite, too many digits, too large or too fine), or None."""
        if isinstance(value, bool):
            return None
        if isinstance(value, float):
            value = Decimal(repr(value)) if value == value and value not in (float("inf"), float("-inf")) else \
                Decimal(str(value))
        number = Decimal(value)
        if not number.is_finite():
            return f"number {value} is not finite"
        if number.is_zero():
            return None
        digits = number.as_tuple()
        significant = len(digits.digits)
        if significant > self.max_significant_digits:
            return f"number with {significant} significant digits (at most {self.max_significant_digits})"
        if number.adjusted() > self.max_magnitude_exponent:
            return f"number {_short(number)} is too large (below 1e{self.max_magnitude_exponent + 1} expected)"
        if isinstance(digits.exponent, int) and digits.exponent < self.min_exponent and \
                _exponent(number.normalize()) < self.min_exponent:
            return f"number {_short(number)} is finer than 1e{self.min_exponent}"
        return None


def _exponent(number: Decimal) -> int:
    """The exponent of a finite number (Decimal types it as ``int | str`` for the specials 'n', 'N', 'F')."""
    exponent = number.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _short(number: Decimal) -> str:
    text = str(number)
    return text if len(text) <= 24 else f"{text[:10]}…{text[-6:]}"


DEFAULT = Limits()
