"""The config folder's schema, as msgspec Structs: one spec drives parsing, errors and docs.

Every field has a default where a sensible one exists, so a partner file stays a few lines long.
Structs forbid unknown fields: a typo in a key is an error at start, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from connectors.webhook.base import DEFAULT_TOLERANCE
from connectors.webhook.generic import HmacOptions

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

    ``mapping`` names a file under the mappings folder explicitly. Without it the map stage uses
    ``<partner>/<document_type>.yaml`` under the mappings folder when that file exists, and
    otherwise the body must already be canonical and is passed through to validation unchanged.
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


WEBHOOK_CHANNEL_PREFIX = "webhook:"


class WebhookSource(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A partner's signed webhooks: ``POST /v1/inbound/webhooks/{name}``, verified by ``scheme``.

    ``scheme`` names a verifier in ``connectors.webhook.SCHEMES``; ``secrets`` lists one secret
    reference, or several while one rotates (any one verifies). ``options`` configures the
    generic ``hmac`` scheme. ``tolerance`` bounds a signed timestamp's age, where the scheme has
    one. Accepted bodies are processed like a JSON channel's (``document_type``, ``mapping``,
    ``contract``) under the channel name ``webhook:<name>``.
    """

    name: Name
    partner: Name
    scheme: str
    secrets: Annotated[list[SecretRef], msgspec.Meta(min_length=1)]
    options: HmacOptions | None = None
    tolerance: PositiveSeconds = DEFAULT_TOLERANCE
    document_type: str = "order"
    mapping: str | None = None
    contract: str = "v1"

    @property
    def channel_name(self) -> str:
        """The channel name journaled messages from this source carry."""
        return WEBHOOK_CHANNEL_PREFIX + self.name

    def as_channel(self) -> Channel:
        """The JSON channel the pipeline processes this source's messages as."""
        return Channel(
            name=self.name,
            partner=self.partner,
            document_type=self.document_type,
            mapping=self.mapping,
            contract=self.contract,
        )


class Config(msgspec.Struct, frozen=True):
    """The whole config folder, after loading and cross-reference checks."""

    partners: dict[str, Partner]
    channels: dict[str, Channel]
    destinations: dict[str, Destination]
    routes: list[Route]
    mappings_dir: str
    webhooks: dict[str, WebhookSource] = {}

    def channel_for(self, name: str) -> Channel | None:
        """The channel a journaled message names: a channel, or ``webhook:<source>``."""
        if name.startswith(WEBHOOK_CHANNEL_PREFIX):
            source = self.webhooks.get(name.removeprefix(WEBHOOK_CHANNEL_PREFIX))
            return None if source is None else source.as_channel()
        return self.channels.get(name)
