"""The Markdown of one scale's month: pieces, comparisons, who spends the time, steps, agreement.

Shared number and table formatting (``_s``, ``_table``) and the derived figures (``split``, ``ratios``)
that benchmarks/report.py's summary tables use too.
"""

from __future__ import annotations

import math
from typing import Any, TypedDict

PIECE_NOTES = {
    "stage_source": "whole CSV -> typed Parquet; once per source change, not per month",
    "raw_orders": "the month's lines from the staged Parquet",
    "cleaning": "cleaned_transactions + customer_returns",
    "cohort_retention": "+ triangle view",
    "rfm_snapshots": "trailing 12 months, scores, segments",
    "segment_migration": "",
    "clusters": "KMeans + cluster_profiles",
    "clv_models": "summary SQL + weighted BG/NBD + Gamma-Gamma + scoring + writes",
    "clv_holdout": "refit at M-6, holdout metrics",
    "forecasts": "history SQL + statsforecast backtests and forecasts",
    "dormant": "features SQL + out-of-time model selection, refit, scoring",
}


def _s(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    aligns = ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(aligns) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def split(rec: dict[str, Any]) -> dict[str, float]:
    """Whole-month wall time by who spends it (see benchmarks/month.py)."""
    whole = rec["whole_month"]
    steps = whole["steps"]
    wall = whole["seconds"]
    asset_steps = [s for s in steps if s["kind"] == "asset"]
    compute = sum(s["compute"] for s in asset_steps)
    meta = sum(s["metadata_plots"] for s in asset_steps)
    # checks in a step of their own, whole; checks inside an asset's step, their timed part (older results
    # have no "checks" key: their checks all ran in steps of their own)
    in_asset = sum(s.get("checks", 0.0) for s in asset_steps)
    checks = sum(s["seconds"] for s in steps if s["kind"] == "check") + in_asset
    glue = sum(s["seconds"] for s in asset_steps) - compute - meta - in_asset
    orchestration = wall - sum(s["seconds"] for s in steps)
    return {
        "wall": wall,
        "compute": compute,
        "metadata_plots": meta,
        "validation": checks,
        "validation_gx": sum(s["validation_gx"] for s in steps),
        "glue": glue,
        "orchestration": orchestration,
        "dagster": glue + orchestration,
    }


class Ratios(TypedDict):
    """Comparisons measured in the same run; the last three only when that run had the piece."""

    rfm_vs_floor: float
    raw_vs_bare_read: float
    rfm_clv: float
    baseline_factor: float | None
    baseline_compute_factor: float | None
    bg_speedup: float | None


def ratios(rec: dict[str, Any]) -> Ratios:
    p, f, b, w = rec["pieces"], rec["floor"], rec.get("baseline"), rec.get("weighting")
    rfm_clv = p["rfm_snapshots"]["seconds"] + p["clv_models"]["seconds"]
    out: Ratios = {
        "rfm_vs_floor": p["rfm_snapshots"]["seconds"] / f["rfm_query"]["seconds"],
        "raw_vs_bare_read": p["raw_orders"]["seconds"] / f["bare_read"]["seconds"],
        "rfm_clv": rfm_clv,
        "baseline_factor": None,
        "baseline_compute_factor": None,
        "bg_speedup": None,
    }
    if b:
        out["baseline_factor"] = b["seconds"] / rfm_clv
        out["baseline_compute_factor"] = (b["seconds"] - b["lap_read_csv"]) / rfm_clv
    if w:
        out["bg_speedup"] = w["bg_speedup"]
    return out


def scale_section(rec: dict[str, Any]) -> str:
    """Every table of one scale's month."""
    p, f, b, w = rec["pieces"], rec["floor"], rec.get("baseline"), rec.get("weighting")
    sp, r = split(rec), ratios(rec)
    head = (
        f"### {rec['label']} lines: month {rec['month'][:7]} of {rec['months']} "
        f"({rec['lines']:,} lines, {rec['customers']:,} customers, {rec.get('shape', 'wholesale')} shape, generator scale {rec['scale']:g}; "
        f"{rec['month_lines']:,} lines in the month)"
    )
    rows = [
        [f"`{name}`", _s(v["seconds"]), f"{v['peak_rss_mb']:.0f}", PIECE_NOTES.get(name, "")] for name, v in p.items()
    ]
    rows += [
        [
            "**floor**: bare read of the month",
            _s(f["bare_read"]["seconds"]),
            f"{f['bare_read']['peak_rss_mb']:.0f}",
            "staged Parquet -> in-memory table",
        ],
        [
            "**floor**: one-query RFM",
            _s(f["rfm_query"]["seconds"]),
            f"{f['rfm_query']['peak_rss_mb']:.0f}",
            "same table, one hand-written statement",
        ],
    ]
    if b:
        laps = ", ".join(f"{k.removeprefix('lap_')} {_s(v)}" for k, v in b.items() if k.startswith("lap_"))
        rows.append(["**baseline**: pandas + lifetimes notebook", _s(b["seconds"]), f"{b['peak_rss_mb']:.0f}", laps])
    if w:
        rows.append(
            [
                "weighted BG/NBD + Gamma-Gamma fit (project)",
                _s(w["seconds"]),
                f"{w['peak_rss_mb']:.0f}",
                f"{w['customers']:,} customers -> {w['patterns']:,} BG patterns, "
                f"{w['repeat_customers']:,} -> {w['gg_patterns']:,} GG patterns",
            ]
        )
    rows.append(
        [
            "**whole month** (`rfm-assets run`, checks incl.)",
            _s(sp["wall"]),
            f"{rec['whole_month']['peak_rss_mb']:.0f}",
            f"+ {_s(rec['whole_month']['import_seconds'])} s imports once per process",
        ]
    )
    pieces = _table(["piece", "seconds", "peak RSS MB", "what"], rows)

    def runs(row: dict[str, Any]) -> str:
        return "/".join(_s(x) for x in row.get("runs", [row["seconds"]]))

    comp = [
        [
            "RFM snapshot / floor one-query RFM",
            f"{r['rfm_vs_floor']:.2f}x",
            f"target <= 1.5x; medians of runs {runs(p['rfm_snapshots'])} s vs {runs(f['rfm_query'])} s",
        ],
        [
            "raw_orders / bare read of the month",
            f"{r['raw_vs_bare_read']:.2f}x",
            f"medians of runs {runs(p['raw_orders'])} s vs {runs(f['bare_read'])} s",
        ],
    ]
    if b:
        comp += [
            [
                "notebook (read + clean + RFM + CLV) / project RFM + CLV of the month",
                f"{r['baseline_factor']:.1f}x",
                f"project {_s(r['rfm_clv'])} s; target >= 10x at 10M",
            ],
            [
                "notebook without its CSV read / project RFM + CLV",
                f"{r['baseline_compute_factor']:.1f}x",
                "compute only",
            ],
        ]
    if w:
        comp += [
            [
                "unweighted / weighted BG/NBD fit time",
                f"{w['bg_speedup']:.1f}x",
                f"{_s(w['lap_bg_unweighted'])} s vs {_s(w['lap_bg_weighted'])} s; params max rel diff "
                f"{w['bg_max_rel_diff']:.1e}",
            ],
            [
                "unweighted raw / weighted rescaled Gamma-Gamma fit time",
                f"{w['gg_speedup_vs_raw']:.1f}x",
                f"params max rel diff {w['gg_raw_max_rel_diff']:.1e} (unweighted rescaled: "
                f"{w['gg_scaled_max_rel_diff']:.1e})",
            ],
        ]
    comparisons = _table(["comparison (same run)", "ratio", "notes"], comp)
    sh = [["whole month wall", _s(sp["wall"]), "100%"]] + [
        [name, _s(sp[key]), f"{100 * sp[key] / sp['wall']:.1f}%"]
        for name, key in (
            ("compute (core functions)", "compute"),
            ("metadata previews and plots", "metadata_plots"),
            ("validation: checks (partition read + GX), in their asset's step or their own", "validation"),
            ("  of which great-expectations itself", "validation_gx"),
            ("Dagster: between steps (orchestration, run start/end)", "orchestration"),
            ("Dagster + asset glue inside steps (events, ledger guards, small queries)", "glue"),
            ("**Dagster total** (both rows above)", "dagster"),
        )
    ]
    sh += [
        [
            f"run `{run['job']}` (Dagster's own start-to-end)",
            _s(run["seconds"]),
            f"{100 * run['seconds'] / sp['wall']:.1f}%",
        ]
        for run in rec["whole_month"].get("runs", [])
    ]
    share = _table(["whole month, by who spends it", "seconds", "share"], sh)
    steps = _table(
        ["step", "seconds", "compute", "metadata/plots", "GX", "rest"],
        [
            [
                s["step"],
                _s(s["seconds"]),
                _s(s["compute"]),
                _s(s["metadata_plots"]),
                _s(s["validation_gx"]),
                _s(s["seconds"] - s["compute"] - s["metadata_plots"] - s["validation_gx"]),
            ]
            for s in rec["whole_month"]["steps"]
        ],
    )
    agree = _table(
        ["agreement check", "tolerance", "observed", "ok"],
        [[a["check"], a["tolerance"], a["observed"], "yes" if a["passed"] else "**NO**"] for a in rec["agreement"]],
    )
    prefix = rec["prefix"]
    how = (
        "`rfm-assets run --to`"
        if prefix.get("mode", "run") == "run"
        else "the core functions (only the tables the month reads; smoke-test mode)"
    )
    note = (
        f"Months 1..{prefix['months']} were built first by {how} in {_s(prefix['seconds'])} s "
        f"(peak RSS {prefix['peak_rss_mb']:.0f} MB, warehouse {prefix['warehouse_mb']:.0f} MB)"
        + (
            " by an earlier version of the code (its fingerprint differs from the measured code's; "
            "month M itself always runs the current code)"
            if prefix.get("stale")
            else ""
        )
        + ". "
        f"Load average before/after: {rec['load_before'][0]:.1f} / {rec['load_after'][0]:.1f}."
    )
    return "\n\n".join(
        [
            head,
            note,
            pieces,
            comparisons,
            share,
            "<details><summary>steps of the month's run</summary>\n\n" + steps + "\n\n</details>",
            agree,
        ]
    )
