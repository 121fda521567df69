"""Where ``serve`` writes its access log and warnings: :class:`LineWriter`, a logging handler whose lines a thread of
its own writes, gathered, so that a request never waits for stderr and the writer does not wake once per request."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TextIO


class LineWriter(logging.Handler):
    """Writes each record as one line (its formatted message) to ``stream`` from a thread of its own.

    A request only puts its line on a queue (:meth:`put` for a line already made, :meth:`emit` for a log record).
    The thread wakes at the first line, waits ``gather`` seconds for more, and writes all of them at once: under
    load one write and one wake-up for many requests instead of one each (a thread woken per request costs the
    server as much as a tenth of what it spends answering). A line is written at most ``gather`` seconds after its
    request ended; :meth:`close` (at exit) writes every line still queued."""

    def __init__(self, stream: TextIO, gather: float = 0.05) -> None:
        super().__init__()
        self.stream, self.gather = stream, gather
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write, name="odedelta-log", daemon=True)
        self._thread.start()

    def put(self, line: str) -> None:
        """Queue a line made by the caller (the access log's), without a log record."""
        self._lines.put(line)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.put(self.format(record))
        except Exception:  # logging's contract: a record that cannot be formatted is reported, not raised
            self.handleError(record)

    def _write(self) -> None:
        lines = self._lines
        while True:
            first = lines.get()
            if first is None:
                return
            if self.gather > 0:
                time.sleep(self.gather)  # let the lines of the next requests gather
            batch, stop = [first], False
            while True:
                try:
                    line = lines.get_nowait()
                except queue.Empty:
                    break
                if line is None:
                    stop = True
                    break
                batch.append(line)
            try:
                self.stream.write("\n".join(batch) + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed or gone: the lines are lost, the service goes on
                pass
            if stop:
                return

    def close(self) -> None:
        """Write every queued line, then stop the thread."""
        if self._thread.is_alive():
            self._lines.put(None)
            self._thread.join(timeout=10)
        super().close()
