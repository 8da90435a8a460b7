"""X12 drop folders against the real Gateway (its workers, its journal, a real receiver).

A file dropped in a channel's folder becomes one journal message per transaction set with the
exact bytes the HTTP door would journal, its 997 reaches the partner's (real, 127.0.0.1)
endpoint, and the file moves to ``accepted/<date>/`` beside a receipt. A file still being written
is not picked; a malformed file and a resent interchange go to ``rejected/<date>/`` beside an
``.error.json``; a claim left in ``.processing`` by a crash is finished exactly once, also when
the crash came after the journal write; several watchers on one folder never accept a file
twice. Samples are read from ``../shared/samples/x12`` and written into temp folders only.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import yaml

from connectors.x12 import split_sets
from gateway.demo.receiver import Ok, running_receiver
from gateway.ids import new_id, new_trace_id
from gateway.journal import Message, MessageFilter, NewMessage
from gateway.runtime import Gateway
from gateway.x12_acks import control_for
from gateway.x12_drop_folder import (
    ACCEPTED,
    CLAIM_KEY,
    PROCESSING,
    REJECTED,
    SOURCE_KEY,
    DropFolderWatcher,
    watchers_of,
)
from gateway.x12_intake import accept_interchange
from tests.support import SAMPLES, GatewayAuth, eventually, running_gateway, write_config

X12 = SAMPLES / "x12"
SAMPLE = X12 / "850" / "edieng_850_ok.edi"  # one interchange, ISA13 000003438, one 850
THREE = X12 / "810" / "staedi_810_850_dual.edi"  # one interchange, three sets (one bad 850)

pytestmark = pytest.mark.skipif(not X12.is_dir(), reason=f"shared samples not found at {X12}")


def _setup(
    root: Path, acks_url: str | None = None, *, window: float | None = 86400.0, folder: bool = True
) -> Path:
    """Config with channel ``edi`` (acme, x12) whose drop folder is ``<root>/drop``."""
    channel: dict[str, Any] = {
        "name": "edi",
        "partner": "acme",
        "format": "x12",
        "duplicate_window": window,
    }
    if folder:
        channel["drop_folder"] = "../drop"  # relative to the config folder
    destinations = {"acme-as2": {"url": acks_url}} if acks_url else {}
    write_config(root, destinations, [channel])
    cfg = root / "config"
    if acks_url:
        partner = {"name": "acme", "x12": {"ack_destination": "acme-as2", "ack": "997"}}
        (cfg / "partners.yaml").write_text(yaml.safe_dump([partner, {"name": "shop"}]))
        (cfg / "routes.yaml").write_text("[]")
    return root / "drop"


def _drop(folder: Path, name: str, raw: bytes) -> None:
    """Write-then-rename, as partners are told to."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{name}.part"
    tmp.write_bytes(raw)
    tmp.rename(folder / name)


def _outcome(folder: Path, verdict: str, name: str) -> tuple[Path, dict[str, Any]] | None:
    """The moved file and its report, once the watcher has finished with ``name``."""
    kind = "receipt" if verdict == ACCEPTED else "error"
    for day in sorted((folder / verdict).glob("*")):
        if (day / name).is_file():
            return day / name, json.loads((day / f"{name}.{kind}.json").read_text())
    return None


async def _from_file(gw: Gateway, name: str) -> list[Message]:
    """The file's messages in input order (they share one ``received_at``)."""
    flt = MessageFilter(partner="acme", key=(SOURCE_KEY, f"drop_folder:{name}"), limit=1000)
    found = await gw.journal.list_messages(flt)
    return sorted(found, key=lambda m: int(m.business_keys["x12_offset"]))


async def _delivered(gw: Gateway, message_id: str) -> bool:
    ds = await gw.journal.deliveries(message_id)
    return bool(ds) and all(d.state == "delivered" for d in ds)


