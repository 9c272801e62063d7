"""The generator's injected campaign effect (core/generator/treatment.py), checked by reading the CSV back
with DuckDB: the generated lines stay byte-identical, the contacted customers' repurchase rate in the
window rises by the uplift (within binomial noise), and an uplift of 0 changes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from rfm_assets.core.generator import GeneratorConfig, generate
from rfm_assets.core.generator.treatment import TRUTH_FILE, TreatmentEffect, inject_treatment

CONFIG = replace(GeneratorConfig(), n_customers=3_000, n_months=8, seed=5)
WINDOW = (date(2010, 6, 1), date(2010, 8, 31))


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("treatment_source"), CONFIG).csv_path


def _copy(source: Path, tmp_path: Path) -> Path:
    path = tmp_path / source.name
    shutil.copyfile(source, path)
    return path


def _contacts(csv: Path, seed: int) -> pl.DataFrame:
    """Half of the customers seen before the window, contacted on its first day (by email)."""
    with duckdb.connect() as con:
        ids = [
            r[0]
            for r in con.execute(
                "select distinct replace(\"Customer ID\", '.0', '') from read_csv(?, all_varchar=true) "
                'where "Customer ID" is not null and "InvoiceDate" < ? order by 1',
                [str(csv), WINDOW[0].isoformat()],
            ).fetchall()
        ]
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(ids, size=len(ids) // 2, replace=False))
    return pl.DataFrame({"customer_id": chosen, "contacted_at": [WINDOW[0]] * len(chosen), "channel": "email"})


def _rate_in_window(csv: Path, customers: list[str]) -> float:
    with duckdb.connect() as con:
        con.execute("create table c as select unnest(?::varchar[]) as id", [customers])
        return con.execute(
            "select avg((id in (select replace(\"Customer ID\", '.0', '') from read_csv(?, all_varchar=true) "
            'where "Customer ID" is not null and not starts_with("Invoice", \'C\') '
            'and "InvoiceDate"[1:10] between ? and ?))::int) from c',
            [str(csv), WINDOW[0].isoformat(), WINDOW[1].isoformat()],
        ).fetchall()[0][0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_uplift_is_injected_and_the_rest_is_untouched(source: Path, tmp_path: Path, seed: int) -> None:
    csv = _copy(source, tmp_path)
    original = source.read_bytes()
    contacts = _contacts(csv, seed)
    ids = contacts["customer_id"].to_list()
    before = _rate_in_window(csv, ids)
    truth = inject_treatment(csv, contacts, TreatmentEffect(0.10, *WINDOW, seed=seed))
    after = _rate_in_window(csv, ids)
    assert csv.read_bytes()[: len(original)] == original  # appended only
    assert truth["base_rate_contacted"] == pytest.approx(before)
    assert after == pytest.approx(before + truth["converted"] / len(ids))
    se = np.sqrt(0.1 * 0.9 / len(ids))
    assert abs(after - before - 0.10) < 4 * se  # +10 points within binomial noise
    assert truth["added_revenue"] > 0
    assert json.loads((tmp_path / TRUTH_FILE).read_text())["converted"] == truth["converted"]


def test_a_contacts_file_is_read_like_the_frame(source: Path, tmp_path: Path) -> None:
    contacts = _contacts(source, 4)
    path = tmp_path / "contacts_2010-05.csv"
    contacts.with_columns(contacted_at=pl.lit("2010-06-01 09:30:00")).write_csv(path)
    by_file = inject_treatment(_copy(source, tmp_path), path, TreatmentEffect(0.1, *WINDOW, seed=4))
    other = tmp_path / "other"
    other.mkdir()
    by_frame = inject_treatment(_copy(source, other), contacts, TreatmentEffect(0.1, *WINDOW, seed=4))
    assert by_file == by_frame
    assert (tmp_path / source.name).read_bytes() == (other / source.name).read_bytes()


def test_no_uplift_appends_nothing(source: Path, tmp_path: Path) -> None:
    csv = _copy(source, tmp_path)
    truth = inject_treatment(csv, _contacts(csv, 1), TreatmentEffect(0.0, *WINDOW))
    assert truth["converted"] == 0
    assert hashlib.sha256(csv.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()


def test_bad_effects_are_refused(source: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="uplift"):
        TreatmentEffect(1.5, *WINDOW).validate()
    with pytest.raises(ValueError, match="before"):
        TreatmentEffect(0.05, WINDOW[1], WINDOW[0]).validate()
