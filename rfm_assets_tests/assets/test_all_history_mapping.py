"""ALL_HISTORY ("every month up to this one") reaches the first partition from the last, and no further
than it needs: Dagster walks the offset one month at a time for every input of every step."""

from datetime import date

import dagster as dg
import pytest

from rfm_assets.assets.inputs import all_history_offset
from rfm_assets.core.months import add_months

# The mapping is built here as rfm_assets.assets.inputs builds it; its beta parameter is the choice under test.
pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")


def _upstream(partitions: dg.TimeWindowPartitionsDefinition, key: str) -> list[str]:
    mapping = dg.TimeWindowPartitionMapping(
        start_offset=all_history_offset(partitions), end_offset=0, allow_nonexistent_upstream_partitions=True
    )
    result = mapping.get_upstream_mapped_partitions_result_for_partitions(
        partitions.empty_subset().with_partition_keys([key]), partitions, partitions
    )
    return sorted(result.partitions_subset.get_partition_keys())


@pytest.mark.parametrize("months", [1, 2, 24, 37])
def test_fixed_partitions_reach_every_earlier_month_and_no_further(months: int) -> None:
    end = add_months(date(2010, 1, 1), months)
    partitions = dg.MonthlyPartitionsDefinition(start_date="2010-01-01", end_date=end.isoformat())
    keys = partitions.get_partition_keys()
    assert len(keys) == months
    assert all_history_offset(partitions) == -months
    for i, key in enumerate(keys):  # month i reads months 0..i: never a later one
        assert _upstream(partitions, key) == keys[: i + 1]


def test_live_partitions_keep_a_margin_for_months_still_to_come() -> None:
    partitions = dg.MonthlyPartitionsDefinition(start_date="2024-01-01")
    now = len(partitions.get_partition_keys())
    assert all_history_offset(partitions, live_margin_months=120) == -(now + 120)
    last = partitions.get_last_partition_key()
    assert last is not None
    assert _upstream(partitions, last)[0] == "2024-01-01"
