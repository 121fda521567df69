"""Progress of a campaign: customers done, customers per second and the time left, on a terminal or in a log."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Customers done, customers per second and the time left: a bar redrawn in place on a terminal, a plain
    line every ``every`` seconds otherwise (logs, CI)."""

    def __init__(self, total: int | None, stream: TextIO | None = None, every: float = 10.0) -> None:
        """``total``: the customers there are; None when unknown (a pipe): then a plain line, without a bar nor the
        time left."""
        self.total, self.done = total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = total is not None and self.stream.isatty()
        self.every = every
        self.start = self.last = time.monotonic()

    def update(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.tty or now - self.last >= self.every or (self.total is not None and self.done >= self.total):
            self.last = now
            self._draw(now)

    def close(self) -> None:
        """The last line of a campaign whose total was not known ahead (one known is drawn when it is reached)."""
        if self.total is None:
            self._draw(time.monotonic())

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        total = self.total
        if total is None:  # how many there are is not known ahead: what is done, and how fast
            self.stream.write(f"bulk: {self.done:,} customers  {rate:,.0f}/s\n")
            self.stream.flush()
            return
        left = (total - self.done) / rate if rate > 0 else 0.0
        eta = f"{int(left // 60)}m{int(left % 60):02d}s"
        text = f"{self.done:,}/{total:,} customers  {rate:,.0f}/s  ETA {eta}"
        if self.tty:
            width = 30
            filled = int(width * self.done / total) if total else width
            end = "\n" if self.done >= total else ""
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}{end}")
        else:
            self.stream.write(f"bulk: {text}\n")
        self.stream.flush()
