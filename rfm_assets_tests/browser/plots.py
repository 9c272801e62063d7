"""The PNG plots an instance recorded in asset materialization metadata, read straight from storage.

Assets embed plots as markdown images with a ``data:image/png;base64,...`` URI. This module finds
them through the Dagster instance (not the UI), so the browser test can compare what the UI shows
with what was stored, and a human can write them to files to look at (see ``render_plots.py``).
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg

DATA_URI = re.compile(r"!\[([^\]]*)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Plot:
    """One embedded PNG: which asset and metadata entry it is in, and from which run and partition."""

    asset: str
    label: str
    alt: str
    png: bytes
    run_id: str
    partition: str | None

    @property
    def size(self) -> tuple[int, int]:
        """Width and height from the PNG header (IHDR), without decoding the image."""
        return png_size(self.png)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, read from its IHDR chunk; raises ValueError if it is not a PNG."""
    if not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def latest_plots(instance: dg.DagsterInstance, assets: Iterable[str], partition: str | None = None) -> list[Plot]:
    """Every PNG in the latest materialization of each asset (of ``partition``, if given)."""
    plots = []
    for name in assets:
        key = dg.AssetKey.from_user_string(name)
        records_filter = dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None)
        records = instance.fetch_materializations(records_filter, limit=1).records
        if not records:
            continue
        materialization = records[0].asset_materialization
        if materialization is None:  # a record of fetch_materializations always carries one
            continue
        for label, value in materialization.metadata.items():
            if not isinstance(value, dg.MarkdownMetadataValue):
                continue
            for alt, encoded in DATA_URI.findall(value.md_str or ""):
                plots.append(
                    Plot(
                        asset=name,
                        label=label,
                        alt=alt,
                        png=base64.b64decode(encoded),
                        run_id=records[0].run_id,
                        partition=materialization.partition,
                    )
                )
    return plots
