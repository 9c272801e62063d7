"""Stored dormant-model fits: a month reuses the fits of three months before, and nothing it reports changes."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from rfm_assets.core import dormant as dm
from rfm_assets.core.dormant_candidates import candidate_models, fit_key, fit_models
from rfm_assets.core.dormant_fits import TABLE, WarehouseFits
from rfm_assets.core.warehouse import connect
from rfm_assets_tests.unit.dormant_sim import simulate, write_transactions


def _data(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1_500, 6))
    return x, (x[:, 0] + rng.normal(size=1_500) > 0.8).astype(int)


def test_a_stored_fit_predicts_exactly_like_a_new_one_and_is_found_by_its_rows(tmp_path):
    x, y = _data()
    probe = np.random.default_rng(2).normal(size=(200, 6))
    with connect(tmp_path / "w.duckdb") as con:
        store = WarehouseFits(con, date(2011, 6, 1))
        first = fit_models(candidate_models(), x, y, store)
        assert (store.reused, store.fitted) == (0, 4)
        again = fit_models(candidate_models(), x, y, store)
        assert (store.reused, store.fitted) == (4, 4)  # all four read back, none refitted
        for name, model in first.items():
            np.testing.assert_array_equal(again[name].predict_proba(probe), model.predict_proba(probe), err_msg=name)
        assert again["logit_l1"] is not first["logit_l1"]  # from the table, not the same object
        other = fit_models(candidate_models(), x[:-1], y[:-1], store)  # one row fewer: another key, a new fit
        assert (store.reused, store.fitted) == (4, 8) and len(other) == 4
    assert fit_key("logit_l1", x, y) != fit_key("logit_l2", x, y) != fit_key("logit_l2", x[:-1], y[:-1])


def test_old_fits_are_dropped_and_a_read_only_warehouse_fits_without_storing(tmp_path):
    x, y = _data()
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        fit_models({"logit_l2": candidate_models()["logit_l2"]}, x, y, WarehouseFits(con, date(2011, 1, 1)))
        assert con.execute(f"select count(*) from {TABLE}").fetchone() == (1,)
        WarehouseFits(con, date(2011, 6, 1))  # within KEEP_MONTHS: the January fit stays
        assert con.execute(f"select count(*) from {TABLE}").fetchone() == (1,)
        WarehouseFits(con, date(2011, 8, 1))  # more than KEEP_MONTHS later: it goes
        assert con.execute(f"select count(*) from {TABLE}").fetchone() == (0,)
    con = duckdb.connect(str(path), read_only=True)
    store = WarehouseFits(con, date(2011, 8, 1))
    fitted = fit_models({"logit_l2": candidate_models()["logit_l2"]}, x, y, store)
    assert store.fitted == 1 and fitted["logit_l2"].predict_proba(x[:3]).shape == (3, 2)
    con.close()


@pytest.mark.slow
def test_a_month_after_its_earlier_months_reports_what_it_reports_alone(tmp_path):
    """Month M built after M-3 (its selection fits stored) equals month M built on a fresh warehouse."""
    frame = simulate(3000, signal=True, seed=4)
    month = date(2011, 12, 1)
    with connect(tmp_path / "backfill.duckdb") as con:
        write_transactions(con, frame)
        dm.run_dormant(con, date(2011, 9, 1))
        after = dm.run_dormant(con, month)
    with connect(tmp_path / "alone.duckdb") as con:
        write_transactions(con, frame)
        alone = dm.run_dormant(con, month)
    assert after.ok and alone.ok
    assert "model fits: 0 reused" in alone.message and "model fits: 0 reused" not in after.message
    for mine, theirs in ((after.targets, alone.targets), (after.metrics, alone.metrics)):
        pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
    pd.testing.assert_frame_equal(after.calibration, alone.calibration, check_exact=True)
