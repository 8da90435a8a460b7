"""Token signing keys: Ed25519 (joserfc), rotated by age, published as a JWKS document.

The keys live in ``<data_dir>/signing-keys.json`` (mode 0600): a list of private JWKs with
``created_at`` and, for keys that no longer sign, ``retired_at``. The newest key signs; a retired
key still verifies until every token it signed has expired (``retired_at + token_lifetime +
leeway``), then it is dropped from the file and from the JWKS. Writes take an exclusive lock on
``signing-keys.lock`` and replace the file atomically, so several gateway processes and the CLI
can share one data folder; a process that meets an unknown ``kid`` re-reads the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
from joserfc.jwk import OKPKey

ALGORITHM = "Ed25519"  # joserfc's name for EdDSA over Ed25519 (RFC 8037 / RFC 9864)
FILENAME = "signing-keys.json"


class StoredKey(msgspec.Struct, frozen=True, kw_only=True):
    """One key as stored: its private JWK and its life times."""

    kid: str
    jwk: dict[str, Any]
    created_at: float
    retired_at: float | None = None


class _KeyFile(msgspec.Struct, kw_only=True):
    keys: list[StoredKey] = msgspec.field(default_factory=list)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _write_private(path: Path, data: bytes) -> None:
    """Write a 0600 file atomically (temp file, fsync, rename, fsync the folder)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _new_key(now: float) -> StoredKey:
    key = OKPKey.generate_key("Ed25519", private=True)
    kid = key.thumbprint()  # RFC 7638: stable, unique, and says nothing about the key's owner
    jwk = key.as_dict(private=True)
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return StoredKey(kid=kid, jwk=jwk, created_at=now)


class KeyRing:
    """The signing keys of one data folder, loaded in memory.

    File I/O is blocking: call :meth:`load`, :meth:`reload` and :meth:`rotate_if_due` through
    ``asyncio.to_thread`` from async code.
    """

    def __init__(self, data_dir: str | Path, *, rotate_after: float, grace: float) -> None:
        self.path = Path(data_dir) / FILENAME
        self.rotate_after = rotate_after
        self.grace = grace
        """Seconds a retired key keeps verifying (token lifetime + leeway)."""
        self._keys: list[StoredKey] = []
        self._public: dict[str, OKPKey] = {}
        self._signing: OKPKey | None = None

    # -- file ---------------------------------------------------------------------------------
    def _read(self) -> list[StoredKey]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        return msgspec.json.decode(raw, type=_KeyFile).keys

    def _install(self, keys: list[StoredKey]) -> None:
        self._keys = keys
        self._public = {k.kid: OKPKey.import_key(_public_jwk(k.jwk)) for k in keys}
        active = [k for k in keys if k.retired_at is None]
        self._signing = OKPKey.import_key(active[-1].jwk) if active else None

    def load(self, now: float | None = None) -> None:
        """Read the file, rotating (or creating the first key) if due."""
        self.rotate_if_due(now)

    def rotate_if_due(self, now: float | None = None, *, force: bool = False) -> bool:
        """Make a new signing key if none signs, the current one is old, or ``force``.

        Keys past their grace are dropped. Returns whether a key was made. Safe across
        processes (an exclusive file lock around read-modify-write).
        """
        now = time.time() if now is None else now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path.with_name("signing-keys.lock")):
            keys = self._read()
            kept = [k for k in keys if k.retired_at is None or k.retired_at + self.grace > now]
            active = [k for k in kept if k.retired_at is None]
            due = force or not active or active[-1].created_at + self.rotate_after <= now
            if due:
                kept = [
                    msgspec.structs.replace(k, retired_at=now) if k.retired_at is None else k
                    for k in kept
                ]
                kept.append(_new_key(now))
            if due or kept != keys:
                _write_private(self.path, msgspec.json.encode(_KeyFile(keys=kept)))
        self._install(kept)
        return due

    def reload(self) -> None:
        """Re-read the file without rotating (another process may have rotated)."""
        self._install(self._read())

    # -- use ----------------------------------------------------------------------------------
    @property
    def signing_key(self) -> OKPKey:
        """The key new tokens are signed with."""
        if self._signing is None:
            raise RuntimeError("no signing key: call KeyRing.load() first")
        return self._signing

    def verification_key(self, kid: str) -> OKPKey | None:
        """The public key for ``kid`` if it may still verify tokens."""
        return self._public.get(kid)

    def jwks(self) -> dict[str, Any]:
        """The JWKS document (RFC 7517): public keys only, newest first."""
        return {"keys": [_public_jwk(k.jwk) for k in reversed(self._keys)]}


def _public_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in jwk.items() if k in {"kty", "crv", "x", "kid", "alg", "use"}}
