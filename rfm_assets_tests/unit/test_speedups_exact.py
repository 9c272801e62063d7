"""Speed-ups that must not change a number: each is compared with the plain way it replaced."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from rfm_assets.core.clv_predict import pattern_codes
from rfm_assets.core.dormant_model import candidate_models, fit_model, fit_models
from rfm_assets.core.views import evaluated_once


def test_pattern_codes_group_equal_rows_like_a_sort_of_the_rows():
    rng = np.random.default_rng(3)
    rows = np.column_stack([rng.integers(0, 4, 500), rng.integers(0, 6, 500) / 7, rng.integers(0, 5, 500) / 7])
    frame = pd.DataFrame(rows, columns=["frequency", "recency", "T"])
    codes, first = pattern_codes(frame, ["frequency", "recency", "T"])
    unique = rows[first]
    assert (unique[codes] == rows).all()  # every row maps to a distinct row equal to it
    reference, inverse = np.unique(rows, axis=0, return_inverse=True)
    assert len(unique) == len(reference)  # as many groups as the byte-wise sort finds
    # rows share a code exactly when they share np.unique's code
    assert len(set(zip(codes.tolist(), inverse.reshape(-1).tolist(), strict=True))) == len(reference)
    assert list(first) == sorted(first) and first[0] == 0  # codes in order of first appearance


def test_candidates_fitted_side_by_side_equal_candidates_fitted_one_by_one():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3_000, 8))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=3_000) > 1.0).astype(int)
    probe = rng.normal(size=(400, 8))
    together = fit_models(candidate_models(), x, y)
    for name, model in candidate_models().items():
        alone = fit_model(model, x, y)
        np.testing.assert_array_equal(together[name].predict_proba(probe), alone.predict_proba(probe), err_msg=name)


def test_a_view_evaluated_once_holds_its_rows_and_leaves_nothing_behind():
    con = duckdb.connect()
    con.execute("create table t as select range as id, range % 3 as g from range(10)")
    con.execute("create view v as select g, count(*) as n from t group by g")
    with evaluated_once(con, "v") as rows:
        assert con.execute(f"select * from {rows} order by g").fetchall() == [(0, 4), (1, 3), (2, 3)]
        assert con.execute(f"describe {rows}").fetchall() == con.execute("describe v").fetchall()
    tables = con.execute("select table_name from duckdb_tables() where temporary").fetchall()
    assert tables == []
