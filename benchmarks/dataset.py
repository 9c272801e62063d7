"""Benchmark data: the project's generator at a scale chosen for a line count, cached under
``data/bench/`` (git-ignored), and the warehouse with every month but the last already built.

Layout of one dataset folder (``data/bench/m36_s11/``): ``source/`` (CSV and truth files),
``staging/`` (the staged Parquet, shared by every warehouse of the folder), ``prefix.duckdb``
(months 1..M-1 built by ``rfm-assets run --to M-1``) with ``prefix.json`` (its build time and the
code fingerprint it was built with), and the scratch warehouses of a run.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from benchmarks.measure import REPO, run_piece

PROBE_SCALE = 0.1
_LINES = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*$")


def parse_lines(text: str) -> int:
    """'1M' -> 1_000_000, '30k' -> 30_000, '2.5M' -> 2_500_000, '12000' -> 12_000."""
    match = _LINES.match(text)
    if not match:
        raise ValueError(f"not a line count: {text!r} (use e.g. 1M, 300k, 10M)")
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


def label(lines: int) -> str:
    """A short name for a line count: 1M, 300k, 10M, 2.5M."""
    if lines >= 1_000_000:
        return f"{lines / 1_000_000:.3g}M"
    return f"{lines / 1_000:.3g}k" if lines >= 1_000 else str(lines)


@dataclass(frozen=True)
class BenchData:
    folder: Path
    csv: Path
    scale: float
    months: int
    seed: int
    n_lines: int
    n_customers: int
    first_month: date
    last_month: date


def _generate(out: Path, scale: float, months: int, seed: int):  # noqa: ANN202 - GeneratedDataset
    from dataclasses import replace

    from rfm_assets.core.generator import GeneratorConfig, generate

    return generate(out, replace(GeneratorConfig(), scale=scale, n_months=months, seed=seed))


def scale_for_lines(lines: int, months: int, seed: int, data_dir: Path) -> float:
    """The generator scale giving about ``lines`` lines over ``months`` (lines grow linearly with
    scale: a probe at scale 0.1 is generated once and cached)."""
    cache = data_dir / "probes.json"
    probes = json.loads(cache.read_text()) if cache.exists() else {}
    key = f"m{months}_seed{seed}"
    if key not in probes:
        probe = _generate(data_dir / "probe", PROBE_SCALE, months, seed)
        probes[key] = probe.n_lines / PROBE_SCALE
        data_dir.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(probes, indent=1))
    return round(lines / probes[key], 3)


def load_data(info: Path) -> BenchData:
    """A dataset folder's ``dataset.json`` back as BenchData."""
    raw = json.loads(info.read_text())
    return BenchData(
        **{
            **raw,
            "folder": Path(raw["folder"]),
            "csv": Path(raw["csv"]),
            "first_month": date.fromisoformat(raw["first_month"]),
            "last_month": date.fromisoformat(raw["last_month"]),
        }
    )


def ensure_data(data_dir: Path, scale: float, months: int, seed: int) -> BenchData:
    """The dataset for (scale, months, seed), generated on first use."""
    folder = data_dir / (f"m{months}_s{scale:g}" + ("" if seed == 42 else f"_seed{seed}"))
    info = folder / "dataset.json"
    if info.exists():
        return load_data(info)
    ds = _generate(folder / "source", scale, months, seed)
    data = BenchData(
        folder, Path(ds.csv_path), scale, months, seed, ds.n_lines, ds.n_customers, ds.first_month, ds.last_month
    )
    info.write_text(json.dumps(asdict(data), default=str, indent=1))
    return data


def code_fingerprint() -> str:
    """sha256 of the project's code and SQL: a prefix built by other code is flagged as stale."""
    digest = hashlib.sha256()
    files = sorted([*(REPO / "rfm_assets").rglob("*.py"), *(REPO / "sql").glob("*")])
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def project_env(warehouse: Path, csv: Path | None, dagster_home: Path) -> dict[str, str]:
    """Environment for a project child: only the benchmark's RFM_* settings, an own DAGSTER_HOME
    configured like the repository's (``make run`` points DAGSTER_HOME at ``dagster_home/``)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {"RFM_WAREHOUSE": str(warehouse), "DAGSTER_HOME": str(dagster_home)}
    if csv is not None:
        env["RFM_SOURCE"] = str(csv)
    return env


def _core_args(data: BenchData, path: Path, last: date) -> dict:
    return {
        "warehouse": str(path),
        "csv": str(data.csv),
        "staging_dir": str(data.folder / "staging"),
        "first_month": data.first_month.isoformat(),
        "last": last.isoformat(),
    }


def ensure_prefix(data: BenchData, work: Path, rebuild: bool = False, mode: str = "run") -> dict:
    """``prefix.duckdb``: months 1..M-1 built by ``rfm-assets run --to M-1`` (timed), cached.

    ``mode="core"`` (smoke tests) builds only the tables the last month reads, with the core
    functions in one process (benchmarks.prefix.prefix_core): seconds instead of minutes.
    """
    from rfm_assets.core.months import add_months

    path, info = data.folder / "prefix.duckdb", data.folder / "prefix.json"
    if path.exists() and info.exists() and not rebuild:
        meta = json.loads(info.read_text())
        if meta.get("mode", "run") == mode:
            if mode == "core" and not meta.get("dormant_state"):  # built before prefix_core stored it
                run_piece("prefix_dormant", _core_args(data, path, last=add_months(data.last_month, -1)), work)
                meta["dormant_state"] = True
                info.write_text(json.dumps(meta, indent=1))
            meta["stale"] = meta["code"] != code_fingerprint()
            return meta
    for stale in (path, info, data.folder / "prefix.duckdb.wal"):
        stale.unlink(missing_ok=True)
    last = add_months(data.last_month, -1)
    code = code_fingerprint()
    if mode == "core":
        measured = run_piece("prefix_core", _core_args(data, path, last), work)
        measured.result["warehouse_mb"] = path.stat().st_size / 2**20
    else:
        env = project_env(path, data.csv, work / "dagster_home_prefix")
        measured = run_piece("backfill", {"last": last.isoformat()}, work, env=env, timeout_s=6 * 3600)
    meta = {
        "code": code,
        "mode": mode,
        "months": measured.result["months"],
        "seconds": measured.seconds,
        "peak_rss_mb": measured.peak_rss_mb,
        "warehouse_mb": measured.result["warehouse_mb"],
        "stale": False,
        "dormant_state": mode == "core",  # dormant anchors and fits as a backfill leaves them (prefix_core)
    }
    info.write_text(json.dumps(meta, indent=1))
    return meta
