"""JSON decoding for REST and webhook bodies: well-formed per RFC 8259 or a clear error.

msgspec's decoder is strict where it matters (NaN, Infinity and trailing commas are rejected) and
reports the byte position of the first problem. A UTF-8 byte-order mark is implementation-defined
in RFC 8259; we accept it by stripping it, since some Windows ERPs prepend one.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from connectors.base import Decoded
from connectors.errors import DecodeError

_decode = msgspec.json.Decoder().decode
_BOM = b"\xef\xbb\xbf"
_POSITION = re.compile(r"\(byte (\d+)\)")


def check_json(raw: bytes) -> Any:
    """Parse ``raw`` as JSON or raise :class:`DecodeError` with the byte position."""
    body = raw.removeprefix(_BOM)
    if not body.strip():
        raise DecodeError("the body is empty; expected a JSON document", code="json_empty")
    try:
        return _decode(body)
    except msgspec.DecodeError as exc:
        text = str(exc)
        match = _POSITION.search(text)
        raise DecodeError(
            f"not valid JSON: {text}",
            code="json_malformed",
            path=f"byte {match.group(1)}" if match else None,
        ) from exc


def decode_json(raw: bytes, document_type: str | None = None) -> Decoded:
    """Decode a JSON body into a document tree for the mapping stage."""
    return Decoded(tree=check_json(raw), document_type=document_type)
