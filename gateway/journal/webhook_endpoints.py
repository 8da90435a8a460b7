"""Outbound webhook endpoints' health: enabled or disabled, and since when they keep failing.

Why durable: "this endpoint has failed every attempt for five days" spans restarts, and a
disabled endpoint must stay disabled in every gateway process until a human enables it again.
One row per subscription (``sql/40_webhook_endpoints.sql``); a subscription without a row has
never failed and reads as enabled.

A failure streak starts at the first failed attempt after a success (``first_failure_at``) and
any success ends it. A failure that finds the streak at least ``disable_after`` seconds old, or
a ``410 Gone``, disables the endpoint, and the audit entry is written in the same transaction,
so "disabled" and "who/why" can never disagree. Enabling clears the streak (audited too): the
endpoint gets a full ``disable_after`` again before it can be disabled for failing.

Every method is one job on the journal's writer (one transaction).
"""

from __future__ import annotations

import abc
import sqlite3
from collections.abc import Iterable
from typing import Any

import msgspec

from gateway.journal.base import Journal

SYSTEM = "system"
TARGET_PREFIX = "subscription:"  # audit targets read like the deliveries' destination
_json_encode = msgspec.json.Encoder().encode
_COLUMNS = (
    "subscription, enabled, disabled_at, reason, first_failure_at, last_failure_at,"
    " last_success_at, failures, updated_at"
)


class EndpointState(msgspec.Struct, frozen=True, kw_only=True):
    """Where one subscription's endpoint stands; ``reason`` says why it was disabled."""

    subscription: str
    enabled: bool = True
    disabled_at: float | None = None
    reason: str = ""
    first_failure_at: float | None = None
    last_failure_at: float | None = None
    last_success_at: float | None = None
    failures: int = 0
    updated_at: float | None = None


class FailureResult(msgspec.Struct, frozen=True, kw_only=True):
    """The endpoint after a failure; ``disabled_now`` when *this* failure disabled it."""

    state: EndpointState
    disabled_now: bool


class EndpointStore(abc.ABC):
    """Health of outbound webhook endpoints, keyed by subscription name."""

    @abc.abstractmethod
    async def get(self, subscription: str) -> EndpointState:
        """One endpoint's state (enabled and clean when it has no row)."""

    @abc.abstractmethod
    async def states(self, subscriptions: Iterable[str]) -> dict[str, EndpointState]:
        """Several endpoints' states, one entry per name asked for."""

    @abc.abstractmethod
    async def record_success(self, subscription: str, now: float) -> None:
        """An attempt was accepted: the failure streak (if any) is over."""

    @abc.abstractmethod
    async def record_failure(
        self, subscription: str, now: float, *, disable_after: float, code: str, gone: bool
    ) -> FailureResult:
        """Count a failed attempt; disable when gone or failing for ``disable_after`` seconds."""

    @abc.abstractmethod
    async def enable(self, subscription: str, actor: str, now: float) -> bool:
        """Enable a disabled endpoint and clear its streak; False if it was not disabled."""


def _state(row: tuple[Any, ...]) -> EndpointState:
    return EndpointState(
        subscription=row[0],
        enabled=bool(row[1]),
        disabled_at=row[2],
        reason=row[3],
        first_failure_at=row[4],
        last_failure_at=row[5],
        last_success_at=row[6],
        failures=row[7],
        updated_at=row[8],
    )


def _read(conn: sqlite3.Connection, subscription: str) -> EndpointState:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM webhook_endpoints WHERE subscription = ?",  # noqa: S608
        (subscription,),
    ).fetchone()
    return EndpointState(subscription=subscription) if row is None else _state(row)


def _audit(
    conn: sqlite3.Connection, *, now: float, actor: str, action: str, target: str, detail: Any
) -> None:
    conn.execute(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (now, actor, action, target, _json_encode(detail)),
    )


