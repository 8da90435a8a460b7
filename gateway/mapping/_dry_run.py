"""A dry run: one sample document through decode, map and validate, nothing journaled.

Shared by ``crossdock map`` and ``POST /v1/mappings/dry-run`` so both answer the same way. The
mapping is chosen as the pipeline chooses it (``<partner>/<document_type>.yaml``, else the
document must already be canonical); a failure is a :class:`DryRunError` whose ``as_dict()``
names the stage, the mapping file and line, the expression, the target path and the value found.
The document is mapped as if received now (what a mapping's ``received_at()`` answers).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import msgspec

import contracts
from connectors.errors import StageError, ValidateError
from connectors.rest.decode import decode_json
from gateway.mapping._errors import DocumentMapError, MappingFileError
from gateway.mapping._examples import x12_tree
from gateway.mapping._registry import MappingRegistry, selected_name

_encode = msgspec.json.Encoder(decimal_format="string").encode
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TYPE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")  # x12.943: a set with no canonical type
NO_MAPPING = "(canonical pass-through)"  # the map event of a document without a mapping


@dataclass(frozen=True)
class DryRun:
    """A successful dry run: which mapping was used and the validated canonical JSON."""

    mapping: str
    contract: str
    canonical: bytes


class DryRunError(Exception):
    """A dry run failed at ``stage``; ``as_dict()`` is what the CLI prints and the API returns."""

    def __init__(self, error: StageError, mapping: str | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.mapping = mapping

    @property
    def stage(self) -> str:
        """decode, map or validate."""
        return self.error.stage

    def as_dict(self) -> dict[str, Any]:
        """Stage, code, message, and where: mapping, file, line, expression, path, found."""
        out: dict[str, Any] = self.error.as_dict()
        out["mapping"] = self.mapping
        if isinstance(self.error, DocumentMapError | MappingFileError):
            out["file"] = self.error.file
            out["line"] = self.error.line
            out["expression"] = self.error.expression
        return {key: value for key, value in out.items() if value is not None}


def _validate(contract: str, document_type: str, mapped: Any) -> msgspec.Struct:
    try:
        return contracts.convert(contract, document_type, mapped)
    except contracts.UnknownDocumentTypeError as exc:
        raise ValidateError(str(exc), code="unknown_contract") from exc
    except msgspec.ValidationError as exc:
        text = str(exc)
        path = text.rsplit(" - at ", 1)[1].strip("`") if " - at " in text else "$"
        raise ValidateError(
            f"{contract}/{document_type}: {text.split(' - at ', 1)[0]}",
            code="contract_violation",
            path=path,
        ) from exc


def dry_run(
    registry: MappingRegistry,
    partner: str,
    document_type: str,
    raw: bytes,
    *,
    mapping: str | None = None,
) -> DryRun:
    """Decode ``raw`` (JSON, or an X12 interchange of one set), map it and validate it.

    ``mapping`` overrides the selection, as a channel's explicit ``mapping:`` does. Raises
    :class:`DryRunError`; ``ValueError`` for a partner or document type that is not a name.
    """
    if not _NAME.match(partner):
        raise ValueError(f"partner {partner!r} is not a name (lower case, digits, - and _)")
    if not _TYPE.match(document_type):
        raise ValueError(
            f"document type {document_type!r} is not a name (lower case, digits, ., - and _)"
        )
    name: str | None = None
    try:
        # an X12 interchange: its one set's tree, as the decode stage builds it
        is_x12 = raw.lstrip()[:3] == b"ISA"
        tree = x12_tree(raw) if is_x12 else decode_json(raw, document_type).tree
        name = selected_name(registry.directory, partner, document_type, mapping)
        if name is None:
            name, contract, mapped = NO_MAPPING, "v1", tree
        else:
            compiled = registry.get(name)
            version, _, target_type = (compiled.target or "v1/").partition("/")
            contract = version
            if target_type and target_type != document_type:
                if not document_type.startswith("x12."):
                    raise MappingFileError(
                        compiled.path,
                        None,
                        f"the mapping targets {compiled.target}, not {version}/{document_type}",
                    )
                document_type = target_type  # x12.943 -> what its mapping makes, as the pipeline
            mapped = compiled.apply(tree, received_at=time.time())
        canonical = _validate(contract, document_type, mapped)
    except StageError as exc:
        raise DryRunError(exc, name) from exc
    return DryRun(name, f"{contract}/{document_type}", _encode(canonical))
