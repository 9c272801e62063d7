"""Dormant-customer reactivation: who, of the customers gone quiet, will buy again (no dagster).

For an anchor month A the target group is every customer whose last order falls in the base window
A-5..A-3 (bought there, then dormant through A-2..A); the label is an order in A+1..A+3 and its
revenue. Features (sql/dormant_features.sql) read only lines up to the last day of A; labels
(sql/dormant_labels.sql) are a separate query, so no feature can see the outcome window.

Time rules, for the latest loaded month M:
  - an anchor's outcome is known when A+3 <= M, and it is usable when its base window lies in the
    data (A-5 >= first month): :func:`known_outcome_anchors`;
  - evaluation anchor E = the newest known anchor (M-3);
  - candidates are trained on the newest TRAINING_WINDOW (12) anchors A <= E-3 only. Their
    outcome windows end by E, the month at whose end a campaign for E would have been planned, so
    the comparison sees exactly what that campaign could have known; no training label overlaps E's outcome window E+1..E+3;
  - the chosen model (best AUC on E) is refit on the newest TRAINING_WINDOW known anchors (labels
    end by M) and scores the customers dormant now (anchor M).
  The window (a year of anchors: every season once) keeps the model on recent behaviour and the
  cost of a month constant as history grows, instead of growing with every month loaded.
Probabilities are Platt-calibrated out of time (dormant_model.FinalModel).
Expected revenue = probability x mean future revenue of past buyers in the same
average-order-value quintile (dormant_model.SpendModel).
CLV features (p_alive, expected_purchases_12m, clv_12m of the anchor month) are used when
customer_lifetime_value holds M, E and at least one training anchor; the anchors without CLV (the
first months, before BG/NBD can be fitted) are then left out of training and the final fit, so
training, evaluation and scoring share one feature set; a customer without a CLV row gets 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core.dormant_campaign import CampaignConfig, build_targets, evaluation_k
from rfm_assets.core.dormant_model import (
    CLV_FEATURES,
    Evaluation,
    FeatureSpec,
    SpendModel,
    evaluate_candidates,
    fit_final,
)
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months, month_start
from rfm_assets.core.plots import gain_chart
from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import table_exists

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")

CLV_TABLE = "customer_lifetime_value"
BASE_START, OUTCOME_MONTHS = 5, 3  # base window starts at A-5; outcome window is A+1..A+3
TRAINING_WINDOW = 12  # anchors a model learns from: one year, so each calendar month once
OK, NO_KNOWN_OUTCOME, NO_TRAINING_ANCHOR = "ok", "no_known_outcome", "no_training_anchor"
TOO_FEW_POSITIVES, NO_DORMANT_CUSTOMERS = "too_few_positives", "no_dormant_customers"


def first_data_month(con: duckdb.DuckDBPyConnection) -> date | None:
    """First month of cleaned_transactions (None when the table is missing or empty)."""
    if not table_exists(con, "cleaned_transactions"):
        return None
    return con.execute("select min(snapshot_month) from cleaned_transactions").fetchone()[0]


def clv_months(con: duckdb.DuckDBPyConnection) -> set[date]:
    """Months present in customer_lifetime_value (empty when the table does not exist)."""
    if not table_exists(con, CLV_TABLE):
        return set()
    return {r[0] for r in con.execute(f"select distinct snapshot_month from {CLV_TABLE}").fetchall()}


def anchor_features(con: duckdb.DuckDBPyConnection, anchor: date, *, with_clv: bool | None = None) -> pd.DataFrame:
    """Target group of ``anchor`` with its features (sql/dormant_features.sql), ordered by customer_id.

    ``with_clv``: add the anchor month's CLV_FEATURES; None = only if that month is in the CLV table.
    """
    anchor = month_start(anchor)
    frame = con.execute(load_sql("dormant_features"), {"anchor_month": anchor}).df()
    available = anchor in clv_months(con)
    if with_clv is None:
        with_clv = available
    if with_clv and not available:
        raise ValueError(f"{CLV_TABLE} has no rows for {anchor:%Y-%m}")
    if with_clv:
        clv = con.execute(
            f"select customer_id, {', '.join(CLV_FEATURES)} from {CLV_TABLE} where snapshot_month = ?", [anchor]
        ).df()
        frame = frame.merge(clv, on="customer_id", how="left", validate="one_to_one")
    return frame


def anchor_labels(con: duckdb.DuckDBPyConnection, anchor: date) -> pd.DataFrame:
    """Outcome of ``anchor``'s target group (sql/dormant_labels.sql): bought_again, future_revenue."""
    return con.execute(load_sql("dormant_labels"), {"anchor_month": month_start(anchor)}).df()


