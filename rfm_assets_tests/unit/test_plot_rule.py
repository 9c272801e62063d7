"""When a month's run draws its metadata plots (rfm_assets/assets/metadata.py, docs/operating.md "Plots")."""

import dagster as dg
import pytest

from rfm_assets.assets.metadata import NOT_RENDERED, plot, plot_tags, wants_plots

NEWEST = "2011-12-01"


@pytest.mark.parametrize(
    ("month", "tags", "expected"),
    [
        ("2010-05-01", {}, True),  # a month launched on its own (UI, schedule, sensor)
        ("2010-05-01", {"dagster/backfill": "abc"}, False),  # an older month of a backfill
        (NEWEST, {"dagster/backfill": "abc"}, True),  # the newest month of a backfill
        ("2010-05-01", {"dagster/backfill": "abc", "rfm/plots": "yes"}, True),  # the tag decides
        (NEWEST, {"rfm/plots": "no"}, False),
        ("2010-05-01", {"rfm/plots": "YES"}, True),
    ],
)
def test_wants_plots(month, tags, expected):
    assert wants_plots(month, NEWEST, tags) is expected


def test_the_cli_draws_only_the_last_month_of_its_range():
    months = ["2011-10-01", "2011-11-01", "2011-12-01"]
    assert [plot_tags(m, months[-1]) for m in months] == [
        {"rfm/plots": "no"},
        {"rfm/plots": "no"},
        {"rfm/plots": "yes"},
    ]


def test_plot_renders_only_when_wanted():
    drawn = []

    def render() -> bytes:
        drawn.append(1)
        return b"\x89PNG"

    assert plot("p", False, render, "alt") == {"p": dg.MetadataValue.text(NOT_RENDERED)} and drawn == []
    shown = plot("p", True, render, "alt")["p"].value
    assert drawn == [1] and shown == "![alt](data:image/png;base64,iVBORw==)"
    assert plot("p", True, lambda: None, "alt") == {}  # nothing to draw: no entry
