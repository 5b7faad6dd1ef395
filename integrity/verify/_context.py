"""Locating one day's manifest and anchor receipt: next to the files first, then via the index."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from integrity.manifest import Manifest, ManifestError, parse_manifest
from integrity.verify._datasets import DatasetsRoot
from integrity.verify._results import Note, NoteError, SourceUnavailable
from integrity.verify._source import Source


@dataclass
class DayContext:
    """Everything resolved about one day before checking it."""

    dataset: str
    day: dt.date
    files: Source | None
    manifest: Manifest | None
    anchor_record: dict[str, Any] | None
    root: DatasetsRoot | None

    def previous_manifest_digest(self) -> tuple[str, str | None] | None:
        """(previous date, SHA-256 of the previous day's published manifest, if reachable)."""
        assert self.manifest is not None
        previous = self.manifest.previous
        if not previous:
            return None
        previous_day = dt.date.fromisoformat(previous["date"])
        name = f"{self.dataset}-{previous_day.isoformat()}-{layout.MANIFEST}"
        raw = self._sibling_day_file(previous_day, name)
        if raw is None and self.root is not None:
            try:
                raw = self.root.day_source(self.dataset, previous_day).read(name)
            except SourceUnavailable:
                raw = None
        return previous["date"], hashlib.sha256(raw).hexdigest() if raw is not None else None

    def _sibling_day_file(self, day: dt.date, name: str) -> bytes | None:
        """A file of another day in the standard layout beside this local day folder."""
        local = self.files.local_path("") if self.files else None
        if local is None or len(local.resolve().parents) < 3:
            return None
        sibling = local.resolve().parents[2] / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}" / name
        return sibling.read_bytes() if sibling.is_file() else None


def resolve_day(
    dataset: str,
    day: dt.date,
    files: Source,
    root: DatasetsRoot | None,
    *,
    manifest: Manifest | None = None,
    receipt: bool = True,
) -> DayContext:
    """Find the manifest (unless given) and, if ``receipt``, the anchor receipt of a day."""
    manifest_name = f"{dataset}-{day.isoformat()}-{layout.MANIFEST}"
    anchor_name = f"{dataset}-{day.isoformat()}-{layout.ANCHOR}"
    day_files: Source | None = files
    if manifest is None:
        raw = files.read(manifest_name)
        if raw is None and root is not None:
            day_files = root.day_source(dataset, day)
            entry = root.index().get(day)
            raw = day_files.read(entry.manifest if entry else manifest_name)
        if raw is None:
            return DayContext(dataset, day, day_files, None, None, root)
        try:
            manifest = parse_manifest(raw, origin=manifest_name)
        except ManifestError as error:
            raise NoteError(Note("locate.manifest_invalid", {"error": str(error)})) from error
    if not receipt:
        return DayContext(dataset, day, day_files, manifest, None, root)
    anchor_raw = day_files.read(anchor_name) if day_files is not None else None
    if anchor_raw is None and root is not None and day_files is files:
        anchor_raw = root.day_source(dataset, day).read(anchor_name)
    anchor_record = orjson.loads(anchor_raw) if anchor_raw is not None else None
    return DayContext(dataset, day, day_files, manifest, anchor_record, root)


def guess_day_from_folder(folder: Path) -> tuple[str, dt.date] | None:
    """(dataset, day) of a folder in the standard ``{dataset}/YYYY/MM/DD`` layout."""
    parts = folder.resolve().parts
    if len(parts) < 4:
        return None
    try:
        day = dt.date(int(parts[-3]), int(parts[-2]), int(parts[-1]))
    except ValueError:
        return None
    return parts[-4], day
