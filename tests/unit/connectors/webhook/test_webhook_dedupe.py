"""The in-process replay cache: remembers for a TTL, bounded by least-recent eviction."""

from __future__ import annotations

import pytest

from connectors.webhook import EventCache


def test_remembers_until_the_ttl() -> None:
    cache = EventCache(max_entries=10, ttl=60)
    cache.put(("shop", "e1"), "m1", now=0.0)
    assert cache.get(("shop", "e1"), now=59.9) == "m1"
    assert cache.get(("other", "e1"), now=1.0) is None  # keyed per source
    assert cache.get(("shop", "e1"), now=60.0) is None
    assert len(cache) == 0


def test_evicts_the_least_recently_used() -> None:
    cache = EventCache(max_entries=2, ttl=60)
    cache.put(("s", "a"), "1", now=0.0)
    cache.put(("s", "b"), "2", now=0.0)
    assert cache.get(("s", "a"), now=1.0) == "1"  # a is now the most recent
    cache.put(("s", "c"), "3", now=1.0)
    assert cache.get(("s", "b"), now=1.0) is None
    assert cache.get(("s", "a"), now=1.0) == "1"
    cache.discard(("s", "a"))
    assert cache.get(("s", "a"), now=1.0) is None


def test_refuses_nonsense_bounds() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        EventCache(max_entries=0)
