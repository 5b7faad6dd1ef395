"""The bulk dataset ``{dataset}-bulk``: month, year and full-history files built from the
published days (``build_bulk``), with their own manifest in the day format.

Anchoring: the bulk dataset has its own registry entries, dataset ``{dataset}-bulk``, day =
the newest day covered, under the same trust pin as the days. ``bulk_anchor_target`` says
what to anchor (dataset name, day, folder, manifest, where the receipt goes);
``publication.anchoring.anchor_targets`` anchors it through the same journal as the days. A
rebuild with the same manifest sends nothing; a rebuild for the same newest day with another
manifest is a correction (kind 3) that supersedes the entry; a build that covers a newer day
is a new entry.
"""

from __future__ import annotations

from pathlib import Path

from integrity.layout import ANCHOR
from integrity.manifest import load_manifest
from publication.bulk.build import (
    BulkResult,
    build_bulk,
    extracts_folder,
    prebuild_month,
    published_day,
    write_pages,
)
from publication.bulk.extract import ExtractsAhead
from publication.bulk.layout import BulkLayout, bulk_dataset
from publication.targets import AnchorTarget


def bulk_anchor_target(root: Path, dataset: str) -> AnchorTarget | None:
    """The current bulk manifest as an anchoring target (None before the first build)."""
    bulk = BulkLayout(root, dataset)
    found = bulk.manifests() if bulk.folder.is_dir() else []
    if not found:
        return None
    day = load_manifest(found[-1]).day
    return AnchorTarget(
        dataset=bulk.name,
        day=day,
        folder=bulk.folder,
        manifest=found[-1],
        receipt=bulk.folder / bulk.day_name(day, ANCHOR),
        supersedes=True,
    )


__all__ = [
    "AnchorTarget",
    "BulkLayout",
    "BulkResult",
    "ExtractsAhead",
    "build_bulk",
    "bulk_anchor_target",
    "bulk_dataset",
    "extracts_folder",
    "prebuild_month",
    "published_day",
    "write_pages",
]
