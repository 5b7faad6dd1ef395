"""Where the bulk dataset lives and how its files are named.

{datasets}/{dataset}-bulk/
  {dataset}-bulk-YYYY-MM-DD-manifest.json   same manifest format as a day; the date is the
  {dataset}-bulk-YYYY-MM-DD-SHA256SUMS      newest published day the files cover
  {dataset}-bulk-YYYY-MM-DD-days.jsonl      Merkle leaves: one line per day manifest covered
  {dataset}-bulk-YYYY-MM-DD-anchor.json     anchor receipt (written by the anchoring code)
  datapackage.json  provenance.json
  month/YYYY-MM/{dataset}-YYYY-MM-{kind}    per month (orders: formalisation month)
  year/YYYY/{dataset}-YYYY-{kind}           per year
  full/{dataset}-{kind}                     full history
  latest/{dataset}-latest-month-{kind}      the newest month and year under stable names
  latest/{dataset}-latest-year-{kind}
  indicators/{dataset}-indicator-{name}.{parquet,csv}
  history/                                  manifests and receipts this folder replaced
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from integrity import layout

BULK_SUFFIX = "-bulk"
DAYS_LEAVES = "days.jsonl"
DATAPACKAGE = "datapackage.json"
PROVENANCE = "provenance.json"
MONTH, YEAR, FULL, LATEST = "month", "year", "full", "latest"
INDICATORS = "indicators"
HISTORY = "history"
RELEASES = "releases"
COMPILED = "compiled-releases"
WORKBOOK_FORMAT = "xlsx"


def bulk_dataset(dataset: str) -> str:
    """The bulk dataset's name: ``perucompras-ocam-bulk`` for ``perucompras-ocam``."""
    return dataset + BULK_SUFFIX


@dataclass(frozen=True)
class Period:
    """A month (``2026-11``), a year (``2026``) or the full history (``full``)."""

    level: str
    key: str

    @property
    def folder(self) -> str:
        """Folder of the period's files, relative to the bulk folder."""
        if self.level == FULL:
            return FULL
        return f"{self.level}/{self.key}"

    def stem(self, dataset: str) -> str:
        """File-name stem: ``perucompras-ocam-2026-11``, ``perucompras-ocam`` for full."""
        return dataset if self.level == FULL else f"{dataset}-{self.key}"

    def file(self, dataset: str, kind: str) -> str:
        """Path of one file of the period, relative to the bulk folder."""
        return f"{self.folder}/{self.stem(dataset)}-{kind}"

    def workbook(self, dataset: str) -> str:
        """Path of the period's Excel workbook."""
        return f"{self.folder}/{self.stem(dataset)}.{WORKBOOK_FORMAT}"


def month_period(month: str) -> Period:
    """The period of a ``YYYY-MM`` month."""
    return Period(MONTH, month)


def year_period(year: str) -> Period:
    """The period of a ``YYYY`` year."""
    return Period(YEAR, year)


FULL_PERIOD = Period(FULL, FULL)


def latest_name(dataset: str, level: str, name: str, key: str) -> str:
    """The stable alias in ``latest/`` of a month or year file named ``name``."""
    stem = f"{dataset}-{key}"
    alias = f"{dataset}-latest-{level}" + name.removeprefix(stem)
    return f"{LATEST}/{alias}"


@dataclass(frozen=True)
class BulkLayout:
    """Paths of the bulk dataset under a datasets root."""

    root: Path
    dataset: str

    @property
    def name(self) -> str:
        """The bulk dataset name."""
        return bulk_dataset(self.dataset)

    @property
    def folder(self) -> Path:
        """The bulk folder."""
        return self.root / self.name

    def day_name(self, day: dt.date, kind: str) -> str:
        """Name of a manifest-family file for the newest covered day."""
        return f"{self.name}-{day.isoformat()}-{kind}"

    def manifests(self, folder: Path | None = None) -> list[Path]:
        """Manifest files at the top of a bulk folder (one once built)."""
        base = folder or self.folder
        return sorted(base.glob(f"{self.name}-????-??-??-{layout.MANIFEST}"))
