"""Idempotency-Key values: RFC 8941 sf-strings, round-tripped through their serialisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.api.idempotency import MAX_KEY_LENGTH, parse_key
from gateway.api.problems import ProblemError

PRINTABLE = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=MAX_KEY_LENGTH
)


def serialise(key: str) -> str:
    """RFC 8941 section 4.1.6: quote, escaping backslash and double quote."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(PRINTABLE)
def test_every_printable_key_round_trips(key: str) -> None:
    assert parse_key(serialise(key)) == key
    assert parse_key(f" {serialise(key)}\t") == key  # optional whitespace around the value


@given(st.text(max_size=30))
def test_anything_is_a_key_or_a_400(value: str) -> None:
    try:
        key = parse_key(value)
    except ProblemError as exc:
        assert exc.status == 400
        assert exc.code == "invalid_idempotency_key"
    else:
        assert 1 <= len(key) <= MAX_KEY_LENGTH
        assert serialise(key) == value.strip(" \t")


@pytest.mark.parametrize(
    "value",
    ["abc", '""', '"a', 'a"', '"\\x"', '"é"', '"a"b"', '"' + "k" * (MAX_KEY_LENGTH + 1) + '"'],
)
def test_refused(value: str) -> None:
    with pytest.raises(ProblemError):
        parse_key(value)


@given(st.text(max_size=MAX_KEY_LENGTH + 2).map(lambda inner: f'"{inner}"'))
def test_quoted_anything_is_the_grammar_s_answer(value: str) -> None:
    """Quoted values take the fast path when they can; it must agree with the grammar: a key
    comes back only if serialising it gives the value again, else a 400."""
    try:
        key = parse_key(value)
    except ProblemError as exc:
        assert exc.code == "invalid_idempotency_key"
    else:
        assert 1 <= len(key) <= MAX_KEY_LENGTH
        assert serialise(key) == value
