"""A REST destination's ``oauth2:`` section: OAuth 2.0 client credentials for outbound calls.

The partner's API wants a bearer token from its token endpoint instead of a static header. The
gateway fetches the token (``gateway.delivery.oauth2``), caches it, refreshes it
``refresh_margin`` seconds before it expires, and fetches a new one when the partner answers 401.
See docs/outbound-oauth2.md.

The client secret is a :class:`~gateway.config.model.SecretRef`, never a value in the file.
Checked at load, so a destination that cannot get a token fails ``crossdock check``: the token URL
is absolute http(s), a client secret never goes over plain HTTP to anything but a loopback
address, the secret resolves, and no static ``Authorization`` header competes with the token.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Annotated, Literal

import httpx
import msgspec

from gateway.config.model import Destination, SecretRef


class OAuth2Client(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Client credentials grant (RFC 6749 section 4.4) against the partner's token endpoint.

    ``auth_method`` is how the client authenticates (RFC 6749 section 2.3.1): HTTP Basic
    (``client_secret_basic``, which every server must support) or form fields
    (``client_secret_post``). ``audience`` and ``resource`` (RFC 8707) are sent only when set,
    for servers (Auth0, Azure AD, Okta) that need them to pick the token's audience.
    """

    token_url: str
    client_id: str
    client_secret: SecretRef
    scope: str | None = None
    audience: str | None = None
    resource: str | None = None
    auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    refresh_margin: Annotated[float, msgspec.Meta(ge=0)] = 60.0
    """Seconds before expiry a token is replaced (at most half its lifetime)."""
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    """Bound on one token request (the delivery attempt's own timeout also applies)."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_oauth2(
    dest: Destination, resolve_secret: Callable[[SecretRef], str]
) -> list[tuple[str, str]]:
    """Problems with ``dest.oauth2`` as (path under the destination, message)."""
    spec = dest.oauth2
    if spec is None:
        return []
    problems: list[tuple[str, str]] = []
    if dest.type != "rest":
        problems.append(("oauth2", f"oauth2 works with type rest only, not {dest.type}"))
    try:
        url = httpx.URL(spec.token_url)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in {"http", "https"} or not url.host:
        problems.append(("oauth2.token_url", "expected an absolute http:// or https:// URL"))
    elif url.scheme == "http" and not _loopback(url.host):
        problems.append(
            (
                "oauth2.token_url",
                "the client secret would cross the network in clear text; "
                "expected https:// (plain http only to a loopback address)",
            )
        )
    if not spec.client_id:
        problems.append(("oauth2.client_id", "expected the client id the partner issued"))
    try:
        resolve_secret(spec.client_secret)
    except LookupError as exc:
        problems.append(("oauth2.client_secret", str(exc)))
    clashing = [h for h in [*dest.headers, *dest.secret_headers] if h.lower() == "authorization"]
    for header in clashing:
        problems.append(
            (
                "oauth2",
                f"header {header!r} would be replaced by the OAuth token; remove one of them",
            )
        )
    return problems
