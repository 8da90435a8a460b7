"""Reading 997/999 back: our own acknowledgements round-trip, the samples read as expected, and a
malformed acknowledgement is refused with the reader's error and position."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from _x12_build import interchange, isa, po_850, sample_files, samples_dir
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import DecodeError
from connectors.x12 import decode, split_sets
from connectors.x12.ack import build_acks, sequence
from connectors.x12.ack_read import read_ack_set, read_acks, read_ta1

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_simple_999_sample(samples: Path) -> None:
    [ack] = read_acks((samples / "999" / "staedi_simple999.edi").read_bytes())
    assert (ack.kind, ack.functional_id, ack.group_control_number, ack.code) == (
        "999",
        "HC",
        "17456",
        "P",
    )
    assert (ack.included, ack.received, ack.accepted) == (3, 3, 1)
    assert [(s.control_number, s.code, s.error_codes) for s in ack.sets] == [
        ("0001", "A", []),
        ("0002", "R", ["5"]),
        ("0003", "R", ["5"]),
    ]
    [error] = ack.sets[1].errors
    assert (error["segment"], error["position"], error["code"]) == ("CLM", 22, "8")
    assert error["elements"] == [
        {"position": 2, "component": 0, "reference": "782", "code": "1", "value": ""}
    ]
    assert len(ack.sets[2].errors[0]["context"]) == 2  # segment context and business unit


def test_simple_997_sample(samples: Path) -> None:
    [ack] = read_acks((samples / "997" / "staedi_simple997.edi").read_bytes())
    assert (ack.functional_id, ack.group_control_number, ack.code) == ("HC", "000001", "R")
    [s] = ack.sets
    assert (s.set_id, s.control_number, s.code) == ("837", "0021", "R")
    assert s.errors[0]["elements"][0]["value"] == "MI"


@pytest.mark.parametrize(
    ("name", "code", "path"),
    [
        ("staedi_invalid997.edi", "bad_code", "AK1 AK101 at set position 2"),
        ("staedi_extra_delim997.edi", "element_repeated", "AK3 AK302 at set position 4"),
    ],
)
def test_invalid_997_samples_are_refused_clearly(
    samples: Path, name: str, code: str, path: str
) -> None:
    with pytest.raises(DecodeError) as caught:
        read_acks((samples / "997" / name).read_bytes())
    assert caught.value.code == code
    assert caught.value.path == path
    assert "997 0001" in caught.value.message


def test_an_ack_without_ak9_is_incomplete() -> None:
    raw = interchange([[["AK1", "PO", "1"], ["AK2", "850", "0001"], ["AK5", "A"]]], set_id="997")
    with pytest.raises(DecodeError) as caught:
        read_acks(raw.replace("GS*PO", "GS*FA").encode())
    assert (caught.value.code, caught.value.path) == (
        "mandatory_segment_missing",
        "AK9 at set position 5",
    )
    assert "the 997 set has no AK9" in str(caught.value)


def test_only_997_and_999_sets_are_read() -> None:
    [xset] = decode(interchange([po_850(1)]).encode())
    with pytest.raises(DecodeError, match="not a 997 or 999"):
        read_ack_set(xset)


def _ta1(elements: str, control: str = "000000007") -> bytes:
    return f"{isa(control)}TA1*{elements}~IEA*0*{control}~".encode()


def test_our_own_ta1_reads_back() -> None:
    # a broken interchange (IEA02 is not its ISA13) gets our TA1 R; read as a partner's would be
    broken = interchange([po_850(1)], control="000000042").replace("IEA*1*000000042", "IEA*1*9")
    [ack] = build_acks(broken.encode(), counter=sequence(500), now=NOW)
    [message] = split_sets(ack.text.encode())
    ta1 = read_ta1(message.raw, message.business_keys)
    assert (ta1.control_number, ta1.date, ta1.time, ta1.code, ta1.note) == (
        "000000042",
        "240101",
        "1200",
        "R",
        "001",
    )
    # sent by the receiver of the broken interchange back to its sender
    assert (ta1.sender, ta1.receiver, ta1.isa13) == ("ZZ:RECEIVER", "ZZ:SENDER", "000000500")


def test_a_ta1_without_a_note_code_is_read() -> None:
    [message] = split_sets(_ta1("42*240101*1200*A"))
    ta1 = read_ta1(message.raw)
    assert (ta1.control_number, ta1.code, ta1.note) == ("42", "A", "")


@pytest.mark.parametrize(
    ("elements", "code", "path"),
    [
        ("000000042*240101*1200*X*000", "bad_code", "TA1 TA104"),
        ("000000042*240101*1200**000", "missing_element", "TA1 TA104"),
        ("ABC*240101*1200*A*000", "bad_numeric", "TA1 TA101"),
        ("*240101*1200*A*000", "missing_element", "TA1 TA101"),
        ("000000042*240101*1200*E*19", "bad_code", "TA1 TA105"),
    ],
)
def test_a_ta1_we_cannot_act_on_is_refused_naming_the_element(
    elements: str, code: str, path: str
) -> None:
    [message] = split_sets(_ta1(elements))
    with pytest.raises(DecodeError) as caught:
        read_ta1(message.raw, message.business_keys)
    assert (caught.value.code, caught.value.path) == (code, path)


def test_a_ta1_in_a_broken_interchange_is_refused() -> None:
    [message] = split_sets(
        _ta1("000000042*240101*1200*R*022").replace(b"IEA*0*000000007", b"IEA*0*8")
    )
    assert message.business_keys["x12_error"] == "iea02"
    with pytest.raises(DecodeError) as caught:
        read_ta1(message.raw, message.business_keys)
    assert caught.value.code == "iea02"
    with pytest.raises(DecodeError, match="expected one TA1 in the message, found 0"):
        read_ta1(interchange([po_850(1)]).encode())


SEPARATORS = st.sampled_from([("*", ">", "~"), ("|", ":", "\n"), ("+", "{", "$")])


@given(
    st.lists(st.booleans(), min_size=1, max_size=5),
    st.sampled_from(["997", "999"]),
    SEPARATORS,
    st.integers(1, 999_999_000),
)
@settings(max_examples=60, deadline=None)
def test_our_acknowledgements_read_back_to_their_verdicts(
    good: list[bool], kind: str, seps: tuple[str, str, str], start: int
) -> None:
    e, c, t = seps
    sets = [po_850(2) for _ in good]
    raw = interchange(sets, e=e, c=c, t=t)
    count = len(sets[0]) + 2
    for n, ok in enumerate(good, 1):  # a wrong SE01 rejects set n
        if not ok:
            wrong = raw.replace(f"SE{e}{count}{e}{n:04d}", f"SE{e}99{e}{n:04d}")
            assert wrong != raw
            raw = wrong
    [ack] = build_acks(raw.encode(), kind=kind, counter=sequence(start), now=NOW)  # type: ignore[arg-type]
    [read] = read_acks(ack.text.encode())
    [group] = ack.groups
    assert read.kind == kind
    assert (read.functional_id, read.group_control_number, read.code) == (
        group.functional_id,
        group.control_number,
        group.status,
    )
    assert [(s.control_number, s.code) for s in read.sets] == [
        (s.control_number, s.status) for s in group.sets
    ]
    assert [s.code == "A" for s in read.sets] == good


def test_every_acknowledgement_of_the_samples_reads_back() -> None:
    for path in sample_files():
        for ack in build_acks(path.read_bytes(), counter=sequence(), now=NOW):
            if not ack.groups:  # a TA1 alone: no 997/999 set to read
                continue
            read = read_acks(ack.text.encode())
            assert [r.group_control_number for r in read] == [
                g.control_number for g in ack.groups
            ], path.name


def test_samples_dir_exists_for_this_module() -> None:
    if not samples_dir().is_dir():
        pytest.skip("shared samples not found")
    assert sample_files()
