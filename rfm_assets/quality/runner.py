"""Run a great-expectations suite on one partition and summarise the outcome for humans.

dagster-ge still requires GX < 1, so the project calls GX 1.x itself: an ephemeral context, a
pandas datasource, one whole-dataframe batch per validation.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")
logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Outcome:
    """One expectation's result."""

    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    samples: list[Any] = field(default_factory=list)
    sample_rows_markdown: str = ""

    @property
    def label(self) -> str:
        return f"{self.expectation}({self.column})" if self.column else self.expectation


@dataclass(frozen=True)
class Report:
    """A suite's result on one batch."""

    suite: str
    success: bool
    row_count: int
    outcomes: list[Outcome]

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    def describe(self) -> str:
        """Markdown: one line per expectation, failures first with counts and sample rows."""
        lines = [
            f"**{self.suite}** on {self.row_count:,} rows: "
            f"{len(self.outcomes) - len(self.failures)}/{len(self.outcomes)} expectations met",
            "",
        ]
        for o in sorted(self.outcomes, key=lambda o: o.success):
            mark = "PASS" if o.success else "FAIL"
            detail = ""
            if o.unexpected_count:
                detail = f": {o.unexpected_count:,} unexpected ({o.unexpected_percent:.3g}%), e.g. {o.samples[:5]}"
            elif o.observed_value is not None and not o.success:
                detail = f": observed {o.observed_value!r}"
            lines.append(f"- {mark} `{o.label}`{detail}")
            if o.sample_rows_markdown:
                lines += ["", o.sample_rows_markdown, ""]
        return "\n".join(lines)


@cache
def _batch_definition() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # No "Calculating Metrics" bars on stderr: a run's output is for people, one line per month.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("warehouse_partition")
    return source.add_dataframe_asset("partition").add_batch_definition_whole_dataframe("whole")


def _sample_rows(df: pd.DataFrame, column: str | None, samples: list[Any]) -> str:
    if column is None or column not in df.columns or not samples:
        return ""
    rows = df[df[column].isin([s for s in samples if s is not None])].head(5)
    if rows.empty and any(s is None for s in samples):
        rows = df[df[column].isna()].head(5)
    return rows.to_markdown(index=False, disable_numparse=True) if not rows.empty else ""


def validate(df: pd.DataFrame, suite_name: str, expectations: list[Any]) -> Report:
    """Validate ``df`` against ``expectations`` (GX expectation objects) as suite ``suite_name``."""
    import great_expectations as gx

    batch_definition = _batch_definition()  # also makes the ephemeral context the active one
    suite = gx.ExpectationSuite(name=suite_name)
    for expectation in expectations:
        suite.add_expectation(expectation)  # suites build fresh expectation objects per call
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
        result = batch.validate(suite, result_format="SUMMARY")
    outcomes = []
    for r in result.results:
        cfg = r.expectation_config
        column = cfg.kwargs.get("column")
        res = r.result or {}
        samples = list(res.get("partial_unexpected_list") or [])
        outcomes.append(
            Outcome(
                expectation=cfg.type,
                column=column,
                success=bool(r.success),
                unexpected_count=res.get("unexpected_count"),
                unexpected_percent=res.get("unexpected_percent"),
                observed_value=res.get("observed_value"),
                samples=samples,
                sample_rows_markdown="" if r.success else _sample_rows(df, column, samples),
            )
        )
    return Report(suite=suite_name, success=bool(result.success), row_count=len(df), outcomes=outcomes)
