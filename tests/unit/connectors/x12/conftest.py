"""The shared-samples fixture for the X12 tests (helpers live in _x12_build)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _x12_build import samples_dir


@pytest.fixture
def samples() -> Path:
    root = samples_dir()
    if not root.is_dir():
        pytest.skip(f"shared samples not found at {root}")
    return root
