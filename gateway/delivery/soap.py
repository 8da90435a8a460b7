"""Build the deliverer of a ``type: soap`` destination: secrets resolved here, once.

The loader has already checked the ``soap:`` section against its WSDL (see
``gateway.config.soap_destination``); this turns it into a :class:`connectors.soap.SoapDeliverer`
with the WS-Security password and secret headers as values, which never leave the connector.
"""

from __future__ import annotations

import httpx

from connectors.base import Deliverer
from connectors.soap import SoapDeliverer, UsernameCredentials
from gateway.config.loader import resolve_secret
from gateway.config.model import Destination


def build_soap_deliverer(dest: Destination, client: httpx.AsyncClient) -> Deliverer:
    """A :class:`SoapDeliverer` for ``dest`` on the worker's pooled ``client``."""
    spec = dest.soap
    if spec is None:
        msg = f"destination {dest.name!r} is type soap but has no soap: section"
        raise ValueError(msg)
    headers = dict(dest.headers)
    for name, ref in dest.secret_headers.items():
        headers[name] = resolve_secret(ref)
    credentials = None
    if spec.wsse is not None:
        credentials = UsernameCredentials(
            spec.wsse.username,
            resolve_secret(spec.wsse.password),
            spec.wsse.digest,
            spec.wsse.timestamp_ttl,
        )
    return SoapDeliverer(
        spec,
        url=dest.url or None,
        timeout=dest.timeout,
        credentials=credentials,
        headers=headers,
        client=client,
    )
