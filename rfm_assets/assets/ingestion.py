"""Ingestion layer: the month's source lines, the valid purchases, and returns per customer."""

from typing import Any

import dagster as dg

from rfm_assets.assets.decorators import monthly_sql_asset
from rfm_assets.assets.metadata import partition_metadata
from rfm_assets.core.builds import ingestion as build
from rfm_assets.partitions import partition_month
from rfm_assets.resources import OrderSourceResource, WarehouseResource

OWNERS = ["team:data-engineering"]


def _sql_asset(table: str, layer: str, **kwargs: Any) -> Any:
    """A monthly ingestion asset built by ``sql/<table>.sql``, versioned by that file's hash."""
    return monthly_sql_asset(table, group_name="ingestion", owners=OWNERS, tags={"layer": layer}, **kwargs)


def _staged_config(order_source: OrderSourceResource, month: Any) -> tuple[build.StagedConfig, Any]:
    staged = order_source.stage()
    return build.StagedConfig(
        staged.parquet_path,
        staged.loaded_at,
        staged.rejects_path,
        span=(staged.first_month, staged.last_month),
        accept_emptied=order_source.accepts_emptied(month),
    ), staged


@_sql_asset("raw_orders", "raw")
def raw_orders(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, order_source: OrderSourceResource
) -> dg.MaterializeResult:
    """The month's order lines exactly as the source holds them, typed, with file, row and load time.

    The source (a file or folder of Online Retail / generic exports) is staged once into a typed
    parquet file, cached while the files are unchanged; each month then reads its slice. A month
    of the source's span with no lines is a month without orders: written empty, recorded so in the
    ledger, flagged by the WARN check `empty_month`. A month that had lines and lost them all is
    refused unless the operator accepts it (`RFM_ACCEPT_EMPTY_MONTHS`).
    """
    month = partition_month(context)
    cfg, staged = _staged_config(order_source, month)
    with warehouse.connect() as con:
        n_rows = build.build_raw_orders(con, month, cfg).rows
        metadata = partition_metadata(con, "raw_orders", month)
    context.log.info(f"raw_orders {month:%Y-%m}: {n_rows:,} lines from {', '.join(staged.files)}")
    if not n_rows:
        context.log.warning(f"raw_orders {month:%Y-%m}: no lines in the source; built as an empty month")
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "source_files": dg.MetadataValue.text(", ".join(staged.files)),
            "source_fingerprint": dg.MetadataValue.text(staged.fingerprint[:16]),
            "loaded_at": dg.MetadataValue.text(str(staged.loaded_at)),
        }
    )


@_sql_asset("quarantined_lines", "raw", deps=[raw_orders])
def quarantined_lines(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, order_source: OrderSourceResource
) -> dg.MaterializeResult:
    """Source lines of the month held back at staging, each with its reason (`sql/quarantined_lines.sql`):
    a few unreadable numbers in a file, dates in the future or far from the rest of the data, absurd
    quantities, prices or amounts. Never in raw_orders, never dropped silently. Usually empty."""
    month = partition_month(context)
    cfg, _ = _staged_config(order_source, month)
    with warehouse.connect() as con:
        counts = build.build_quarantined_lines(con, month, cfg).counts
        metadata = partition_metadata(con, "quarantined_lines", month)
    if counts:
        context.log.warning(f"quarantined_lines {month:%Y-%m}: {counts}")
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **{f"quarantined_{reason}": dg.MetadataValue.int(n) for reason, n in counts.items()},
        }
    )


@_sql_asset("cleaned_transactions", "clean", deps=[raw_orders, quarantined_lines])
def cleaned_transactions(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Valid purchase lines of the month with line revenue (`sql/cleaned_transactions.sql`).

    Removed, in this order, each with its count in the metadata: cancellations ('C' invoices),
    bad-debt adjustments ('A'), non-product codes (POST, DOT, M, D, C2, BANK CHARGES, AMAZONFEE,
    ...), price <= 0, quantity <= 0, exact duplicate lines. Guest lines (no customer id) stay, with
    a null customer_id: they are real sales for company revenue, never for customer-level assets.
    """
    month = partition_month(context)
    with warehouse.connect() as con:
        built = build.build_cleaned_transactions(con, month)
        metadata = partition_metadata(con, "cleaned_transactions", month)
    result, quarantined = built.cleaning, built.quarantined
    removed_md = "\n".join(
        ["| rule | lines removed |", "|---|---:|"] + [f"| {rule} | {n:,} |" for rule, n in result.removed.items()]
    )
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **{f"removed_{rule}": dg.MetadataValue.int(n) for rule, n in result.removed.items()},
            "removed_by_rule": dg.MetadataValue.md(removed_md),
            "revenue": dg.MetadataValue.float(round(result.revenue, 2)),
            "guest_lines": dg.MetadataValue.int(result.guest_lines),
            "quarantined_lines": dg.MetadataValue.int(sum(quarantined.values()))
            if quarantined is not None
            else dg.MetadataValue.text("quarantined_lines not built for this month"),
        }
    )


@_sql_asset("customer_returns", "clean", deps=[raw_orders])
def customer_returns(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Cancelled (returned) value per customer in the month, kept as a measure of its own
    (`sql/customer_returns.sql`). A month without cancellations is a valid empty month."""
    month = partition_month(context)
    with warehouse.connect() as con:
        build.build_customer_returns(con, month)
        metadata = partition_metadata(con, "customer_returns", month)
    return dg.MaterializeResult(metadata=metadata)
