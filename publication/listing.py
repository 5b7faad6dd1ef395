"""What a datasets root publishes, as typed resources: the one input of catalogues, feed and portal.

``published_days`` reads ``index.json`` and every listed manifest once (cross-checked);
``day_resources`` turns the day folders into ``Resource`` rows (every file of every day: the
manifest's files plus the manifest, ``SHA256SUMS`` and ``anchor.json``). Other producers (the
bulk files, data dictionary and indicators of the bulk dataset) add their own ``Resource`` rows
through ``refresh_site(..., extra_resources=...)``; the site builders only ever read this list,
so a page or catalogue links what exists and nothing else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from integrity.manifest import Manifest, ManifestError, load_manifest, sha256_file
from messages import DEFAULT_LANG, LANGUAGES, text

# Catalogue kinds of the day files (one catalogue dataset each); other producers add theirs.
KIND_OCDS = "ordenes-ocds"
KIND_TABLE = "ordenes-tabla"
KIND_QUARANTINE = "cuarentena"
KIND_QUALITY = "calidad"
KIND_VERIFICATION = "verificacion"
# Kinds expected from the bulk dataset (titles are ready in messages/harvest.py).
KIND_BULK = "masivos"
KIND_DICTIONARY = "diccionario"
KIND_INDICATORS = "indicadores"

# Manifest role of a day file -> (catalogue kind, message key of its title)
ROLE_KINDS: Mapping[str, tuple[str, str]] = {
    "ocds-release-package": (KIND_OCDS, "listing.releases_json"),
    "ocds-releases-merkle-leaves": (KIND_OCDS, "listing.releases_jsonl"),
    "ocds-record-package": (KIND_OCDS, "listing.records_json"),
    "orders-table": (KIND_TABLE, "listing.orders"),
    "quarantine": (KIND_QUARANTINE, "listing.quarantine"),
    "quality-report": (KIND_QUALITY, "listing.quality_json"),
    layout.QUALITY_HTML: (KIND_QUALITY, "listing.quality_html"),
}
# Files of a day folder that its manifest cannot list (they name or follow the manifest).
VERIFICATION_FILES: Mapping[str, tuple[str, str]] = {
    layout.MANIFEST: ("application/json", "listing.manifest"),
    layout.CHECKSUMS: ("text/plain", "listing.checksums"),
    layout.ANCHOR: ("application/json", "listing.anchor"),
}

OCDS_SCHEMA = "https://standard.open-contracting.org/schema/1__1__5"
CONFORMS_TO = {
    layout.RELEASE_PACKAGE: f"{OCDS_SCHEMA}/release-package-schema.json",
    layout.RELEASES_JSONL: f"{OCDS_SCHEMA}/release-schema.json",
    layout.RECORD_PACKAGE: f"{OCDS_SCHEMA}/record-package-schema.json",
}

# The order files of a day are listed in (pages, feed): data first, then checks and proofs.
FILE_ORDER = (
    layout.RELEASE_PACKAGE,
    layout.RELEASES_JSONL,
    layout.RECORD_PACKAGE,
    layout.ORDERS_PARQUET,
    layout.ORDERS_CSV,
    layout.QUARANTINE_PARQUET,
    layout.QUALITY_HTML,
    layout.QUALITY_JSON,
    layout.MANIFEST,
    layout.CHECKSUMS,
    layout.ANCHOR,
)

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_YEAR = re.compile(r"^\d{4}$")


class ListingError(ValueError):
    """The published days cannot be described (missing or inconsistent index or manifest)."""


@dataclass(frozen=True)
class Resource:
    """One published file: where it is, what it is, how big, its digest, what it covers."""

    path: str  # '/'-separated, relative to the datasets root
    kind: str  # catalogue kind (KIND_*)
    titles: Mapping[str, str]  # by language: {"es": ..., "en": ...}
    media_type: str
    size: int
    sha256: str
    dataset: str  # the registry dataset whose manifest lists or covers the file
    period: str  # YYYY-MM-DD, YYYY-MM, YYYY, "latest" or "all"
    issued: str | None = None  # when it was published (RFC 3339)
    conforms_to: str | None = None

    @property
    def name(self) -> str:
        """The file name (last path segment)."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def granularity(self) -> str:
        """``day``, ``month``, ``year`` or the period itself (``latest``, ``all``)."""
        for name, pattern in (("day", _DAY), ("month", _MONTH), ("year", _YEAR)):
            if pattern.match(self.period):
                return name
        return self.period

    def title(self, lang: str = DEFAULT_LANG) -> str:
        """Its title in ``lang`` (Spanish when that language is missing)."""
        return self.titles.get(lang) or self.titles[DEFAULT_LANG]

    def url(self, base_url: str) -> str:
        """Its public URL under the configured base URL."""
        return f"{base_url}/{self.path}"


