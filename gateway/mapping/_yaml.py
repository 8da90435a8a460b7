"""Reading YAML as *nodes*, so every value keeps the file and line it came from.

``yaml.safe_load`` forgets where things were; ``yaml.compose`` keeps a mark on every scalar.
Error messages quote those marks, and scalars are read as written, so a code list key ``01``
stays ``"01"`` and ``NO`` (Norway) stays ``"NO"`` instead of becoming ``1`` or ``False``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from gateway.mapping._errors import MappingFileError

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"

DIRECTIVE_KEYS = frozenset({"value", "const", "each", "fields", "when", "required", "default"})
PRODUCER_KEYS = frozenset({"value", "const", "each", "fields"})


def compose_file(path: Path, *, referenced_from: yaml.Node | None = None) -> yaml.Node | None:
    """Compose one YAML file; a missing file is blamed on the line that referenced it."""
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.compose(stream, Loader=yaml.SafeLoader)
    except FileNotFoundError:
        if referenced_from is not None:
            raise fail(referenced_from, f"file not found: {path}") from None
        raise MappingFileError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingFileError(path, None, f"cannot read the file: {exc}") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise MappingFileError(path, line, f"YAML syntax error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise MappingFileError(path, None, f"YAML error: {exc}") from exc


def line_of(node: yaml.Node) -> int:
    """1-based line of a node, as editors count."""
    return int(node.start_mark.line) + 1


def file_of(node: yaml.Node) -> str:
    """The file a node came from (``compose`` was given an open file, so marks carry its name)."""
    return str(node.start_mark.name)


def fail(
    node: yaml.Node, problem: str, *, field: str | None = None, expression: str | None = None
) -> MappingFileError:
    """A ``MappingFileError`` located at ``node``."""
    return MappingFileError(
        file_of(node), line_of(node), problem, field=field, expression=expression
    )


def is_null(node: yaml.Node) -> bool:
    """``~``, ``null`` or nothing at all."""
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG


def is_text(node: yaml.Node) -> bool:
    """A scalar YAML reads as a string (plain or quoted)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG


def text_of(node: yaml.Node, what: str) -> str:
    """A non-empty string scalar, or a located error naming ``what`` was expected."""
    if not is_text(node) or not str(node.value).strip():
        raise fail(node, f"{what} must be a non-empty string")
    return str(node.value)


def pairs(node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A mapping's entries by key (key node kept for its line); duplicate keys are an error."""
    if not isinstance(node, yaml.MappingNode):
        raise fail(node, f"{what} must be a mapping of names to values")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or not str(key_node.value):
            raise fail(key_node, f"keys in {what} must be plain names")
        key = str(key_node.value)  # as written: `01:` is "01", `yes:` is "yes"
        if key in out:
            raise fail(key_node, f"duplicate key `{key}` in {what}")
        out[key] = (key_node, value_node)
    return out


def is_directive(node: yaml.Node) -> bool:
    """A mapping made only of directive keys (``value``, ``when``...) that produces something.

    Any other key makes it a nested target object, so ``quantity: {value: ..., uom: ...}``
    is an object with a ``value`` field; so does a ``value`` that is itself a mapping, so
    ``quantity: {value: {value: ..., required: true}}`` is an object too. Otherwise, to nest an
    object whose only key is ``value``, write ``{fields: {value: ...}}``.
    """
    if not isinstance(node, yaml.MappingNode):
        return False
    entries = {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    if len(entries) != len(node.value) or not entries.keys() <= DIRECTIVE_KEYS:
        return False
    if not entries.keys() & PRODUCER_KEYS:
        return False
    return not isinstance(entries.get("value"), yaml.MappingNode)


class RawObject:
    """Target fields before compilation, in a shape ``extends`` can merge.

    Plain nested objects become ``RawObject`` too, so a child file can override one field of
    a base object; everything else stays a YAML node with its marks.
    """

    __slots__ = ("fields", "keys", "node")

    def __init__(
        self,
        node: yaml.Node,
        fields: dict[str, yaml.Node | RawObject],
        keys: dict[str, yaml.Node] | None = None,
    ) -> None:
        self.node = node
        self.fields = fields
        self.keys = keys if keys is not None else {}  # key nodes: where lint points


def raw_object(node: yaml.Node, what: str = "fields") -> RawObject:
    """Read a fields mapping; nested plain mappings recurse, directives and scalars stay nodes."""
    fields: dict[str, yaml.Node | RawObject] = {}
    keys: dict[str, yaml.Node] = {}
    for key, (key_node, value) in pairs(node, what).items():
        keys[key] = key_node
        if isinstance(value, yaml.MappingNode) and not is_directive(value):
            fields[key] = raw_object(value, f"`{key}`")
        else:
            fields[key] = value
    return RawObject(node, fields, keys)


def merge(base: RawObject, child: RawObject) -> RawObject:
    """``extends``: child keys replace base keys, nested plain objects merge, ``~`` removes."""
    fields = dict(base.fields)
    keys = dict(base.keys)
    for key, value in child.fields.items():
        previous = fields.get(key)
        if isinstance(value, yaml.Node) and is_null(value):
            fields.pop(key, None)
            keys.pop(key, None)
            continue
        if isinstance(value, RawObject) and isinstance(previous, RawObject):
            fields[key] = merge(previous, value)
        else:
            fields[key] = value
        if key in child.keys:
            keys[key] = child.keys[key]
    return RawObject(child.node, fields, keys)


def constant(node: yaml.Node) -> Any:
    """A ``const:`` value as JSON-like data; YAML dates become ISO strings."""
    value = SafeConstructor().construct_document(node)
    return _json_like(value, node)


def _json_like(value: Any, node: yaml.Node) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_like(item, node) for item in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                problem = (
                    f"keys of a constant must be strings, got {key!r}; quote keys such as "
                    "'on', 'yes' or '01', which YAML reads as booleans or numbers"
                )
                raise fail(node, problem)
        return {k: _json_like(v, node) for k, v in value.items()}
    raise fail(node, f"a constant must be JSON-like data, not {type(value).__name__}")
