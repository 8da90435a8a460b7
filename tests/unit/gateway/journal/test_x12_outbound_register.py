"""The outbound interchange register: record, reconcile with 997/999 and TA1 verdicts, overdue,
listing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.journal.sqlite import SqliteJournal
from gateway.journal.x12_control import (
    AckedGroup,
    AckedInterchange,
    AckedSet,
    OutboundX12,
    SentGroup,
    SentSet,
    SqliteX12Control,
    control_key,
    group_state,
    rollup,
)

T0 = 1_800_000_000.0


@pytest.fixture
async def control(tmp_path: Path) -> AsyncIterator[SqliteX12Control]:
    journal = SqliteJournal(tmp_path / "j.db")
    await journal.open()
    try:
        yield SqliteX12Control(journal)
    finally:
        await journal.close()


def _group(gs06: str, *st02: str, fid: str = "SH") -> SentGroup:
    return SentGroup(
        functional_id=fid,
        control_number=gs06,
        version="004010",
        sets=[SentSet(set_id="856", control_number=n) for n in st02],
    )


async def _send(
    control: SqliteX12Control, isa13: str, *groups: SentGroup, at: float = T0, msg: str = ""
) -> bool:
    return await control.record_outbound(
        "acme",
        isa13,
        kind="856",
        groups=list(groups),
        message_id=msg or f"m{isa13}",
        sent_at=at,
        ack_overdue_after=600,
    )


def _ack(gs06: str, code: str, *sets: tuple[str, str], fid: str = "SH") -> AckedGroup:
    return AckedGroup(
        functional_id=fid,
        control_number=gs06,
        code=code,
        sets=[AckedSet(set_id="856", control_number=n, code=c) for n, c in sets],
    )


async def test_a_997_accepts_the_interchange(control: SqliteX12Control) -> None:
    assert await _send(control, "000000001", _group("1", "0001", "0002"))
    assert not await _send(control, "000000001", _group("1", "0001", "0002"))  # a retry
    result = await control.reconcile(
        "acme", [_ack("000001", "A", ("0001", "A"), ("0002", "A"))], ack_message_id="ack-1"
    )
    assert result.unmatched == []
    assert result.matched[0]["interchange_state"] == "accepted"
    got = await control.get("acme", "000000001", now=T0 + 10)
    assert got is not None
    assert (got.state, got.ack_message_id) == ("accepted", "ack-1")
    assert [s.state for s in got.groups[0].sets] == ["accepted", "accepted"]


async def test_rejected_partial_and_pending_groups(control: SqliteX12Control) -> None:
    await _send(control, "000000002", _group("2", "0001"), _group("3", "0001", "0002"))
    await control.reconcile("acme", [_ack("2", "R", ("0001", "R"))])
    got = await control.get("acme", "000000002", now=T0)
    assert got is not None and got.state == "pending"  # group 3 has no ack yet
    await control.reconcile("acme", [_ack("3", "P", ("0001", "A"), ("0002", "R"))])
    got = await control.get("acme", "000000002", now=T0)
    assert got is not None and got.state == "accepted_with_errors"
    assert [g.state for g in got.groups] == ["rejected", "accepted_with_errors"]


async def test_an_ack_for_something_we_never_sent_is_reported(control: SqliteX12Control) -> None:
    await _send(control, "000000003", _group("4", "0001"))
    result = await control.reconcile(
        "acme", [_ack("5", "A"), _ack("4", "A", ("0009", "A")), _ack("4", "A", fid="IN")]
    )
    assert result.matched == []
    reasons = [u["reason"] for u in result.unmatched]
    assert "no SH group with GS06 5 was sent to acme" in reasons[0]
    assert "has no set with ST02 0009" in reasons[1]
    assert "no IN group" in reasons[2]


async def test_overdue_and_listing(control: SqliteX12Control) -> None:
    await _send(control, "000000010", _group("10", "0001"), at=T0)
    await _send(control, "000000011", _group("11", "0001"), at=T0 + 500)
    await control.record_outbound(
        "acme", "000000012", kind="997", groups=[], sent_at=T0, expects_ack=False
    )
    late = await control.overdue(T0 + 700)
    assert [i.isa13 for i in late] == ["000000010"]
    assert late[0].state == "overdue"
    assert [i.isa13 for i in await control.overdue(T0 + 700, after_seconds=100)] == [
        "000000010",
        "000000011",
    ]
    listed = await control.interchanges(state="pending", now=T0 + 700)
    assert [i.isa13 for i in listed] == ["000000011"]
    listed = await control.interchanges(state="not_expected", now=T0 + 700)
    assert [i.isa13 for i in listed] == ["000000012"]
    everything = await control.interchanges(now=T0 + 700, limit=2)
    assert [i.isa13 for i in everything] == ["000000011", "000000012"]
    last = everything[-1]
    page2 = await control.interchanges(now=T0 + 700, before=(last.sent_at, "acme", last.isa13))
    assert [i.isa13 for i in page2] == ["000000010"]  # sent at the same instant as the last
    assert await control.mark_sent("acme", "000000010", T0 + 650)
    assert await control.overdue(T0 + 700) == []  # due again at T0 + 1250


def _ta1(isa13: str, code: str, note: str = "000", **parties: str) -> AckedInterchange:
    return AckedInterchange(
        control_number=isa13, code=code, note=note, date="270115", time="0800", **parties
    )


async def test_a_ta1_rejection_stands(control: SqliteX12Control) -> None:
    await _send(control, "000000020", _group("20", "0001"))
    result = await control.reconcile_ta1(
        "acme", _ta1("000000020", "R", "022"), ack_message_id="ta1-1", received_at=T0 + 5
    )
    assert result.matched == [
        {"isa13": "000000020", "ta1_code": "R", "ta1_note": "022", "interchange_state": "rejected"}
    ]
    await control.reconcile("acme", [_ack("20", "A", ("0001", "A"))])
    # a later TA1 A for the same ISA13 does not lift it either
    later = await control.reconcile_ta1("acme", _ta1("000000020", "A"), ack_message_id="ta1-2")
    assert later.matched[0]["ignored"] == "an earlier TA1 R rejected this interchange for good"
    got = await control.get("acme", "000000020")
    assert got is not None and (got.state, got.ta1_code) == ("rejected", "R")
    assert got.ta1 is not None
    assert (got.ta1.code, got.ta1.note, got.ta1.message_id) == ("R", "022", "ta1-1")
    assert (got.ta1.date, got.ta1.time, got.ta1.received_at) == ("270115", "0800", T0 + 5)


async def test_a_ta1_a_or_e_notes_the_envelope_and_waits_for_the_997(
    control: SqliteX12Control,
) -> None:
    await _send(control, "000000021", _group("21", "0001"))
    await _send(control, "000000022", _group("22", "0001"))
    accepted = await control.reconcile_ta1("acme", _ta1("21", "A"), ack_message_id="ta1-a")
    assert accepted.matched[0]["interchange_state"] == "pending"  # TA101 without its zeros
    noted = await control.reconcile_ta1("acme", _ta1("000000022", "E", "019"))
    assert (noted.matched[0]["ta1_note"], noted.unmatched) == ("019", [])
    a = await control.get("acme", "000000021", now=T0 + 10)
    e = await control.get("acme", "000000022", now=T0 + 700)
    assert a is not None and e is not None
    # the envelope is accepted; the documents still wait for the 997, and go overdue without it
    assert (a.state, a.ta1_code, a.acked_at, a.ack_message_id) == ("pending", "A", None, None)
    assert a.ta1 is not None and a.ta1.message_id == "ta1-a"
    assert (e.state, e.ta1_code) == ("overdue", "E")
    assert e.ta1 is not None and e.ta1.note == "019"
    await control.reconcile("acme", [_ack("22", "A", ("0001", "A"))])
    e = await control.get("acme", "000000022")
    assert e is not None and (e.state, e.ta1_code) == ("accepted", "E")


async def test_a_ta1_a_leaves_an_interchange_that_expects_no_ack_as_it_is(
    control: SqliteX12Control,
) -> None:
    await control.record_outbound(
        "acme", "000000023", kind="856", groups=[_group("23", "0001")], expects_ack=False
    )
    result = await control.reconcile_ta1("acme", _ta1("000000023", "A"))
    assert result.matched[0]["interchange_state"] == "not_expected"
    got = await control.get("acme", "000000023")
    assert got is not None and (got.state, got.ta1_code) == ("not_expected", "A")


async def test_a_ta1_for_an_isa13_never_sent_to_that_partner_is_reported(
    control: SqliteX12Control,
) -> None:
    await _send(control, "000000024", _group("24", "0001"))
    await control.record_outbound("shop", "000000025", kind="856", groups=[_group("25", "0001")])
    unknown = await control.reconcile_ta1("acme", _ta1("000000099", "R"))
    assert (unknown.matched, unknown.unmatched) == (
        [],
        [{"isa13": "000000099", "reason": "no interchange 000000099 was sent to acme"}],
    )
    # shop's ISA13 named on acme's side: not a match, and shop's interchange is untouched
    other = await control.reconcile_ta1("acme", _ta1("000000025", "R"))
    assert other.unmatched[0]["reason"] == "no interchange 000000025 was sent to acme"
    shop = await control.get("shop", "000000025")
    assert shop is not None and (shop.state, shop.ta1_code, shop.ta1) == ("pending", None, None)


async def test_a_ta1_must_come_from_the_partner_to_us(control: SqliteX12Control) -> None:
    await control.record_outbound(
        "acme",
        "000000026",
        kind="856",
        groups=[_group("26", "0001")],
        sender="ZZ:CROSSDOCK",
        receiver="01:ACME",
    )
    await control.record_outbound(  # the X12 destinations record bare ids
        "acme", "000000027", kind="856", groups=[], sender="CROSSDOCK", receiver="ACME"
    )
    stranger = await control.reconcile_ta1(
        "acme", _ta1("000000026", "R", sender="ZZ:INTRUDER", receiver="ZZ:CROSSDOCK")
    )
    assert stranger.matched == []
    assert "this TA1 comes from ZZ:INTRUDER to ZZ:CROSSDOCK" in stranger.unmatched[0]["reason"]
    got = await control.get("acme", "000000026")
    assert got is not None and got.state == "pending"
    for isa13 in ("000000026", "000000027"):
        swapped = _ta1(isa13, "R", sender="01:ACME", receiver="ZZ:CROSSDOCK")
        assert (await control.reconcile_ta1("acme", swapped)).unmatched == []
        got = await control.get("acme", isa13)
        assert got is not None and got.state == "rejected"


async def test_a_wrapped_isa13_replaces_the_old_record(control: SqliteX12Control) -> None:
    await _send(control, "000000030", _group("30", "0001"), msg="first")
    await control.reconcile("acme", [_ack("30", "A", ("0001", "A"))])
    await control.reconcile_ta1("acme", _ta1("000000030", "R"))
    assert await _send(control, "000000030", _group("31", "0001"), msg="second")
    got = await control.get("acme", "000000030")
    assert got is not None
    assert (got.message_id, got.state, [g.control_number for g in got.groups]) == (
        "second",
        "pending",
        ["31"],
    )
    assert (got.ta1_code, got.ta1) == (None, None)  # the old interchange's TA1 went with it


async def test_emit_journals_message_delivery_and_record_at_once(
    control: SqliteX12Control, tmp_path: Path
) -> None:
    out = OutboundX12(
        message_id="ack-msg",
        partner="acme",
        channel="x12-ack:edi",
        document_type="x12_ack",
        content_type="application/edi-x12",
        payload=b"ISA*...~",
        trace_id="t" * 32,
        destination="acme-as2",
        delivery_id="ack-msg.acme-as2",
        idempotency_key="ack-msg.acme-as2",
    )
    assert await control.emit(out, isa13="000000040", kind="997", groups=[], now=T0)
    assert not await control.emit(out, isa13="000000040", kind="997", groups=[], now=T0)
    journal = control._journal
    message = await journal.get_message("ack-msg")
    assert message is not None
    assert (message.state, message.canonical) == ("done", b"ISA*...~")
    [delivery] = await journal.deliveries("ack-msg")
    assert (delivery.destination, delivery.state) == ("acme-as2", "pending")
    got = await control.get("acme", "000000040")
    assert got is not None and got.state == "not_expected"


def test_group_state_and_rollup() -> None:
    assert [group_state(c) for c in "AEPRMWX"] == [
        "accepted",
        "accepted_with_errors",
        "accepted_with_errors",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert rollup([]) == "pending"
    assert rollup(["accepted", "rejected"]) == "accepted_with_errors"
    assert rollup(["rejected", "rejected"]) == "rejected"


@given(st.integers(0, 999_999_999), st.integers(0, 4))
def test_control_key_ignores_leading_zeros(number: int, pad: int) -> None:
    text = str(number)
    assert control_key("0" * pad + text) == control_key(text) == str(number)
    assert control_key("A1") == "A1"
