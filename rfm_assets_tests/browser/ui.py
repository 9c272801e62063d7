"""Headless Chromium for the browser test, and the few Dagster UI conventions the test relies on."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

# The machine has no internet: keep Chromium from calling home (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Asset names in the lineage graph (CSS-module class names, stable for a pinned dagster-webserver).
GRAPH_NODE_NAME = "[class*='AssetNode_assetName']"


def require_chromium() -> str:
    """Debian's chromium binary; skip without it, except under CI where a missing browser fails."""
    path = shutil.which("chromium")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: CI must install it (.ci/run runs apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); under CI=true this fails instead")


def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """$UI_SCREENSHOTS_DIR if set (created), else a fresh pytest temporary folder."""
    folder = os.environ.get("UI_SCREENSHOTS_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("ui_screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def chromium_page(base_url: str) -> Iterator[Page]:
    """A page of headless Debian Chromium on ``base_url`` (a running Dagster UI), 1600x1000."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1000}, base_url=base_url)
            context.set_default_timeout(30_000)
            # Pre-dismiss the UI's community sign-up dialog so screenshots show the page; should the
            # key ever change, the locator handler still clears the dialog before any click.
            context.add_init_script("window.localStorage.setItem('communityNux', '1')")
            page = context.new_page()
            dismiss_community_modal(page)
            yield page
        finally:
            browser.close()


def dismiss_community_modal(page: Page) -> None:
    """Close the 'Join the Dagster community' dialog whenever it gets in the way of an action."""
    modal = page.get_by_role("dialog").filter(has_text="Join the Dagster community")
    page.add_locator_handler(modal, lambda m: m.get_by_role("button", name="Skip").click(), no_wait_after=True)


def label_names(label: str, key: str) -> bool:
    """Whether a graph label shows asset ``key``: equal, or middle-truncated ('clea…_transactions')."""
    if "…" not in label:
        return label == key
    head, tail = label.split("…", 1)
    return key.startswith(head) and key.endswith(tail) and len(head) + len(tail) < len(key)


def unmatched(labels: Iterable[str], keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """Keys no label shows, and labels that show no key or more than one (both empty when they match)."""
    labels, keys = list(labels), list(keys)
    missing = [k for k in keys if not any(label_names(lb, k) for lb in labels)]
    ambiguous = [lb for lb in labels if sum(label_names(lb, k) for k in keys) != 1]
    return missing, ambiguous
