"""AfterShip: base64 HMAC-SHA256 of the raw body in ``aftership-hmac-sha256``.

AfterShip sends no event id header; the body's ``event_id`` (a UUID per webhook event, per
AfterShip's webhook specification) is the dedupe key.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.webhook.generic import HmacOptions, HmacVerifier, utf8_keys

HEADER = "aftership-hmac-sha256"
ID_FIELD = "event_id"


def create(
    secrets: Sequence[str], *, tolerance: float, options: HmacOptions | None = None
) -> HmacVerifier:
    """The webhook secret(s); ``options`` are not used."""
    return HmacVerifier(
        utf8_keys(secrets),
        header=HEADER,
        encoding="base64",
        id_field=ID_FIELD,
        tolerance=tolerance,
    )
