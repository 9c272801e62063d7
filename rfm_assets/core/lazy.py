"""Heavy libraries imported on first use, so that loading the code location stays light.

``dagster definitions validate`` (and every Dagster process that loads the code) imports every
asset and check module; pandas, numpy, polars and pyarrow add about a second to that before any
step needs them. A module writes::

    if TYPE_CHECKING:
        import pandas as pd
    else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
        pd = lazy("pandas")

and uses ``pd`` as usual: the type checker sees the real module, and at run time the first
attribute access imports it (through ``importlib.import_module``, under the import system's lock, so
it is safe from threads) and copies its namespace, so later accesses cost a plain attribute lookup.
Nothing is put in ``sys.modules``: other code importing the library gets the real module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


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
