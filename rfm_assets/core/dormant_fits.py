"""Fitted dormant-model candidates kept in the warehouse, so a month fits only what is new (no dagster).

Month M chooses its model on the selection anchor S = M-6, with every candidate trained on the
anchors <= M-9. Month M-3 evaluated the same candidates on the same rows (its evaluation anchor is
M-6), and month M+3 evaluates the model month M refits. The fits are kept in ``_dormant_fits``,
keyed by everything a fit depends on (``dormant_candidates.fit_key``: the candidate's definition, the
fitting rules, sklearn's version and the bytes of the training rows), so a stored model is the model
a new fit would give and results do not depend on what is stored or on the order months are built.

The store is a cache: a model that cannot be read or written is fitted again, never an error.
Fits used for the months before ``month - KEEP_MONTHS`` are dropped when a month opens the store.
"""

from __future__ import annotations

import pickle
from datetime import date
from typing import Any

import duckdb

from rfm_assets.core.months import add_months
from rfm_assets.core.warehouse import table_exists, transaction

TABLE = "_dormant_fits"
KEEP_MONTHS = 6  # a fit is reused 3 months later (as a selection fit) or never


class WarehouseFits:
    """``dormant_candidates.FitStore`` on the warehouse table ``_dormant_fits``, for the month ``month``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, month: date) -> None:
        self.con, self.month = con, month
        self.reused = self.fitted = 0
        try:
            if not table_exists(con, TABLE):
                con.execute(f"create table {TABLE} (key varchar, fitted_for date, model blob)")
            con.execute(f"delete from {TABLE} where fitted_for < ?", [add_months(month, -KEEP_MONTHS)])
        except duckdb.Error:
            self.con = None  # a read-only or busy warehouse: fit everything, keep nothing

    def get(self, key: str) -> Any | None:
        """The model stored under ``key``, or None."""
        if self.con is None:
            return None
        try:
            row = self.con.execute(f"select model from {TABLE} where key = ? limit 1", [key]).fetchone()
            model = pickle.loads(row[0]) if row else None  # noqa: S301 - the project's own table
        except (duckdb.Error, pickle.UnpicklingError, AttributeError, ImportError, EOFError):
            return None
        self.reused += model is not None
        return model

    def put(self, key: str, model: Any) -> None:
        """Keep ``model`` under ``key`` (replacing any row with that key)."""
        self.fitted += 1
        if self.con is None:
            return
        try:
            with transaction(self.con):
                self.con.execute(f"delete from {TABLE} where key = ?", [key])
                self.con.execute(
                    f"insert into {TABLE} values (?, ?, ?)", [key, self.month, pickle.dumps(model, protocol=5)]
                )
        except duckdb.Error:
            pass  # a lost cache entry costs a fit later, nothing else
