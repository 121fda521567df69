"""Where the customers come from: a directory of TMF637 files (one customer per file, named after the file) or a
JSON Lines file (one customer per line).

A line is either a list of TMF637 products (the customer is then named after the line: ``customers.jsonl:17``) or
an object ``{"customer": ID, "products": [...], "segment": ..., "attributes": {...}, "billingCycleDay": N}``.
The driver only splits the input; the workers parse it, so a broken customer is a row, not a stopped campaign.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from odedelta.campaigns.spec import CampaignError

JSON_SUFFIXES = {".json"}
YAML_SUFFIXES = {".yaml", ".yml"}


@dataclass(frozen=True, slots=True)
class Record:
    """One customer's input, unparsed."""

    index: int
    """Position in the input: the tie-break when two customers have the same id."""
    origin: str
    """The file, or ``file:line`` for JSON Lines; errors are located from it."""
    name: str
    """The customer id unless the record names one."""
    text: str
    syntax: str
    """``json``, ``yaml`` or ``jsonl`` (a JSON line: a list of products or a customer object)."""


class Source:
    """The customers of ``path``; iterating reads them lazily, ``len()`` counts them without parsing."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise CampaignError(f"{self.path}: no such inventories file or directory")
        if self.path.is_dir():
            self.files = sorted(p for p in self.path.iterdir()
                                if p.is_file() and p.suffix.lower() in JSON_SUFFIXES | YAML_SUFFIXES)
            if not self.files:
                raise CampaignError(f"{self.path}: no TMF637 files (*.json, *.yaml) in the directory")

    def __len__(self) -> int:
        if self.path.is_dir():
            return len(self.files)
        with self.path.open("rb") as stream:
            return sum(1 for line in stream if line.strip())

    def __iter__(self) -> Iterator[Record]:
        if self.path.is_dir():
            for index, file in enumerate(self.files):
                try:
                    text = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    text = f"\0cannot read: {exc}"
                syntax = "json" if file.suffix.lower() in JSON_SUFFIXES else "yaml"
                yield Record(index, str(file), file.stem, text, syntax)
            return
        with self.path.open("rb") as stream:
            index = 0
            for number, raw in enumerate(stream, start=1):
                if not raw.strip():
                    continue
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    text = f"\0cannot read: {exc}"
                origin = f"{self.path}:{number}"
                yield Record(index, origin, f"{self.path.name}:{number}", text, "jsonl")
                index += 1
