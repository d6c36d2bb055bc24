"""A small per-process memo for values whose key names every input they depend on.

Leaderboards are keyed by ``Track.leaderboard_version``, which database triggers raise on
each write that can change a ranking (leaderboard/triggers.py), and by the track settings
that rank them. A key read in the same request as the track row is therefore never stale,
and each web process computes a board once per change: no shared cache to invalidate.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """A bounded LRU map, safe across a web process's threads."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value stored under ``key``, built (outside the lock) and stored when absent."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = build()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Leaderboards (rows, API bodies, downloads), keyed by selectors.board_key.
boards = Memo(48)
# Whole pages for readers without a session (responses.shared_reader), keyed by responses.page_key.
pages = Memo(64)
# Bodies derived from score rows (plot data, the API's scores), keyed by the rows' ids and
# creation times: a score row never changes (leaderboard/payloads.py).
payloads = Memo(64)
# Submission pages for readers without a session, and the part of them shown alike to every viewer
# of the same scores, keyed by a digest of everything they show (selectors.submission_page_key).
fragments = Memo(256)


def clear() -> None:
    boards.clear()
    pages.clear()
    payloads.clear()
    fragments.clear()
