"""Operations on dead letters, shared by the HTTP API and the CLI so both behave the same.

Every action goes through the journal, which audits it with the actor's name in the same
transaction as the change. Bulk actions page through a filter and act one dead letter at a time,
reporting progress, so a replay of thousands can be watched and interrupted safely: what was
replayed is closed, what was not stays open.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import msgspec

from gateway.journal import DeadLetter, DeadLetterFilter, Journal

Action = Literal["redeliver", "reprocess", "discard"]


class ActionResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one operations action did to one dead letter."""

    dead_letter_id: str
    action: Action
    ok: bool
    reason: str = ""


class BulkResult(msgspec.Struct, kw_only=True):
    """Totals of a bulk action."""

    action: Action
    matched: int = 0
    done: int = 0
    skipped: int = 0
    results: list[ActionResult] = []


def _text(raw: bytes, limit: int = 65536) -> str:
    return raw[:limit].decode("utf-8", errors="replace")


class Ops:
    """Dead-letter listing, inspection and replay."""

    def __init__(self, journal: Journal, clock: Callable[[], float] = time.time) -> None:
        self.journal = journal
        self.clock = clock

    async def list(self, flt: DeadLetterFilter) -> list[DeadLetter]:
        """Dead letters matching the filter."""
        return await self.journal.dead_letters(flt)

    async def iterate(self, flt: DeadLetterFilter, page: int = 200) -> AsyncIterator[DeadLetter]:
        """Every dead letter matching the filter, paged (the filter's limit is ignored)."""
        after = flt.after_id
        while True:
            batch = await self.journal.dead_letters(
                msgspec.structs.replace(flt, limit=page, after_id=after)
            )
            for item in batch:
                yield item
            if len(batch) < page:
                return
            after = batch[-1].id

    async def inspect(self, dead_letter_id: str) -> dict[str, Any] | None:
        """Everything needed to understand one dead letter: payloads, history, attempts."""
        dl = await self.journal.get_dead_letter(dead_letter_id)
        if dl is None:
            return None
        message = await self.journal.get_message(dl.message_id)
        assert message is not None
        deliveries = await self.journal.deliveries(dl.message_id)
        attempts = {d.id: await self.journal.attempts(d.id) for d in deliveries}
        return {
            "dead_letter": msgspec.to_builtins(dl),
            "message": {
                "id": message.id,
                "partner": message.partner,
                "channel": message.channel,
                "document_type": message.document_type,
                "content_type": message.content_type,
                "received_at": message.received_at,
                "trace_id": message.trace_id,
                "state": message.state,
                "business_keys": message.business_keys,
                "raw": _text(message.raw),
                "raw_bytes": len(message.raw),
                "canonical": None if message.canonical is None else _text(message.canonical),
            },
            "events": msgspec.to_builtins(await self.journal.events(dl.message_id)),
            "deliveries": [
                {**msgspec.to_builtins(d), "attempts": msgspec.to_builtins(attempts[d.id])}
                for d in deliveries
            ],
        }

    async def act(
        self, dead_letter_id: str, action: Action, actor: str, reason: str = ""
    ) -> ActionResult:
        """Apply one action; ``ok`` is False when the dead letter is not open or not eligible."""
        now = self.clock()
        if action == "redeliver":
            ok = await self.journal.redeliver(dead_letter_id, actor, now)
            why = "" if ok else "not an open delivery dead letter (use reprocess)"
        elif action == "reprocess":
            ok = await self.journal.reprocess(dead_letter_id, actor, now)
            why = "" if ok else "not an open dead letter"
        else:
            if not reason:
                return ActionResult(
                    dead_letter_id=dead_letter_id,
                    action=action,
                    ok=False,
                    reason="a discard needs a reason",
                )
            ok = await self.journal.discard(dead_letter_id, actor, reason, now)
            why = "" if ok else "not an open dead letter"
        return ActionResult(dead_letter_id=dead_letter_id, action=action, ok=ok, reason=why)

    async def bulk(
        self,
        flt: DeadLetterFilter,
        action: Action,
        actor: str,
        reason: str = "",
        progress: Callable[[int, ActionResult], None] | None = None,
    ) -> BulkResult:
        """Act on every open dead letter matching ``flt``; ``progress`` is called after each."""
        # snapshot the ids first: acting closes dead letters and would shift the pages
        ids = [dl.id async for dl in self.iterate(msgspec.structs.replace(flt, state="open"))]
        result = BulkResult(action=action, matched=len(ids))
        for i, dl_id in enumerate(ids, 1):
            r = await self.act(dl_id, action, actor, reason)
            result.results.append(r)
            if r.ok:
                result.done += 1
            else:
                result.skipped += 1
            if progress is not None:
                progress(i, r)
        return result
