"""The bulk dataset ``{dataset}-bulk``: month, year and full-history files built from the
published days (``build_bulk``), with their own manifest in the day format.

Anchoring hook: the bulk dataset gets its own registry entry (day = newest day covered),
made by the anchoring code. ``publication.anchoring.anchor_day`` anchors a folder of the day
layout (``{dataset}/YYYY/MM/DD``), which the bulk folder is not; ``bulk_anchor_target``
says what to anchor (dataset name, day, folder, manifest and its digest, anchor key and
where the receipt goes), for the anchoring work to call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from integrity.keys import anchor_key
from integrity.layout import ANCHOR
from integrity.manifest import load_manifest
from publication.bulk.build import BulkResult, build_bulk, write_pages
from publication.bulk.layout import BulkLayout, bulk_dataset


@dataclass(frozen=True)
class AnchorTarget:
    """What to anchor for the bulk dataset."""

    dataset: str
    day: dt.date
    folder: Path
    manifest: Path
    manifest_sha256: str
    anchor_key_hex: str
    receipt: Path


def bulk_anchor_target(root: Path, dataset: str) -> AnchorTarget | None:
    """The current bulk manifest as an anchoring target (None before the first build).

    HOOK for the anchoring code (issue 11): anchor ``manifest_sha256`` under
    ``anchor_key_hex`` (= ``anchor_key(dataset, day)``, the dataset being
    ``perucompras-ocam-bulk``) and write the receipt at ``receipt``; ``verificar`` then checks
    the bulk folder like a day.
    """
    bulk = BulkLayout(root, dataset)
    found = bulk.manifests() if bulk.folder.is_dir() else []
    if not found:
        return None
    manifest = load_manifest(found[-1])
    return AnchorTarget(
        dataset=bulk.name,
        day=manifest.day,
        folder=bulk.folder,
        manifest=found[-1],
        manifest_sha256=manifest.sha256,
        anchor_key_hex=anchor_key(bulk.name, manifest.day).hex(),
        receipt=bulk.folder / bulk.day_name(manifest.day, ANCHOR),
    )


__all__ = [
    "AnchorTarget",
    "BulkLayout",
    "BulkResult",
    "build_bulk",
    "bulk_anchor_target",
    "bulk_dataset",
    "write_pages",
]
