"""Agreement checks: every compared result equals the project's to a stated tolerance.

Run after the pieces, on the pieces' warehouse (read-only) and the baseline's output files. A
benchmark whose results disagree is not a comparison, so :func:`assert_agreement` fails the run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from benchmarks import compare_fits
from rfm_assets.core.rows import one_row, scalar

TOL_RFM_FLOOR = 1e-9  # relative, doubles from the same decimal sums
TOL_MONETARY = 1e-6  # relative, pandas float sums vs the project's decimal(38, 6) sums
TOL_SUMMARY_ABS = 1e-5  # absolute, lifetimes' float day values vs decimal(38, 6) day values
TOL_CLV_TOTAL = 1e-2  # relative, total 12-month CLV of the month's customers


class AgreementError(AssertionError):
    """A compared result disagrees with the project's beyond its tolerance."""


@dataclass
class Agreement:
    check: str
    tolerance: str
    observed: str
    passed: bool


def floor_rfm(con: duckdb.DuckDBPyConnection, month: date) -> Agreement:
    exact = [
        "recency_days",
        "frequency",
        "tenure_days",
        "r_score",
        "f_score",
        "m_score",
        "fm_score",
        "rfm_cell",
        "rfm_segment",
        "first_purchase_date",
        "last_purchase_date",
        "window_start_month",
    ]
    close = ["monetary", "avg_order_value", "returned_value"]
    conds = [f"p.{c} is distinct from f.{c}" for c in exact] + [
        f"abs(p.{c} - f.{c}) > {TOL_RFM_FLOOR} * greatest(abs(p.{c}), 1e-9)" for c in close
    ]
    n, bad = one_row(
        con,
        f"""
        select count(*), count(*) filter (where p.customer_id is null or f.customer_id is null or {" or ".join(conds)})
        from (select * from rfm_snapshots where snapshot_month = ?) as p
        full join bench_floor_rfm as f using (customer_id)""",
        [month],
    )
    return Agreement(
        "floor RFM query = project rfm_snapshots (every column, every customer)",
        f"exact; money rel {TOL_RFM_FLOOR:g}",
        f"{bad} of {n:,} rows differ",
        bad == 0 and n > 0,
    )


def bare_read(con: duckdb.DuckDBPyConnection, month: date, floor_rows: int) -> Agreement:
    raw = scalar(con, "select count(*) from raw_orders where snapshot_month = ?", [month])
    return Agreement(
        "bare read rows = raw_orders rows of the month",
        "exact",
        f"{floor_rows:,} vs {raw:,}",
        floor_rows == raw and raw > 0,
    )


def baseline_rfm(con: duckdb.DuckDBPyConnection, month: date, out: Path) -> Agreement:
    n, bad, worst = one_row(
        con,
        f"""
        select count(*),
               count(*) filter (where p.customer_id is null or b.customer_id is null
                                or p.recency_days <> b.recency_days or p.frequency <> b.frequency
                                or abs(p.monetary - b.monetary) > {TOL_MONETARY} * abs(p.monetary)),
               max(abs(p.monetary - b.monetary) / abs(p.monetary))
        from (select * from rfm_snapshots where snapshot_month = ?) as p
        full join read_parquet(?) as b using (customer_id)""",
        [month, str(out / "rfm.parquet")],
    )
    return Agreement(
        "pandas RFM = project R, F, M",
        f"R, F exact; M rel {TOL_MONETARY:g}",
        f"{bad} of {n:,} customers differ; max M rel diff {worst or 0:.1e}",
        bad == 0 and n > 0,
    )


def baseline_summary(con: duckdb.DuckDBPyConnection, month: date, out: Path) -> Agreement:
    n, bad = one_row(
        con,
        f"""
        select count(*),
               count(*) filter (where p.customer_id is null or b.customer_id is null or p.frequency <> b.frequency
                                or abs(p.recency - b.recency) > 1e-9 or abs(p."T" - b."T") > 1e-9
                                or abs(p.monetary_value - b.monetary_value) > {TOL_SUMMARY_ABS})
        from (select * from customer_lifetime_value where snapshot_month = ?) as p
        full join read_parquet(?) as b using (customer_id)""",
        [month, str(out / "summary.parquet")],
    )
    return Agreement(
        "lifetimes summary_data_from_transaction_data = project CLV inputs",
        f"frequency exact; recency, T 1e-9; monetary_value abs {TOL_SUMMARY_ABS:g}",
        f"{bad} of {n:,} customers differ",
        bad == 0 and n > 0,
    )


def clv_scores(con: duckdb.DuckDBPyConnection, month: date, out: Path) -> Agreement:
    n, total_p, total_b, p99 = one_row(
        con,
        """
        select count(*), sum(p.clv_12m), sum(b.clv_12m),
               quantile_cont(abs(p.clv_12m - b.clv_12m) / greatest(abs(p.clv_12m), 1e-9), 0.99)
        from (select * from customer_lifetime_value where snapshot_month = ?) as p
        join read_parquet(?) as b using (customer_id)""",
        [month, str(out / "summary.parquet")],
    )
    rel = abs(total_p - total_b) / abs(total_p)
    return Agreement(
        "notebook 12-month CLV vs project clv_12m",
        f"total rel {TOL_CLV_TOTAL:g}",
        f"total rel diff {rel:.1e}; per-customer p99 rel diff {p99:.1e} ({n:,} customers)",
        rel <= TOL_CLV_TOTAL,
    )


def params(project: dict[str, Any], notebook: dict[str, Any], weighting: dict[str, Any], out: Path) -> list[Agreement]:
    """The model rows (benchmarks.compare_fits): parameters at equal penalizers, else predictions."""
    return [Agreement(**row) for row in compare_fits.fit_rows(project, notebook, weighting, out)]


def month_run(result: dict[str, Any]) -> Agreement:
    ok = result["exit_status"] == 0 and not result["failed_steps"] and not result["failed_checks"]
    return Agreement(
        "whole month: every step succeeded, every check passed",
        "all",
        f"{len(result['steps'])} steps, {result['checks']} checks; failed: "
        f"{', '.join(result['failed_steps'] + result['failed_checks']) or 'none'}",
        ok,
    )


def check_all(
    warehouse: Path,
    month: date,
    floor_rows: int,
    out: Path,
    project_clv: dict[str, Any],
    notebook: dict[str, Any] | None,
    weighting: dict[str, Any] | None,
    whole_month: dict[str, Any],
) -> list[dict[str, Any]]:
    """Every agreement check that applies (the baseline ones only when the baseline ran)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = [month_run(whole_month), bare_read(con, month, floor_rows), floor_rfm(con, month)]
        if notebook is not None and weighting is not None:
            found += [
                baseline_rfm(con, month, out),
                baseline_summary(con, month, out),
                clv_scores(con, month, out),
                *params(project_clv, notebook, weighting, out),
            ]
    return [asdict(a) for a in found]


def assert_agreement(rows: list[dict[str, Any]]) -> None:
    failed = [f"{r['check']}: {r['observed']} (tolerance {r['tolerance']})" for r in rows if not r["passed"]]
    if failed:
        raise AgreementError("results disagree with the project's:\n  " + "\n  ".join(failed))
