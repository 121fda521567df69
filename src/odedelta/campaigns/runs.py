"""Sorted runs: how the driver orders a whole customer base by customer without holding it in memory.

Finished partitions are buffered until they hold ``budget`` customers; the buffer is then sorted and written to a
run file (pickled chunks of rows) in a scratch directory. Reading merges the runs (and what is still buffered) in
key order. At most ``FAN_IN`` runs are kept: beyond that they are merged into one, so the number of open files stays
small for ten million customers too. A campaign under the budget never touches the disk.
"""

from __future__ import annotations

import heapq
import itertools
import pickle
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

FAN_IN = 32
CHUNK = 2_000
"""Rows per pickled chunk of a run file (reading a run holds one chunk)."""


class Runs:
    """Rows sorted by ``key`` across runs on disk; iterate to read them all in order, once."""

    def __init__(self, directory: Path, name: str, key: Callable[[Any], Any]) -> None:
        self.directory, self.name, self.key = directory, name, key
        self.buffer: list[Any] = []
        self.files: list[Path] = []
        self._made = 0

    def extend(self, rows: Iterable[Any]) -> None:
        self.buffer.extend(rows)

    def spill(self) -> None:
        """Write the buffer as one sorted run (merging runs when there are too many)."""
        if not self.buffer:
            return
        self.buffer.sort(key=self.key)
        self.files.append(self._write(self.buffer))
        self.buffer = []
        if len(self.files) >= FAN_IN:
            merged = self._write(heapq.merge(*(_read(f) for f in self.files), key=self.key))
            for file in self.files:
                file.unlink()
            self.files = [merged]

    def _write(self, rows: Iterable[Any]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.name}-{self._made:06d}.pickle"
        self._made += 1
        with path.open("wb") as stream:
            iterator = iter(rows)
            while chunk := list(itertools.islice(iterator, CHUNK)):
                pickle.dump(chunk, stream, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    def __iter__(self) -> Iterator[Any]:
        self.buffer.sort(key=self.key)
        # heapq.merge is stable: rows with equal keys keep the order of their run, and one customer's rows are
        # always in one run (a customer is never split between partitions)
        return heapq.merge(*(_read(f) for f in self.files), self.buffer, key=self.key)


def _read(path: Path) -> Iterator[Any]:
    with path.open("rb") as stream:
        while True:
            try:
                chunk = pickle.load(stream)  # a file this process wrote a moment ago
            except EOFError:
                return
            yield from chunk
