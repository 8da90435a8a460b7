"""Inputs the fuzzer found; each stays here so the fix cannot quietly regress."""

from __future__ import annotations

import pytest

from connectors.errors import DecodeError
from connectors.x12 import decode_with_summaries

ISA = (
    b"ISA*00*          *00*          *ZZ*SENDERISA      *ZZ*RECEIVERISA    *960807*1548*U*00401"
    b"*000000020*0*T*>~\nGS*IN*SENDERDEPT*007326879*19960807*1548*1*X*004010~\n"
)


def test_isa_cut_short_by_a_multibyte_tail_is_an_error_not_a_crash() -> None:
    # found by test_fuzzed_samples_never_crash_or_hang: seven NULs in front and two UTF-8
    # continuation bytes inside the ISA made the terminator walk-back eat elements, and the
    # reader indexed the 17th field of a shorter ISA
    data = bytearray(ISA)
    data[0:0] = b"\x00" * 7
    data[111:111] = b"\x80\x80"
    try:
        _sets, summaries = decode_with_summaries(bytes(data))
    except DecodeError as exc:  # no set at all is a clean decode error
        assert exc.stage == "decode"
        return
    codes = {issue.code for s in summaries for issue in s.issues}
    assert codes, "the damaged ISA must be reported"


@pytest.mark.parametrize("cut", [20, 60, 90, 104])
def test_truncated_isa_never_raises_anything_but_decode_error(cut: int) -> None:
    raw = ISA[:cut] + b"~"
    try:
        decode_with_summaries(raw)
    except DecodeError as exc:
        assert exc.stage == "decode"
