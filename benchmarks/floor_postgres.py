"""The Dagster floor of ``benchmarks.fixed_cost`` on a Postgres instance next to SQLite, in one run.

    .venv/bin/python -m benchmarks.floor_postgres --months 18

The instance storage is the only difference: a private Postgres cluster (``rfm_assets_tests.lake.postgres``,
Debian's ``postgresql`` binaries, fsync on as in production) against the SQLite storage of the shipped
``dagster.yaml``. Prints the wall seconds of each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.fixed_cost import FLOOR_SCRIPT, _env
from benchmarks.measure import REPO
from rfm_assets.core.package_data import ensure_instance_config
from rfm_assets_tests.lake import postgres as pg


def _cluster(root: Path) -> pg.Cluster:
    """Like ``pg.start_cluster`` but with fsync on: the floor's cost is in its commits."""
    preexec, uid = pg._runner()
    if uid is not None:
        os.chown(root, uid, -1)
    cluster = pg.Cluster(bin=pg.require_bin_dir(), root=root, port=pg._free_port(), preexec=preexec)
    cluster.run("initdb", "-D", str(root / "data"), "-A", "trust", "-U", pg.SUPERUSER, "-E", "UTF8")
    options = f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on"
    cluster.run("pg_ctl", "-D", str(root / "data"), "-o", options, "-l", str(root / "log"), "-w", "start")
    return cluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor_postgres", description=__doc__)
    parser.add_argument("--months", type=int, default=18)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="rfm-pg-"))
    cluster = _cluster(root)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for kind in ("postgres", "sqlite"):
                (Path(tmp) / kind).mkdir()
                env = _env(Path(tmp) / kind, args.months)
                home = Path(env["DAGSTER_HOME"])
                if kind == "postgres":
                    cluster.dagster_home(home, "floor")
                else:
                    ensure_instance_config(home)
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", FLOOR_SCRIPT], env=env, cwd=REPO, check=True, capture_output=True)
                print(f"{kind}: {args.months} months in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
