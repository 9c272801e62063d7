"""Failure isolation for `rfm-assets run`: which asset-months to leave out after a failure.

A failed asset-month (a failed step, or an asset whose blocking check failed) blocks its
descendants: in the same month (Dagster skips those steps itself) and in every later month that
reads it, directly or through other assets. "Reads it" comes from the Definitions' asset graph and
its partition mappings (``ALL_HISTORY``: every later month; ``PREVIOUS_AND_THIS``: the next month;
identity: the same month), never from a hand-kept list. Multi-assets that cannot be subset (e.g.
``revenue_forecasts``) are left out whole. Everything else still runs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dagster as dg
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@dataclass(frozen=True)
class Cause:
    """The asset-month whose failure something else waits on."""

    asset: str
    month: str  # partition key, YYYY-MM-01

    def __str__(self) -> str:
        return f"{self.asset} {self.month[:7]}"


@dataclass(frozen=True)
class Outcome:
    """What happened to one asset in one month: ok, failed (with why) or skipped (because of ``cause``)."""

    status: str
    reason: str = ""
    cause: Cause | None = None
    by_check: bool = False  # failed because a blocking check failed: the data is written (and in the ledger)


class RunPlan:
    """The asset-months of a month-by-month run, and which of them earlier failures block.

    ``asset_graph``: the Definitions' asset graph; ``asset_keys``: the job's assets (all sharing
    the monthly partitions); ``months``: the partition keys to run, oldest first.
    """

    def __init__(self, asset_graph: BaseAssetGraph, asset_keys: Iterable[dg.AssetKey], months: Sequence[str]) -> None:
        self.graph = asset_graph
        self.keys = frozenset(asset_keys)
        self.months = list(months)
        self._order = {m: i for i, m in enumerate(self.months)}
        self.blocked: dict[str, dict[dg.AssetKey, Cause]] = {m: {} for m in self.months}
        self.outcomes: dict[str, dict[dg.AssetKey, Outcome]] = {}

    def execution_set(self, key: dg.AssetKey) -> frozenset[dg.AssetKey]:
        """The assets that must run together with ``key`` (itself, or a whole non-subsettable multi-asset)."""
        return frozenset(self.graph.get(key).execution_set_asset_keys) & self.keys | {key}

    def selection(self, month: str) -> list[dg.AssetKey] | None:
        """The assets to run for ``month``: None = every asset of the job (nothing blocked)."""
        blocked = self.blocked[month]
        if not blocked:
            return None
        return sorted(self.keys - set(blocked), key=lambda k: k.to_user_string())

    def record(self, month: str, outcomes: dict[dg.AssetKey, Outcome]) -> None:
        """Store the month's outcomes (the blocked assets as skipped) and block what depends on failures."""
        full = {k: Outcome(SKIPPED, cause=c) for k, c in self.blocked[month].items()}
        full.update(outcomes)
        self.outcomes[month] = full
        # in name order, so the cause a later month names does not depend on the order events arrived in
        for key, outcome in sorted(full.items(), key=lambda item: item[0].to_user_string()):
            if outcome.status == FAILED:
                self._block_descendants(key, month)

    def merge(self, month: str, outcomes: dict[dg.AssetKey, Outcome]) -> None:
        """Add the outcomes of some of a month's assets (a batch of ``--workers``) and block what depends on
        their failures in later months (the parallel scheduler skips same-month descendants itself)."""
        self.outcomes.setdefault(month, {}).update(outcomes)
        for key, outcome in sorted(outcomes.items(), key=lambda item: item[0].to_user_string()):
            if outcome.status == FAILED:
                self._block_descendants(key, month)

    def _block_descendants(self, key: dg.AssetKey, month: str) -> None:
        """Walk the asset-partition graph from (key, month); block every later-month asset it reaches."""
        cause = Cause(key.to_user_string(), month)
        start = self._order[month]
        seen = {(key, month)}
        todo = deque(seen)
        while todo:
            parent, parent_month = todo.popleft()
            for child in self.graph.get_children_partitions(parent, parent_month):
                child_month = child.partition_key
                if child.asset_key not in self.keys or child_month is None or self._order.get(child_month, -1) < start:
                    continue
                for member in self.execution_set(child.asset_key):
                    node = (member, child_month)
                    if node in seen:
                        continue
                    seen.add(node)
                    todo.append(node)
                    if child_month != month:  # the month's own run skips its descendants itself
                        self.blocked[child_month].setdefault(member, cause)

    def counts(self) -> dict[str, int]:
        """How many asset-months are ok, failed and skipped so far."""
        totals = {OK: 0, FAILED: 0, SKIPPED: 0}
        for outcomes in self.outcomes.values():
            for outcome in outcomes.values():
                totals[outcome.status] += 1
        return totals
