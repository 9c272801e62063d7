"""Warn-level drift checks: each month against its series' own past behaviour (``core/drift.py``).

Non-blocking (severity WARN): a failed drift check shows in the UI and in `rfm-assets run`'s
output, and never stops downstream assets. Each reads only months up to its partition, passes with
an explanation while there is too little history (or the table does not exist yet), and puts the
numbers it compared in its metadata. They run in their asset's step (``table_checks.py``), and the
checks of one asset are answered together, reading their inputs once: three separate scans of 19 months of cleaned_transactions cost ~1.5 s
each on the 10-million-line dataset.
"""

from collections.abc import Iterable, Sequence
from datetime import date

import dagster as dg
import duckdb

from rfm_assets.checks.table_checks import CheckGroup, TableCheck, Verdict
from rfm_assets.core.drift import DriftResult
from rfm_assets.core.drift_history import evaluate_all

# (asset, check name, what drift_history.evaluate runs, description shown in the UI)
DRIFT_CHECKS = (
    (
        "cleaned_transactions",
        "row_count_drift",
        "row_count",
        "Purchase lines vs last month's one-month-ahead company revenue forecast, in lines at the median revenue "
        "per line of the previous 6 months: warns outside its 95% interval when the miss is also beyond that "
        "forecast's usual misses (robust band of its previous 12 one-step misses, never narrower than x1.5 either "
        "way). Without that forecast: the month's change vs the earlier monthly changes (log scale).",
    ),
    (
        "cleaned_transactions",
        "revenue_drift",
        "revenue",
        "Revenue vs last month's one-month-ahead company forecast: warns outside its 95% interval when the miss "
        "is also beyond that forecast's usual misses (robust band of its previous 12 one-step misses, never "
        "narrower than x1.5 either way). Without that forecast: the month's change vs the earlier monthly changes.",
    ),
    (
        "cleaned_transactions",
        "missing_customer_id_drift",
        "guest_share",
        "Share of lines without a customer id: this month's change vs the previous 12 months' changes, "
        "median ± 4 robust sd (1.4826 x MAD); a change within ±3 points never warns.",
    ),
    (
        "rfm_snapshots",
        "segment_share_shift",
        "segment_shares",
        "Share of customers per RFM segment: each segment's change vs its previous 12 months' changes, "
        "median ± 4 robust sd; a change within ±5 points never warns.",
    ),
    (
        "cluster_profiles",
        "cluster_share_shift",
        "cluster_shares",
        "Customer share of Top Customers, Inactive and the clusters between them: each one's change vs its previous "
        "12 months' changes, median ± 4 robust sd; a change within ±5 points never warns.",
    ),
    (
        "clv_model_params",
        "parameter_drift",
        "clv_parameters",
        "What the BG/NBD and Gamma-Gamma fits say about customers (mean purchase rate r/alpha and shape r, "
        "drop-out probability a/(a+b) and concentration a+b, mean spend p*v/(q-1)): each one's change "
        "on a log scale vs its previous 12 months' changes, median ± 4 robust sd; within x1.5 either way never warns.",
    ),
    (
        "forecast_backtest_metrics",
        "forecast_error_jump",
        "forecast_error",
        "Backtest MASE of the chosen company forecast vs its previous 12 months (log scale): warns above "
        "median + 4 robust sd (at least twice the median) and above 1 (worse than the in-sample naive); "
        "needs 6 earlier months.",
    ),
)


def _metadata(result: DriftResult) -> dict[str, dg.MetadataValue]:
    out: dict[str, dg.MetadataValue] = {}
    for key, value in result.metadata.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            text = str(value)
            out[key] = dg.MetadataValue.md(text) if text.startswith("|") else dg.MetadataValue.text(text)
        elif isinstance(value, int):
            out[key] = dg.MetadataValue.int(value)
        else:
            out[key] = dg.MetadataValue.float(float(value))
    return out


def drift_group(asset: str, specs: list[tuple[str, str, str]]) -> CheckGroup:
    """The non-blocking, warn-level checks ``(name, check, description)`` of one month of ``asset`` against
    its previous months, answered together so each input is read once."""
    checks = {name: check for name, check, _ in specs}

    def evaluate(con: duckdb.DuckDBPyConnection, month: date, window_months: int, names: Sequence[str]) -> dict:
        results = evaluate_all(con, asset, month, [checks[name] for name in names])
        return {
            name: Verdict(
                results[checks[name]].passed, results[checks[name]].description, _metadata(results[checks[name]])
            )
            for name in names
        }

    return CheckGroup(
        asset, tuple(TableCheck(name, description, blocking=False) for name, _, description in specs), evaluate
    )


def drift_groups(asset_keys: Iterable[str] | None = None) -> list[CheckGroup]:
    """The drift checks of every asset in DRIFT_CHECKS, or only of ``asset_keys`` when given."""
    by_asset: dict[str, list[tuple[str, str, str]]] = {}
    for asset, name, check, description in DRIFT_CHECKS:
        if asset_keys is None or asset in set(asset_keys):
            by_asset.setdefault(asset, []).append((name, check, description))
    return [drift_group(asset, specs) for asset, specs in by_asset.items()]
