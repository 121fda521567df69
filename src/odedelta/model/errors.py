"""One error root for everything odedelta refuses, with the place each problem was found.

Every refusal is an :class:`OdeDeltaError`. Errors about input data carry a list of :class:`Problem` — one per
thing that is wrong, all found in one pass — so a user fixes a file once instead of once per run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where (file, JSON path, line) and what was found versus expected."""

    file: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None
    parts: tuple[str | int, ...] = field(default=(), compare=False, repr=False)
    """The JSON path as keys and indexes, used to find the line once a problem is reported."""
    suggestion: str | None = field(default=None, compare=False)
    """What to write instead, in the author's words (``did you mean 'x'?``, ``write 29.00``), when known."""

    @classmethod
    def at(cls, file: str, parts: Iterable[str | int], message: str) -> Problem:
        parts = tuple(parts)
        return cls(file, json_path(parts), message, parts=parts)

    def sort_key(self) -> tuple[str, tuple[str, ...], str]:
        """File, then document order of the JSON path (indexes compared as numbers), then message."""
        return self.file, tuple(f"{p:08d}" if isinstance(p, int) else p for p in self.parts), self.message

    @property
    def text(self) -> str:
        """The message with its suggestion."""
        return f"{self.message} — {self.suggestion}" if self.suggestion else self.message

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        if self.path and self.path != "$":
            return f"{where}: {self.text} @ {self.path}"
        return f"{where}: {self.text}"


class OdeDeltaError(Exception):
    """The root of every error odedelta raises on purpose. ``exit_code`` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(message)

    def __str__(self) -> str:
        head = super().__str__()
        listed = [str(p) for p in self.problems]
        listed = [line for line in listed if not head.startswith(line)]  # what the sentence already says, once
        if not listed:
            return head
        return head + "\n" + "\n".join(f"  {line}" for line in listed)


class LoadError(OdeDeltaError):
    """A catalog, inventory, rule or scenario file could not be read or is not valid."""


class CatalogError(LoadError):
    """The catalog is inconsistent (dangling references, cycles, impossible cardinalities...)."""


class InventoryError(LoadError):
    """The installed products do not fit the catalog or each other."""


class RequestError(OdeDeltaError):
    """The change request cannot be answered: unknown product or offering, a value not allowed, not sellable..."""


class NotOrderable(RequestError):
    """The catalog's structure refuses the change as asked: not sellable, a value the target does not allow, a
    cardinality exceeded, a mandatory component removed. Qualification reports it as a candidate's reason."""


class CurrencyMismatch(OdeDeltaError):
    """Two amounts in different currencies were combined."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` — did you mean 'x'?`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" — did you mean {close[0]!r}?" if close else ""


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``word`` most likely meant (the same letters in another case first), or None."""
    options = sorted(set(candidates))
    folded = [c for c in options if c.lower() == word.lower()]
    if folded:
        return folded[0]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


def json_path(parts: Iterable[str | int]) -> str:
    """``$.productOffering[3].productOfferingPrice[0]`` from path parts."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
