"""The dormant model that scores customers: refit, out-of-time calibration, spend, calibration report (no dagster).

Calibration (Platt): probability = sigmoid(intercept + slope * logit(raw score)). The map is fitted
on out-of-time scores: the chosen candidate trained on anchors <= C-3 and scored on a calibration
anchor C whose outcome is known. Class weighting (balanced forests and logits) moves raw scores away
from real repurchase rates, and these are the only predictions whose outcome the model never saw.
Which C is the caller's choice (dormant.py: the anchor a year before the target, whose outcome window
is the same three calendar months). A slope <= 0 (no out-of-time signal) is clamped to 0, i.e.
everyone gets C's base rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from rfm_assets.core.dormant_candidates import FitStore, candidate_models, fit_models
from rfm_assets.core.dormant_model import FeatureSpec
from rfm_assets.core.dormant_plan import both_classes, rows
from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")

DECILES = 10


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Platt:
    """A fitted calibration map."""

    intercept: float
    slope: float

    @classmethod
    def fit(cls, scores: np.ndarray, y: np.ndarray) -> Platt:
        """Logistic regression of ``y`` on logit(``scores``); slope <= 0 is clamped to 0 (the base rate)."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y, dtype=int)
        fitted = LogisticRegression(C=np.inf).fit(_logit(scores)[:, None], y)
        if fitted.coef_[0, 0] > 0:
            return cls(float(fitted.intercept_[0]), float(fitted.coef_[0, 0]))
        return cls(float(_logit(np.array([y.mean()]))[0]), 0.0)

    def shifted(self, shift: float) -> Platt:
        """The map with its intercept moved by ``shift`` (log-odds)."""
        return Platt(self.intercept + shift, self.slope)

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.intercept + self.slope * _logit(scores))))


def fit_candidate(name: str, train: pd.DataFrame, spec: FeatureSpec, store: FitStore | None = None) -> Any:
    """Candidate ``name`` fitted on ``train`` (features + bought_again) with the design of ``spec``."""
    x, y = spec.matrix(train), train["bought_again"].to_numpy(dtype=int)
    return fit_models({name: candidate_models()[name]}, x, y, store)[name]


def raw_scores(model: Any, spec: FeatureSpec, frame: pd.DataFrame) -> np.ndarray:
    """Uncalibrated scores of ``frame``'s rows."""
    return model.predict_proba(spec.matrix(frame))[:, 1]


@dataclass(frozen=True)
class FinalModel:
    """The chosen candidate refit on the newest known anchors, with an out-of-time Platt calibration."""

    name: str
    spec: FeatureSpec
    model: Any
    calibration: Platt

    @property
    def slope(self) -> float:
        return self.calibration.slope

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of an order in the next 3 months for each row of ``frame``."""
        return self.calibration(raw_scores(self.model, self.spec, frame))


def fit_final(
    name: str, train: pd.DataFrame, spec: FeatureSpec, calibration: Platt, store: FitStore | None = None
) -> FinalModel:
    """Refit candidate ``name`` on ``train`` (the newest known anchors) with ``calibration``."""
    return FinalModel(name, spec, fit_candidate(name, train, spec, store), calibration)


def calibration_table(probability: np.ndarray, y: np.ndarray, customer_ids: np.ndarray) -> pd.DataFrame:
    """Predicted vs realized repurchase rate per decile of ``probability`` (decile 1 = the highest).

    Rows are ranked by probability (ties by customer_id) and cut into DECILES groups as equal as
    possible (sizes differ by at most one). Columns: decile, n_customers, mean_predicted, realized_rate,
    n_buyers.
    """
    probability, y = np.asarray(probability, dtype=float), np.asarray(y, dtype=float)
    order = np.lexsort((np.asarray(customer_ids, dtype=str), -probability))
    rows = []
    for i, part in enumerate(np.array_split(order, min(DECILES, len(order)))):
        rows.append(
            {
                "decile": i + 1,
                "n_customers": len(part),
                "mean_predicted": float(probability[part].mean()),
                "realized_rate": float(y[part].mean()),
                "n_buyers": int(y[part].sum()),
            }
        )
    return pd.DataFrame(rows)


def season_shift(
    panel: pd.DataFrame, target: date, reference: date, model: Any, spec: FeatureSpec, mapping: Platt
) -> float:
    """How much more likely, in log-odds, the dormant bought again at anchor ``target`` than at ``reference``
    beyond what ``model`` (calibrated by ``mapping``) expects from who they were: the difference of the two
    anchors' residuals logit(realized rate) - logit(mean predicted). The model explains the groups'
    make-up, the residual is the season. Shrunk toward 0 by its sampling noise (shift x (1 - var/shift^2),
    floored at 0); 0 when either anchor is missing from ``panel`` or has only buyers or only non-buyers."""
    residuals, variance = [], 0.0
    for anchor in (target, reference):
        group = rows(panel, anchor)
        if not both_classes(group):
            return 0.0
        predicted = float(mapping(raw_scores(model, spec, group)).mean())
        realized = float(group["bought_again"].mean())
        residuals.append(float(_logit(np.array([realized, predicted])) @ np.array([1.0, -1.0])))
        variance += 1.0 / (len(group) * realized * (1.0 - realized))  # of logit(realized rate)
    shift = residuals[0] - residuals[1]
    # positive-part shrinkage toward 0: a shift within its noise (one standard error) is not applied
    return shift * max(0.0, 1.0 - variance / shift**2) if shift else 0.0


@dataclass(frozen=True)
class SpendModel:
    """Spend given a purchase: mean future revenue of past buyers in the same average-order-value fifth."""

    edges: tuple[float, ...]  # inner bin edges (quintiles of the buyers' avg_order_value)
    means: tuple[float, ...]  # mean future_revenue of buyers per bin (len(edges) + 1)

    @classmethod
    def fit(cls, train: pd.DataFrame) -> SpendModel:
        """Bin the buyers of ``train`` by avg_order_value quintile; an empty bin takes the overall mean."""
        buyers = train[train["bought_again"].astype(bool)]
        if buyers.empty:
            raise ValueError("no buyers to learn the spend of returning customers from")
        aov = buyers["avg_order_value"].to_numpy(dtype=float)
        spend = buyers["future_revenue"].to_numpy(dtype=float)
        edges = tuple(np.unique(np.quantile(aov, [0.2, 0.4, 0.6, 0.8])).tolist())
        bins = np.searchsorted(edges, aov, side="right")
        means = tuple(
            float(spend[bins == b].mean()) if (bins == b).any() else float(spend.mean()) for b in range(len(edges) + 1)
        )
        return cls(edges, means)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected spend of each customer of ``frame`` if they buy again."""
        bins = np.searchsorted(self.edges, frame["avg_order_value"].to_numpy(dtype=float), side="right")
        return np.asarray(self.means)[bins]
