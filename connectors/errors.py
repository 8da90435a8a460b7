"""The error tree every stage raises, translated at the boundary (HTTP, journal, CLI).

An error says *where* (stage), *what to do about it* (kind) and *what exactly* (code, path, the
partner's words). Operations sort dead letters by these fields, so they are data, not prose:

- ``fatal``: a human must act (fix the mapping, the partner's data, the destination's config);
- ``retriable``: the same work may succeed later (a timeout, a 503, a 429);
- ``skippable``: the work is not needed (a duplicate, a document type nobody routes).
"""

from __future__ import annotations

from typing import Literal

Stage = Literal["accept", "decode", "map", "validate", "route", "deliver"]
Kind = Literal["fatal", "retriable", "skippable"]


class StageError(Exception):
    """A failure at one pipeline stage, with enough detail to find and fix the cause."""

    stage: Stage = "decode"

    def __init__(
        self,
        message: str,
        *,
        code: str,
        kind: Kind = "fatal",
        path: str | None = None,
        found: str | None = None,
        stage: Stage | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind: Kind = kind
        self.path = path
        self.found = found
        if stage is not None:
            self.stage = stage

    def as_dict(self) -> dict[str, str]:
        """Render for the journal and problem+json bodies; omits what is unknown."""
        out = {"stage": self.stage, "kind": self.kind, "code": self.code, "message": self.message}
        if self.path is not None:
            out["path"] = self.path
        if self.found is not None:
            out["found"] = self.found
        return out


class DecodeError(StageError):
    """The bytes are not a well-formed document of the channel's format."""

    stage: Stage = "decode"


class MapError(StageError):
    """A mapping file could not turn the document tree into a canonical shape."""

    stage: Stage = "map"


class ValidateError(StageError):
    """The mapped document does not satisfy its contract."""

    stage: Stage = "validate"


class RouteError(StageError):
    """No route could be chosen, or a route rule failed."""

    stage: Stage = "route"


class DeliverError(StageError):
    """A destination refused or could not take a delivery."""

    stage: Stage = "deliver"
