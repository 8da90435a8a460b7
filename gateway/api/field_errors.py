"""Every field a document fails on, not just the first: the 422 a partner can fix in one go.

msgspec stops at the first error, which is what the hot path wants (a valid body decodes once,
fast). When that decode fails, :func:`field_errors` walks the body against the same Struct
annotations and asks msgspec itself about each node (``msgspec.convert(..., strict=True)``), so
the rules are msgspec's to the letter (strings never become numbers, patterns, bounds, a
Struct's ``__post_init__`` checks) and no second schema language can disagree with the decoder.

A node that fails is opened up: a Struct reports unknown and missing fields and recurses into
its fields, a list or tuple into its items, an optional into its non-null type. A node whose
children are all fine fails on its own rule (a length bound, a ``__post_init__`` check) and is
reported at its own path. :func:`field_errors` never returns an empty list for a body the
decoder refused: as a last resort it reports the decoder's own error.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec

__all__ = ["FieldError", "field_errors", "split_message"]

_AT = re.compile(r" - at `(\$[^`]*)`$")


class FieldError(msgspec.Struct, frozen=True):
    """One failing field: its JSON path (``$.lines[0].quantity``) and what was expected."""

    path: str
    message: str


def split_message(text: str) -> tuple[str, str]:
    """Split msgspec's ``"Expected `int`, got `str` - at `$.a`"`` as (message, relative path)."""
    match = _AT.search(text)
    if match is None:
        return text, "$"
    return text[: match.start()], match.group(1)


def _join(base: str, relative: str) -> str:
    return base + relative.removeprefix("$")


def _struct_of(tp: Any) -> type[msgspec.Struct] | None:
    return tp if isinstance(tp, type) and issubclass(tp, msgspec.Struct) else None


def field_errors(value: Any, tp: Any, first_error: str | None = None) -> list[FieldError]:
    """Every failing path of ``value`` (JSON-shaped Python data) against type ``tp``.

    ``first_error`` is the message of the decode that failed, reported if the walk finds
    nothing (it always should; the fallback keeps the promise "a refused body lists at least
    one error" even if msgspec and the walk ever disagree, e.g. on a JSON number edge case).
    """
    out: list[FieldError] = []
    _walk(value, tp, "$", out)
    if not out:
        try:
            msgspec.convert(value, tp, strict=True)
        except msgspec.ValidationError as exc:
            message, relative = split_message(str(exc))
            out.append(FieldError(relative, message))
    if not out and first_error is not None:
        message, relative = split_message(first_error)
        out.append(FieldError(relative, message))
    return out


def _check(value: Any, tp: Any) -> str | None:
    try:
        msgspec.convert(value, tp, strict=True)
    except msgspec.ValidationError as exc:
        return str(exc)
    return None


def _walk(value: Any, tp: Any, path: str, out: list[FieldError]) -> None:
    """Report ``value``'s errors against ``tp`` at ``path`` into ``out``."""
    error = _check(value, tp)
    if error is None:
        return
    before = len(out)
    _open(value, tp, path, out)
    if len(out) == before:
        message, relative = split_message(error)
        out.append(FieldError(_join(path, relative), message))


def _open(value: Any, tp: Any, path: str, out: list[FieldError]) -> None:
    """Recurse into the parts of a failing node; leaves (and unions of several) report nothing."""
    origin = get_origin(tp)
    if origin is Annotated:
        base = get_args(tp)[0]
        if _check(value, base) is not None:
            _walk(value, base, path, out)
        return  # the base is fine: the annotation's own bound failed, reported by the caller
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if value is not None and len(members) == 1:
            _walk(value, members[0], path, out)
        return
    struct = _struct_of(tp)
    if struct is not None:
        if isinstance(value, dict):
            _open_struct(value, struct, path, out)
        return
    if origin in (list, tuple, set, frozenset) and isinstance(value, list):
        args = get_args(tp)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return  # fixed-length tuples are leaves here (none in the contracts today)
        for index, item in enumerate(value):
            _walk(item, args[0], f"{path}[{index}]", out)
        return
    if origin is dict and isinstance(value, dict):
        _key_type, value_type = get_args(tp)
        for key, item in value.items():
            if isinstance(key, str):
                _walk(item, value_type, f"{path}.{key}", out)


def _open_struct(
    value: dict[str, Any], struct: type[msgspec.Struct], path: str, out: list[FieldError]
) -> None:
    fields = msgspec.structs.fields(struct)
    known = {f.encode_name for f in fields}
    if struct.__struct_config__.forbid_unknown_fields:
        for key in value:
            if key not in known:
                out.append(FieldError(f"{path}.{key}", f"Object contains unknown field `{key}`"))
    for f in fields:
        if f.encode_name not in value:
            if f.required:
                name = f.encode_name
                out.append(FieldError(f"{path}.{name}", f"Object missing required field `{name}`"))
            continue
        _walk(value[f.encode_name], f.type, f"{path}.{f.encode_name}", out)
