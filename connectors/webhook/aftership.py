"""AfterShip: base64 HMAC-SHA256 of the raw body in ``aftership-hmac-sha256``.

AfterShip sends no event id header, so these webhooks are not deduplicated by id.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.webhook.generic import HmacOptions, HmacVerifier, utf8_keys

HEADER = "aftership-hmac-sha256"


def create(
    secrets: Sequence[str], *, tolerance: float, options: HmacOptions | None = None
) -> HmacVerifier:
    """The webhook secret(s); ``options`` are not used."""
    return HmacVerifier(utf8_keys(secrets), header=HEADER, encoding="base64", tolerance=tolerance)
