"""Partner API clients and their hashed secrets, in ``<data_dir>/credentials.sqlite3``.

A separate SQLite file (not a table in the journal) because the journal may be PostgreSQL while
credentials stay local, and because the ``crossdock partners`` commands must work without a
journal. Every call opens its own connection in a worker thread (``asyncio.to_thread``): the
event loop never blocks on SQLite, and the CLI and a running server may share the file (WAL,
``synchronous=FULL`` so an added or revoked client survives a power cut).

A secret is returned once, by :meth:`CredentialStore.add` and :meth:`CredentialStore.rotate`;
only its scrypt hash is stored, and nothing here logs or prints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import msgspec

from gateway.auth._hashing import dummy_hash, hash_secret, verify_secret
from gateway.auth.jwks import check_jwks

Status = Literal["active", "revoked"]
FILENAME = "credentials.sqlite3"
# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
_PARTNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    client_id   TEXT PRIMARY KEY,
    partner     TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    secret_hash TEXT NOT NULL,
    created_at  REAL NOT NULL,
    rotated_at  REAL NOT NULL,
    revoked_at  REAL
);
-- private_key_jwt: the client's public keys, and the assertion ids it has used (until exp)
CREATE TABLE IF NOT EXISTS client_jwks (
    client_id TEXT PRIMARY KEY REFERENCES clients (client_id),
    jwks      TEXT NOT NULL,
    set_at    REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS client_assertions (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX IF NOT EXISTS client_assertions_expiry ON client_assertions (expires_at);
"""


class CredentialError(ValueError):
    """A credentials command could not be done; the message says why."""


class Client(msgspec.Struct, frozen=True, kw_only=True):
    """A partner's API client as operators see it (never with its secret or hash)."""

    client_id: str
    partner: str
    scopes: tuple[str, ...]
    status: Status
    created_at: float
    rotated_at: float
    """When the current secret was set; tokens issued before it no longer verify."""
    revoked_at: float | None = None


class IssuedSecret(msgspec.Struct, frozen=True, kw_only=True):
    """A client and its new secret: show the secret once, then drop it."""

    client: Client
    secret: str

    def __repr__(self) -> str:
        return f"IssuedSecret(client={self.client!r}, secret='***')"


def parse_scopes(value: str | Iterable[str]) -> tuple[str, ...]:
    """Split ``"a b"`` or ``"a,b"`` (or take a list), check RFC 6749 syntax, sort, dedupe."""
    items = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value)
    scopes = sorted({s for s in items if s})
    for scope in scopes:
        if not _SCOPE.match(scope):
            raise CredentialError(f"scope {scope!r} is not a valid RFC 6749 scope token")
    return tuple(scopes)


def _row(row: sqlite3.Row) -> Client:
    return Client(
        client_id=row["client_id"],
        partner=row["partner"],
        scopes=tuple(row["scopes"].split()),
        status=row["status"],
        created_at=row["created_at"],
        rotated_at=row["rotated_at"],
        revoked_at=row["revoked_at"],
    )


