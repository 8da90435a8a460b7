"""Contract v2 REST resources (``/v2/orders`` ...): the v1 factory with v2 on the wire.

A v2 partner POSTs and GETs documents with money in integer minor units (:mod:`contracts.v2`);
the gateway stores and delivers the canonical v1 document, so a v1 partner and a v2 partner see
the same order, each in its own version:

* ``POST /v2/<name>``: the body is decoded strictly as v2 (422 lists every failing field, e.g.
  a v1 ``amount`` sent to v2 is an unknown field), converted to v1 (always exact) and journaled
  by the factory (:func:`gateway.api.resources.resource`) like a v1 POST.
* ``GET /v2/<name>/{id}`` and ``GET /v2/<name>``: the stored v1 document converted to v2. A
  document whose amount has more decimals than its currency's minor unit (a v1 unit price of
  3.1250 USD) has no v2 form: v1 -> v2 never rounds money, so the answer is 406
  ``not_representable`` naming the field path and the v1 URL to read it at instead.

Same scopes, rate-limit routes and tenant isolation as v1: only the wire format differs.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from litestar.handlers import HTTPRouteHandler

import contracts
from gateway.api.problems import ProblemError
from gateway.api.resources import Codec, resource, strict_decoder

__all__ = ["RESOURCES_V2", "ROUTES_V2", "v2_codec"]


def v2_codec(document_type: str) -> Codec:
    """v2 on the wire, v1 in the journal: strict v2 decode then v2 -> v1; v1 -> v2 to present."""
    decode_v2 = strict_decoder(contracts.VERSIONS["v2"][document_type])

    def decode(raw: bytes) -> msgspec.Struct:
        return contracts.translate(document_type, decode_v2(raw), "v2", "v1")

    def present(document: msgspec.Struct) -> Any:
        try:
            return contracts.translate(document_type, document, "v1", "v2")
        except contracts.ConversionError as exc:
            raise ProblemError(
                406,
                "not_representable",
                "Document has no v2 form",
                f"this {document_type} cannot be said in contract v2 without rounding money: "
                f"{exc.reason} at {exc.path}; read it with contract v1 instead",
                contract=f"v2/{document_type}",
                path=exc.path,
            ) from exc

    return Codec("v2", decode, present)


RESOURCES_V2: Final[dict[str, list[HTTPRouteHandler]]] = {
    "orders": resource(
        "orders", "order", scope="orders", key_field="po_number", codec=v2_codec("order")
    ),
    "returns": resource(
        "returns",
        "return_authorization",
        scope="returns",
        key_field="rma_number",
        codec=v2_codec("return_authorization"),
    ),
    "shipments": resource(
        "shipments",
        "shipment",
        scope="shipments",
        key_field="shipment_id",
        codec=v2_codec("shipment"),
    ),
    "inventory-adjustments": resource(
        "inventory-adjustments",
        "inventory_adjustment",
        scope="inventory",
        key_field="adjustment_id",
        codec=v2_codec("inventory_adjustment"),
    ),
}
"""The v2 resources by path segment, three handlers each."""

ROUTES_V2: Final[list[HTTPRouteHandler]] = [h for hs in RESOURCES_V2.values() for h in hs]
"""Every v2 resource handler, for the app factory's ``route_handlers``."""
