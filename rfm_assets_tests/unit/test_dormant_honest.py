"""The dormant model reported honestly: anchors built once, chosen before E, calibrated on the same season,
and a month's probabilities untouched by anything after it."""

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from rfm_assets.core import dormant as dm
from rfm_assets.core.dormant_anchors import PANEL_TABLE, anchor_panel, fingerprint, month_digests
from rfm_assets.core.dormant_final import Platt, calibration_table, season_shift
from rfm_assets.core.dormant_model import FeatureSpec
from rfm_assets.core.plots import calibration_chart
from rfm_assets.core.rows import scalar
from rfm_assets.core.warehouse import connect
from rfm_assets_tests.unit.dormant_sim import simulate, write_transactions
from rfm_assets_tests.unit.test_dormant import hand_frame

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("test_dormant_honest")

ANCHORS = [date(2011, 1, 1), date(2011, 3, 1)]
JAN, APR = date(2011, 1, 1), date(2011, 4, 1)


def fresh(con, anchors):
    """What the SQL says now, anchor by anchor (no stored rows involved)."""
    return anchor_panel(con, anchors, with_clv=False, store=False)


def test_anchor_rows_are_stored_once_and_reused_while_their_inputs_hold(tmp_path):
    frame = simulate(800, signal=True, seed=5)
    with connect(tmp_path / "w.duckdb") as con:
        write_transactions(con, frame)
        first = anchor_panel(con, ANCHORS, with_clv=False)
        pd.testing.assert_frame_equal(first, fresh(con, ANCHORS))
        stored = con.execute(f"select anchor, count(*) from {PANEL_TABLE} group by anchor order by anchor").fetchall()
        assert [(a, n) for a, n in stored] == [(a, int((first["anchor"] == a).sum())) for a in ANCHORS]
        pd.testing.assert_frame_equal(anchor_panel(con, ANCHORS, with_clv=False), first)  # read back: the same
        keys = dict(con.execute(f"select distinct anchor, fingerprint from {PANEL_TABLE}").fetchall())
        # a line after A+3 leaves the anchor alone; a line up to A+3 rebuilds it
        late = hand_frame([("ZZ", "late", date(2011, 7, 10), "S1", 1, 5.0, "Spain")])
        early = hand_frame([("ZZ", "early", date(2010, 10, 10), "S1", 1, 5.0, "Spain")])
        write_transactions(con, pd.concat([frame, late], ignore_index=True))
        digests = month_digests(con)
        assert [fingerprint(digests, a) for a in ANCHORS] == [keys[a] for a in ANCHORS]  # A+3 <= June < July
        write_transactions(con, pd.concat([frame, late, early], ignore_index=True))
        assert all(fingerprint(month_digests(con), a) != keys[a] for a in ANCHORS)
        rebuilt = anchor_panel(con, ANCHORS, with_clv=False)
        pd.testing.assert_frame_equal(rebuilt, fresh(con, ANCHORS))
        # ZZ's October 2010 order puts it in both target groups (base windows Aug-Oct and Oct-Dec 2010)
        zz = [int(((rebuilt["anchor"] == a) & (rebuilt["customer_id"] == "ZZ")).sum()) for a in ANCHORS]
        assert zz == [1, 1] and len(rebuilt) == len(first) + 2
        restored = scalar(con, f"select count(*) from {PANEL_TABLE}")
        assert restored == len(rebuilt)  # the stale rows were replaced, not added to


def test_calibration_deciles_by_hand():
    # 20 customers: decile 1 = the two highest probabilities (ties by id), ..., decile 10 = the two lowest
    probability = np.repeat(np.linspace(0.95, 0.05, 10), 2)
    y = np.array([1, 1, 1, 0] + [0, 0] * 7 + [0, 1])
    ids = np.array([f"c{i:02d}" for i in range(20)])
    table = calibration_table(probability, y, ids)
    assert list(table["decile"]) == list(range(1, 11)) and (table["n_customers"] == 2).all()
    assert table["mean_predicted"].round(6).tolist() == np.linspace(0.95, 0.05, 10).round(6).tolist()
    assert table["realized_rate"].tolist() == [1.0, 0.5] + [0.0] * 7 + [0.5]
    uneven = calibration_table(np.arange(23) / 23, np.zeros(23), np.arange(23).astype(str))
    assert sorted(uneven["n_customers"]) == [2] * 7 + [3] * 3  # near-equal, differing by at most one
    assert calibration_chart(table["mean_predicted"], table["realized_rate"], "t").startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """December and September 2011 on a simulated shop with signal, plus December after rewriting 2012."""
    path = tmp_path_factory.mktemp("honest") / "w.duckdb"
    frame = simulate(2500, signal=True, seed=7)
    with connect(path) as con:
        write_transactions(con, frame)
        december, september = dm.run_dormant(con, date(2011, 12, 1)), dm.run_dormant(con, date(2011, 9, 1))
    return frame, december, september


