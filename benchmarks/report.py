"""Markdown tables from the benchmark's result records (benchmarks/results/*.json)."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "duckdb",
    "polars",
    "pandas",
    "lifetimes",
    "dagster",
    "numpy",
    "scikit-learn",
    "statsforecast",
    "great_expectations",
)
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
TARGET_LINES = 10_000_000


def machine() -> dict[str, Any]:
    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else "?"
    )
    return {
        "nproc": run("nproc"),
        "cpu": cpu,
        "free_g": run("free", "-g"),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg": os.getloadavg(),
    }


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


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
    checks = sum(s["seconds"] for s in steps if s["kind"] == "check")
    glue = sum(s["seconds"] for s in asset_steps) - compute - meta
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


def ratios(rec: dict[str, Any]) -> dict[str, float | None]:
    p, f, b, w = rec["pieces"], rec["floor"], rec.get("baseline"), rec.get("weighting")
    rfm_clv = p["rfm_snapshots"]["seconds"] + p["clv_models"]["seconds"]
    out: dict[str, float | None] = {
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
        f"({rec['lines']:,} lines, {rec['customers']:,} customers, generator scale {rec['scale']:g}; "
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
            ("validation: check steps (partition read + GX)", "validation"),
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


def _status(ok: bool | None) -> str:
    return "-" if ok is None else "met" if ok else "**missed**"


def targets(recs: list[dict[str, Any]], backfill: dict[str, Any] | None) -> str:
    big = max(recs, key=lambda r: r["lines"]) if recs else None
    rows = []
    if big:
        at = f"at {big['label']}"
        sp, r, w = split(big), ratios(big), big.get("weighting")
        rows.append(
            [
                f"RFM snapshot within 1.5x the one-query floor ({at})",
                f"{r['rfm_vs_floor']:.2f}x",
                _status(r["rfm_vs_floor"] <= 1.5),
            ]
        )
        if r["baseline_factor"] is not None:
            ok = r["baseline_factor"] >= 10 if big["lines"] >= 0.9 * TARGET_LINES else None
            rows.append(
                [
                    f"RFM + CLV >= 10x faster than pandas + lifetimes at 10M ({at})",
                    f"{r['baseline_factor']:.1f}x ({r['baseline_compute_factor']:.1f}x without the CSV read)",
                    _status(ok),
                ]
            )
        if w:
            rows.append(
                [
                    f"weighted BG/NBD = unweighted within 1e-3 relative, and faster ({at})",
                    f"max rel diff {w['bg_max_rel_diff']:.1e}; {w['bg_speedup']:.1f}x faster",
                    _status(w["bg_max_rel_diff"] <= 1e-3 and w["bg_speedup"] > 1),
                ]
            )
        at10 = big["lines"] >= 0.9 * TARGET_LINES
        rss = big["whole_month"]["peak_rss_mb"]
        top = max(big["whole_month"]["steps"], key=lambda s: s["seconds"])
        rows.append(
            [
                f"whole month < 2 min with peak RSS < 4 GB at 10M ({at})",
                f"{_s(sp['wall'])} s, {rss:.0f} MB; largest step `{top['step']}` {_s(top['seconds'])} s "
                f"(without it {_s(sp['wall'] - top['seconds'])} s)",
                _status(sp["wall"] < 120 and rss < 4096 if at10 else None),
            ]
        )
        rows.append(
            [
                f"Dagster overhead < 10% of the month ({at})",
                f"{100 * sp['dagster'] / sp['wall']:.1f}% ({_s(sp['dagster'])} s)",
                _status(sp["dagster"] / sp["wall"] < 0.10),
            ]
        )
        rows.append(
            [
                f"validation < 20% of the month ({at})",
                f"{100 * sp['validation'] / sp['wall']:.1f}% ({_s(sp['validation'])} s)",
                _status(sp["validation"] / sp["wall"] < 0.20),
            ]
        )
    if backfill:
        total = backfill["seconds"] + backfill["generate_seconds"]
        rows.append(
            [
                "full backfill of the default dataset < 5 min (fresh machine: generation + `rfm-assets run`)",
                f"{_s(total)} s ({_s(backfill['generate_seconds'])} s generation + {_s(backfill['seconds'])} s "
                f"for {backfill['months']} months)",
                _status(total < 300),
            ]
        )
    if len(recs) >= 2:
        e = exponent(recs, lambda r: split(r)["wall"])
        rows.append(
            ["cost grows linearly with lines (whole month, log-log slope)", f"slope {e:.2f}", _status(e <= 1.1)]
        )
    return _table(["target", "measured", "status"], rows)


def exponent(recs: list[dict[str, Any]], value: Any) -> float:
    """Least-squares slope of log(value) on log(lines): 1 = linear, < 1 = better than linear."""
    xs = [math.log(r["lines"]) for r in recs]
    ys = [math.log(max(value(r), 1e-6)) for r in recs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else float("nan")


def curve(recs: list[dict[str, Any]]) -> str:
    names = list(recs[0]["pieces"])
    series: list[tuple[str, Any]] = [(f"`{n}`", lambda r, n=n: r["pieces"][n]["seconds"]) for n in names]
    series += [
        ("floor one-query RFM", lambda r: r["floor"]["rfm_query"]["seconds"]),
        ("floor bare read", lambda r: r["floor"]["bare_read"]["seconds"]),
    ]
    if all(r.get("baseline") for r in recs):
        series.append(("pandas + lifetimes notebook", lambda r: r["baseline"]["seconds"]))
    series += [
        ("**whole month**", lambda r: split(r)["wall"]),
        ("whole month peak RSS (MB)", lambda r: r["whole_month"]["peak_rss_mb"]),
        ("months 1..M-1 backfill", lambda r: r["prefix"]["seconds"]),
    ]
    header = ["seconds"] + [f"{r['label']} ({r['month_lines']:,} in month)" for r in recs] + ["slope"]
    rows = [[name] + [_s(fn(r)) for r in recs] + [f"{exponent(recs, fn):.2f}"] for name, fn in series]
    return _table(header, rows)


def render(results_dir: Path) -> str:
    """RESULTS.md from every result file in ``results_dir``, plus benchmarks/FINDINGS.md if present."""
    # line-scale records only: the default backfill is read below, customers.json is benchmarks.customers'
    recs = sorted(
        (
            json.loads(p.read_text())
            for p in results_dir.glob("*.json")
            if p.stem not in ("default_backfill", "customers")
        ),
        key=lambda r: r["lines"],
    )
    bf_path = results_dir / "default_backfill.json"
    backfill = json.loads(bf_path.read_text()) if bf_path.exists() else None
    latest = max([*recs, *([backfill] if backfill else [])], key=lambda r: r["finished"], default=None)
    out = [
        "# Benchmark results",
        "",
        "Generated by `benchmarks/run.py` (do not edit by hand; analysis lives in `benchmarks/FINDINGS.md`, "
        "appended below). Timings on a shared 2-core machine are noisy: other engineers' jobs ran at the "
        "same time (load averages are recorded per scale), so compare ratios measured in the same run "
        "rather than absolute seconds across runs.",
        "",
    ]
    if latest:
        m, v = latest["machine"], latest["versions"]
        out += [
            "## Machine and versions",
            "",
            f"- `nproc`: {m['nproc']}; CPU: {m['cpu']}; kernel {m['kernel']}",
            "- `free -g`:",
            "",
            "```",
            m["free_g"],
            "```",
            "",
            "- " + ", ".join(f"{k} {val}" for k, val in v.items()),
            "",
        ]
        cmds = sorted({r["command"] for r in [*recs, *([backfill] if backfill else [])]})
        out += ["## Commands", "", "```bash", *[f".venv/bin/{c}" for c in cmds], "```", ""]
    out += ["## Targets", "", targets(recs, backfill), ""]
    if len(recs) >= 2:
        out += [
            "## Growth with lines (last month of 36; slope of log seconds on log lines, 1 = linear)",
            "",
            curve(recs),
            "",
        ]
    for rec in reversed(recs):
        out += ["## Month detail", "", scale_section(rec), ""]
    if backfill:
        out += [
            "## Default dataset backfill",
            "",
            f"`rfm-assets run` with defaults on a fresh warehouse: {backfill['months']} months in "
            f"{_s(backfill['seconds'])} s after {_s(backfill['generate_seconds'])} s generating the embedded "
            f"dataset; peak RSS {backfill['peak_rss_mb']:.0f} MB.",
            "",
        ]
    findings = Path(__file__).with_name("FINDINGS.md")
    if findings.exists():
        out += [findings.read_text()]
    return "\n".join(out).rstrip() + "\n"
