"""A deliberately broken month in the Dagster UI: a failed blocking check with a readable explanation.

The month is one of the bad-input corpus' good March 2011 exports (200 Online Retail II lines) with
one line's Customer ID float-rendered as text ('ABC.0'), a value a customer id never takes.
`rfm-assets run` loads it into a temporary warehouse and DAGSTER_HOME and stops the month at the
failed blocking check; `dagster dev` then serves that same instance, and headless Chromium opens
the checks of ``raw_orders``, the asset that first holds the bad value. What the page must show is
derived from what was broken (the column, the value, the month), not copied from the code's output.
Screenshots go to $UI_SCREENSHOTS_DIR if set, else to a pytest temporary folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rfm_assets_tests.bad_inputs.make_corpus import HEADER, MONTH, csv_bytes, good_lines
from rfm_assets_tests.browser.ui import chromium_page, require_chromium, screenshot_dir
from rfm_assets_tests.browser.webserver import REPO, dagster_dev, instance_home, project_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ASSET, CHECK = "raw_orders", "gx_suite"  # the first asset holding the bad id, and its blocking suite
BROKEN_LINE = 4
BROKEN_VALUE = "ABC.0"  # float-rendered text: ids are digits, or text never ending in '.0'
BROKEN_COLUMN = "customer_id"  # the warehouse's name for the export's "Customer ID"
PARTITION = f"{MONTH}-01"
RUN_TIMEOUT_S = 600  # one month of 200 lines: ~15 s idle, most of it importing the definitions
LOAD_TIMEOUT_MS = 90_000  # the code location loads the definitions (~10 s on 2 busy cores)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return screenshot_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`dagster dev` on the instance where `rfm-assets run` recorded the broken month's failed run."""
    require_chromium()  # before paying for a run and a server start
    work = tmp_path_factory.mktemp("ui_failed_check")
    lines = good_lines()
    lines[BROKEN_LINE][HEADER.index("Customer ID")] = BROKEN_VALUE
    source = work / "source" / "orders.csv"
    source.parent.mkdir()
    source.write_bytes(csv_bytes(lines))
    env = {"RFM_WAREHOUSE": str(work / "warehouse.duckdb"), "RFM_SOURCE": str(source)}
    proc = subprocess.run(
        [sys.executable, "-m", "rfm_assets.cli", "run"],
        cwd=REPO,
        env=project_env(env, instance_home(work)),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert proc.returncode == 1, f"the broken month must fail:\n{proc.stdout}\n{proc.stderr}"
    with dagster_dev(work, env) as running:
        yield running


def test_failed_blocking_check_is_explained_in_the_ui(server, shots):
    with chromium_page(server.url) as page:
        page.goto(f"/assets/{ASSET}?view=checks&checkDetail={CHECK}")
        # The list of the asset's checks: this one marked failed, with the red (error) icon.
        row = page.locator("[class*='AssetChecks_checkRow']").filter(has_text=CHECK).first
        row.wait_for(timeout=LOAD_TIMEOUT_MS)
        section = (
            page.locator("div")
            .filter(has=page.get_by_text("Latest execution", exact=True))
            .filter(has=page.get_by_text("Evaluation result", exact=True))
            .last
        )
        explanation = section.locator("[class*='Description_container']").first
        explanation.wait_for(timeout=LOAD_TIMEOUT_MS)
        page.screenshot(path=shots / f"failed_check_{ASSET}__{CHECK}.png")

        expect(row).to_contain_text("Failed")
        expect(row.locator("[role=img][aria-label='cancel']")).to_have_count(1)  # error, not a warning
        expect(page.get_by_text("This is a blocking asset check.")).to_be_visible()

        text = explanation.inner_text()
        assert BROKEN_COLUMN in text and BROKEN_VALUE in text, text  # names the column and the value
        assert "Traceback" not in text and len(text) < 600, text  # a sentence, not a stack dump

        result = section.locator("div").filter(has=page.get_by_text("Evaluation result", exact=True)).last
        expect(result.get_by_text("Failed", exact=True)).to_be_visible()
        expect(result.locator("[role=img][aria-label='cancel']")).to_have_count(1)
        expect(result.locator("[role=img][aria-label='warning_outline']")).to_have_count(0)
        expect(section.get_by_text(PARTITION, exact=True)).to_be_visible()
