"""``crossdock partners add|rotate-secret|set-keys|revoke|list``: partner API clients.

Registered on the main group in ``gateway/cli.py`` (``main.add_command(partners)``). The
commands open ``<data_dir>/credentials.sqlite3`` directly, so they work whether or not the
server runs; a running server sees a revocation within its status cache time (5 s by default).
A secret is printed once, by ``add`` and ``rotate-secret``; ``list`` never shows secrets or
hashes. ``set-keys`` (or ``add --jwks``) registers a client's public keys for
``private_key_jwt``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec

from gateway.auth import Client, CredentialError, CredentialStore, IssuedSecret
from gateway.auth.jwks import check_jwks
from gateway.settings import SettingsError, load_settings

T = TypeVar("T")

_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="The gateway's data folder (also CROSSDOCK_DATA_DIR).",
)


def _store(ctx: click.Context, data_dir: str | None) -> CredentialStore:
    settings_file = (ctx.find_root().obj or {}).get("settings_file")
    try:
        settings = load_settings(settings_file, data_dir=data_dir)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    return CredentialStore.in_data_dir(settings.data_dir)


def _run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except CredentialError as exc:
        raise click.ClickException(str(exc)) from exc


def _iso(ts: float | None) -> str:
    return "" if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _show_secret(issued: IssuedSecret, verb: str) -> None:
    client = issued.client
    click.echo(f"{verb} client for partner {client.partner} (scopes: {' '.join(client.scopes)})")
    click.echo(f"client_id:     {client.client_id}")
    click.echo(f"client_secret: {issued.secret}")
    click.echo("The secret is shown only now; store it in the partner's secret manager.", err=True)


@click.group("partners")
def partners() -> None:
    """Manage partner API clients (OAuth 2.0 client credentials)."""


@partners.command("add")
@click.argument("partner")
@click.option(
    "--scopes",
    required=True,
    help="Comma- or space-separated scopes, e.g. orders:write,ops:read.",
)
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(dir_okay=False, exists=True),
    help="A JSON Web Key Set of the client's PUBLIC keys, for private_key_jwt.",
)
@_data_dir_option
@click.pass_context
def add(
    ctx: click.Context, partner: str, scopes: str, jwks_file: str | None, data_dir: str | None
) -> None:
    """Create a client for PARTNER and print its client_id and secret (once)."""
    store = _store(ctx, data_dir)
    jwks = _read_jwks(jwks_file) if jwks_file else None
    if jwks is not None:  # refuse a bad key set before the client exists
        _check(jwks, jwks_file or "")
    issued = _run(store.add(partner, scopes))
    _show_secret(issued, "new")
    if jwks is not None:
        _run(store.set_jwks(issued.client.client_id, jwks))
        click.echo(f"keys: {len(jwks['keys'])} public key(s) for private_key_jwt")


@partners.command("set-keys")
@click.argument("client_id")
@click.argument("jwks_file", type=click.Path(dir_okay=False, exists=True))
@_data_dir_option
@click.pass_context
def set_keys(ctx: click.Context, client_id: str, jwks_file: str, data_dir: str | None) -> None:
    """Register (or replace) CLIENT_ID's public keys for private_key_jwt, from a JWKS file."""
    store = _store(ctx, data_dir)
    jwks = _read_jwks(jwks_file)
    client = _run(store.set_jwks(client_id, jwks))
    click.echo(
        f"set {len(jwks['keys'])} public key(s) for {client.client_id} (partner "
        f"{client.partner}); it may now authenticate with private_key_jwt"
    )


def _read_jwks(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{path}: not a readable JSON file ({exc})") from exc


def _check(jwks: Any, path: str) -> None:
    try:
        check_jwks(jwks)
    except ValueError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


@partners.command("rotate-secret")
@click.argument("client_id")
@_data_dir_option
@click.pass_context
def rotate_secret(ctx: click.Context, client_id: str, data_dir: str | None) -> None:
    """Give CLIENT_ID a new secret (printed once); its earlier tokens stop working."""
    store = _store(ctx, data_dir)
    _show_secret(_run(store.rotate(client_id)), "rotated")


@partners.command("revoke")
@click.argument("client_id")
@_data_dir_option
@click.pass_context
def revoke(ctx: click.Context, client_id: str, data_dir: str | None) -> None:
    """Revoke CLIENT_ID for good: no new tokens, and its tokens stop working."""
    store = _store(ctx, data_dir)
    client = _run(store.revoke(client_id))
    click.echo(
        f"revoked {client.client_id} (partner {client.partner}) at {_iso(client.revoked_at)}"
    )


@partners.command("list")
@click.option("--partner", help="Only this partner's clients.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_data_dir_option
@click.pass_context
def list_clients(
    ctx: click.Context, partner: str | None, as_json: bool, data_dir: str | None
) -> None:
    """List clients (never their secrets)."""
    store = _store(ctx, data_dir)
    clients: list[Client] = _run(store.list_clients(partner))
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(clients), indent=2))
        return
    from rich.console import Console
    from rich.table import Column, Table

    table = Table(
        Column("client_id", no_wrap=True),
        "partner",
        "scopes",
        "status",
        Column("created (UTC)", no_wrap=True),
        Column("secret set (UTC)", no_wrap=True),
        title=f"{len(clients)} client(s)",
    )
    for c in clients:
        table.add_row(
            c.client_id,
            c.partner,
            " ".join(c.scopes),
            c.status,
            _iso(c.created_at),
            _iso(c.rotated_at),
        )
    Console().print(table)
