"""Benchmark rfm-assets at scale against a bare-DuckDB floor and a pandas + lifetimes notebook.

    .venv/bin/python -m benchmarks.run --lines 1M 3M 10M            # the committed RESULTS.md
    .venv/bin/python -m benchmarks.run --lines 1M --default-backfill

For each line count: generate the data with the project's generator (36 months by default; cached
in data/bench/), build every month but the last with ``rfm-assets run --to M-1`` (cached), then
measure the last month M, every measured piece in its own subprocess (own timing, own peak RSS):
the whole month through ``rfm-assets run``'s code path with checks, each asset's compute, the
floor and the baseline. The results must agree with the project's (benchmarks/compare.py) or the
run fails. Writes benchmarks/results/<lines>.json and renders every result file into
benchmarks/RESULTS.md. ``--default-backfill`` also times ``rfm-assets run`` with defaults on a
fresh warehouse (the embedded dataset, generated first).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import compare, report
from benchmarks.b2c import ensure_b2c_data
from benchmarks.dataset import (
    BenchData,
    ensure_data,
    ensure_prefix,
    label,
    parse_lines,
    project_env,
    scale_for_lines,
)
from benchmarks.measure import REPO, Measured, run_piece
from benchmarks.project import PIECES

# the pieces of the floor ratios run REPEATS times, alternating, and report the median run: one run
# of a sub-second piece on a shared machine is too noisy to compare against the 1.5x target
RATIO_PIECES = ("raw_orders", "floor_read", "rfm_snapshots", "floor_rfm")
REPEATS = 3


def _copy(src: Path, dst: Path) -> Path:
    for stale in (dst, dst.with_name(dst.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    return dst


def _row(m: Measured) -> dict[str, Any]:
    return {"seconds": m.seconds, "wall_seconds": m.wall_seconds, "peak_rss_mb": m.peak_rss_mb, **m.result}


def _median(found: list[Measured]) -> dict[str, Any]:
    """The run with the median time (its laps too), the highest peak RSS, and every run's seconds."""
    ordered = sorted(found, key=lambda m: m.seconds)
    row = _row(ordered[(len(ordered) - 1) // 2])
    return {**row, "peak_rss_mb": max(m.peak_rss_mb for m in found), "runs": [m.seconds for m in found]}


def _say(text: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)


def bench_scale(data: BenchData, args: argparse.Namespace, name: str) -> dict[str, Any]:
    """Measure the last month of ``data``; returns the result record (agreement included)."""
    work = data.folder / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    month = data.last_month
    load_before = os.getloadavg()
    _say(
        f"{data.n_lines:,} lines, {data.n_customers:,} customers: building months up to the one before "
        f"{month:%Y-%m} (cached after the first time)"
    )
    prefix = ensure_prefix(data, work, rebuild=args.rebuild_prefix, mode=args.prefix)
    if prefix["stale"]:
        _say("warning: prefix.duckdb was built by other code; rerun with --rebuild-prefix for exact numbers")
    common = {
        "month": month.isoformat(),
        "csv": str(data.csv),
        "staging_dir": str(data.folder / "staging"),
        "out_dir": str(work / "out"),
        "first_month": data.first_month.isoformat(),
    }

    _say(f"whole month {month:%Y-%m} through rfm-assets run (monthly_job, checks included)")
    month_wh = _copy(data.folder / "prefix.duckdb", data.folder / "month.duckdb")
    env = project_env(month_wh, data.csv, work / "dagster_home")
    whole = run_piece("whole_month", common, work, env=env)
    rec: dict[str, Any] = {"whole_month": _row(whole)}
    if whole.result["exit_status"] != 0:
        raise compare.AgreementError(
            f"the month failed: {whole.result['failed_steps']} "
            f"{whole.result['failed_checks']} (log {work / 'whole_month.log'})"
        )

    pieces_wh = _copy(month_wh, data.folder / "pieces.duckdb")
    wh = {**common, "warehouse": str(pieces_wh)}
    rec["pieces"] = {}
    for piece in PIECES:
        if piece not in RATIO_PIECES:
            _say(f"piece {piece}")
            rec["pieces"][piece] = _row(run_piece(piece, wh, work))
    _say(f"project vs floor, {REPEATS} alternating runs each: raw_orders / bare read, rfm_snapshots / one-query RFM")
    runs: dict[str, list[Measured]] = {p: [] for p in RATIO_PIECES}
    for _ in range(REPEATS):
        for piece in RATIO_PIECES:
            runs[piece].append(run_piece(piece, wh, work))
    medians = {piece: _median(found) for piece, found in runs.items()}
    rec["pieces"] = {p: rec["pieces"].get(p) or medians[p] for p in PIECES}
    rec["floor"] = {"bare_read": medians["floor_read"], "rfm_query": medians["floor_rfm"]}
    notebook = weighting = None
    if not args.skip_baseline:
        _say("baseline: pandas + lifetimes notebook")
        notebook = _row(run_piece("baseline_notebook", wh, work))
        _say("weighted vs unweighted fits")
        weighting = _row(run_piece("clv_weighting", wh, work))
    rec["baseline"], rec["weighting"] = notebook, weighting
    rec["agreement"] = compare.check_all(
        pieces_wh,
        month,
        rec["floor"]["bare_read"]["rows"],
        work / "out",
        rec["pieces"]["clv_models"],
        notebook,
        weighting,
        whole.result,
    )
    rec.update(
        label=name,
        lines=data.n_lines,
        customers=data.n_customers,
        scale=data.scale,
        months=data.months,
        seed=data.seed,
        month=month.isoformat(),
        prefix=prefix,
        month_lines=rec["pieces"]["raw_orders"]["rows"],
        load_before=load_before,
        load_after=os.getloadavg(),
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    if not args.keep_scratch:
        for scratch in ("month.duckdb", "pieces.duckdb"):
            (data.folder / scratch).unlink(missing_ok=True)
        shutil.rmtree(data.folder / "bi", ignore_errors=True)  # the BI copies `rfm-assets run` publishes
    return rec


def default_backfill(data_dir: Path) -> dict[str, Any]:
    """``rfm-assets run`` with every default (embedded dataset, scale 1) on a fresh warehouse."""
    folder = data_dir / "default_backfill"
    shutil.rmtree(folder, ignore_errors=True)
    _say("full backfill of the default dataset (rfm-assets run with defaults, fresh warehouse)")
    env = project_env(folder / "warehouse.duckdb", None, folder / "dagster_home")
    m = run_piece("backfill", {"generate_default": True}, folder / "logs", env=env, timeout_s=3 * 3600)
    return {**_row(m), "finished": datetime.now(UTC).isoformat(timespec="seconds"), "load_after": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--lines", nargs="+", default=[], help="line counts, e.g. 1M 3M 10M (or 30k)")
    parser.add_argument(
        "--shape",
        choices=["wholesale", "b2c"],
        default="wholesale",
        help="wholesale: the project's generator (~100 lines a customer); b2c: ~12 lines a customer in "
        "few-line orders (benchmarks/b2c.py)",
    )
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", type=Path, default=REPO / "data" / "bench")
    parser.add_argument("--results-dir", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "RESULTS.md")
    parser.add_argument("--default-backfill", action="store_true", help="also time `rfm-assets run` with defaults")
    parser.add_argument("--skip-baseline", action="store_true", help="no pandas + lifetimes baseline")
    parser.add_argument("--rebuild-prefix", action="store_true", help="rebuild the cached months 1..M-1")
    parser.add_argument(
        "--prefix",
        choices=["run", "core"],
        default="run",
        help="build months 1..M-1 with `rfm-assets run` (default) or, for smoke tests, with "
        "the core functions only (the tables month M reads; no Dagster, no checks)",
    )
    parser.add_argument("--scale", type=float, help="generator scale instead of --lines (one dataset)")
    parser.add_argument("--keep-scratch", action="store_true", help="keep month.duckdb and pieces.duckdb")
    args = parser.parse_args(argv)
    if not args.lines and not args.default_backfill and args.scale is None:
        parser.error("give --lines (or --scale) and/or --default-backfill")
    if args.shape == "b2c" and args.scale is not None:
        parser.error("--shape b2c takes --lines, not --scale")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    failures = []
    scales = [(parse_lines(t), None) for t in args.lines] + ([(0, args.scale)] if args.scale else [])
    for wanted, scale in scales:
        started = time.perf_counter()
        if args.shape == "b2c":
            data = ensure_b2c_data(args.data_dir, wanted, args.months, args.seed)
            name = f"b2c_{label(wanted)}"
        else:
            scale = scale or scale_for_lines(wanted, args.months, args.seed, args.data_dir)
            data = ensure_data(args.data_dir, scale, args.months, args.seed)
            name = label(wanted or data.n_lines)
        try:
            rec = bench_scale(data, args, name)
        except compare.AgreementError as exc:
            failures.append(str(exc))
            continue
        rec["command"], rec["machine"], rec["shape"] = command, report.machine(), args.shape
        rec["versions"], rec["bench_seconds"] = report.versions(), time.perf_counter() - started
        (args.results_dir / f"{name}.json").write_text(json.dumps(rec, indent=1, default=str))
        print(report.scale_section(rec), flush=True)
        try:
            compare.assert_agreement(rec["agreement"])
        except compare.AgreementError as exc:
            failures.append(f"{name}: {exc}")
    if args.default_backfill:
        rec = {
            **default_backfill(args.data_dir),
            "command": command,
            "machine": report.machine(),
            "versions": report.versions(),
        }
        (args.results_dir / "default_backfill.json").write_text(json.dumps(rec, indent=1, default=str))
    args.out.write_text(report.render(args.results_dir))
    _say(f"wrote {args.out}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
