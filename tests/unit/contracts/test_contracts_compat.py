"""contracts.compat against hand-made schemas: every non-additive kind, and additive ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from contracts.compat import BreakingChange, ChangeKind, breaking_changes

Schema = dict[str, Any]


def _str() -> Schema:
    return {"type": "string", "minLength": 1}


def _optional(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}], "default": None}


def _base() -> Schema:
    """Shaped like msgspec's output: a root $ref, $defs, closed objects, optional = anyOf null."""
    return {
        "$ref": "#/$defs/Doc",
        "$defs": {
            "Doc": {
                "title": "Doc",
                "type": "object",
                "properties": {
                    "id": {"type": "string", "minLength": 1, "maxLength": 128},
                    "kind": {"$ref": "#/$defs/Kind"},
                    "count": {"type": "integer", "minimum": 0},
                    "code": _optional({"type": "string", "pattern": "^[A-Z]{3}$"}),
                    "tags": {"type": "array", "items": _str(), "default": []},
                    "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "minItems": 1},
                    "ids": {
                        "type": "object",
                        "additionalProperties": _str(),
                        "propertyNames": {"minLength": 1},
                        "default": {},
                    },
                    "pair": {
                        "type": "array",
                        "prefixItems": [{"type": "string"}, {"type": "number"}],
                    },
                    "tree": _optional({"$ref": "#/$defs/Node"}),
                },
                "required": ["id", "kind", "count", "lines"],
                "additionalProperties": False,
            },
            "Kind": {"title": "Kind", "enum": ["a", "b", "c"]},
            "Line": {
                "title": "Line",
                "type": "object",
                "properties": {
                    "qty": {"type": "string", "format": "decimal"},
                    "note": _optional(_str()),
                },
                "required": ["qty"],
                "additionalProperties": False,
            },
            "Node": {
                "title": "Node",
                "type": "object",
                "properties": {
                    "children": {
                        "type": "array",
                        "items": {"$ref": "#/$defs/Node"},
                        "default": [],
                    },
                    "label": _optional(_str()),
                },
                "required": [],
                "additionalProperties": False,
            },
        },
    }


def _changed(edit: Any) -> list[BreakingChange]:
    old = _base()
    new = copy.deepcopy(old)
    edit(new["$defs"])
    return breaking_changes(old, new)


def _props(defs: Schema, name: str = "Doc") -> Schema:
    props: Schema = defs[name]["properties"]
    return props


def test_identical_schemas_have_no_changes() -> None:
    assert breaking_changes(_base(), _base()) == []


def _remove_code(d: Schema) -> None:
    del _props(d)["code"]


def _rename_code(d: Schema) -> None:
    _props(d)["currency_code"] = _props(d).pop("code")


def _rename_required_id(d: Schema) -> None:
    _props(d)["doc_id"] = _props(d).pop("id")
    d["Doc"]["required"] = ["doc_id", "kind", "count", "lines"]


def _add_required(d: Schema) -> None:
    _props(d)["owner"] = _str()
    d["Doc"]["required"].append("owner")


def _require_code(d: Schema) -> None:
    d["Doc"]["required"].append("code")
    del _props(d)["code"]["default"]


def _drop_null(d: Schema) -> None:
    _props(d)["code"] = {"type": "string", "pattern": "^[A-Z]{3}$"}


def _int_to_str(d: Schema) -> None:
    _props(d)["count"] = {"type": "string"}


def _number_to_int(d: Schema) -> None:
    _props(d, "Line")["qty"] = {"type": "integer"}


def _remove_enum_value(d: Schema) -> None:
    d["Kind"]["enum"] = ["a", "c"]


def _enum_on_free_string(d: Schema) -> None:
    _props(d, "Line")["note"] = _optional({"enum": ["x", "y"]})


def _raise_min_length(d: Schema) -> None:
    _props(d)["id"]["minLength"] = 2


def _lower_max_length(d: Schema) -> None:
    _props(d)["id"]["maxLength"] = 64


def _raise_minimum(d: Schema) -> None:
    _props(d)["count"]["minimum"] = 1


def _add_maximum(d: Schema) -> None:
    _props(d)["count"]["maximum"] = 100


