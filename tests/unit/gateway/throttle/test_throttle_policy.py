"""Plans per partner and per route, run on every backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import pytest

from gateway.throttle.policy import Plan, RatePolicy

if TYPE_CHECKING:
    from conftest import Backend

POLICY = RatePolicy(
    default=Plan(rate=1.0, burst=3),
    partners={"acme": Plan(rate=10.0, burst=5, name="gold")},
    routes={"POST /v1/orders": Plan(rate=1.0, burst=2, name="orders")},
)


def test_limits_most_specific_first() -> None:
    assert POLICY.limits("acme", "POST /v1/orders") == [
        ("orders", "route:POST /v1/orders:acme", POLICY.routes["POST /v1/orders"]),
        ("gold", "subject:acme", POLICY.partners["acme"]),
    ]
    assert POLICY.limits("shop", "GET /v1/orders") == [("default", "subject:shop", POLICY.default)]
    unnamed = RatePolicy(default=Plan(1, 1), routes={"tok": Plan(1, 1)})
    assert unnamed.limits("x", "tok")[0][0] == "route tok"


def test_plan_window_and_validation() -> None:
    assert Plan(rate=10, burst=100).window == 10
    assert Plan(rate=3, burst=10).window == 4
    assert Plan(rate=100, burst=1).window == 1
    with pytest.raises(ValueError, match="burst"):
        Plan(rate=1, burst=0)


def test_policy_decodes_from_config() -> None:
    raw = b'{"default": {"rate": 2, "burst": 4}, "partners": {"acme": {"rate": 5, "burst": 9}}}'
    policy = msgspec.json.decode(raw, type=RatePolicy)
    assert policy.partners["acme"] == Plan(5, 9)
    with pytest.raises(msgspec.ValidationError, match="burst"):
        msgspec.json.decode(b'{"default": {"rate": 2, "burst": 0}}', type=RatePolicy)


async def test_partner_plan_applies_across_routes(backend: Backend) -> None:
    limiter = backend.limiter
    outcomes = [await POLICY.check(limiter, "shop", f"GET /r{i}") for i in range(4)]
    assert [o.allowed for o in outcomes] == [True, True, True, False]
    assert outcomes[3].violated == ["default"]
    assert outcomes[3].retry_after == pytest.approx(1.0, abs=backend.slack)


async def test_route_plan_refuses_first_and_spares_the_partner_quota(backend: Backend) -> None:
    limiter = backend.limiter
    route = "POST /v1/orders"
    outcomes = [await POLICY.check(limiter, "acme", route) for _ in range(3)]
    assert [o.allowed for o in outcomes] == [True, True, False]
    assert [c.name for c in outcomes[0].checks] == ["orders", "gold"]
    assert [c.name for c in outcomes[2].checks] == ["orders"]  # partner quota not touched
    assert outcomes[2].violated == ["orders"]
    other = await POLICY.check(limiter, "acme", "GET /v1/orders")
    assert other.allowed
    assert other.checks[0].decision.remaining == 2  # 5 - 2 admitted orders - this one
    assert (await POLICY.check(limiter, "shop", route)).allowed  # another partner's bucket
