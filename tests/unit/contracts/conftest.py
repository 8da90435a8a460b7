"""Shared fixtures for the contracts tests: the realistic example payloads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent / "examples"

LoadExample = Callable[[str], dict[str, Any]]


def _load_example(document_type: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{document_type}.json").read_text("utf-8"))
    return data


@pytest.fixture
def examples_dir() -> Path:
    """Folder of realistic, canonical JSON payloads, one per document type."""
    return EXAMPLES


@pytest.fixture
def load_example() -> LoadExample:
    """Load examples/<document_type>.json as a JSON-shaped dict."""
    return _load_example
