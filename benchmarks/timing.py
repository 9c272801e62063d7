"""A stopwatch that names its laps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Laps:
    """``with laps("read"): ...`` adds the block's seconds under "read"; ``total`` sums every lap."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def result(self, **extra: object) -> dict[str, object]:
        """The child's result: ``seconds`` (total), each lap as ``lap_<name>``, plus ``extra``."""
        return {"seconds": self.total, **{f"lap_{k}": v for k, v in self.seconds.items()}, **extra}
