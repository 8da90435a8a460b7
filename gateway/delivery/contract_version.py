"""The payload a destination receives: the canonical (v1) document, or the version it asked for.

A destination with ``contract: v2`` (``destinations.yaml``) gets every canonical document
converted to contract v2 before each attempt. Converting per attempt rather than storing a copy
keeps the journal to one canonical document per message, and costs microseconds. A document
with no v2 form (an amount more precise than its currency's minor unit) cannot be delivered to
that destination: retrying cannot change that, so the worker dead-letters it at once as
``not_representable`` with the field path, for operations to resolve with the sender.

Documents that are not contract documents (an ``x12_ack`` we emit, say) pass through unchanged.
"""

from __future__ import annotations

import msgspec

import contracts
from gateway.config import Destination

__all__ = ["NOT_REPRESENTABLE", "NotRepresentableError", "payload_for"]

NOT_REPRESENTABLE = "not_representable"


class NotRepresentableError(Exception):
    """The canonical document has no form in the destination's contract version."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def payload_for(destination: Destination | None, document_type: str, canonical: bytes) -> bytes:
    """``canonical`` as ``destination`` wants it; raises :class:`NotRepresentableError`."""
    contract = contracts.CANONICAL_VERSION if destination is None else destination.contract
    if contract == contracts.CANONICAL_VERSION:
        return canonical
    if document_type not in contracts.VERSIONS.get(contract, {}):
        return canonical
    try:
        return contracts.transcode(document_type, canonical, contracts.CANONICAL_VERSION, contract)
    except msgspec.ValidationError as exc:
        text = str(exc)
        reason, _, where = text.rpartition(" - at ")
        path = where.strip("`") if reason else "$"
        raise NotRepresentableError(
            f"destination {destination.name if destination else '?'!r} takes contract "
            f"{contract}, and this {document_type} has no {contract} form: {reason or text} "
            f"at {path}",
            path,
        ) from exc
