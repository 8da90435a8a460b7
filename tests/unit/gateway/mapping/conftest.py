"""Helpers: write mapping files (and their tables) into a temp folder and compile them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.mapping import Mapping, load_mapping

Write = Callable[[str, str], Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """write("a/b.yaml", text) -> path; text is dedented so tests can indent it."""

    def _write(relative: str, text: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def compile_fields(write: Write) -> Callable[[str], Mapping]:
    """Compile a mapping from the body of its `fields:` section (dedented)."""

    def _compile(fields: str, *, header: str = "") -> Mapping:
        body = textwrap.indent(textwrap.dedent(fields).strip("\n"), "  ")
        text = textwrap.dedent(header).strip("\n") + "\nfields:\n" + body + "\n"
        return load_mapping(write("m.yaml", text))

    return _compile


@pytest.fixture
def evaluate(compile_fields: Callable[[str], Mapping]) -> Callable[[str, Any], Any]:
    """evaluate(expr, data) -> the value of one expression (None when the field is absent)."""

    def _evaluate(expression: str, data: Any) -> Any:
        quoted = expression.replace("\\", "\\\\").replace('"', '\\"')
        return compile_fields(f'out: "{quoted}"').apply(data).get("out")

    return _evaluate