async def test_a_dropped_interchange_is_one_message_per_set_with_exact_bytes_and_a_997(
    tmp_path: Path,
) -> None:
    raw = THREE.read_bytes()
    async with running_receiver({"/as2": Ok()}) as rx:
        folder = _setup(tmp_path, f"{rx.url}/as2")
        async with running_gateway(tmp_path) as (gw, _base):
            assert [w.folder for w in watchers_of(gw)] == [folder]
            _drop(folder, "inv-1.edi", raw)
            moved, receipt = await eventually(lambda: _outcome(folder, ACCEPTED, "inv-1.edi"))
            assert moved.read_bytes() == raw  # the input is kept, unchanged
            assert not (folder / "inv-1.edi").exists()
            assert list((folder / PROCESSING).iterdir()) == []

            messages = await _from_file(gw, "inv-1.edi")
            expected = split_sets(raw)
            assert [m.raw for m in messages] == [s.raw for s in expected]  # exactly as HTTP
            assert [e["message_id"] for e in receipt["messages"]] == [m.id for m in messages]
            assert [e["status"] for e in receipt["messages"]] == [
                "accepted",
                "accepted",
                "rejected",
            ]
            assert receipt["messages"][2]["error"]["code"]
            assert {m.business_keys[CLAIM_KEY] for m in messages} == {receipt["claim"]}
            assert messages[0].business_keys["x12_interchange"].endswith("|000000020#1")
            assert messages[0].content_type == "application/edi-x12"

            [ack] = receipt["acknowledgements"]
            assert ack["kind"] == "997"
            await eventually(lambda: _delivered(gw, ack["message_id"]))
            [got] = [r for r in rx.received_on("/as2") if r.body.startswith(b"ISA")]
            assert b"AK1*IN*" in got.body


async def test_a_dropped_ta1_alone_is_accepted_and_rejects_what_we_sent(tmp_path: Path) -> None:
    # ISA, TA1, IEA: no set at all, and still the partner's word on interchange 000000100
    isa = SAMPLE.read_bytes().split(b"\n", 1)[0]  # the sample's terminator is a newline
    ta1 = isa + b"\nTA1*000000100*261122*0300*R*024\nIEA*0*000003438\n"
    folder = _setup(tmp_path)
    async with running_gateway(tmp_path) as (gw, _base):
        control = control_for(gw.journal)
        await control.record_outbound("acme", "000000100", kind="856", groups=[], message_id="out")
        _drop(folder, "ta1.edi", ta1)
        moved, receipt = await eventually(lambda: _outcome(folder, ACCEPTED, "ta1.edi"))
        assert moved.read_bytes() == ta1
        [entry] = receipt["messages"]
        assert (entry["set_id"], entry["control_number"], entry["status"]) == (
            "TA1",
            "000000100",
            "accepted",
        )
        assert receipt["acknowledgements"] == []

        async def rejected() -> bool:
            found = await control.get("acme", "000000100")
            return found is not None and found.state == "rejected"

        await eventually(rejected)
        found = await control.get("acme", "000000100")
        assert found is not None and found.ta1 is not None
        assert (found.ta1_code, found.ta1.note, found.ta1.message_id) == (
            "R",
            "024",
            entry["message_id"],
        )


async def test_a_file_written_in_two_chunks_is_picked_only_once_complete(tmp_path: Path) -> None:
    raw = SAMPLE.read_bytes()
    _setup(tmp_path, folder=False)
    async with running_gateway(tmp_path) as (gw, _base):
        folder = tmp_path / "elsewhere"
        ch = msgspec.structs.replace(gw.config.channels["edi"], drop_folder=str(folder))
        watcher = DropFolderWatcher(gw, ch, poll_interval=3600)
        watcher.prepare()
        (folder / "po.edi.part").write_bytes(raw)  # a marked name is never picked
        (folder / ".hidden.edi").write_bytes(raw)
        for _ in range(3):
            assert await watcher.poll() == []
        half = len(raw) // 2
        with (folder / "po.edi").open("wb") as out:
            out.write(raw[:half])
            out.flush()
            assert await watcher.poll() == []  # first sight: not known to be complete
            out.write(raw[half:])
            out.flush()
            # a file whose size or mtime changed since the last poll is still being written
            assert await watcher.poll() == []
        [outcome] = await watcher.poll()
        assert (outcome.file, outcome.verdict) == ("po.edi", ACCEPTED)
        [message] = await _from_file(gw, "po.edi")
        assert message.raw == split_sets(raw)[0].raw
        assert (folder / "po.edi.part").exists()
        assert (folder / ".hidden.edi").exists()


async def test_a_file_without_a_set_is_rejected_with_the_segment_position(tmp_path: Path) -> None:
    raw = SAMPLE.read_bytes()
    truncated = raw[: raw.index(b"ST*")]  # ISA and GS, then the data ends
    folder = _setup(tmp_path)
    async with running_gateway(tmp_path) as (gw, _base):
        _drop(folder, "broken.edi", truncated)
        moved, error = await eventually(lambda: _outcome(folder, REJECTED, "broken.edi"))
        assert moved.read_bytes() == truncated
        assert (error["partner"], error["channel"], error["stage"]) == ("acme", "edi", "decode")
        assert (error["status"], error["code"]) == (400, "x12_no_sets")
        assert error["position"] == f"byte {len(truncated)}"
        assert error["segment_position"] == "segment 2 (GS)"
        assert "ST..SE" in error["expected"]
        assert error["file"] == "broken.edi"
        assert await _from_file(gw, "broken.edi") == []