class SqliteEndpointStore(EndpointStore):
    """Rows in the journal's SQLite file (``sql/40_webhook_endpoints.sql``), jobs on its writer."""

    def __init__(self, journal: Journal) -> None:
        from gateway.journal.sqlite import SqliteJournal

        if not isinstance(journal, SqliteJournal):
            raise TypeError(f"{type(journal).__name__} has no SQLite writer to share")
        self._journal = journal

    async def get(self, subscription: str) -> EndpointState:
        """See :meth:`EndpointStore.get`."""
        return await self._journal.writer.run(lambda conn: _read(conn, subscription))

    async def states(self, subscriptions: Iterable[str]) -> dict[str, EndpointState]:
        """See :meth:`EndpointStore.states`."""
        names = list(subscriptions)
        return await self._journal.writer.run(lambda conn: {n: _read(conn, n) for n in names})

    async def record_success(self, subscription: str, now: float) -> None:
        """See :meth:`EndpointStore.record_success`."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO webhook_endpoints (subscription, last_success_at, updated_at)"
                " VALUES (?, ?, ?) ON CONFLICT (subscription) DO UPDATE SET"
                " first_failure_at = NULL, failures = 0,"
                " last_success_at = excluded.last_success_at, updated_at = excluded.updated_at",
                (subscription, now, now),
            )

        await self._journal.writer.run(job)

    async def record_failure(
        self, subscription: str, now: float, *, disable_after: float, code: str, gone: bool
    ) -> FailureResult:
        """See :meth:`EndpointStore.record_failure`; the disabling is audited as ``system``."""

        def job(conn: sqlite3.Connection) -> FailureResult:
            conn.execute(
                "INSERT INTO webhook_endpoints"
                " (subscription, first_failure_at, last_failure_at, failures, updated_at)"
                " VALUES (?, ?, ?, 1, ?) ON CONFLICT (subscription) DO UPDATE SET"
                " first_failure_at = COALESCE(first_failure_at, excluded.first_failure_at),"
                " last_failure_at = excluded.last_failure_at, failures = failures + 1,"
                " updated_at = excluded.updated_at",
                (subscription, now, now, now),
            )
            state = _read(conn, subscription)
            if not state.enabled:
                return FailureResult(state=state, disabled_now=False)
            since = state.first_failure_at if state.first_failure_at is not None else now
            if gone:
                reason = "endpoint_gone: the receiver answered 410 Gone"
            elif now - since >= disable_after:
                reason = (
                    f"failing: every attempt for {now - since:.0f}s failed (last: {code}); "
                    f"disable_after is {disable_after:g}s"
                )
            else:
                return FailureResult(state=state, disabled_now=False)
            conn.execute(
                "UPDATE webhook_endpoints SET enabled = 0, disabled_at = ?, reason = ?,"
                " updated_at = ? WHERE subscription = ?",
                (now, reason, now, subscription),
            )
            _audit(
                conn,
                now=now,
                actor=SYSTEM,
                action="disable_subscription",
                target=TARGET_PREFIX + subscription,
                detail={
                    "reason": reason,
                    "code": code,
                    "first_failure_at": since,
                    "failures": state.failures,
                },
            )
            return FailureResult(state=_read(conn, subscription), disabled_now=True)

        return await self._journal.writer.run(job)

    async def enable(self, subscription: str, actor: str, now: float) -> bool:
        """See :meth:`EndpointStore.enable`; audited with the actor's name."""

        def job(conn: sqlite3.Connection) -> bool:
            before = _read(conn, subscription)
            if before.enabled:
                return False
            conn.execute(
                "UPDATE webhook_endpoints SET enabled = 1, disabled_at = NULL, reason = '',"
                " first_failure_at = NULL, failures = 0, updated_at = ? WHERE subscription = ?",
                (now, subscription),
            )
            _audit(
                conn,
                now=now,
                actor=actor,
                action="enable_subscription",
                target=TARGET_PREFIX + subscription,
                detail={"was_disabled_at": before.disabled_at, "reason": before.reason},
            )
            return True

        return await self._journal.writer.run(job)


def open_endpoint_store(journal: Journal) -> EndpointStore:
    """The store that lives beside ``journal`` (the worker and the ops API call this)."""
    return SqliteEndpointStore(journal)
