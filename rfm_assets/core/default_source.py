"""The embedded default dataset: generated once, deterministically, where the warehouse lives."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

from rfm_assets.core.generator import GeneratorConfig
from rfm_assets.core.months import add_months

CSV_NAME = "online_retail_ii.csv"


def default_config(scale: float = 1.0) -> GeneratorConfig:
    """The generator settings behind the embedded dataset."""
    return replace(GeneratorConfig(), scale=scale)


def default_month_range(scale: float = 1.0) -> tuple[date, date]:
    """First and last month of the embedded dataset, known without generating it."""
    cfg = default_config(scale)
    return cfg.start, add_months(cfg.start, cfg.n_months - 1)


def ensure_default_source(out_dir: Path, scale: float = 1.0) -> Path:
    """Path of the embedded dataset's CSV, generating it if absent or made with other settings."""
    cfg = default_config(scale)
    csv, marker = out_dir / CSV_NAME, out_dir / "generator_config.json"
    wanted = json.dumps(asdict(cfg), default=str, sort_keys=True)
    if csv.exists() and marker.exists() and marker.read_text() == wanted:
        return csv
    from rfm_assets.core.generator import generate  # numpy and polars: not at code load

    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = generate(out_dir, cfg)
    marker.write_text(wanted)
    return Path(dataset.csv_path)
