"""What the tables of one layer share (Dagster group, owners, kinds), written once per asset module.

A module declares ``LAYER = Layer(GROUP, OWNERS, KINDS)`` and gives each of its multi-asset tables as
``LAYER.spec(name, deps=..., description=...)`` (built in Python) or ``LAYER.sql_spec(...)`` (built by
``sql/<name>.sql``: SQL kinds and the file's hash as code_version, see :func:`decorators.sql_spec`), and
declares a single asset built by SQL with ``@LAYER.sql_asset(name, deps=...)``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from rfm_assets.assets.decorators import monthly_sql_asset, sql_spec


@dataclass(frozen=True)
class Layer:
    """The group, owners and (for the tables built in Python) kinds of one layer's assets."""

    group: str
    owners: Sequence[str]
    kinds: frozenset[str] = frozenset()

    def spec(self, name: str, **kwargs: Any) -> dg.AssetSpec:
        """The spec of a table of this layer built in Python."""
        return dg.AssetSpec(name, group_name=self.group, kinds=set(self.kinds), owners=list(self.owners), **kwargs)

    def sql_spec(self, name: str, **kwargs: Any) -> dg.AssetSpec:
        """The spec of a table of this layer built by ``sql/<name>.sql``."""
        return sql_spec(name, group_name=self.group, owners=list(self.owners), **kwargs)

    def sql_asset(self, table: str, **kwargs: Any) -> Any:
        """Decorates the body of a monthly asset of this layer built by ``sql/<table>.sql``."""
        return monthly_sql_asset(table, group_name=self.group, owners=list(self.owners), **kwargs)
