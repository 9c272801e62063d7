"""After a full `rfm-assets run`, every table with rows has exactly its sidecar's ``types`` as stored schema
(the types the typed empty frames carry), column for column."""

import duckdb
import pytest

from rfm_assets.core.sqlfiles import empty_frame, load_sidecar

pytestmark = pytest.mark.slow


def test_stored_schemas_are_the_sidecar_types(first_run):
    _, path, proc = first_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select distinct table_name from _partitions where row_count > 0 order by 1"
            ).fetchall()
        ]
        assert len(tables) >= 15
        for table in tables:
            stored = {c: t for c, t, *_ in con.execute(f"describe {table}").fetchall()}
            assert stored == load_sidecar(table).types, table
            assert list(stored) == list(empty_frame(table).columns), table
