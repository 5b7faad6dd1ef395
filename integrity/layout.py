"""Where published files live and how they are named (shared by publisher and verifier).

    {datasets}/{dataset}/YYYY/MM/DD/{dataset}-YYYY-MM-DD-{kind}.{ext}
    {datasets}/index.json        every published day: manifest path and SHA-256
    {datasets}/trust.json        pinned chain id, contract and publisher address
    {datasets}/{dataset}-bulk/   the bulk dataset: a flat folder with a manifest of the day
                                 format, ``{dataset}-bulk-YYYY-MM-DD-manifest.json`` (the date
                                 is the newest day it covers), anchored as dataset
                                 ``{dataset}-bulk`` under the same trust pin as the days
    {datasets}/{dataset}-bulk-history/   the bulk manifests (and receipts) a build replaced,
                                 ``{dataset}-bulk-YYYY-MM-DD-manifest-{sha256[:16]}.json``

Every file name carries the dataset and the day, so a file moved out of its folder can
still be matched to its manifest through the datasets root or its URL (a bulk file carries
the dataset and its period; its manifest is the one in the bulk folder).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATASET = "perucompras-ocam"
INDEX_FILE = "index.json"
POLICY_FILE = "publication-policy.md"
EXTENSIONS_FOLDER = "extensions"
TRUST_FILE = "trust.json"

RELEASE_PACKAGE = "releases.json"
RECORD_PACKAGE = "records.json"
RELEASES_JSONL = "releases.jsonl"
ORDERS_PARQUET = "orders.parquet"
ORDERS_CSV = "orders.csv"
QUARANTINE_PARQUET = "quarantine.parquet"
QUALITY_JSON = "quality.json"
QUALITY_HTML = "quality.html"
DATAPACKAGE = "datapackage.json"
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
ANCHOR = "anchor.json"

BULK_SUFFIX = "-bulk"
HISTORY_SUFFIX = "-history"

_FILE_NAME = re.compile(
    r"^(?P<dataset>[a-z0-9-]+?)-(?P<day>\d{4}-\d{2}-\d{2})-(?P<kind>[A-Za-z0-9_.]+)$"
)


@dataclass(frozen=True)
class DayLayout:
    """Paths of one published day under a datasets root."""

    root: Path
    dataset: str
    day: dt.date

    @property
    def folder(self) -> Path:
        return self.root / self.dataset / f"{self.day:%Y}" / f"{self.day:%m}" / f"{self.day:%d}"

    def name(self, kind: str) -> str:
        """File name of one kind of file for this day."""
        return f"{self.dataset}-{self.day.isoformat()}-{kind}"

    def path(self, kind: str) -> Path:
        return self.folder / self.name(kind)

    @property
    def manifest(self) -> Path:
        return self.path(MANIFEST)

    @property
    def anchor(self) -> Path:
        return self.path(ANCHOR)


def bulk_dataset(dataset: str) -> str:
    """The bulk dataset's name: ``perucompras-ocam-bulk`` for ``perucompras-ocam``."""
    return dataset + BULK_SUFFIX


def is_bulk_dataset(dataset: str) -> bool:
    """Whether ``dataset`` names a bulk dataset (``{dataset}-bulk``)."""
    return dataset.endswith(BULK_SUFFIX) and len(dataset) > len(BULK_SUFFIX)


def pin_covers(pinned: str | None, dataset: str) -> bool:
    """Whether a trust pin for dataset ``pinned`` vouches for ``dataset``: the dataset itself
    and its bulk dataset (the same publisher anchors both in the same registry); a pin
    without a dataset covers every dataset."""
    return pinned is None or dataset in (pinned, bulk_dataset(pinned))


def history_name(name: str, manifest_sha256: str) -> str:
    """Name in the bulk history folder of a replaced manifest or receipt ``name``: the
    digest goes before the extension, so no kept name ends like a live manifest."""
    stem, _, extension = name.rpartition(".")
    return f"{stem}-{manifest_sha256[:16]}.{extension}"


def parse_file_name(name: str) -> tuple[str, dt.date, str] | None:
    """Split a published file name into (dataset, day, kind), or None if it is not one."""
    match = _FILE_NAME.match(name)
    if not match:
        return None
    try:
        day = dt.date.fromisoformat(match["day"])
    except ValueError:
        return None
    return match["dataset"], day, match["kind"]
