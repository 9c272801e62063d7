"""Quoting of SQL identifiers, the one definition every module that writes SQL by hand uses."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (embedded quotes doubled): ``a"b`` -> ``"a""b"``."""
    return '"' + name.replace('"', '""') + '"'
