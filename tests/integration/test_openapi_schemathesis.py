"""schemathesis against the live gateway: the generated OpenAPI 3.1 document, then every
operation fuzzed with a valid token: no 5xx, and every response conforms to the document
(status code declared, content type, headers, body schema).

The gateway runs under uvicorn on 127.0.0.1 in a thread with its own event loop, because
schemathesis calls it synchronously. The token belongs to an operations client that also holds
the partner scopes and whose partner owns the test channel, so every route is reachable; the
plans in ``api.yaml`` admit the whole run, so a 429 would be a finding, not noise.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.runtime import Gateway
from gateway.serve import uvicorn_config
from gateway.settings import load_settings
from tests.support import OPS_SCOPES, PARTNER_SCOPES, mint_token, order, write_config

#: What the API promises: no 5xx, and every answer as documented (status, media type, headers,
#: body). Not schemathesis's acceptance heuristics: whether a partner's document is accepted
#: depends on its channel, mapping and contract, which the OpenAPI schema cannot express.
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 20  # per operation: keeps the whole run well under a minute on two shared cores


class _ThreadServer:
    """uvicorn in a daemon thread (its own loop), stopped by flag and joined."""

    def __init__(self, gateway: Gateway) -> None:
        config = uvicorn_config(gateway)
        self.server = uvicorn.Server(config)
        self.server.capture_signals = contextlib.nullcontext  # type: ignore[assignment,method-assign]
        self.thread = threading.Thread(target=self._run, name="schemathesis-gateway", daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The gateway (workers on) with one message done and one dead-lettered at validate."""
    root = tmp_path_factory.mktemp("schemathesis")
    cfg = write_config(root, {})
    plan = {"rate": 100000, "burst": 100000, "name": "fuzz"}
    (cfg / "api.yaml").write_text(yaml.safe_dump({"rate_limits": {"default": plan}}))
    settings_ = load_settings(
        environ={},
        config_dir=str(cfg),
        data_dir=str(root / "data"),
        port=0,
        poll_interval=0.05,
    )
    token = asyncio.run(mint_token(root / "data", "acme", f"{PARTNER_SCOPES} {OPS_SCOPES}"))
    headers = {"Authorization": f"Bearer {token}"}
    with _ThreadServer(Gateway(settings_)) as base:
        bad = order("PO-BAD")
        bad["lines"][0]["line_number"] = "one"  # fails the contract: a dead letter
        for body in (order(), bad):
            httpx.post(f"{base}/v1/inbound/json", json=body, headers=headers).raise_for_status()
        deadline = time.monotonic() + 20
        while not httpx.get(f"{base}/v1/ops/dead-letters", headers=headers).json()["items"]:
            assert time.monotonic() < deadline, "no dead letter appeared"
            time.sleep(0.05)
        yield base, headers


@pytest.fixture(scope="module")
def api_schema(live: tuple[str, dict[str, str]]) -> Any:
    base, _ = live
    return schemathesis.openapi.from_url(f"{base}/schema/openapi.json")


def test_the_document_is_openapi_3_1_and_declares_bearer_auth(
    live: tuple[str, dict[str, str]],
) -> None:
    base, _ = live
    document = httpx.get(f"{base}/schema/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["type"] == "http"
    assert schemes["bearer"]["scheme"] == "bearer"
    governed = document["paths"]["/v1/messages/{message_id}"]["get"]
    assert governed["security"] == [{"bearer": ["messages:read"]}]
    assert {"401", "403", "429"} <= set(governed["responses"])
    assert "security" not in document["paths"]["/.well-known/jwks.json"]["get"]


def test_the_document_declares_idempotency_key_where_it_is_honoured(
    live: tuple[str, dict[str, str]],
) -> None:
    """Every POST that honours the key says so (header, 409, 422); the others do not."""
    base, _ = live
    paths = httpx.get(f"{base}/schema/openapi.json").json()["paths"]
    keyed = {
        path
        for path, item in paths.items()
        if "post" in item
        and any(p["name"] == "Idempotency-Key" for p in item["post"].get("parameters", []))
    }
    assert {
        "/v1/orders",
        "/v2/orders",
        "/v1/inbound/{channel}",
        "/v1/ops/replay",
        "/v1/ops/dead-letters/{dead_letter_id}/redeliver",
        "/v1/ops/subscriptions/{name}/enable",
    } <= keyed
    assert not keyed & {"/oauth2/token", "/v1/inbound/webhooks/{source}", "/v1/mappings/dry-run"}
    for path in keyed:
        answers = paths[path]["post"]["responses"]
        assert "idempotency_key_in_use" in answers["409"]["description"], path
        assert "idempotency_key_reused" in answers["422"]["description"], path
    # a route's own 409 keeps its meaning, with the key's added
    inbound_409 = paths["/v1/inbound/{channel}"]["post"]["responses"]["409"]["description"]
    assert inbound_409.startswith("duplicate_interchange")


def test_real_resources_conform(api_schema: Any, live: tuple[str, dict[str, str]]) -> None:
    """Random ids never hit a real message or dead letter; these calls do, in every 2xx shape."""
    base, headers = live
    [dead] = httpx.get(f"{base}/v1/ops/dead-letters", headers=headers).json()["items"]
    calls = [
        ("/v1/messages/{message_id}", "GET", {"message_id": dead["message_id"]}, None),
        ("/v1/ops/dead-letters/{dead_letter_id}", "GET", {"dead_letter_id": dead["id"]}, None),
        ("/v1/ops/dead-letters", "GET", {}, None),
        (
            "/v1/ops/dead-letters/{dead_letter_id}/discard",
            "POST",
            {"dead_letter_id": dead["id"]},
            {"reason": "conformance test"},
        ),
        ("/v1/ops/audit", "GET", {}, None),
    ]
    for path, method, params, body in calls:
        operation = api_schema[path][method]
        case = operation.Case(path_parameters=params, body=body, media_type="application/json")
        if body is None:
            case = operation.Case(path_parameters=params)
        response = case.call_and_validate(base_url=base, headers=headers, checks=CONFORMANCE)
        assert response.status_code == 200, (path, response.text)
    audit = httpx.get(f"{base}/v1/ops/audit", headers=headers).json()["items"]
    assert [entry["action"] for entry in audit] == ["discard"]


def _fuzz(operation: Any, base: str, headers: dict[str, str], seen: list[int]) -> None:
    """Hypothesis over one operation's cases (schemathesis's pytest plugin predates pytest 9,
    so the operations are driven directly, one after another)."""
    checks = [not_a_server_error] if operation.path == "/metrics" else CONFORMANCE

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call_and_validate(base_url=base, headers=headers, checks=checks)
        seen.append(response.status_code)

    run()


def test_every_operation_conforms_and_never_fails(
    api_schema: Any, live: tuple[str, dict[str, str]]
) -> None:
    base, headers = live
    failures: dict[str, str] = {}
    seen: list[int] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        try:
            _fuzz(operation, base, headers, seen)
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported together below
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    # the token got every request past auth and the plan never ran out: the routes were fuzzed,
    # not their guards
    assert len(seen) > 100
    assert 401 not in seen
    assert 429 not in seen
    assert sum(200 <= status < 300 for status in seen) > 20