@dataclass(frozen=True)
class AnchorStatus:
    """A day's anchor: ``anchored`` or ``pending``, and the registry kind when known."""

    state: str  # "anchored" | "pending"
    kind: str | None = None  # "first" | "late" | "correction" (registry v2), None if unknown

    @property
    def key(self) -> str:
        """Message-key suffix: ``anchored``, ``pending``, ``anchored_late``, ``anchored_correction``."""
        if self.state == "anchored" and self.kind in ("late", "correction"):
            return f"{self.state}_{self.kind}"
        return self.state


_KINDS = {1: "first", 2: "late", 3: "correction", "1": "first", "2": "late", "3": "correction"}


def anchor_status(entry: Mapping[str, Any]) -> AnchorStatus:
    """Read a day's anchor status from its index entry, whatever the anchoring code wrote.

    ``anchored`` (bool) is always there; ``anchorStatus``/``anchorKind`` or an ``anchor``
    object with ``status``/``kind`` (registry v2: first, late, correction, or 1/2/3) are used
    when present. Anything unknown degrades to anchored/pending.
    """
    anchor = entry.get("anchor") if isinstance(entry.get("anchor"), Mapping) else {}
    assert isinstance(anchor, Mapping)
    status = entry.get("anchorStatus", anchor.get("status"))
    status = {"anclado": "anchored", "pendiente": "pending"}.get(str(status), status)
    state = "anchored" if entry.get("anchored") else "pending"
    if status in ("anchored", "pending"):
        state = str(status)
    elif status in ("late", "correction", "corrected"):
        state = "anchored" if entry.get("anchored", True) else "pending"
    raw_kind = entry.get("anchorKind", anchor.get("kind"))
    if status in ("late", "correction", "corrected") and raw_kind is None:
        raw_kind = "correction" if status == "corrected" else status
    kind = _KINDS.get(raw_kind, raw_kind) if raw_kind is not None else None
    if kind not in ("first", "late", "correction"):
        kind = None
    return AnchorStatus(state, kind)


@dataclass(frozen=True)
class Day:
    """One published day: its index entry, manifest, statuses and files."""

    date: str
    folder: str
    manifest_name: str
    manifest_sha256: str
    tree_size: int
    cutoff: str
    anchor: AnchorStatus
    quality: str | None  # ok | warning | blocked, from the day's quality.json
    resources: tuple[Resource, ...] = field(default=())
    synthetic: bool = False  # published from synthetic source files (the manifest says so)

    @property
    def month(self) -> str:
        """YYYY-MM."""
        return self.date[:7]

    @property
    def size(self) -> int:
        """Bytes of every file of the day."""
        return sum(resource.size for resource in self.resources)


def _read_index(root: Path, dataset: str) -> list[dict[str, Any]]:
    index_path = root / layout.INDEX_FILE
    try:
        index = orjson.loads(index_path.read_bytes())
    except FileNotFoundError:
        raise ListingError(
            f"{index_path}: missing; publish at least one day (publication.writer.write_day) first"
        ) from None
    except orjson.JSONDecodeError as error:
        raise ListingError(f"{index_path}: not valid JSON ({error})") from error
    if index.get("dataset") != dataset:
        raise ListingError(
            f"{index_path}: lists dataset {index.get('dataset')!r}, not {dataset!r}; "
            "pass the dataset this datasets root publishes"
        )
    return sorted(index.get("days", []), key=lambda e: e["date"])


