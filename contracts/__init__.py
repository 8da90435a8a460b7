"""crossdock's canonical, versioned document model.

The public surface is small: ``VERSIONS`` (version -> document name -> Struct type), a cached
strict JSON ``decoder`` per document type, and ``convert`` for Python objects (e.g. a mapping's
output) into a document. Everything here imports only msgspec and the standard library, so
connectors and external tools can depend on it without pulling in the gateway.

Strictness of ``convert``: it uses ``msgspec.convert(..., strict=True)``. Strict mode still
accepts the string forms of ``Decimal``, ``date`` and ``datetime`` (that is how they arrive in
JSON-shaped dicts, and msgspec treats those types as string-encoded), so lax mode is not needed.
What strict mode refuses is the lossy coercion of strings to numbers and booleans: ``"2"`` for
an ``int`` is a mapping bug to report, not to paper over.
"""

from __future__ import annotations

import functools
from typing import Any, Final

import msgspec

import contracts.v1

__all__ = ["VERSIONS", "UnknownDocumentTypeError", "convert", "decoder"]

VERSIONS: Final[dict[str, dict[str, type[msgspec.Struct]]]] = {
    "v1": contracts.v1.DOCUMENT_TYPES,
}


class UnknownDocumentTypeError(LookupError):
    """The version or document type name is not in ``VERSIONS``; a config error, not data."""


def _lookup(version: str, document_type: str) -> type[msgspec.Struct]:
    try:
        types = VERSIONS[version]
    except KeyError:
        msg = f"unknown contract version {version!r}; known: {', '.join(sorted(VERSIONS))}"
        raise UnknownDocumentTypeError(msg) from None
    try:
        return types[document_type]
    except KeyError:
        msg = (
            f"unknown document type {document_type!r} in {version}; "
            f"known: {', '.join(sorted(types))}"
        )
        raise UnknownDocumentTypeError(msg) from None


@functools.cache
def decoder(version: str, document_type: str) -> msgspec.json.Decoder[Any]:
    """Return the shared strict JSON decoder for one document type.

    Cached because building a Decoder compiles the type once; msgspec's advice is to reuse it.
    Decoding raises ``msgspec.ValidationError`` whose message ends in the field path (``$.x``).
    """
    return msgspec.json.Decoder(_lookup(version, document_type), strict=True)


def convert(version: str, document_type: str, obj: Any) -> msgspec.Struct:
    """Validate a Python object (dicts, lists, strings...) into a document, strictly.

    See the module docstring for why ``strict=True`` is enough for JSON-shaped input.
    """
    return msgspec.convert(obj, _lookup(version, document_type), strict=True)
