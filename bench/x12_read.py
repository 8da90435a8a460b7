"""X12 read MB/s (tokenise + envelope structure) vs pyx12's X12Reader and a str.split tokeniser.

Ours: :func:`connectors.x12.read_sets` over a generated ~1 MB interchange of 850s (20 PO1 lines
each): tokenising and the envelope structure with its checks (ST/SE, GS/GE, ISA/IEA); an info
figure adds what :func:`decode` does on top (document tree and syntax notes per set).
Baselines on the same bytes in the same run, alternating rounds: (a) pyx12's ``X12Reader``
only tokenising (goal: ours >= 5x), (b) a plain ``str.split`` tokeniser (split on the
terminator, then on the element separator; goal: ratio >= 0.67, i.e. within 1.5x).
With ``quick=False`` also the peak RSS of streaming a 100 MB interchange (sets and trees),
measured in a subprocess with ``resource.getrusage`` (goal < 150 MB).
"""

from __future__ import annotations

import gc
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable

from bench._harness import ROOT, Result, median

_HEAD = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401"
    "*000000001*0*T*>~\nGS*PO*SENDER*RECEIVER*20240101*1200*1*X*004010~\n"
)


def _set(n: int, lines: int = 20) -> str:
    segs = [
        f"ST*850*{n:04d}",
        "BEG*00*SA*PO123456**20240101",
        "REF*DP*038",
        "DTM*002*20240115",
        "N1*ST*XYZ RETAIL*9*0003947268292",
        "N3*31875 SOLON RD",
        "N4*SOLON*OH*44139",
    ]
    for i in range(1, lines + 1):
        segs.append(f"PO1*{i}*120*EA*9.25*TE*CB*065322-117*PR*RO*VN*AB{i:04d}")
        segs.append(f"PID*F****WIDGET NUMBER {i}")
    segs.append(f"CTT*{lines}")
    segs.append(f"SE*{len(segs) + 1}*{n:04d}")
    return "~\n".join(segs) + "~\n"


def generate(size: int) -> bytes:
    """An interchange of 850s of about ``size`` bytes (one group)."""
    parts = [_HEAD]
    total, n = len(_HEAD), 0
    while total < size:
        n += 1
        s = _set(n)
        parts.append(s)
        total += len(s)
    parts.append(f"GE*{n}*1~\nIEA*1*000000001~\n")
    return "".join(parts).encode()


def _ours(raw: bytes) -> int:
    """Tokenise + envelope structure and checks: interchanges, groups, sets (ST/SE counts)."""
    from connectors.x12 import X12Set, read_sets

    return sum(s.segment_count for s in read_sets(raw) if isinstance(s, X12Set))


def _ours_tree(raw: bytes) -> int:
    """Everything :func:`decode` does: also the document tree and syntax notes per set."""
    from connectors.x12 import decode_with_summaries

    sets, _ = decode_with_summaries(raw)
    return sum(s.segment_count for s in sets)


def _str_split(raw: bytes) -> int:
    """The plainest useful tokeniser: every segment as a list of element strings."""
    segments = [s.strip().split("*") for s in raw.decode().split("~")]
    return sum(1 for s in segments if s != [""])


def _pyx12(raw: bytes) -> int:
    from pyx12.x12file import X12Reader

    return sum(1 for _ in X12Reader(io.StringIO(raw.decode())))


def _rate(fn: Callable[[bytes], int], raw: bytes) -> float:
    # each contender starts from a collected heap, so none pays for another's garbage
    gc.collect()
    started = time.perf_counter()
    fn(raw)
    return len(raw) / 1e6 / (time.perf_counter() - started)


_RSS_CHILD = """
import resource, sys
sys.path.insert(0, {root!r})
from bench.x12_read import _HEAD, _set
from connectors.x12 import read_sets, X12Set
from connectors.x12._tree import build_tree

class Gen:
    def __init__(self, size):
        self.size, self.n, self.buf, self.done = size, 0, _HEAD.encode(), 0
    def read(self, k):
        while len(self.buf) < k and self.done < self.size:
            self.n += 1
            s = _set(self.n).encode()
            self.done += len(s)
            self.buf += s
            if self.done >= self.size:
                self.buf += f"GE*{{self.n}}*1~\\nIEA*1*000000001~\\n".encode()
        out, self.buf = self.buf[:k], self.buf[k:]
        return out

g = Gen({size})
sets = sum(1 for x in read_sets(g, build_tree=build_tree) if isinstance(x, X12Set))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"sets": sets, "bytes": g.done, "maxrss_kb": rss}}))
"""


def _peak_rss(size: int) -> dict[str, int]:
    code = "import json\n" + _RSS_CHILD.format(root=str(ROOT), size=size)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900
    )
    result: dict[str, int] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> list[Result]:
    raw = generate(1_000_000)
    rounds = 3 if quick else 9
    have_pyx12 = True
    try:
        import pyx12  # noqa: F401
    except ImportError:
        have_pyx12 = False
    rates: dict[str, list[float]] = {"ours": [], "tree": [], "split": [], "pyx12": []}
    _ours_tree(raw)  # warm caches (compiled structures, valid-id set)
    for _ in range(rounds):
        rates["ours"].append(_rate(_ours, raw))
        rates["tree"].append(_rate(_ours_tree, raw))
        rates["split"].append(_rate(_str_split, raw))
        if have_pyx12:
            rates["pyx12"].append(_rate(_pyx12, raw))
    note = f"{len(raw) / 1e6:.2f} MB interchange of 850s (20 lines each), {rounds} rounds, median"
    results = []
    if have_pyx12:
        results.append(
            Result(
                name="x12 read 1 MB vs pyx12",
                unit="MB/s",
                ours=median(rates["ours"]),
                baseline=median(rates["pyx12"]),
                baseline_name="pyx12 X12Reader tokenising only",
                goal=5.0,
                notes=[note, "ours = tokenise + envelope structure and checks (read_sets)"],
            )
        )
    results.append(
        Result(
            name="x12 read 1 MB vs str.split",
            unit="MB/s",
            ours=median(rates["ours"]),
            baseline=median(rates["split"]),
            baseline_name="str.split tokeniser",
            goal=0.67,
            notes=[note],
        )
    )
    results.append(
        Result(
            name="x12 decode 1 MB with trees vs str.split",
            unit="MB/s",
            ours=median(rates["tree"]),
            baseline=median(rates["split"]),
            baseline_name="str.split tokeniser",
            goal=None,
            notes=[note, "ours = decode(): also the document tree and syntax notes per set"],
        )
    )
    if not quick:
        rss = _peak_rss(100_000_000)
        results.append(
            Result(
                name="x12 read 100 MB peak RSS",
                unit="MB",
                ours=rss["maxrss_kb"] / 1024,
                baseline=150.0,
                baseline_name="budget (issue 3)",
                goal=1.0,
                higher_is_better=False,
                notes=[f"{rss['bytes'] / 1e6:.0f} MB, {rss['sets']} sets streamed with trees"],
            )
        )
    return results
