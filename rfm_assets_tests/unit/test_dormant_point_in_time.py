"""Point in time: rewriting everything after M leaves M's reactivation probabilities, ranks and
model metrics exactly as they were (the model trains on anchors whose outcome windows end by M)."""

from datetime import date

import pandas as pd
import pytest

from rfm_assets.core import dormant as dm
from rfm_assets.core.dormant_campaign import CampaignConfig
from rfm_assets.core.months import month_end
from rfm_assets.core.warehouse import connect
from rfm_assets_tests.unit.dormant_sim import simulate, write_transactions

M = date(2011, 9, 1)


def _run(path, frame: pd.DataFrame, month: date = M) -> dm.DormantResult:
    with connect(path) as con:
        write_transactions(con, frame)
        return dm.run_dormant(con, month, CampaignConfig(share=0.2))


@pytest.mark.slow
def test_rewriting_every_month_after_m_moves_nothing_of_m(tmp_path):
    frame = simulate(1500, signal=True, seed=5)
    before = _run(tmp_path / "before.duckdb", frame)
    assert before.ok and len(before.targets) > 50, before.message
    # after M: every line dropped, then every customer (and two new ones) buys big in each later month
    kept = frame[frame["order_date"] <= month_end(M)]
    later = frame[frame["order_date"] > month_end(M)]
    assert len(later) > 0  # the simulation runs past M, so there is something to rewrite
    extra = kept.sample(n=len(later), replace=True, random_state=1).copy()
    shifted = pd.Series(pd.to_datetime(extra["order_date"]) + pd.DateOffset(months=3), index=extra.index)
    extra["order_date"] = shifted.dt.date
    extra["snapshot_month"] = [date(d.year, d.month, 1) for d in shifted]
    extra["line_revenue"] = extra["line_revenue"] * 10
    extra = extra[extra["order_date"] > month_end(M)]
    rewritten = pd.concat([kept, extra], ignore_index=True)
    after = _run(tmp_path / "after.duckdb", rewritten)
    assert after.chosen_model == before.chosen_model
    pd.testing.assert_frame_equal(after.targets, before.targets, check_exact=True)
    pd.testing.assert_frame_equal(after.metrics, before.metrics, check_exact=True)
    # the rewrite is material: a month that may see it (December) does move
    december = date(2011, 12, 1)
    old, new = _run(tmp_path / "old12.duckdb", frame, december), _run(tmp_path / "new12.duckdb", rewritten, december)
    assert not old.metrics.equals(new.metrics)
