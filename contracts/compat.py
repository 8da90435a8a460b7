"""Find the non-additive changes between two JSON Schemas of the same document type.

Within a contract version only additive changes are allowed: a new optional field, a new enum
value, a wider type, a looser constraint. Everything else can make a payload that was valid
yesterday invalid today (or change what it means), so it needs a new version with a converter.
This module compares the checked-in schema (old) with the generated one (new) and lists the
changes that are not additive, with the JSON path where each happens.

It understands the subset of JSON Schema that ``msgspec.json.schema`` emits: ``$ref`` into
``$defs``, ``anyOf`` unions, ``type``, ``enum``/``const``, object ``properties``/``required``/
``additionalProperties``, array ``items``/``prefixItems`` and the usual string, number and
size constraints. When in doubt (e.g. a changed regex) it reports the change: a false alarm
costs a reviewer a minute, a missed break costs a partner an outage.

A renamed field is reported as what it is on the wire: the old name removed (with a hint
naming the likely new one) and, if the new name is required, a new required field.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import msgspec

__all__ = ["BreakingChange", "ChangeKind", "breaking_changes"]

Schema = Mapping[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_EXACT = ("pattern", "format", "multipleOf")
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


class ChangeKind(enum.StrEnum):
    """The kinds of non-additive change."""

    REMOVED_FIELD = "removed_field"
    NEW_REQUIRED_FIELD = "new_required_field"
    NARROWED_TYPE = "narrowed_type"
    REMOVED_ENUM_VALUE = "removed_enum_value"
    TIGHTENED_CONSTRAINT = "tightened_constraint"
    CHANGED_DEFAULT = "changed_default"
    CHANGED_POSITIONS = "changed_positions"


class BreakingChange(msgspec.Struct, frozen=True, kw_only=True):
    """One non-additive change: where (a ``$.a.b[*]`` path, as in msgspec errors) and what."""

    path: str
    kind: ChangeKind
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.detail}"


def breaking_changes(old: Schema, new: Schema) -> list[BreakingChange]:
    """List the changes from ``old`` to ``new`` that are not additive; empty means compatible."""
    # Normalise to plain JSON values so a generated schema (tuples) compares equal to a loaded one.
    old = msgspec.json.decode(msgspec.json.encode(old))
    new = msgspec.json.decode(msgspec.json.encode(new))
    differ = _Differ(old, new)
    differ.compare(old, new, "$")
    return differ.changes


class _Differ:
    """Walks both schemas in step, resolving ``$ref`` in each against its own ``$defs``."""

    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.changes: list[BreakingChange] = []
        self._seen: set[tuple[str, str]] = set()

    def report(self, path: str, kind: ChangeKind, detail: str) -> None:
        self.changes.append(BreakingChange(path=path, kind=kind, detail=detail))

    def compare(self, old: Schema, new: Schema, path: str) -> None:
        old_alts = _alternatives(self.old_root, old, None)
        new_alts = _alternatives(self.new_root, new, None)
        if "any" in new_alts:
            return
        for kind, (old_alt, old_ref) in old_alts.items():
            found = new_alts.get(kind)
            if found is None and kind == "integer":
                found = new_alts.get("number")
            if found is None:
                accepted = ", ".join(sorted(new_alts)) or "nothing"
                self.report(
                    path, ChangeKind.NARROWED_TYPE, f"{kind} no longer accepted ({accepted})"
                )
                continue
            new_alt, new_ref = found
            if old_ref is not None and new_ref is not None:
                if (old_ref, new_ref) in self._seen:  # shared and recursive types: once per pair
                    continue
                self._seen.add((old_ref, new_ref))
            self._compare_same_kind(old_alt, new_alt, path)

    def _compare_same_kind(self, old: Schema, new: Schema, path: str) -> None:
        self._compare_values(old, new, path)
        self._compare_constraints(old, new, path)
        self._compare_objects(old, new, path)
        self._compare_arrays(old, new, path)

    def _compare_values(self, old: Schema, new: Schema, path: str) -> None:
        # ``const`` was folded into ``enum`` by _alternatives.
        if "enum" not in new:
            return
        if "enum" not in old:
            self.report(path, ChangeKind.TIGHTENED_CONSTRAINT, f"now restricted to {new['enum']!r}")
            return
        removed = [value for value in old["enum"] if value not in new["enum"]]
        if removed:
            self.report(path, ChangeKind.REMOVED_ENUM_VALUE, f"removed {removed!r}")

    def _compare_constraints(self, old: Schema, new: Schema, path: str) -> None:
        for key in _LOWER_BOUNDS:
            if key in new and (key not in old or new[key] > old[key]):
                self.report(path, ChangeKind.TIGHTENED_CONSTRAINT, _bound(key, old, new))
        for key in _UPPER_BOUNDS:
            if key in new and (key not in old or new[key] < old[key]):
                self.report(path, ChangeKind.TIGHTENED_CONSTRAINT, _bound(key, old, new))
        for key in _EXACT:
            if key in new and new[key] != old.get(key):
                self.report(path, ChangeKind.TIGHTENED_CONSTRAINT, _bound(key, old, new))
        if new.get("uniqueItems") is True and old.get("uniqueItems") is not True:
            self.report(path, ChangeKind.TIGHTENED_CONSTRAINT, "items must now be unique")

    def _compare_objects(self, old: Schema, new: Schema, path: str) -> None:
        old_props: Mapping[str, Schema] = old.get("properties", {})
        new_props: Mapping[str, Schema] = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        added = [name for name in new_props if name not in old_props]
        for name in sorted(old_props):
            field_path = f"{path}.{name}"
            if name not in new_props:
                twins = [n for n in added if new_props[n] == old_props[name]]
                hint = f" (renamed to {', '.join(map(repr, twins))}?)" if twins else ""
                self.report(field_path, ChangeKind.REMOVED_FIELD, f"field removed{hint}")
                continue
            if name in new_required and name not in old_required:
                self.report(
                    field_path, ChangeKind.NEW_REQUIRED_FIELD, "optional field now required"
                )
            old_default = old_props[name].get("default", _MISSING)
            new_default = new_props[name].get("default", _MISSING)
            if _MISSING not in (old_default, new_default) and old_default != new_default:
                detail = f"default {old_default!r} -> {new_default!r}"
                self.report(field_path, ChangeKind.CHANGED_DEFAULT, detail)
            self.compare(old_props[name], new_props[name], field_path)
        for name in sorted(added):
            if name in new_required:
                self.report(f"{path}.{name}", ChangeKind.NEW_REQUIRED_FIELD, "new required field")
        if "propertyNames" in new:
            old_names = {"type": "string", **old.get("propertyNames", {})}
            self.compare(old_names, {"type": "string", **new["propertyNames"]}, f"{path}{{key}}")
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if new_extra is False and old_extra is not False:
            self.report(path, ChangeKind.TIGHTENED_CONSTRAINT, "unknown properties now rejected")
        elif isinstance(new_extra, Mapping):
            if isinstance(old_extra, Mapping):
                self.compare(old_extra, new_extra, f"{path}{{*}}")
            elif old_extra is True:
                self.report(path, ChangeKind.TIGHTENED_CONSTRAINT, "extra properties now typed")

    def _compare_arrays(self, old: Schema, new: Schema, path: str) -> None:
        old_prefix, new_prefix = old.get("prefixItems"), new.get("prefixItems")
        if old_prefix is not None or new_prefix is not None:
            old_prefix, new_prefix = old_prefix or [], new_prefix or []
            if len(old_prefix) != len(new_prefix):
                detail = f"{len(old_prefix)} positions -> {len(new_prefix)}"
                self.report(path, ChangeKind.CHANGED_POSITIONS, detail)
            for index, (old_item, new_item) in enumerate(zip(old_prefix, new_prefix, strict=False)):
                self.compare(old_item, new_item, f"{path}[{index}]")
        if "items" in new and isinstance(new["items"], Mapping):
            old_items = old.get("items", {})
            if isinstance(old_items, Mapping):
                self.compare(old_items, new["items"], f"{path}[*]")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _bound(key: str, old: Schema, new: Schema) -> str:
    return f"{key} {old.get(key, _MISSING)!r} -> {new[key]!r}"


def _resolve(root: Schema, node: Schema, ref: str | None) -> tuple[Schema, str | None]:
    """Follow local ``$ref`` pointers; return the target and the last reference followed."""
    seen: set[str] = set()
    while "$ref" in node:
        pointer = node["$ref"]
        if pointer in seen or not pointer.startswith("#/"):
            break
        seen.add(pointer)
        target: Any = root
        for part in pointer[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node, ref = target, pointer
    return node, ref


_Alternatives = dict[str, tuple[Schema, str | None]]


def _alternatives(root: Schema, node: Schema, ref: str | None) -> _Alternatives:
    """Split a schema into one alternative per JSON type it accepts (``any`` = unconstrained).

    Each alternative keeps the ``$ref`` it was reached through, so recursion can be cut.
    """
    node, ref = _resolve(root, node, ref)
    alternatives: _Alternatives = {}
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        for branch in branches:
            alternatives.update(_alternatives(root, branch, None))
        return alternatives
    declared = node.get("type")
    if "enum" in node or "const" in node:
        values = node["enum"] if "enum" in node else [node["const"]]
        rest = {key: value for key, value in node.items() if key not in ("enum", "const", "type")}
        by_kind: dict[str, list[Any]] = {}
        for value in values:
            by_kind.setdefault(_JSON_TYPES.get(type(value), "any"), []).append(value)
        return {kind: ({**rest, "enum": found}, ref) for kind, found in by_kind.items()}
    if isinstance(declared, str):
        kinds = [declared]
    elif isinstance(declared, list):
        kinds = list(declared)
    elif "properties" in node:
        kinds = ["object"]
    else:
        kinds = ["any"]
    for kind in kinds:
        alternatives[kind] = (node, ref)
    return alternatives
