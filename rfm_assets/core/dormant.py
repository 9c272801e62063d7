"""Dormant-customer reactivation: who, of the customers gone quiet, will buy again (no dagster).

For an anchor month A the target group is every customer whose last order falls in the base window
A-5..A-3 (bought there, then dormant through A-2..A); the label is an order in A+1..A+3 and its
revenue. Features (sql/dormant_features.sql) read only lines up to the last day of A; labels
(sql/dormant_labels.sql) are a separate query, so no feature can see the outcome window.

Time rules, for the latest loaded month M (anchors: core.dormant_plan; their rows: core.dormant_anchors):
  - an anchor's outcome is known when A+3 <= M, and it is usable when its base window lies in the
    data (A-5 >= first month);
  - evaluation anchor E = the newest known anchor (M-3); selection anchor S = E-3;
  - every model learns from the newest TRAINING_WINDOW (12) usable anchors <= its held-out anchor - 3,
    so no training label overlaps the held-out outcome window;
  - the model is chosen by AUC on S (trained on anchors <= S-3), then every candidate, trained on
    anchors <= E-3, is reported on E: the chosen model's lift on E carries no selection bias. While
    S has no training anchor, the choice is made on E and the metrics say so (selection_anchor = E);
  - the chosen model is refit on the newest TRAINING_WINDOW known anchors (labels end by M) and
    scores the customers dormant now (anchor M, outcome M+1..M+3).
  The window (a year of anchors: every season once) keeps the model on recent behaviour and the
  cost of a month constant as history grows, instead of growing with every month loaded.
Calibration (dormant_final.Platt) is fitted out of time on the calibration anchor C = M-12, whose
outcome window M-11..M-9 holds the same calendar months as the target's M+1..M+3 (scores of the
chosen model trained on anchors <= C-3); until C has a training anchor, on E (the previous three
months: another season). dormant_calibration reports predicted vs realized per decile on E,
calibrated by the same rule as of month E (on E-12, else S, else E itself, in sample).
Expected revenue = probability x mean future revenue of past buyers in the same
average-order-value quintile (dormant_final.SpendModel).
CLV features (p_alive, expected_purchases_12m, clv_12m of the anchor month) are used when
customer_lifetime_value holds M, E and at least one training anchor; the anchors without CLV (the
first months, before BG/NBD can be fitted) are then left out of training and the final fit, so
training, evaluation and scoring share one feature set; a customer without a CLV row gets 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TypedDict

import duckdb

from rfm_assets.core.dormant_anchors import (
    anchor_features,
    anchor_labels,
    anchor_panel,
    clv_months,
    first_data_month,
)
from rfm_assets.core.dormant_campaign import CampaignConfig, build_targets, evaluation_k
from rfm_assets.core.dormant_final import Platt, SpendModel, calibration_table, fit_final, season_shift
from rfm_assets.core.dormant_fits import WarehouseFits
from rfm_assets.core.dormant_model import Evaluation, FeatureSpec, evaluate_candidates, with_selection
from rfm_assets.core.dormant_plan import (
    BASE_START,
    OUTCOME_MONTHS,
    TRAINING_WINDOW,
    both_classes,
    evaluation_plan,
    holdout,
    known_outcome_anchors,
    rows,
    window,
)
from rfm_assets.core.lazy import pd
from rfm_assets.core.months import add_months, month_start
from rfm_assets.core.plots import calibration_chart, gain_chart

__all__ = [
    "anchor_features",
    "anchor_labels",
    "clv_months",
    "evaluation_plan",
    "first_data_month",
    "known_outcome_anchors",
    "run_dormant",
]
OK, NO_KNOWN_OUTCOME, NO_TRAINING_ANCHOR = "ok", "no_known_outcome", "no_training_anchor"
TOO_FEW_POSITIVES, NO_DORMANT_CUSTOMERS = "too_few_positives", "no_dormant_customers"


class _Plan(TypedDict):  # the DormantResult fields every outcome after the plan carries
    evaluation_anchor: date
    training_anchors: tuple[date, ...]
    final_anchors: tuple[date, ...]


class _Chosen(_Plan):  # ... plus the chosen model's report: shared by both outcomes with a model
    use_clv: bool
    chosen_model: str
    metrics: pd.DataFrame
    evaluation: Evaluation
    calibration: pd.DataFrame
    selection_anchor: date | None


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
    calibration_anchor: date | None = None  # the anchor whose Platt map calibrates the month's probabilities
    season_shift: float = 0.0  # logit shift from that anchor's outcome season to the target's
    selection_anchor: date | None = None  # the anchor the model was chosen on (None: on E itself)
    calibration: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())  # predicted vs realized per decile on E

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

    def calibration_png(self) -> bytes | None:
        """Predicted vs realized rate per decile on the evaluation anchor (None without an evaluation)."""
        if self.calibration.empty:
            return None
        c = self.calibration
        title = (
            f"{c['model'].iloc[0]} on anchor {c['evaluation_anchor'].iloc[0]:%Y-%m}, "
            f"calibrated on {c['calibration_anchor'].iloc[0]:%Y-%m}"
        )
        return calibration_chart(c["mean_predicted"], c["realized_rate"], title)


def run_dormant(
    con: duckdb.DuckDBPyConnection,
    month: date,
    config: CampaignConfig | None = None,
    *,
    first_month: date | None = None,
    min_positives: int = 20,
    features_table: str | None = None,
) -> DormantResult:
    """Choose a model out of time, report it on a later anchor, refit it, and rank the customers dormant now.

    ``features_table``: a table already holding this month's sql/dormant_features rows (the asset's
    dormant_features), read instead of running the query a second time.
    """
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
    usable = known_outcome_anchors(first, month)
    plan: _Plan = {
        "evaluation_anchor": evaluation_anchor,
        "training_anchors": tuple(training),
        "final_anchors": tuple(usable[-TRAINING_WINDOW:]),
    }
    if not training:
        return DormantResult(
            NO_TRAINING_ANCHOR,
            f"out-of-time evaluation needs an anchor <= "
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
        usable = [a for a in usable if a in have]
    training, final_anchors = window(usable, add_months(evaluation_anchor, -OUTCOME_MONTHS)), usable[-TRAINING_WINDOW:]
    plan = {**plan, "training_anchors": tuple(training), "final_anchors": tuple(final_anchors)}
    selection = holdout(usable, add_months(evaluation_anchor, -OUTCOME_MONTHS))
    # the same calendar windows a year earlier: the target's (M-12), E's (E-12) and S's (S-12)
    year_back = [add_months(a, -12) for a in (month, evaluation_anchor, add_months(evaluation_anchor, -OUTCOME_MONTHS))]
    needed = set(final_anchors) | set(training) | ({selection[0], *selection[1]} if selection else set())
    panel = anchor_panel(con, sorted(needed | {a for a in year_back if a in usable}), with_clv=use_clv)
    train, held_out = rows(panel, training), rows(panel, evaluation_anchor)
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
    store = WarehouseFits(con, month)  # a month's selection fits are the evaluation fits of 3 months ago
    chooser = None
    if selection and both_classes(rows(panel, selection[0])) and both_classes(rows(panel, selection[1])):
        sel_train, sel_held = rows(panel, selection[1]), rows(panel, selection[0])
        chooser = evaluate_candidates(
            sel_train,
            sel_held,
            FeatureSpec.fit(sel_train, use_clv),
            evaluation_k(len(sel_held), config),
            selection[0],
            store=store,
        )
    spec = FeatureSpec.fit(train, use_clv)
    k = evaluation_k(len(held_out), config)
    evaluation = evaluate_candidates(
        train, held_out, spec, k, evaluation_anchor, chosen=chooser.chosen if chooser else None, store=store
    )
    chosen = evaluation.chosen
    # The report on E calibrates E's scores as the month's list would have been at month E: Platt on
    # the selection anchor S's out-of-time scores, shifted from S's season to E's by the year-before
    # rates; without S, on E itself (in sample: said so by calibration_anchor = evaluation_anchor).
    if chooser:
        s_map = Platt.fit(chooser.scores[chosen], chooser.y)
        e_shift = season_shift(panel, year_back[1], year_back[2], chooser.models[chosen], chooser.spec, s_map)
        e_map = s_map.shifted(e_shift)
    else:
        e_shift, e_map = 0.0, Platt.fit(evaluation.scores[chosen], evaluation.y)
    calibration = calibration_table(e_map(evaluation.scores[chosen]), evaluation.y, evaluation.customer_ids).assign(
        evaluation_anchor=evaluation_anchor,
        calibration_anchor=chooser.anchor if chooser else evaluation_anchor,
        season_shift=e_shift,
        model=chosen,
    )
    metrics = with_selection(evaluation.metrics, chooser)
    done: _Chosen = {
        **plan,
        "use_clv": use_clv,
        "chosen_model": chosen,
        "metrics": metrics,
        "evaluation": evaluation,
        "calibration": calibration,
        "selection_anchor": chooser.anchor if chooser else None,
    }
    chosen_row = metrics.set_index("model").loc[chosen]
    where = f"on anchor {chooser.anchor:%Y-%m}" if chooser else "on the evaluation anchor itself (no earlier one)"
    summary = (
        f"chose {chosen} {where}; on anchor {evaluation_anchor:%Y-%m}: AUC {chosen_row['auc']:.3f}, "
        f"precision@{evaluation.k} {chosen_row['precision_at_k']:.1%} vs base rate "
        f"{chosen_row['base_rate']:.1%} (lift {chosen_row['lift_vs_random']:.2f})"
    )
    current = anchor_features(con, month, with_clv=use_clv, stored=features_table)
    if current.empty:
        return DormantResult(NO_DORMANT_CUSTOMERS, f"{summary}; nobody is dormant as of {month:%Y-%m}", month, **done)
    e_fit = Platt.fit(evaluation.scores[chosen], evaluation.y)
    shift = season_shift(panel, year_back[0], year_back[1], evaluation.models[chosen], evaluation.spec, e_fit)
    scoring_map = e_fit.shifted(shift)  # from E's outcome season to the target's
    final_panel = rows(panel, final_anchors)
    final = fit_final(chosen, final_panel, FeatureSpec.fit(final_panel, use_clv), scoring_map, store)
    probability = final.predict_proba(current)
    spend = SpendModel.fit(final_panel).predict(current)
    targets, thresholds = build_targets(current, probability, spend, config, month)
    warning = "; no out-of-time signal: every probability is the base rate" if final.slope == 0 else ""
    return DormantResult(
        OK,
        f"{summary}; probabilities calibrated on anchor {evaluation_anchor:%Y-%m}, season shift {shift:+.2f} "
        "(logit); "
        f"{int(targets['selected'].sum())} of {len(targets)} dormant customers selected{warning}; "
        f"model fits: {store.reused} reused, {store.fitted} new",
        month,
        targets=targets,
        feature_columns=tuple(final.spec.columns),
        persona_thresholds=thresholds,
        calibration_slope=final.slope,
        calibration_anchor=evaluation_anchor,
        season_shift=shift,
        **done,
    )
