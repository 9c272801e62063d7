"""Loading the definitions reads no line of the source: the partitions come from the month range the last
staging recorded (rfm_assets/core/sources/month_range.py)."""

from datetime import date

import pytest

from rfm_assets import partitions
from rfm_assets.core.sources import SourceSpec, parse_column_mapping, source_month_range, stage_source
from rfm_assets.core.sources import staging as staging_module
from rfm_assets.core.sources.month_range import recorded_month_range
from rfm_assets.settings import Settings

MAPPING = "customer_id=cust,order_date=dt,amount=amt"


def _write(path, rows):
    path.write_text("cust,dt,amt\n" + "".join(f"{c},{d},{a}\n" for c, d, a in rows))


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "landing"
    folder.mkdir()
    _write(folder / "2011a.csv", [("c1", "2011-01-05", 10.0), ("c2", "2011-01-20", 5.5), ("c1", "2011-03-02", 7.0)])
    return folder


def _spec(folder, mapping=MAPPING):
    return SourceSpec(path=folder, format="generic", columns=parse_column_mapping(mapping))


def _no_staging(*args, **kwargs):
    raise AssertionError("the source was read")


def _recorded(source, staging):
    """The recorded month range of ``source``, which must exist."""
    recorded = recorded_month_range(_spec(source), staging)
    assert recorded is not None, "no month range recorded"
    return recorded


def test_staging_records_the_range_and_a_load_then_reads_no_line(source, tmp_path, monkeypatch):
    staging = tmp_path / "staging"
    assert recorded_month_range(_spec(source), staging) is None
    staged = stage_source(_spec(source), staging)
    assert (staged.first_month, staged.last_month) == (date(2011, 1, 1), date(2011, 3, 1))
    recorded = _recorded(source, staging)
    assert (recorded.first, recorded.last, recorded.current) == (date(2011, 1, 1), date(2011, 3, 1), True)

    monkeypatch.setattr(staging_module, "_stage", _no_staging)
    monkeypatch.setattr(staging_module, "stage_source", _no_staging)
    settings = Settings.from_env(
        {
            "RFM_SOURCE": str(source),
            "RFM_SOURCE_FORMAT": "generic",
            "RFM_COLUMNS": MAPPING,
            "RFM_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        }
    )
    monthly = partitions.monthly_partitions(settings)
    assert monthly.get_partition_keys() == ["2011-01-01", "2011-02-01", "2011-03-01"]


def test_a_new_file_keeps_the_recorded_range_until_the_next_staging(source, tmp_path, monkeypatch):
    staging = tmp_path / "staging"
    stage_source(_spec(source), staging)
    _write(source / "2011b.csv", [("c3", "2011-05-10", 3.0)])

    with monkeypatch.context() as patched:
        patched.setattr(staging_module, "_stage", _no_staging)
        assert source_month_range(_spec(source), staging) == (date(2011, 1, 1), date(2011, 3, 1))
        assert _recorded(source, staging).current is False

    stage_source(_spec(source), staging)  # what the next run's raw_orders (or rfm-assets run) does
    recorded = _recorded(source, staging)
    assert (recorded.first, recorded.last, recorded.current) == (date(2011, 1, 1), date(2011, 5, 1), True)


def test_a_never_staged_source_is_staged_once_at_load(source, tmp_path):
    staging = tmp_path / "staging"
    assert source_month_range(_spec(source), staging) == (date(2011, 1, 1), date(2011, 3, 1))
    assert _recorded(source, staging).current


def test_another_source_or_mapping_never_borrows_the_record(source, tmp_path):
    staging = tmp_path / "staging"
    stage_source(_spec(source), staging)
    assert (
        recorded_month_range(_spec(source, "customer_id=cust,order_date=dt,amount=amt,order_id=cust"), staging) is None
    )
    other = tmp_path / "other"
    other.mkdir()
    _write(other / "x.csv", [("c9", "2012-07-01", 1.0)])
    assert recorded_month_range(_spec(other), staging) is None
