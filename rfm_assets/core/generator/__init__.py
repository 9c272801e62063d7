"""Deterministic synthetic order lines in the UCI "Online Retail II" CSV layout, with the truth.

Pure logic (no dagster). ``generate(out_dir, config)`` writes ``online_retail_ii.csv`` (dirt
included at realistic rates), ``truth.json`` (BG/NBD and Gamma-Gamma parameters, seasonality,
acquisition, realised dirt rates) and ``customers_truth.parquet`` (per-customer latent values).

Pieces: ``params`` (config and true parameters), ``timeline`` (calendar, operational time),
``catalogue`` (products, non-product codes), ``customers`` (acquisition, BG/NBD histories),
``orders`` (invoice-level table), ``baskets`` (lines and dirt), ``truth`` and ``writer``.
"""

from typing import TYPE_CHECKING

from rfm_assets.core.generator.params import (
    BG_NBD,
    CSV_HEADER,
    CSV_NAME,
    CUSTOMERS_NAME,
    GAMMA_GAMMA,
    TRUTH_NAME,
    BgNbdParams,
    GammaGammaParams,
    GeneratedDataset,
    GeneratorConfig,
)

if TYPE_CHECKING:  # the type checker sees the real function; at run time it loads on first use (below)
    from rfm_assets.core.generator.writer import generate

__all__ = [
    "BG_NBD",
    "CSV_HEADER",
    "CSV_NAME",
    "CUSTOMERS_NAME",
    "GAMMA_GAMMA",
    "TRUTH_NAME",
    "BgNbdParams",
    "GammaGammaParams",
    "GeneratedDataset",
    "GeneratorConfig",
    "generate",
]


def __getattr__(name: str) -> object:
    """``generate`` imported on first use: the writer pulls numpy and polars, which loading the code
    location (rfm_assets.partitions reads only GeneratorConfig) does not need."""
    if name == "generate":
        from rfm_assets.core.generator.writer import generate

        return generate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