def anchor_panel(con: duckdb.DuckDBPyConnection, anchors: list[date], *, with_clv: bool) -> pd.DataFrame:
    """Features joined to labels for each anchor, stacked, with an ``anchor`` column (a date)."""
    frames = []
    for anchor in anchors:
        features = anchor_features(con, anchor, with_clv=with_clv)
        labels = anchor_labels(con, anchor).drop(columns="snapshot_month")
        if set(features["customer_id"]) != set(labels["customer_id"]):
            raise RuntimeError(f"{anchor:%Y-%m}: features and labels disagree on the target group")
        frames.append(features.merge(labels, on="customer_id", validate="one_to_one").assign(anchor=anchor))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def known_outcome_anchors(first_month: date, month: date) -> list[date]:
    """Anchors A with a complete base window (A-5 >= first_month) and outcome (A+3 <= month), oldest first."""
    first, last = add_months(month_start(first_month), BASE_START), add_months(month_start(month), -OUTCOME_MONTHS)
    out = []
    while first <= last:
        out.append(first)
        first = add_months(first, 1)
    return out


def evaluation_plan(first_month: date, month: date) -> tuple[date | None, list[date]]:
    """(evaluation anchor, training anchors): the newest known anchor E and the newest
    TRAINING_WINDOW known anchors <= E-3."""
    known = known_outcome_anchors(first_month, month)
    if not known:
        return None, []
    latest_training = add_months(known[-1], -OUTCOME_MONTHS)
    return known[-1], [a for a in known if a <= latest_training][-TRAINING_WINDOW:]


@dataclass(frozen=True)
class DormantResult:
    """Outcome of :func:`run_dormant`; ``status`` is OK or says why there is no (full) answer."""

    status: str
    message: str
    month: date
    evaluation_anchor: date | None = None
    training_anchors: tuple[date, ...] = ()
    final_anchors: tuple[date, ...] = ()
    use_clv: bool = False
    chosen_model: str | None = None
    metrics: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())  # lambda: pandas loads on first use
    targets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())
    evaluation: Evaluation | None = None
    feature_columns: tuple[str, ...] = ()
    persona_thresholds: dict[str, float] = field(default_factory=dict)
    calibration_slope: float | None = None  # 0 = the chosen model had no out-of-time signal

    @property
    def ok(self) -> bool:
        """True when there is a ranked list of the customers dormant now."""
        return self.status == OK

    def gain_png(self) -> bytes | None:
        """Cumulative gain chart of the evaluation anchor (None without an evaluation)."""
        if self.evaluation is None:
            return None
        ev = self.evaluation
        return gain_chart(
            ev.y, ev.scores, ev.k, ev.customer_ids, title=f"Gain on anchor {ev.anchor:%Y-%m} (chosen: {ev.chosen})"
        )


