"""The files of a source: listing, duplicate detection and the fingerprint that keys the staging cache."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

from rfm_assets.core.sources.errors import SourceError
from rfm_assets.core.sources.spec import FILE_TYPES, SourceSpec

# Bump when the staged schema or the typing rules change: old cache entries are then restaged.
STAGING_VERSION = 2  # 2: quarantined lines (rejects file), trusted month range


def source_files(path: Path) -> list[Path]:
    """The file itself, or the folder's ``*.csv``, ``*.xlsx``, ``*.parquet`` sorted by name (non-recursive).

    Raises SourceError for an unsupported file type, an empty folder, or two identical files in a folder.
    """
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() not in FILE_TYPES:
            raise SourceError(
                path.name, f"unsupported file type {path.suffix or '(none)'!r}; use one of {', '.join(FILE_TYPES)}"
            )
        return [path]
    files = sorted(
        (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FILE_TYPES and not p.name.startswith(".")),
        key=lambda p: p.name,
    )
    if not files:
        raise SourceError(path, f"the folder holds no {', '.join('*' + t for t in FILE_TYPES)} files")
    _refuse_duplicates(files)
    return files


def _refuse_duplicates(files: list[Path]) -> None:
    """Two files with the same bytes would count every line twice: refuse, naming both."""
    by_size: dict[int, list[Path]] = defaultdict(list)
    for file in files:
        by_size[file.stat().st_size].append(file)
    for same_size in by_size.values():
        if len(same_size) < 2:
            continue
        seen: dict[str, Path] = {}
        for file in same_size:
            digest = _sha256(file)
            if digest in seen:
                raise SourceError(
                    file.name,
                    f"{file.name!r} has exactly the same content as {seen[digest].name!r}: every line would be "
                    "counted twice; remove one of them from the folder",
                    samples=[seen[digest].name, file.name],
                )
            seen[digest] = file


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(spec: SourceSpec, files: list[Path]) -> str:
    """sha256 of the staging version, format, mapping and each file's name, size and mtime_ns."""
    stats = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    doc = {
        "version": STAGING_VERSION,
        "format": spec.format,
        "columns": sorted((spec.columns or {}).items()),
        "files": stats,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
