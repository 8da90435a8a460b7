"""Memory stays flat: a ~20 MB interchange read through the streaming API (a memory assertion)."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator

from _x12_build import interchange, po_850

from connectors.x12 import Segment, X12Set, read_sets
from connectors.x12._reader import Reader


class _Generated(io.RawIOBase):
    """A file-like object producing one big interchange without holding it in memory."""

    def __init__(self, sets: int) -> None:
        # long free-text lines: 20 MB in ~40k segments keeps tracemalloc's overhead bearable
        body = [*po_850(5), *[["MSG", "LONG NOTE " * 100]] * 10]
        one = interchange([body]).encode()
        st = one.index(b"ST*")
        se_end = one.index(b"GE*")
        self._parts: Iterator[bytes] = self._gen(one[:st], one[st:se_end], sets)
        self._pending = b""
        self.size = st + (se_end - st) * sets + len(f"GE*{sets}*1~IEA*1*000000001~")
        self._sets = sets

    @staticmethod
    def _gen(head: bytes, body: bytes, sets: int) -> Iterator[bytes]:
        yield head
        for _ in range(sets):
            yield body
        yield f"GE*{sets}*1~IEA*1*000000001~".encode()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while len(self._pending) < max(size, 1):
            nxt = next(self._parts, None)
            if nxt is None:
                break
            self._pending += nxt
        out, self._pending = self._pending[:size], self._pending[size:]
        return out


def test_reading_20_mb_keeps_peak_memory_small() -> None:
    source = _Generated(sets=2_000)
    assert source.size > 20_000_000
    tracemalloc.start()
    try:
        segments = 0
        for item in Reader(source):
            if isinstance(item, Segment):
                segments += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert segments > 40_000
    assert peak < 3_000_000, f"peak {peak / 1e6:.1f} MB while reading {source.size / 1e6:.0f} MB"


def test_streaming_sets_keeps_peak_memory_small() -> None:
    source = _Generated(sets=1_000)
    tracemalloc.start()
    try:
        sets = 0
        for item in read_sets(source):
            if isinstance(item, X12Set):
                sets += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sets == 1_000
    assert peak < 4_000_000, f"peak {peak / 1e6:.1f} MB"
