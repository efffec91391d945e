"""Benchmarks for the whole project: ``python -m benchmarks`` (see docs/performance.md)."""
