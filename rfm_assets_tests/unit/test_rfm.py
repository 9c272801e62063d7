"""RFM snapshots against a hand-worked example and a second, plain-Python implementation."""

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from rfm_assets.core.months import add_months, month_end
from rfm_assets.core.rfm import (
    SegmentRule,
    build_rfm_snapshot,
    load_segment_rules,
    segment_map,
)
from rfm_assets.core.warehouse import connect
from rfm_assets_tests.unit.rfm_fixtures import make_tables

MAR = date(2011, 3, 1)
SEGMENTS = segment_map(load_segment_rules())
COLS = "customer_id, recency_days, frequency, monetary, tenure_days, returned_value, r_score, f_score, m_score, rfm_segment"


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as c:
        yield c


HAND_LINES = [
    ("A", "o1", date(2011, 1, 10), 100.0),  # before the 2-month window
    ("A", "o2", date(2011, 2, 5), 50.0),
    ("A", "o3", date(2011, 3, 31), 30.0),
    ("A", "o3", date(2011, 3, 31), 20.0),  # second line of the same order
    ("B", "o4", date(2011, 3, 1), 200.0),
    ("C", "o5", date(2011, 2, 28), 10.0),
    ("D", "o6", date(2011, 1, 15), 500.0),  # only outside the window: not in the snapshot
    ("E", "o7", date(2011, 3, 15), 40.0),
    ("E", "o8", date(2011, 3, 20), 40.0),
    (None, "o9", date(2011, 3, 10), 999.0),  # guest sale: never a customer row
]
HAND_RETURNS = [(date(2011, 2, 1), "A", 5.0), (date(2011, 1, 1), "A", 7.0)]


def test_hand_worked_snapshot(con):
    make_tables(con, HAND_LINES, HAND_RETURNS)
    assert build_rfm_snapshot(con, MAR, 2, SEGMENTS) == 4
    rows = con.execute(f"select {COLS} from rfm_snapshots order by customer_id").fetchall()
    # Worked by hand (as of 2011-03-31, window Feb-Mar, n = 4):
    #  recency: C 31 < B 30 < E 11 < A 0 days -> r = 1, 2, 3, 4;  frequency ties B=C=1, A=E=2 -> f 1,1,3,3
    #  monetary C 10 < E 80 < A 100 < B 200 -> m 1,2,3,4;  fm = round_half_up((f+m)/2)
    assert rows == [
        ("A", 0, 2, 100.0, 80, 5.0, 4, 3, 3, "Potential Loyalist"),
        ("B", 30, 1, 200.0, 30, 0.0, 2, 1, 4, "At Risk"),
        ("C", 31, 1, 10.0, 31, 0.0, 1, 1, 1, "Lost"),
        ("E", 11, 2, 80.0, 16, 0.0, 3, 3, 2, "Need Attention"),
    ]


def test_later_months_never_change_an_earlier_snapshot(con):
    make_tables(con, HAND_LINES, HAND_RETURNS)
    build_rfm_snapshot(con, MAR, 2, SEGMENTS)
    before = con.execute("select * from rfm_snapshots order by all").fetchall()
    con.execute("insert into cleaned_transactions values (date '2011-04-01', 'o10', 'C', date '2011-04-02', 1e6)")
    build_rfm_snapshot(con, MAR, 2, SEGMENTS)
    assert con.execute("select * from rfm_snapshots order by all").fetchall() == before


# ---- a second, deliberately plain implementation --------------------------------------------


def plain_rfm(lines, returns, month, window):
    as_of = month_end(month)
    start = add_months(month, -(window - 1))
    first, last, orders, money, ret = {}, {}, defaultdict(set), defaultdict(float), defaultdict(float)
    for cust, order, day, revenue in lines:
        if cust is None or day > as_of:
            continue
        first[cust] = min(first.get(cust, day), day)
        if day >= start:
            last[cust] = max(last.get(cust, day), day)
            orders[cust].add(order)
            money[cust] += revenue
    for m, cust, value in returns:
        if start <= m <= month:
            ret[cust] += value
    custs = sorted(last)
    rec = {c: (as_of - last[c]).days for c in custs}
    n = len(custs)

    def score(values, better_is_higher):
        out = {}
        for c in custs:
            worse = sum(1 for d in custs if (values[d] < values[c] if better_is_higher else values[d] > values[c]))
            out[c] = min(5, 1 + (5 * worse) // n)
        return out

    r = score(rec, better_is_higher=False)
    f = score({c: len(orders[c]) for c in custs}, True)
    m = score(money, True)
    rules = load_segment_rules()
    out = []
    for c in custs:
        fm = (f[c] + m[c] + 1) // 2
        seg = next(x.segment for x in rules if x.r_min <= r[c] <= x.r_max and x.fm_min <= fm <= x.fm_max)
        out.append(
            (
                c,
                rec[c],
                len(orders[c]),
                round(money[c], 6),
                (as_of - first[c]).days,
                round(ret[c], 6),
                r[c],
                f[c],
                m[c],
                seg,
            )
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_plain_implementation_on_random_data(con, seed):
    rnd = random.Random(seed)
    lines, returns = [], []
    day0 = date(2010, 1, 1)
    for k in range(300):
        cust = f"c{rnd.randint(1, 120)}"
        day = day0 + timedelta(days=rnd.randint(0, 540))
        order = f"o{k // rnd.choice([1, 2])}"  # some orders with two lines
        lines.append((cust, f"{cust}-{order}", day, float(rnd.choice([5, 10, 10, 20, 35.5]))))
    for _ in range(30):
        returns.append((add_months(day0, rnd.randint(0, 17)), f"c{rnd.randint(1, 120)}", float(rnd.randint(1, 9))))
    make_tables(con, lines, returns)
    for month, window in [
        (date(2010, 12, 1), 12),
        (date(2011, 6, 1), 12),
        (date(2010, 3, 1), 12),
        (date(2011, 2, 1), 3),
    ]:
        build_rfm_snapshot(con, month, window, SEGMENTS)
        got = con.execute(
            f"select {COLS} from rfm_snapshots where snapshot_month = ? order by customer_id", [month]
        ).fetchall()
        got = [(c, rec, f, round(m, 6), t, round(rv, 6), *rest) for c, rec, f, m, t, rv, *rest in got]
        assert got == plain_rfm(lines, returns, month, window), (month, window)


def test_default_rules_cover_all_125_cells():
    assert SEGMENTS.height == 125
    assert SEGMENTS["rfm_segment"].null_count() == 0
    assert set(SEGMENTS["rfm_segment"]) >= {
        "Champions",
        "Loyal Customers",
        "Potential Loyalist",
        "New Customers",
        "Promising",
        "Need Attention",
        "About To Sleep",
        "At Risk",
        "Can't Lose Them",
        "Hibernating",
        "Lost",
    }


def test_rules_with_a_gap_are_refused_unless_explicit():
    gappy = [SegmentRule("Top", 4, 5, 1, 5)]
    with pytest.raises(ValueError, match="unlabelled: r=1 fm=1"):
        segment_map(gappy)
    explicit = segment_map(gappy + [SegmentRule("Unlabelled", 1, 3, 1, 5)])
    assert set(explicit["rfm_segment"]) == {"Top", "Unlabelled"}


def test_bad_rules_file_is_refused(tmp_path):
    bad = tmp_path / "rules.csv"
    bad.write_text("segment,r_min,r_max,fm_min,fm_max\nX,0,5,1,5\n")
    with pytest.raises(ValueError, match="line 2"):
        load_segment_rules(bad)