class CredentialStore:
    """Partner API clients in one SQLite file; every method runs its SQL off the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> CredentialStore:
        """The store at ``<data_dir>/credentials.sqlite3``."""
        return cls(Path(data_dir) / FILENAME)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(_SCHEMA)
        return conn

    # -- blocking parts, each run in a worker thread ----------------------------------------
    def _add(self, partner: str, scopes: tuple[str, ...]) -> IssuedSecret:
        client_id = "cdc_" + secrets.token_urlsafe(12)
        secret = "cds_" + secrets.token_urlsafe(32)  # a prefix secret scanners can find
        now = time.time()
        with contextlib.closing(self._connect()) as conn:
            conn.execute(
                "INSERT INTO clients VALUES (?, ?, ?, 'active', ?, ?, ?, NULL)",
                (client_id, partner, " ".join(scopes), hash_secret(secret), now, now),
            )
        client = Client(
            client_id=client_id,
            partner=partner,
            scopes=scopes,
            status="active",
            created_at=now,
            rotated_at=now,
        )
        return IssuedSecret(client=client, secret=secret)

    def _get(self, client_id: str) -> Client | None:
        with contextlib.closing(self._connect()) as conn:
            row = conn.execute("SELECT * FROM clients WHERE client_id = ?", (client_id,)).fetchone()
        return None if row is None else _row(row)

    def _rotate(self, client_id: str) -> IssuedSecret:
        secret = "cds_" + secrets.token_urlsafe(32)
        digest = hash_secret(secret)
        with contextlib.closing(self._connect()) as conn:
            updated = conn.execute(
                "UPDATE clients SET secret_hash = ?, rotated_at = ? "
                "WHERE client_id = ? AND status = 'active'",
                (digest, time.time(), client_id),
            ).rowcount
        client = self._get(client_id)
        if client is None:
            raise CredentialError(f"no client with id {client_id!r}")
        if not updated:
            raise CredentialError(f"client {client_id!r} is revoked; add a new client instead")
        return IssuedSecret(client=client, secret=secret)

    def _revoke(self, client_id: str) -> Client:
        with contextlib.closing(self._connect()) as conn:
            conn.execute(
                "UPDATE clients SET status = 'revoked', revoked_at = ? "
                "WHERE client_id = ? AND status = 'active'",
                (time.time(), client_id),
            )
        client = self._get(client_id)
        if client is None:
            raise CredentialError(f"no client with id {client_id!r}")
        return client

    def _list(self, partner: str | None) -> list[Client]:
        sql, args = "SELECT * FROM clients", []
        if partner is not None:
            sql, args = sql + " WHERE partner = ?", [partner]
        with contextlib.closing(self._connect()) as conn:
            rows = conn.execute(sql + " ORDER BY created_at, client_id", args).fetchall()
        return [_row(row) for row in rows]

    def _authenticate(self, client_id: str, secret: str) -> Client | None:
        with contextlib.closing(self._connect()) as conn:
            row = conn.execute("SELECT * FROM clients WHERE client_id = ?", (client_id,)).fetchone()
        if row is None:
            verify_secret(secret, dummy_hash())  # same cost as a known client
            return None
        if not verify_secret(secret, row["secret_hash"]) or row["status"] != "active":
            return None
        return _row(row)

    def _set_jwks(self, client_id: str, jwks: dict[str, object]) -> Client:
        client = self._get(client_id)
        if client is None:
            raise CredentialError(f"no client with id {client_id!r}")
        if client.status != "active":
            raise CredentialError(f"client {client_id!r} is revoked; add a new client instead")
        with contextlib.closing(self._connect()) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO client_jwks VALUES (?, ?, ?)",
                (client_id, json.dumps(jwks, separators=(",", ":")), time.time()),
            )
        return client

    def _get_jwks(self, client_id: str) -> dict[str, Any] | None:
        with contextlib.closing(self._connect()) as conn:
            row = conn.execute(
                "SELECT jwks FROM client_jwks WHERE client_id = ?", (client_id,)
            ).fetchone()
        return None if row is None else dict(json.loads(row["jwks"]))

    def _use_assertion(self, client_id: str, jti: str, expires_at: float, now: float) -> bool:
        with contextlib.closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM client_assertions WHERE expires_at < ?", (now,))
            fresh = conn.execute(
                "INSERT OR IGNORE INTO client_assertions VALUES (?, ?, ?)",
                (client_id, jti, expires_at),
            ).rowcount
            conn.execute("COMMIT")
        return fresh == 1

    # -- the async API -----------------------------------------------------------------------
    async def add(self, partner: str, scopes: str | Iterable[str]) -> IssuedSecret:
        """Create an active client for ``partner``; the secret is returned only here."""
        if not _PARTNER.match(partner):
            raise CredentialError(
                f"partner {partner!r}: letters, digits, '_', '.', '-' (max 64), please"
            )
        parsed = parse_scopes(scopes)
        if not parsed:
            raise CredentialError("a client needs at least one scope")
        return await asyncio.to_thread(self._add, partner, parsed)

    async def get(self, client_id: str) -> Client | None:
        """One client, or None."""
        return await asyncio.to_thread(self._get, client_id)

    async def rotate(self, client_id: str) -> IssuedSecret:
        """Replace an active client's secret; tokens issued before now stop verifying."""
        return await asyncio.to_thread(self._rotate, client_id)

    async def revoke(self, client_id: str) -> Client:
        """Revoke a client for good: no new tokens, and its tokens stop verifying."""
        return await asyncio.to_thread(self._revoke, client_id)

    async def list_clients(self, partner: str | None = None) -> list[Client]:
        """Every client (or one partner's), oldest first."""
        return await asyncio.to_thread(self._list, partner)

    async def set_jwks(self, client_id: str, jwks: Any) -> Client:
        """Register an active client's public keys for ``private_key_jwt`` (replacing any).

        ``jwks`` is checked first (:func:`gateway.auth.jwks.check_jwks`): public
        asymmetric keys only. A client with keys may still use its secret; rotate the secret
        and keep it unused, or revoke and re-add, to have keys only.
        """
        try:
            checked = check_jwks(jwks)
        except ValueError as exc:
            raise CredentialError(f"client {client_id!r}: {exc}") from exc
        return await asyncio.to_thread(self._set_jwks, client_id, checked)

    async def get_jwks(self, client_id: str) -> dict[str, Any] | None:
        """The client's registered public keys, or None."""
        return await asyncio.to_thread(self._get_jwks, client_id)

    async def use_assertion(self, client_id: str, jti: str, expires_at: float, now: float) -> bool:
        """Remember an assertion id until it expires; False if the client used it already."""
        return await asyncio.to_thread(self._use_assertion, client_id, jti, expires_at, now)

    async def authenticate(self, client_id: str, secret: str) -> Client | None:
        """The active client whose id and secret match, else None (same time either way)."""
        return await asyncio.to_thread(self._authenticate, client_id, secret)
