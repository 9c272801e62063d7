"""Benchmarks of rfm-assets against a bare-DuckDB floor and a pandas + lifetimes baseline.

Entry point: ``python -m benchmarks.run`` (see ``benchmarks/run.py`` and ``benchmarks/RESULTS.md``).
Not part of the installed package; run it from the repository root.
"""
