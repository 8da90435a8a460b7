"""The compatibility gate: checked-in schemas are current, and v1 only ever grows additively."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import msgspec
import pytest

from contracts import VERSIONS, schema
from contracts.compat import ChangeKind, breaking_changes
from contracts.v1 import Order

ROOT = Path(schema.__file__).resolve().parents[1]
CASES = [(version, name) for version, types in VERSIONS.items() for name in sorted(types)]


def _checked_in(version: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (schema.schema_dir(version) / f"{name}.json").read_text("utf-8")
    )
    return data


def test_checked_in_schemas_are_current() -> None:
    stale = [str(path.relative_to(ROOT)) for path in schema.stale_files()]
    assert stale == [], "run `python -m contracts.schema` and commit the result"


@pytest.mark.parametrize(("version", "name"), CASES)
def test_model_is_additive_against_checked_in_schema(version: str, name: str) -> None:
    generated = msgspec.json.schema(VERSIONS[version][name])
    changes = breaking_changes(_checked_in(version, name), generated)
    assert [str(change) for change in changes] == []


def _committed(version: str, name: str) -> dict[str, Any] | None:
    git = shutil.which("git")
    if git is None:
        return None
    relative = (schema.schema_dir(version) / f"{name}.json").relative_to(ROOT).as_posix()
    shown = subprocess.run(
        [git, "show", f"HEAD:{relative}"], cwd=ROOT, capture_output=True, check=False
    )
    if shown.returncode != 0:
        return None
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


@pytest.mark.parametrize(("version", "name"), CASES)
def test_model_is_additive_against_committed_schema(version: str, name: str) -> None:
    """Regenerating the files cannot launder a break: compare with the last commit too."""
    committed = _committed(version, name)
    if committed is None:
        pytest.skip("schema not committed yet (or git unavailable)")
    changes = breaking_changes(committed, msgspec.json.schema(VERSIONS[version][name]))
    assert [str(change) for change in changes] == []


def _order_variant(**changes: Any) -> type[msgspec.Struct]:
    """Order with fields removed (None), made required (...), or added ((type, default))."""
    fields: list[Any] = []
    for info in msgspec.structs.fields(Order):
        change = changes.pop(info.name, "keep")
        if change is None:
            continue
        if change is ... or info.required:
            fields.append((info.name, info.type))
        else:
            fields.append((info.name, info.type, info.default))
    fields.extend((name, kind, default) for name, (kind, default) in changes.items())
    return msgspec.defstruct("Order", fields, kw_only=True, frozen=True, forbid_unknown_fields=True)


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        (_order_variant(notes=None), [(ChangeKind.REMOVED_FIELD, "$.notes")]),
        (_order_variant(currency=...), [(ChangeKind.NEW_REQUIRED_FIELD, "$.currency")]),
        (_order_variant(priority=(int, 0)), []),  # a new field with a default is additive
        (_order_variant(priority=(int | None, None)), []),
    ],
    ids=["removed", "now-required", "new-optional", "new-nullable"],
)
def test_gate_catches_a_real_model_change(
    variant: type[msgspec.Struct], expected: list[tuple[ChangeKind, str]]
) -> None:
    changes = breaking_changes(_checked_in("v1", "order"), msgspec.json.schema(variant))
    assert [(change.kind, change.path) for change in changes] == expected


@pytest.fixture
def schema_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the schema command at a scratch folder so it can be exercised end to end."""
    monkeypatch.setattr(schema, "schema_dir", lambda version: tmp_path / version / "schema")
    return tmp_path


def test_schema_command_writes_and_checks(
    schema_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert schema.main(["--check"]) == 1
    assert "out of date:" in capsys.readouterr().err

    assert schema.main([]) == 0
    written = sorted(p.name for p in (schema_home / "v1" / "schema").iterdir())
    assert written == sorted(f"{name}.json" for name in VERSIONS["v1"])
    text = (schema_home / "v1" / "schema" / "order.json").read_text("utf-8")
    assert text.endswith("}\n")
    assert text == schema.render(Order)
    assert json.loads(text)["$schema"] == schema.JSON_SCHEMA_DIALECT

    assert schema.main(["--check"]) == 0
    (schema_home / "v1" / "schema" / "order.json").write_text(text.replace("  ", " "), "utf-8")
    (schema_home / "v1" / "schema" / "gone.json").write_text("{}\n", "utf-8")
    assert schema.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "order.json" in err
    assert "gone.json" in err


def test_schema_command_refuses_a_breaking_overwrite(
    schema_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert schema.main([]) == 0
    path = schema_home / "v1" / "schema" / "order.json"
    old = json.loads(path.read_text("utf-8"))
    old["$defs"]["Order"]["properties"]["legacy_code"] = {"type": "string", "default": ""}
    path.write_text(json.dumps(old), "utf-8")
    capsys.readouterr()

    assert schema.main([]) == 1
    err = capsys.readouterr().err
    assert "$.legacy_code: removed_field" in err
    assert "new contract version" in err
    assert json.loads(path.read_text("utf-8")) == old  # left alone

    assert schema.main(["--allow-breaking"]) == 0
    assert path.read_text("utf-8") == schema.render(Order)


def test_schema_rendering_is_stable_across_docstring_indentation() -> None:
    rendered = json.loads(schema.render(Order))
    for definition in rendered["$defs"].values():
        description = definition.get("description", "")
        assert "\n    " not in description
