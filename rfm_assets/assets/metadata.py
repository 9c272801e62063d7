"""Metadata that makes each materialization explain itself in the Dagster UI."""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import dagster as dg
import duckdb

from rfm_assets.core.sqlfiles import Sidecar, load_sidecar

PREVIEW_ROWS = 10
# Plots are drawn only where someone will look (docs/operating.md, "Plots"): rendering a month's 6-8 PNGs
# was about a quarter of a month's run. `rfm/plots=yes|no` on a run decides; without it, a run of a
# backfill draws only the newest month and any other run draws its month.
PLOTS_TAG = "rfm/plots"
BACKFILL_TAG = "dagster/backfill"
NOT_RENDERED = (
    "not rendered for this month: plots are drawn for the newest month (and for the last month of an "
    "`rfm-assets run`); launch the month with the run tag rfm/plots=yes to draw them"
)


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


def wants_plots(partition_key: str, newest_key: str | None, tags: Mapping[str, str]) -> bool:
    """Whether a run of ``partition_key`` draws its plots: the ``rfm/plots`` tag when set (``yes``/``no``);
    else a backfill's run only for the newest partition ``newest_key``; else (a launch of the month, a
    scheduled or sensor run) yes."""
    choice = tags.get(PLOTS_TAG, "").lower()
    if choice in ("yes", "no"):
        return choice == "yes"
    if BACKFILL_TAG in tags:
        return partition_key == newest_key
    return True


def plots_wanted(context: dg.AssetExecutionContext) -> bool:
    """:func:`wants_plots` for the running step's month."""
    from rfm_assets.partitions import MONTHLY

    return wants_plots(context.partition_key, MONTHLY.get_last_partition_key(), context.run.tags)


def plot(key: str, wanted: bool, render: Callable[[], bytes | None], alt: str) -> dict[str, dg.MetadataValue]:
    """``{key: the PNG render() draws}`` when ``wanted`` (nothing when it draws nothing), else ``{key: why
    not}``: a month without plots says so where the plot would be."""
    if not wanted:
        return {key: dg.MetadataValue.text(NOT_RENDERED)}
    png = render()
    return {} if png is None else {key: image(png, alt)}


def plot_tags(month_key: str, last_key: str) -> dict[str, str]:
    """The ``rfm/plots`` tag `rfm-assets run` puts on a month's run: draw only the range's last month."""
    return {PLOTS_TAG: "yes" if month_key == last_key else "no"}
