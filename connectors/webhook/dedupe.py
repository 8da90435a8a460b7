"""An in-process LRU cache with a time-to-live: event id -> the message id it was journaled as.

It answers "have we accepted this event already?" for replays that arrive while this process is
up; a durable lookup in the journal covers restarts and other processes.
"""

from __future__ import annotations

from collections import OrderedDict


class EventCache:
    """Bounded (``max_entries``, least recently used evicted first) and expiring (``ttl`` s)."""

    def __init__(self, max_entries: int = 100_000, ttl: float = 86_400.0) -> None:
        if max_entries < 1 or ttl <= 0:
            raise ValueError("expected max_entries >= 1 and ttl > 0")
        self._max = max_entries
        self._ttl = ttl
        self._items: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[str, str], now: float) -> str | None:
        """The value stored for ``key`` if it has not expired."""
        item = self._items.get(key)
        if item is None:
            return None
        value, expires = item
        if expires <= now:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: tuple[str, str], value: str, now: float) -> None:
        """Remember ``value`` for ``key`` until ``now + ttl``; evict the oldest past the bound."""
        self._items[key] = (value, now + self._ttl)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def discard(self, key: tuple[str, str]) -> None:
        """Forget ``key`` (e.g. the journal write it reserved failed)."""
        self._items.pop(key, None)
