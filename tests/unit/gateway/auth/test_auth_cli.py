"""``crossdock partners``: secrets printed once, never listed; revoke and rotate by client id."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner

from gateway.auth import CredentialStore
from gateway.cli_partners import partners


def _auth(store: CredentialStore, client_id: str, secret: str) -> object:
    return asyncio.run(store.authenticate(client_id, secret))


def _field(output: str, name: str) -> str:
    return next(line.split()[-1] for line in output.splitlines() if line.startswith(name))


def test_partners_lifecycle(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    added = runner.invoke(partners, ["add", "acme", "--scopes", "orders:write,ops:read", *data])
    assert added.exit_code == 0, added.output
    client_id = _field(added.output, "client_id:")
    secret = _field(added.output, "client_secret:")
    store = CredentialStore.in_data_dir(tmp_path)
    assert _auth(store, client_id, secret) is not None

    listed = runner.invoke(partners, ["list", "--json", *data])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)
    assert row["client_id"] == client_id
    assert row["scopes"] == ["ops:read", "orders:write"]
    assert secret not in listed.output
    assert "scrypt" not in listed.output
    table = runner.invoke(partners, ["list", *data], terminal_width=200)
    assert client_id in table.output
    assert secret not in table.output

    rotated = runner.invoke(partners, ["rotate-secret", client_id, *data])
    assert rotated.exit_code == 0, rotated.output
    new_secret = _field(rotated.output, "client_secret:")
    assert new_secret != secret
    assert _auth(store, client_id, secret) is None
    assert _auth(store, client_id, new_secret) is not None

    revoked = runner.invoke(partners, ["revoke", client_id, *data])
    assert revoked.exit_code == 0, revoked.output
    assert _auth(store, client_id, new_secret) is None
    listed = runner.invoke(partners, ["list", "--json", *data])
    assert json.loads(listed.output)[0]["status"] == "revoked"


def test_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    bad = runner.invoke(partners, ["add", "acme", "--scopes", "", *data])
    assert bad.exit_code == 1
    assert "at least one scope" in bad.output
    missing = runner.invoke(partners, ["revoke", "cdc_nobody", *data])
    assert missing.exit_code == 1
    assert "no client" in missing.output


def test_partners_keys_for_private_key_jwt(tmp_path: Path) -> None:
    from joserfc.jwk import OKPKey, RSAKey

    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    public = tmp_path / "jwks.json"
    key = OKPKey.generate_key("Ed25519", parameters={"kid": "k1"})
    public.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    added = runner.invoke(
        partners, ["add", "acme", "--scopes", "orders:write", "--jwks", str(public), *data]
    )
    assert added.exit_code == 0, added.output
    assert "1 public key(s)" in added.output
    client_id = _field(added.output, "client_id:")
    store = CredentialStore.in_data_dir(tmp_path)
    assert asyncio.run(store.get_jwks(client_id)) == {"keys": [key.as_dict(private=False)]}

    # a private key is refused before any client is made, and never echoed
    leaked = tmp_path / "private.json"
    private = RSAKey.generate_key(2048).as_dict(private=True)
    leaked.write_text(json.dumps({"keys": [private]}))
    refused = runner.invoke(
        partners, ["add", "acme", "--scopes", "orders:write", "--jwks", str(leaked), *data]
    )
    assert refused.exit_code != 0
    assert "private parameters" in refused.output
    assert str(private["d"]) not in refused.output
    assert len(asyncio.run(store.list_clients())) == 1

    replaced = runner.invoke(partners, ["set-keys", client_id, str(public), *data])
    assert replaced.exit_code == 0, replaced.output
    ghost = runner.invoke(partners, ["set-keys", "cdc_ghost", str(public), *data])
    assert ghost.exit_code != 0
    assert "no client" in ghost.output
