"""The credentials store: secrets hashed with scrypt, shown once, checked in constant time."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from gateway.auth import CredentialError, CredentialStore
from gateway.auth._hashing import hash_secret, verify_secret
from gateway.auth.credentials import parse_scopes


async def test_add_authenticate_and_secret_only_hashed(tmp_path: Path) -> None:
    store = CredentialStore.in_data_dir(tmp_path)
    issued = await store.add("acme", "orders:write,ops:read")
    assert issued.client.scopes == ("ops:read", "orders:write")
    assert issued.client.status == "active"
    assert issued.secret.startswith("cds_")
    assert len(issued.secret) > 40
    assert "***" in repr(issued)
    assert issued.secret not in repr(issued)

    found = await store.authenticate(issued.client.client_id, issued.secret)
    assert found == issued.client
    assert await store.authenticate(issued.client.client_id, issued.secret + "x") is None
    assert await store.authenticate("cdc_nobody", issued.secret) is None

    path = tmp_path / "credentials.sqlite3"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert issued.secret.encode() not in raw
    with sqlite3.connect(path) as conn:
        (stored,) = conn.execute("SELECT secret_hash FROM clients").fetchone()
    assert stored.startswith("scrypt$16384$8$1$")


async def test_rotate_and_revoke(tmp_path: Path) -> None:
    store = CredentialStore.in_data_dir(tmp_path)
    first = await store.add("acme", ["orders:write"])
    rotated = await store.rotate(first.client.client_id)
    assert rotated.secret != first.secret
    assert rotated.client.rotated_at >= first.client.rotated_at
    assert await store.authenticate(first.client.client_id, first.secret) is None
    assert await store.authenticate(first.client.client_id, rotated.secret) is not None

    revoked = await store.revoke(first.client.client_id)
    assert revoked.status == "revoked"
    assert revoked.revoked_at is not None
    assert await store.authenticate(first.client.client_id, rotated.secret) is None
    with pytest.raises(CredentialError, match="revoked"):
        await store.rotate(first.client.client_id)
    with pytest.raises(CredentialError, match="no client"):
        await store.revoke("cdc_nobody")

    other = await store.add("shop", "returns:read")
    assert [c.client_id for c in await store.list_clients()] == [
        first.client.client_id,
        other.client.client_id,
    ]
    assert [c.partner for c in await store.list_clients("shop")] == ["shop"]


async def test_survives_reopen(tmp_path: Path) -> None:
    issued = await CredentialStore.in_data_dir(tmp_path).add("acme", "ops:read")
    again = CredentialStore.in_data_dir(tmp_path)
    assert await again.authenticate(issued.client.client_id, issued.secret) is not None


@pytest.mark.parametrize(
    ("partner", "scopes", "match"),
    [
        ("acme", "", "at least one scope"),
        ("acme", 'orders:"write"', "not a valid"),
        ("acme corp", "ops:read", "partner"),
        ("", "ops:read", "partner"),
    ],
)
async def test_add_refuses_bad_input(tmp_path: Path, partner: str, scopes: str, match: str) -> None:
    with pytest.raises(CredentialError, match=match):
        await CredentialStore.in_data_dir(tmp_path).add(partner, scopes)


def test_parse_scopes() -> None:
    assert parse_scopes("b a,a  c") == ("a", "b", "c")
    assert parse_scopes(["x:y"]) == ("x:y",)


def test_hash_format_and_malformed_hashes() -> None:
    encoded = hash_secret("s3cret")
    assert encoded != hash_secret("s3cret")  # per-secret salt
    assert verify_secret("s3cret", encoded)
    assert not verify_secret("S3cret", encoded)
    for bad in ["", "plain", "bcrypt$1$2$3$a$b", "scrypt$x$8$1$a$b", encoded + "$extra"]:
        assert not verify_secret("s3cret", bad)
