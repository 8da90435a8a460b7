"""``is_digits``: ASCII digits only, where ``str.isdigit`` also takes ``'²'`` and ``'٣'``."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from connectors.text import is_digits


@given(st.text(max_size=12))
def test_is_digits_means_one_or_more_ascii_digits(text: str) -> None:
    assert is_digits(text) == bool(re.fullmatch(r"[0-9]+", text))
    if is_digits(text):
        assert int(text) >= 0  # never raises


def test_digits_str_isdigit_takes_are_refused() -> None:
    assert [is_digits(t) for t in ("²", "٣", "1²", "", "007")] == [False, False, False, False, True]
