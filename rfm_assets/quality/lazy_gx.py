"""``gxe``: great_expectations.expectations, imported on first use.

Importing great-expectations takes seconds (its data context, datasources, checkpoint machinery).
The suites only build expectation objects when a check runs, so the modules that declare them
import this stand-in instead; loading the definitions (``dagster dev``, ``dagster definitions
validate``) never imports great-expectations. ``from rfm_assets.quality.lazy_gx import gxe`` replaces
``import great_expectations.expectations as gxe`` with no other change.
"""

from __future__ import annotations

import importlib
from typing import Any

MODULE = "great_expectations.expectations"


class _LazyExpectations:
    """Attribute reads go to great_expectations.expectations, imported by the first one."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module(MODULE), name)

    def __repr__(self) -> str:
        return f"<lazy {MODULE}>"


gxe = _LazyExpectations()
