"""Write the PNG plots in asset metadata to files, for a human look.

    DAGSTER_HOME=dagster_home .venv/bin/python -m rfm_assets_tests.browser.render_plots --out /tmp/plots
    ... --partition 2010-08-01            # that month's materialization instead of the latest
    ... --dagster-home /some/other/home   # another instance

Reads the instance's event log (the runs `make run` / `rfm-assets run` record when DAGSTER_HOME is
set, or runs launched from the UI), not the warehouse, so it shows exactly what the UI shows.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import dagster as dg

from rfm_assets_tests.browser.plots import latest_plots


def main(argv: list[str] | None = None) -> int:
    """Write ``<asset>__<label>.png`` per plot into ``--out``; print one line per file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "render plots").splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--partition", help="partition key, e.g. 2010-08-01 (default: latest)")
    parser.add_argument("--dagster-home", type=Path, default=os.environ.get("DAGSTER_HOME"))
    args = parser.parse_args(argv)
    if not args.dagster_home:
        parser.error("set DAGSTER_HOME or pass --dagster-home")
    instance = dg.DagsterInstance.from_config(str(args.dagster_home))
    assets = sorted(k.to_user_string() for k in instance.get_asset_keys())
    plots = latest_plots(instance, assets, args.partition)
    args.out.mkdir(parents=True, exist_ok=True)
    for plot in plots:
        path = args.out / f"{plot.asset}__{plot.label}.png"
        path.write_bytes(plot.png)
        width, height = plot.size
        print(f"{path}  {width}x{height}  partition {plot.partition}  run {plot.run_id[:8]}")
    if not plots:
        print("no plots found in the latest materializations", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
