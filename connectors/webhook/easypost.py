"""EasyPost: ``X-Hmac-Signature: hmac-sha256-hex=<hex>`` over the raw body.

EasyPost normalises the secret to Unicode NFKD before encoding it as UTF-8 (NFC gives a different
key for a secret like ``sécret``); we do the same. No event id header is sent: the Event's own
``id`` (``evt_...``, the same on every retry of the event) in the body is the dedupe key.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import partial

from connectors.webhook.generic import HmacOptions, HmacVerifier, utf8_keys

HEADER = "X-Hmac-Signature"
PREFIX = "hmac-sha256-hex="
ID_FIELD = "id"


def create(
    secrets: Sequence[str], *, tolerance: float, options: HmacOptions | None = None
) -> HmacVerifier:
    """The webhook secret(s), NFKD-normalised; ``options`` are not used."""
    return HmacVerifier(
        utf8_keys(secrets, partial(unicodedata.normalize, "NFKD")),
        header=HEADER,
        encoding="hex",
        prefix=PREFIX,
        id_field=ID_FIELD,
        tolerance=tolerance,
    )
