from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.errors import DecodeError
from connectors.rest.decode import check_json, decode_json, validate_json

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


def _verdict(fn: object, raw: bytes) -> str | None:
    try:
        fn(raw)  # type: ignore[operator]
    except DecodeError as exc:
        return exc.code
    return None


@given(st.binary(max_size=256) | json_values.map(lambda v: json.dumps(v).encode()))
def test_the_doors_syntax_check_agrees_with_the_full_decode(raw: bytes) -> None:
    # the doors only skim (no objects built); they must refuse exactly what decoding refuses
    assert _verdict(validate_json, raw) == _verdict(check_json, raw)


@given(json_values, st.integers(0, 40), st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"]))
def test_invalid_utf8_is_refused_with_its_byte_position(
    value: object, where: int, bad: bytes
) -> None:
    text = json.dumps({"k": json.dumps(value)[:where]}).encode()
    raw = text[:-2] + bad + text[-2:]  # inside the last string, before its closing quote
    with pytest.raises(DecodeError) as info:
        validate_json(raw)
    assert info.value.code == "json_malformed"
    assert info.value.path == f"byte {len(text) - 2}"


def test_a_number_beyond_a_double_is_left_to_the_decode_stage() -> None:
    validate_json(b'{"amount": 1e999}')  # RFC 8259 section 6: the range is the implementation's
    with pytest.raises(DecodeError, match="out of range"):
        check_json(b'{"amount": 1e999}')
