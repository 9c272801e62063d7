"""The fixed-cost benchmark runs end to end on one CDNOW month and writes only where it is told."""

import json

import pytest

from benchmarks.fixed_cost import main, table


@pytest.mark.slow
def test_one_month_of_cdnow_and_its_dagster_floor(tmp_path, capsys):
    out = tmp_path / "fixed_cost.json"
    assert main(["--months", "1", "--results", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["months"] == 1
    # the floor runs the monthly job's graph: one step per asset definition of the job (22 assets in 16)
    assert 10 <= result["steps_per_month"] <= 30
    project, floor = result["project"], result["dagster_floor"]
    assert project["wall_s"] > 0 and floor["wall_s"] > 0 and floor["cpu_s"] > 0
    # the project does everything the floor does (same runs, steps, events) and its own work besides
    assert project["cpu_s"] > floor["cpu_s"]
    printed = capsys.readouterr().out
    assert table(result) in printed and "the project's own work" in printed


def test_months_outside_the_sample_are_refused(tmp_path):
    with pytest.raises(SystemExit):
        main(["--months", "19", "--results", str(tmp_path / "x.json")])
