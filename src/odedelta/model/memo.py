"""A bounded memo for pure queries over a loaded catalog: answers keyed by what they depend on, never more than
``size`` of them, so a long-running process (a service asking with ``as_of`` = now) keeps flat memory."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

Answer = TypeVar("Answer")

DEFAULT_SIZE = 65_536


class Memo:
    """Remembers answers by key; past ``size`` keys the oldest are forgotten (first in, first out). Reads take no
    lock; a miss takes one to insert and evict, so threads sharing a catalog never corrupt it."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError("a memo holds at least one answer")
        self.size = size
        self._answers: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: Hashable, compute: Callable[[], Answer]) -> Answer:
        """The answer for ``key``, computed by ``compute`` the first time (an unhashable key: every time)."""
        try:
            return cast(Answer, self._answers[key])
        except KeyError:
            pass
        except TypeError:  # a key holding a list or another unhashable value
            return compute()
        answer = compute()
        with self._lock:
            while len(self._answers) >= self.size:
                del self._answers[next(iter(self._answers))]
            self._answers[key] = answer
        return answer

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
