"""Bearer tokens for a REST destination, by the OAuth 2.0 client credentials grant (authlib).

One :class:`OAuth2TokenSource` per destination, shared by every delivery to it:

* the token is cached and reused until ``refresh_margin`` seconds (at most half its lifetime)
  before it expires, so a busy destination costs one token request per token lifetime;
* concurrent deliveries that find no usable token share ONE token request (single flight): the
  fetch runs as its own task, each caller waits on it shielded, so a delivery whose attempt times
  out does not cancel the fetch the others are waiting for;
* when a proactive refresh fails with a retriable error, the still-unexpired token is used;
* when the destination answers 401, the deliverer calls :meth:`rejected` with the header it sent;
  only if that is still the cached token is it dropped, so 50 deliveries refused with the same
  stale token cause one new token request, not 50.

authlib's ``AsyncOAuth2Client`` builds the token request (client authentication by
``client_secret_basic`` or ``client_secret_post``, the form body) and parses the answer. Its own
token management (``ensure_active_token``) is not used: it refreshes under a lock but cannot drop
a token the resource server refused, nor classify failures for the retry policy. A compliance
hook sees each token endpoint response before authlib parses it and classifies it:

* no connection, timeouts, 408/425/429 and 5xx -> retriable ``oauth_token_unavailable``
  (with the endpoint's ``Retry-After``);
* 401, or an ``invalid_client`` error -> fatal ``oauth_invalid_client`` (revoked or wrong secret:
  retrying cannot help, a person must fix the credentials);
* any other refusal (``invalid_scope``, ``unauthorized_client``...) -> fatal
  ``oauth_token_refused``; a success without a bearer ``access_token`` -> fatal
  ``oauth_bad_token_response``.

Neither the client secret nor a token is ever logged or put in an error text: errors name the
destination, the token endpoint's host and the server's error code.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx

from connectors._http import retriable_status
from connectors.base import OutcomeKind
from connectors.rest import AuthError, parse_retry_after
from gateway.config.model import SecretRef
from gateway.config.oauth2 import OAuth2Client

with warnings.catch_warnings():
    # authlib 1.9 warns at import that its httpx support moves to the httpx2 fork (the API we use
    # is the same on both; crossdock is on httpx). Its deprecate module installs an "always"
    # filter for that warning when first imported, so import it first, then override it; the
    # context also keeps authlib's global filter change from leaking into the process.
    import authlib.deprecate  # type: ignore[import-untyped]

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
        OAuthError,
    )

log = logging.getLogger("crossdock.delivery.oauth2")

# outcome codes (dead letters, attempts), not credentials
TOKEN_UNAVAILABLE = "oauth_token_unavailable"  # noqa: S105
INVALID_CLIENT = "oauth_invalid_client"
TOKEN_REFUSED = "oauth_token_refused"  # noqa: S105
BAD_TOKEN_RESPONSE = "oauth_bad_token_response"  # noqa: S105

# server errors some token endpoints send in an RFC 6749 body; they say "later", not "never"
_RETRIABLE_ERRORS = frozenset({"temporarily_unavailable", "server_error", "slow_down"})
_DESCRIPTION_CHARS = 200
_TOKEN_LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2)


class _Token:
    """A cached access token; ``expires_at``/``refresh_at`` are on the source's clock."""

    __slots__ = ("expires_at", "header", "refresh_at")

    def __init__(self, header: str, expires_at: float, refresh_at: float) -> None:
        self.header = header
        self.expires_at = expires_at
        self.refresh_at = refresh_at

    def __repr__(self) -> str:  # never the token itself
        return f"_Token(expires_at={self.expires_at:.0f})"


