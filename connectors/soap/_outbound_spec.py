"""What config says about a SOAP destination: the WSDL, the operation and its arguments.

Secrets are not here: the gateway resolves the WS-Security password from its secret reference
and hands the deliverer a :class:`UsernameCredentials`, so nothing in this module (or its repr)
can carry a password into a log line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import msgspec

from connectors.soap._spec import AppErrorRule

DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024


class SoapCallSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One operation of a WSDL, called once per delivery with arguments from the payload.

    ``arguments`` maps each input parameter (a child of the operation's Body element) to a
    JMESPath expression over the canonical JSON document; an expression that yields null leaves
    the parameter out. ``wsdl`` and the ``schema_locations`` values are local paths; the WSDL is
    loaded offline. ``service``/``port`` pick the binding (default: the first).

    The delivery's idempotency key goes in the HTTP header ``idempotency_header`` (null: none),
    in a SOAP header element ``idempotency_element`` (Clark notation, ``{namespace}Name``) and/or
    in the parameter ``idempotency_argument``, whichever the destination deduplicates on.
    ``app_error`` finds an application error inside a 200 answer (see :class:`AppErrorRule`).
    """

    wsdl: str
    operation: str
    arguments: dict[str, str] = {}
    service: str | None = None
    port: str | None = None
    schema_locations: dict[str, str] = {}
    app_error: AppErrorRule | None = None
    idempotency_header: str | None = "Idempotency-Key"
    idempotency_element: str | None = None
    idempotency_argument: str | None = None
    max_response_bytes: Annotated[int, msgspec.Meta(gt=0)] = DEFAULT_MAX_RESPONSE_BYTES


@dataclass(frozen=True)
class UsernameCredentials:
    """A resolved WS-Security UsernameToken; the password never appears in ``repr``.

    ``digest`` sends ``PasswordDigest`` (Base64(SHA-1(nonce + created + password)), a fresh
    nonce per request) instead of ``PasswordText``. ``timestamp_ttl`` (seconds) adds a fresh
    ``wsu:Timestamp`` (Created now, Expires now + ttl) to every request, which services whose
    policy asks for one require.
    """

    username: str
    password: str = field(repr=False)
    digest: bool = False
    timestamp_ttl: float | None = None
