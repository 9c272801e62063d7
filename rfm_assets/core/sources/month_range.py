"""The month range of a source as its last staging recorded it, readable without reading the source.

Loading the definitions needs the source's first and last month (the monthly partitions). Every
staging (``stage_source``: the ``raw_orders`` asset of each run, ``rfm-assets run`` before it loads
the definitions) writes ``month_range.json`` in the staging folder: the source's path, format and
mapping, the fingerprint of its files (names, sizes, mtimes) and its first and last month. A code
load then only lists the source's files and reads that small file:

- recorded for the files as they are now: the exact range (``current``);
- recorded for this source before its files changed (e.g. a new month landed): that range, until
  the next staging refreshes it (``current`` is False: reload the code location after the next run
  to see the new months); never a reason to read the source at load;
- nothing recorded for this source: ``None`` (the caller decides; ``source_month_range`` stages).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rfm_assets.core.sources.files import fingerprint
from rfm_assets.core.sources.spec import FILE_TYPES, SourceSpec, StagedSource

RECORD = "month_range.json"


@dataclass(frozen=True)
class MonthRange:
    """First and last month (first days); ``current``: recorded for the source's files as they are now."""

    first: date
    last: date
    current: bool


def recorded_month_range(spec: SourceSpec, staging_dir: Path) -> MonthRange | None:
    """The range the last staging of this source recorded, or None; stats the files, reads no line."""
    try:
        doc = json.loads((Path(staging_dir) / RECORD).read_text(encoding="utf-8"))
        if doc["source"] != _identity(spec):
            return None
        first, last = date.fromisoformat(doc["first_month"]), date.fromisoformat(doc["last_month"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return MonthRange(first=first, last=last, current=doc.get("fingerprint") == _stat_fingerprint(spec))


def record_month_range(spec: SourceSpec, staging_dir: Path, staged: StagedSource) -> None:
    """Write ``month_range.json`` for ``staged`` (atomically; untouched when it already says so)."""
    doc = {
        "source": _identity(spec),
        "fingerprint": staged.fingerprint,
        "first_month": staged.first_month.isoformat(),
        "last_month": staged.last_month.isoformat(),
    }
    path = Path(staging_dir) / RECORD
    text = json.dumps(doc, indent=2) + "\n"
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    tmp = path.with_name(f".{RECORD}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _identity(spec: SourceSpec) -> dict:
    """What makes two staged sources the same source: where, which format, which column mapping."""
    return {
        "path": str(Path(spec.path).resolve()),
        "format": spec.format,
        "columns": sorted([k, v] for k, v in (spec.columns or {}).items()),
    }


def _stat_fingerprint(spec: SourceSpec) -> str | None:
    """The staging fingerprint of the source's files now, from their names, sizes and mtimes only."""
    path = Path(spec.path)
    try:
        files = (
            [path]
            if path.is_file()
            else sorted(
                (
                    p
                    for p in path.iterdir()
                    if p.is_file() and p.suffix.lower() in FILE_TYPES and not p.name.startswith(".")
                ),
                key=lambda p: p.name,
            )
        )
        return fingerprint(spec, files)
    except OSError:
        return None
