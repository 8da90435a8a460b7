"""Document tree -> X12 bytes: the reverse of the reader, for the sets we send partners.

The tree has the shape :func:`build_tree` produces (segments keyed by id, elements by reference
designator ``BAK03``, lists for repeats, ``<SEG>_loop`` lists for loops, the 856 HL hierarchy
nested under ``HL_loop``), so ``decode(encode(tree))`` gives the tree back. Segments are written
in the order the set's structure (``_sets.STRUCTURES``) lists them, whatever the order of the
dict's keys; a key the structure does not have at that level is an error, never dropped.

The envelope is generated: ISA with its fixed widths, GS, ST/SE with SE01 counting ST..SE, GE01
counting sets, IEA01 counting groups. :func:`encode_groups` writes several groups and
interchange control segments (the TA1 of an acknowledgement); :func:`encode_interchange` is
its one-group case. Control numbers are *given* (the caller allocates them
durably, one per delivery, so a retry sends the same interchange); this module stays pure.

Values are written as they are, or refused: a value containing a separator, a control
character, letters in a numeric element or more characters than the element allows
(``_element_defs``) raises :class:`EncodeError` naming the set, the tree path, the element and
the value. Nothing is truncated or escaped silently (X12 has no escape), because a mangled PO
number is worse than a delivery that stops and says why.

HL numbering for nested hierarchies: an HL without ``HL01`` gets its position in the
depth-first order (1, 2, ...); ``HL02`` is filled with the parent's ``HL01`` (and must equal it
when given), so a mapping only writes ``HL03`` and the nesting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from connectors.errors import StageError
from connectors.text import is_digits
from connectors.x12._element_defs import ElementDef, element_defs
from connectors.x12._model import Separators
from connectors.x12._sets import HIERARCHICAL, REQUIRED, STRUCTURES, Node, Required

#: X12 transaction set id -> GS01 functional identifier code (element 479).
FUNCTIONAL_IDS: dict[str, str] = {
    "850": "PO",
    "855": "PR",
    "856": "SH",
    "810": "IN",
    "180": "AN",
    "812": "CD",
    "846": "IB",
    "940": "OW",
    "943": "AR",
    "944": "RE",
    "945": "SW",
    "947": "AW",
    "214": "QM",
    "997": "FA",
    "999": "FA",
}

#: ISA12 -> the GS08 written by default.
GS_VERSIONS = {"00401": "004010", "00501": "005010"}

DEFAULT_SEPARATORS = Separators(element="*", segment="~", component=">", repetition="^")

_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{1,2}$")
_NUMERIC = re.compile(r"^-?[0-9]+$")
_DECIMAL = re.compile(r"^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_CONTROL = 999_999_999


class EncodeError(StageError):
    """A tree or envelope that cannot be written as X12; ``path`` is the tree path."""

    stage = "deliver"


@dataclass(frozen=True)
class Envelope:
    """Who sends to whom, when, in which version: everything ISA and GS say besides numbers.

    ``gs_sender_id``/``gs_receiver_id`` default to the ISA ids; ``gs_version`` to the ISA
    version's (``004010``/``005010``); ``functional_id`` to the set's (:data:`FUNCTIONAL_IDS`).
    """

    sender_id: str
    receiver_id: str
    at: datetime
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    version: str = "00401"
    gs_version: str | None = None
    gs_sender_id: str | None = None
    gs_receiver_id: str | None = None
    functional_id: str | None = None
    usage: str = "P"
    ack_requested: str = "0"


# -- structure ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Level:
    """One level of a set: segment keys and loop keys in the order they are written.

    ``keys`` is everything a tree may have at this level (its trigger, and ``HL_loop`` for the
    nested HLs of a hierarchical set); reverse-mapping lint walks the same levels.
    """

    trigger: str
    order: tuple[tuple[str, Level | None], ...]  # (key, None) for a segment, (loop key, level)
    keys: frozenset[str]
    nested_hl: bool
    required: tuple[str, ...] = ()  # keys a tree must have here (``_sets.REQUIRED``)


def _build(trigger: str, nodes: list[Node], hierarchical: bool, required: Required) -> Level:
    order: list[tuple[str, Level | None]] = []
    seen: set[str] = set()
    for node in nodes:
        if isinstance(node, tuple):
            key = f"{node[0]}_loop"
            if key not in seen:
                order.append((key, _build(node[0], node[1], hierarchical, required)))
                seen.add(key)
            continue
        sid = node.removesuffix("+")
        if sid in ("ST", "SE") or sid == trigger or sid in seen:
            continue
        order.append((sid, None))
        seen.add(sid)
    nested = hierarchical and trigger == "HL"
    keys = set(seen) | ({trigger} if trigger else set()) | ({"HL_loop"} if nested else set())
    return Level(trigger, tuple(order), frozenset(keys), nested, required.get(trigger, ()))


@cache
def structure(set_id: str) -> Level:
    """The set's top level, or :class:`EncodeError` for a set we have no structure for."""
    nodes = STRUCTURES.get(set_id)
    if nodes is None:
        known = ", ".join(sorted(STRUCTURES))
        raise EncodeError(
            f"encode: no structure for transaction set {set_id!r}; known: {known}",
            code="x12_unknown_set",
            found=set_id,
        )
    return _build("", nodes, set_id in HIERARCHICAL, REQUIRED.get(set_id, {}))


