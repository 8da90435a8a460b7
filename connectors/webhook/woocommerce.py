"""WooCommerce: base64 HMAC-SHA256 of the raw body in ``X-WC-Webhook-Signature``.

The delivery id ``X-WC-Webhook-Delivery-ID`` is the dedupe key. WooCommerce allows an empty
secret, so an empty string is a valid (if weak) key here.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.webhook.generic import HmacOptions, HmacVerifier, utf8_keys

HEADER = "X-WC-Webhook-Signature"
ID_HEADER = "X-WC-Webhook-Delivery-ID"


def create(
    secrets: Sequence[str], *, tolerance: float, options: HmacOptions | None = None
) -> HmacVerifier:
    """The webhook's secret(s); ``options`` are not used."""
    return HmacVerifier(
        utf8_keys(secrets),
        header=HEADER,
        encoding="base64",
        id_headers=(ID_HEADER,),
        tolerance=tolerance,
    )
