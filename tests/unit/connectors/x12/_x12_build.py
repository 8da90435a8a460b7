"""Test helpers: build interchanges with any separators, and find the shared samples."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[4]


def isa(
    control: str = "000000001",
    *,
    e: str = "*",
    c: str = ">",
    t: str = "~",
    version: str = "00401",
    isa11: str = "U",
    padded: bool = True,
) -> str:
    fields = ["00", "", "00", "", "ZZ", "SENDER", "ZZ", "RECEIVER", "240101", "1200"]
    fields += [isa11, version, control, "0", "T", c]
    if padded:
        widths = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1]
        fields = [f.ljust(w) for f, w in zip(fields, widths, strict=True)]
    return "ISA" + e + e.join(fields) + t


def interchange(
    sets: list[list[list[str]]],
    *,
    control: str = "000000001",
    e: str = "*",
    c: str = ">",
    t: str = "~",
    after: str = "",
    version: str = "00401",
    isa11: str = "U",
    padded: bool = True,
    set_id: str = "850",
) -> str:
    """``sets`` is a list of sets, each a list of segments (id first, then elements)."""
    out = [isa(control, e=e, c=c, t=t, version=version, isa11=isa11, padded=padded) + after]

    def seg(*parts: str) -> None:
        out.append(e.join(parts) + t + after)

    seg("GS", "PO", "SENDER", "RECEIVER", "20240101", "1200", "1", "X", "004010")
    for n, body in enumerate(sets, 1):
        ctl = f"{n:04d}"
        seg("ST", set_id, ctl)
        for s in body:
            seg(*s)
        seg("SE", str(len(body) + 2), ctl)
    seg("GE", str(len(sets)), "1")
    seg("IEA", "1", control)
    return "".join(out)


def po_850(lines: int) -> list[list[str]]:
    body = [["BEG", "00", "SA", "PO123", "", "20240101"], ["REF", "DP", "038"]]
    body += [
        ["N1", "ST", "STORE 1", "92", "0001"],
        ["N3", "1 MAIN ST"],
        ["N4", "CITY", "OH", "44139"],
    ]
    for i in range(1, lines + 1):
        body.append(["PO1", str(i), "12", "EA", "9.25", "", "VN", f"SKU{i:05d}"])
        body.append(["PID", "F", "", "", "", f"WIDGET {i}"])
    body.append(["CTT", str(lines)])
    return body


def samples_dir() -> Path:
    """``../shared/samples/x12`` relative to the repository root (never copied into the repo)."""
    return (REPO.parent / "shared" / "samples" / "x12").resolve()


def sample_files() -> list[Path]:
    root = samples_dir()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
