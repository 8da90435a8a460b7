"""destinations.yaml ``oauth2:``: loaded into the spec, refused with path and reason when it
cannot work; and the token answer checks, property-tested on arbitrary token endpoint bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from connectors.rest import AuthError
from gateway.config import ConfigError, load_config
from gateway.config.model import SecretRef
from gateway.config.oauth2 import OAuth2Client
from gateway.delivery.oauth2 import OAuth2TokenSource

CODES = {
    "oauth_token_unavailable",
    "oauth_invalid_client",
    "oauth_token_refused",
    "oauth_bad_token_response",
}


def _write(root: Path, oauth2: dict[str, Any], **dest: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    spec = {"name": "erp", "url": "https://erp.example/orders", "oauth2": oauth2, **dest}
    (root / "destinations.yaml").write_text(yaml.safe_dump([spec]))
    return root


def _problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


GOOD = {
    "token_url": "https://auth.erp.example/oauth2/token",
    "client_id": "crossdock",
    "client_secret": {"env": "ERP_CLIENT_SECRET"},
    "scope": "orders:write",
    "auth_method": "client_secret_post",
    "refresh_margin": 30,
}


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_CLIENT_SECRET", "s3cret")


def test_a_good_block_loads(tmp_path: Path) -> None:
    dest = load_config(_write(tmp_path, GOOD)).destinations["erp"]
    assert dest.oauth2 == OAuth2Client(
        token_url="https://auth.erp.example/oauth2/token",
        client_id="crossdock",
        client_secret=SecretRef(env="ERP_CLIENT_SECRET"),
        scope="orders:write",
        auth_method="client_secret_post",
        refresh_margin=30,
    )
    assert load_config(_write(tmp_path, {**GOOD, "auth_method": "client_secret_basic"}))


def test_an_inline_secret_is_refused_with_the_reference_hint(tmp_path: Path) -> None:
    [problem] = _problems(_write(tmp_path, {**GOOD, "client_secret": "s3cret"}))
    assert problem.startswith("$[0].oauth2.client_secret: ")
    assert "never a value" in problem
    assert "s3cret" not in problem.split(": ", 1)[1].replace("client_secret", "")


@pytest.mark.parametrize(
    ("change", "dest", "expected"),
    [
        ({"token_url": "ftp://auth.example/token"}, {}, "$[0].oauth2.token_url: expected an"),
        ({"token_url": "/oauth2/token"}, {}, "$[0].oauth2.token_url: expected an absolute"),
        (
            {"token_url": "http://auth.erp.example/token"},
            {},
            "$[0].oauth2.token_url: the client secret would cross the network in clear text",
        ),
        (
            {"client_secret": {"env": "NOT_SET_ANYWHERE"}},
            {},
            "$[0].oauth2.client_secret: environment variable NOT_SET_ANYWHERE is not set",
        ),
        ({"client_id": ""}, {}, "$[0].oauth2.client_id: expected the client id"),
        ({"auth_method": "private_key_jwt"}, {}, "$[0].oauth2.auth_method"),
        ({"refresh_margin": -1}, {}, "$[0].oauth2.refresh_margin"),
        ({}, {"headers": {"Authorization": "Basic x"}}, "$[0].oauth2: header 'Authorization'"),
        (
            {},
            {"secret_headers": {"authorization": {"env": "ERP_CLIENT_SECRET"}}},
            "$[0].oauth2: header 'authorization'",
        ),
    ],
)
def test_a_block_that_cannot_work_is_refused(
    tmp_path: Path, change: dict[str, Any], dest: dict[str, Any], expected: str
) -> None:
    problems = _problems(_write(tmp_path, {**GOOD, **change}, **dest))
    assert any(p.startswith(expected) for p in problems), problems


def test_plain_http_is_fine_to_a_loopback_token_endpoint(tmp_path: Path) -> None:
    for url in ("http://127.0.0.1:8080/token", "http://localhost/token", "http://[::1]/t"):
        assert load_config(_write(tmp_path, {**GOOD, "token_url": url}))


# -- what the token endpoint answers: always a bearer token or a classified failure ------------
# never sends a request here: only its answer checks are exercised
SOURCE = OAuth2TokenSource("erp", msgspec.convert(GOOD, OAuth2Client), "s3cret")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_token_body = st.fixed_dictionaries(
    {},
    optional={
        "access_token": _json | st.text(min_size=1, max_size=40),
        "token_type": _json | st.sampled_from(["Bearer", "bearer", "BEARER", "mac"]),
        "expires_in": _json | st.integers(-10, 10_000) | st.text(max_size=6),
        "error": _json | st.sampled_from(["invalid_client", "invalid_scope", "server_error"]),
    },
)


@given(status=st.integers(100, 599), body=_token_body | _json, raw=st.binary(max_size=40))
def test_any_answer_is_a_bearer_token_or_a_classified_failure(
    status: int, body: Any, raw: bytes
) -> None:
    source = SOURCE
    for content in (msgspec.json.encode(body), raw):
        response = httpx.Response(status, content=content)
        try:
            checked = source._check_response(response)
            parsed = msgspec.json.decode(checked.content)
            if not isinstance(parsed, dict):
                continue  # authlib refuses a non-object itself (ValueError, mapped by _fetch)
            token = source._accept(parsed, 100.0)
        except AuthError as exc:
            assert exc.code in CODES
            assert (exc.kind == "retriable") == (exc.code == "oauth_token_unavailable")
            assert "s3cret" not in exc.detail
            if exc.kind == "retriable" and not (status in {408, 425, 429} or status >= 500):
                # only an RFC 6749 body saying "later" makes another status retriable
                said = msgspec.json.decode(content) if content != raw else None
                assert isinstance(said, dict)
                assert said.get("error") in {"temporarily_unavailable", "server_error"}
            continue
        except msgspec.DecodeError:
            assert 200 <= status < 300  # a non-JSON success: authlib's ValueError path
            continue
        assert 200 <= status < 300
        assert token.header.startswith("Bearer ")
        assert token.header == f"Bearer {parsed['access_token']}"
        assert 100.0 < token.refresh_at <= token.expires_at
