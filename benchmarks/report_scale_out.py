"""The scale-out section of RESULTS.md, from ``benchmarks/results/scale_out.json`` (``benchmarks.scale_out``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COMMAND = ".venv/bin/python -m benchmarks.scale_out --lines 3M 10M --months 36 --workers 1 2 4"


def table(rows: list[dict[str, Any]]) -> str:
    """One markdown row per (lines, workers) run."""
    lines = [
        "| lines | months | workers | wall (s) | CPU (s) | months/min | peak RSS per worker (MB) | mean load | exit |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['lines']} | {r['months']} | {r['workers']} | {r['seconds']} | {r.get('cpu_seconds') or 'n/a'} | "
            f"{r['months_per_minute']} | "
            f"{r['peak_rss_mb_per_worker']} | {r.get('mean_load_average') or 'n/a'} | {r['returncode']} |"
        )
    return "\n".join(lines)


def section(path: Path) -> str | None:
    """The section, or None without a result file."""
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    rows = raw["rows"]
    return "\n".join(
        [
            "## Scale-out on DuckLake (issue 16)",
            "",
            f"A whole backfill into a new lake (Postgres catalog and instance, Parquet files) per row, through "
            f"`rfm-assets run --workers N`, on {raw.get('cpus', '?')} cores; peak RSS is the biggest worker "
            f"process's (the CLI's with one worker). `mean load` is the machine's 1-minute load average over "
            f"the run (the run's own processes included). Analysis: FINDINGS.md, docs/scaling.md.",
            "",
            "```bash",
            COMMAND,
            "```",
            "",
            table(rows),
            "",
        ]
    )
