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

``translate`` moves a document between versions (``contracts.v2.convert``): v2 -> v1 is always
exact, v1 -> v2 is exact or raises ``ConversionError`` (a ``msgspec.ValidationError`` with the
field path) rather than round money.
"""

from __future__ import annotations

import functools
from typing import Any, Final

import msgspec

import contracts.v1
import contracts.v2
from contracts.v2.convert import ConversionError, v1_to_v2, v2_to_v1

__all__ = [
    "CANONICAL_VERSION",
    "VERSIONS",
    "ConversionError",
    "UnknownDocumentTypeError",
    "convert",
    "decoder",
    "transcode",
    "translate",
]

VERSIONS: Final[dict[str, dict[str, type[msgspec.Struct]]]] = {
    "v1": contracts.v1.DOCUMENT_TYPES,
    "v2": contracts.v2.DOCUMENT_TYPES,
}

CANONICAL_VERSION: Final = "v1"
"""The version the journal stores: every destination and v1 partner read the same document."""


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


_CONVERTERS: Final = {("v1", "v2"): v1_to_v2, ("v2", "v1"): v2_to_v1}


def translate(
    document_type: str, document: msgspec.Struct, source: str, target: str
) -> msgspec.Struct:
    """``document`` (a ``source`` version Struct) as the ``target`` version's Struct.

    The same version returns the document itself. Raises ``ConversionError`` when the document
    cannot be said exactly in ``target`` and ``UnknownDocumentTypeError`` for an unknown pair.
    """
    _lookup(source, document_type)
    _lookup(target, document_type)
    if source == target:
        return document
    return _CONVERTERS[source, target](document_type, document)


_encode = msgspec.json.Encoder(decimal_format="string").encode


def transcode(document_type: str, raw: bytes, source: str, target: str) -> bytes:
    """JSON of a ``source`` version document -> JSON of the same document in ``target``.

    For a destination or a reader that takes another version than the journal's canonical one.
    Raises ``msgspec.ValidationError`` (``ConversionError`` when money cannot be said exactly).
    """
    document = decoder(source, document_type).decode(raw)
    return _encode(translate(document_type, document, source, target))
