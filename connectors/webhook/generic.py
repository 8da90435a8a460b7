"""A configurable HMAC verifier for senders without a scheme of their own (and the base of most).

The sender signs a *signed-content template* over the raw body, e.g. ``{body}`` or
``{timestamp}.{body}``, with HMAC-SHA1/256/512, and sends the digest as hex or base64 in one
header, optionally behind a prefix (``sha256=``). ``{timestamp}`` and ``{id}`` are the exact text
of the timestamp and id headers, so what is signed is what was sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated

import msgspec

from connectors.webhook.base import (
    DEFAULT_TOLERANCE,
    Algorithm,
    Encoding,
    Headers,
    VerificationError,
    Verified,
    check_tolerance,
    decode_signature,
    hmac_digest,
    matches,
    parse_timestamp,
    require_secrets,
)

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FIELDS = ("body", "timestamp", "id")


#: What an ``id_field`` may be called: a plain JSON member name (msgspec refuses quotes,
#: backslashes and control characters in one; nobody names an id field so).
ID_FIELD_PATTERN = r"^[A-Za-z0-9_$@.:-]{1,64}$"


class HmacOptions(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """How a generic sender signs: the header, the HMAC, its encoding and what is signed."""

    header: str
    algorithm: Algorithm = "sha256"
    encoding: Encoding = "hex"
    prefix: str = ""
    template: str = "{body}"
    timestamp_header: str | None = None
    id_header: str | None = None
    id_field: Annotated[str, msgspec.Meta(pattern=ID_FIELD_PATTERN)] | None = None
    """A top-level JSON field of the body that holds the event id, for senders that put it
    there instead of in a header (read only after the signature matched)."""


def body_id_reader(field: str) -> Callable[[bytes], str | None]:
    """``body -> event id`` from one top-level field, skipping the rest of the document.

    msgspec decodes into a one-field struct, so the other fields are skipped, not built (a
    6 KB order costs about as much as the JSON check the door does anyway). A body that is
    not a JSON object, or whose field is absent, empty or not a string or integer, has no id:
    the event is then accepted without dedupe, as for a sender that sends none.
    """
    if not re.match(ID_FIELD_PATTERN, field):
        msg = f"id_field {field!r} is not a plain JSON member name; expected {ID_FIELD_PATTERN}"
        raise ValueError(msg)
    shape = msgspec.defstruct(
        "BodyEventId", [("value", str | int | None, None)], rename={"value": field}
    )
    decode = msgspec.json.Decoder(shape).decode

    def read(body: bytes) -> str | None:
        try:
            value = decode(body).value  # type: ignore[attr-defined]
        except msgspec.MsgspecError:
            return None
        if isinstance(value, bool) or value is None:
            return None
        text = str(value).strip()
        return text or None

    return read


def compile_template(template: str) -> tuple[str | tuple[str], ...]:
    """Split a template into literal text and ``(field,)`` tokens; ``{body}`` exactly once."""
    tokens: list[str | tuple[str]] = []
    at = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > at:
            tokens.append(template[at : match.start()])
        field = match.group(1)
        if field not in _FIELDS:
            raise ValueError(f"template placeholder {{{field}}} is unknown; expected {_FIELDS}")
        tokens.append((field,))
        at = match.end()
    if at < len(template):
        tokens.append(template[at:])
    if sum(1 for t in tokens if t == ("body",)) != 1:
        raise ValueError("template must contain {body} exactly once")
    return tuple(tokens)


class HmacVerifier:
    """HMAC over a signed-content template, in one header, against one or more secrets."""

    def __init__(
        self,
        keys: Sequence[bytes],
        *,
        header: str,
        algorithm: Algorithm = "sha256",
        encoding: Encoding = "hex",
        prefix: str = "",
        template: str = "{body}",
        timestamp_header: str | None = None,
        id_headers: Sequence[str] = (),
        id_field: str | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
    ) -> None:
        require_secrets(keys)
        self._keys = tuple(keys)
        self._tokens = compile_template(template)
        fields = {t[0] for t in self._tokens if isinstance(t, tuple)}
        if "timestamp" in fields and timestamp_header is None:
            raise ValueError("template uses {timestamp}; expected a timestamp_header")
        if "id" in fields and not id_headers:
            raise ValueError("template uses {id}; expected an id_header")
        self._header = header
        self._algorithm: Algorithm = algorithm
        self._encoding: Encoding = encoding
        self._prefix = prefix
        self._timestamp_header = timestamp_header
        self._id_headers = tuple(id_headers)
        self._body_id = body_id_reader(id_field) if id_field else None
        self._tolerance = tolerance
        shown = f"{prefix}<{encoding} HMAC-{algorithm.upper()}>"
        self._expected = f"{shown} of {template!r}"

    def _event_id(self, headers: Headers) -> str | None:
        for name in self._id_headers:
            value = headers.get(name)
            if value:
                return value.strip()
        return None

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> Verified:
        """Check the signature over the raw body, then the timestamp's age."""
        h = Headers.of(headers)
        value = h.require(self._header, self._expected)
        stamp_text = (
            h.require(self._timestamp_header, "the time of signing in POSIX seconds")
            if self._timestamp_header
            else None
        )
        event_id = self._event_id(h)
        if not value.startswith(self._prefix):
            raise VerificationError(
                f"header {self._header} does not start with {self._prefix!r}; "
                f"expected {self._expected}",
                code="malformed_header",
                path=self._header,
            )
        presented = decode_signature(value[len(self._prefix) :], self._encoding)
        if presented is None:
            raise VerificationError(
                f"header {self._header} is not {self._encoding}; expected {self._expected}",
                code="malformed_header",
                path=self._header,
            )
        values: dict[str, bytes | str] = {
            "body": body,
            "timestamp": stamp_text or "",
            "id": event_id or "",
        }
        parts = [t.encode() if isinstance(t, str) else _bytes(values[t[0]]) for t in self._tokens]
        digests = [hmac_digest(self._algorithm, key, *parts) for key in self._keys]
        if not matches(presented, digests):
            raise VerificationError(
                f"header {self._header} does not match; expected {self._expected} under one of "
                f"{len(self._keys)} configured secret(s)",
                code="signature_mismatch",
                path=self._header,
            )
        timestamp = None
        if self._timestamp_header is not None and stamp_text is not None:
            timestamp = parse_timestamp(self._timestamp_header, stamp_text)
            check_tolerance(self._timestamp_header, timestamp, now, self._tolerance)
        if event_id is None and self._body_id is not None:  # the signature vouches for it now
            event_id = self._body_id(body)
        return Verified(event_id=event_id, timestamp=timestamp)


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def utf8_keys(secrets: Sequence[str], normalise: Callable[[str], str] = str) -> list[bytes]:
    """Secrets as HMAC keys: (optionally normalised, then) UTF-8."""
    return [normalise(s).encode() for s in secrets]


def create(
    secrets: Sequence[str], *, tolerance: float, options: HmacOptions | None
) -> HmacVerifier:
    """The generic scheme: everything comes from ``options``."""
    if options is None:
        raise ValueError("the hmac scheme needs options (header, algorithm, encoding, template)")
    return HmacVerifier(
        utf8_keys(secrets),
        header=options.header,
        algorithm=options.algorithm,
        encoding=options.encoding,
        prefix=options.prefix,
        template=options.template,
        timestamp_header=options.timestamp_header,
        id_headers=(options.id_header,) if options.id_header else (),
        id_field=options.id_field,
        tolerance=tolerance,
    )
