"""What config says about a SOAP endpoint and a SOAP destination's application errors."""

from __future__ import annotations

from typing import Literal

import msgspec


class SoapEndpointSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """An inbound SOAP endpoint's contract: its WSDL and how to find what it imports offline.

    ``wsdl`` is a local path; without one, envelopes are dispatched by the Body's first element
    (``{namespace}LocalName``), converted generically and not schema-validated. ``service`` and
    ``port`` pick the binding when the WSDL has several (default: the first). ``schema_locations``
    maps an absolute import URL to a local copy; anything unmapped and remote is refused.
    ``document_types`` names the document type per operation; ``document_type`` is the default.
    """

    wsdl: str | None = None
    service: str | None = None
    port: str | None = None
    schema_locations: dict[str, str] = {}
    document_type: str = "order"
    document_types: dict[str, str] = {}


class AppErrorRule(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """An application error inside a 200 response (e.g. Chronopost's ``errorCode``).

    Give ``element`` (a local name, the first match under the Body) or ``xpath`` (with
    ``namespaces``). The response is a failure when the value found is not one of ``ok``;
    ``message_element`` names the element whose text explains it. ``kind`` says what to do.
    """

    element: str | None = None
    xpath: str | None = None
    namespaces: dict[str, str] = {}
    ok: list[str] = msgspec.field(default_factory=lambda: ["0"])
    message_element: str | None = None
    kind: Literal["fatal", "retriable"] = "fatal"
    missing_is_error: bool = False
