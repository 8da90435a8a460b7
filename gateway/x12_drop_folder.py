"""Watched drop folders: X12 files a partner leaves in a folder, accepted as if POSTed.

Each ``x12`` channel with a ``drop_folder`` gets a :class:`DropFolderWatcher` (started by the
Gateway). It polls the folder with ``stat`` every ``poll_interval`` (no dependency: a folder of a
few files a minute does not need inotify, and polling also works on the network shares partners
tend to get) and moves every file through::

    <folder>/<name>                      a partner's file (write it as .tmp/.part, then rename)
    <folder>/.processing/<claim>.<name>  claimed by one watcher (atomic rename; <claim> is an id)
    <folder>/accepted/<date>/<name>      journaled; <name>.receipt.json lists the messages
    <folder>/rejected/<date>/<name>      refused; <name>.error.json says what was wrong

**Complete files only.** Names starting with ``.`` or ending in ``.tmp``, ``.part`` or
``.filepart`` are never picked; any other file is picked once its size, mtime and inode were the
same at two consecutive polls. A writer that pauses longer than a poll interval can still be
caught half-way, so partners should write under a temporary name and rename when done.

**One owner per file.** The claim is an atomic rename into ``.processing/``: of two gateways
polling one folder exactly one rename succeeds. The claimant then holds an exclusive ``flock``
on the file while it accepts and moves it; a file in ``.processing`` that nobody holds a lock on
belongs to a watcher that died, and is resumed by whichever watcher locks it first (at start and
at every poll). The kernel drops the lock with its process, so a crash never strands a file.
``flock`` needs a local filesystem (or an NFS client that implements it).

**Exactly once.** Every message of a file carries the business keys ``source`` =
``drop_folder:<name>`` and ``x12_drop_claim`` = the claim id. A resumed file whose claim is
already in the journal (the crash came after the journal write, before the move) is not
accepted again: its acknowledgements are queued if none were, and it is moved to ``accepted/``.
Files are never deleted; the report is written before the move, so a crash between the two
only rewrites the same report.

Acceptance is :func:`gateway.x12_intake.accept_interchange`, the HTTP door's code path: same
split, same duplicate-interchange check under the same per-partner lock, same acknowledgements.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import time
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from connectors.x12 import Reader, Segment, SetMessage
from gateway.ids import new_id, new_trace_id
from gateway.journal import Message, MessageFilter, NewMessage
from gateway.x12_intake import Refusal, accept_interchange, acknowledge

if TYPE_CHECKING:
    from gateway.config.model import Channel
    from gateway.runtime import Gateway

log = logging.getLogger("crossdock.drop_folder")

PROCESSING = ".processing"
ACCEPTED = "accepted"
REJECTED = "rejected"
IGNORED_SUFFIXES = (".tmp", ".part", ".filepart")
SOURCE_KEY = "source"
CLAIM_KEY = "x12_drop_claim"
_BYTE = re.compile(r"byte (\d+)")
_json = msgspec.json.Encoder(order="sorted")

Signature = tuple[int, int, int]  # size, mtime_ns, inode


class Outcome(msgspec.Struct, frozen=True):
    """What one poll did with one file (for the log, the CLI and tests)."""

    file: str
    verdict: Literal["accepted", "rejected"]
    moved_to: str
    message_ids: list[str]
    resumed: bool = False
    code: str | None = None


def ignored(name: str) -> bool:
    """A name no watcher picks: hidden, or marked as still being written."""
    return name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES)


def _split_claim(claimed: str) -> tuple[str, str]:
    """``<claim>.<name>`` -> (claim, name)."""
    claim, _, name = claimed.partition(".")
    return claim, name


def segment_position(raw: bytes, position: str) -> str | None:
    """``segment <n> (<id>)`` holding the byte a reader error names, when it names one."""
    match = _BYTE.fullmatch(position)
    if match is None:
        return None
    offset = int(match.group(1))
    found: Segment | None = None
    for item in Reader(raw):
        if isinstance(item, Segment):
            if item.offset > offset:
                break
            found = item
    if found is None:
        return "before the first segment"
    return f"segment {found.number} ({found.id})"


class _Locked:
    """A claimed file opened and exclusively ``flock``-ed; None from :meth:`take` if not ours."""

    def __init__(self, fd: int, path: Path, size: int) -> None:
        self.fd = fd
        self.path = path
        self.size = size

    @classmethod
    def take(cls, path: Path) -> _Locked | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None  # another watcher finished it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            st = os.fstat(fd)
            # locked, but another watcher may have moved it out between our open and lock
            if path.stat().st_ino != st.st_ino:
                os.close(fd)
                return None
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            return None
        return cls(fd, path, st.st_size)

    def read(self) -> bytes:
        chunks, offset = [], 0
        while chunk := os.pread(self.fd, 1 << 20, offset):
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        os.close(self.fd)  # drops the lock


class DropFolderWatcher:
    """Polls one channel's drop folder and accepts every complete file exactly once."""

    def __init__(self, gateway: Gateway, channel: Channel, *, poll_interval: float) -> None:
        if channel.drop_folder is None:
            raise ValueError(f"channel {channel.name!r} has no drop_folder")
        self.gateway = gateway
        self.channel = channel
        self.folder = Path(channel.drop_folder)
        self.poll_interval = poll_interval
        self.polls = 0
        self._seen: dict[str, Signature] = {}

    async def run(self) -> None:
        """Poll until cancelled; a failed poll is logged and its files retried next time."""
        while True:
            try:
                for outcome in await self.poll():
                    log.info(
                        "drop folder file %s",
                        outcome.verdict,
                        extra={"channel": self.channel.name, **msgspec.to_builtins(outcome)},
                    )
            except Exception:
                log.exception("drop folder poll failed", extra={"folder": str(self.folder)})
            await asyncio.sleep(self.poll_interval)

    def prepare(self) -> None:
        """Create the folder and its ``.processing`` subfolder."""
        (self.folder / PROCESSING).mkdir(parents=True, exist_ok=True)

    async def poll(self) -> list[Outcome]:
        """Resume orphaned claims, then claim and accept every file that has stopped changing.

        A file that fails (unreadable, journal unavailable) is logged and left where it is, to
        be retried at the next poll; it does not hold up the files after it.
        """
        self.polls += 1
        outcomes = []
        orphans, stable = await asyncio.to_thread(self._scan)
        for orphan in orphans:
            with self._logged(orphan):
                outcome = await self._process(self.folder / PROCESSING / orphan)
                if outcome is not None:
                    outcomes.append(outcome)
        for name in stable:
            with self._logged(name):
                claimed = await asyncio.to_thread(self._claim, name)
                outcome = None if claimed is None else await self._process(claimed)
                if outcome is not None:
                    outcomes.append(outcome)
        return outcomes

    @contextlib.contextmanager
    def _logged(self, name: str) -> Iterator[None]:
        try:
            yield
        except Exception:
            log.exception(
                "drop folder file failed; retried at the next poll",
                extra={"channel": self.channel.name, "folder": str(self.folder), "file": name},
            )

    def _scan(self) -> tuple[list[str], list[str]]:
        """Names in ``.processing`` and inbox names unchanged since the previous poll."""
        self.prepare()
        orphans = sorted(e.name for e in os.scandir(self.folder / PROCESSING) if e.is_file())
        now: dict[str, Signature] = {}
        for entry in os.scandir(self.folder):
            if ignored(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            with contextlib.suppress(FileNotFoundError):
                st = entry.stat(follow_symlinks=False)
                now[entry.name] = (st.st_size, st.st_mtime_ns, st.st_ino)
        stable = sorted(name for name, sig in now.items() if self._seen.get(name) == sig)
        self._seen = now
        return orphans, stable

    def _claim(self, name: str) -> Path | None:
        """Rename ``name`` into ``.processing`` under a new claim id; None if another took it."""
        self._seen.pop(name, None)
        target = self.folder / PROCESSING / f"{new_id()}.{name}"
        try:
            (self.folder / name).rename(target)
        except FileNotFoundError:
            return None
        return target

    async def _process(self, claimed: Path) -> Outcome | None:
        locked = await asyncio.to_thread(_Locked.take, claimed)
        if locked is None:
            return None  # another watcher holds or finished it
        try:
            return await self._accept(locked)
        finally:
            locked.close()

    async def _accept(self, locked: _Locked) -> Outcome:
        gw, ch = self.gateway, self.channel
        claim, name = _split_claim(locked.path.name)
        limit = ch.max_body_bytes or gw.settings.max_body_bytes
        if locked.size > limit:
            refusal = Refusal(
                413,
                "body_too_large",
                "File too large",
                f"the file is {locked.size} bytes; channel {ch.name!r} accepts at most {limit}",
                {"stage": "accept", "partner": ch.partner, "channel": ch.name},
            )
            return await self._reject(locked, claim, name, refusal, b"")
        raw = await asyncio.to_thread(locked.read)
        done = await gw.journal.list_messages(
            MessageFilter(partner=ch.partner, key=(CLAIM_KEY, claim), limit=100_000)
        )
        if done:
            return await self._resume(locked, claim, name, raw, done)
        intake = await accept_interchange(
            gw,
            ch,
            raw,
            new_trace_id(),
            keys={SOURCE_KEY: f"drop_folder:{name}", CLAIM_KEY: claim},
        )
        if intake.refusal is not None:
            return await self._reject(locked, claim, name, intake.refusal, raw)
        receipt: dict[str, Any] = {
            "file": name,
            "partner": ch.partner,
            "channel": ch.name,
            "claim": claim,
            "trace_id": intake.trace_id,
            "accepted_at": _iso(intake.received_at),
            "messages": [
                _set_entry(m, s) for m, s in zip(intake.messages, intake.sets, strict=True)
            ],
            "acknowledgements": intake.acks,
        }
        reports = {"receipt": receipt}
        bad = [e for e in receipt["messages"] if e["status"] == "rejected"]
        if bad:  # journaled and dead-lettered at decode, but the partner's file had errors
            reports["error"] = {
                "file": name,
                "partner": ch.partner,
                "channel": ch.name,
                "stage": "decode",
                "detail": f"{len(bad)} of {len(receipt['messages'])} transaction sets were "
                "rejected by the reader; they are journaled and dead-lettered at decode, the "
                "other sets go on",
                "sets": bad,
            }
        moved = await asyncio.to_thread(self._move, locked.path, name, ACCEPTED, reports)
        return Outcome(name, "accepted", str(moved), [m.id for m in intake.messages])

    async def _resume(
        self, locked: _Locked, claim: str, name: str, raw: bytes, done: list[Message]
    ) -> Outcome:
        """The journal has this claim already: finish what the crash interrupted, once."""
        gw, ch = self.gateway, self.channel
        # one received_at for all: the journal's order among them is the ids', not the input's
        done = sorted(done, key=lambda m: int(m.business_keys.get("x12_offset", "0")))
        first = done[0]
        acks: list[dict[str, Any]] = []
        if await gw.journal.find_by_key(ch.partner, "in_reply_to", first.id) is None:
            acks = await acknowledge(
                gw, raw, ch.partner, ch.name, first.id, first.trace_id, first.received_at
            )
        receipt = {
            "file": name,
            "partner": ch.partner,
            "channel": ch.name,
            "claim": claim,
            "trace_id": first.trace_id,
            "accepted_at": _iso(first.received_at),
            "resumed": True,
            "messages": [
                {
                    "message_id": m.id,
                    "set_id": m.business_keys.get("set_id", ""),
                    "control_number": m.business_keys.get("st02")
                    or m.business_keys.get("ta101", ""),  # a TA1's message: the ISA13 it answers
                    "document_type": m.document_type,
                    "status": "rejected" if "x12_error" in m.business_keys else "accepted",
                }
                for m in done
            ],
            "acknowledgements": acks,
        }
        moved = await asyncio.to_thread(
            self._move, locked.path, name, ACCEPTED, {"receipt": receipt}
        )
        return Outcome(name, "accepted", str(moved), [m.id for m in done], resumed=True)

    async def _reject(
        self, locked: _Locked, claim: str, name: str, refusal: Refusal, raw: bytes
    ) -> Outcome:
        report: dict[str, Any] = {
            **refusal.fields,
            "file": name,
            "claim": claim,
            "status": refusal.status,
            "code": refusal.code,
            "title": refusal.title,
            "detail": refusal.detail,
            "rejected_at": _iso(time.time()),
        }
        segment = segment_position(raw, str(refusal.fields.get("position", "")))
        if segment is not None:
            report["segment_position"] = segment
        moved = await asyncio.to_thread(self._move, locked.path, name, REJECTED, {"error": report})
        return Outcome(name, "rejected", str(moved), [], code=refusal.code)

    def _move(
        self, claimed: Path, name: str, verdict: str, reports: dict[str, dict[str, Any]]
    ) -> Path:
        """Write ``<name>.<kind>.json`` into today's folder, then move the file beside them."""
        day = self.folder / verdict / datetime.now(UTC).strftime("%Y-%m-%d")
        day.mkdir(parents=True, exist_ok=True)
        target = day / name
        if target.exists():  # the same name dropped again today: keep both
            target = day / f"{_split_claim(claimed.name)[0]}.{name}"
        for kind, report in reports.items():
            tmp = day / f".{target.name}.{kind}.json.tmp"
            tmp.write_bytes(_json.encode(report) + b"\n")
            tmp.replace(day / f"{target.name}.{kind}.json")
        claimed.rename(target)
        return target


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _set_entry(message: NewMessage, xset: SetMessage) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "message_id": message.id,
        "set_id": xset.set_id,
        "control_number": xset.control_number,
        "document_type": xset.document_type,
        "status": "accepted" if xset.accepted else "rejected",
    }
    if xset.error is not None:
        e = xset.error
        entry["error"] = {**msgspec.to_builtins(e), "position": f"byte {e.offset}"}
        if e.segment_no:
            entry["error"]["segment_position"] = f"segment {e.segment_no} ({e.segment_id})"
    return entry


