"""A size-bounded least-recently-used memo for answers of pure queries (README, "Limits").

A service calls the engine with ``as_of`` = now, a new moment every time: an unbounded memo keyed by the moment
grew ≈2.4 MB per 1,000 changes (issue 18). The catalog keys its price answers by the stretch of time between two
price validity boundaries (:meth:`~odedelta.catalog.Catalog.price_epoch`), which stops that growth at its cause;
this bound is the backstop for whatever else a key may hold.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

Answer = TypeVar("Answer")
DEFAULT_SIZE = 50_000


class BoundedMemo:
    """``key → answer``, at most ``size`` entries; the least recently used goes first. Safe under threads."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable, compute: Callable[[], Answer]) -> Answer:
        """The answer for ``key``, computed (outside the lock) when it is not remembered; a key that cannot be
        hashed is computed each time."""
        try:
            with self._lock:
                answer = self._data[key]
                self._data.move_to_end(key)
                return answer  # type: ignore[no-any-return]
        except KeyError:
            pass
        except TypeError:  # a key holding a list or another unhashable value
            return compute()
        answer = compute()
        with self._lock:
            self._data[key] = answer
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return answer
