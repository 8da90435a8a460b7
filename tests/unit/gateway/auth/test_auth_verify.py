"""Security tests for bearer-token verification: every forgery and stale token is refused."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from joserfc import jwt
from joserfc.jwk import OKPKey, RSAKey

from gateway.auth import AuthService, InvalidTokenError, IssuedSecret, Principal
from gateway.auth.tokens import issue_token
from tests.unit.gateway.auth.auth_support import CONFIG, b64, b64json, claims_for, sign


async def _refused(service: AuthService, token: str, match: str | None) -> None:
    with pytest.raises(InvalidTokenError, match=match):
        await service.verify(token)


async def test_issued_token_verifies_to_principal(service: AuthService, acme: IssuedSecret) -> None:
    issued = issue_token(service.keys, CONFIG, acme.client, ("orders:write",))
    principal = await service.verify(issued.access_token)
    assert principal == Principal(
        client_id=acme.client.client_id, partner="acme", scopes=frozenset({"orders:write"})
    )
    header = jwt.decode(issued.access_token, service.keys.signing_key, ["Ed25519"]).header
    assert header == {"alg": "Ed25519", "typ": "at+jwt", "kid": service.keys.signing_key.kid}
    claims = jwt.decode(issued.access_token, service.keys.signing_key, ["Ed25519"]).claims
    assert claims["exp"] - claims["iat"] == 300
    assert set(claims) == {
        "iss", "aud", "sub", "client_id", "partner", "scope", "iat", "nbf", "exp", "jti",
    }  # fmt: skip


async def test_alg_none(service: AuthService, acme: IssuedSecret) -> None:
    claims = claims_for(acme, time.time())
    kid = service.keys.signing_key.kid
    for alg in ["none", "None", "NONE"]:
        token = f"{b64json({'alg': alg, 'typ': 'at+jwt', 'kid': kid})}.{b64json(claims)}."
        await _refused(service, token, "Ed25519")


async def test_hs256_signed_with_the_public_key(service: AuthService, acme: IssuedSecret) -> None:
    """Key confusion: an attacker HMACs with our public key (raw, JWK x, or PEM)."""
    claims = claims_for(acme, time.time(), scope="ops:replay")
    public = service.keys.jwks()["keys"][0]
    key = OKPKey.import_key(public)
    pem = key.as_pem(private=False)
    raw = key.raw_value.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    for secret in [pem, raw, public["x"].encode()]:
        head = b64json({"alg": "HS256", "typ": "at+jwt", "kid": public["kid"]})
        body = b64json(claims)
        mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        await _refused(service, f"{head}.{body}.{b64(mac)}", "Ed25519")


async def test_rs256_token_with_our_kid(service: AuthService, acme: IssuedSecret) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_key = RSAKey.import_key(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    header = {"alg": "RS256", "typ": "at+jwt", "kid": service.keys.signing_key.kid}
    token = jwt.encode(header, claims_for(acme, time.time()), rsa_key, algorithms=["RS256"])
    await _refused(service, token, "Ed25519")


async def test_signed_by_another_ed25519_key_with_our_kid(
    service: AuthService, acme: IssuedSecret
) -> None:
    stranger = OKPKey.import_key(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    header = {"alg": "Ed25519", "typ": "at+jwt", "kid": service.keys.signing_key.kid}
    token = jwt.encode(header, claims_for(acme, time.time()), stranger, algorithms=["Ed25519"])
    await _refused(service, token, "signature")


class In(int):
    """Seconds from the moment the test runs (parameters are built at collection time)."""


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"exp": In(-31)}, "expired"),  # beyond the 30 s leeway
        ({"nbf": In(120)}, "not yet valid"),
        ({"iat": In(120)}, "future"),
        ({"iss": "https://evil.test"}, "iss"),
        ({"aud": "another-api"}, "aud"),
        ({"aud": ["another-api"]}, "aud"),
        ({"exp": None}, "exp"),
        ({"jti": None}, "jti"),
        ({"client_id": None}, "client_id"),
        ({"partner": None}, "partner"),
        ({"sub": "cdc_someone_else"}, "sub"),
        ({"exp": "in 60 s as a string"}, "exp"),
    ],
)
async def test_bad_claims(
    service: AuthService, acme: IssuedSecret, changes: dict[str, Any], match: str
) -> None:
    now = time.time()
    resolved = {
        key: int(now) + value if isinstance(value, In) else value for key, value in changes.items()
    }
    if resolved.get("exp") == "in 60 s as a string":
        resolved["exp"] = str(int(now) + 60)
    await _refused(service, sign(service, claims_for(acme, now, **resolved)), match)


async def test_leeway_admits_small_skew(service: AuthService, acme: IssuedSecret) -> None:
    now = time.time()
    token = sign(service, claims_for(acme, now, exp=int(now) - 5, nbf=int(now) + 5))
    assert (await service.verify(token)).client_id == acme.client.client_id


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ({"typ": "JWT"}, "typ"),
        ({"typ": None}, "typ"),
        ({"kid": "unknown-kid"}, "unknown"),
        ({"kid": None}, "kid"),
    ],
)
async def test_bad_headers(
    service: AuthService, acme: IssuedSecret, header: dict[str, Any], match: str
) -> None:
    key = service.keys.signing_key
    head = {"alg": "Ed25519", "typ": "at+jwt", "kid": key.kid, **header}
    head = {k: v for k, v in head.items() if v is not None}
    token = jwt.encode(head, claims_for(acme, time.time()), key, algorithms=["Ed25519"])
    await _refused(service, token, match)


async def test_tampered_payload(service: AuthService, acme: IssuedSecret) -> None:
    token = sign(service, claims_for(acme, time.time()))
    head, _, sig = token.split(".")
    forged = b64json(claims_for(acme, time.time(), scope="orders:write ops:replay"))
    await _refused(service, f"{head}.{forged}.{sig}", "signature")
    await _refused(service, token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB"), "signature")


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "é.é.é", "x" * 5000])
async def test_garbage(service: AuthService, token: str) -> None:
    await _refused(service, token, None)


async def test_revoked_client_even_when_cached(service: AuthService, acme: IssuedSecret) -> None:
    token = sign(service, claims_for(acme, time.time()))
    assert await service.verify(token)  # now cached
    await service.store.revoke(acme.client.client_id)
    assert await service.verify(token)  # status cached for status_cache_seconds
    with pytest.raises(InvalidTokenError, match="revoked"):
        await service.verifier.verify(token, now=time.time() + CONFIG.status_cache_seconds + 1)
    service.verifier.forget_client(acme.client.client_id)
    await _refused(service, token, "revoked")


async def test_rotated_secret_invalidates_older_tokens(
    service: AuthService, acme: IssuedSecret
) -> None:
    token = sign(service, claims_for(acme, time.time() - 60))
    await service.store.rotate(acme.client.client_id)
    await _refused(service, token, "predates")


async def test_unknown_client(service: AuthService, acme: IssuedSecret) -> None:
    claims = claims_for(acme, time.time(), sub="cdc_ghost", client_id="cdc_ghost")
    await _refused(service, sign(service, claims), "revoked or unknown")


async def test_partner_claim_must_match_client(service: AuthService, acme: IssuedSecret) -> None:
    await _refused(service, sign(service, claims_for(acme, time.time(), partner="shop")), "partner")


async def test_rotated_key_still_verifies_and_other_process_key_is_found(
    service: AuthService, acme: IssuedSecret
) -> None:
    old = issue_token(service.keys, CONFIG, acme.client, ("orders:write",)).access_token
    service.keys.rotate_if_due(force=True)
    assert await service.verify(old)

    # another process rotates: our verifier re-reads the file when it meets the new kid
    other = AuthService(service.keys.path.parent, CONFIG)
    await other.open()
    other.keys.rotate_if_due(force=True)
    fresh = issue_token(other.keys, CONFIG, acme.client, ("orders:write",)).access_token
    assert await service.verify(fresh)


def test_principal_missing() -> None:
    p = Principal(client_id="c", partner="p", scopes=frozenset({"a", "b"}))
    assert p.missing(("a",)) == ()
    assert p.missing(("a", "c", "d")) == ("c", "d")
