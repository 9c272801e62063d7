"""Profile one piece with cProfile on a kept benchmark warehouse.

    .venv/bin/python -m benchmarks.run --lines 1M --keep-scratch      # keeps data/bench/<set>/pieces.duckdb
    .venv/bin/python -m benchmarks.profile data/bench/m36_s1.124 dormant [--top 30]

The piece runs in this process on a copy of ``pieces.duckdb`` (the original stays as it was) and
the functions with the most cumulative time are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.child import pieces


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profile", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("folder", type=Path, help="a dataset folder under data/bench/ run with --keep-scratch")
    parser.add_argument("piece", help="a piece name, e.g. rfm_snapshots, clv_models, dormant, floor_rfm")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    data = json.loads((args.folder / "dataset.json").read_text())
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        warehouse = Path(tmp) / "profile.duckdb"
        shutil.copyfile(args.folder / "pieces.duckdb", warehouse)
        piece_args = {
            "warehouse": str(warehouse),
            "month": data["last_month"],
            "csv": data["csv"],
            "staging_dir": str(args.folder / "staging"),
            "out_dir": tmp,
            "first_month": data["first_month"],
        }
        profiler = cProfile.Profile()
        result = profiler.runcall(pieces()[args.piece], piece_args)
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict)}, default=str))
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
