"""Metadata that makes each materialization explain itself in the Dagster UI."""

from datetime import date
from typing import Any

import dagster as dg
import duckdb

from rfm_assets.core.sqlfiles import Sidecar, load_sidecar

PREVIEW_ROWS = 10


def column_schema(con: duckdb.DuckDBPyConnection, table: str, sidecar: Sidecar) -> dg.TableSchema:
    """Column names and types from DuckDB, descriptions from the table's sidecar."""
    described = con.execute(f"describe {table}").fetchall()
    return dg.TableSchema(
        columns=[dg.TableColumn(name=n, type=t, description=sidecar.columns.get(n)) for n, t, *_ in described]
    )


def partition_metadata(
    con: duckdb.DuckDBPyConnection, table: str, month: date, sidecar_name: str | None = None
) -> dict[str, Any]:
    """Row count, column schema with descriptions, grain and a preview of one month of ``table``."""
    sidecar = load_sidecar(sidecar_name or table)
    n_rows = con.execute(f"select count(*) from {table} where snapshot_month = ?", [month]).fetchall()[0][0]
    preview = (
        con.execute(f"select * from {table} where snapshot_month = ? limit {PREVIEW_ROWS}", [month])
        .to_arrow_table()
        .to_pandas()
    )  # via arrow, DATE columns stay dates (not '2010-01-01 00:00:00')
    return {
        "dagster/row_count": dg.MetadataValue.int(int(n_rows)),
        "dagster/column_schema": column_schema(con, table, sidecar),
        "dagster/table_name": dg.MetadataValue.text(table),
        "grain": dg.MetadataValue.text(sidecar.grain),
        "preview": table_md(preview, disable_numparse=True) if n_rows else dg.MetadataValue.md("_no rows this month_"),
    }


def table_md(frame: Any, **kwargs: Any) -> dg.MetadataValue:
    """A pandas frame as a markdown table (``index=False`` unless told otherwise)."""
    return dg.MetadataValue.md(frame.to_markdown(**{"index": False, **kwargs}) or "")


def image(png: bytes, alt: str) -> dg.MetadataValue:
    """A PNG shown inline in the Dagster UI (markdown with a data URI)."""
    import base64

    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})")
