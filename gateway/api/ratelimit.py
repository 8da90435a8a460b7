"""Rate limits on the wire: ``RateLimit-Policy`` / ``RateLimit`` headers and the 429 problem.

Header syntax follows draft-ietf-httpapi-ratelimit-headers-11 (May 2026): both fields are
Structured Field Lists (RFC 9651) of Strings naming a policy, with parameters.

* ``RateLimit-Policy: "gold";q=100;w=10`` - a policy's quota ``q`` (our burst) and window ``w``
  in seconds (the time an empty bucket takes to refill: ``ceil(burst / rate)``). Every policy
  that applied to the request is listed.
* ``RateLimit: "gold";r=42;t=3`` - the available quota ``r`` (units that could be spent now) and
  the effective window ``t``: on an admitted request, the seconds until the bucket is full again;
  on a refused one, only the policies that refused are listed, with ``r=0`` and ``t`` equal to
  ``Retry-After`` (the draft: Retry-After must not point earlier than the effective window).
* ``Retry-After`` (RFC 9110 delay-seconds, rounded up) on every 429.

The 429 body is our RFC 9457 problem (``code: rate_limited``) with the draft's
``violated-policies`` member (its quota-exceeded problem type) and ``retry_after`` in seconds.
Policy names are sent as SF Strings, so only printable ASCII is allowed in them.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from litestar import Request, Response
from litestar.exceptions import TooManyRequestsException

from gateway.api.problems import ProblemError, problem_response
from gateway.throttle.policy import Outcome, Plan

DRAFT = "draft-ietf-httpapi-ratelimit-headers-11"


def sf_string(value: str) -> str:
    """Serialise an RFC 9651 String: printable ASCII, backslash and double quote escaped."""
    if not all(" " <= ch <= "~" for ch in value):
        msg = f"a policy name must be printable ASCII to go in a header: {value!r}"
        raise ValueError(msg)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _seconds(value: float) -> int:
    """Delay-seconds: never round a wait down."""
    return max(0, math.ceil(value - 1e-6))  # µs: what Redis rounded up, not a real wait


def retry_after_seconds(outcome: Outcome) -> int:
    """The ``Retry-After`` value for a refused outcome: at least 1 second."""
    return max(1, _seconds(outcome.retry_after))


@functools.lru_cache(maxsize=1024)
def _name(name: str) -> str:
    """A policy name as a header String; names come from config, so few and reused."""
    return sf_string(name)


@functools.lru_cache(maxsize=1024)
def _policy(checks: tuple[tuple[str, Plan], ...]) -> str:
    return ", ".join(f"{_name(name)};q={plan.burst};w={plan.window}" for name, plan in checks)


def _policy_of(outcome: Outcome) -> str:
    return _policy(tuple((c.name, c.plan) for c in outcome.checks))


def _remaining(outcome: Outcome) -> str:
    """``RateLimit`` of an admitted outcome: each policy's remaining quota and reset."""
    return ", ".join(
        f"{_name(c.name)};r={c.decision.remaining};t={_seconds(c.decision.reset_after)}"
        for c in outcome.checks
    )


def rate_limit_headers(outcome: Outcome) -> dict[str, str]:
    """``RateLimit-Policy`` and ``RateLimit`` (plus ``Retry-After`` when refused).

    The policy header depends only on the plans, so it is built once per set of plans; only
    ``RateLimit`` (remaining, reset) is formatted per request.
    """
    if not outcome.checks:
        return {}
    policy = _policy_of(outcome)
    if outcome.allowed:
        return {"RateLimit-Policy": policy, "RateLimit": _remaining(outcome)}
    wait = retry_after_seconds(outcome)
    current = ", ".join(
        f"{_name(c.name)};r=0;t={wait}" for c in outcome.checks if not c.decision.allowed
    )
    return {"RateLimit-Policy": policy, "RateLimit": current, "Retry-After": str(wait)}


@functools.lru_cache(maxsize=1024)
def _policy_pair(policy: str) -> tuple[bytes, bytes]:
    return (b"ratelimit-policy", policy.encode("latin-1"))


def admitted_header_pairs(outcome: Outcome) -> list[tuple[bytes, bytes]]:
    """An admitted outcome's headers (as :func:`rate_limit_headers`) as raw ASGI pairs.

    Every governed response carries them, so the names and the cached policy are bytes
    already; only ``RateLimit`` is formatted and encoded per request.
    """
    if not outcome.checks:
        return []
    return [_policy_pair(_policy_of(outcome)), (b"ratelimit", _remaining(outcome).encode())]


def _detail(outcome: Outcome) -> str:
    names = ", ".join(outcome.violated)
    return f"rate limit exceeded (policy {names}); retry after {retry_after_seconds(outcome)} s"


def too_many_requests(request: Request[Any, Any, Any], outcome: Outcome) -> Response[bytes]:
    """The 429 problem+json response for a refused outcome, with every header."""
    wait = retry_after_seconds(outcome)
    extra: dict[str, Any] = {"violated-policies": outcome.violated, "retry_after": wait}
    return problem_response(
        request,
        status=429,
        code="rate_limited",
        title="Too many requests",
        detail=_detail(outcome),
        headers=rate_limit_headers(outcome),
        **extra,
    )


def rate_limited(outcome: Outcome) -> TooManyRequestsException:
    """An exception to raise from a guard; our handlers turn it into the 429 problem + headers.

    (The body then carries ``code``, ``title`` and ``detail`` but not the extension members;
    return :func:`too_many_requests` where a handler can return a response.)
    """
    return TooManyRequestsException(detail=_detail(outcome), headers=rate_limit_headers(outcome))


def rate_limited_problem(outcome: Outcome) -> ProblemError:
    """The 429 problem for a refused outcome (body members and headers per the IETF draft)."""
    wait = retry_after_seconds(outcome)
    names = ", ".join(outcome.violated)
    extra: dict[str, Any] = {"violated-policies": outcome.violated, "retry_after": wait}
    return ProblemError(
        429,
        "rate_limited",
        "Too many requests",
        f"rate limit exceeded (policy {names}); retry after {wait} s",
        headers=rate_limit_headers(outcome),
        **extra,
    )
