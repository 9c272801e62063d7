"""Drift rules on hand-built frames: every band below is worked out by hand in the comments."""

import math
from datetime import date

import pandas as pd
import pytest

from rfm_assets.core.drift import change_drift, group_change_drift, level_drift, robust_band
from rfm_assets.core.drift_forecast import forecast_drift

JULY = date(2011, 7, 1)
H1 = [f"2011-0{m}" for m in range(1, 7)]  # January to June


def monthly(values: dict[str, float], column: str = "v", **more: dict[str, float]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"snapshot_month": [date.fromisoformat(k + "-01") for k in values], column: list(values.values())}
    )
    for name, other in more.items():
        frame[name] = list(other.values())
    return frame


def test_robust_band_is_median_and_four_robust_sd_with_a_floor():
    # median 3; |x - 3| = 2 1 0 1 97 -> MAD 1 -> 4 x 1.4826 = 5.9304; the outlier 100 barely matters
    assert robust_band([1, 2, 3, 4, 100]) == (3.0, pytest.approx(5.9304))
    assert robust_band([1, 2, 3, 4, 100], floor=10.0) == (3.0, 10.0)
    with pytest.raises(ValueError):
        robust_band([])


# guest share: changes -1 +2 -1 +2 -1 points -> median -1, |dev| 0 3 0 3 0 -> MAD 0: the 3-point floor rules,
# band -1 ± 3 = [-4, +2] points, widened to at least ±3: [-4, +3]
GUEST = dict(zip(H1, [0.30, 0.29, 0.31, 0.30, 0.32, 0.31], strict=True))


@pytest.mark.parametrize(
    ("july", "passed"),
    [
        (0.56, False),  # +25 points
        (0.335, True),  # +2.5: inside the ±3 floor
        (0.275, True),  # -3.5: inside [-4, +3]
        (0.265, False),  # -4.5
        (0.345, False),
    ],
)  # +3.5
def test_guest_share_change_against_its_usual_changes(july, passed):
    result = change_drift(monthly({**GUEST, "2011-07": july}), JULY, "v", what="share of guest lines", floor=0.03)
    assert result.passed is passed
    assert result.metadata["usual_change"] == pytest.approx(-0.01)
    assert (result.metadata["band_low"], result.metadata["band_high"]) == (pytest.approx(-0.04), pytest.approx(0.03))
    assert result.metadata["history"] == 5 and result.metadata["change"] == pytest.approx(july - 0.31)


def test_a_smooth_decay_is_not_drift_and_only_earlier_months_count():
    # -5 points every month: the usual change is -5 (MAD 0), band -5 ± 3 = [-8, -2] points, widened to [-8, +3]
    decay = dict(zip(H1, [0.50, 0.45, 0.40, 0.35, 0.30, 0.25], strict=True))
    later = {"2011-08": 0.99, "2010-05": 0.99}  # after July: never read; 14 months before: outside the lookback
    result = change_drift(monthly({**decay, "2011-07": 0.20, **later}), JULY, "v", what="share", floor=0.03)
    assert result.passed and result.metadata["usual_change"] == pytest.approx(-0.05)
    assert result.metadata["band_low"] == pytest.approx(-0.08) and result.metadata["history"] == 5
    # a fixed band around the trailing median (0.375) would have called 0.20 drift; a reversal is
    assert not change_drift(monthly({**decay, "2011-07": 0.29}), JULY, "v", what="share", floor=0.03).passed


def test_too_little_history_or_no_value_passes_and_says_so():
    short = change_drift(
        monthly({"2011-04": 0.3, "2011-05": 0.3, "2011-06": 0.3, "2011-07": 0.9}), JULY, "v", what="share", floor=0.03
    )
    assert short.passed and "not enough history" in short.description and short.metadata["history"] == 2
    missing = change_drift(monthly(GUEST), JULY, "v", what="share", floor=0.03)
    assert missing.passed and "nothing to compare" in missing.description


def shares(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(date.fromisoformat(m + "-01"), g, s) for m, g, s in rows], columns=["snapshot_month", "segment", "share"]
    )


