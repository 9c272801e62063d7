"""The benchmark's B2C shape (benchmarks/b2c.py) and the issue-19 rows of its report (benchmarks/report_shapes.py)."""

import csv
from collections import Counter

import pytest

from benchmarks.b2c import ensure_b2c_data, generate_b2c
from benchmarks.report_shapes import penalizer_notes, target_rows
from rfm_assets.core.rows import scalar
from rfm_assets.core.sources import SourceSpec, stage_source
from rfm_assets.core.warehouse import connect

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("test_b2c_shape")

LINES = 24_000


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    out = tmp_path_factory.mktemp("b2c")
    return generate_b2c(out, LINES, n_months=12, seed=5)


@pytest.fixture(scope="module")
def rows(shop):
    with shop.csv_path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_exact_lines_and_the_b2c_shape(shop, rows):
    assert len(rows) == LINES == shop.n_lines
    customers = Counter(r["Customer ID"] for r in rows)
    assert len(customers) == shop.n_customers == 2_000  # 1 customer per 12 lines
    orders = {r["Invoice"] for r in rows}
    assert 1.3 <= LINES / len(orders) <= 2.0  # few-line orders
    orders_of = Counter(c for c, _ in {(r["Customer ID"], r["Invoice"]) for r in rows})
    assert sorted(orders_of.values())[len(orders_of) // 2] <= 8  # a few orders for the median customer
    assert {r["InvoiceDate"][:7] for r in rows} == {f"2010-{m:02d}" for m in range(1, 13)}
    assert (shop.first_month.isoformat(), shop.last_month.isoformat()) == ("2010-01-01", "2010-12-01")


def test_one_customer_and_one_timestamp_per_invoice(rows):
    seen: dict[str, tuple[str, str]] = {}
    for r in rows:
        assert seen.setdefault(r["Invoice"], (r["Customer ID"], r["InvoiceDate"])) == (
            r["Customer ID"],
            r["InvoiceDate"],
        )


def test_the_project_stages_every_line(shop, tmp_path):
    staged = stage_source(SourceSpec(path=shop.csv_path, format="online_retail"), tmp_path / "staging")
    assert staged.row_count == LINES
    with connect(str(tmp_path / "w.duckdb")) as con:
        bad = scalar(
            con,
            "select count(*) from read_parquet(?) where customer_id is null or unit_price <= 0 or quantity <= 0",
            [str(staged.parquet_path)],
        )
    assert bad == 0  # clean data: nothing for the cleaning to drop


def test_deterministic_and_cached(shop, tmp_path):
    again = generate_b2c(tmp_path / "again", LINES, n_months=12, seed=5)
    assert again.csv_path.read_bytes() == shop.csv_path.read_bytes()
    first = ensure_b2c_data(tmp_path / "data", 6_000, 6, 1)
    assert ensure_b2c_data(tmp_path / "data", 6_000, 6, 1) == first  # read back from dataset.json
    assert first.folder.name == "b2c_m6_l6000_seed1" and first.n_lines == 6_000


def test_too_few_lines_or_months_is_refused(tmp_path):
    with pytest.raises(ValueError, match="n_months >= 2"):
        generate_b2c(tmp_path, 1_000, n_months=1)
    with pytest.raises(ValueError, match="2 lines per customer"):
        generate_b2c(tmp_path, 1)


def _rec(shape: str, lines: int, notebook: float, rfm: float, clv: float, month: float) -> dict:
    timed = {"seconds": 1.0}
    return {
        "shape": shape,
        "label": f"{shape}_x",
        "lines": lines,
        "customers": 1000,
        "finished": "2026-12-03T08:00:00",
        "pieces": {
            "rfm_snapshots": {"seconds": rfm},
            "clv_models": {"seconds": clv, "bg_penalizer": 0.0, "gg_penalizer": 0.001},
            "raw_orders": timed,
        },
        "floor": {"rfm_query": timed, "bare_read": timed},
        "baseline": {
            "seconds": notebook,
            "lap_read_csv": 2.0,
            "bg_penalizer": 0.0,
            "gg_penalizer": 1e-4,
            "fit_attempts": ["GammaGammaFitter penalizer_coef=0: ConvergenceError (status: 2)"],
        },
        "whole_month": {"seconds": month, "steps": []},
    }


def test_target_rows_by_hand():
    b2c = _rec("b2c", 3_000_000, notebook=12.0, rfm=0.25, clv=0.25, month=10.0)
    wholesale = _rec("wholesale", 10_000_000, notebook=50.0, rfm=1.0, clv=1.5, month=40.0)
    found = target_rows([wholesale, b2c])
    assert [r[2] for r in found] == ["met", "met", "met"]  # 12 / 0.5 = 24x; 10 s <= 12 s; 50 / 2.5 = 20x
    assert found[0][1].startswith("24.0x") and "(20.0x without its CSV read)" in found[0][1]  # (12 - 2) / 0.5
    assert "10.0 s vs 12.0 s (0.8x the notebook)" in found[1][1]
    assert "the target is set at 10M" in found[0][0] and "the target is set at 10M" not in found[2][0]
    slow = target_rows([_rec("b2c", 1_000_000, notebook=6.0, rfm=0.2, clv=0.4, month=13.0)])
    assert [r[2] for r in slow] == ["**missed**", "**missed**"]  # 10x; 13 s > 6 s


def test_penalizer_notes_name_both_sides_and_the_retry():
    (note,) = penalizer_notes([_rec("b2c", 1_000_000, 6.0, 0.2, 0.4, 13.0)])
    assert "notebook BG/NBD 0, Gamma-Gamma 0.0001; project BG/NBD 0, Gamma-Gamma 0.001" in note
    assert "retried after: GammaGammaFitter penalizer_coef=0: ConvergenceError" in note