def run_dormant(
    con: duckdb.DuckDBPyConnection,
    month: date,
    config: CampaignConfig | None = None,
    *,
    first_month: date | None = None,
    min_positives: int = 20,
) -> DormantResult:
    """Select a model out of time, refit it, and rank the customers dormant as of ``month``."""
    config = config or CampaignConfig()
    month = month_start(month)
    first = month_start(first_month) if first_month else first_data_month(con)
    if first is None:
        return DormantResult(NO_KNOWN_OUTCOME, "no cleaned_transactions yet", month)
    evaluation_anchor, training = evaluation_plan(first, month)
    if evaluation_anchor is None:
        earliest = add_months(first, BASE_START)
        return DormantResult(
            NO_KNOWN_OUTCOME,
            f"no anchor with a known outcome yet: the first anchor "
            f"{earliest:%Y-%m} is known once {add_months(earliest, OUTCOME_MONTHS):%Y-%m} is loaded",
            month,
        )
    known = known_outcome_anchors(first, month)[-TRAINING_WINDOW:]  # the final model's anchors
    plan = {"evaluation_anchor": evaluation_anchor, "training_anchors": tuple(training), "final_anchors": tuple(known)}
    if not training:
        return DormantResult(
            NO_TRAINING_ANCHOR,
            f"out-of-time selection needs an anchor <= "
            f"{add_months(evaluation_anchor, -OUTCOME_MONTHS):%Y-%m} besides the evaluation "
            f"anchor {evaluation_anchor:%Y-%m}: 3 more months of data are needed",
            month,
            **plan,
        )
    # CLV features when the month, the evaluation anchor and at least one training anchor have CLV;
    # anchors without it (the first months, before BG/NBD can be fitted) then sit out, so training,
    # evaluation and scoring share one feature set.
    have = clv_months(con)
    use_clv = month in have and evaluation_anchor in have and any(a in have for a in training)
    if use_clv:
        known, training = [a for a in known if a in have], [a for a in training if a in have]
        plan |= {"training_anchors": tuple(training), "final_anchors": tuple(known)}
    everything = anchor_panel(con, sorted(set(known) | set(training)), with_clv=use_clv)
    panel = everything[everything["anchor"].isin(known)].reset_index(drop=True)
    train = everything[everything["anchor"].isin(training)].reset_index(drop=True)
    held_out = panel[panel["anchor"] == evaluation_anchor].reset_index(drop=True)
    n_pos, n_eval_pos = int(train["bought_again"].sum()), int(held_out["bought_again"].sum())
    if n_pos < min_positives or not 0 < n_eval_pos < len(held_out):
        return DormantResult(
            TOO_FEW_POSITIVES,
            f"too few buyers to learn from: {n_pos} in training (need "
            f">= {min_positives}), {n_eval_pos} of {len(held_out)} on the evaluation anchor "
            "(need some buyers and some non-buyers)",
            month,
            use_clv=use_clv,
            **plan,
        )
    spec = FeatureSpec.fit(train, use_clv)
    evaluation = evaluate_candidates(train, held_out, spec, evaluation_k(len(held_out), config), evaluation_anchor)
    chosen_row = evaluation.metrics.set_index("model").loc[evaluation.chosen]
    done = dict(
        use_clv=use_clv, chosen_model=evaluation.chosen, metrics=evaluation.metrics, evaluation=evaluation, **plan
    )
    summary = (
        f"chose {evaluation.chosen} on anchor {evaluation_anchor:%Y-%m}: AUC {chosen_row['auc']:.3f}, "
        f"precision@{evaluation.k} {chosen_row['precision_at_k']:.1%} vs base rate "
        f"{chosen_row['base_rate']:.1%} (lift {chosen_row['lift_vs_random']:.2f})"
    )
    current = anchor_features(con, month, with_clv=use_clv)
    if current.empty:
        return DormantResult(NO_DORMANT_CUSTOMERS, f"{summary}; nobody is dormant as of {month:%Y-%m}", month, **done)
    final = fit_final(evaluation.chosen, panel, FeatureSpec.fit(panel, use_clv), evaluation)
    probability = final.predict_proba(current)
    spend = SpendModel.fit(panel).predict(current)
    targets, thresholds = build_targets(current, probability, spend, config, month)
    warning = "; no out-of-time signal: every probability is the base rate" if final.slope == 0 else ""
    return DormantResult(
        OK,
        f"{summary}; {int(targets['selected'].sum())} of {len(targets)} dormant customers selected{warning}",
        month,
        targets=targets,
        feature_columns=tuple(final.spec.columns),
        persona_thresholds=thresholds,
        calibration_slope=final.slope,
        **done,
    )
