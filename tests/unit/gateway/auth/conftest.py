"""Fixtures for the auth tests: an opened AuthService in a temp data folder, and one client."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.auth import AuthService, IssuedSecret
from tests.unit.gateway.auth.auth_support import CONFIG


@pytest.fixture
async def service(tmp_path: Path) -> AuthService:
    svc = AuthService(tmp_path, CONFIG)
    await svc.open()
    return svc


@pytest.fixture
async def acme(service: AuthService) -> IssuedSecret:
    return await service.store.add("acme", "orders:write ops:read")