def _change_pattern(d: Schema) -> None:
    _props(d)["code"]["anyOf"][0]["pattern"] = "^[A-Z]{2}$"


def _add_format(d: Schema) -> None:
    _props(d, "Line")["note"]["anyOf"][0]["format"] = "email"


def _add_max_items(d: Schema) -> None:
    _props(d)["lines"]["maxItems"] = 10


def _close_ids(d: Schema) -> None:
    _props(d)["ids"]["additionalProperties"] = False


def _tighten_dict_values(d: Schema) -> None:
    _props(d)["ids"]["additionalProperties"] = {"type": "string", "minLength": 3}


def _tighten_dict_keys(d: Schema) -> None:
    _props(d)["ids"]["propertyNames"] = {"minLength": 1, "maxLength": 8}


def _change_default(d: Schema) -> None:
    _props(d)["code"]["default"] = "USD"


def _grow_tuple(d: Schema) -> None:
    _props(d)["pair"]["prefixItems"].append({"type": "string"})


def _swap_tuple(d: Schema) -> None:
    _props(d)["pair"]["prefixItems"].reverse()


def _change_recursive(d: Schema) -> None:
    _props(d, "Node")["label"] = _optional({"type": "string", "minLength": 2})


def _remove_nested_field(d: Schema) -> None:
    del _props(d, "Line")["note"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_remove_code, [("$.code", ChangeKind.REMOVED_FIELD, "field removed")]),
        (
            _rename_code,
            [("$.code", ChangeKind.REMOVED_FIELD, "field removed (renamed to 'currency_code'?)")],
        ),
        (
            _rename_required_id,
            [
                ("$.id", ChangeKind.REMOVED_FIELD, "field removed (renamed to 'doc_id'?)"),
                ("$.doc_id", ChangeKind.NEW_REQUIRED_FIELD, "new required field"),
            ],
        ),
        (_add_required, [("$.owner", ChangeKind.NEW_REQUIRED_FIELD, "new required field")]),
        (_require_code, [("$.code", ChangeKind.NEW_REQUIRED_FIELD, "optional field now required")]),
        (_drop_null, [("$.code", ChangeKind.NARROWED_TYPE, "null no longer accepted (string)")]),
        (
            _int_to_str,
            [("$.count", ChangeKind.NARROWED_TYPE, "integer no longer accepted (string)")],
        ),
        (
            _number_to_int,
            [
                ("$.lines[*].qty", ChangeKind.NARROWED_TYPE, "string no longer accepted (integer)"),
            ],
        ),
        (_remove_enum_value, [("$.kind", ChangeKind.REMOVED_ENUM_VALUE, "removed ['b']")]),
        (
            _enum_on_free_string,
            [("$.lines[*].note", ChangeKind.TIGHTENED_CONSTRAINT, "now restricted to ['x', 'y']")],
        ),
        (_raise_min_length, [("$.id", ChangeKind.TIGHTENED_CONSTRAINT, "minLength 1 -> 2")]),
        (_lower_max_length, [("$.id", ChangeKind.TIGHTENED_CONSTRAINT, "maxLength 128 -> 64")]),
        (_raise_minimum, [("$.count", ChangeKind.TIGHTENED_CONSTRAINT, "minimum 0 -> 1")]),
        (
            _add_maximum,
            [("$.count", ChangeKind.TIGHTENED_CONSTRAINT, "maximum <missing> -> 100")],
        ),
        (
            _change_pattern,
            [("$.code", ChangeKind.TIGHTENED_CONSTRAINT, "pattern '^[A-Z]{3}$' -> '^[A-Z]{2}$'")],
        ),
        (
            _add_format,
            [("$.lines[*].note", ChangeKind.TIGHTENED_CONSTRAINT, "format <missing> -> 'email'")],
        ),
        (
            _add_max_items,
            [("$.lines", ChangeKind.TIGHTENED_CONSTRAINT, "maxItems <missing> -> 10")],
        ),
        (
            _close_ids,
            [("$.ids", ChangeKind.TIGHTENED_CONSTRAINT, "unknown properties now rejected")],
        ),
        (
            _tighten_dict_values,
            [("$.ids{*}", ChangeKind.TIGHTENED_CONSTRAINT, "minLength 1 -> 3")],
        ),
        (
            _tighten_dict_keys,
            [("$.ids{key}", ChangeKind.TIGHTENED_CONSTRAINT, "maxLength <missing> -> 8")],
        ),
        (_change_default, [("$.code", ChangeKind.CHANGED_DEFAULT, "default None -> 'USD'")]),
        (_grow_tuple, [("$.pair", ChangeKind.CHANGED_POSITIONS, "2 positions -> 3")]),
        (
            _swap_tuple,
            [
                ("$.pair[0]", ChangeKind.NARROWED_TYPE, "string no longer accepted (number)"),
                ("$.pair[1]", ChangeKind.NARROWED_TYPE, "number no longer accepted (string)"),
            ],
        ),
        (
            _change_recursive,
            [("$.tree.label", ChangeKind.TIGHTENED_CONSTRAINT, "minLength 1 -> 2")],
        ),
        (_remove_nested_field, [("$.lines[*].note", ChangeKind.REMOVED_FIELD, "field removed")]),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else "",
)
def test_non_additive_changes_are_listed(
    edit: Any, expected: list[tuple[str, ChangeKind, str]]
) -> None:
    changes = _changed(edit)
    assert [(c.path, c.kind, c.detail) for c in changes] == expected


