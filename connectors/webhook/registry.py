"""The explicit registry: scheme name -> constructor. Nothing registers itself on import."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from connectors.webhook import aftership, easypost, generic, shopify, standard, woocommerce
from connectors.webhook.base import DEFAULT_TOLERANCE, Verifier
from connectors.webhook.generic import HmacOptions

Factory = Callable[..., Verifier]

SCHEMES: Mapping[str, Factory] = MappingProxyType(
    {
        "standard-webhooks": standard.create,
        "shopify": shopify.create,
        "easypost": easypost.create,
        "woocommerce": woocommerce.create,
        "aftership": aftership.create,
        "hmac": generic.create,
    }
)


def build_verifier(
    scheme: str,
    secrets: Sequence[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    options: HmacOptions | None = None,
) -> Verifier:
    """Construct a scheme's verifier with resolved secrets; ``ValueError`` if it cannot be built.

    The error never contains a secret: it names the scheme and what was expected.
    """
    factory = SCHEMES.get(scheme)
    if factory is None:
        raise ValueError(f"unknown webhook scheme {scheme!r}; expected one of {sorted(SCHEMES)}")
    return factory(secrets, tolerance=tolerance, options=options)
