"""Code load stays light (issue 19: `dagster definitions validate` <= 3 s): importing the definitions loads
no data library but DuckDB (which dagster-duckdb needs), and ``rfm_assets.core.lazy`` imports on first use.

Checked in fresh interpreters, as Dagster loads the code location.
"""

import subprocess
import sys
import threading

import pytest

from rfm_assets.core.lazy import LazyModule, lazy

HEAVY = (
    "great_expectations",
    "statsforecast",
    "statsmodels",
    "sklearn",
    "scipy",
    "lifetimes",
    "matplotlib",
    "pandas",
    "numpy",
    "polars",
    "pyarrow",
    "openpyxl",
)


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys\n{statement}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return eval(out.stdout.strip().splitlines()[-1])  # a printed list of str


def test_loading_the_definitions_imports_no_heavy_library():
    assert _loaded_after("from rfm_assets.definitions import defs") == []


def test_the_generator_config_does_not_load_the_writer():
    assert _loaded_after("from rfm_assets.core.generator import GeneratorConfig") == []
    assert _loaded_after("from rfm_assets.core.generator import generate") == ["numpy", "polars"]


def _probe_module(tmp_path, monkeypatch, name: str) -> None:
    (tmp_path / f"{name}.py").write_text("import time\ntime.sleep(0.05)\nVALUE = 42\nLOADS = []\nLOADS.append(1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)


def test_lazy_module_imports_on_first_attribute_and_mirrors_the_real_one(tmp_path, monkeypatch):
    _probe_module(tmp_path, monkeypatch, "lazy_probe_a")
    mod = lazy("lazy_probe_a")
    assert isinstance(mod, LazyModule)
    assert "lazy_probe_a" not in sys.modules
    assert "not loaded yet" in repr(mod)
    assert mod.VALUE == 42
    real = sys.modules["lazy_probe_a"]  # the real module, not the stand-in
    assert real is not mod and real.VALUE == 42
    assert mod.__dict__["VALUE"] == 42  # copied: later reads are plain attribute lookups
    assert mod.__name__ == "lazy_probe_a" and "loaded" in repr(mod)
    with pytest.raises(AttributeError):
        _ = mod.MISSING


def test_lazy_module_runs_the_module_once_under_threads(tmp_path, monkeypatch):
    _probe_module(tmp_path, monkeypatch, "lazy_probe_b")
    mod = lazy("lazy_probe_b")
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(mod.VALUE)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [42] * 8
    assert sys.modules["lazy_probe_b"].LOADS == [1]  # executed once


def test_lazy_module_of_a_missing_module_fails_on_use_with_the_import_error():
    mod = lazy("no_such_module_for_rfm_assets")
    with pytest.raises(ModuleNotFoundError, match="no_such_module_for_rfm_assets"):
        _ = mod.anything
