"""Time the project's own code inside a real Dagster run, to split its wall time by who spends it.

Every plain function of ``rfm_assets.core.*`` (compute), of ``rfm_assets.core.plots`` and
``rfm_assets.assets.metadata`` (metadata and plots shown in the UI) and
``rfm_assets.quality.runner.validate`` (great-expectations) is wrapped by a timer, wherever a
module holds a reference to it, and so is ``rfm_assets.checks.table_checks.evaluate_groups`` (every
check of a step: the partition reads and the suites), which runs inside the asset's own step since the
checks moved there. Only the outermost wrapped call counts, so nested calls are never counted twice,
except great-expectations inside the checks (its own row is a part of theirs). The wrappers add a
``perf_counter`` pair per call and change nothing else.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

COMPUTE, METADATA, VALIDATION, CHECKS = "compute", "metadata_plots", "validation_gx", "checks"
# what a @contextmanager function returns (warehouse.connect); only these are timed on enter/exit
_GENERATOR_CONTEXT = type(contextlib.contextmanager(lambda: iter([None]))())


@dataclass
class Interval:
    category: str
    label: str
    start: float  # time.time(), comparable with Dagster's event timestamps
    seconds: float


@dataclass
class Recorder:
    intervals: list[Interval] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)  # categories of the timed calls now running

    @property
    def depth(self) -> int:
        return len(self.stack)

    def timed_call(self, category: str, label: str, func: Callable, *args: Any, **kwargs: Any) -> Any:
        if self.stack and not (category == VALIDATION and self.stack[-1] == CHECKS):
            return func(*args, **kwargs)
        self.stack.append(category)
        wall, start = time.time(), time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            self.stack.pop()
            self.intervals.append(Interval(category, label, wall, time.perf_counter() - start))

    def wrap(self, func: Callable, category: str, label: str) -> Callable:
        if inspect.isgeneratorfunction(func):  # evaluate_groups: all its work is done before it yields

            @functools.wraps(func)
            def timed_items(*args: Any, **kwargs: Any) -> Any:
                return iter(self.timed_call(category, label, lambda: list(func(*args, **kwargs))))

            timed_items.__wrapped_by_bench__ = True  # type: ignore[attr-defined]
            return timed_items

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            result = self.timed_call(category, label, func, *args, **kwargs)
            if isinstance(result, _GENERATOR_CONTEXT) and not self.depth:
                return _TimedContext(result, self, category, label)
            return result

        timed.__wrapped_by_bench__ = True  # type: ignore[attr-defined]
        return timed


class _TimedContext:
    """A context manager returned by a wrapped function (``warehouse.connect``): its enter and exit
    count too, e.g. DuckDB's checkpoint of the written pages when the connection closes."""

    def __init__(self, inner: Any, recorder: Recorder, category: str, label: str) -> None:
        self.inner, self.recorder, self.category, self.label = inner, recorder, category, label

    def __enter__(self) -> Any:
        return self.recorder.timed_call(self.category, self.label + ".__enter__", self.inner.__enter__)

    def __exit__(self, *exc: Any) -> Any:
        return self.recorder.timed_call(self.category, self.label + ".__exit__", self.inner.__exit__, *exc)


def _category(module: str, name: str) -> str | None:
    if module in ("rfm_assets.core.plots", "rfm_assets.assets.metadata"):
        return METADATA
    if module == "rfm_assets.quality.runner":
        return VALIDATION if name == "validate" else None
    if module == "rfm_assets.checks.table_checks":
        return CHECKS if name == "evaluate_groups" else None
    if module.startswith("rfm_assets.core."):
        return COMPUTE
    return None


def install(recorder: Recorder) -> int:
    """Wrap the project's functions in every loaded ``rfm_assets`` module; returns how many."""
    modules = {n: m for n, m in list(sys.modules.items()) if n.startswith("rfm_assets") and m is not None}
    wrappers: dict[int, Callable] = {}
    for name, module in modules.items():
        for attr, obj in list(vars(module).items()):
            if inspect.isfunction(obj) and obj.__module__ == name and not getattr(obj, "__wrapped_by_bench__", False):
                category = _category(name, attr)
                if category:
                    wrappers[id(obj)] = recorder.wrap(obj, category, f"{name.removeprefix('rfm_assets.')}.{attr}")
    for module in modules.values():
        for attr, obj in list(vars(module).items()):
            if inspect.isfunction(obj) and id(obj) in wrappers:
                setattr(module, attr, wrappers[id(obj)])
    return len(wrappers)
