"""Partitions as tasks, for every engine: what a task is, where its result goes, and how often it may fail."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator
from pathlib import Path

from odedelta.campaigns.sources import Record, Slice
from odedelta.campaigns.spec import CampaignError

Task = tuple[int, list[Record] | Slice]
"""A partition: its number (from 0, in input order) and its customers (or where a worker of this machine reads
them)."""
Sink = Callable[[int, bytes | Path], None]
"""Takes a finished partition: its number and its rows, pickled (a :class:`~odedelta.campaigns.worker.Partition`),
or the draft of its checkpoint that the local worker which ran it wrote, the rows in it."""


class Retries:
    """How many times each partition failed; a partition failing more than ``retries`` times stops the run."""

    def __init__(self, retries: int) -> None:
        self.retries = retries
        self.failed: Counter[int] = Counter()
        self.queue: deque[Task] = deque()

    def again(self, task: Task, why: str) -> None:
        self.failed[task[0]] += 1
        if self.failed[task[0]] > self.retries:
            first = (task[1].origin if isinstance(task[1], Slice) else task[1][0].origin) if len(task[1]) else "?"
            raise CampaignError(f"{why} [partition {task[0]}, from {first}: failed {self.failed[task[0]]} times; "
                                "the finished partitions are saved: --resume continues]")
        self.queue.append(task)

    def next(self, tasks: Iterator[Task]) -> Task | None:
        return self.queue.popleft() if self.queue else next(tasks, None)
