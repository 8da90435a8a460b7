"""Shopify: base64 HMAC-SHA256 of the raw body in ``X-Shopify-Hmac-Sha256``.

The event id (the dedupe key) is ``X-Shopify-Webhook-Id``, or ``X-Shopify-Event-Id`` on newer
API versions.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.webhook.generic import HmacOptions, HmacVerifier, utf8_keys

HEADER = "X-Shopify-Hmac-Sha256"
ID_HEADERS = ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id")


def create(
    secrets: Sequence[str], *, tolerance: float, options: HmacOptions | None = None
) -> HmacVerifier:
    """Shopify's app secret(s); ``options`` are not used."""
    return HmacVerifier(
        utf8_keys(secrets),
        header=HEADER,
        encoding="base64",
        id_headers=ID_HEADERS,
        tolerance=tolerance,
    )