def test_segment_mix_shift_per_segment():
    # A: 0.50 0.52 0.50 0.52 0.50 0.52: changes sorted -2 -2 +2 +2 +2 points -> median +2, |dev| 4 4 0 0 0 ->
    # MAD 0: band +2 ± 5 = [-3, +7], widened to at least ±5: [-5, +7]. B = 1 - A: [-7, +5]. C (0 until July): ±5.
    history = [
        (m, g, s)
        for m, a in zip(H1, [0.50, 0.52, 0.50, 0.52, 0.50, 0.52], strict=True)
        for g, s in (("A", a), ("B", 1 - a))
    ]
    calm = group_change_drift(
        shares(history + [("2011-07", "A", 0.55), ("2011-07", "B", 0.45)]),
        JULY,
        group="segment",
        value="share",
        what="segment share",
        floor=0.05,
    )
    assert calm.passed and calm.metadata["groups_outside"] == 0
    shifted = shares(history + [("2011-07", "A", 0.30), ("2011-07", "B", 0.40), ("2011-07", "C", 0.30)])
    result = group_change_drift(shifted, JULY, group="segment", value="share", what="segment share", floor=0.05)
    # A -22 points, B -8, C +30: all three outside; C is the furthest out (30 / 5 = 6 half-widths, A 24 / 7)
    assert not result.passed and result.metadata["groups_outside"] == 3
    assert result.metadata["group"] == "C" and result.metadata["change"] == pytest.approx(0.30)
    assert "| A | -22.0 points |" in str(result.metadata["groups"])


def params(values: dict[str, list[float]], months: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [(date.fromisoformat(m + "-01"), p, v[i]) for p, v in values.items() for i, m in enumerate(months)],
        columns=["snapshot_month", "param", "value"],
    )


def test_doubled_parameters_fire_and_usual_moves_do_not():
    months = [*H1, "2011-07"]
    # r flat (log changes 0, MAD 0: floor log 1.5); alpha grows x1.05 a month (usual change log 1.05)
    base = {"r": [0.5] * 6, "alpha": [10 * 1.05**i for i in range(6)]}
    doubled = params({"r": [*base["r"], 1.0], "alpha": [*base["alpha"], 2 * base["alpha"][-1]]}, months)
    result = group_change_drift(
        doubled, JULY, group="param", value="value", what="parameter", floor=math.log(1.5), transform="log", unit="log"
    )
    assert not result.passed and result.metadata["groups_outside"] == 2
    assert result.metadata["change"] == pytest.approx(math.log(2))
    usual = params({"r": [*base["r"], 0.5 * 1.4], "alpha": [*base["alpha"], base["alpha"][-1] * 1.05]}, months)
    assert group_change_drift(
        usual, JULY, group="param", value="value", what="parameter", floor=math.log(1.5), transform="log", unit="log"
    ).passed  # x1.4 < x1.5


def test_forecast_error_warns_only_upwards_beyond_twice_the_median_and_above_one():
    # MASE 0.5 0.6 0.55 0.5 0.6 0.55: median of logs = log 0.55; |log dev| 0.095 0.087 0 ... -> MAD 0.087,
    # 4 x 1.4826 x 0.087 = 0.52 < log 2: the limit is 0.55 x 2 = 1.1
    mase = dict(zip(H1, [0.5, 0.6, 0.55, 0.5, 0.6, 0.55], strict=True))
    result = level_drift(
        monthly({**mase, "2011-07": 1.2}), JULY, "v", what="MASE", floor=math.log(2), minimum=1.0, min_history=6
    )
    assert not result.passed and result.metadata["limit"] == pytest.approx(1.1)
    assert level_drift(
        monthly({**mase, "2011-07": 1.05}), JULY, "v", what="MASE", floor=math.log(2), minimum=1.0, min_history=6
    ).passed
    assert level_drift(
        monthly({**mase, "2011-07": 0.01}), JULY, "v", what="MASE", floor=math.log(2), minimum=1.0, min_history=6
    ).passed  # better never warns
    tiny = {m: 0.2 for m in H1}  # limit 0.4, but an error no larger than the naive's (MASE <= 1) never warns
    assert level_drift(
        monthly({**tiny, "2011-07": 0.9}), JULY, "v", what="MASE", floor=math.log(2), minimum=1.0, min_history=6
    ).passed


