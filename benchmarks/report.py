"""RESULTS.md from the benchmark's result records (benchmarks/results/*.json): machine and versions,
targets, growth with lines; each scale's month detail is benchmarks/report_month.py."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import report_scale_out, report_shapes
from benchmarks.report_month import _s, _table, ratios, scale_section, split

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
    # line-scale records only: the default backfill is read below; customers.json, fixed_cost.json and
    # scale_out.json belong to benchmarks.customers, benchmarks.fixed_cost and benchmarks.scale_out
    recs: list[dict[str, Any]] = sorted(
        (
            json.loads(p.read_text())
            for p in results_dir.glob("*.json")
            if p.stem not in ("default_backfill", "customers", "fixed_cost", "scale_out")
        ),
        key=lambda r: r["lines"],
    )
    every_shape, recs = recs, [r for r in recs if report_shapes.shape(r) == "wholesale"]  # the curve: one shape
    bf_path = results_dir / "default_backfill.json"
    backfill: dict[str, Any] | None = json.loads(bf_path.read_text()) if bf_path.exists() else None
    with_backfill: list[dict[str, Any]] = [*every_shape, *([backfill] if backfill else [])]
    latest = max(with_backfill, key=lambda r: r["finished"], default=None)
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
        cmds = sorted({r["command"] for r in [*every_shape, *([backfill] if backfill else [])]})
        out += ["## Commands", "", "```bash", *[f".venv/bin/{c}" for c in cmds], "```", ""]
    out += ["## Targets", "", targets(recs, backfill), ""]
    out += [report_shapes.section(every_shape)] if report_shapes.section(every_shape) else []
    if len(recs) >= 2:
        out += [
            "## Growth with lines (last month of 36; slope of log seconds on log lines, 1 = linear)",
            "",
            curve(recs),
            "",
        ]
    for rec in reversed(every_shape):
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
    scale_out = report_scale_out.section(results_dir / "scale_out.json")
    out += [scale_out] if scale_out else []
    findings = Path(__file__).with_name("FINDINGS.md")
    if findings.exists():
        out += [findings.read_text()]
    return "\n".join(out).rstrip() + "\n"
