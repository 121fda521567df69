"""Where the customers come from: a directory of TMF637 files (one customer per file, named after the file) or a
JSON Lines file (one customer per line).

A line is either a list of TMF637 products (the customer is then named after the line: ``customers.jsonl:17``) or
an object ``{"customer": ID, "products": [...], "segment": ..., "attributes": {...}, "billingCycleDay": N}``.
The driver only splits the input; the workers parse it, so a broken customer is a row, not a stopped campaign.
On this machine the driver does not even read the customers: it finds where each partition's lines start and end
(:meth:`Source.slices`) and each worker reads its own :class:`Slice`.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


def digest(records: Iterable[Record]) -> str:
    """The hash of a partition's input: each customer's name and text, in order."""
    hashed = hashlib.sha256()
    for record in records:
        for part in (record.name, record.text):
            data = part.encode("utf-8", "surrogatepass")
            hashed.update(f"{len(data)}:".encode())
            hashed.update(data)
    return hashed.hexdigest()


@dataclass(frozen=True, slots=True)
class Slice:
    """A partition of customers by where they are, for a worker of this machine to read (:meth:`records`): the
    bytes ``start`` to ``end`` of a JSON Lines file (its first line numbered ``line``), or files of a directory;
    the first customer's position in the input is ``index``."""

    path: str
    index: int
    count: int
    start: int = 0
    end: int = 0
    line: int = 1
    files: tuple[str, ...] = ()
    data: bytes | None = None
    """The lines themselves, for an input that cannot be read again where the slice is (a pipe)."""

    @property
    def origin(self) -> str:
        """Where the slice's first customer is (``file:line``, or the file)."""
        if self.files:
            return self.files[0]
        return self.records()[0].origin  # read again: only for an error message

    def __len__(self) -> int:
        return self.count

    def records(self) -> list[Record]:
        """The customers of the slice: the records iterating the whole input gives them."""
        if self.files:
            return [_file_record(self.index + n, Path(file)) for n, file in enumerate(self.files)]
        path = Path(self.path)
        block = self.data
        if block is None:
            with path.open("rb") as stream:
                stream.seek(self.start)
                block = stream.read(self.end - self.start)
        return list(_lines(path, io.BytesIO(block), self.line, self.index))


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
                yield _file_record(index, file)
            return
        with self.path.open("rb") as stream:
            yield from _lines(self.path, stream, 1, 0)

    def slices(self, size: int) -> Iterator[Slice]:
        """The input in partitions of ``size`` customers, by where they are: the lines are found, not read."""
        if self.path.is_dir():
            for start in range(0, len(self.files), size):
                files = self.files[start:start + size]
                yield Slice(str(self.path), start, len(files), files=tuple(str(file) for file in files))
            return
        held = not self.path.is_file()  # a pipe (``<(zcat …)``, /dev/stdin): its lines travel with the slice
        with self.path.open("rb") as stream:
            if not held:
                yield from self._found(stream, size)
                return
            offset = begin = count = index = 0
            first = 1  # the number of the slice's first line (blank ones are numbered too)
            lines: list[bytes] = []
            for number, raw in enumerate(stream, start=1):
                offset += len(raw)
                lines.append(raw)
                if not raw.strip():
                    continue
                count += 1
                if count == size:
                    yield Slice(str(self.path), index, count, begin, offset, first, data=b"".join(lines))
                    index, begin, count, first = index + count, offset, 0, number + 1
                    lines = []
            if count:
                yield Slice(str(self.path), index, count, begin, offset, first, data=b"".join(lines))

    def _found(self, stream: BinaryIO, size: int) -> Iterator[Slice]:
        """The slices of a file, found a block of :data:`BLOCK` bytes at a time: each line's end by ``find`` on the
        block (no line is copied; a line is checked for being blank only when it starts with whitespace), so what
        the driver does per customer is a ``find``; the workers read the lines themselves."""
        path = str(self.path)
        base = begin = count = index = number = 0  # the block's offset in the file; lines before it
        first = 1  # the number of the slice's first line (blank ones are numbered too)
        want = BLOCK
        while True:
            stream.seek(base)
            block = stream.read(want)
            last = len(block) < want  # the end of the file is in the block
            cut = len(block) if last else block.rfind(b"\n") + 1  # whole lines only, but at the end
            if not cut and not last:  # a line longer than the block: a bigger block
                want *= 2
                continue
            at = 0
            while at < cut:
                end = block.find(b"\n", at, cut) + 1 or cut
                number += 1
                if block[at] not in _SPACE or block[at:end].strip():
                    count += 1
                    if count == size:
                        yield Slice(path, index, count, begin, base + end, first)
                        index, begin, count, first = index + count, base + end, 0, number + 1
                at = end
            base += cut
            if last:
                break
        if count:
            yield Slice(path, index, count, begin, base, first)


BLOCK = 1 << 22
"""Bytes of a JSON Lines file the driver looks at at once when it splits the file into slices."""
_SPACE = frozenset(b" \t\n\r\x0b\x0c")
"""What ``bytes.strip`` removes: a line that starts with none of these is no blank line."""


def _file_record(index: int, file: Path) -> Record:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        text = f"\0cannot read: {exc}"
    syntax = "json" if file.suffix.lower() in JSON_SUFFIXES else "yaml"
    return Record(index, str(file), file.stem, text, syntax)


def _lines(path: Path, stream: BinaryIO, number: int, index: int) -> Iterator[Record]:
    """The records of the JSON lines in ``stream``, the first numbered ``number`` and the first customer
    ``index``."""
    for number, raw in enumerate(stream, start=number):  # noqa: B020 - counting on from the given number
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = f"\0cannot read: {exc}"
        yield Record(index, f"{path}:{number}", f"{path.name}:{number}", text, "jsonl")
        index += 1
