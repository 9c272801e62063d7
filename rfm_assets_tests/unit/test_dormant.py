"""Dormant-customer reactivation: hand-worked target group and labels, no leakage, simulated signal."""

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from rfm_assets.core import dormant as dm
from rfm_assets.core.dormant_campaign import CampaignConfig, build_targets, export_csv, personas
from rfm_assets.core.plots import gain_chart
from rfm_assets.core.warehouse import connect
from rfm_assets_tests.frames import row_at
from rfm_assets_tests.unit.dormant_sim import COLUMNS, repurchase_q, simulate, write_transactions

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("test_dormant")

JUNE = date(2011, 6, 1)  # anchor A: base window Jan-Mar 2011, dormant Apr-Jun, outcome Jul-Sep
HAND = [  # customer, order, day, stock, quantity, unit price, country
    ("A", "o1", date(2010, 11, 10), "S1", 2, 5.0, "United Kingdom"),
    ("A", "o1", date(2010, 11, 10), "S2", 1, 20.0, "United Kingdom"),
    ("A", "o2", date(2011, 2, 15), "S1", 4, 10.0, "France"),
    ("A", "o3", date(2011, 7, 5), "S3", 4, 10.0, "France"),  # outcome
    ("A", "o4", date(2011, 9, 30), "S3", 1, 10.0, "France"),  # outcome, last day
    ("A", "o5", date(2011, 10, 1), "S3", 1, 999.0, "France"),  # after the outcome window
    ("B", "o6", date(2011, 3, 31), "S1", 10, 10.0, "Germany"),  # last day of the base window
    ("C", "o7", date(2011, 1, 1), "S1", 1, 10.0, "Germany"),
    ("C", "o8", date(2011, 4, 1), "S1", 1, 10.0, "Germany"),  # bought in the dormant window
    ("D", "o9", date(2010, 12, 31), "S1", 1, 10.0, "Germany"),  # only before the base window
    ("E", "o10", date(2011, 2, 1), "S1", 1, 10.0, "Spain"),
    ("E", "o11", date(2011, 6, 30), "S1", 1, 10.0, "Spain"),  # bought on the anchor's last day
    ("F", "o12", date(2011, 3, 10), "S2", 1, 20.0, "Spain"),
    ("F", "o13", date(2011, 7, 1), "S2", 1, 25.0, "Spain"),  # outcome, first day
    ("G", "o14", date(2011, 1, 20), "S2", 1, 20.0, "Spain"),
    ("G", "o15", date(2011, 10, 1), "S2", 1, 20.0, "Spain"),  # too late to count
    ("H", "o16", date(2010, 9, 5), "S1", 1, 10.0, "EIRE"),
    ("H", "o17", date(2010, 10, 5), "S1", 1, 20.0, "EIRE"),
    ("H", "o18", date(2010, 12, 5), "S1", 1, 30.0, "EIRE"),
    ("H", "o19", date(2011, 3, 5), "S1", 1, 40.0, "EIRE"),
    (None, "o20", date(2011, 2, 10), "S1", 1, 10.0, "Spain"),  # guest sale
]


