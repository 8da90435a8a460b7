"""One journal message per set: the partner's bytes sliced exactly, and the decode stage's view."""

from __future__ import annotations

import pytest
from _x12_build import interchange, isa, po_850, samples_dir

from connectors.errors import DecodeError
from connectors.x12 import DOCUMENT_TYPES, decode_set, document_type, split_sets


def test_document_type_rule() -> None:
    assert (document_type("850"), document_type("856"), document_type("810")) == (
        "order",
        "shipment",
        "invoice",
    )
    assert document_type("997") == "x12.997"
    assert set(DOCUMENT_TYPES) >= {"850", "855", "856", "810", "180", "940", "945", "214"}


def test_each_set_is_its_envelope_and_its_own_bytes_exactly() -> None:
    raw = interchange([po_850(1), po_850(2)]).encode()
    first, second = split_sets(raw)
    isa_gs = raw[: raw.index(b"ST*850")]
    ge_iea = raw[raw.index(b"GE*") :]
    for m, control in ((first, b"0001"), (second, b"0002")):
        start = int(m.business_keys["x12_offset"])
        end = raw.index(b"SE*", start)
        end = raw.index(b"~", end) + 1
        assert m.raw == isa_gs + raw[start:end] + ge_iea
        assert raw[start:end].startswith(b"ST*850*" + control)
    assert first.business_keys == {
        "set_id": "850",
        "st02": "0001",
        "isa13": "000000001",
        "gs06": "1",
        "sender": "ZZ:SENDER",
        "receiver": "ZZ:RECEIVER",
        "x12_offset": str(raw.index(b"ST*850")),
    }


def test_decode_set_gives_the_tree_and_ignores_the_original_counts() -> None:
    # GE01 says 2 sets; each message holds one: not an error when the set is read again
    first, _ = split_sets(interchange([po_850(1), po_850(1)]).encode())
    decoded = decode_set(first.raw, first.business_keys)
    assert decoded.document_type == "order"
    assert decoded.tree["BEG"]["BEG03"] == "PO123"
    assert "x12_offset" not in decoded.business_keys


def test_a_rejected_set_raises_with_code_and_position() -> None:
    raw = (samples_dir() / "850/edieng_850_syntaxnotes_err.edi").read_bytes()
    [m] = split_sets(raw)
    assert not m.accepted
    assert m.error is not None
    with pytest.raises(DecodeError) as caught:
        decode_set(m.raw, m.business_keys)
    assert caught.value.code == "syntax_note"
    assert (
        caught.value.path
        == f"PO1 PO107 at set position 13 (byte {m.error.offset} of the received body)"
    )


def test_an_envelope_error_only_the_whole_interchange_shows_is_carried_in_the_keys() -> None:
    raw = interchange([po_850(1)]).replace("GE*1*1", "GE*3*1").encode()  # GE01 wrong
    [m] = split_sets(raw)
    assert (m.accepted, m.business_keys["x12_error"]) == (False, "ge01")
    with pytest.raises(DecodeError) as caught:
        decode_set(m.raw, m.business_keys)
    assert caught.value.code == "ge01"
    assert caught.value.path == m.business_keys["x12_error_at"]


def test_no_interchange_is_a_decode_error_with_an_offset() -> None:
    with pytest.raises(DecodeError) as caught:
        split_sets(b"hello, not edi")
    assert caught.value.code == "x12_no_sets"
    assert caught.value.path is not None
    assert caught.value.path.startswith("byte ")


def _ta1_interchange(code: str = "R", *, after: str = "", control: str = "000000007") -> bytes:
    """A partner's TA1 about our ISA13 000000042, alone or ahead of ``after`` (groups)."""
    ta1 = f"TA1*000000042*240101*1159*{code}*022~"
    return f"{isa(control)}{ta1}{after}IEA*{after.count('GS*')}*{control}~".encode()


def test_a_ta1_alone_is_one_message_with_its_envelope() -> None:
    raw = _ta1_interchange()
    [m] = split_sets(raw)
    assert (m.set_id, m.control_number, m.document_type, m.accepted) == (
        "TA1",
        "000000042",
        "x12.TA1",
        True,
    )
    assert m.raw == raw  # ISA, TA1 and IEA exactly as received
    assert m.business_keys == {
        "set_id": "TA1",
        "ta101": "000000042",
        "isa13": "000000007",
        "sender": "ZZ:SENDER",
        "receiver": "ZZ:RECEIVER",
        "x12_offset": str(raw.index(b"TA1*")),
    }


def test_a_ta1_ahead_of_groups_is_journaled_beside_their_sets() -> None:
    body = interchange([po_850(1)])
    groups = body[body.index("GS*") : body.index("IEA*")]
    raw = _ta1_interchange("A", after=groups)
    ta1, order = split_sets(raw)  # input order
    assert (ta1.set_id, order.set_id) == ("TA1", "850")
    assert ta1.accepted and order.accepted
    assert b"GS*" not in ta1.raw and b"TA1*" not in order.raw
    assert ta1.raw.endswith(b"IEA*1*000000007~")  # IEA01 of the original: not re-checked


def test_a_ta1_in_a_broken_interchange_carries_the_verdict() -> None:
    raw = _ta1_interchange().replace(b"IEA*0*000000007", b"IEA*0*000000009")
    [m] = split_sets(raw)
    assert (m.accepted, m.business_keys["x12_error"]) == (False, "iea02")
