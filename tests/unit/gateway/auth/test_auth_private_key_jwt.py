"""private_key_jwt (RFC 7523 2.2): a client proves itself with a JWT its private key signed.

Every refusal is ``invalid_client`` (401) unless the request itself is malformed; the security
cases are the ones a reviewer asks about: alg=none, HMAC keyed with the public key, a key the
client never registered, wrong iss/sub/aud, expired, too long-lived, replayed jti, a revoked
client, and a JWKS with private material.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from auth_support import CONFIG, b64, b64json
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from gateway.auth import AuthService, CredentialError, IssuedSecret
from gateway.auth.grant import JWT_BEARER, OAuthError, TokenRequest, parse_token_request
from gateway.auth.jwks import check_jwks

RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
ED = OKPKey.generate_key("Ed25519", parameters={"kid": "ed-1"})
EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
STRANGER = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})  # same kid, other key
PUBLIC_JWKS = {"keys": [k.as_dict(private=False) for k in (RSA, ED, EC)]}
TOKEN_URL = CONFIG.issuer + "/oauth2/token"
SHORT_MODULUS = b64(b"\xc1" * 128)  # 1024 bits


def claims(client_id: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(key: Any, alg: str, body: dict[str, Any]) -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, body, key, algorithms=[alg])


def request(client_id: str, assertion: str, scope: tuple[str, ...] | None = None) -> TokenRequest:
    form = {
        "grant_type": ["client_credentials"],
        "client_assertion_type": [JWT_BEARER],
        "client_assertion": [assertion],
    }
    parsed = parse_token_request(form, None)
    assert parsed.client_id == client_id
    assert parsed.method == "private_key_jwt"
    return parsed if scope is None else TokenRequest(**{**_fields(parsed), "scope": scope})


def _fields(r: TokenRequest) -> dict[str, Any]:
    return {f: getattr(r, f) for f in r.__struct_fields__}


@pytest.fixture
async def keyed(service: AuthService) -> IssuedSecret:
    issued = await service.store.add("acme", "orders:write ops:read")
    await service.store.set_jwks(issued.client.client_id, PUBLIC_JWKS)
    return issued


@pytest.mark.parametrize(
    ("key", "alg"), [(RSA, "RS256"), (RSA, "PS256"), (ED, "Ed25519"), (EC, "ES256")]
)
async def test_each_registered_key_gets_a_token(
    service: AuthService, keyed: IssuedSecret, key: Any, alg: str
) -> None:
    cid = keyed.client.client_id
    issued = await service.token(request(cid, signed(key, alg, claims(cid))))
    principal = await service.verify(issued.access_token)
    assert principal.client_id == cid
    assert principal.partner == "acme"
    # the issuer itself is an audience too (RFC 7523 3, point 3)
    await service.token(request(cid, signed(key, alg, claims(cid, aud=[CONFIG.issuer]))))


async def test_scope_narrowing_works_as_with_secrets(
    service: AuthService, keyed: IssuedSecret
) -> None:
    cid = keyed.client.client_id
    narrow = await service.token(
        request(cid, signed(ED, "Ed25519", claims(cid)), scope=("orders:write",))
    )
    assert narrow.scope == "orders:write"


def _forged(cid: str) -> dict[str, str]:
    """Assertions that must all be refused, by what is wrong with them."""
    now = int(time.time())
    hmac_with_public_key = OctKey.import_key(json.dumps(RSA.as_dict(private=False)).encode())
    return {
        "alg none": b64json({"alg": "none"}) + "." + b64json(claims(cid)) + ".",
        "HS256 keyed with the public JWK": jwt.encode(
            {"alg": "HS256", "kid": "rsa-1"}, claims(cid), hmac_with_public_key
        ),
        "a key the client never registered": signed(STRANGER, "RS256", claims(cid)),
        "wrong aud": signed(RSA, "RS256", claims(cid, aud="https://elsewhere.test/token")),
        "no aud": signed(RSA, "RS256", claims(cid, aud=None)),
        "iss is another client": signed(RSA, "RS256", claims(cid, iss="cdc_other")),
        "expired": signed(RSA, "RS256", claims(cid, iat=now - 600, exp=now - 120)),
        "no exp": signed(RSA, "RS256", claims(cid, exp=None)),
        "valid for an hour": signed(RSA, "RS256", claims(cid, exp=now + 3600)),
        "not yet valid": signed(RSA, "RS256", claims(cid, nbf=now + 600)),
        "issued in the future": signed(RSA, "RS256", claims(cid, iat=now + 600)),
        "no jti": signed(RSA, "RS256", claims(cid, jti=None)),
    }


@pytest.mark.parametrize("case", list(_forged("x")))
async def test_forged_or_wrong_assertions_are_invalid_client(
    service: AuthService, keyed: IssuedSecret, case: str
) -> None:
    cid = keyed.client.client_id
    with pytest.raises(OAuthError) as info:
        await service.token(request(cid, _forged(cid)[case]))
    assert (info.value.error, info.value.status) == ("invalid_client", 401), case


async def test_tampered_payload_fails_the_signature(
    service: AuthService, keyed: IssuedSecret
) -> None:
    cid = keyed.client.client_id
    head, _payload, sig = signed(RSA, "RS256", claims(cid)).split(".")
    tampered = f"{head}.{b64json(claims(cid, exp=int(time.time()) + 200))}.{sig}"
    with pytest.raises(OAuthError, match="signature does not verify"):
        await service.token(request(cid, tampered))


async def test_a_replayed_assertion_is_refused(service: AuthService, keyed: IssuedSecret) -> None:
    cid = keyed.client.client_id
    assertion = signed(ED, "Ed25519", claims(cid))
    await service.token(request(cid, assertion))
    with pytest.raises(OAuthError, match="used before") as info:
        await service.token(request(cid, assertion))
    assert info.value.status == 401


async def test_clients_without_keys_or_revoked_are_refused(
    service: AuthService, keyed: IssuedSecret
) -> None:
    plain = await service.store.add("acme", "orders:write")
    pid = plain.client.client_id
    with pytest.raises(OAuthError, match="invalid_client"):
        await service.token(request(pid, signed(RSA, "RS256", claims(pid))))
    cid = keyed.client.client_id
    await service.store.revoke(cid)
    with pytest.raises(OAuthError, match="invalid_client"):
        await service.token(request(cid, signed(RSA, "RS256", claims(cid))))
    with pytest.raises(CredentialError, match="revoked"):
        await service.store.set_jwks(cid, PUBLIC_JWKS)


def test_request_parsing_refuses_mixed_or_partial_methods() -> None:
    assertion = signed(RSA, "RS256", claims("cdc_a"))
    form = {"grant_type": ["client_credentials"], "client_assertion": [assertion]}
    with pytest.raises(OAuthError, match="client_assertion_type") as info:
        parse_token_request(form, None)
    assert info.value.error == "invalid_request"
    both = {**form, "client_assertion_type": [JWT_BEARER], "client_secret": ["s"]}
    with pytest.raises(OAuthError, match="one client authentication method"):
        parse_token_request(both, None)
    other_id = {**form, "client_assertion_type": [JWT_BEARER], "client_id": ["cdc_b"]}
    with pytest.raises(OAuthError, match="differs"):
        parse_token_request(other_id, None)
    for junk in ("not-a-jwt", "a.b.c", "x" * 9000):
        bad = {**form, "client_assertion_type": [JWT_BEARER], "client_assertion": [junk]}
        with pytest.raises(OAuthError) as refused:
            parse_token_request(bad, None)
        assert refused.value.error == "invalid_client"
    parsed = parse_token_request({**form, "client_assertion_type": [JWT_BEARER]}, None)
    assert assertion not in repr(parsed)


@pytest.mark.parametrize(
    ("jwks", "message"),
    [
        ({"keys": [RSA.as_dict(private=True)]}, "private parameters"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "kty must be"),
        ({"keys": []}, "1 to 10 keys"),
        ({"nokeys": 1}, '"keys" array'),
        (
            {"keys": [RSA.as_dict(private=False), {**ED.as_dict(private=False), "kid": "rsa-1"}]},
            "used twice",
        ),
        ({"keys": [{**RSA.as_dict(private=False), "n": SHORT_MODULUS}]}, "2048 bits"),
        ({"keys": [OKPKey.generate_key("X25519").as_dict(private=False)]}, "Ed25519"),
    ],
)
def test_a_jwks_must_hold_public_signing_keys_only(jwks: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_jwks(jwks)


_b64_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.builds(lambda a, b, c: f"{a}.{b}.{c}", _b64_text, _b64_text, _b64_text),
        st.builds(
            lambda claims, sig: f"{b64json({'alg': 'RS256'})}.{b64json(claims)}.{sig}",
            st.dictionaries(
                st.sampled_from(["sub", "iss", "aud", "exp"]), st.integers() | st.text()
            ),
            _b64_text,
        ),
    )
)
def test_any_assertion_text_parses_or_is_refused(text: str) -> None:
    """The unverified peek at ``sub`` never fails with anything but ``invalid_client``."""
    form = {
        "grant_type": ["client_credentials"],
        "client_assertion_type": [JWT_BEARER],
        "client_assertion": [text],
    }
    try:
        parsed = parse_token_request(form, None)
    except OAuthError as exc:
        assert exc.error in ("invalid_client", "invalid_request")
    else:
        assert parsed.client_id


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)
_jwk_like = st.fixed_dictionaries(
    {"kty": st.sampled_from(["RSA", "EC", "OKP", "oct", "x"])},
    optional={"crv": st.sampled_from(["Ed25519", "P-256", "X25519"]), "n": st.text(),
              "x": st.text(), "y": st.text(), "d": st.text(), "kid": st.text(max_size=3)},
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_json | st.builds(lambda keys: {"keys": keys}, st.lists(_jwk_like | _json, max_size=3)))
def test_any_json_as_a_jwks_is_checked_or_refused_with_a_reason(document: Any) -> None:
    try:
        check_jwks(document)
    except ValueError as exc:
        assert str(exc)
