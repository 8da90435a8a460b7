"""Standard Webhooks (standardwebhooks.com), symmetric ``v1`` signatures.

Signed content is ``{webhook-id}.{webhook-timestamp}.{body}``, signed with HMAC-SHA256 under the
base64 key after ``whsec_``. ``webhook-signature`` holds space-separated ``version,signature``
pairs so a sender can sign with old and new secrets while one rotates; any one valid ``v1``
signature passes (other versions, e.g. ``v1a`` for ed25519, are ignored). ``webhook-id`` is the
dedupe key; the timestamp must be within the tolerance (default 5 minutes) either way.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence

from connectors.webhook.base import (
    DEFAULT_TOLERANCE,
    Headers,
    SecretFormatError,
    VerificationError,
    Verified,
    check_tolerance,
    decode_signature,
    hmac_digest,
    matches,
    parse_timestamp,
    require_secrets,
)
from connectors.webhook.generic import HmacOptions

ID = "webhook-id"
TIMESTAMP = "webhook-timestamp"
SIGNATURE = "webhook-signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
_EXPECTED = "space-separated 'v1,<base64 HMAC-SHA256>' signatures of '{id}.{timestamp}.{body}'"


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (the prefix is optional)."""
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (ValueError, binascii.Error):
        msg = "a Standard Webhooks secret is 'whsec_' + base64; got other text"
        raise SecretFormatError(msg) from None


class StandardWebhooks:
    """Verifies ``v1`` signatures against one or more secrets (rotation)."""

    def __init__(self, secrets: Sequence[str], *, tolerance: float = DEFAULT_TOLERANCE) -> None:
        require_secrets(secrets)
        self._keys = tuple(secret_key(s) for s in secrets)
        self._tolerance = tolerance

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> Verified:
        """Check the signatures, then the timestamp's age."""
        h = Headers.of(headers)
        event_id = h.require(ID, "the message id, e.g. msg_p5jXN8AQM9LWM0D4loKWxJek")
        stamp_text = h.require(TIMESTAMP, "the time of signing in POSIX seconds")
        signatures = h.require(SIGNATURE, _EXPECTED)
        timestamp = parse_timestamp(TIMESTAMP, stamp_text)
        presented = []
        for pair in signatures.split():
            version, _, value = pair.partition(",")
            decoded = decode_signature(value, "base64") if version == "v1" else None
            if decoded is not None:
                presented.append(decoded)
        if not presented:
            raise VerificationError(
                f"header {SIGNATURE} holds no v1 signature; expected {_EXPECTED}",
                code="malformed_header",
                path=SIGNATURE,
            )
        signed = (event_id.encode(), b".", stamp_text.encode(), b".", body)
        digests = [hmac_digest("sha256", key, *signed) for key in self._keys]
        found = False
        for one in presented:
            found |= matches(one, digests)
        if not found:
            raise VerificationError(
                f"header {SIGNATURE} does not match; expected {_EXPECTED} under one of "
                f"{len(self._keys)} configured secret(s)",
                code="signature_mismatch",
                path=SIGNATURE,
            )
        check_tolerance(TIMESTAMP, timestamp, now, self._tolerance)
        return Verified(event_id=event_id, timestamp=timestamp)


def create(
    secrets: Sequence[str], *, tolerance: float, options: HmacOptions | None = None
) -> StandardWebhooks:
    """``whsec_`` secrets (several while rotating); ``options`` are not used."""
    return StandardWebhooks(secrets, tolerance=tolerance)