def _add_optional(d: Schema) -> None:
    _props(d)["priority"] = _optional({"type": "integer"})


def _add_defaulted(d: Schema) -> None:
    _props(d, "Line")["uom"] = {"type": "string", "default": "EA"}


def _add_enum_value(d: Schema) -> None:
    d["Kind"]["enum"] = ["a", "b", "c", "d"]


def _make_nullable(d: Schema) -> None:
    _props(d)["count"] = _optional({"type": "integer", "minimum": 0})


def _int_to_number(d: Schema) -> None:
    _props(d)["count"] = {"type": "number", "minimum": 0}


def _int_or_string(d: Schema) -> None:
    _props(d)["count"] = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]}


def _enum_to_free_string(d: Schema) -> None:
    _props(d)["kind"] = {"type": "string"}


def _to_anything(d: Schema) -> None:
    _props(d)["pair"] = {}


def _loosen_constraints(d: Schema) -> None:
    _props(d)["id"] = {"type": "string"}
    _props(d)["lines"].pop("minItems")
    _props(d)["code"]["anyOf"][0].pop("pattern")
    _props(d, "Line")["qty"].pop("format")


def _relax_required(d: Schema) -> None:
    d["Doc"]["required"].remove("count")
    _props(d)["count"]["default"] = 0


def _open_object(d: Schema) -> None:
    d["Line"]["additionalProperties"] = True


def _rename_definition(d: Schema) -> None:
    """Renaming a Python class changes $defs keys and titles, not the wire format."""
    d["Row"] = d.pop("Line")
    d["Row"]["title"] = "Row"
    d["Row"]["description"] = "One row."
    _props(d)["lines"]["items"] = {"$ref": "#/$defs/Row"}


def _reorder_properties(d: Schema) -> None:
    d["Doc"]["properties"] = dict(reversed(list(_props(d).items())))


@pytest.mark.parametrize(
    "edit",
    [
        _add_optional,
        _add_defaulted,
        _add_enum_value,
        _make_nullable,
        _int_to_number,
        _int_or_string,
        _enum_to_free_string,
        _to_anything,
        _loosen_constraints,
        _relax_required,
        _open_object,
        _rename_definition,
        _reorder_properties,
    ],
    ids=lambda edit: edit.__name__.strip("_"),
)
def test_additive_changes_pass(edit: Any) -> None:
    assert _changed(edit) == []


def test_tuple_and_list_defaults_compare_equal() -> None:
    """A generated schema holds tuples where the loaded JSON holds lists."""
    old = _base()
    new = copy.deepcopy(old)
    _props(new["$defs"])["tags"]["default"] = ()
    assert breaking_changes(old, new) == []


def test_change_reads_as_one_line() -> None:
    change = BreakingChange(path="$.a", kind=ChangeKind.REMOVED_FIELD, detail="field removed")
    assert str(change) == "$.a: removed_field: field removed"
