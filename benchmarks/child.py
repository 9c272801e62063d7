"""One measured piece in its own process: ``python -m benchmarks.child PIECE ARGS_JSON RESULT_PATH``.

Every piece function takes the argument dict and returns a JSON-able dict whose ``seconds`` is the
time of the piece's own work (set-up such as opening files or importing is outside it).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def pieces() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    """Name -> piece function (imported lazily so each child loads only what its piece needs)."""
    from benchmarks import baseline, floor, month, prefix, project

    return {
        **project.PIECES,
        "floor_read": floor.bare_read,
        "floor_rfm": floor.rfm_query,
        "baseline_notebook": baseline.notebook,
        "clv_weighting": baseline.weighting,
        "whole_month": month.whole_month,
        "backfill": month.backfill,
        "prefix_core": prefix.prefix_core,
        "prefix_dormant": prefix.prefix_dormant,
    }


def main(argv: list[str]) -> int:
    piece, args, out = argv[0], json.loads(argv[1]), Path(argv[2])
    # Libraries every piece (and the Dagster process) has loaded anyway: imported before any timer,
    # so no piece is charged for a first import (e.g. pyarrow on a first polars -> arrow conversion).
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import polars  # noqa: F401
    import pyarrow  # noqa: F401

    result = pieces()[piece](args)
    out.write_text(json.dumps(result, default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
