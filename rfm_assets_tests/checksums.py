"""Every table of a warehouse file and its checksum: "nothing changed" is ``before == after``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from rfm_assets.core.warehouse import table_checksum


def warehouse_checksums(path: str | Path) -> dict[str, str]:
    """{table: checksum} for every base table of the main schema, read-only."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' and table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        return {t: table_checksum(con, t) for t in tables}
