"""pyx12 as the judge of every 997/999/TA1 we produce (unit and integration tests alike).

pyx12's maps are written for HIPAA: they restrict AK101 (functional id), AK201 (set id), the 997
group's GS08 and the ISA05/ISA07 id qualifiers (also in the control maps) to health-care values.
A copy of each map with exactly those code lists removed (``WIDENED``) is used, so an 850 from
a partner with a SCAC or phone-number qualifier can be acknowledged; every other rule of the maps
(segment order and repeats, usage, element lengths and types, the other code lists, SE/GE/IEA
counts) applies. The 999's business unit CTX (CTX01-1) has a HIPAA list of reference
designators (CLM01, TRN02...); the designators we use for supply-chain sets (BEG03, BSN02...:
``BUSINESS_UNIT_ELEMENTS``) are added to that list, and only those.
"""

from __future__ import annotations

import io
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyx12.params
import pyx12.x12n_document

from connectors.x12 import Reader, Segment
from connectors.x12.ack import BUSINESS_UNIT_ELEMENTS

WIDENED = {
    "997.4010.xml": ("ISA05", "ISA07", "AK101", "AK201", "GS08"),
    "999.5010.xml": ("AK101", "AK201"),
    "x12.control.00401.xml": ("ISA05", "ISA07"),
    "x12.control.00501.xml": ("ISA05", "ISA07"),
}


def widened_maps(target: Path) -> Path:
    """Write pyx12's map folder, HIPAA-only code lists widened, into ``target``."""
    source = Path(str(files("pyx12") / "map"))
    for path in source.iterdir():
        if path.suffix in (".xml", ".xsd") and path.name != "maps.xml":
            (target / path.name).symlink_to(path)
    for name, widened in WIDENED.items():
        text = (source / name).read_text("utf-8")
        for xid in widened:
            text = re.sub(
                rf'(<element xid="{xid}">.*?)<valid_codes>.*?</valid_codes>',
                r"\1",
                text,
                count=1,
                flags=re.DOTALL,
            )
        if name == "999.5010.xml":
            ours = "".join(f"<code>{s}{p:02d}</code>" for s, p in BUSINESS_UNIT_ELEMENTS.values())
            assert text.count("<code>CLM01</code>") == 1
            text = text.replace("<code>CLM01</code>", f"<code>CLM01</code>{ours}")
        (target / name).unlink()
        (target / name).write_text(text, "utf-8")
    return target


def _gs08s(text: str) -> set[str]:
    return {s.get(8) for s in Reader(text.encode()) if isinstance(s, Segment) and s.id == "GS"}


def pyx12_errors(text: str, kind: str, maps: Path) -> list[dict[str, Any]]:
    """pyx12's verdict on an acknowledgement interchange: its errors (empty when valid)."""
    icvn = "00501" if kind == "999" else "00401"
    map_file = "999.5010.xml" if kind == "999" else "997.4010.xml"
    entries = "".join(
        f'<map vriic="{version}" fic="FA" abbr="{kind}">{map_file}</map>'
        for version in _gs08s(text)
    )
    (maps / "maps.xml").write_text(
        f'<maps><version icvn="{icvn}">{entries}</version></maps>', "utf-8"
    )
    param = pyx12.params.params()
    errors = io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        param, io.StringIO(text), None, None, fd_json=errors, map_path=str(maps)
    )
    found = json.loads(errors.getvalue() or "[]")
    return [] if valid else [found]
