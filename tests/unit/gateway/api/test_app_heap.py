"""The app freezes its start-up heap only when it owns the process (``crossdock serve``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from gateway.app import create_app
from gateway.runtime import Gateway
from gateway.serve import uvicorn_config
from gateway.settings import load_settings
from tests.support import write_config


@pytest.fixture
def gateway(tmp_path: Path) -> Gateway:
    write_config(tmp_path, {})
    settings = load_settings(
        environ={},
        config_dir=str(tmp_path / "config"),
        data_dir=str(tmp_path / "data"),
        port=0,
        workers_enabled=False,
    )
    return Gateway(settings)


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite keeps collecting what these tests froze


@pytest.mark.usefixtures("thawed")
async def test_serving_alone_freezes_what_start_up_left_alive(gateway: Gateway) -> None:
    app = uvicorn_config(gateway, own_process=True).app
    async with AsyncTestClient(app) as client:
        assert gc.get_freeze_count() > 0
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.usefixtures("thawed")
async def test_an_app_in_a_shared_process_leaves_the_collector_alone(gateway: Gateway) -> None:
    async with AsyncTestClient(create_app(gateway)) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert gc.get_freeze_count() == 0
