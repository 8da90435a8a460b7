"""The client credentials grant: request parsing and the decisions, as RFC 6749 errors."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import pytest

from gateway.auth import AuthService, IssuedSecret, OAuthError, parse_token_request
from gateway.auth.grant import TokenRequest


def _basic(client_id: str, secret: str) -> str:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def test_basic_and_post() -> None:
    basic = parse_token_request({"grant_type": ["client_credentials"]}, _basic("c1", "s:1 +"))
    assert (basic.client_id, basic.secret, basic.method) == ("c1", "s:1 +", "client_secret_basic")
    assert basic.scope is None
    assert "s:1" not in repr(basic)

    posted = parse_token_request(
        {
            "grant_type": ["client_credentials"],
            "client_id": ["c1"],
            "client_secret": ["s1"],
            "scope": ["orders:write ops:read"],
        },
        None,
    )
    assert posted.method == "client_secret_post"
    assert posted.scope == ("ops:read", "orders:write")


@pytest.mark.parametrize(
    ("form", "authorization", "error", "status"),
    [
        ({"grant_type": ["client_credentials"]}, None, "invalid_client", 401),
        ({"grant_type": ["client_credentials"]}, "Basic !!!", "invalid_client", 401),
        ({"grant_type": ["client_credentials"]}, "Basic " + "bm9jb2xvbg==", "invalid_client", 401),
        (
            {"grant_type": ["client_credentials"], "client_secret": ["s"]},
            _basic("c", "s"),
            "invalid_request",
            400,
        ),
        ({"client_id": ["c"], "client_secret": ["s"]}, None, "invalid_request", 400),
        (
            {"grant_type": ["a", "b"], "client_id": ["c"], "client_secret": ["s"]},
            None,
            "invalid_request",
            400,
        ),
        (
            {"grant_type": ["client_credentials"], "client_id": ["x"]},
            _basic("c", "s"),
            "invalid_request",
            400,
        ),
        (
            {"grant_type": ["client_credentials"], "scope": ['a"b']},
            _basic("c", "s"),
            "invalid_scope",
            400,
        ),
        (
            {"grant_type": ["client_credentials"], "scope": [""]},
            _basic("c", "s"),
            "invalid_scope",
            400,
        ),
    ],
)
def test_parse_errors(
    form: dict[str, list[str]], authorization: str | None, error: str, status: int
) -> None:
    with pytest.raises(OAuthError) as info:
        parse_token_request(form, authorization)
    assert (info.value.error, info.value.status) == (error, status)


def _request(issued: IssuedSecret, **changes: object) -> TokenRequest:
    fields: dict[str, object] = {
        "grant_type": "client_credentials",
        "client_id": issued.client.client_id,
        "secret": issued.secret,
        "method": "client_secret_post",
        "scope": None,
    }
    fields.update(changes)
    return TokenRequest(**fields)  # type: ignore[arg-type]


async def test_token_decisions(service: AuthService, acme: IssuedSecret) -> None:
    full = await service.token(_request(acme))
    assert full.scope == "ops:read orders:write"
    assert full.expires_in == 300
    assert full.token_type == "Bearer"
    assert full.access_token not in repr(full)

    narrow = await service.token(_request(acme, scope=("orders:write",)))
    assert (await service.verify(narrow.access_token)).scopes == {"orders:write"}

    cases = [
        (_request(acme, secret="wrong"), "invalid_client", 401),
        (_request(acme, client_id="cdc_ghost"), "invalid_client", 401),
        (_request(acme, grant_type="password"), "unsupported_grant_type", 400),
        (_request(acme, scope=("orders:write", "ops:replay")), "invalid_scope", 400),
    ]
    for request, error, status in cases:
        with pytest.raises(OAuthError) as info:
            await service.token(request)
        assert (info.value.error, info.value.status) == (error, status)

    await service.store.revoke(acme.client.client_id)
    with pytest.raises(OAuthError, match="invalid_client"):
        await service.token(_request(acme))
