"""Finding the bulk manifest a single bulk file belongs to.

Bulk files (``perucompras-ocam-2026-10-orders.csv``, ``perucompras-ocam-orders.parquet``...)
carry the dataset and their period, not a day, so their manifest cannot be found from the
name alone. It is the manifest of the bulk folder (``{dataset}-bulk``, one manifest
``{dataset}-bulk-YYYY-MM-DD-manifest.json``): the folder the file sits in when that is a
bulk folder, else the bulk folder of the datasets root (``--datasets``, or detected above
the file). A folder is listed to find its manifest, so a root given as a URL is not searched
(verify the file beside its bulk folder, or give a local root).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from integrity import layout
from integrity.manifest import Manifest
from integrity.verify._datasets import DatasetsRoot, detect_root
from integrity.verify._days import parse_day
from integrity.verify._manifest import listed_files, parse_checked
from integrity.verify._options import VerifyOptions
from integrity.verify._results import NoteError
from integrity.verify._source import Source

_MANIFEST_NAME = re.compile(r"^(?P<dataset>[a-z0-9-]+?)-(?P<day>\d{4}-\d{2}-\d{2})-manifest\.json$")


@dataclass(frozen=True)
class BulkFolder:
    """A bulk folder: its dataset, the newest day it covers, its files and its manifest."""

    dataset: str
    day: dt.date
    files: Source
    manifest: Manifest

    def name_with_digest(self, digest: str) -> str | None:
        """The manifest's name or a listed file's whose SHA-256 is ``digest``, if any."""
        if self.manifest.sha256 == digest:
            return f"{self.dataset}-{self.day.isoformat()}-{layout.MANIFEST}"
        listed = [
            n for n, e in sorted(listed_files(self.manifest).items()) if e["sha256"] == digest
        ]
        return listed[0] if listed else None


def bulk_folder(files: Source) -> BulkFolder | None:
    """The bulk folder at ``files`` (a local folder holding a bulk manifest), if it is one."""
    names = files.names()
    for name in names or []:
        match = _MANIFEST_NAME.match(name)
        if match is None or not layout.is_bulk_dataset(match["dataset"]):
            continue
        day = parse_day(match["day"])
        if day is None:
            return None
        try:
            raw = files.read(name)
            manifest = parse_checked(raw, name) if raw is not None else None
        except NoteError:
            return None
        if manifest is None or manifest.dataset != match["dataset"] or manifest.day != day:
            return None
        return BulkFolder(match["dataset"], day, files, manifest)
    return None


def bulk_folders(path: Path, options: VerifyOptions) -> list[BulkFolder]:
    """Bulk folders a file may belong to: the one it sits in, the datasets root's."""
    found = []
    here = bulk_folder(Source(path.parent, options.limits))
    if here is not None:
        found.append(here)
    root = options.datasets or detect_root(path.parent, options.limits)
    if root is not None:
        beside = _root_bulk_folder(root)
        if beside is not None and not _same_place(beside, here):
            found.append(beside)
    return found


def locate_bulk_file(path: Path, options: VerifyOptions) -> BulkFolder | None:
    """The bulk folder whose manifest lists the file's name, if any."""
    for folder in bulk_folders(path, options):
        if path.name in listed_files(folder.manifest):
            return folder
    return None


def _root_bulk_folder(root: DatasetsRoot) -> BulkFolder | None:
    root.index()  # reads the dataset name the index declares
    dataset = layout.bulk_dataset(root.dataset or layout.DEFAULT_DATASET)
    try:
        return bulk_folder(root.source.child(dataset))
    except NoteError:
        return None


def _same_place(one: BulkFolder, other: BulkFolder | None) -> bool:
    if other is None:
        return False
    here, there = one.files.local_path(""), other.files.local_path("")
    return here is not None and there is not None and here.resolve() == there.resolve()
