"""Where the bulk dataset lives and how its files are named.

The bulk folder is flat: every published file sits directly in it under a unique,
self-describing name (the verifier accepts only plain file names in a manifest, and refuses
files a manifest does not list):

{datasets}/{dataset}-bulk/
  {dataset}-bulk-YYYY-MM-DD-manifest.json   same manifest format as a day; the date is the
  {dataset}-bulk-YYYY-MM-DD-SHA256SUMS      newest published day the files cover
  {dataset}-bulk-YYYY-MM-DD-days.jsonl      Merkle leaves: one line per day manifest covered
  {dataset}-bulk-YYYY-MM-DD-anchor.json     anchor receipt (written by the anchoring code)
  datapackage.json  provenance.json
  {dataset}-YYYY-MM-{kind}                  per month (orders: formalisation month)
  {dataset}-YYYY-MM.xlsx                    the month's workbook
  {dataset}-YYYY-{kind}                     per year
  {dataset}-{kind}                          full history
  {dataset}-latest-month-{kind}             the newest month and year under stable names
  {dataset}-latest-year-{kind}              (hard links to the files they stand for)
  {dataset}-indicator-{name}.{parquet,csv}  red-flag indicators

``{kind}`` is a table (``orders.parquet``, ``orders.csv``...) or a JSON Lines file
(``releases.jsonl.gz``, ``compiled-releases-part-001.jsonl.gz``...).

{datasets}/{dataset}-bulk-history/          outside the published folder, append-only
  {dataset}-bulk-YYYY-MM-DD-manifest-{manifest sha256[:16]}.json
  {dataset}-bulk-YYYY-MM-DD-anchor-{manifest sha256[:16]}.json
                                            the manifests (and their receipts) a build
                                            replaced, written before the swap; the chain of
                                            ``previous`` links runs through them. The digest
                                            goes before the extension so that no name ends
                                            like a live manifest (``…-manifest.json``, which
                                            readers of the root take for a folder's manifest)

Internal record keys in ``provenance.json`` (``month/2026-10``, ``year/2026``, ``full``,
``indicators``) name periods, not paths.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from integrity import layout

# Shared with the verifier (integrity must not import publication): re-exported here.
from integrity.layout import BULK_SUFFIX as BULK_SUFFIX
from integrity.layout import HISTORY_SUFFIX
from integrity.layout import bulk_dataset as bulk_dataset
from integrity.layout import history_name as history_name

DAYS_LEAVES = "days.jsonl"
DATAPACKAGE = "datapackage.json"
PROVENANCE = "provenance.json"
MONTH, YEAR, FULL, LATEST = "month", "year", "full", "latest"
INDICATORS = "indicators"
LEGACY_HISTORY = "history"
RELEASES = "releases"
COMPILED = "compiled-releases"
WORKBOOK_FORMAT = "xlsx"


@dataclass(frozen=True)
class Period:
    """A month (``2026-11``), a year (``2026``) or the full history (``full``)."""

    level: str
    key: str

    @property
    def record_key(self) -> str:
        """Key of the period's record in ``provenance.json`` (not a path)."""
        if self.level == FULL:
            return FULL
        return f"{self.level}/{self.key}"

    def stem(self, dataset: str) -> str:
        """File-name stem: ``perucompras-ocam-2026-11``, ``perucompras-ocam`` for full."""
        return dataset if self.level == FULL else f"{dataset}-{self.key}"

    def file(self, dataset: str, kind: str) -> str:
        """Name of one file of the period in the bulk folder."""
        return f"{self.stem(dataset)}-{kind}"

    def workbook(self, dataset: str) -> str:
        """Name of the period's Excel workbook."""
        return f"{self.stem(dataset)}.{WORKBOOK_FORMAT}"


def month_period(month: str) -> Period:
    """The period of a ``YYYY-MM`` month."""
    return Period(MONTH, month)


def year_period(year: str) -> Period:
    """The period of a ``YYYY`` year."""
    return Period(YEAR, year)


FULL_PERIOD = Period(FULL, FULL)


def period_of(record_key: str) -> Period:
    """The period of a ``provenance.json`` record key (``month/2026-10``, ``full``)."""
    if record_key == FULL:
        return FULL_PERIOD
    level, _, key = record_key.partition("/")
    if level not in (MONTH, YEAR) or not key:
        raise ValueError(f"{record_key!r} is not a period")
    return Period(level, key)


def latest_name(dataset: str, level: str, name: str, key: str) -> str:
    """The stable alias (``{dataset}-latest-month-…``) of a month or year file ``name``."""
    stem = f"{dataset}-{key}"
    if not name.startswith(stem):
        raise ValueError(f"{name!r} is not a file of {key}")
    return f"{dataset}-{LATEST}-{level}" + name.removeprefix(stem)


def name_problems(names: Iterable[str]) -> list[str]:
    """Why a list of names to publish in the bulk folder is not one of unique plain file
    names (empty when it is)."""
    problems = []
    for name, count in sorted(Counter(names).items()):
        if "/" in name or "\\" in name or name in ("", ".", "..") or name.startswith("."):
            problems.append(f"{name!r} is not a plain file name")
        if count > 1:
            problems.append(f"{name!r} would be published {count} times")
    return problems


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

    @property
    def history(self) -> Path:
        """Sibling folder of the manifests and receipts a build replaced (not published as
        part of the bulk folder)."""
        return self.root / (self.name + HISTORY_SUFFIX)

    def day_name(self, day: dt.date, kind: str) -> str:
        """Name of a manifest-family file for the newest covered day."""
        return f"{self.name}-{day.isoformat()}-{kind}"

    def manifests(self, folder: Path | None = None) -> list[Path]:
        """Manifest files at the top of a bulk folder (one once built)."""
        base = folder or self.folder
        return sorted(base.glob(f"{self.name}-????-??-??-{layout.MANIFEST}"))