@pytest.mark.slow
def test_model_is_chosen_before_the_anchor_it_is_reported_on(runs):
    _, december, september = runs
    for result, e in ((december, date(2011, 9, 1)), (september, date(2011, 6, 1))):
        assert result.ok and result.evaluation_anchor == e
        s = date(e.year, e.month - 3, 1)
        metrics = result.metrics.set_index("model")
        assert result.selection_anchor == s and (result.metrics["selection_anchor"] == s).all()
        candidates = metrics.drop(index=["rfm_heuristic", "random"])
        assert result.chosen_model == candidates["selection_auc"].idxmax()  # chosen on S, not on E
        assert metrics["chosen"].sum() == 1 and metrics.loc[result.chosen_model, "chosen"]
        assert (result.metrics["evaluation_anchor"] == e).all()


class Constant:
    """A fitted model that scores every row 0.2."""

    def predict_proba(self, x):
        return np.column_stack([np.full(len(x), 0.8), np.full(len(x), 0.2)])


def test_season_shift_by_hand():
    def group(anchor, n, buyers):
        return pd.DataFrame(
            {"anchor": anchor, "bought_again": [True] * buyers + [False] * (n - buyers), "country": "UK"}
            | {c: 1.0 for c in FeatureSpec.fit(pd.DataFrame({"country": ["UK"]}), False).numeric}
        )

    spec = FeatureSpec.fit(pd.DataFrame({"country": ["UK"]}), False)
    panel = pd.concat([group(JAN, 100, 30), group(APR, 100, 10)], ignore_index=True)
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    # the model expects 20% in both groups: the residuals are logit(0.3) - logit(0.2) and logit(0.1) - logit(0.2)
    raw = logit(0.3) - logit(0.1)
    noise = 1 / (100 * 0.3 * 0.7) + 1 / (100 * 0.1 * 0.9)
    got = season_shift(panel, JAN, APR, Constant(), spec, Platt(0.0, 1.0))
    assert got == pytest.approx(raw * (1 - noise / raw**2))
    assert season_shift(panel, JAN, date(2010, 1, 1), Constant(), spec, Platt(0.0, 1.0)) == 0.0  # no such anchor
    small = pd.concat([group(JAN, 12, 3), group(APR, 12, 2)], ignore_index=True)  # within its noise: not applied
    assert season_shift(small, JAN, APR, Constant(), spec, Platt(0.0, 1.0)) == 0.0


@pytest.mark.slow
def test_calibration_is_out_of_time_and_reported_by_decile(runs):
    _, december, september = runs
    # the month's probabilities: Platt on E, shifted to the target's season
    assert (december.calibration_anchor, september.calibration_anchor) == (date(2011, 9, 1), date(2011, 6, 1))
    # the report on E = Sep 2011: calibrated on S = Jun 2011, as the list of month E would have been
    table = december.calibration
    assert (table["calibration_anchor"] == date(2011, 6, 1)).all() and list(table["decile"]) == list(range(1, 11))
    assert table["n_customers"].sum() == december.metrics["n_customers"].iloc[0]
    assert (np.diff(table["mean_predicted"]) <= 1e-12).all()  # decile 1 = the highest predictions
    # by construction the shop's repurchase rate does not depend on the season: calibration holds overall
    buyers, n = table["n_buyers"].sum(), table["n_customers"].sum()
    predicted = (table["mean_predicted"] * table["n_customers"]).sum() / n
    assert abs(predicted - buyers / n) < 0.04
    assert table["realized_rate"].iloc[:3].mean() > table["realized_rate"].iloc[-3:].mean()
    assert december.calibration_png().startswith(b"\x89PNG")


@pytest.mark.slow
def test_rewriting_everything_after_the_month_moves_none_of_its_outputs(runs, tmp_path):
    frame, _, original = runs  # September 2011, as computed on the full data
    cut = date(2011, 9, 30)
    kept = frame[frame["order_date"] <= cut]
    customers = sorted(frame["customer_id"].dropna().unique())
    extra = [
        (c, f"X{i}_{m}", date(2011, m, 3), "S999", 40, 50.0, "Japan")
        for i, c in enumerate(customers[::3] + ["NEW1", "NEW2"])
        for m in (10, 11, 12)
    ]
    with connect(tmp_path / "w.duckdb") as con:
        write_transactions(con, pd.concat([kept, hand_frame(extra)], ignore_index=True))
        rewritten = dm.run_dormant(con, date(2011, 9, 1))
    assert original.ok and rewritten.ok
    pd.testing.assert_frame_equal(rewritten.targets, original.targets, check_exact=True)
    pd.testing.assert_frame_equal(rewritten.metrics, original.metrics, check_exact=True)
    pd.testing.assert_frame_equal(rewritten.calibration, original.calibration, check_exact=True)
