"""Cursors and list parameters: round trips, and every refusal is a 400 naming the parameter."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_cursor,
    encode_cursor,
    next_link,
    parse_limit,
    parse_time,
)
from gateway.api.problems import ProblemError

TIMES = st.floats(min_value=0, max_value=4e9, allow_nan=False)
IDS = st.text(min_size=1, max_size=40)


@given(at=TIMES, message_id=IDS)
def test_cursor_round_trips_and_is_url_safe(at: float, message_id: str) -> None:
    cursor = encode_cursor((at, message_id))
    assert decode_cursor(cursor) == (at, message_id)
    assert cursor.isascii()
    assert not set(cursor) - set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(st.text(max_size=60))
def test_anything_else_is_a_400_or_a_valid_cursor(text: str) -> None:
    try:
        at, message_id = decode_cursor(text)
    except ProblemError as exc:
        assert exc.status == 400
        assert exc.extra["parameter"] == "cursor"
    else:
        assert isinstance(at, float)
        assert isinstance(message_id, str)


@given(st.integers(1, MAX_LIMIT))
def test_limits_in_range(n: int) -> None:
    assert parse_limit(str(n)) == n


@pytest.mark.parametrize("value", ["0", str(MAX_LIMIT + 1), "-1", "1.5", "", "ten", "٣"])
def test_limits_out_of_range(value: str) -> None:
    with pytest.raises(ProblemError) as caught:
        parse_limit(value)
    assert caught.value.extra["parameter"] == "limit"


def test_default_limit() -> None:
    assert parse_limit(None) == DEFAULT_LIMIT


@given(st.datetimes(timezones=st.just(dt.UTC), min_value=dt.datetime(1971, 1, 1)))  # noqa: DTZ001 - hypothesis wants naive bounds
def test_times_round_trip(moment: dt.datetime) -> None:
    assert parse_time("since", moment.isoformat()) == pytest.approx(moment.timestamp())


@pytest.mark.parametrize("value", ["2026-11-22T10:00:00", "yesterday", "2026-13-01T00:00:00Z"])
def test_bad_times(value: str) -> None:
    with pytest.raises(ProblemError) as caught:
        parse_time("until", value)
    assert caught.value.extra["parameter"] == "until"


@given(
    query=st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=4),
    cursor=st.text(min_size=1, max_size=20),
)
def test_next_link_keeps_the_query_and_replaces_the_cursor(
    query: dict[str, str], cursor: str
) -> None:
    link = next_link("/v1/orders", {**query, "cursor": "old"}, cursor)
    assert link.endswith('>; rel="next"')
    url = urlsplit(link[1 : link.index(">")])
    assert url.path == "/v1/orders"
    assert dict(parse_qsl(url.query, keep_blank_values=True)) == {**query, "cursor": cursor}