VOLUME = {"2011-04": (1000.0, 100.0), "2011-05": (1100.0, 110.0), "2011-06": (1200.0, 120.0)}  # 10 per line


def volumes(july: tuple[float, float], rows: dict | None = None) -> pd.DataFrame:
    rows = {**(rows or VOLUME), "2011-07": july}
    return monthly({k: v[0] for k, v in rows.items()}, "revenue", lines={k: v[1] for k, v in rows.items()})


def forecasts(rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    """One-month-ahead forecasts: ds -> (forecast, lo_95, hi_95)."""
    return pd.DataFrame(
        [(date.fromisoformat(k + "-01"), *v) for k, v in rows.items()], columns=["ds", "forecast", "lo_95", "hi_95"]
    )


def test_volume_against_last_months_forecast_interval():
    july = forecasts({"2011-07": (1300.0, 1100.0, 1500.0)})
    ok = forecast_drift(volumes((1250.0, 125.0)), JULY, "revenue", july, what="revenue")
    assert ok.passed and ok.metadata["relative_error"] == pytest.approx(1250 / 1300 - 1, abs=1e-6)
    # 40% fewer lines than expected: 130 expected (1300 / 10 per line), interval [110, 150]
    fewer = forecast_drift(volumes((780.0, 78.0)), JULY, "lines", july, what="purchase lines", per_revenue=True)
    assert not fewer.passed and (fewer.metadata["lo_95"], fewer.metadata["hi_95"]) == (110.0, 150.0)
    assert fewer.metadata["relative_error"] == pytest.approx(-0.4) and "OUTSIDE" in fewer.description
    # no track record yet (no earlier forecasts): a miss within x1.5 (867 to 1,950) is not an alarm, however
    # narrow the interval
    narrow = forecasts({"2011-07": (1300.0, 1290.0, 1310.0)})
    for value, passed in ((1365.0, True), (1900.0, True), (900.0, True), (2000.0, False), (850.0, False)):
        assert forecast_drift(volumes((value, 130.0)), JULY, "revenue", narrow, what="revenue").passed is passed


def test_a_forecast_that_usually_misses_by_a_lot_is_judged_by_its_own_misses():
    # Jan-Jun revenue; each month's forecast (made the month before) missed by +50% or -30% alternately
    months = ["2011-01", "2011-02", "2011-03", "2011-04", "2011-05", "2011-06"]
    rows = {m: (1000.0, 100.0) for m in months}
    track = {m: (1000.0 / (1.5 if i % 2 else 0.7), 1.0, 1e9) for i, m in enumerate(months)}
    # misses of Apr, May, Jun (those with 3 earlier months): log 1.5, log 0.7, log 1.5 -> only 3 < 5 needed:
    # the floor alone, x1.5 either way
    july = {"2011-07": (1000.0, 990.0, 1010.0)}
    result = forecast_drift(
        volumes((1450.0, 145.0), rows), JULY, "revenue", forecasts({**track, **july}), what="revenue"
    )
    assert result.passed and result.metadata["past_misses"] == 3
    assert (result.metadata["usual_miss_low"], result.metadata["usual_miss_high"]) == (
        pytest.approx(1 / 1.5 - 1, abs=1e-6),
        pytest.approx(0.5, abs=1e-6),
    )
    # three more months of the same misses (Jan-Sep, judged in October): 6 misses log 0.7 / log 1.5 alternately,
    # median (log 0.7 + log 1.5) / 2 = 0.0244, MAD 0.381 -> band 0.0244 ± 2.26: a -70% miss is usual for it
    longer = [*months, "2011-07", "2011-08", "2011-09"]
    rows = {m: (1000.0, 100.0) for m in longer}
    track = {m: (1000.0 / (1.5 if i % 2 else 0.7), 1.0, 1e9) for i, m in enumerate(longer)}
    october = date(2011, 10, 1)
    frame = monthly({**{k: v[0] for k, v in rows.items()}, "2011-10": 300.0}, "revenue")
    result = forecast_drift(
        frame, october, "revenue", forecasts({**track, "2011-10": (1000.0, 990.0, 1010.0)}), what="revenue"
    )
    assert result.passed and result.metadata["past_misses"] == 6 and "within its usual misses" in result.description
    assert result.metadata["usual_miss_low"] == pytest.approx(math.exp(0.0244 - 2.26) - 1, abs=0.01)


def test_volume_without_a_forecast_falls_back_to_its_usual_changes():
    # revenue x1.1 a month for six months (log change 0.0953, MAD 0): band 0.0953 ± log 1.5
    growth = {m: 1000 * 1.1**i for i, m in enumerate(H1)}
    frame = monthly({**growth, "2011-07": growth["2011-06"] * 0.6}, "revenue")
    result = forecast_drift(frame, JULY, "revenue", None, what="revenue")
    assert not result.passed and result.metadata["method"] == "change_band"
    assert "no forecast from last month" in result.description
    steady = monthly({**growth, "2011-07": growth["2011-06"] * 1.1}, "revenue")
    assert forecast_drift(steady, JULY, "revenue", None, what="revenue").passed
    young = forecast_drift(
        volumes((10.0, 1.0)).iloc[1:], JULY, "revenue", forecasts({"2011-07": (1.0, 0.0, 2.0)}), what="revenue"
    )
    assert young.passed and "not enough history" in young.description


def _params_warehouse(path, months: dict):
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("create table clv_model_params (snapshot_month date, model varchar, param varchar, value double)")
    for month, params in months.items():
        for name, value in params.items():
            con.execute("insert into clv_model_params values (?, 'm', ?, ?)", [month, name, value])
    return con


def test_parameter_drift_judges_what_the_fits_identify(tmp_path):
    """Gamma-Gamma's q and v trade off: a month where q and v move together so that the mean spend
    p*v/(q-1) stays put is no drift; raw-parameter bands would have warned on it."""
    from rfm_assets.core.drift_history import clv_params, judge

    base = {"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 4.0, "p": 6.0, "q": 4.0, "v": 15.0}
    months = {date(2020, m, 1): {**base, "alpha": 10.0 * (1 + 0.01 * m)} for m in range(1, 10)}
    # September: q 4 -> 1.1 and v 15 -> 0.5, so p*v/(q-1) stays 6*15/3 = 6*0.5/0.1 = 30
    months[date(2020, 9, 1)] = {**months[date(2020, 9, 1)], "q": 1.1, "v": 0.5}
    con = _params_warehouse(tmp_path / "w.duckdb", months)
    frame = clv_params(con, date(2020, 9, 1))
    sept = frame[frame["snapshot_month"] == pd.Timestamp(2020, 9, 1)].set_index("param")["value"]
    # by hand: r/alpha = 0.5/10.9, a/(a+b) = 0.8/4.8, a+b = 4.8, mean spend 6*0.5/0.1 = 30, p = 6
    assert sept["purchase rate r/alpha"] == pytest.approx(0.5 / 10.9)
    assert sept["drop-out probability a/(a+b)"] == pytest.approx(0.8 / 4.8)
    assert sept["drop-out concentration a+b"] == pytest.approx(4.8)
    assert sept["mean spend p*v/(q-1)"] == pytest.approx(30.0)
    assert judge("clv_parameters", frame, date(2020, 9, 1)).passed
    # the mean spend doubling (v x2) is drift
    months[date(2020, 9, 1)] = {**months[date(2020, 8, 1)], "v": 30.0}
    con.close()
    con = _params_warehouse(tmp_path / "w2.duckdb", months)
    result = judge("clv_parameters", clv_params(con, date(2020, 9, 1)), date(2020, 9, 1))
    assert not result.passed and "mean spend" in result.description
