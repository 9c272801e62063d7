"""The great-expectations suite of every table, generated from the ``checks:`` of its sidecar ``sql/<table>.yml``.

A suite is a function of the partition month, so that month-relative bounds (dates inside the month)
are stated exactly. Every suite starts with "exactly the sidecar's columns"; the rest comes from the
vocabulary below (every key optional, order irrelevant):

    checks:
      summary: text                      # the check's description in the UI
      min_rows: 1                        # at least this many rows
      not_null: [col, ...]
      unique: [col, ...]                 # each column unique on its own
      unique_together: [[a, b], ...]     # compound keys
      between:                           # min and max each optional; a list of such mappings for several
        col: {min: 0, max: 1, strict_min: true, strict_max: false}
      in_month: [col, ...]               # timestamps in [first day of the month, first day of the next)
      in_set: {col: [v, ...]}            # or {col: {python: "module:NAME"}} for a list kept in code
      not_match: {col: regex}
      contains: {col: [v, ...]}          # the column's distinct values include these
      ordered: ["a >= b", "c > d"]       # row-wise comparison of two columns

Values (``min_rows``, ``between``'s ``min``/``max``): a number; ``finite`` / ``-finite`` (+-1e15: GX's range
checks reject +-inf beyond it; NaN counts as null); ``{month_start: K}``, the timestamp of the first day
of the month K months after the partition month (1 = the day after its last day); ``{days_since: K,
plus: N}``, the days from the first day of month+K to the day after the month's last day, plus N.
K, N and ``min_rows`` may be integer expressions of ``$window_months`` (the RFM window) and
``$horizon_months`` (the forecast horizon), e.g. ``"1 - $window_months"``.
"""

from __future__ import annotations

import ast
import importlib
import operator
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from rfm_assets.core.months import add_months
from rfm_assets.core.sqlfiles import SQL_DIR, Sidecar, SidecarError, load_sidecar, table_names
from rfm_assets.quality.lazy_gx import gxe  # great_expectations, imported when a check runs

Suite = Callable[[date], list]

FINITE = 1e15
VOCABULARY = {
    "summary",
    "min_rows",
    "not_null",
    "unique",
    "unique_together",
    "between",
    "in_month",
    "in_set",
    "not_match",
    "contains",
    "ordered",
}
_SHAPES = {
    "not_null": list,
    "unique": list,
    "unique_together": list,
    "in_month": list,
    "ordered": list,
    "between": dict,
    "in_set": dict,
    "not_match": dict,
    "contains": dict,
}
_PARAM = re.compile(r"\$([a-z_]+)")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
_ORDERED = re.compile(r"^\s*(\w+)\s*(>=|>)\s*(\w+)\s*$")


