"""Speed-ups that must not change a number: each is compared with the plain way it replaced."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from rfm_assets.core.clv_predict import pattern_codes
from rfm_assets.core.dormant_candidates import LIBLINEAR, candidate_models, fit_model, fit_models, uses_liblinear
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


def test_liblinear_fits_take_turns_and_the_other_candidates_do_not_wait():
    """liblinear's generator is shared by the process: a liblinear fit waits while another holds it."""
    import threading

    assert {n: uses_liblinear(m) for n, m in candidate_models().items()} == {
        "random_forest": False,
        "logit_l1": True,
        "logit_l2": True,
        "hist_gradient_boosting": False,
    }
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 5))
    y = (x[:, 0] + rng.normal(size=600) > 0.5).astype(int)
    models, done = candidate_models(), {}
    threads = {
        name: threading.Thread(target=lambda n=name: done.setdefault(n, fit_model(models[n], x, y)))
        for name in ("logit_l1", "random_forest")
    }
    with LIBLINEAR:  # as if another liblinear fit were running
        for thread in threads.values():
            thread.start()
        threads["random_forest"].join(timeout=120)
        threads["logit_l1"].join(timeout=1.0)
        assert "random_forest" in done and "logit_l1" not in done
    threads["logit_l1"].join(timeout=120)
    assert "logit_l1" in done


def test_a_view_evaluated_once_holds_its_rows_and_leaves_nothing_behind():
    con = duckdb.connect()
    con.execute("create table t as select range as id, range % 3 as g from range(10)")
    con.execute("create view v as select g, count(*) as n from t group by g")
    with evaluated_once(con, "v", "v") as rows:
        assert con.execute(f"select * from {rows} order by g").fetchall() == [(0, 4), (1, 3), (2, 3)]
        assert con.execute(f"describe {rows}").fetchall() == con.execute("describe v").fetchall()
    tables = con.execute("select table_name from duckdb_tables() where temporary").fetchall()
    assert tables == []


def _expected_both_branches(params, t, x, tx, age):
    """BG/NBD E[X(t)] with both 2F1 branches evaluated everywhere (the formula before the speed-up)."""
    from scipy.special import hyp2f1

    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    c, z = a + b + x - 1, t / (alpha + age + t)
    log_1mz = np.log((alpha + age) / (alpha + age + t))
    with np.errstate(all="ignore"):
        direct = hyp2f1(r + x, b + x, c, z)
        far = hyp2f1(c - r - x, c - b - x, c, z)
        term = np.where(
            np.isfinite(direct),
            np.sign(direct) * np.exp(np.log(np.abs(direct)) + (r + x) * log_1mz),
            np.sign(far) * np.exp(np.log(np.abs(far)) + (c - b - x) * log_1mz),
        )
        ratio = np.where(
            x > 0, a / np.where(x > 0, b + x - 1, 1.0) * np.exp((r + x) * np.log((alpha + age) / (alpha + tx))), 0.0
        )
        return c / (a - 1) * (1 - term) / (1 + ratio)


def test_expected_purchases_use_the_transformed_2f1_only_where_needed_and_equal_the_full_formula():
    from scipy.special import hyp2f1

    from rfm_assets.core.clv_predict import expected_repeat_purchases

    params = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.4}
    x = np.array([0, 1, 3, 40, 400, 1000], dtype=float)  # the direct 2F1 overflows for the heaviest buyers
    tx = np.array([0, 5, 20, 60, 80, 100], dtype=float)
    age = np.full(6, 104.0)
    overflowed = 0
    for t in (4.35, 52.0, 520.0, 5200.0):
        c, z = 0.8 + 2.4 + x - 1, t / (4.0 + age + t)
        overflowed += int((~np.isfinite(hyp2f1(0.25 + x, 2.4 + x, c, z))).sum())
        got, expected = expected_repeat_purchases(params, t, x, tx, age), _expected_both_branches(params, t, x, tx, age)
        np.testing.assert_array_equal(got, expected)
        assert np.isfinite(got).all()
    assert overflowed >= 3  # both branches were exercised
    one = expected_repeat_purchases(params, 52.0, np.array(3.0), np.array(20.0), np.array(104.0))  # 0-d in and out
    assert np.shape(one) == () and float(one) == float(_expected_both_branches(params, 52.0, x[2], tx[2], age[2]))


def test_dormant_features_read_back_from_their_table_equal_the_query(tmp_path):
    from datetime import date

    from rfm_assets.core.dormant_anchors import anchor_features
    from rfm_assets.core.sqlfiles import load_sql
    from rfm_assets.core.warehouse import connect, replace_partition
    from rfm_assets_tests.unit.dormant_sim import simulate, write_transactions

    month = date(2011, 6, 1)
    with connect(tmp_path / "w.duckdb") as con:
        write_transactions(con, simulate(800, signal=True, seed=3))
        replace_partition(con, "dormant_features", month, load_sql("dormant_features"), {"anchor_month": month})
        queried = anchor_features(con, month)
        stored = anchor_features(con, month, stored="dormant_features")
    assert len(queried) > 20
    pd.testing.assert_frame_equal(stored, queried, check_exact=True)
