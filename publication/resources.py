"""Every published resource, for the catalogues, the portal page and the feed.

``published_resources(root)`` lists what is on disk under a datasets root, read from the
manifests (nothing is re-hashed except the few small files no manifest lists):

- ``day-file``: every file of every published day, its manifest, SHA256SUMS and anchor
  receipt (dataset ``perucompras-ocam``, period ``YYYY-MM-DD``);
- ``bulk-file``: month, year and full-history files of the bulk dataset
  (``perucompras-ocam-bulk``, period ``YYYY-MM``, ``YYYY`` or ``full``);
- ``latest-alias``: the stable ``{dataset}-latest-month-…``/``-latest-year-…`` names of the
  newest month and year (``alias_of`` names the file they are a copy of);
- ``indicator``: the red-flag indicator tables;
- ``metadata``: the bulk manifest, SHA256SUMS, days leaves, provenance, data package;
- ``page``: the dictionary and indicator pages at the root.

Paths are relative to the datasets root with ``/``: ``Resource.url(base_url)`` is the public
URL. Titles come in Spanish and English (``title(lang)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

from integrity import layout
from integrity.manifest import Manifest, load_manifest, sha256_file
from messages import LANGUAGES, text
from publication.bulk import layout as bulk_layout
from publication.bulk.names import bulk_title, parse_bulk_path, table_of
from publication.dictionary import INDICATOR_TABLES, Lang, Table
from publication.dictionary_pages import PAGES as DICTIONARY_PAGES
from publication.indicators import PAGES as INDICATOR_PAGES
from publication.writer import read_index

ResourceKind = Literal["day-file", "bulk-file", "latest-alias", "indicator", "metadata", "page"]
_MEDIA_BY_SUFFIX = {
    ".parquet": "application/vnd.apache.parquet",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".gz": "application/gzip",
    ".jsonl": "application/jsonl",
    ".json": "application/json",
    ".html": "text/html",
}


@dataclass(frozen=True)
class Resource:
    """One published file."""

    path: str
    title_es: str
    title_en: str
    kind: ResourceKind
    media_type: str
    bytes: int
    sha256: str
    dataset: str
    period: str
    level: str
    format: str
    role: str
    table: str | None = None
    alias_of: str | None = None

    def url(self, base_url: str) -> str:
        """The public URL under the configured base URL."""
        return f"{base_url.rstrip('/')}/{self.path}"

    def title(self, lang: Lang = "es") -> str:
        """The title in one language."""
        return self.title_es if lang == "es" else self.title_en


def _day_title(key: str, name: str, date: str, lang: str) -> str:
    from messages import has

    if has(key):
        return text(key, lang, date=date)
    return text("resource.file", lang, name=name)


def day_resources(root: Path, dataset: str = layout.DEFAULT_DATASET) -> list[Resource]:
    """Every file of every published day (from the day manifests), oldest day first."""
    resources: list[Resource] = []
    for entry in read_index(root, dataset):
        folder = root / entry["folder"]
        manifest = load_manifest(folder / entry["manifest"])
        date = entry["date"]
        listed = [
            (name, item["sha256"], int(item["bytes"]), item["mediaType"], item["role"])
            for name, item in sorted(manifest.files.items())
        ]
        extras = [layout.MANIFEST, layout.CHECKSUMS, layout.ANCHOR]
        for kind in extras:
            path = folder / f"{dataset}-{date}-{kind}"
            if path.is_file():
                digest, size = (
                    (manifest.sha256, len(manifest.raw))
                    if kind == layout.MANIFEST
                    else sha256_file(path)
                )
                media = "text/plain" if kind == layout.CHECKSUMS else "application/json"
                listed.append((path.name, digest, size, media, kind.split(".")[0].lower()))
        for name, digest, size, media, role in listed:
            kind = name.removeprefix(f"{dataset}-{date}-")
            key = f"resource.{kind.replace('.', '_').lower()}"
            es, en = (_day_title(key, name, date, lang) for lang in LANGUAGES)
            table = {"orders.parquet": "day_orders", "orders.csv": "day_orders"}.get(
                kind, "day_quarantine" if kind == layout.QUARANTINE_PARQUET else None
            )
            resources.append(
                Resource(
                    path=f"{entry['folder']}/{name}",
                    title_es=es,
                    title_en=en,
                    kind="day-file",
                    media_type=media,
                    bytes=size,
                    sha256=digest,
                    dataset=dataset,
                    period=date,
                    level="day",
                    format=kind.rsplit(".", 1)[-1].lower() if "." in kind else "txt",
                    role=role,
                    table=table,
                )
            )
    return resources


def bulk_manifest(root: Path, dataset: str = layout.DEFAULT_DATASET) -> Manifest | None:
    """The current manifest of the bulk dataset (None before the first build)."""
    bulk = bulk_layout.BulkLayout(root, dataset)
    found = bulk.manifests() if bulk.folder.is_dir() else []
    return load_manifest(found[-1]) if found else None


def bulk_resources(root: Path, dataset: str = layout.DEFAULT_DATASET) -> list[Resource]:
    """Every file of the bulk dataset (from its manifest), plus the manifest and sums."""
    manifest = bulk_manifest(root, dataset)
    if manifest is None:
        return []
    bulk = bulk_layout.BulkLayout(root, dataset)
    provenance_path = bulk.folder / bulk_layout.PROVENANCE
    provenance = orjson.loads(provenance_path.read_bytes()) if provenance_path.is_file() else {}
    aliases: dict[str, str] = dict(provenance.get("latest", {}))
    numbering: dict[str, tuple[int, int]] = {}
    for record in provenance.get("periods", {}).values():
        for parts in record.get("parts", {}).values():
            for number, part in enumerate(parts, start=1):
                numbering[part["path"]] = (number, len(parts))
    date = manifest.data["date"]
    listed = [
        (name, item["sha256"], int(item["bytes"]), item["mediaType"], item["role"])
        for name, item in sorted(manifest.files.items())
    ]
    for extra in (layout.MANIFEST, layout.CHECKSUMS, layout.ANCHOR):
        path = bulk.folder / bulk.day_name(manifest.day, extra)
        if path.is_file():
            digest, size = (
                (manifest.sha256, len(manifest.raw))
                if extra == layout.MANIFEST
                else sha256_file(path)
            )
            media = "text/plain" if extra == layout.CHECKSUMS else "application/json"
            listed.append((path.name, digest, size, media, f"bulk-{extra.split('.')[0].lower()}"))
    resources = []
    kind: ResourceKind
    for name, digest, size, media, role in listed:
        parsed = parse_bulk_path(dataset, name)
        es, en = (bulk_title(dataset, name, numbering, lang) for lang in ("es", "en"))
        definition = table_of(dataset, name)
        if parsed is None:
            kind = "metadata"
            level, period, fmt = "", date, name.rsplit(".", 1)[-1].lower()
        else:
            fmt = parsed.format
            level = parsed.level
            if parsed.level == bulk_layout.INDICATORS:
                kind, period = "indicator", date
            elif parsed.level.startswith("latest-"):
                source = aliases.get(name, "")
                source_path = parse_bulk_path(dataset, source)
                kind, period = "latest-alias", source_path.period if source_path else ""
            else:
                kind, period = "bulk-file", parsed.period
        resources.append(
            Resource(
                path=f"{bulk.name}/{name}",
                title_es=es,
                title_en=en,
                kind=kind,
                media_type=media,
                bytes=size,
                sha256=digest,
                dataset=bulk.name,
                period=period,
                level=level,
                format=fmt,
                role=role,
                table=definition.name if definition else None,
                alias_of=f"{bulk.name}/{aliases[name]}" if name in aliases else None,
            )
        )
    return resources


PAGES: tuple[tuple[str, str], ...] = (
    (DICTIONARY_PAGES["es"], "resource.page_dictionary_es"),
    (DICTIONARY_PAGES["en"], "resource.page_dictionary_en"),
    (INDICATOR_PAGES["es"], "resource.page_indicators_es"),
    (INDICATOR_PAGES["en"], "resource.page_indicators_en"),
)


def page_resources(root: Path) -> list[Resource]:
    """The dictionary and indicator pages at the root (when written)."""
    resources = []
    for name, key in PAGES:
        path = root / name
        if not path.is_file():
            continue
        digest, size = sha256_file(path)
        resources.append(
            Resource(
                path=name,
                title_es=text(key, "es"),
                title_en=text(key, "en"),
                kind="page",
                media_type="text/html",
                bytes=size,
                sha256=digest,
                dataset="",
                period="",
                level="",
                format="html",
                role="page",
            )
        )
    return resources


def published_resources(root: Path, dataset: str = layout.DEFAULT_DATASET) -> list[Resource]:
    """Every published resource under ``root``: day files, bulk files and pages."""
    return [*day_resources(root, dataset), *bulk_resources(root, dataset), *page_resources(root)]


def indicator_tables() -> tuple[Table, ...]:
    """The indicator tables (for builders that describe them)."""
    return INDICATOR_TABLES


def media_type(path: str) -> str:
    """Media type of a published file name."""
    return _MEDIA_BY_SUFFIX.get(Path(path).suffix, "application/octet-stream")
