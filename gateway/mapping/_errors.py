"""Errors of the mapping engine: one for a bad mapping file, internal ones for ``apply()``.

A bad file is reported once, at compile time, with the file and line an integrator must open.
A failure while mapping a document is raised as :class:`FieldError` deep inside the plan; every
enclosing node adds its own path segment while the exception passes through, so the success
path never builds a field path it does not need. ``Mapping.apply`` turns it into a ``MapError``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectors.errors import MapError

PREVIEW_CHARS = 160
"""How much of an offending value an error message quotes; enough to recognise it, not a dump."""


class MappingFileError(MapError):
    """A mapping, code list or crosswalk file cannot be compiled.

    It is a ``MapError`` (stage ``map``, kind ``fatal``) because a mapping that no longer compiles
    is a map-stage failure for every document that needs it, and a human must fix the file.
    """

    def __init__(
        self,
        file: Path | str,
        line: int | None,
        problem: str,
        *,
        expression: str | None = None,
        field: str | None = None,
    ) -> None:
        where = f"{file}:{line}" if line is not None else str(file)
        message = f"{where}: {problem}"
        if field:
            message += f" (field `{field}`)"
        if expression is not None:
            message += f"; expression: {expression}"
        super().__init__(message, code="map_file_invalid", path=field)
        self.file = str(file)
        self.line = line
        self.problem = problem
        self.expression = expression


class DocumentMapError(MapError):
    """A document failed to map: a ``MapError`` that also carries its parts as data.

    ``file``, ``line`` and ``expression`` say where the mapping failed (the message says so too),
    so the dry-run API can return them as fields instead of making clients parse prose.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        path: str | None,
        found: str,
        file: str,
        line: int,
        expression: str,
    ) -> None:
        super().__init__(message, code=code, path=path, found=found)
        self.file = file
        self.line = line
        self.expression = expression


class FunctionError(ValueError):
    """A mapping function refused its input; ``found`` is the value to quote in the message."""

    def __init__(self, message: str, found: Any) -> None:
        super().__init__(message)
        self.found = found


class FieldError(Exception):
    """A field could not be mapped; ``path`` collects segments innermost first while unwinding."""

    def __init__(
        self, code: str, reason: str, *, file: str, line: int, expression: str, found: Any
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
        self.expression = expression
        self.found = found
        self.path: list[str | int] = []

    def render_path(self) -> str:
        """Target path like ``lines[3].quantity.value``, from the segments gathered on the way."""
        out: list[str] = []
        for segment in reversed(self.path):
            if isinstance(segment, int):
                out.append(f"[{segment}]")
            else:
                out.append(f".{segment}" if out else segment)
        return "".join(out)

    def to_map_error(self) -> MapError:
        """The public error: file, line, expression and a truncated copy of the value found."""
        path = self.render_path()
        found = preview(self.found)
        message = (
            f"{self.file}:{self.line}: field `{path or '.'}`: {self.reason}; "
            f"expression: {self.expression}; found: {found}"
        )
        return DocumentMapError(
            message,
            code=self.code,
            path=path or None,
            found=found,
            file=self.file,
            line=self.line,
            expression=self.expression,
        )


def preview(value: Any) -> str:
    """Quote a value as JSON, cut to ``PREVIEW_CHARS``, for messages operators read."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    if len(text) > PREVIEW_CHARS:
        text = text[: PREVIEW_CHARS - 1] + "…"
    return text