# -- values --------------------------------------------------------------------------------------
def _text(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise _value_error(
            where, "is a boolean; X12 has no booleans (write a code, e.g. 'Y')", value
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _value_error(where, "is not a finite number", value)
        return format(value, "f")
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise _value_error(where, "is a float; pass decimals as strings (dec())", value)
    raise _value_error(where, f"is a {type(value).__name__}, expected text or a number", value)


def _value_error(where: str, problem: str, value: Any) -> EncodeError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return EncodeError(
        f"encode: {where} {problem}: {shown}",
        code="x12_bad_value",
        path=where.split(" ", 1)[-1],
        found=str(value)[:80],
    )


def _check_type(text: str, spec: ElementDef, where: str) -> None:
    kind = spec.type
    size = len(text)
    if kind in ("N0", "N2"):
        if not _NUMERIC.match(text):
            raise _value_error(where, f"must be an integer ({kind})", text)
        size = len(text.lstrip("-"))
    elif kind == "R":
        if not _DECIMAL.match(text):
            raise _value_error(where, "must be a decimal number (R)", text)
        size = len(text.lstrip("-").replace(".", ""))
    elif kind == "DT":
        if not (is_digits(text) and size in (6, 8)):
            raise _value_error(where, "must be a date, CCYYMMDD (DT)", text)
    elif kind == "TM" and not (is_digits(text) and size in (4, 6, 7, 8)):
        raise _value_error(where, "must be a time, HHMM[SS[D[D]]] (TM)", text)
    if size > spec.max:
        raise _value_error(
            where, f"is {size} characters; the element allows at most {spec.max}", text
        )


class _Writer:
    """Turns segment dicts into element lists, checking every value against the separators."""

    def __init__(self, set_id: str, seps: Separators) -> None:
        self.set_id = set_id
        self.seps = seps
        self.forbidden = {seps.element, seps.component, *seps.segment}
        if seps.repetition:
            self.forbidden.add(seps.repetition)
        self.segments: list[list[str]] = []

    def check(self, text: str, where: str) -> str:
        for char in text:
            if char in self.forbidden:
                raise _value_error(
                    where, f"contains the separator {char!r}; X12 cannot escape it", text
                )
        if _CONTROL.search(text):
            raise _value_error(where, "contains a control character (line break, tab...)", text)
        return text

    def segment(self, sid: str, values: Any, path: str) -> None:
        where = f"{self.set_id} {path}"
        if not isinstance(values, dict):
            raise EncodeError(
                f"encode: {where} must be an object of elements ({sid}01, {sid}02...), "
                f"found {type(values).__name__}",
                code="x12_bad_tree",
                path=path,
            )
        defs = element_defs(sid)
        elements: dict[int, str] = {}
        for key, value in values.items():
            index = _element_index(sid, key, f"{where}.{key}")
            if defs is not None and index > len(defs):
                raise EncodeError(
                    f"encode: {where}.{key}: {sid} has {len(defs)} elements; there is no {key}",
                    code="x12_unknown_element",
                    path=f"{path}.{key}",
                )
            spec = defs[index - 1] if defs is not None else None
            text = self.element(value, spec, f"{where}.{key}")
            if text:
                elements[index] = text
        row = [sid]
        if elements:
            row.extend(elements.get(i, "") for i in range(1, max(elements) + 1))
        self.segments.append(row)

    def element(self, value: Any, spec: ElementDef | None, where: str) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            if spec is not None and spec.type != "C":
                raise _value_error(
                    where, "is a simple element but a list (composite) was given", value
                )
            parts = [
                "" if v is None else self.check(_text(v, f"{where}[{i}]"), f"{where}[{i}]")
                for i, v in enumerate(value)
            ]
            while parts and not parts[-1]:
                parts.pop()
            return self.seps.component.join(parts)
        text = self.check(_text(value, where), where)
        if text and spec is not None and spec.type != "C":
            _check_type(text, spec, where)
        return text


def _element_index(sid: str, key: str, where: str) -> int:
    digits = key[len(sid) :]
    if not key.startswith(sid) or len(digits) != 2 or not is_digits(digits) or digits == "00":
        raise EncodeError(
            f"encode: {where}: expected an element of {sid} ({sid}01, {sid}02...), found {key!r}",
            code="x12_unknown_element",
            path=where.split(" ", 1)[-1],
        )
    return int(digits)


# -- the set body --------------------------------------------------------------------------------
def _occurrences(value: Any, path: str) -> Iterator[tuple[Any, str]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield item, f"{path}[{i}]"
    else:
        yield value, path


def _unknown(level: Level, key: str, path: str, set_id: str) -> EncodeError:
    where = f"the {level.trigger} loop" if level.trigger else "the set's top level"
    keys = ", ".join(k for k, _ in level.order)
    what = "segment or loop" if _SEGMENT_ID.match(key.removesuffix("_loop")) else "key"
    return EncodeError(
        f"encode: {set_id} {path or '(root)'}: {what} {key!r} is not in {where} of the {set_id} "
        f"structure; expected one of: {keys}",
        code="x12_unknown_segment",
        path=f"{path}.{key}" if path else key,
        found=key,
    )


class _Body:
    """Writes one set's tree in structure order, numbering nested HLs."""

    def __init__(self, set_id: str, writer: _Writer) -> None:
        self.set_id = set_id
        self.out = writer
        self.hl_count = 0

    def level(self, level: Level, node: Any, path: str) -> None:
        if not isinstance(node, dict):
            raise EncodeError(
                f"encode: {self.set_id} {path or '(root)'} must be an object of segments, found "
                f"{type(node).__name__}",
                code="x12_bad_tree",
                path=path,
            )
        for key in node:
            if key not in level.keys and not (not level.trigger and key in ("ST", "SE")):
                raise _unknown(level, key, path, self.set_id)
        for key in level.required:
            if key not in node:
                where = f"the {level.trigger} loop" if level.trigger else "the set's top level"
                raise EncodeError(
                    f"encode: {self.set_id} {path or '(root)'}: {where} has no {key!r}; the "
                    f"{self.set_id} structure requires it",
                    code="x12_missing_segment",
                    path=f"{path}.{key}" if path else key,
                )
        for key, sub in level.order:
            if key not in node:
                continue
            at = f"{path}.{key}" if path else key
            if sub is None:
                for occurrence, where in _occurrences(node[key], at):
                    self.out.segment(key, occurrence, where)
            else:
                for instance, where in _occurrences(node[key], at):
                    self.loop(sub, instance, where, parent_hl="")

    def loop(self, level: Level, instance: Any, path: str, parent_hl: str) -> None:
        trigger = level.trigger
        if not isinstance(instance, dict) or trigger not in instance:
            raise EncodeError(
                f"encode: {self.set_id} {path}: a {trigger} loop instance must start with its "
                f"{trigger} segment",
                code="x12_bad_tree",
                path=path,
            )
        head = instance[trigger]
        if isinstance(head, list):
            raise EncodeError(
                f"encode: {self.set_id} {path}.{trigger}: the loop's {trigger} occurs once per "
                "instance; use one loop instance per occurrence",
                code="x12_bad_tree",
                path=f"{path}.{trigger}",
            )
        own = ""
        if level.nested_hl:
            head, own = self.hl(head, path, parent_hl)
        self.out.segment(trigger, head, f"{path}.{trigger}")
        body = {k: v for k, v in instance.items() if k not in (trigger, "HL_loop")}
        self.level(level, body, path)
        if level.nested_hl and "HL_loop" in instance:
            for child, where in _occurrences(instance["HL_loop"], f"{path}.HL_loop"):
                self.loop(level, child, where, parent_hl=own)

    def hl(self, head: Any, path: str, parent: str) -> tuple[Any, str]:
        self.hl_count += 1
        if not isinstance(head, dict):
            return head, ""
        head = dict(head)
        own = _text(head.get("HL01") or str(self.hl_count), f"{self.set_id} {path}.HL.HL01")
        head["HL01"] = own
        given = head.get("HL02")
        if given not in (None, "") and str(given) != parent:
            raise EncodeError(
                f"encode: {self.set_id} {path}.HL.HL02 is {given!r} but the HL is nested under "
                f"HL {parent or '(none: top level)'!r}; leave HL02 out, it is filled from the "
                "nesting",
                code="x12_bad_hierarchy",
                path=f"{path}.HL.HL02",
                found=str(given),
            )
        if parent:
            head["HL02"] = parent
        return head, own


def encode_set(
    set_id: str, tree: dict[str, Any], control_number: str, separators: Separators
) -> list[list[str]]:
    """One transaction set, ST..SE, as element lists (``[["ST", "855", "0001"], ...]``).

    ``tree["ST"]["ST03"]`` (an implementation convention reference) is kept; the rest of ST and
    all of SE are generated. Every value is checked (see the module docstring).
    """
    writer = _Writer(set_id, separators)
    level = structure(set_id)
    st = tree.get("ST") if isinstance(tree, dict) else None
    st03 = st.get("ST03") if isinstance(st, dict) else None
    writer.segment("ST", {"ST01": set_id, "ST02": control_number, "ST03": st03}, "ST")
    _Body(set_id, writer).level(level, tree, "")
    writer.segments.append(["SE", str(len(writer.segments) + 1), control_number])
    return writer.segments


# -- the envelope --------------------------------------------------------------------------------
def check_separators(seps: Separators, version: str) -> None:
    """Raise :class:`EncodeError` unless ``seps`` can write an interchange of ``version``."""
    chars = [seps.element, seps.component, seps.segment]
    if version >= "00402":
        if not seps.repetition:
            raise _envelope_error(
                "separators", f"version {version} needs a repetition separator (ISA11)"
            )
        chars.append(seps.repetition)
    for char in chars:
        if char in ("\n", "\r\n") and char == seps.segment:
            continue  # a line break as the terminator: some partners' translators write it
        if len(char) != 1 or char.isalnum() or char.isspace():
            raise _envelope_error(
                "separators",
                f"{char!r} is not a usable separator (one character, not a letter, digit or space)",
            )
    if len(set(chars)) != len(chars):
        raise _envelope_error("separators", f"separators must differ, got {chars}")


def _envelope_error(field: str, problem: str) -> EncodeError:
    return EncodeError(f"encode: envelope {field}: {problem}", code="x12_bad_envelope", path=field)


def _fixed(value: str, width: int, field: str, seps: Separators) -> str:
    if len(value) > width:
        raise _envelope_error(field, f"{value!r} is longer than {width} characters")
    if not value.isascii() or any(c in value for c in (seps.element, seps.component, seps.segment)):
        raise _envelope_error(field, f"{value!r} must be ASCII without separators")
    return value.ljust(width)


def _control(number: int, field: str) -> int:
    if not 1 <= number <= _MAX_CONTROL:
        raise _envelope_error(field, f"control number {number} is outside 1-{_MAX_CONTROL}")
    return number


@dataclass(frozen=True)
class Group:
    """One functional group to write: its sets, its GS06, and what differs from the envelope.

    ``set_controls`` are the ST02 numbers (default 1, 2, ...); ``functional_id``, ``sender_id``,
    ``receiver_id`` and ``version`` default to the envelope's (GS01 to the sets' own).
    """

    sets: Sequence[tuple[str, dict[str, Any]]]
    control: int
    set_controls: Sequence[int] | None = None
    functional_id: str | None = None
    sender_id: str | None = None
    receiver_id: str | None = None
    version: str | None = None


def _isa(env: Envelope, isa13: int, seps: Separators) -> list[str]:
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        _fixed(env.sender_qualifier, 2, "ISA05", seps),
        _fixed(env.sender_id, 15, "ISA06", seps),
        _fixed(env.receiver_qualifier, 2, "ISA07", seps),
        _fixed(env.receiver_id, 15, "ISA08", seps),
        env.at.strftime("%y%m%d"),
        env.at.strftime("%H%M"),
        (seps.repetition or "U") if env.version >= "00402" else "U",
        _fixed(env.version, 5, "ISA12", seps),
        f"{isa13:09d}",
        _fixed(env.ack_requested, 1, "ISA14", seps),
        _fixed(env.usage, 1, "ISA15", seps),
        seps.component,
    ]


def _group_rows(group: Group, env: Envelope, seps: Separators) -> list[list[str]]:
    sets = group.sets
    if not sets:
        raise _envelope_error("sets", "an interchange needs at least one transaction set")
    gs06 = _control(group.control, "GS06")
    default = range(1, len(sets) + 1)
    numbers = list(group.set_controls) if group.set_controls is not None else list(default)
    if len(numbers) != len(sets):
        raise _envelope_error("ST02", f"{len(sets)} sets but {len(numbers)} control numbers")
    given = group.functional_id or env.functional_id
    functional = {given or FUNCTIONAL_IDS.get(sid, "") for sid, _ in sets}
    if len(functional) != 1 or "" in functional:
        raise _envelope_error(
            "GS01",
            f"sets {[s for s, _ in sets]} do not share one known functional id; "
            "pass functional_id or send them in separate groups",
        )
    gs = [
        "GS",
        functional.pop(),
        group.sender_id or env.gs_sender_id or env.sender_id,
        group.receiver_id or env.gs_receiver_id or env.receiver_id,
        env.at.strftime("%Y%m%d"),
        env.at.strftime("%H%M"),
        str(gs06),
        "X",
        group.version or env.gs_version or GS_VERSIONS.get(env.version, env.version + "0"),
    ]
    for i, value in enumerate(gs[1:], 1):
        if not value or len(value) > 15 or any(c in value for c in (seps.element, seps.segment)):
            raise _envelope_error(f"GS{i:02d}", f"{value!r} is empty, too long or has a separator")
    rows = [gs]
    for (set_id, tree), number in zip(sets, numbers, strict=True):
        rows.extend(encode_set(set_id, tree, f"{_control(number, 'ST02'):04d}", seps))
    rows.append(["GE", str(len(sets)), str(gs06)])
    return rows


def encode_groups(
    groups: Sequence[Group],
    *,
    envelope: Envelope,
    interchange_control: int,
    separators: Separators = DEFAULT_SEPARATORS,
    control_segments: Sequence[tuple[str, dict[str, Any]]] = (),
    newline: bool = False,
) -> bytes:
    """ISA, interchange control segments (a TA1), the groups, IEA, as bytes (UTF-8).

    ``control_segments`` are ``(segment id, elements)`` pairs written right after the ISA and
    checked like any segment; an interchange may hold them and no group (a TA1 alone).
    """
    env = envelope
    check_separators(separators, env.version)
    if not groups and not control_segments:
        raise _envelope_error("sets", "an interchange needs at least one transaction set")
    isa13 = _control(interchange_control, "ISA13")
    seps = separators
    rows: list[list[str]] = [_isa(env, isa13, seps)]
    if control_segments:
        writer = _Writer("interchange", seps)
        for sid, values in control_segments:
            writer.segment(sid, values, sid)
        rows.extend(writer.segments)
    for group in groups:
        rows.extend(_group_rows(group, env, seps))
    rows.append(["IEA", str(len(groups)), f"{isa13:09d}"])
    term = seps.segment + ("\n" if newline and seps.segment != "\n" else "")
    return "".join(seps.element.join(row) + term for row in rows).encode()


def encode_interchange(
    sets: Sequence[tuple[str, dict[str, Any]]],
    *,
    envelope: Envelope,
    interchange_control: int,
    group_control: int,
    set_controls: Sequence[int] | None = None,
    separators: Separators = DEFAULT_SEPARATORS,
    newline: bool = False,
) -> bytes:
    """ISA, one GS, the sets, GE and IEA, as bytes (UTF-8).

    ``sets`` are ``(set id, tree)`` pairs; they share one functional group, so they must have
    the same functional id. ``set_controls`` are the ST02 numbers (default 1, 2, ...).
    ``newline`` writes a line break after every segment terminator (readable, and accepted by
    every translator we know; off by default).
    """
    group = Group(sets=sets, control=group_control, set_controls=set_controls)
    return encode_groups(
        [group],
        envelope=envelope,
        interchange_control=interchange_control,
        separators=separators,
        newline=newline,
    )


def encode(
    set_id: str,
    tree: dict[str, Any],
    *,
    envelope: Envelope,
    interchange_control: int,
    group_control: int,
    set_control: int = 1,
    separators: Separators = DEFAULT_SEPARATORS,
    newline: bool = False,
) -> bytes:
    """One set in its own interchange: what an outbound delivery sends."""
    return encode_interchange(
        [(set_id, tree)],
        envelope=envelope,
        interchange_control=interchange_control,
        group_control=group_control,
        set_controls=[set_control],
        separators=separators,
        newline=newline,
    )


def check_tree(set_id: str, tree: dict[str, Any]) -> None:
    """Raise :class:`EncodeError` if ``tree`` cannot be written as ``set_id`` (mapping tests)."""
    encode_set(set_id, tree, "0001", DEFAULT_SEPARATORS)


__all__ = [
    "DEFAULT_SEPARATORS",
    "FUNCTIONAL_IDS",
    "GS_VERSIONS",
    "EncodeError",
    "Envelope",
    "Group",
    "Level",
    "check_separators",
    "check_tree",
    "encode",
    "encode_groups",
    "encode_interchange",
    "encode_set",
    "structure",
]
