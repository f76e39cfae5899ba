"""Benchmarks for the matcher: seeded instance generators, baselines and the comparison harness.

Not installed with the package; run from the repository root::

    python -m benchmarks.matching --size M --json
"""