async def test_a_set_the_reader_rejects_is_journaled_and_named_in_an_error_report(
    tmp_path: Path,
) -> None:
    """As over HTTP: the set is kept and dead-lettered; the file goes to accepted/."""
    raw = SAMPLE.read_bytes()
    truncated = raw[: raw.index(b"PO1*")]  # the set has no SE
    folder = _setup(tmp_path)
    async with running_gateway(tmp_path) as (gw, _base):
        _drop(folder, "cut.edi", truncated)
        moved, receipt = await eventually(lambda: _outcome(folder, ACCEPTED, "cut.edi"))
        error = json.loads(moved.with_name("cut.edi.error.json").read_text())
        [bad] = error["sets"]
        assert bad["message_id"] == receipt["messages"][0]["message_id"]
        assert bad["error"]["code"] == "missing_se"
        assert bad["error"]["segment_position"].startswith("segment ")
        assert bad["error"]["expected"] == "SE"
        assert (error["partner"], error["channel"], error["stage"]) == ("acme", "edi", "decode")
        [message] = await _from_file(gw, "cut.edi")
        assert message.raw == truncated


async def test_a_resent_interchange_is_rejected_whichever_door_took_the_first(
    tmp_path: Path,
) -> None:
    raw = SAMPLE.read_bytes()
    folder = _setup(tmp_path)
    async with (
        running_gateway(tmp_path) as (gw, base),
        httpx.AsyncClient(auth=GatewayAuth(gw)) as client,
    ):
        response = await client.post(
            f"{base}/v1/inbound/edi", content=raw, headers={"content-type": "application/edi-x12"}
        )
        assert response.status_code == 202, response.text
        [first] = response.json()["messages"]
        _drop(folder, "again.edi", raw)
        moved, error = await eventually(lambda: _outcome(folder, REJECTED, "again.edi"))
        assert moved.read_bytes() == raw
        assert error["code"] == "duplicate_interchange"
        assert error["status"] == 409
        assert error["original_message_id"] == first["message_id"]
        assert (error["isa13"], error["position"]) == ("000003438", "ISA13")
        assert "new ISA13" in error["expected"]
        assert await _from_file(gw, "again.edi") == []
        # the folder's acceptance is what HTTP checks against too
        _drop(folder, "other.edi", raw.replace(b"000003438", b"000003439"))
        await eventually(lambda: _outcome(folder, ACCEPTED, "other.edi"))
        response = await client.post(
            f"{base}/v1/inbound/edi",
            content=raw.replace(b"000003438", b"000003439"),
            headers={"content-type": "application/edi-x12"},
        )
        assert response.status_code == 409, response.text


async def test_a_claim_left_by_a_crash_before_the_journal_write_is_accepted_at_start(
    tmp_path: Path,
) -> None:
    raw = THREE.read_bytes()
    folder = _setup(tmp_path)
    claim = new_id()
    (folder / PROCESSING).mkdir(parents=True)
    (folder / PROCESSING / f"{claim}.crashed.edi").write_bytes(raw)
    async with running_gateway(tmp_path) as (gw, _base):
        _moved, receipt = await eventually(lambda: _outcome(folder, ACCEPTED, "crashed.edi"))
        assert receipt["claim"] == claim
        assert "resumed" not in receipt  # nothing was journaled before the crash
        messages = await _from_file(gw, "crashed.edi")
        assert [m.raw for m in messages] == [s.raw for s in split_sets(raw)]


