"""The browser test's helpers, fast and without a browser.

Without Chromium the browser test skips on a workstation but fails under CI (it must never pass
silently); graph labels are matched to asset keys despite middle truncation; PNG sizes are read
from the header.
"""

import io

import numpy as np
import pytest
from matplotlib.image import imsave

from rfm_assets_tests.browser.plots import png_size
from rfm_assets_tests.browser.ui import label_names, require_chromium, unmatched


@pytest.fixture
def no_chromium_on_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no chromium to find


def test_missing_chromium_skips_outside_ci(no_chromium_on_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        require_chromium()


def test_missing_chromium_fails_under_ci(no_chromium_on_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must install it"):
        require_chromium()


def test_installed_chromium_is_found(tmp_path, monkeypatch):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    assert require_chromium() == str(fake)


def test_truncated_graph_labels_name_their_asset_only():
    assert label_names("raw_orders", "raw_orders")
    assert label_names("clea…_transactions", "cleaned_transactions")
    assert not label_names("clea…_transactions", "customer_returns")
    assert not label_names("raw_order", "raw_orders")  # no silent prefix match without the ellipsis
    assert not label_names("raw_…orders", "raw_orders")  # a truncation must hide at least one character


def test_unmatched_reports_missing_and_ambiguous_labels():
    keys = ["forecast_backtest_metrics", "forecast_revenue_history", "raw_orders"]
    assert unmatched(["forecast_…_metrics", "forecast_…_history", "raw_orders"], keys) == ([], [])
    assert unmatched(["forecast_…_metrics", "raw_orders"], keys) == (["forecast_revenue_history"], [])
    assert unmatched(["forecast_…", "raw_orders"], keys) == ([], ["forecast_…"])


def test_png_size_reads_the_header():
    buffer = io.BytesIO()
    imsave(buffer, np.zeros((3, 7)), format="png")  # 3 rows of 7 pixels
    assert png_size(buffer.getvalue()) == (7, 3)
    with pytest.raises(ValueError):
        png_size(b"GIF89a" + bytes(30))
