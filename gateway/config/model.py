"""The config folder's schema, as msgspec Structs: one spec drives parsing, errors and docs.

Every field has a default where a sensible one exists, so a partner file stays a few lines long.
Structs forbid unknown fields: a typo in a key is an error at start, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from connectors.soap import SoapEndpointSpec
from connectors.webhook.base import DEFAULT_TOLERANCE
from connectors.webhook.generic import HmacOptions
from gateway.config.api import ApiSpec
from gateway.config.versions import VersionsSpec
from gateway.config.x12 import X12PartnerSettings
from gateway.config.x12_outbound import X12Outbound

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
    x12: X12PartnerSettings | None = None  # acks and ids: docs/x12-acknowledgements.md


class Channel(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """An inbound endpoint: ``POST /v1/inbound/{name}`` receives one format from one partner.

    ``mapping`` names a file under the mappings folder explicitly. Without it the map stage uses
    ``<partner>/<document_type>.yaml`` under the mappings folder when that file exists, and
    otherwise the body must already be canonical and is passed through to validation unchanged.

    ``duplicate_window`` (``x12`` channels only, seconds): an interchange whose sender, receiver
    and ISA13 match one the partner sent within this window is refused with 409
    ``duplicate_interchange``; ``0`` or ``null`` turns the check off. Other formats ignore it.

    ``drop_folder`` (``x12`` channels only): a folder watched for interchange files, accepted as
    if POSTed here (docs/x12-drop-folder.md); relative to the config folder, made absolute at load.
    """

    name: Name
    partner: Name
    format: Literal["json", "x12", "soap"] = "json"
    document_type: str = "order"
    mapping: str | None = None
    contract: str = "v1"
    max_body_bytes: Annotated[int, msgspec.Meta(gt=0)] | None = None
    soap: SoapEndpointSpec | None = None  # set for ``soap:<endpoint>`` channels (soap.yaml)
    duplicate_window: Annotated[float, msgspec.Meta(ge=0)] | None = 86400.0
    drop_folder: str | None = None


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
    """A system we deliver to: REST (JSON over HTTP) or SOAP (``soap:``, docs/soap-outbound.md).

    ``url`` is required for REST; a SOAP destination may leave it out to use the WSDL's address.
    """

    name: Name
    url: str = ""
    type: Literal["rest", "soap"] = "rest"
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    timeout: PositiveSeconds = 10.0
    headers: dict[str, str] = {}
    secret_headers: dict[str, SecretRef] = {}
    retry: RetrySpec = RetrySpec()
    breaker: BreakerSpec = BreakerSpec()
    concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 8
    soap: SoapDestinationSpec | None = None  # type: soap: WSDL, operation, arguments, wsse
    contract: Literal["v1", "v2"] = "v1"  # version of the documents it receives (versioning.md)
    x12: X12Outbound | None = None  # send as X12: partner, reverse mapping (x12_outbound.py)
    oauth2: OAuth2Client | None = None  # bearer tokens, client credentials (outbound-oauth2.md)


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


SOAP_CHANNEL_PREFIX = "soap:"


class SoapEndpoint(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A partner's SOAP endpoint: ``POST /v1/inbound/soap/{name}``, described by a local WSDL.

    ``wsdl`` and the ``schema_locations`` values are paths relative to the config folder (made
    absolute at load). Without ``wsdl`` envelopes are dispatched by their Body element and not
    schema-validated. ``document_types`` maps an operation to a document type; ``document_type``
    is the default. Accepted envelopes are processed under the channel name ``soap:<name>``.
    """

    name: Name
    partner: Name
    wsdl: str | None = None
    service: str | None = None
    port: str | None = None
    schema_locations: dict[str, str] = {}
    document_type: str = "order"
    document_types: dict[str, str] = {}
    mapping: str | None = None
    contract: str = "v1"
    max_body_bytes: Annotated[int, msgspec.Meta(gt=0)] | None = None
    auth: Literal["bearer", "none"] = "bearer"
    """``bearer``: an OAuth access token of this partner with scope ``messages:write`` (as the
    REST API). ``none``: for a legacy ERP that cannot do OAuth; only behind a network control
    (mTLS or an allow-list at the proxy): anyone who reaches the endpoint sends as the partner."""

    @property
    def channel_name(self) -> str:
        """The channel name journaled messages from this endpoint carry."""
        return SOAP_CHANNEL_PREFIX + self.name

    @property
    def spec(self) -> SoapEndpointSpec:
        """What the SOAP connector needs to load the WSDL and read envelopes."""
        return SoapEndpointSpec(
            wsdl=self.wsdl,
            service=self.service,
            port=self.port,
            schema_locations=self.schema_locations,
            document_type=self.document_type,
            document_types=self.document_types,
        )

    def as_channel(self) -> Channel:
        """The SOAP channel the pipeline processes this endpoint's messages as."""
        return Channel(
            name=self.name,
            partner=self.partner,
            format="soap",
            document_type=self.document_type,
            mapping=self.mapping,
            contract=self.contract,
            max_body_bytes=self.max_body_bytes,
            soap=self.spec,
        )


