"""The wire format: IETF RateLimit headers, Retry-After and the 429 problem."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, Request, Response, get
from litestar.testing import AsyncTestClient

from gateway.api.problems import EXCEPTION_HANDLERS
from gateway.api.ratelimit import (
    admitted_header_pairs,
    rate_limit_headers,
    rate_limited,
    retry_after_seconds,
    sf_string,
    too_many_requests,
)
from gateway.throttle.base import Decision
from gateway.throttle.memory import MemoryLimiter
from gateway.throttle.policy import Check, Outcome, Plan, RatePolicy

GOLD = Plan(rate=10, burst=100, name="gold")
ORDERS = Plan(rate=1, burst=5, name="orders")


def test_headers_on_an_admitted_request() -> None:
    outcome = Outcome(
        (
            Check("orders", ORDERS, Decision(True, 0.0, 3, 1.5, 5)),
            Check("gold", GOLD, Decision(True, 0.0, 42, 5.8, 100)),
        )
    )
    assert rate_limit_headers(outcome) == {
        "RateLimit-Policy": '"orders";q=5;w=5, "gold";q=100;w=10',
        "RateLimit": '"orders";r=3;t=2, "gold";r=42;t=6',
    }


def test_raw_pairs_of_an_admitted_request_say_what_the_headers_say() -> None:
    outcome = Outcome(
        (
            Check("orders", ORDERS, Decision(True, 0.0, 3, 1.5, 5)),
            Check("gold", GOLD, Decision(True, 0.0, 42, 5.8, 100)),
        )
    )
    pairs = admitted_header_pairs(outcome)
    expected = {k.lower(): v for k, v in rate_limit_headers(outcome).items()}
    assert {k.decode(): v.decode() for k, v in pairs} == expected
    assert [k for k, _ in pairs] == [b"ratelimit-policy", b"ratelimit"]
    assert admitted_header_pairs(Outcome(())) == []


def test_headers_on_a_refused_request_name_only_the_refusing_policy() -> None:
    outcome = Outcome(
        (
            Check("orders", ORDERS, Decision(True, 0.0, 3, 1.5, 5)),
            Check("gold", GOLD, Decision(False, 0.1, 0, 10.0, 100)),
        )
    )
    assert rate_limit_headers(outcome) == {
        "RateLimit-Policy": '"orders";q=5;w=5, "gold";q=100;w=10',
        "RateLimit": '"gold";r=0;t=1',
        "Retry-After": "1",
    }


@pytest.mark.parametrize(("wait", "header"), [(0.001, 1), (1.0, 1), (1.0000001, 1), (2.2, 3)])
def test_retry_after_rounds_up_to_whole_seconds(wait: float, header: int) -> None:
    outcome = Outcome((Check("p", GOLD, Decision(False, wait, 0, wait, 100)),))
    assert retry_after_seconds(outcome) == header


def test_policy_names_are_structured_field_strings() -> None:
    assert sf_string('a "b" \\c') == '"a \\"b\\" \\\\c"'
    with pytest.raises(ValueError, match="printable ASCII"):
        sf_string("caf\u00e9")


def test_no_checks_no_headers() -> None:
    assert rate_limit_headers(Outcome(())) == {}


POLICY = RatePolicy(default=Plan(rate=0.5, burst=2, name="default"))


def _app() -> Litestar:
    limiter = MemoryLimiter()

    @get("/returned")
    async def returned(request: Request[Any, Any, Any]) -> Response[Any]:
        outcome = await POLICY.check(limiter, "acme", "returned")
        if not outcome.allowed:
            return too_many_requests(request, outcome)
        return Response({"ok": True}, headers=rate_limit_headers(outcome))

    @get("/raised")
    async def raised() -> dict[str, bool]:
        outcome = await POLICY.check(limiter, "shop", "raised")
        if not outcome.allowed:
            raise rate_limited(outcome)
        return {"ok": True}

    return Litestar([returned, raised], exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]


async def test_429_problem_with_headers() -> None:
    async with AsyncTestClient(_app()) as client:
        ok = [await client.get("/returned") for _ in range(2)]
        assert [r.status_code for r in ok] == [200, 200]
        assert ok[0].headers["RateLimit-Policy"] == '"default";q=2;w=4'
        assert ok[0].headers["RateLimit"] == '"default";r=1;t=2'
        refused = await client.get("/returned")
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.headers["Retry-After"] == "2"
        assert refused.headers["RateLimit"] == '"default";r=0;t=2'
        body = refused.json()
        assert body["type"].endswith("/rate_limited")
        assert body["status"] == 429
        assert body["violated-policies"] == ["default"]
        assert body["retry_after"] == 2
        assert "retry after 2 s" in body["detail"]
        assert body["instance"] == "/returned"


async def test_raised_from_a_guard_or_handler() -> None:
    async with AsyncTestClient(_app()) as client:
        for _ in range(2):
            assert (await client.get("/raised")).status_code == 200
        refused = await client.get("/raised")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "2"
        assert refused.headers["RateLimit-Policy"] == '"default";q=2;w=4'
        assert refused.json()["code"] == "rate_limited"
