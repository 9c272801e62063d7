"""The run queue under a real daemon: two overlapping backfills, one writer at a time.

`dagster dev` (webserver + daemon) runs on a temporary copy of the shipped instance configuration
(``dagster_home/dagster.yaml``: queued runs, one run per ``rfm/warehouse`` tag and per code
location). Two backfills of ``monthly_job`` (months 1-2 and 2-3, what the UI's job page launches)
go in through the GraphQL API. All four runs must succeed, carry every tag the queue limits, and
never overlap in time (start and end times from the instance's run records); the backfills' runs
must actually wait in the queue. Two months per backfill are enough: they overlap on month 2 (one
partition in both), and four runs queue behind one writer just as six would.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from rfm_assets.core.generator import GeneratorConfig, generate
from rfm_assets_tests.browser.webserver import REPO, dagster_dev

pytestmark = pytest.mark.slow

TIMEOUT_S = 300
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}
BUSY = {"STARTING", "STARTED", "CANCELING"}

LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionSetNotFoundError { message }
  }
}"""
LOCATIONS = "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
RUNS = """
query($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    ... on Runs { results { runId status startTime endTime jobName tags { key value } } }
  }
}"""


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(url + "/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer
    return answer["data"]


def limited_tag_keys(home: Path) -> set[str]:
    """The run tags the instance configuration in ``home`` limits (what every writing run must carry)."""
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert all(limit["limit"] == 1 for limit in limits), limits
    return {limit["key"] for limit in limits}


def launch(url: str, location: str, repository: str, months: list[str]) -> str:
    params = {
        "selector": {
            "partitionSetName": "monthly_job_partition_set",
            "repositorySelector": {"repositoryLocationName": location, "repositoryName": repository},
        },
        "partitionNames": months,
        "fromFailure": False,
    }
    result = graphql(url, LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    return result["backfillId"]


def runs(url: str) -> list[dict]:
    return graphql(url, RUNS, {"filter": {}})["runsOrError"]["results"]


def wait_for_runs(server, backfill: str, n: int) -> None:
    """Until the daemon has created ``n`` runs of ``backfill``."""
    deadline = time.monotonic() + TIMEOUT_S
    while sum({"key": "dagster/backfill", "value": backfill} in r["tags"] for r in runs(server.url)) < n:
        assert time.monotonic() < deadline, (
            f"backfill {backfill} made no {n} runs in {TIMEOUT_S} s\n{server.log_tail()}"
        )
        time.sleep(0.5)


@pytest.fixture(scope="module")
def three_months(tmp_path_factory):
    return generate(
        tmp_path_factory.mktemp("queue_source"), replace(GeneratorConfig(), n_customers=150, n_months=3, seed=3)
    )


def test_overlapping_backfills_run_one_writer_at_a_time(tmp_path, three_months):
    months = [f"2010-{m:02d}-01" for m in range(1, 4)]
    assert f"{three_months.first_month:%Y-%m-%d}" == months[0]
    env = {"RFM_SOURCE": str(three_months.csv_path), "RFM_WAREHOUSE": str(tmp_path / "warehouse.duckdb")}
    with dagster_dev(tmp_path, env) as server:
        assert (server.dagster_home / "dagster.yaml").read_text() == (
            REPO / "dagster_home" / "dagster.yaml"
        ).read_text()
        limited = limited_tag_keys(server.dagster_home)
        [repo] = graphql(server.url, LOCATIONS)["repositoriesOrError"]["nodes"]
        location = repo["location"]["name"]
        # The second backfill goes in once the first one's runs are queued, as when an operator
        # backfills over a running backfill. Launched the other way round on an empty warehouse, its
        # 2010-02 run would fail by design: a month never builds on a history with holes in it
        # (inputs.require_history), whatever order the queue picks.
        first = launch(server.url, location, repo["name"], months[0:2])
        wait_for_runs(server, first, 2)
        backfills = [first, launch(server.url, location, repo["name"], months[1:3])]
        most_busy, most_queued = 0, 0
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            seen = runs(server.url)
            most_busy = max(most_busy, sum(r["status"] in BUSY for r in seen))
            most_queued = max(most_queued, sum(r["status"] == "QUEUED" for r in seen))
            ours = [r for r in seen if any({"key": "dagster/backfill", "value": b} in r["tags"] for b in backfills)]
            if len(ours) == 4 and all(r["status"] in TERMINAL for r in ours):
                break
            assert time.monotonic() < deadline, f"backfills not done in {TIMEOUT_S} s: {seen}\n{server.log_tail()}"
            time.sleep(1)
        seen = runs(server.url)  # a publish run the sensor may have queued meanwhile counts as a writer too

    assert all(r["status"] == "SUCCESS" for r in ours), f"{ours}\n{server.log_tail()}"
    partitions = sorted(next(t["value"] for t in r["tags"] if t["key"] == "dagster/partition") for r in ours)
    assert partitions == sorted(months[0:2] + months[1:3])
    for run in seen:
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert limited <= set(tags), f"{run['jobName']} run {run['runId']} lacks a queue tag: {tags}"
        assert tags["dagster/code_location"] == location and tags["rfm/warehouse"] == "write", tags
    spans = sorted((r["startTime"], r["endTime"] or float("inf"), r["runId"]) for r in seen if r["startTime"])
    for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
        assert start >= end, f"runs {first} and {second} overlap: one writer at a time is not enforced"
    assert most_busy <= 1 and most_queued >= 2, (most_busy, most_queued)
