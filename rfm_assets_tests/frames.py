"""Typed access to pandas rows in tests: ``frame.loc[label]`` is a Series or, for a repeated label, a
DataFrame; :func:`row_at` says which once, with a clear error, instead of leaving it to every assert."""

from __future__ import annotations

import pandas as pd


def row_at(frame: pd.DataFrame, label: str) -> pd.Series:
    """The one row labelled ``label`` (an error when the label is repeated; KeyError when missing)."""
    row = frame.loc[label]
    if not isinstance(row, pd.Series):
        raise AssertionError(f"expected one row labelled {label!r}, got {len(row)}")
    return row