class Config(msgspec.Struct, frozen=True):
    """The whole config folder, after loading and cross-reference checks."""

    partners: dict[str, Partner]
    channels: dict[str, Channel]
    destinations: dict[str, Destination]
    routes: list[Route]
    mappings_dir: str
    webhooks: dict[str, WebhookSource] = {}
    soap: dict[str, SoapEndpoint] = {}
    subscriptions: dict[str, Subscription] = {}  # outbound webhooks (subscriptions.yaml)
    api: ApiSpec = ApiSpec()  # partner API plans and token limits (api.yaml)
    versions: VersionsSpec = VersionsSpec()  # API version deprecations (versions.yaml)

    def subscription_for(self, destination: str) -> Subscription | None:
        """The subscription a ``subscription:<name>`` delivery goes to (None for others)."""
        if not destination.startswith(SUBSCRIPTION_PREFIX):
            return None
        return self.subscriptions.get(destination.removeprefix(SUBSCRIPTION_PREFIX))

    def channel_for(self, name: str) -> Channel | None:
        """A journaled message's channel: a channel, ``webhook:``, ``soap:`` or ``api:`` one.

        ``webhook:<source>``, ``soap:<endpoint>`` and ``api:<document_type>`` (a REST
        resource's POST, see :func:`api_channel`) are made from their own config.
        """
        if name.startswith(SOAP_CHANNEL_PREFIX):
            endpoint = self.soap.get(name.removeprefix(SOAP_CHANNEL_PREFIX))
            return None if endpoint is None else endpoint.as_channel()
        if name.startswith(WEBHOOK_CHANNEL_PREFIX):
            source = self.webhooks.get(name.removeprefix(WEBHOOK_CHANNEL_PREFIX))
            return None if source is None else source.as_channel()
        if name.startswith(API_CHANNEL_PREFIX):
            return api_channel(name.removeprefix(API_CHANNEL_PREFIX))
        return self.channels.get(name)


API_CHANNEL_PREFIX = "api:"


def api_channel(document_type: str, contract: str = "v1") -> Channel:
    """The channel of documents POSTed to a REST resource (``api:<document_type>``).

    The body was decoded strictly against its contract before it was journaled, so it is
    canonical already (in ``contract``, v1 unless the media type names another): no mapping
    applies. The channel's partner is ``api:``, which no partner
    name can be, so the map stage never picks up a partner's EDI mapping for these documents.
    """
    return Channel(
        name=API_CHANNEL_PREFIX + document_type,
        partner=API_CHANNEL_PREFIX,
        document_type=document_type,
        contract=contract,
    )


def wire_contract(content_type: str) -> str | None:
    """The ``contract`` parameter of a journaled API body's media type (``; contract=v2``).

    A REST resource of another contract version journals the partner's bytes exactly and says
    which version they are in here, so the validate stage converts them to canonical v1.
    """
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "contract" and value.strip():
            return value.strip().strip('"')
    return None


# Last, because subscriptions.py builds on the specs above (RetrySpec, SecretRef...): by the time
# it imports them they exist, and Config's annotation resolves once this line has run.
from gateway.config.oauth2 import OAuth2Client  # noqa: E402
from gateway.config.soap_destination import SoapDestinationSpec  # noqa: E402
from gateway.config.subscriptions import (  # noqa: E402
    SUBSCRIPTION_PREFIX,
    Subscription,
)
