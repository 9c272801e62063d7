"""Heavy libraries imported on first use, so that loading the code location stays light.

``dagster definitions validate`` (and every Dagster process that loads the code) imports every
asset and check module; pandas, numpy, polars and pyarrow add about a second to that before any
step needs them. A module writes::

    from rfm_assets.core.lazy import np, pd, pl

and uses them as usual: the type checker sees the real modules (imported here under
``TYPE_CHECKING``), and at run time each is a :class:`LazyModule` whose first attribute access imports
it (through ``importlib.import_module``, under the import system's lock, so it is safe from threads)
and copies its namespace, so later accesses cost a plain attribute lookup. Nothing is put in
``sys.modules``: other code importing the library gets the real module. Another library is made lazy
the same way, ``name = lazy("module")`` beside an ``import module as name`` under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any


class LazyModule(ModuleType):
    """Stands for module ``name`` until an attribute is read, then mirrors the imported module."""

    def __getattr__(self, attr: str) -> Any:  # only called for names not (yet) copied into __dict__
        module = importlib.import_module(self.__name__)
        if not self.__dict__.get("_lazy_loaded"):
            self.__dict__.update({k: v for k, v in vars(module).items() if k not in ("__name__", "__spec__")})
            self.__dict__["_lazy_loaded"] = True
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "loaded" if self.__dict__.get("_lazy_loaded") else "not loaded yet"
        return f"<lazy module {self.__name__!r} ({state})>"


def lazy(name: str) -> Any:
    """A stand-in for ``import name`` that imports the module on first attribute access."""
    return LazyModule(name)


if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import polars as pl
else:
    np, pd, pl = lazy("numpy"), lazy("pandas"), lazy("polars")

__all__ = ["LazyModule", "lazy", "np", "pd", "pl"]
