"""Does campaign_outcomes find a known uplift on the default data? (issue 17's done-when)

    .venv/bin/python -m benchmarks.campaign_uplift --warehouse /tmp/h6/base.duckdb \
        --source /tmp/h6/default_source/online_retail_ii.csv --work /tmp/h6/camp --campaign 2011-06 --uplift 0.05

Starting from a warehouse built by ``rfm-assets run`` on the default data (copied, never changed):
1. dormant_reactivation is rebuilt for the campaign month C with the whole dormant list selected
   (RFM_CAMPAIGN_SHARE=1) and half held out (RFM_CONTROL_SHARE=0.5): with the defaults (10% of 10%) a
   month's control group has ~13 customers, which campaign_outcomes rightly calls not measurable;
2. the treatment group becomes the email tool's contacts file (contacted on the first day of C+1);
3. the generator's ``inject_treatment`` adds +uplift points to the contacted customers' repurchase in
   C+1..C+3, into a copy of the source CSV (the lines before are byte-identical);
4. the ingestion assets are rebuilt for C+1..C+3 from that CSV, then campaign_contacts (C) and
   campaign_outcomes (C+3) are materialized by Dagster, as a run would.
Prints the outcome table and the truth; exits 1 when the overall CI misses the injected uplift.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from rfm_assets.assets.campaigns import campaign_contacts, campaign_outcomes
from rfm_assets.assets.ingestion import cleaned_transactions, customer_returns, quarantined_lines, raw_orders
from rfm_assets.assets.reactivation import dormant_reactivation
from rfm_assets.core.generator.treatment import TreatmentEffect, inject_treatment
from rfm_assets.core.months import add_months, month_end, month_start
from rfm_assets.resources import AnalysisParamsResource, OrderSourceResource, WarehouseResource

CHANGED_SCHEMA = ("dormant_targets", "dormant_model_metrics", "dormant_calibration")


def _resources(work: Path, source: Path, **params: object) -> dict:
    return {
        "warehouse": WarehouseResource(path=str(work / "warehouse.duckdb")),
        "order_source": OrderSourceResource(path=str(source), staging_dir=str(work / f"staging_{source.parent.name}")),
        "params": AnalysisParamsResource(export_dir=str(work / "exports"), **params),  # type: ignore[arg-type]
    }


def _run(assets: list, month: str, resources: dict) -> None:
    result = dg.materialize(assets, partition_key=month, resources=resources, raise_on_error=False)
    failed = [e.message for e in result.all_events if e.is_step_failure]
    if failed:
        sys.exit(f"{month}: {failed}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--warehouse", required=True, type=Path)
    parser.add_argument("--source", required=True, type=Path)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--campaign", default="2011-06")
    parser.add_argument("--uplift", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    campaign = month_start(args.campaign)
    outcome = add_months(campaign, 3)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.warehouse, work / "warehouse.duckdb")
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        for table in CHANGED_SCHEMA:  # older builds lack the control-group columns; only C is rebuilt
            con.execute(f"drop table if exists {table}")
    params = {"campaign_share": 1.0, "control_share": 0.5, "contacts_dir": str(work / "contacts")}
    _run([dormant_reactivation], f"{campaign}", _resources(work, args.source, **params))

    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        groups = con.execute(
            "select campaign_group, count(*) from dormant_targets where snapshot_month = ? group by 1", [campaign]
        ).fetchall()
        treatment = [r[0] for r in con.execute(
            "select customer_id from dormant_targets where snapshot_month = ? and campaign_group = 'treatment'",
            [campaign],
        ).fetchall()]  # fmt: skip
    contacted_at = add_months(campaign, 1)
    contacts = pl.DataFrame(
        {"customer_id": treatment, "contacted_at": [contacted_at] * len(treatment), "channel": "email"}
    )
    (work / "contacts").mkdir(exist_ok=True)
    contacts.write_csv(work / "contacts" / f"contacts_{campaign:%Y-%m}.csv")

    injected = work / "injected" / args.source.name
    injected.parent.mkdir(exist_ok=True)
    shutil.copyfile(args.source, injected)
    truth = inject_treatment(
        injected, contacts, TreatmentEffect(args.uplift, contacted_at, month_end(outcome), seed=args.seed)
    )
    resources = _resources(work, injected, **params)
    for month in (add_months(campaign, k) for k in (1, 2, 3)):
        _run([raw_orders, quarantined_lines, cleaned_transactions, customer_returns], f"{month}", resources)
    _run([campaign_contacts], f"{campaign}", resources)
    _run([campaign_outcomes], f"{outcome}", resources)
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        table = con.execute("select * exclude (snapshot_month, campaign_month) from campaign_outcomes "
                            "where snapshot_month = ?", [outcome]).df()  # fmt: skip
    print(f"groups of {campaign:%Y-%m}: {dict(groups)}")
    print("truth:", json.dumps(truth))
    print(table.round(4).to_markdown(index=False))
    row = table[table["segment"] == "all"].iloc[0]
    inside = bool(row["measurable"]) and row["uplift_ci_low"] <= args.uplift <= row["uplift_ci_high"]
    print(f"injected {args.uplift:+.3f}: measured {row['uplift']:+.4f} [{row['uplift_ci_low']:+.4f}, "
          f"{row['uplift_ci_high']:+.4f}] -> {'inside' if inside else 'OUTSIDE'} the 95% CI")  # fmt: skip
    sys.exit(0 if inside else 1)


if __name__ == "__main__":
    main()