@pytest.mark.parametrize("window", [86400.0, None])
async def test_a_claim_left_by_a_crash_after_the_journal_write_is_not_accepted_twice(
    tmp_path: Path, window: float | None
) -> None:
    """With the duplicate check off too: the claim key, not the check, makes resuming safe."""
    raw = THREE.read_bytes()
    folder = _setup(tmp_path, window=window)
    claim = new_id()
    async with running_gateway(tmp_path) as (gw, _base):
        [watcher] = watchers_of(gw)
        # what the watcher did before "crashing": journal the sets under its claim, no move
        intake = await accept_interchange(
            gw,
            gw.config.channels["edi"],
            raw,
            new_trace_id(),
            keys={SOURCE_KEY: "drop_folder:late.edi", CLAIM_KEY: claim},
        )
        assert intake.refusal is None
        (folder / PROCESSING / f"{claim}.late.edi").write_bytes(raw)
        _moved, receipt = await eventually(lambda: _outcome(folder, ACCEPTED, "late.edi"))
        assert receipt["resumed"] is True
        messages = await _from_file(gw, "late.edi")
        assert [m.id for m in messages] == [m.id for m in intake.messages]  # no new message
        assert [e["message_id"] for e in receipt["messages"]] == [m.id for m in messages]
        polls = watcher.polls
        await eventually(lambda: watcher.polls > polls + 2)
        assert len(await _from_file(gw, "late.edi")) == len(messages)
        assert list((folder / PROCESSING).iterdir()) == []
        assert not (folder / REJECTED).exists()


async def test_several_watchers_on_one_folder_never_accept_a_file_twice(tmp_path: Path) -> None:
    """Duplicate check off, so a double acceptance would show as two sets of messages."""
    raw = SAMPLE.read_bytes()
    folder = _setup(tmp_path, window=None)
    names = [f"po-{i:03}.edi" for i in range(24)]
    async with running_gateway(tmp_path) as (gw, _base):
        ch = gw.config.channels["edi"]
        rivals = [DropFolderWatcher(gw, ch, poll_interval=0.01) for _ in range(3)]
        tasks = [asyncio.create_task(w.run()) for w in rivals]
        try:
            for round_ in range(3):
                batch = names[round_ * 8 : (round_ + 1) * 8]
                for name in batch[:4]:
                    _drop(folder, name, raw)
                for name in batch[4:]:  # orphans: every watcher tries to resume them
                    (folder / PROCESSING).mkdir(parents=True, exist_ok=True)
                    (folder / PROCESSING / f"{new_id()}.{name}").write_bytes(raw)
                await eventually(
                    lambda b=batch: all(_outcome(folder, ACCEPTED, n) for n in b)  # type: ignore[misc]
                )
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for name in names:
            assert len(await _from_file(gw, name)) == 1, name
        accepted = list((folder / ACCEPTED).rglob("*.edi"))
        assert sorted(p.name for p in accepted) == names
        assert not (folder / REJECTED).exists()
        assert list((folder / PROCESSING).iterdir()) == []
        assert sorted(p.name for p in folder.iterdir()) == sorted([PROCESSING, ACCEPTED])


@pytest.mark.parametrize("acked_before_the_crash", [True, False])
async def test_a_resumed_claim_gets_its_997_exactly_once(
    tmp_path: Path, acked_before_the_crash: bool
) -> None:
    raw = SAMPLE.read_bytes()
    async with running_receiver({"/as2": Ok()}) as rx:
        folder = _setup(tmp_path, f"{rx.url}/as2")
        claim = new_id()
        keys = {SOURCE_KEY: "drop_folder:po.edi", CLAIM_KEY: claim}
        async with running_gateway(tmp_path) as (gw, _base):
            ch = gw.config.channels["edi"]
            if acked_before_the_crash:
                intake = await accept_interchange(gw, ch, raw, new_trace_id(), keys=keys)
                first = intake.messages[0]
            else:  # the crash came between the journal write and queueing the 997
                [xset] = split_sets(raw)
                first = NewMessage(
                    id=new_id(),
                    partner="acme",
                    channel="edi",
                    document_type=xset.document_type,
                    content_type="application/edi-x12",
                    raw=xset.raw,
                    received_at=time.time(),
                    trace_id=new_trace_id(),
                    business_keys={**xset.business_keys, **keys},
                )
                await gw.journal.accept_many([first])
            (folder / PROCESSING / f"{claim}.po.edi").write_bytes(raw)
            _moved, receipt = await eventually(lambda: _outcome(folder, ACCEPTED, "po.edi"))
            assert receipt["resumed"] is True
            acks = await gw.journal.list_messages(
                MessageFilter(partner="acme", key=("in_reply_to", first.id))
            )
            assert len(acks) == 1
            assert len(receipt["acknowledgements"]) == (0 if acked_before_the_crash else 1)
            await eventually(lambda: _delivered(gw, acks[0].id))
            assert len([r for r in rx.received_on("/as2") if r.body.startswith(b"ISA")]) == 1
