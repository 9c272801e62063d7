"""campaign_contacts and campaign_outcomes materialized by Dagster on a real warehouse file (the hand-made
tables of unit/test_campaign_builds), their checks run in the step, and the metadata says what was assumed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd

from rfm_assets.assets.campaigns import campaign_contacts, campaign_outcomes
from rfm_assets.core.months import months_between
from rfm_assets.core.warehouse import replace_partition_frame
from rfm_assets_tests.conftest import make_resources
from rfm_assets_tests.unit.test_campaign_builds import _warehouse


def test_contacts_assumed_then_outcomes_measured(tmp_path: Path) -> None:
    con = _warehouse(tmp_path, name="warehouse.duckdb")
    lines = con.execute("select * from cleaned_transactions").df()
    con.execute("drop table cleaned_transactions")
    for month in months_between(date(2010, 1, 1), date(2011, 5, 1)):  # through the ledger, as the pipeline writes
        part = lines[lines["snapshot_month"] == pd.Timestamp(month)]
        replace_partition_frame(con, "cleaned_transactions", month, part.assign(snapshot_month=month), allow_empty=True)
    con.close()
    first = dg.materialize(
        [campaign_contacts],
        partition_key="2011-01-01",
        resources=make_resources(tmp_path, tmp_path / "unused.csv"),
    )
    meta = first.asset_materializations_for_node("campaign_contacts")[0].metadata
    source = meta["contacts_source"].value
    assert isinstance(source, str) and "assumed contacted" in source and meta["contacted"].value == 40
    assert all(e.passed for e in first.get_asset_check_evaluations())
    result = dg.materialize(
        [campaign_outcomes],
        partition_key="2011-04-01",
        resources=make_resources(tmp_path, tmp_path / "unused.csv"),
        raise_on_error=False,
    )
    assert result.success, [e.event_specific_data for e in result.all_events if e.is_failure]
    meta = result.asset_materializations_for_node("campaign_outcomes")[0].metadata
    assert meta["status"].value == "measured" and meta["campaign_month"].value == "2011-01"
    assert "uplift_plot" in meta or "uplift" in str(meta)
    assert all(e.passed for e in result.get_asset_check_evaluations())
