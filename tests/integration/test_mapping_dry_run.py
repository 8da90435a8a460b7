"""``POST /v1/mappings/dry-run``: 200 with canonical JSON, or 422 problem+json saying where.

The route runs in a small app of its own (the gateway's app registers it too) over a real
socket-free ASGI client, against the repository's own mappings folder.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from gateway.api.mapping_dry_run import mapping_dry_run
from gateway.api.problems import EXCEPTION_HANDLERS
from gateway.auth import AuthService
from gateway.mapping import MappingRegistry
from tests.support import OPS_SCOPES, auth_headers

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
DEMO = MAPPINGS / "demo-shop" / "examples"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = Litestar(
        route_handlers=[mapping_dry_run],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
    )
    app.state.gateway = SimpleNamespace(mappings=MappingRegistry(MAPPINGS))
    app.state.auth = AuthService(tmp_path)
    await app.state.auth.open()
    async with AsyncTestClient(app=app) as test_client:
        # an operations client: dry-runs any partner's mappings (isolation: test_governance)
        test_client.headers.update(await auth_headers(tmp_path, "ops", OPS_SCOPES))
        yield test_client


def _url(partner: str = "demo-shop", doc_type: str = "order") -> str:
    return f"/v1/mappings/dry-run?partner={partner}&type={doc_type}"


async def test_a_good_sample_answers_the_canonical_json(client: AsyncTestClient[Litestar]) -> None:
    r = await client.post(_url(), content=(DEMO / "order-1.json").read_bytes())
    assert r.status_code == 200, r.text
    assert r.headers["x-crossdock-mapping"] == "demo-shop/order.yaml"
    expected = json.loads((DEMO / "order-1.expected.json").read_text("utf-8"))
    assert r.json() == expected


async def test_a_map_failure_names_file_line_expression_path_and_value(
    client: AsyncTestClient[Litestar],
) -> None:
    doc = json.loads((DEMO / "order-1.json").read_text("utf-8"))
    doc["order"]["items"][1]["qty"] = "lots"
    r = await client.post(_url(), content=json.dumps(doc).encode())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["stage"] == "map"
    assert body["code"] == "map_expression_failed"
    assert body["mapping"] == "demo-shop/order.yaml"
    assert body["file"].endswith("demo-shop/order.yaml")
    lines = (MAPPINGS / "demo-shop" / "order.yaml").read_text("utf-8").splitlines()
    assert "dec(qty)" in lines[body["line"] - 1]
    assert body["expression"] == "dec(qty)"
    assert body["path"] == "lines[1].quantity.value"
    assert body["found"] == '"lots"'
    assert body["partner"] == "demo-shop"


async def test_a_contract_failure_names_the_field_path(client: AsyncTestClient[Litestar]) -> None:
    doc = json.loads((DEMO / "order-1.json").read_text("utf-8"))
    doc["order"]["currency"] = "euro"
    r = await client.post(_url(), content=json.dumps(doc).encode())
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["stage"] == "validate"
    assert body["code"] == "contract_violation"
    assert body["path"] == "$.currency"


async def test_malformed_json_and_bad_names(client: AsyncTestClient[Litestar]) -> None:
    r = await client.post(_url(), content=b'{"order": ')
    assert r.status_code == 422, r.text
    assert r.json()["stage"] == "decode"
    r = await client.post(_url(partner="../etc"), content=b"{}")
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_query"
    r = await client.post("/v1/mappings/dry-run?partner=demo-shop", content=b"{}")
    assert r.status_code == 400, r.text


async def test_a_partner_without_a_mapping_is_validated_as_canonical(
    client: AsyncTestClient[Litestar],
) -> None:
    canonical = json.loads((DEMO / "order-1.expected.json").read_text("utf-8"))
    r = await client.post(_url(partner="nobody"), content=json.dumps(canonical).encode())
    assert r.status_code == 200, r.text
    assert r.headers["x-crossdock-mapping"] == "(canonical pass-through)"
    assert r.json() == canonical
