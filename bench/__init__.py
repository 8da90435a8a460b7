"""Benchmarks: each prints its figure as a ratio against a baseline measured in the same run.

Run ``python -m bench.run`` (all) or ``python -m bench.run inbound --quick``; see
``docs/benchmarks.md``. Nothing here asserts a timing: the runner reports, it does not judge.
"""
