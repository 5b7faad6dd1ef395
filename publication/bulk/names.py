"""What a path inside the bulk folder names (level, period, kind, format, part) and its title."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from integrity import layout
from messages import text
from publication.bulk import layout as bulk_layout
from publication.dictionary import TABLES, Lang, Table

_PART = re.compile(r"-part-(\d{3})$")


@dataclass(frozen=True)
class BulkPath:
    """What a path inside the bulk folder names."""

    level: str
    period: str
    kind: str
    format: str
    part: int | None = None


def parse_bulk_path(dataset: str, path: str) -> BulkPath | None:
    """Level (month, year, full, latest-month, latest-year, indicators), period, kind and
    format of a bulk file path (relative to the bulk folder); None for other files."""
    folder, _, name = path.rpartition("/")
    fmt = "jsonl.gz" if name.endswith(".jsonl.gz") else name.rsplit(".", 1)[-1]
    stem = name[: -len(fmt) - 1]
    part = None
    match = _PART.search(stem)
    if match:
        part, stem = int(match[1]), stem[: match.start()]
    top, _, key = folder.partition("/")
    if top in (bulk_layout.MONTH, bulk_layout.YEAR) and key:
        prefix, level, period = f"{dataset}-{key}", top, key
    elif top == bulk_layout.FULL:
        prefix, level, period = dataset, bulk_layout.FULL, bulk_layout.FULL
    elif top == bulk_layout.LATEST:
        for level in ("month", "year"):
            prefix = f"{dataset}-latest-{level}"
            if stem.startswith(prefix):
                return _kind(stem, prefix, f"latest-{level}", "", fmt, part)
        return None
    elif top == bulk_layout.INDICATORS:
        prefix = f"{dataset}-indicator-"
        if not stem.startswith(prefix):
            return None
        return BulkPath(bulk_layout.INDICATORS, "", stem.removeprefix(prefix), fmt, part)
    else:
        return None
    return _kind(stem, prefix, level, period, fmt, part)


def _kind(
    stem: str, prefix: str, level: str, period: str, fmt: str, part: int | None
) -> BulkPath | None:
    if stem == prefix:
        return BulkPath(level, period, "workbook", fmt, part)
    if not stem.startswith(prefix + "-"):
        return None
    return BulkPath(level, period, stem[len(prefix) + 1 :], fmt, part)


def table_of(dataset: str, path: str) -> Table | None:
    """The dictionary table a tabular bulk file holds (None for other files)."""
    parsed = parse_bulk_path(dataset, path)
    if parsed is None or parsed.format not in ("parquet", "csv"):
        return None
    if parsed.level == bulk_layout.INDICATORS:
        return TABLES.get(f"indicator_{parsed.kind.replace('-', '_')}")
    return TABLES.get(parsed.kind)


def _period_label(parsed: BulkPath, lang: Lang) -> str:
    if parsed.level == bulk_layout.FULL:
        return text("period.full", lang)
    if parsed.level.startswith("latest-"):
        return text(f"period.{parsed.level.replace('-', '_')}", lang)
    return parsed.period


def bulk_title(
    dataset: str, path: str, numbering: Mapping[str, tuple[int, int]], lang: Lang
) -> str:
    """Title of a file of the bulk folder (``numbering``: part number and parts by path)."""
    name = Path(path).name
    if name == bulk_layout.PROVENANCE:
        return text("resource.bulk_provenance", lang)
    if name == bulk_layout.DATAPACKAGE:
        return text("resource.bulk_datapackage", lang)
    parsed = parse_bulk_path(dataset, path)
    if parsed is None:
        for kind, key in (
            (bulk_layout.DAYS_LEAVES, "resource.bulk_days"),
            (layout.MANIFEST, "resource.bulk_manifest"),
            (layout.CHECKSUMS, "resource.bulk_sums"),
            (layout.ANCHOR, "resource.bulk_anchor"),
        ):
            if name.endswith(kind):
                return text(key, lang, date=name[-len(kind) - 11 : -len(kind) - 1])
        return text("resource.file", lang, name=name)
    definition = table_of(dataset, path)
    fmt = parsed.format.split(".")[0].upper()
    if parsed.level == bulk_layout.INDICATORS:
        label = definition.title(lang) if definition else parsed.kind
        return text("resource.indicator", lang, table=label, format=fmt)
    period = _period_label(parsed, lang)
    if definition is not None:
        return text(
            "resource.table_file", lang, table=definition.title(lang), period=period, format=fmt
        )
    if parsed.kind == "workbook":
        return text("resource.workbook", lang, period=period)
    number, parts = numbering.get(path, (1, 1))
    part = text("resource.part", lang, number=number, parts=parts) if parts > 1 else ""
    key = (
        "resource.compiled_bulk"
        if parsed.kind == bulk_layout.COMPILED
        else "resource.releases_bulk"
    )
    return text(key, lang, period=period, part=part)
