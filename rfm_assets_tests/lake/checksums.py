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


def month_checksums(target: str, data_path: str | None = None) -> dict[tuple[str, object], tuple[str, int, int]]:
    """{(table, snapshot_month): (column types, rows, sum of row hashes)} of every base table with a
    ``snapshot_month`` column, the ledger (``_partitions``) left out: a month present in two warehouses
    is the same month when these agree."""
    with connect(target, read_only=True, data_path=data_path) as con:
        columns: dict[str, list[tuple[str, str]]] = {}
        for table, column, kind in con.execute(
            "select c.table_name, c.column_name, c.data_type from information_schema.columns c "
            "join information_schema.tables t using (table_catalog, table_schema, table_name) "
            "where c.table_catalog = current_database() and c.table_schema = 'main' and t.table_type = 'BASE TABLE' "
            "order by c.table_name, c.ordinal_position"
        ).fetchall():
            if column not in VOLATILE.get(table, ()):
                columns.setdefault(table, []).append((column, kind))
        out = {}
        for table, cols in columns.items():
            if table == "_partitions" or "snapshot_month" not in {c for c, _ in cols}:
                continue
            row = ", ".join('"' + c.replace('"', '""') + '"' for c, _ in cols)
            for month, n, digest in con.execute(
                f'select snapshot_month, count(*), sum(hash(({row}))::hugeint) from "{table}" group by 1'
            ).fetchall():
                out[(table, month)] = (str(cols), int(n), int(digest))
        return out


def ledger_rows(target: str, data_path: str | None = None) -> set[tuple]:
    """The ledger's rows: (table, month, row count, empty reason)."""
    with connect(target, read_only=True, data_path=data_path) as con:
        return set(
            con.execute("select table_name, snapshot_month, row_count, empty_reason from _partitions").fetchall()
        )