def hand_frame(lines):
    rows = [
        (
            date(d.year, d.month, 1),
            o,
            o,
            s,
            s,
            float(q),
            p,
            q * p,
            datetime(d.year, d.month, d.day, 12),
            d,
            c,
            country,
            "hand.csv",
            i + 1,
        )
        for i, (c, o, d, s, q, p, country) in enumerate(lines)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as c:
        yield c


def test_target_group_features_and_labels_by_hand(con):
    write_transactions(con, hand_frame(HAND))
    f = dm.anchor_features(con, JUNE).set_index("customer_id")
    assert list(f.index) == ["A", "B", "F", "G", "H"]  # C, E bought in Apr-Jun; D before Jan; guest never
    # A: orders 2010-11-10 (30, 2 lines, 3 units) and 2011-02-15 (40, 1 line, 4 units) as of 2011-06-30
    a = row_at(f, "A")
    assert (a.recency_days, a.tenure_days, a.frequency, a.monetary) == (135, 232, 2, 70.0)
    assert (a.avg_order_value, a.lines_per_order, a.units_per_order, a.distinct_products) == (35.0, 1.5, 3.5, 2)
    assert (a.base_orders, a.base_revenue, a.active_months, a.country) == (1, 40.0, 2, "France")  # 1-1 tie
    assert a.revenue_slope == pytest.approx(10 / 3)  # 30 at month -2 (Nov 2010), 40 at month +1 (Feb 2011)
    # H: 10, 20, 30, 40 in Sep, Oct, Dec 2010 and Mar 2011 (month index -4, -3, -1, 2)
    h = row_at(f, "H")
    assert (h.revenue_last3_active, h.recent_revenue_share) == (90.0, 0.9)
    assert h.revenue_slope == pytest.approx(100 / 21)
    assert (f.loc["B", "recency_days"], f.loc["B", "recent_revenue_share"]) == (91, 1.0)
    labels = dm.anchor_labels(con, JUNE)
    got = [tuple(r) for r in labels[["customer_id", "bought_again", "future_revenue", "future_orders"]].to_numpy()]
    assert got == [
        ("A", True, 50.0, 2),
        ("B", False, 0.0, 0),
        ("F", True, 25.0, 1),
        ("G", False, 0.0, 0),
        ("H", False, 0.0, 0),
    ]


def test_features_never_see_the_outcome_window(con):
    frame = simulate(600, signal=True, seed=3)
    write_transactions(con, frame)
    anchor = date(2011, 3, 1)
    before, labels_before = dm.anchor_features(con, anchor), dm.anchor_labels(con, anchor)
    assert len(before) > 30
    # Rewrite everything after March 2011: drop it, then give every customer big orders in Apr-Jun
    # and later, plus brand-new customers.
    kept = frame[frame["order_date"] <= date(2011, 3, 31)]
    extra = [
        (c, f"X{i}_{m}", date(2011, m, 15), "S999", 50, 99.0, "Japan")
        for i, c in enumerate(sorted(frame["customer_id"].dropna().unique()) + ["NEW1", "NEW2"])
        for m in (4, 6, 9, 12)
    ]
    write_transactions(con, pd.concat([kept, hand_frame(extra)], ignore_index=True))
    after, labels_after = dm.anchor_features(con, anchor), dm.anchor_labels(con, anchor)
    assert after.to_csv(index=False).encode() == before.to_csv(index=False).encode()
    pd.testing.assert_frame_equal(after, before, check_exact=True)
    assert list(labels_after["customer_id"]) == list(labels_before["customer_id"])
    assert labels_after["bought_again"].all() and not labels_before["bought_again"].all()
    assert (labels_after["future_revenue"] > labels_before["future_revenue"]).all()


def test_anchor_rules_and_statuses(con):
    # first month Jan 2010, month Dec 2011: anchors need A-5 >= Jan 2010 and A+3 <= Dec 2011
    anchors = dm.known_outcome_anchors(date(2010, 1, 1), date(2011, 12, 1))
    assert (anchors[0], anchors[-1], len(anchors)) == (date(2010, 6, 1), date(2011, 9, 1), 16)
    evaluation, training = dm.evaluation_plan(date(2010, 1, 1), date(2011, 12, 1))
    # 13 anchors <= E-3 (Jun 2010 .. Jun 2011); the newest 12 train
    assert (evaluation, training[0], training[-1], len(training)) == (
        date(2011, 9, 1),
        date(2010, 7, 1),
        date(2011, 6, 1),
        12,
    )
    write_transactions(con, hand_frame(HAND))  # data from Sep 2010
    assert dm.run_dormant(con, date(2011, 3, 1)).status == dm.NO_KNOWN_OUTCOME  # first anchor Feb, known in May
    assert dm.run_dormant(con, date(2011, 6, 1)).status == dm.NO_TRAINING_ANCHOR  # anchors Feb, Mar only
    write_transactions(con, simulate(400, signal=True, seed=1))
    result = dm.run_dormant(con, date(2011, 12, 1), min_positives=10_000)
    assert result.status == dm.TOO_FEW_POSITIVES and "10000" in result.message and result.targets.empty


def test_clv_features_of_an_anchor_only_when_it_has_them(con):
    write_transactions(con, hand_frame(HAND))
    assert "p_alive" not in dm.anchor_features(con, JUNE) and dm.clv_months(con) == set()
    con.execute("""create table customer_lifetime_value as select date '2011-06-01' as snapshot_month,
        'A' as customer_id, 0.7 as p_alive, 1.5 as expected_purchases_12m, 45.0 as clv_12m""")
    f = dm.anchor_features(con, JUNE).set_index("customer_id")
    assert f.loc["A", "p_alive"] == 0.7 and np.isnan(row_at(f, "B")["p_alive"])
    assert dm.clv_months(con) == {JUNE}
    with pytest.raises(ValueError, match="2011-05"):
        dm.anchor_features(con, date(2011, 5, 1), with_clv=True)


def test_ranks_personas_and_budget_rule_by_hand(tmp_path):
    group = pd.DataFrame(
        {
            "customer_id": ["b", "a", "c", "d", "e"],
            "country": ["UK"] * 5,
            "frequency": [1, 1, 2, 3, 1],
            "monetary": [10.0, 20.0, 30.0, 40.0, 50.0],
        }
    )
    probability, spend = np.array([0.5, 0.5, 0.9, 0.1, 0.2]), np.array([10.0, 20.0, 4.0, 100.0, 30.0])
    # expected revenue 5, 10, 3.6, 10, 6; profit at margin 0.5, cost 2.5: 0, 2.5, -0.7, 2.5, 0.5
    rule = CampaignConfig(contact_cost=2.5, margin=0.5)
    targets, thresholds = build_targets(group, probability, spend, rule, date(2011, 12, 1))
    assert list(targets["customer_id"]) == ["c", "a", "b", "e", "d"]  # 0.5 tie: a before b
    assert list(targets["rank"]) == [1, 2, 3, 4, 5]
    by_id = targets.set_index("customer_id")
    assert sorted(by_id.index[by_id["selected"]]) == ["a", "d", "e"]  # profit > 0 (b is exactly 0)
    assert thresholds == {"monetary": 30.0, "frequency": 1.0}
    assert by_id["persona"].to_dict() == {
        "c": "Regular",
        "a": "One-time",
        "b": "One-time",
        "e": "Big Fish",
        "d": "Loyal",
    }
    capped, _ = build_targets(
        group, probability, spend, CampaignConfig(contact_cost=2.5, margin=0.5, budget=5.0), date(2011, 12, 1)
    )
    assert sorted(capped.loc[capped["selected"], "customer_id"]) == ["a", "d"]  # 2 contacts, best profit
    top2, _ = build_targets(group, probability, spend, CampaignConfig(top_n=2), date(2011, 12, 1))
    assert list(top2.loc[top2["selected"], "customer_id"]) == ["c", "a"]
    path = tmp_path / "out" / "campaign.csv"
    assert export_csv(targets, path) == 3
    back = pd.read_csv(path, dtype={"customer_id": str})
    assert list(back.columns) == [
        "customer_id",
        "rank",
        "probability",
        "expected_revenue",
        "persona",
        "suggested_action",
        "country",
    ]
    assert list(back["customer_id"]) == ["a", "e", "d"] and list(back["rank"]) == [2, 4, 5]
    assert back["expected_revenue"].tolist() == pytest.approx([10.0, 6.0, 10.0])
    assert [p.name for p in path.parent.iterdir()] == ["campaign.csv"]  # no temp file left behind


def test_personas_split_on_strictly_above_median():
    frame = pd.DataFrame({"monetary": [1.0, 2.0, 3.0, 4.0], "frequency": [1, 2, 2, 5]})
    names, thresholds = personas(frame)  # medians 2.5 and 2
    assert thresholds == {"monetary": 2.5, "frequency": 2.0}
    assert list(names) == ["One-time", "One-time", "Big Fish", "Loyal"]


@pytest.fixture(scope="module")
def signal_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("dormant") / "signal.duckdb"
    with connect(path) as c:
        write_transactions(c, simulate(5000, signal=True, seed=0))
        # CLV rows (deterministic noise) for every month: the CLV features are used
        c.execute("""create table customer_lifetime_value as
            select m.snapshot_month, t.customer_id, (hash(t.customer_id || m.snapshot_month) % 1000) / 1000.0
                as p_alive, 1.0 as expected_purchases_12m, 10.0 as clv_12m
            from (select distinct customer_id from cleaned_transactions where customer_id is not null) as t
            cross join (select distinct snapshot_month from cleaned_transactions) as m""")
        result = dm.run_dormant(c, date(2011, 12, 1))
        current = dm.anchor_features(c, date(2011, 12, 1))
    return result, current


@pytest.mark.slow
def test_simulated_signal_is_found(signal_run):
    result, current = signal_run
    assert result.ok and result.use_clv and "p_alive" in result.feature_columns
    assert result.evaluation_anchor == date(2011, 9, 1) and result.training_anchors[-1] == date(2011, 6, 1)
    metrics = result.metrics.set_index("model")
    chosen = metrics.loc[result.chosen_model]
    assert chosen["auc"] > 0.6 and chosen["lift_vs_random"] > 1.2 and chosen["precision_at_k"] > chosen["base_rate"]
    assert metrics.loc["random", "lift_vs_random"] == 1.0 and "rfm_heuristic" in metrics.index
    assert chosen["k"] == math.ceil(0.1 * chosen["n_customers"])
    targets = result.targets
    assert sorted(targets["customer_id"]) == sorted(current["customer_id"])  # one row per dormant customer
    assert sorted(targets["rank"]) == list(range(1, len(targets) + 1))
    assert targets["probability"].between(0, 1).all()
    assert targets["selected"].sum() == math.ceil(0.1 * len(targets))
    # by construction each dormant customer returns within 3 months with probability q(frequency)
    truth = repurchase_q(targets["frequency"].to_numpy(), signal=True)
    assert abs(targets["probability"].mean() - truth.mean()) < 0.05
    assert np.corrcoef(targets["probability"], truth)[0, 1] > 0.8
    # expected revenue = probability x the mean spend of one of at most 5 order-value bins
    assert (targets["expected_revenue"] / targets["probability"]).round(6).nunique() <= 5
    assert result.gain_png().startswith(b"\x89PNG")


@pytest.mark.slow
def test_no_signal_gives_no_lift(tmp_path):
    with connect(tmp_path / "w.duckdb") as c:
        write_transactions(c, simulate(5000, signal=False, seed=0))
        result = dm.run_dormant(c, date(2011, 12, 1), CampaignConfig(share=0.3))
    assert result.chosen_model is not None, result.message
    chosen = row_at(result.metrics.set_index("model"), result.chosen_model)
    assert 0.6 <= chosen["lift_vs_random"] <= 1.5 and 0.4 <= chosen["auc"] <= 0.6
    assert not result.use_clv and not any(c.startswith("p_alive") for c in result.feature_columns)


@pytest.mark.parametrize(("clv_from", "used"), [(date(2011, 5, 1), True), (date(2011, 7, 1), False)])
def test_anchors_without_clv_sit_out_when_clv_is_used(tmp_path, clv_from, used):
    with connect(tmp_path / "w.duckdb") as c:
        write_transactions(c, simulate(1500, signal=True, seed=4))
        c.execute(
            """create table customer_lifetime_value as
            select m.snapshot_month, t.customer_id, 0.5 as p_alive, 1.0 as expected_purchases_12m, 10.0 as clv_12m
            from (select distinct customer_id from cleaned_transactions where customer_id is not null) as t
            cross join (select distinct snapshot_month from cleaned_transactions) as m
            where m.snapshot_month >= ?""",
            [clv_from],
        )
        result = dm.run_dormant(c, date(2011, 12, 1), min_positives=5)
    assert result.use_clv is used and result.evaluation_anchor == date(2011, 9, 1)
    if used:  # only 2011-05 and 2011-06 are <= E-3 and have CLV
        assert result.training_anchors == (date(2011, 5, 1), date(2011, 6, 1))
        assert min(result.final_anchors) == clv_from and "p_alive" in result.feature_columns
    else:  # no training anchor has CLV: every anchor is used, without CLV features
        assert result.training_anchors[-1] == date(2011, 6, 1) and len(result.training_anchors) > 2
        assert "p_alive" not in result.feature_columns


def test_gain_chart_is_a_png():
    png = gain_chart(np.array([1, 0, 0, 1]), {"m": np.array([0.9, 0.1, 0.2, 0.8])}, 2, np.array(list("abcd")))
    assert png.startswith(b"\x89PNG")
