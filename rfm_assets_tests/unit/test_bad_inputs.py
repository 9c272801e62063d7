"""Every case of the bad-input corpus at the staging step: refused with file, column and samples, or
its offending lines quarantined with their reason (the warehouse side: assets/test_bad_inputs_warehouse.py)."""

from datetime import date

import duckdb
import pytest

from rfm_assets.core.sources import SourceError, SourceSpec, parse_column_mapping, stage_source
from rfm_assets.core.sources.quarantine import trusted_range
from rfm_assets_tests.bad_inputs.make_corpus import BASE_LINES, cases, write_case

CASES = {case.name: case for case in cases()}


def _stage(case, tmp_path):
    path = write_case(case, tmp_path / "source")
    mapping = parse_column_mapping(case.columns) if case.columns else None
    return stage_source(SourceSpec(path=path, format=case.source_format, columns=mapping), tmp_path / "staging")


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.decision == "refuse"])
def test_refused_with_file_column_and_samples(name, tmp_path):
    case = CASES[name]
    with pytest.raises(SourceError) as info:
        _stage(case, tmp_path)
    err, text = info.value, str(info.value)
    if case.file:
        assert err.file == case.file and f"'{case.file}'" in text.splitlines()[0]
    if case.column:
        assert err.column == case.column and f"column: '{case.column}'" in text
    for snippet in case.expect:
        assert snippet in text, text
    assert not (tmp_path / "staging").exists() or not [
        p for p in (tmp_path / "staging").iterdir() if p.suffix in (".parquet", ".json")
    ]


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.decision == "quarantine"])
def test_offending_lines_quarantined_with_reason(name, tmp_path):
    case = CASES[name]
    staged = _stage(case, tmp_path)
    rejects = duckdb.sql(
        f"select reason, offending_values, report_month, source_file, source_row "
        f"from read_parquet('{staged.rejects_path}')"
    ).fetchall()
    reasons = {}
    for reason, *_ in rejects:
        reasons[reason] = reasons.get(reason, 0) + 1
    assert reasons == case.reasons
    for snippet in case.expect:
        assert any(snippet in offending for _, offending, *_ in rejects), (snippet, rejects)
    assert {r[2] for r in rejects} == {date(2011, 3, 1)}  # reported in the only month the data has
    assert staged.row_count == BASE_LINES - len(rejects) and staged.quarantined == len(rejects)
    assert (staged.first_month, staged.last_month) == (date(2011, 3, 1), date(2011, 3, 1))
    kept = {r[0] for r in duckdb.sql(f"select source_row from read_parquet('{staged.parquet_path}')").fetchall()}
    assert not kept & {r[4] for r in rejects} and len(kept) == staged.row_count


def test_files_in_different_encodings_load_each_in_its_own(tmp_path):
    staged = _stage(CASES["encodings_differ_between_files"], tmp_path)
    assert staged.row_count == BASE_LINES and staged.quarantined == 0
    found = duckdb.sql(
        f"select source_file, description from read_parquet('{staged.parquet_path}') "
        "where description not like 'ITEM%' order by 1, 2"
    ).fetchall()
    assert found == [("a.csv", "CAFÉ CRÈME MUG"), ("a.csv", "CRÈME BRÛLÉE SET"), ("b.csv", "CAFÉ CRÈME MUG")]


def test_trusted_range_sets_aside_small_far_blocks():
    def d(text):
        return date.fromisoformat(text + "-01")

    body = {d("2010-12"): 500, d("2011-01"): 400, d("2011-02"): 99}
    # 1 line of 1000 (0.1%) nine years early: set aside
    assert trusted_range({d("2001-12"): 1, **body}) == (d("2010-12"), d("2011-02"))
    # two empty months (Mar, Apr) are not a gap; three (Mar-May) are
    assert trusted_range({**body, d("2011-05"): 1}) == (d("2010-12"), d("2011-05"))
    assert trusted_range({**body, d("2011-06"): 1}) == (d("2010-12"), d("2011-02"))
    # a far block holding more than 1% of the lines is a real pause in trading: kept
    assert trusted_range({d("2001-12"): 20, **body}) == (d("2001-12"), d("2011-02"))
    assert trusted_range({d("2011-01"): 0}) is None
