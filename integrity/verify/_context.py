"""Locating one day's manifest and anchor receipt: next to the files first, then via the index.

The bulk folder (dataset ``{dataset}-bulk``) is located like a day whose folder is
``{datasets}/{dataset}-bulk``; its previous manifests are in ``{dataset}-bulk-history``."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from integrity.manifest import Manifest
from integrity.verify._datasets import DatasetsRoot
from integrity.verify._days import parse_day
from integrity.verify._manifest import parse_checked
from integrity.verify._results import Note, NoteError
from integrity.verify._source import Source
from integrity.verify._values import hex32

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass
class DayContext:
    """Everything resolved about one day before checking it."""

    dataset: str
    day: dt.date
    files: Source | None
    manifest: Manifest | None
    anchor_record: dict[str, Any] | None
    root: DatasetsRoot | None
    receipt_problem: Note | None = None

    def previous_manifest_digest(self) -> tuple[str, str | None] | None:
        """(previous date, SHA-256 of the previous day's published manifest, if reachable)."""
        assert self.manifest is not None
        previous = self.manifest.previous
        if not previous:
            return None
        previous_day = parse_day(previous["date"])
        if previous_day is None:
            return None
        if layout.is_bulk_dataset(self.dataset):
            digest = self._previous_bulk_manifest(previous_day, previous.get("manifestSha256"))
            return previous["date"], digest
        name = f"{self.dataset}-{previous_day.isoformat()}-{layout.MANIFEST}"
        raw = self._sibling_day_file(previous_day, name)
        if raw is None and self.root is not None:
            try:
                raw = self.root.day_source(self.dataset, previous_day).read(name)
            except NoteError:
                raw = None
        return previous["date"], hashlib.sha256(raw).hexdigest() if raw is not None else None

    def _previous_bulk_manifest(self, day: dt.date, digest: object) -> str | None:
        """SHA-256 of the previous bulk manifest the history folder keeps under the digest it
        was linked with (``{dataset}-bulk-history``, beside the bulk folder), if reachable."""
        expected = hex32(digest)
        if expected is None or _SHA256_HEX.fullmatch(expected) is None:
            return None
        name = layout.history_name(f"{self.dataset}-{day.isoformat()}-{layout.MANIFEST}", expected)
        history = self.dataset + layout.HISTORY_SUFFIX
        sources = []
        local = self.files.local_path("") if self.files else None
        if local is not None and self.files is not None:
            sources.append(Source(local.resolve().parent / history, self.files.limits))
        if self.root is not None:
            sources.append(self.root.source.child(history))
        for source in sources:
            try:
                raw = source.read(name)
            except NoteError:
                continue
            if raw is not None:
                return hashlib.sha256(raw).hexdigest()
        return None

    def _sibling_day_file(self, day: dt.date, name: str) -> bytes | None:
        """A file of another day in the standard layout beside this local day folder."""
        local = self.files.local_path("") if self.files else None
        if local is None or self.files is None or len(local.resolve().parents) < 3:
            return None
        sibling = local.resolve().parents[2] / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        try:
            return Source(sibling, self.files.limits).read(name)
        except NoteError:
            return None


def resolve_day(
    dataset: str,
    day: dt.date,
    files: Source,
    root: DatasetsRoot | None,
    *,
    manifest: Manifest | None = None,
    receipt: bool = True,
) -> DayContext:
    """Find the manifest (unless given) and, if ``receipt``, the anchor receipt of a day.

    Raises ``NoteError`` (``ManifestRejected``, ``InputRefused``, ``SourceUnavailable``) when
    the manifest is found but cannot be used.
    """
    manifest_name = f"{dataset}-{day.isoformat()}-{layout.MANIFEST}"
    anchor_name = f"{dataset}-{day.isoformat()}-{layout.ANCHOR}"
    day_files: Source | None = files
    if manifest is None:
        raw = files.read(manifest_name)
        origin = manifest_name
        if raw is None and root is not None:
            day_files = root.day_source(dataset, day)
            entry = root.index().get(day)
            origin = entry.manifest if entry else manifest_name
            raw = day_files.read(origin)
        if raw is None:
            return DayContext(dataset, day, day_files, None, None, root)
        manifest = parse_checked(raw, origin)
    if not receipt:
        return DayContext(dataset, day, day_files, manifest, None, root)
    record, problem = _read_receipt(day_files, anchor_name)
    if record is None and problem is None and root is not None and day_files is files:
        record, problem = _read_receipt(root.day_source(dataset, day), anchor_name)
    return DayContext(dataset, day, day_files, manifest, record, root, problem)


def _read_receipt(source: Source | None, name: str) -> tuple[dict[str, Any] | None, Note | None]:
    """The anchor receipt as a JSON object, or why it could not be used (never raises)."""
    if source is None:
        return None, None
    try:
        raw = source.read(name)
    except NoteError as error:
        return None, Note("anchor.receipt_unreadable", {"file": name, "detail": error.note.key})
    if raw is None:
        return None, None
    return parse_receipt(raw, name)


def parse_receipt(raw: bytes, name: str) -> tuple[dict[str, Any] | None, Note | None]:
    """A receipt's JSON object, or the note saying it is not one."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, Note("anchor.receipt_unreadable", {"file": name, "detail": "json"})
    if not isinstance(record, dict):
        return None, Note("anchor.receipt_unreadable", {"file": name, "detail": "object"})
    return record, None


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
