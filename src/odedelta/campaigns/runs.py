"""Sorted runs: how the driver orders a whole customer base by customer without holding it in memory.

Finished partitions are buffered until they hold ``budget`` customers; the buffer is then sorted and written to a
run file (pickled chunks of rows) in a scratch directory. Reading merges the runs (and what is still buffered) in
key order. At most ``FAN_IN`` runs are kept: when there are that many, the smaller half is merged into one run, so
the number of open files stays small for ten million customers too and each row is rewritten a few times at most.
Rows of one customer are always in one run and no two runs share a key, so the merge order is the key order. A
campaign under the budget never touches the disk.
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
        if len(self.files) >= FAN_IN:  # merge the smaller half into one: each row is rewritten O(log n) times
            self.files.sort(key=lambda file: file.stat().st_size)
            small, self.files = self.files[:FAN_IN // 2], self.files[FAN_IN // 2:]
            self.files.append(self._write(heapq.merge(*(_read(f) for f in small), key=self.key)))
            for file in small:
                file.unlink()

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
