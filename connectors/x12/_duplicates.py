"""Duplicate interchange detection: same sender, receiver and ISA13 within a time window.

Pure policy over a small store interface (the Litestar stores habit): the gateway supplies a
durable store; :class:`MemoryInterchangeStore` serves tests and single-process runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from connectors.x12._model import InterchangeHeader, Issue


def interchange_key(header: InterchangeHeader) -> str:
    """Sender and receiver (with qualifiers) and ISA13: what makes an interchange the same."""
    h = header
    return "|".join(
        (h.sender_qualifier, h.sender_id, h.receiver_qualifier, h.receiver_id, h.control_number)
    )


class InterchangeStore(Protocol):
    """Remembers when an interchange key was first seen."""

    async def first_seen(self, key: str) -> float | None:
        """When ``key`` was recorded (epoch seconds), or None."""
        ...

    async def record(self, key: str, at: float) -> None:
        """Record ``key`` as seen at ``at``."""
        ...


class MemoryInterchangeStore:
    """In-process store; forgets keys older than ``retention`` seconds when recording."""

    def __init__(self, retention: float = 7 * 86400) -> None:
        self._seen: dict[str, float] = {}
        self._retention = retention

    async def first_seen(self, key: str) -> float | None:
        """When ``key`` was recorded, or None."""
        return self._seen.get(key)

    async def record(self, key: str, at: float) -> None:
        """Remember ``key``; prune what is past retention."""
        cutoff = at - self._retention
        for old in [k for k, t in self._seen.items() if t < cutoff]:
            del self._seen[old]
        self._seen.setdefault(key, at)


class DuplicateDetector:
    """Flags an interchange seen before within ``window`` seconds (per sender/receiver)."""

    def __init__(
        self,
        store: InterchangeStore,
        window: float = 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._window = window
        self._clock = clock

    async def check(self, header: InterchangeHeader) -> Issue | None:
        """Return a ``duplicate_interchange`` error, or record the interchange and return None."""
        key = interchange_key(header)
        now = self._clock()
        seen = await self._store.first_seen(key)
        if seen is not None and now - seen <= self._window:
            return Issue(
                "error",
                "duplicate_interchange",
                f"decode: interchange {header.control_number} from {header.sender_id} to "
                f"{header.receiver_id} was already received {now - seen:.0f} s ago "
                f"(window {self._window:.0f} s)",
                header.offset,
                1,
                "ISA",
                element="ISA13",
                found=header.control_number,
            )
        await self._store.record(key, now)
        return None
