"""Message ids: ULID layout in Crockford base32, so they sort by creation time."""

from __future__ import annotations

import random
import time

from hypothesis import given
from hypothesis import strategies as st

from gateway import ids

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _value(text: str) -> int:
    out = 0
    for char in text:
        out = out * 32 + CROCKFORD.index(char)
    return out


@given(st.integers(0, 2**48 - 1), st.integers(0, 2**80 - 1))
def test_an_id_spells_its_milliseconds_then_its_random_bits(millis: int, bits: int) -> None:
    clock, rng = time.time, random.getrandbits
    try:
        time.time = lambda: millis / 1000 + 0.0004  # type: ignore[assignment]
        random.getrandbits = lambda k: bits  # type: ignore[assignment]
        made = ids.new_id("m_")
    finally:
        time.time, random.getrandbits = clock, rng
    assert made.startswith("m_")
    text = made.removeprefix("m_")
    assert len(text) == 26
    assert set(text) <= set(CROCKFORD)
    assert _value(text) == (millis << 80) | bits


def test_ids_made_later_sort_later() -> None:
    first = ids.new_id()
    time.sleep(0.002)
    assert ids.new_id() > first
