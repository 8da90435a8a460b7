"""Check the X12 drop folders at load, so a bad path fails at start, not at the first file.

A folder is resolved against the config folder (like the SOAP WSDL paths) and must exist or be
creatable: the nearest existing ancestor is a writable directory. Nothing is created here
(``crossdock check`` has no side effects); the watcher creates the folder when it starts. Two
channels may not share a folder, nor nest one inside another: every file in a folder is taken
as that one channel's partner, and a nested folder would be read as a subfolder of the other.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from gateway.config.model import Channel


def _writable(folder: Path) -> str | None:
    """Why ``folder`` cannot hold drop files, or None when it can (or can be created)."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return f"no part of {folder} exists"
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "folder" if probe == folder else "folder's nearest existing parent"
        return f"the {what} {probe} is not writable by this process"
    return None


def check_drop_folders(
    channels: list[Channel], root: Path
) -> tuple[list[Channel], list[tuple[str, str]]]:
    """The channels with absolute drop folders, and the problems as (path, message)."""
    out: list[Channel] = []
    problems: list[tuple[str, str]] = []
    taken: list[tuple[Path, str]] = []
    for i, ch in enumerate(channels):
        if ch.drop_folder is None:
            out.append(ch)
            continue
        at = f"$[{i}].drop_folder"
        if ch.format != "x12":
            problems.append((at, f"only an x12 channel has a drop folder, not {ch.format!r}"))
        folder = (root / ch.drop_folder).resolve()
        out.append(msgspec.structs.replace(ch, drop_folder=str(folder)))
        why = _writable(folder)
        if why is not None:
            problems.append((at, f"{why}; expected a folder that exists or can be created"))
        for other, name in taken:
            if folder == other or folder.is_relative_to(other) or other.is_relative_to(folder):
                problems.append(
                    (
                        at,
                        f"{folder} overlaps channel {name!r}'s drop folder {other}; "
                        "expected one folder per channel, not nested in another",
                    )
                )
        taken.append((folder, ch.name))
    return out, problems
