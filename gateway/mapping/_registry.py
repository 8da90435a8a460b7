"""Compiled mappings by name, recompiled when any of their files changes on disk."""

from __future__ import annotations

import threading
from pathlib import Path

from gateway.mapping._errors import MappingFileError
from gateway.mapping._mapping import Mapping, Seen, compile_mapping
from gateway.mapping._tables import TableCache, stamp


class _Broken:
    """A compile that failed, remembered with the files it read so it is retried only on change."""

    __slots__ = ("error", "files")

    def __init__(self, error: MappingFileError, files: Seen) -> None:
        self.error = error
        self.files = tuple(files)

    def is_current(self) -> bool:
        return all(stamp(path) == before for path, before in self.files)


class MappingRegistry:
    """The mappings under one folder, by name (``"demo-shop/order"`` -> ``demo-shop/order.yaml``).

    ``get`` costs one ``stat`` per file the mapping was compiled from (the file, its bases, code
    lists and crosswalks): integrators edit files while the gateway runs and expect the next
    document to use them, without a restart. A change is a different mtime, size or inode; an
    edit that keeps all three (same size within one timestamp tick) is not seen, which in practice
    needs a tool that restores mtimes. A file that fails to compile raises ``MappingFileError``
    on every ``get`` until it changes again: the error is not retried, and the last good version
    is not silently used, because documents would then be mapped by a file nobody can see.

    ``get`` never awaits, so within one event loop it is atomic; a lock keeps threads from
    compiling the same file twice at once.
    """

    def __init__(self, mappings_dir: Path) -> None:
        self._dir = mappings_dir
        self._root = mappings_dir.resolve()
        self._tables = TableCache()
        self._entries: dict[str, Mapping | _Broken] = {}
        self._lock = threading.Lock()

    @property
    def directory(self) -> Path:
        """The mappings folder this registry reads."""
        return self._dir

    def get(self, name: str) -> Mapping:
        """The compiled mapping for ``name``, recompiled first if a file changed."""
        entry = self._entries.get(name)
        if entry is None or not entry.is_current():
            with self._lock:
                entry = self._entries.get(name)
                if entry is None or not entry.is_current():
                    entry = self._compile(name)
                    self._entries[name] = entry
        if isinstance(entry, _Broken):
            raise entry.error.with_traceback(None)  # one traceback, not one per get()
        return entry

    def select(
        self, partner: str, document_type: str, explicit: str | None = None
    ) -> tuple[str, Mapping] | None:
        """The mapping for a message: ``explicit`` if given, else ``<partner>/<document_type>``.

        ``None`` when no explicit name is given and no partner file exists: the document is
        expected to be canonical already (pass-through). A partner file that exists but does
        not compile raises ``MappingFileError``; it is never skipped silently.
        """
        name = explicit or selected_name(self._dir, partner, document_type)
        if name is None:
            return None
        return name, self.get(name)

    def _compile(self, name: str) -> Mapping | _Broken:
        path = self._path(name)
        seen: Seen = []
        try:
            return compile_mapping(path, self._tables, seen)
        except MappingFileError as exc:
            return _Broken(exc, seen or [(path, stamp(path))])

    def _path(self, name: str) -> Path:
        path = self._dir / name
        if path.suffix not in (".yaml", ".yml"):
            path = path.with_name(path.name + ".yaml")
        if not path.resolve().is_relative_to(self._root):
            raise MappingFileError(
                path, None, "a mapping name must stay inside the mappings folder"
            )
        return path


def selected_name(
    mappings_dir: Path, partner: str, document_type: str, explicit: str | None = None
) -> str | None:
    """The mapping name a (partner, document type) uses, or ``None`` for pass-through.

    ``explicit`` (a channel's ``mapping:``) wins; otherwise ``<partner>/<document_type>.yaml``
    (or ``.yml``) under ``mappings_dir`` if that file exists. ``crossdock check`` calls this to
    compile every mapping the configured channels will use.
    """
    if explicit:
        return explicit
    for suffix in (".yaml", ".yml"):
        name = f"{partner}/{document_type}{suffix}"
        if (mappings_dir / name).is_file():
            return name
    return None


NOT_MAPPINGS = frozenset({"_codelists", "crosswalks", "examples"})
"""Folders under the mappings folder that hold code lists, crosswalks and samples, not mappings."""


def mapping_files(mappings_dir: Path) -> list[Path]:
    """Every mapping file under ``mappings_dir`` (``*.yaml``/``*.yml``), sorted."""
    found = [
        path
        for suffix in ("*.yaml", "*.yml")
        for path in mappings_dir.rglob(suffix)
        if not NOT_MAPPINGS & set(path.relative_to(mappings_dir).parts[:-1])
    ]
    return sorted(found)
