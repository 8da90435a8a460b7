"""Run the benchmarks and print each figure as a ratio against its baseline.

    python -m bench.run [NAME ...] [--quick] [--list]
    python bench/run.py [NAME ...] [--quick] [--list]

Every benchmark measures its own baseline in the same run, on the same machine, so the ratio
is what to compare across machines and commits; the absolute figures are lower bounds (server,
load generator and, here, other people's work share two cores). The exit status is 0 whatever
the figures: this reports, it does not judge; a goal is a target to discuss, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench._harness import Result

# An explicit registry: name -> module with ``run(quick: bool) -> list[Result]``.
BENCHMARKS = {
    "inbound": "bench.inbound",
    "delivery": "bench.delivery",
    "mapping": "bench.mapping",
    "x12_read": "bench.x12_read",
    "limiter": "bench.limiter",
    "webhook": "bench.webhook",
    "soap": "bench.soap",
    "governed": "bench.governed",
}


def _describe(module_name: str) -> str:
    module = importlib.import_module(module_name)
    return (module.__doc__ or "").strip().splitlines()[0]


def _table(results: list[Result]) -> str:
    rows = [("benchmark", "ours", "baseline (name)", "ratio", "goal")]
    for r in results:
        goal = f"{r.goal_text}: {r.verdict}" if r.goal is not None else r.verdict
        rows.append(
            (
                r.name,
                f"{r.ours:,.0f} {r.unit}",
                f"{r.baseline:,.0f} ({r.baseline_name})",
                f"{r.ratio:.2f}",
                goal,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: seconds, not minutes")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, module in BENCHMARKS.items():
            print(f"{name:10s} {_describe(module)}")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    print(
        f"crossdock benchmarks, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}{', quick' if args.quick else ''}",
        flush=True,
    )
    results: list[Result] = []
    for name in names:
        started = time.perf_counter()
        print(f"running {name} ...", flush=True)
        module_results = importlib.import_module(BENCHMARKS[name]).run(quick=args.quick)
        for r in module_results:
            print(
                f"  {r.name}: ours {r.ours:,.0f} {r.unit}, baseline {r.baseline:,.0f}, "
                f"ratio {r.ratio:.2f}"
            )
            for note in r.notes:
                print(f"    {note}")
        print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)
        results.extend(module_results)
    print()
    print(_table(results))
    return 0


if __name__ == "__main__":
    if not __package__:  # run as a script: make the repository importable
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