def folder_counts(folder: Path) -> dict[str, int]:
    """Files waiting, claimed, and accepted/rejected today (UTC): what ``x12 folders`` shows."""

    def count(where: Path, keep: Any) -> int:
        if not where.is_dir():
            return 0
        return sum(1 for e in os.scandir(where) if e.is_file() and keep(e.name))

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    data = lambda name: not name.endswith(".json") and not name.startswith(".")  # noqa: E731
    return {
        "pending": count(folder, lambda name: not ignored(name)),
        "being_written": count(folder, lambda name: ignored(name) and not name.startswith(".")),
        "processing": count(folder / PROCESSING, lambda _name: True),
        "accepted_today": count(folder / ACCEPTED / today, data),
        "rejected_today": count(folder / REJECTED / today, data),
    }


_watchers: weakref.WeakKeyDictionary[Gateway, list[DropFolderWatcher]] = weakref.WeakKeyDictionary()


def watchers_of(gateway: Gateway) -> list[DropFolderWatcher]:
    """The watchers :func:`start_watchers` started for ``gateway`` (empty before)."""
    return _watchers.get(gateway, [])


def start_watchers(gateway: Gateway) -> list[asyncio.Task[None]]:
    """One polling task per ``x12`` channel with a drop folder; the Gateway cancels them."""
    watchers = [
        DropFolderWatcher(gateway, ch, poll_interval=gateway.settings.poll_interval)
        for ch in gateway.config.channels.values()
        if ch.format == "x12" and ch.drop_folder is not None
    ]
    _watchers[gateway] = watchers
    return [
        asyncio.create_task(w.run(), name=f"crossdock-drop-folder-{w.channel.name}")
        for w in watchers
    ]
