"""The package installs as a wheel (``pip install .``, as a Docker image does) and runs from anywhere.

The slow test builds the wheel from a copy of the checkout, installs it into a fresh venv in
tmp_path and, from another folder, runs ``rfm-assets generate``, ``rfm-assets run`` on a small
source (two months: the second also reads the first's snapshot) and ``dagster definitions
validate``. The third-party packages are not reinstalled: a ``.pth`` file makes the project venv's
site-packages visible to the new venv (a ``.pth`` inside a folder added by another ``.pth`` is not
processed, so the project's editable finder stays out) and the test asserts ``rfm_assets`` is
imported from the new venv. Building needs setuptools from the package index pip is configured with
(pip's build isolation).
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import duckdb
import pytest

from rfm_assets.core.rows import scalar

REPO = Path(__file__).resolve().parents[2]
DATA_PACKAGES = {"rfm_assets.sql": "sql", "rfm_assets.views": "dbt_like_views", "rfm_assets.instance": "dagster_home"}


def test_pyproject_lists_every_package_and_maps_the_data_folders():
    """An explicit package list (needed for the data folders' mapping) must not forget a new sub-package."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    code = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "rfm_assets").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert set(config["packages"]) == code | set(DATA_PACKAGES)
    assert config["package-dir"] == DATA_PACKAGES


def _copy_source(dest: Path) -> Path:
    """The files a build reads, copied (so that the build writes nothing into the checkout)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("rfm_assets", "sql", "dbt_like_views"):
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    (dest / "dagster_home").mkdir()
    for name in ("pyproject.toml", "README.md", "dagster_home/__init__.py", "dagster_home/dagster.yaml"):
        shutil.copy(REPO / name, dest / name)
    return dest


def _run(cmd: list, timeout: float = 900, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kwargs)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    timings = {}
    t0 = time.perf_counter()
    src = _copy_source(tmp_path / "src")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-q", "-w", tmp_path / "dist", src])
    [wheel] = (tmp_path / "dist").glob("rfm_assets-*.whl")
    timings["build wheel"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python, bin_dir = venv / "bin" / "python", venv / "bin"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-cache-dir", "-q", wheel])
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "zz_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    timings["venv + install"] = time.perf_counter() - t0

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RFM_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
        RFM_WAREHOUSE=str(tmp_path / "data" / "warehouse.duckdb"),
    )
    where = _run(
        [
            python,
            "-c",
            "import rfm_assets, rfm_assets.core.package_data as p; "
            "print(rfm_assets.__file__); print(p.sql_dir()); print(p.views_dir())",
        ],
        cwd=elsewhere,
        env=env,
    )
    for line in where.stdout.split():
        assert Path(line).resolve().is_relative_to(venv.resolve()), f"not from the wheel: {line}"
    assert "zz_project_dependencies" not in where.stderr

    t0 = time.perf_counter()
    _run(
        [bin_dir / "rfm-assets", "generate", "--out", tmp_path / "source", "--scale", "0.06", "--months", "2"],
        cwd=elsewhere,
        env=env,
    )
    env["RFM_SOURCE"] = str(tmp_path / "source" / "online_retail_ii.csv")
    run = _run([bin_dir / "rfm-assets", "run"], cwd=elsewhere, env=env, timeout=1200)
    timings["rfm-assets run (2 months)"] = time.perf_counter() - t0
    assert "published BI copy" in run.stdout, run.stdout

    t0 = time.perf_counter()
    validate = _run(
        [python, "-m", "dagster", "definitions", "validate", "-m", "rfm_assets.definitions"], cwd=elsewhere, env=env
    )
    timings["dagster definitions validate"] = time.perf_counter() - t0
    assert "validation successful" in (validate.stdout + validate.stderr).lower()

    with duckdb.connect(env["RFM_WAREHOUSE"], read_only=True) as con:  # SQL, rules and views all came from the wheel
        months = scalar(con, "select count(distinct snapshot_month) from rfm_snapshots")
        unnamed = scalar(con, "select count(*) from rfm_snapshots where rfm_segment is null")
        views = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    assert months == 2 and unnamed == 0
    assert {p.stem for p in (REPO / "dbt_like_views").glob("*.sql")} <= views
    assert not list(elsewhere.iterdir()) or all(p.name.startswith(".") for p in elsewhere.iterdir())
    print("wheel test timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
