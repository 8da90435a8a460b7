"""The resources decode the body before checking its JSON syntax: only a refused body is
checked. That is safe only if every body the strict decode accepts is one the syntax check
accepts too; these properties hold the contracts to it, for v1 and v2."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import contracts
from connectors.errors import DecodeError
from connectors.rest.decode import validate_json
from gateway.api.resources import Codec, InvalidDocumentError, v1_codec
from gateway.api.resources_v2 import v2_codec
from tests.support import order

ORDER_V1 = msgspec.json.encode(order("PO-FUZZ"))


def _v2_body() -> bytes:
    v1 = msgspec.json.decode(ORDER_V1, type=contracts.VERSIONS["v1"]["order"])
    return msgspec.json.encode(contracts.translate("order", v1, "v1", "v2"))


CASES: dict[str, tuple[Codec, bytes]] = {
    "v1": (v1_codec("order"), ORDER_V1),
    "v2": (v2_codec("order"), _v2_body()),
}


@pytest.mark.parametrize("version", sorted(CASES))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_whatever_the_decode_accepts_is_well_formed_json(version: str, data: st.DataObject) -> None:
    """Flip, insert or drop bytes of a valid order: a body the contract decode accepts must
    pass the syntax and UTF-8 check, or skipping that check on success would let bad bytes in."""
    codec, valid = CASES[version]
    raw = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "insert", "drop"]))
        byte = data.draw(st.integers(0, 255))
        if action == "flip":
            raw[at] = byte
        elif action == "insert":
            raw.insert(at, byte)
        else:
            del raw[at]
    body = bytes(raw)
    try:
        codec.decode(body)
    except (InvalidDocumentError, msgspec.DecodeError):  # ValidationError is a DecodeError
        return  # refused: the door then runs the syntax check for the right error
    validate_json(body)  # accepted: this must not raise


@pytest.mark.parametrize("version", sorted(CASES))
def test_a_bad_byte_in_a_string_fails_the_decode_itself(version: str) -> None:
    """The property's premise, pinned: invalid UTF-8 inside a string is a decode error."""
    codec, valid = CASES[version]
    bad = valid.replace(b"PO-FUZZ", b"PO-" + bytes([0xFF]), 1)
    assert bad != valid
    with pytest.raises(msgspec.DecodeError):
        codec.decode(bad)
    with pytest.raises(DecodeError):
        validate_json(bad)
