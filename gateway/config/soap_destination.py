"""SOAP destinations (``type: soap`` in destinations.yaml): the ``soap:`` section and its checks.

The section is :class:`connectors.soap.SoapCallSpec` (WSDL, operation, JMESPath arguments,
application-error rule, idempotency placement) plus ``wsse``, the WS-Security UsernameToken,
whose password is a secret reference resolved by the gateway and handed to the connector as a
value only when the deliverer is built. See docs/soap-outbound.md.

Checked at load, so a destination that cannot work fails ``crossdock check`` instead of every
delivery: the WSDL loads offline, the operation and every argument exist, required parameters
are mapped, the password reference resolves, and a clear-text password never goes over plain
HTTP to anything but a loopback address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import httpx
import msgspec

from connectors.soap import CallSpecError, SoapCallSpec, load_call
from gateway.config.model import Destination, SecretRef


class WsseSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """WS-Security UsernameToken: ``digest: true`` sends PasswordDigest, else PasswordText.

    PasswordText puts the password itself in every envelope, so it needs https (the loader
    refuses plain http except to a loopback address); PasswordDigest sends a salted SHA-1 with a
    fresh nonce, for services that support it. Which one is the service's choice, not ours.
    """

    username: str
    password: SecretRef
    digest: bool = False
    timestamp_ttl: Annotated[float, msgspec.Meta(gt=0)] | None = None  # adds wsu:Timestamp


class SoapDestinationSpec(SoapCallSpec, forbid_unknown_fields=True, frozen=True):
    """A SOAP destination's ``soap:`` section: the connector's call spec plus WS-Security."""

    wsse: WsseSpec | None = None


def _loopback(url: httpx.URL) -> bool:
    host = url.host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_soap_destination(
    dest: Destination, root: Path, resolve: Callable[[SecretRef], str]
) -> tuple[Destination, list[tuple[str, str]]]:
    """Paths made absolute, and (path under the destination, message) for each problem."""
    if dest.soap is None:
        if dest.type == "soap":
            return dest, [("soap", "a soap destination needs a soap: section (wsdl, operation)")]
        return dest, []
    if dest.type != "soap":
        return dest, [("soap", f"a soap: section is only read for type: soap, not {dest.type!r}")]
    spec = msgspec.structs.replace(
        dest.soap,
        wsdl=str((root / dest.soap.wsdl).resolve()),
        schema_locations={
            url: str((root / local).resolve()) for url, local in dest.soap.schema_locations.items()
        },
    )
    dest = msgspec.structs.replace(dest, soap=spec)
    problems: list[tuple[str, str]] = []
    if spec.wsse is not None:
        try:
            resolve(spec.wsse.password)
        except LookupError as exc:
            problems.append(("soap.wsse.password", str(exc)))
    try:
        call = load_call(spec, url_given=bool(dest.url))
    except CallSpecError as exc:
        problems.append((f"soap.{exc.path}", exc.message))
        return dest, problems
    target = httpx.URL(dest.url or call.address or "")
    clear = spec.wsse is not None and not spec.wsse.digest
    if clear and target.scheme == "http" and not _loopback(target):
        problems.append(
            (
                "soap.wsse.digest",
                f"PasswordText over plain http to {target.host} sends the password in clear; "
                "use an https url or digest: true",
            )
        )
    return dest, problems
