"""Where published files live and how they are named (shared by publisher and verifier).

    {datasets}/{dataset}/YYYY/MM/DD/{dataset}-YYYY-MM-DD-{kind}.{ext}
    {datasets}/index.json        every published day: manifest path and SHA-256
    {datasets}/trust.json        pinned chain id, contract and publisher address

Every file name carries the dataset and the day, so a file moved out of its folder can
still be matched to its manifest through the datasets root or its URL.
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
