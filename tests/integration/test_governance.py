"""The governed partner API on a real gateway on 127.0.0.1: scopes, tenant isolation, rate
limits and their headers, the token endpoint's limits, oversize input, and no secrets in logs."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from base64 import b64encode
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.auth import CredentialStore
from gateway.logs import configure_logging
from gateway.runtime import Gateway
from tests.redis_server import RedisServer, require_redis
from tests.support import (
    OPS_SCOPES,
    PARTNER_SCOPES,
    auth_headers,
    order,
    post_json,
    running_gateway,
    write_config,
)

CHANNELS: list[dict[str, Any]] = [
    {"name": "json", "partner": "acme", "document_type": "order", "max_body_bytes": 4096},
    {"name": "shop", "partner": "shop", "document_type": "order"},
]
ENVELOPE = (
    b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
    b' xmlns:q="urn:quotes"><soap:Body><q:Quote><sku>A</sku></q:Quote></soap:Body></soap:Envelope>'
)
XML = {"content-type": "text/xml"}


def _setup(root: Path, api: dict[str, Any] | None = None) -> None:
    cfg = write_config(root, {}, channels=CHANNELS)
    soap = [
        {"name": "acme-soap", "partner": "acme"},  # auth: bearer, the default
        {"name": "legacy", "partner": "shop", "auth": "none"},
    ]
    (cfg / "soap.yaml").write_text(yaml.safe_dump(soap))
    if api is not None:
        (cfg / "api.yaml").write_text(yaml.safe_dump(api))


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[tuple[Gateway, str]]:
    _setup(tmp_path)
    async with running_gateway(tmp_path, workers_enabled=False) as running:
        yield running


def _without_instance(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k != "instance"}


# -- tenant isolation ---------------------------------------------------------------------------
async def test_another_partners_message_reads_exactly_like_a_missing_one(
    gw: tuple[Gateway, str],
) -> None:
    gateway, base = gw
    acme, shop = await auth_headers(gateway, "acme"), await auth_headers(gateway, "shop")
    ops = await auth_headers(gateway, "ops", OPS_SCOPES)
    async with httpx.AsyncClient(base_url=base) as client:
        client.headers.update(acme)
        mid = await post_json(client, "", order())
        own = await client.get(f"/v1/messages/{mid}")
        assert own.status_code == 200, own.text
        assert own.json()["partner"] == "acme"

        other = await client.get(f"/v1/messages/{mid}", headers=shop)
        missing = await client.get("/v1/messages/01NOSUCHMESSAGE00000000000", headers=shop)
        assert other.status_code == missing.status_code == 404
        assert other.json()["code"] == "unknown_message"
        assert _without_instance(other.json())["title"] == missing.json()["title"]
        assert other.json()["detail"] == f"no message with id {mid!r}"  # nothing about acme
        assert "acme" not in other.text

        seen_by_ops = await client.get(f"/v1/messages/{mid}", headers=ops)
        assert seen_by_ops.status_code == 200
        assert seen_by_ops.json()["id"] == mid


async def test_a_partner_cannot_send_on_another_partners_channel(gw: tuple[Gateway, str]) -> None:
    gateway, base = gw
    shop = await auth_headers(gateway, "shop")
    ops = await auth_headers(gateway, "ops", OPS_SCOPES + " messages:write")
    async with httpx.AsyncClient(base_url=base) as client:
        for headers in (shop, ops):  # ops scopes do not let a client send as a partner
            other = await client.post("/v1/inbound/json", json=order(), headers=headers)
            unknown = await client.post("/v1/inbound/nope", json=order(), headers=headers)
            assert other.status_code == unknown.status_code == 404, other.text
            assert other.json()["code"] == unknown.json()["code"] == "unknown_channel"
            assert "acme" not in other.text
        own = await client.post("/v1/inbound/shop", json={"anything": 1}, headers=shop)
        assert own.status_code == 202, own.text
    assert (await gateway.journal.stats()).messages_pending == 1


async def test_dry_run_of_another_partners_mappings_is_404(gw: tuple[Gateway, str]) -> None:
    gateway, base = gw
    shop = await auth_headers(gateway, "shop")
    async with httpx.AsyncClient(base_url=base, headers=shop) as client:
        r = await client.post("/v1/mappings/dry-run?partner=acme&type=order", json=order())
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "unknown_partner"


# -- scopes ---------------------------------------------------------------------------------------
GOVERNED = [
    ("POST", "/v1/inbound/json", "messages:write", {"json": order()}),
    ("GET", "/v1/messages/01X", "messages:read", {}),
    ("POST", "/v1/mappings/dry-run?partner=acme&type=order", "mappings:test", {"json": {}}),
    ("GET", "/v1/ops/dead-letters", "ops:read", {}),
    ("GET", "/v1/ops/dead-letters/dl_1", "ops:read", {}),
    ("GET", "/v1/ops/audit", "ops:read", {}),
    ("POST", "/v1/ops/dead-letters/dl_1/redeliver", "ops:replay", {}),
    ("POST", "/v1/ops/dead-letters/dl_1/reprocess", "ops:replay", {}),
    ("POST", "/v1/ops/dead-letters/dl_1/discard", "ops:replay", {"json": {"reason": "x"}}),
    ("POST", "/v1/ops/replay", "ops:replay", {"json": {"action": "discard", "reason": "x"}}),
]
EVERY_SCOPE = set(PARTNER_SCOPES.split()) | set(OPS_SCOPES.split())


@pytest.mark.parametrize(("method", "path", "scope", "kw"), GOVERNED)
async def test_each_governed_route_wants_its_scope_and_a_token(
    gw: tuple[Gateway, str], method: str, path: str, scope: str, kw: dict[str, Any]
) -> None:
    gateway, base = gw
    lacking = " ".join(sorted(EVERY_SCOPE - {scope}))
    headers = await auth_headers(gateway, "acme", lacking)
    async with httpx.AsyncClient(base_url=base) as client:
        r = await client.request(method, path, headers=headers, **kw)
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "insufficient_scope"
        assert scope in r.json()["required_scopes"]
        assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
        assert "ratelimit" not in r.headers  # refused before any quota was spent

        anonymous = await client.request(method, path, **kw)
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "missing_token"
        forged = await client.request(method, path, headers={"Authorization": "Bearer a.b.c"}, **kw)
        assert forged.status_code == 401
        assert forged.json()["code"] == "invalid_token"
    assert (await gateway.journal.stats()).messages_pending == 0


async def test_ops_actions_record_the_client_id(gw: tuple[Gateway, str]) -> None:
    gateway, base = gw
    ops = await auth_headers(gateway, "ops", OPS_SCOPES)
    async with httpx.AsyncClient(base_url=base, headers=ops) as client:
        r = await client.post(
            "/v1/ops/replay",
            json={"action": "discard", "reason": "none open"},
            headers={"X-Crossdock-Actor": "maria"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["matched"] == 0
        read_only = await auth_headers(gateway, "ops", "ops:read")
        denied = await client.post("/v1/ops/replay", json={"action": "discard"}, headers=read_only)
        assert denied.status_code == 403


# -- rate limits -----------------------------------------------------------------------------------
async def test_partner_plan_route_plan_headers_and_429(tmp_path: Path) -> None:
    _setup(
        tmp_path,
        {
            "rate_limits": {
                "default": {"rate": 0.01, "burst": 3, "name": "tiny"},
                "routes": {"messages": {"rate": 0.01, "burst": 1, "name": "status"}},
            }
        },
    )
    async with running_gateway(tmp_path, workers_enabled=False) as (gateway, base):
        acme, shop = await auth_headers(gateway, "acme"), await auth_headers(gateway, "shop")
        async with httpx.AsyncClient(base_url=base) as client:
            first = await client.post("/v1/inbound/json", json=order(), headers=acme)
            assert first.status_code == 202
            assert first.headers["ratelimit-policy"] == '"tiny";q=3;w=300'
            assert first.headers["ratelimit"].startswith('"tiny";r=2;t=')

            # the route plan is checked first; both policies are advertised
            status = await client.get(first.headers["location"], headers=acme)
            assert status.status_code == 200
            assert status.headers["ratelimit-policy"] == '"status";q=1;w=100, "tiny";q=3;w=300'
            again = await client.get(first.headers["location"], headers=acme)
            assert again.status_code == 429
            assert again.headers["content-type"].startswith("application/problem+json")
            problem = again.json()
            assert problem["code"] == "rate_limited"
            assert problem["violated-policies"] == ["status"]
            assert int(again.headers["retry-after"]) == problem["retry_after"] >= 1
            assert again.headers["ratelimit"] == f'"status";r=0;t={again.headers["retry-after"]}'

            # a 404 for another partner's message still spends (and reports) that partner's quota
            third = await client.post("/v1/inbound/json", json=order("PO-2"), headers=acme)
            assert third.status_code == 202
            refused = await client.post("/v1/inbound/json", json=order("PO-3"), headers=acme)
            assert refused.status_code == 429
            assert refused.json()["violated-policies"] == ["tiny"]

            # quotas are per partner: shop is untouched by acme's spending
            other = await client.post("/v1/inbound/shop", json={"x": 1}, headers=shop)
            assert other.status_code == 202
            assert other.headers["ratelimit"].startswith('"tiny";r=2;')
        assert (await gateway.journal.stats()).messages_pending == 3


async def test_the_redis_backend_shares_a_partners_quota_between_processes(
    tmp_path: Path,
) -> None:
    require_redis()
    _setup(tmp_path, {"rate_limits": {"default": {"rate": 0.01, "burst": 2, "name": "shared"}}})
    with RedisServer.start() as redis:
        shared = {"rate_limit_backend": "redis", "redis_url": redis.url}
        async with (
            running_gateway(tmp_path, workers_enabled=False, **shared) as (one, base_one),
            running_gateway(tmp_path, workers_enabled=False, **shared) as (_two, base_two),
            httpx.AsyncClient() as client,
        ):
            acme = await auth_headers(one, "acme")
            answers = []
            for base in (base_one, base_two, base_one, base_two):
                r = await client.post(f"{base}/v1/inbound/json", json=order(), headers=acme)
                answers.append(r.status_code)
            assert answers == [202, 202, 429, 429]  # 2 in all, whichever process is asked


async def test_signed_webhooks_and_legacy_soap_spend_their_partners_quota(tmp_path: Path) -> None:
    _setup(tmp_path, {"rate_limits": {"default": {"rate": 0.01, "burst": 1}}})
    async with (
        running_gateway(tmp_path, workers_enabled=False) as (_gateway, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        first = await client.post("/v1/inbound/soap/legacy", content=ENVELOPE, headers=XML)
        assert first.status_code == 200, first.text
        assert "ratelimit" in first.headers
        second = await client.post("/v1/inbound/soap/legacy", content=ENVELOPE, headers=XML)
        assert second.status_code == 429
        assert second.headers["content-type"].startswith("text/xml")
        assert b"Fault" in second.content
        assert int(second.headers["retry-after"]) >= 1


async def test_a_signed_webhook_spends_its_partners_quota_after_the_signature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(tmp_path, {"rate_limits": {"default": {"rate": 0.01, "burst": 1}}})
    monkeypatch.setenv("T_GOV_SHOP", "gov-shop-secret")
    source = {"name": "shop", "partner": "shop", "scheme": "shopify"}
    (tmp_path / "config" / "webhooks.yaml").write_text(
        yaml.safe_dump([{**source, "secrets": [{"env": "T_GOV_SHOP"}]}])
    )

    def signed(body: bytes, secret: str = "gov-shop-secret") -> dict[str, str]:
        mac = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        return {
            "content-type": "application/json",
            "X-Shopify-Hmac-Sha256": b64encode(mac).decode(),
        }

    async with (
        running_gateway(tmp_path, workers_enabled=False) as (gateway, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        url = "/v1/inbound/webhooks/shop"
        forged = await client.post(url, content=b'{"n": 0}', headers=signed(b'{"n": 0}', "x"))
        assert forged.status_code == 401  # a forger spends nothing...
        first = await client.post(url, content=b'{"n": 1}', headers=signed(b'{"n": 1}'))
        assert first.status_code == 202, first.text  # ...so the partner's one unit is intact
        assert first.headers["ratelimit"].startswith('"default";r=0;')
        second = await client.post(url, content=b'{"n": 2}', headers=signed(b'{"n": 2}'))
        assert second.status_code == 429
        assert second.json()["code"] == "rate_limited"
        assert (await gateway.journal.stats()).messages_pending == 1


async def test_token_endpoint_is_limited_per_address_before_checking_the_secret(
    tmp_path: Path,
) -> None:
    _setup(
        tmp_path,
        {
            "token_limits": {
                "per_address": {"rate": 0.01, "burst": 3},
                "per_client": {"rate": 0.01, "burst": 2},
            }
        },
    )
    store = CredentialStore.in_data_dir(tmp_path / "data")
    issued = await store.add("acme", "messages:write")
    cid, secret = issued.client.client_id, issued.secret
    grant = {"grant_type": "client_credentials"}
    async with (
        running_gateway(tmp_path, workers_enabled=False) as (_gateway, base),
        httpx.AsyncClient(base_url=base) as client,
    ):
        ok = await client.post("/oauth2/token", data=grant, auth=(cid, secret))
        assert ok.status_code == 200, ok.text
        assert "ratelimit-policy" in ok.headers
        wrong = await client.post("/oauth2/token", data=grant, auth=(cid, "guess"))
        assert wrong.status_code == 401
        per_client = await client.post("/oauth2/token", data=grant, auth=(cid, secret))
        assert per_client.status_code == 429  # the client's 2 are spent, right secret or not
        assert per_client.json()["violated-policies"] == ["token-client"]
        # the address has spent its 3: even an unknown client is refused before scrypt runs
        flood = await client.post("/oauth2/token", data=grant, auth=("cdc_other", "x"))
        assert flood.status_code == 429
        assert flood.json()["violated-policies"] == ["token-address"]
        assert "retry-after" in flood.headers


# -- SOAP doors ----------------------------------------------------------------------------------
async def test_soap_endpoint_wants_its_partners_token_unless_auth_none(
    gw: tuple[Gateway, str],
) -> None:
    gateway, base = gw
    acme, shop = await auth_headers(gateway, "acme"), await auth_headers(gateway, "shop")
    async with httpx.AsyncClient(base_url=base) as client:
        anonymous = await client.post("/v1/inbound/soap/acme-soap", content=ENVELOPE, headers=XML)
        assert anonymous.status_code == 401
        assert b"Fault" in anonymous.content
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        other = await client.post(
            "/v1/inbound/soap/acme-soap", content=ENVELOPE, headers={**XML, **shop}
        )
        unknown = await client.post("/v1/inbound/soap/nope", content=ENVELOPE, headers=XML)
        assert other.status_code == unknown.status_code == 404
        own = await client.post(
            "/v1/inbound/soap/acme-soap", content=ENVELOPE, headers={**XML, **acme}
        )
        assert own.status_code == 200, own.text
        legacy = await client.post("/v1/inbound/soap/legacy", content=ENVELOPE, headers=XML)
        assert legacy.status_code == 200, legacy.text
    assert (await gateway.journal.stats()).messages_pending == 2


# -- oversize input -------------------------------------------------------------------------------
async def test_oversize_headers_and_bodies_are_refused_without_a_5xx(
    tmp_path: Path,
) -> None:
    _setup(tmp_path)
    async with running_gateway(tmp_path, workers_enabled=False, max_body_bytes=64 * 1024) as (
        gateway,
        base,
    ):
        acme = await auth_headers(gateway, "acme")
        async with httpx.AsyncClient(base_url=base) as client:
            long_token = await client.post(
                "/v1/inbound/json", json=order(), headers={"Authorization": "Bearer " + "a" * 5000}
            )
            assert long_token.status_code == 401
            assert long_token.json()["code"] == "invalid_token"
            huge = await client.post(
                "/v1/inbound/json", json=order(), headers={**acme, "X-Padding": "p" * 20_000}
            )
            assert huge.status_code == 431
            assert huge.json()["code"] == "headers_too_large"
            channel_limit = await client.post(
                "/v1/inbound/json",
                content=b'{"x": "' + b"a" * 5000 + b'"}',
                headers={**acme, "content-type": "application/json"},
            )
            assert channel_limit.status_code == 413
            app_limit = await client.post(
                "/v1/inbound/shop",
                content=b'{"x": "' + b"a" * 70_000 + b'"}',
                headers={
                    **(await auth_headers(gateway, "shop")),
                    "content-type": "application/json",
                },
            )
            assert app_limit.status_code == 413
            # no token: refused before the body is read, so the size does not matter
            anonymous = await client.post("/v1/inbound/json", content=b"a" * 60_000)
            assert anonymous.status_code == 401
        assert (await gateway.journal.stats()).messages_pending == 0


# -- logs ----------------------------------------------------------------------------------------
async def test_no_secret_or_token_reaches_the_logs(tmp_path: Path) -> None:
    _setup(tmp_path)
    store = CredentialStore.in_data_dir(tmp_path / "data")
    issued = await store.add("acme", PARTNER_SCOPES)
    cid, secret = issued.client.client_id, issued.secret
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    try:
        async with (
            running_gateway(tmp_path, workers_enabled=False) as (_gateway, base),
            httpx.AsyncClient(base_url=base) as client,
        ):
            grant = {"grant_type": "client_credentials"}
            token = (await client.post("/oauth2/token", data=grant, auth=(cid, secret))).json()[
                "access_token"
            ]
            await client.post("/oauth2/token", data=grant, auth=(cid, secret + "x"))
            bearer = {"Authorization": f"Bearer {token}"}
            assert (await client.post("/v1/inbound/json", json=order(), headers=bearer)).is_success
            await client.post("/v1/inbound/json", json=order(), headers={"Authorization": "B x"})
            await client.get("/v1/messages/01X", headers={"Authorization": f"Bearer {token}x"})
    finally:
        for name in ("crossdock", "uvicorn.error"):
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True
    output = stream.getvalue()
    assert output  # the gateway did log
    assert secret not in output
    assert token not in output
    assert token.split(".")[2] not in output
    assert all(isinstance(json.loads(line), dict) for line in output.splitlines())
