"""Signing keys: 0600 on disk, rotation by age, old keys verify through their grace, JWKS."""

from __future__ import annotations

import stat
from pathlib import Path

from gateway.auth.keys import KeyRing


def _ring(path: Path) -> KeyRing:
    return KeyRing(path, rotate_after=1000, grace=330)


def test_first_key_is_private_and_jwks_is_public(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    ring.load(now=0)
    path = tmp_path / "signing-keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = ring.jwks()
    assert len(doc["keys"]) == 1
    (jwk,) = doc["keys"]
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert jwk["alg"] == "Ed25519"
    assert jwk["use"] == "sig"
    assert jwk["kid"] == ring.signing_key.kid
    assert "d" not in jwk


def test_rotation_keeps_old_key_until_its_tokens_expired(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    ring.load(now=0)
    old = ring.signing_key.kid
    assert not ring.rotate_if_due(now=999)
    assert ring.rotate_if_due(now=1000)
    new = ring.signing_key.kid
    assert new != old
    assert ring.verification_key(old) is not None  # still verifies tokens it signed
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new, old]

    # another process sharing the folder sees the same keys
    other = _ring(tmp_path)
    other.reload()
    assert other.signing_key.kid == new
    assert other.verification_key(old) is not None

    assert not ring.rotate_if_due(now=1000 + 331)  # past the grace: dropped
    assert ring.verification_key(old) is None
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new]


def test_forced_rotation(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    ring.load(now=0)
    first = ring.signing_key.kid
    assert ring.rotate_if_due(now=1, force=True)
    assert ring.signing_key.kid != first
