"""How a REST destination gets its ``Authorization`` header when it is not a fixed header.

Some partner APIs want a short-lived bearer token (OAuth 2.0 client credentials) instead of a
static key. Getting, caching and refreshing that token is the gateway's business (it knows the
config and the secrets); the deliverer only asks for the current header value, and says when the
destination refused it, so one stale token costs one retry instead of a failed attempt.

Kept as a small protocol rather than an ``httpx.Auth``: the deliverer must classify a token
endpoint failure as an :class:`~connectors.base.Outcome` of its own (not as the destination's
answer), and must bound the token fetch by the same attempt timeout as the request.
"""

from __future__ import annotations

from typing import Protocol

from connectors.base import OutcomeKind


class AuthError(Exception):
    """No credentials could be had for this attempt; ``kind`` and ``code`` go into the outcome.

    ``detail`` is written for an operator and must never contain a secret or a token.
    """

    def __init__(
        self, kind: OutcomeKind, code: str, detail: str, retry_after: float | None = None
    ) -> None:
        super().__init__(detail)
        self.kind: OutcomeKind = kind
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


class RequestAuth(Protocol):
    """A source of ``Authorization`` header values shared by every attempt to one destination."""

    async def authorization(self) -> str:
        """The header value to send now (e.g. ``Bearer <token>``); raises :class:`AuthError`."""
        ...

    async def rejected(self, authorization: str) -> None:
        """The destination answered 401 to ``authorization``: stop using that value."""
        ...

    async def aclose(self) -> None:
        """Release the source's connections."""
        ...
