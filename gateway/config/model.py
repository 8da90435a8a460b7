"""The config folder's schema, as msgspec Structs: one spec drives parsing, errors and docs.

Every field has a default where a sensible one exists, so a partner file stays a few lines long.
Structs forbid unknown fields: a typo in a key is an error at start, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Name = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
PositiveSeconds = Annotated[float, msgspec.Meta(gt=0)]


class SecretRef(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A secret named by reference, never inline: an environment variable or a file path."""

    env: str | None = None
    file: str | None = None


class Partner(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A trading partner or system that sends us messages."""

    name: Name
    display_name: str = ""
    contact: str = ""


class Channel(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """An inbound endpoint: ``POST /v1/inbound/{name}`` receives one format from one partner.

    ``mapping`` names a file under the mappings folder; without it the body must already be
    canonical and is passed through to validation unchanged.
    """

    name: Name
    partner: Name
    format: Literal["json"] = "json"
    document_type: str = "order"
    mapping: str | None = None
    contract: str = "v1"
    max_body_bytes: Annotated[int, msgspec.Meta(gt=0)] | None = None


class RetrySpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Exponential backoff with full jitter, capped, with an attempt and an age limit."""

    initial_delay: PositiveSeconds = 1.0
    max_delay: PositiveSeconds = 300.0
    multiplier: Annotated[float, msgspec.Meta(ge=1)] = 2.0
    max_attempts: Annotated[int, msgspec.Meta(ge=1)] = 8
    max_age: PositiveSeconds = 86400.0
    max_retry_after: PositiveSeconds = 3600.0


class BreakerSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Open after ``failure_threshold`` consecutive failures; probe once after ``reset_timeout``."""

    failure_threshold: Annotated[int, msgspec.Meta(ge=1)] = 5
    reset_timeout: PositiveSeconds = 30.0


class Destination(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A system we deliver to. This release speaks REST (JSON over HTTP)."""

    name: Name
    url: str
    type: Literal["rest"] = "rest"
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    timeout: PositiveSeconds = 10.0
    headers: dict[str, str] = {}
    secret_headers: dict[str, SecretRef] = {}
    retry: RetrySpec = RetrySpec()
    breaker: BreakerSpec = BreakerSpec()
    concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 8


class Route(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Send messages that match (partner, document type) to destinations. Empty match = any."""

    name: Name
    destinations: list[Name]
    partners: list[Name] = []
    document_types: list[str] = []


class Config(msgspec.Struct, frozen=True):
    """The whole config folder, after loading and cross-reference checks."""

    partners: dict[str, Partner]
    channels: dict[str, Channel]
    destinations: dict[str, Destination]
    routes: list[Route]
    mappings_dir: str
