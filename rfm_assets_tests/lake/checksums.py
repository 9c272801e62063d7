"""Table checksums of a warehouse through any connection (a DuckDB file or a lake)."""

from rfm_assets.core.warehouse import connect, table_checksum

VOLATILE = {"raw_orders": ("loaded_at",)}  # when the line was loaded: differs between two builds


def checksums(target: str, data_path: str | None = None) -> dict[str, str]:
    """{table: checksum} of every base table of the warehouse's main schema (volatile columns left out)."""
    with connect(target, read_only=True, data_path=data_path) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_catalog = current_database() "
                "and table_schema = 'main' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        return {t: table_checksum(con, t, exclude=VOLATILE.get(t, ())) for t in tables}
