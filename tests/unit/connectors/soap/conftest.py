"""The shared SOAP samples (read in place, never copied) and this folder's own fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import SAMPLES


@pytest.fixture
def samples() -> Path:
    root = SAMPLES / "soap"
    if not root.is_dir():
        pytest.skip(f"shared samples not found at {root}")
    return root
