"""OAuth 2.0 end to end: a real gateway on 127.0.0.1, tokens by every client auth method
(Basic, form secret, private_key_jwt), a protected route, revocation, and no secret or token in
the logs."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from litestar import Litestar, Request, post

from gateway.api.auth import jwks, principal_of, require_scopes, token
from gateway.auth import AuthConfig, AuthService, CredentialStore
from gateway.logs import configure_logging
from gateway.runtime import Gateway
from gateway.serve import uvicorn_config
from gateway.settings import load_settings
from tests.support import eventually, write_config


@post("/test/orders", guards=[require_scopes("orders:write")], status_code=201)
async def demo_orders(request: Request[Any, Any, Any]) -> dict[str, str]:
    principal = principal_of(request)
    return {"partner": principal.partner, "client_id": principal.client_id}


@contextlib.asynccontextmanager
async def auth_gateway(root: Path, service: AuthService | None = None) -> AsyncIterator[str]:
    """A gateway on an ephemeral loopback port, with the auth routes (if the app factory does
    not register them yet) and a demo route behind ``require_scopes("orders:write")``."""
    settings = load_settings(
        environ={},
        config_dir=str(root / "config"),
        data_dir=str(root / "data"),
        port=0,
        workers_enabled=False,
    )
    config = uvicorn_config(Gateway(settings))
    app = config.app
    assert isinstance(app, Litestar)
    paths = {route.path for route in app.routes}
    for handler, path in [(token, "/oauth2/token"), (jwks, "/.well-known/jwks.json")]:
        if path not in paths:
            app.register(handler)
    app.register(demo_orders)
    if service is not None:
        await service.open()
        app.state.auth = service
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[assignment,method-assign]
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), timeout=10)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_both_client_auth_methods_and_no_secrets_in_logs(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    issued = await CredentialStore.in_data_dir(tmp_path / "data").add("acme", "orders:write")
    cid, secret = issued.client.client_id, issued.secret
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    tokens: list[str] = []
    try:
        async with auth_gateway(tmp_path) as base, httpx.AsyncClient(base_url=base) as client:
            grant = {"grant_type": "client_credentials"}
            basic = await client.post("/oauth2/token", data=grant, auth=(cid, secret))
            posted = await client.post(
                "/oauth2/token", data={**grant, "client_id": cid, "client_secret": secret}
            )
            for r in (basic, posted):
                assert r.status_code == 200, r.text
                body = r.json()
                assert body["token_type"] == "Bearer"
                assert body["expires_in"] == 300
                assert body["scope"] == "orders:write"
                tokens.append(body["access_token"])

            keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
            assert [k["kty"] for k in keys] == ["OKP"]

            for access in tokens:
                r = await client.post("/test/orders", headers={"Authorization": f"Bearer {access}"})
                assert r.status_code == 201, r.text
                assert r.json() == {"partner": "acme", "client_id": cid}

            wrong = await client.post("/oauth2/token", data=grant, auth=(cid, secret + "x"))
            assert wrong.status_code == 401
            assert wrong.json()["error"] == "invalid_client"
            anonymous = await client.post("/test/orders")
            assert anonymous.status_code == 401
            assert anonymous.headers["content-type"].startswith("application/problem+json")
    finally:
        logging.getLogger("crossdock").handlers.clear()
        logging.getLogger("crossdock").propagate = True
        logging.getLogger("uvicorn.error").handlers.clear()
        logging.getLogger("uvicorn.error").propagate = True
    output = stream.getvalue()
    assert secret not in output
    for access in tokens:
        assert access not in output
        assert access.split(".")[2] not in output  # not even the signature
    lines = [json.loads(line) for line in output.splitlines()]
    issued_lines = [x for x in lines if x["msg"] == "token issued"]
    assert len(issued_lines) == 2
    assert issued_lines[0]["client_id"] == cid
    refused = [x for x in lines if x["msg"] == "token refused"]
    assert refused
    assert refused[0]["client_id"] == cid


async def test_revoked_client_tokens_stop_working(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    data = tmp_path / "data"
    store = CredentialStore.in_data_dir(data)
    issued = await store.add("acme", "orders:write")
    other = await store.add("shop", "orders:write returns:read")
    service = AuthService(data, AuthConfig(status_cache_seconds=0.2))
    async with auth_gateway(tmp_path, service) as base, httpx.AsyncClient(base_url=base) as client:

        async def bearer(client_id: str, secret: str) -> dict[str, str]:
            r = await client.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials", "scope": "orders:write"},
                auth=(client_id, secret),
            )
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        acme = await bearer(issued.client.client_id, issued.secret)
        shop = await bearer(other.client.client_id, other.secret)
        assert (await client.post("/test/orders", headers=acme)).status_code == 201
        await store.revoke(issued.client.client_id)  # as `crossdock partners revoke` does

        async def refused() -> bool:
            r = await client.post("/test/orders", headers=acme)
            return r.status_code == 401 and 'error="invalid_token"' in r.headers.get(
                "www-authenticate", ""
            )

        await eventually(refused, timeout=5)
        r = await client.post("/test/orders", headers=shop)
        assert r.status_code == 201
        assert r.json()["partner"] == "shop"
        again = await client.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(issued.client.client_id, issued.secret),
        )
        assert again.status_code == 401


async def test_private_key_jwt_over_a_real_socket(tmp_path: Path) -> None:
    """A client with keys only in its JWKS gets a token and calls a guarded route; the same
    assertion twice is refused; a rotation of its keys (set-keys) retires the old key at once."""
    import time
    import uuid

    from joserfc import jwt
    from joserfc.jwk import ECKey

    write_config(tmp_path, {})
    store = CredentialStore.in_data_dir(tmp_path / "data")
    issued = await store.add("acme", "orders:write")
    cid = issued.client.client_id
    old, new = (ECKey.generate_key("P-256", parameters={"kid": k}) for k in ("old", "new"))
    await store.set_jwks(cid, {"keys": [old.as_dict(private=False)]})
    service = AuthService(tmp_path / "data", AuthConfig(issuer="https://gw.test"))

    def form(key: ECKey) -> dict[str, str]:
        now = int(time.time())
        body = {"iss": cid, "sub": cid, "aud": "https://gw.test/oauth2/token",
                "exp": now + 60, "jti": uuid.uuid4().hex}  # fmt: skip
        assertion = jwt.encode({"alg": "ES256", "kid": key.kid}, body, key, algorithms=["ES256"])
        return {
            "grant_type": "client_credentials",
            "client_id": cid,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }

    async with auth_gateway(tmp_path, service) as base, httpx.AsyncClient(base_url=base) as client:
        once = form(old)
        granted = await client.post("/oauth2/token", data=once)
        assert granted.status_code == 200, granted.text
        bearer = {"Authorization": f"Bearer {granted.json()['access_token']}"}
        called = await client.post("/test/orders", headers=bearer)
        assert called.json() == {"partner": "acme", "client_id": cid}
        replayed = await client.post("/oauth2/token", data=once)
        assert replayed.status_code == 401
        assert replayed.json()["error"] == "invalid_client"
        await store.set_jwks(cid, {"keys": [new.as_dict(private=False)]})
        retired = await client.post("/oauth2/token", data=form(old))
        assert retired.status_code == 401
        assert (await client.post("/oauth2/token", data=form(new))).status_code == 200
