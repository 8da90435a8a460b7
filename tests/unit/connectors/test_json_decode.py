from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.errors import DecodeError
from connectors.rest.decode import check_json, decode_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.binary(max_size=512))
def test_arbitrary_bytes_decode_or_raise_decode_error(raw: bytes) -> None:
    try:
        check_json(raw)
    except DecodeError as exc:
        assert exc.stage == "decode"
        assert exc.code in {"json_malformed", "json_empty"}


@given(json_values)
def test_well_formed_json_round_trips(value: object) -> None:
    raw = json.dumps(value).encode()
    assert check_json(raw) == json.loads(raw)
    assert check_json(b"\xef\xbb\xbf" + raw) == json.loads(raw)


@pytest.mark.parametrize(
    ("raw", "position"),
    [(b'{"a": 1,}', "byte 8"), (b"NaN", "byte 0"), (b'{"a": tru}', "byte 10")],
)
def test_errors_carry_the_byte_position(raw: bytes, position: str) -> None:
    with pytest.raises(DecodeError) as info:
        check_json(raw)
    assert info.value.path == position


def test_truncated_and_empty() -> None:
    with pytest.raises(DecodeError, match="truncated"):
        check_json(b'{"a": [1, 2')
    with pytest.raises(DecodeError) as info:
        check_json(b"  \n")
    assert info.value.code == "json_empty"
    assert decode_json(b"[1]", "order").document_type == "order"
