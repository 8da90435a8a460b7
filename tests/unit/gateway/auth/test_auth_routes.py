"""The HTTP shape of auth: token endpoint (RFC 6749), JWKS, and the bearer guard (RFC 6750)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, get
from litestar.testing import AsyncTestClient

from gateway.api.auth import PRINCIPAL, CurrentPrincipal, jwks, principal_of, require_scopes, token
from gateway.api.problems import EXCEPTION_HANDLERS
from gateway.auth import AuthService, IssuedSecret
from tests.unit.gateway.auth.auth_support import claims_for, sign


@get("/demo/orders", guards=[require_scopes("orders:write")])
async def orders(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {"partner": principal_of(request).partner}


@get("/demo/whoami", dependencies={"principal": PRINCIPAL})
async def whoami(principal: CurrentPrincipal) -> dict[str, Any]:
    return {"client_id": principal.client_id, "scopes": sorted(principal.scopes)}


@pytest.fixture
async def client(service: AuthService) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = Litestar(
        [token, jwks, orders, whoami],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        logging_config=None,
    )
    app.state.auth = service
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def _token(client: httpx.AsyncClient, issued: IssuedSecret, scope: str = "") -> str:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    r = await client.post("/oauth2/token", data=data, auth=(issued.client.client_id, issued.secret))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert r.headers["cache-control"] == "no-store"
    access: str = body["access_token"]
    return access


async def test_token_then_guarded_call(client: httpx.AsyncClient, acme: IssuedSecret) -> None:
    access = await _token(client, acme)
    r = await client.get("/demo/orders", headers={"Authorization": f"Bearer {access}"})
    assert r.status_code == 200, r.text
    assert r.json() == {"partner": "acme"}
    r = await client.get("/demo/whoami", headers={"Authorization": f"Bearer {access}"})
    assert r.json()["scopes"] == ["ops:read", "orders:write"]


async def test_token_errors(client: httpx.AsyncClient, acme: IssuedSecret) -> None:
    cid = acme.client.client_id
    wrong = await client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(cid, "nope")
    )
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": "invalid_client",
        "error_description": wrong.json()["error_description"],
    }
    assert wrong.headers["www-authenticate"].startswith("Basic realm=")
    assert wrong.headers["cache-control"] == "no-store"

    as_json = await client.post(
        "/oauth2/token", json={"grant_type": "client_credentials"}, auth=(cid, acme.secret)
    )
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"

    grant = await client.post("/oauth2/token", data={"grant_type": "x"}, auth=(cid, acme.secret))
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")

    scope = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "ops:replay"},
        auth=(cid, acme.secret),
    )
    assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")


async def test_jwks(client: httpx.AsyncClient, service: AuthService) -> None:
    r = await client.get("/.well-known/jwks.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/jwk-set+json")
    (key,) = r.json()["keys"]
    assert key["kid"] == service.keys.signing_key.kid
    assert "d" not in key


def _problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    return body


async def test_guard_refusals(
    client: httpx.AsyncClient, service: AuthService, acme: IssuedSecret
) -> None:
    missing = await client.get("/demo/orders")
    _problem(missing, 401, "missing_token")
    assert missing.headers["www-authenticate"] == 'Bearer realm="crossdock"'

    basic = await client.get("/demo/orders", headers={"Authorization": "Basic eDp5"})
    _problem(basic, 401, "invalid_token")

    expired = sign(service, claims_for(acme, time.time() - 3600))
    r = await client.get("/demo/orders", headers={"Authorization": f"Bearer {expired}"})
    _problem(r, 401, "invalid_token")
    assert r.headers["www-authenticate"].startswith(
        'Bearer realm="crossdock", error="invalid_token"'
    )

    ops_only = await _token(client, acme, scope="ops:read")
    r = await client.get("/demo/orders", headers={"Authorization": f"Bearer {ops_only}"})
    body = _problem(r, 403, "insufficient_scope")
    assert body["required_scopes"] == ["orders:write"]
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
    assert 'scope="orders:write"' in r.headers["www-authenticate"]

    who = await client.get("/demo/whoami", headers={"Authorization": "Bearer x.y.z"})
    _problem(who, 401, "invalid_token")


async def test_openapi_documents_the_auth_routes(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    paths = r.json()["paths"]
    responses = paths["/oauth2/token"]["post"]["responses"]
    assert {"200", "400", "401"} <= set(responses)
    assert "/.well-known/jwks.json" in paths


def test_config_from_settings_when_present() -> None:
    from types import SimpleNamespace

    from gateway.api.auth import _config
    from gateway.auth import AuthConfig

    assert _config(SimpleNamespace()) == AuthConfig()
    settings = SimpleNamespace(
        auth_issuer="https://gw.example", auth_audience="", auth_token_lifetime=120
    )
    config = _config(settings)
    assert (config.issuer, config.audience, config.token_lifetime) == (
        "https://gw.example",
        AuthConfig().audience,
        120,
    )


async def test_token_by_private_key_jwt_and_nothing_secret_logged(
    client: httpx.AsyncClient, service: AuthService, caplog: pytest.LogCaptureFixture
) -> None:
    """The form fields of RFC 7523 2.2 over HTTP; a replay is 401; logs never hold the JWT."""
    import uuid

    from joserfc import jwt
    from joserfc.jwk import OKPKey

    key = OKPKey.generate_key("Ed25519", parameters={"kid": "k1"})
    issued = await service.store.add("acme", "orders:write")
    cid = issued.client.client_id
    await service.store.set_jwks(cid, {"keys": [key.as_dict(private=False)]})
    now = int(time.time())
    body = {"iss": cid, "sub": cid, "aud": service.config.issuer + "/oauth2/token",
            "exp": now + 60, "jti": uuid.uuid4().hex}  # fmt: skip
    assertion = jwt.encode({"alg": "Ed25519", "kid": "k1"}, body, key, algorithms=["Ed25519"])
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    with caplog.at_level("DEBUG"):
        first = await client.post("/oauth2/token", data=form)
        again = await client.post("/oauth2/token", data=form)
    assert first.status_code == 200, first.text
    access = first.json()["access_token"]
    r = await client.get("/demo/orders", headers={"Authorization": f"Bearer {access}"})
    assert r.json() == {"partner": "acme"}
    assert again.status_code == 401
    assert again.json()["error"] == "invalid_client"
    logged = caplog.text + "".join(str(vars(rec)) for rec in caplog.records)
    assert assertion not in logged
    assert assertion.split(".")[2] not in logged  # not even its signature
    assert access not in logged