def _quality_status(folder: Path, dataset: str, date: str) -> str | None:
    path = folder / f"{dataset}-{date}-{layout.QUALITY_JSON}"
    try:
        report = orjson.loads(path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    status = report.get("status") if isinstance(report, dict) else None
    return str(status) if status else None


def _titles(key: str, period: str) -> dict[str, str]:
    return {lang: text(key, lang, period=period) for lang in LANGUAGES}


def _day_files(root: Path, entry: Mapping[str, Any], manifest: Manifest) -> tuple[Resource, ...]:
    date, folder, dataset = manifest.data["date"], entry["folder"], manifest.dataset
    issued = str(manifest.data["cutoff"])
    resources: list[Resource] = []

    def position(name: str) -> tuple[int, str]:
        kind = name.removeprefix(f"{dataset}-{date}-")
        return (FILE_ORDER.index(kind) if kind in FILE_ORDER else len(FILE_ORDER), name)

    for name, listed in sorted(manifest.files.items(), key=lambda item: position(item[0])):
        role = str(listed.get("role", ""))
        kind, title_key = ROLE_KINDS.get(role, (KIND_OCDS, "listing.other"))
        file_kind = name.removeprefix(f"{dataset}-{date}-")
        resources.append(
            Resource(
                path=f"{folder}/{name}",
                kind=kind,
                titles=_titles(title_key, date),
                media_type=str(listed["mediaType"]),
                size=int(listed["bytes"]),
                sha256=str(listed["sha256"]),
                dataset=dataset,
                period=date,
                issued=issued,
                conforms_to=CONFORMS_TO.get(file_kind),
            )
        )
    for file_kind, (media_type, title_key) in VERIFICATION_FILES.items():
        name = f"{dataset}-{date}-{file_kind}"
        path = root / folder / name
        if file_kind == layout.MANIFEST:
            digest, size = manifest.sha256, len(manifest.raw)
        elif path.is_file():
            digest, size = sha256_file(path)
        else:
            continue
        resources.append(
            Resource(
                path=f"{folder}/{name}",
                kind=KIND_VERIFICATION,
                titles=_titles(title_key, date),
                media_type=media_type,
                size=size,
                sha256=digest,
                dataset=dataset,
                period=date,
                issued=issued,
            )
        )
    return tuple(resources)


def published_days(root: Path, dataset: str) -> list[Day]:
    """Every day ``index.json`` lists, oldest first, each checked against its manifest.

    A day is described again only when its index entry or one of the files it is described
    from changed (``publication.filecache``): the site is refreshed from every day, often."""
    from publication.filecache import forget_key, remembered

    days: list[Day] = []
    for entry in _read_index(root, dataset):
        folder = root / entry["folder"]
        date = str(entry.get("date", ""))
        files = [
            folder / entry["manifest"],
            folder / f"{dataset}-{date}-{layout.QUALITY_JSON}",
            *(folder / f"{dataset}-{date}-{kind}" for kind in VERIFICATION_FILES),
        ]
        key = ("listing.day", str(root), dataset, entry["folder"], entry["manifest"])
        day = remembered(
            key,
            files,
            functools.partial(_published_day, root, dataset, entry),
            extra=orjson.dumps(entry, option=orjson.OPT_SORT_KEYS),
        )
        if day.date != date:
            forget_key(key)  # described from files other than the ones watched
        days.append(day)
    return days


def _published_day(root: Path, dataset: str, entry: Mapping[str, Any]) -> Day:
    """One index entry as a ``Day``, checked against its manifest."""
    manifest_path = root / entry["folder"] / entry["manifest"]
    try:
        manifest = load_manifest(manifest_path)
    except ManifestError as error:
        raise ListingError(str(error)) from error
    if manifest.sha256 != entry["manifestSha256"]:
        raise ListingError(
            f"{manifest_path}: SHA-256 {manifest.sha256} differs from {layout.INDEX_FILE} "
            f"({entry['manifestSha256']}); rebuild the index (publication.writer.update_index)"
        )
    date = manifest.data["date"]
    return Day(
        date=date,
        folder=entry["folder"],
        manifest_name=entry["manifest"],
        manifest_sha256=manifest.sha256,
        tree_size=int(manifest.merkle["treeSize"]),
        cutoff=str(manifest.data["cutoff"]),
        anchor=anchor_status(entry),
        quality=_quality_status(root / entry["folder"], dataset, date),
        resources=_day_files(root, entry, manifest),
        synthetic=manifest.synthetic,
    )


def day_resources(days: list[Day]) -> list[Resource]:
    """Every file of every published day, oldest day first."""
    return [resource for day in days for resource in day.resources]


MONTHS_FOLDER = "meses"


def page_name(stem: str, lang: str = DEFAULT_LANG) -> str:
    """A page's file name in a language: ``index.html`` (Spanish), ``index.en.html``."""
    return f"{stem}.html" if lang == DEFAULT_LANG else f"{stem}.{lang}.html"


def month_page(month: str, lang: str = DEFAULT_LANG) -> str:
    """Path (from the datasets root) of the portal page listing every day of a month."""
    return f"{MONTHS_FOLDER}/{page_name(month, lang)}"


def human_size(size: int, lang: str = DEFAULT_LANG) -> str:
    """A byte count for people, in decimal units (``1,4 MB`` in Spanish, ``1.4 MB`` in English)."""
    value = float(size)
    for unit in ("bytes", "kb", "mb", "gb"):
        if value < 1000 or unit == "gb":
            shown = f"{value:.0f}" if unit == "bytes" else f"{value:.1f}"
            if lang == "es":
                shown = shown.replace(".", ",")
            return text(f"size.{unit}", lang, value=shown)
        value /= 1000
    raise AssertionError("unreachable")
