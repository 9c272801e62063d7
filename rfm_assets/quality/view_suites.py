"""The great-expectations suite of each BI view (``dbt_like_views/``), from its sidecar.

A view asset is unpartitioned and shows the newest complete month; its suite says what a BI tool
relies on: exactly the documented columns, one row per the sidecar's ``keys`` (the grain), keys
never null, and only the newest complete month the ledger records (none while nothing is complete).
"""

from __future__ import annotations

from datetime import date

from rfm_assets.core.views import ViewDef
from rfm_assets.quality.lazy_gx import gxe  # great_expectations, imported when a check runs


def view_suite(view: ViewDef, newest_month: date | None) -> list:
    """Expectations for ``view`` when the ledger's newest complete month of its inputs is ``newest_month``."""
    keys = list(view.sidecar.keys)
    months = [newest_month] if newest_month else []
    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(view.sidecar.columns), exact_match=True),
        *(gxe.ExpectColumnValuesToNotBeNull(column=k) for k in keys),
        *([gxe.ExpectCompoundColumnsToBeUnique(column_list=keys)] if keys else []),
        gxe.ExpectColumnValuesToBeInSet(column="snapshot_month", value_set=months),
    ]
