"""Benchmarks (run from the repository root, e.g. `python bench/load.py`) and their helpers."""