def _integer(value: Any, params: dict[str, int]) -> int:
    """An integer, or an integer expression of ``$window_months`` / ``$horizon_months``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _PARAM.sub(lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), str(value))

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise SidecarError(f"not an integer expression of {sorted(params)}: {value!r}")

    try:
        return ev(ast.parse(text, mode="eval").body)
    except SyntaxError as exc:
        raise SidecarError(f"not an integer expression of {sorted(params)}: {value!r}") from exc


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _value(value: Any, month: date, params: dict[str, int]) -> Any:
    """A bound: a number, ``finite``/``-finite``, ``{month_start: K}`` or ``{days_since: K, plus: N}``."""
    if isinstance(value, str) and value.strip() in ("finite", "-finite"):
        return -FINITE if value.strip().startswith("-") else FINITE
    if isinstance(value, dict) and set(value) == {"month_start"}:
        return _midnight(add_months(month, _integer(value["month_start"], params)))
    if isinstance(value, dict) and "days_since" in value and set(value) <= {"days_since", "plus"}:
        start = add_months(month, _integer(value["days_since"], params))
        return (add_months(month, 1) - start).days + _integer(value.get("plus", 0), params)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise SidecarError(f"unknown bound {value!r}: a number, finite, {{month_start: K}} or {{days_since: K}}")


def _between(column: str, spec: dict, month: date, params: dict[str, int]) -> Any:
    unknown = set(spec) - {"min", "max", "strict_min", "strict_max"}
    if unknown:
        raise SidecarError(f"between {column}: unknown key(s) {sorted(unknown)}")
    kwargs: dict[str, Any] = {"column": column}
    if "min" in spec:
        kwargs["min_value"] = _value(spec["min"], month, params)
    if "max" in spec:
        kwargs["max_value"] = _value(spec["max"], month, params)
    kwargs.update({k: True for k in ("strict_min", "strict_max") if spec.get(k)})
    return gxe.ExpectColumnValuesToBeBetween(**kwargs)


def _value_set(values: Any) -> list:
    if isinstance(values, dict) and set(values) == {"python"}:
        module, _, name = str(values["python"]).partition(":")
        return list(getattr(importlib.import_module(module), name))
    if not isinstance(values, list):
        raise SidecarError(f"a value set is a list or {{python: 'module:NAME'}}, got {values!r}")
    return list(values)


def _ordered(rule: str) -> Any:
    match = _ORDERED.match(rule)
    if not match:
        raise SidecarError(f"ordered: {rule!r} is not 'column_a >= column_b' (or >)")
    a, op, b = match.groups()
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=a, column_B=b, or_equal=op == ">=")


def expectations(sidecar: Sidecar, month: date, params: dict[str, int]) -> list:
    """The expectations of ``sidecar``'s ``checks`` for ``month`` (GX objects, fresh on every call)."""
    checks = sidecar.checks
    unknown = set(checks) - VOCABULARY
    if unknown:
        raise SidecarError(f"{sidecar.name}.yml checks: unknown key(s) {sorted(unknown)}; known: {sorted(VOCABULARY)}")
    for key, kind in _SHAPES.items():
        if key in checks and not isinstance(checks[key], kind):
            raise SidecarError(f"{sidecar.name}.yml checks.{key} must be a {kind.__name__}, got {checks[key]!r}")
    out = [gxe.ExpectTableColumnsToMatchSet(column_set=list(sidecar.columns), exact_match=True)]
    if "min_rows" in checks:
        out.append(gxe.ExpectTableRowCountToBeBetween(min_value=_integer(checks["min_rows"], params)))
    out += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in checks.get("not_null", [])]
    out += [gxe.ExpectColumnValuesToBeUnique(column=c) for c in checks.get("unique", [])]
    out += [gxe.ExpectCompoundColumnsToBeUnique(column_list=list(k)) for k in checks.get("unique_together", [])]
    for column, specs in (checks.get("between") or {}).items():
        out += [_between(column, s, month, params) for s in (specs if isinstance(specs, list) else [specs])]
    out += [
        _between(c, {"min": {"month_start": 0}, "max": {"month_start": 1}, "strict_max": True}, month, params)
        for c in checks.get("in_month", [])
    ]
    out += [
        gxe.ExpectColumnValuesToBeInSet(column=c, value_set=_value_set(v))
        for c, v in (checks.get("in_set") or {}).items()
    ]
    out += [
        gxe.ExpectColumnValuesToNotMatchRegex(column=c, regex=str(r))
        for c, r in (checks.get("not_match") or {}).items()
    ]
    out += [
        gxe.ExpectColumnDistinctValuesToContainSet(column=c, value_set=_value_set(v))
        for c, v in (checks.get("contains") or {}).items()
    ]
    out += [_ordered(rule) for rule in checks.get("ordered", [])]
    return out


class SidecarSuite:
    """A table's suite: ``suite(month)`` gives its expectations; ``__doc__`` is the sidecar's summary."""

    def __init__(self, sidecar: Sidecar, params: dict[str, int]) -> None:
        self.sidecar, self.params = sidecar, dict(params)
        self.__doc__ = str(sidecar.checks.get("summary", "")).strip()

    def __call__(self, month: date) -> list:
        return expectations(self.sidecar, month, self.params)

    def __repr__(self) -> str:
        return f"SidecarSuite({self.sidecar.name!r}, {self.params})"


def build_suites(window_months: int = 12, horizon_months: int | None = None) -> dict[str, SidecarSuite]:
    """Every table's suite, keyed by table (= asset) name: each sidecar in ``sql/`` with ``checks``."""
    if horizon_months is None:
        from rfm_assets.core.forecasting import ForecastConfig

        horizon_months = ForecastConfig.horizon_months
    params = {"window_months": window_months, "horizon_months": horizon_months}
    sidecars = [load_sidecar(name, SQL_DIR) for name in table_names(SQL_DIR)]
    return {s.name: SidecarSuite(s, params) for s in sidecars if s.checks}
