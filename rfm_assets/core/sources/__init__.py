"""Source readers: Online Retail / generic order-line files (CSV, XLSX, Parquet) -> one typed Parquet file.

No dagster here: the resources call :func:`stage_source` and :func:`source_month_range`.
"""

from rfm_assets.core.sources.errors import SourceError
from rfm_assets.core.sources.spec import FORMATS, SourceSpec, StagedSource, parse_column_mapping
from rfm_assets.core.sources.staging import source_month_range, stage_source
from rfm_assets.core.sources.typing_sql import STAGED_COLUMNS

__all__ = [
    "FORMATS",
    "STAGED_COLUMNS",
    "SourceError",
    "SourceSpec",
    "StagedSource",
    "parse_column_mapping",
    "source_month_range",
    "stage_source",
]