class OAuth2TokenSource:
    """The :class:`~connectors.rest.RequestAuth` of one destination with an ``oauth2:`` section.

    ``clock`` is monotonic seconds (tests pass a fake one to move past a token's lifetime).
    """

    def __init__(
        self,
        destination: str,
        spec: OAuth2Client,
        client_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.destination = destination
        self._spec = spec
        self._clock = clock
        self._host = httpx.URL(spec.token_url).host
        self._client = AsyncOAuth2Client(
            client_id=spec.client_id,
            client_secret=client_secret,
            token_endpoint_auth_method=spec.auth_method,
            scope=spec.scope,
            timeout=spec.timeout,
            limits=_TOKEN_LIMITS,
            follow_redirects=False,
        )
        self._client.register_compliance_hook("access_token_response", self._check_response)
        self._extra = {
            name: value
            for name, value in [("audience", spec.audience), ("resource", spec.resource)]
            if value
        }
        self._token: _Token | None = None
        self._fetching: asyncio.Task[_Token] | None = None
        self.fetches = 0
        """Token requests made (successful or not): for metrics and tests."""

    def __repr__(self) -> str:  # no secret, no token
        return f"OAuth2TokenSource({self.destination!r}, {self._host})"

    # -- RequestAuth --------------------------------------------------------------------------
    async def authorization(self) -> str:
        """A valid ``Bearer`` header value, from the cache or one shared token request."""
        token = self._token
        now = self._clock()
        if token is not None and now < token.refresh_at:
            return token.header
        try:
            fresh = await self._shared_fetch()
        except AuthError as exc:
            # a proactive refresh that failed for now: the current token still works
            if exc.kind == "retriable" and token is not None and self._clock() < token.expires_at:
                return token.header
            raise
        return fresh.header

    async def rejected(self, authorization: str) -> None:
        """Forget the token the destination refused, unless a newer one replaced it already."""
        token = self._token
        if token is not None and token.header == authorization:
            self._token = None
            log.info(
                "oauth2 token refused by destination, fetching a new one",
                extra={"destination": self.destination},
            )

    async def aclose(self) -> None:
        """Stop a token request in flight and close the token endpoint's connections."""
        if self._fetching is not None and not self._fetching.done():
            self._fetching.cancel()
            await asyncio.gather(self._fetching, return_exceptions=True)
        await self._client.aclose()

    # -- fetching -----------------------------------------------------------------------------
    async def _shared_fetch(self) -> _Token:
        task = self._fetching
        if task is None or task.done():
            task = self._fetching = asyncio.create_task(self._fetch())
            # every waiter may have been cancelled: mark the outcome seen so asyncio keeps quiet
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        # shielded: a caller cancelled by its attempt timeout leaves the fetch to the others
        return await asyncio.shield(task)

    async def _fetch(self) -> _Token:
        self.fetches += 1
        started = self._clock()
        try:
            raw = await self._client.fetch_token(
                self._spec.token_url, grant_type="client_credentials", **self._extra
            )
        except AuthError as exc:
            self._log_failure(exc)
            raise
        except OAuthError as exc:  # an RFC 6749 error body on a status the hook let through
            failure = self._refusal(None, exc.error or "", exc.description or "")
            self._log_failure(failure)
            raise failure from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            failure = self._unavailable(f"{type(exc).__name__} reaching the token endpoint")
            self._log_failure(failure)
            raise failure from None
        except ValueError:  # authlib: a body that is not a JSON object
            failure = self._bad_response("the answer is not a JSON object")
            self._log_failure(failure)
            raise failure from None
        token = self._accept(dict(raw), started)
        self._token = token
        log.info(
            "oauth2 token fetched",
            extra={
                "destination": self.destination,
                "token_endpoint": self._host,
                "expires_in": None
                if math.isinf(token.expires_at)
                else round(token.expires_at - started),
            },
        )
        return token

    def _accept(self, raw: dict[str, Any], started: float) -> _Token:
        """Check the success body (RFC 6749 section 5.1) and work out when to refresh."""
        access = raw.get("access_token")
        token_type = str(raw.get("token_type", "")).lower()
        if not isinstance(access, str) or not access or token_type != "bearer":  # noqa: S105
            raise self._bad_response("expected a bearer access_token in the answer")
        expires_in = raw.get("expires_in")
        try:
            lifetime = float(expires_in) if expires_in is not None else math.inf
        except (TypeError, ValueError):
            raise self._bad_response("expires_in is not a number") from None
        if not lifetime > 0:
            raise self._bad_response("expires_in is not positive")
        # measured from before the request: the server's clock started no earlier than ours
        expires_at = started + lifetime
        margin = min(self._spec.refresh_margin, lifetime / 2)
        return _Token(f"Bearer {access}", expires_at, expires_at - margin)

    def _check_response(self, response: httpx.Response) -> httpx.Response:
        """Classify every non-2xx answer (an authlib compliance hook, run before it parses)."""
        status = response.status_code
        if 200 <= status < 300:
            return response
        if retriable_status(status) or status >= 600:
            raise self._unavailable(
                f"the token endpoint answered HTTP {status}",
                parse_retry_after(response.headers.get("Retry-After")),
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        error = description = ""
        if isinstance(body, dict):
            error = str(body.get("error", ""))
            description = str(body.get("error_description", ""))
        raise self._refusal(status, error, description)

    # -- failures (never with the secret or a token) -------------------------------------------
    def _failure(self, kind: OutcomeKind, code: str, text: str, retry: float | None) -> AuthError:
        return AuthError(
            kind, code, f"destination {self.destination}: {text} ({self._host})", retry
        )

    def _unavailable(self, text: str, retry_after: float | None = None) -> AuthError:
        return self._failure("retriable", TOKEN_UNAVAILABLE, f"no OAuth token: {text}", retry_after)

    def _bad_response(self, text: str) -> AuthError:
        return self._failure("fatal", BAD_TOKEN_RESPONSE, f"unusable token response: {text}", None)

    def _refusal(self, status: int | None, error: str, description: str) -> AuthError:
        said = error or "no error code"
        if description:
            said += f": {description[:_DESCRIPTION_CHARS]}"
        where = f"HTTP {status}, " if status is not None else ""
        if error in _RETRIABLE_ERRORS:
            return self._unavailable(f"the token endpoint is unavailable ({where}{said})")
        if status == 401 or error == "invalid_client":
            return self._failure(
                "fatal",
                INVALID_CLIENT,
                f"the token endpoint refused client {self._spec.client_id} ({where}{said}); "
                "check the client id and secret, or whether the partner revoked the client",
                None,
            )
        return self._failure(
            "fatal", TOKEN_REFUSED, f"the token endpoint refused the request ({where}{said})", None
        )

    def _log_failure(self, failure: AuthError) -> None:
        log.warning(
            "oauth2 token request failed",
            extra={"destination": self.destination, "code": failure.code, "error": failure.detail},
        )


def oauth2_source(
    destination: str, spec: OAuth2Client, resolve_secret: Callable[[SecretRef], str]
) -> OAuth2TokenSource:
    """The token source for a destination; the secret is resolved here, once, not logged."""
    return OAuth2TokenSource(destination, spec, resolve_secret(spec.client_secret))
