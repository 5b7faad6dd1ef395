"""What a file name of the bulk folder names (level, period, kind, format, part) and its title."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from integrity import layout
from messages import text
from publication.bulk import layout as bulk_layout
from publication.dictionary import BULK_TABLES, TABLES, Lang, Table

_PART = re.compile(r"-part-(\d{3})$")


@dataclass(frozen=True)
class BulkPath:
    """What a file name of the bulk folder names."""

    level: str
    period: str
    kind: str
    format: str
    part: int | None = None


_MONTH = re.compile(r"^(?P<period>\d{4}-\d{2})(?:-(?P<kind>.+))?$")
_YEAR = re.compile(r"^(?P<period>\d{4})(?:-(?P<kind>.+))?$")
_INDICATOR = "indicator-"


_KINDS = frozenset(
    {"workbook", bulk_layout.RELEASES, bulk_layout.COMPILED}
    | {f"{t.name}.{fmt}" for t in BULK_TABLES for fmt in ("parquet", "csv")}
)


def parse_bulk_path(dataset: str, path: str) -> BulkPath | None:
    """Level (month, year, full, latest-month, latest-year, indicators), period, kind and
    format of a file name of the (flat) bulk folder; None for other files (the manifest
    family, ``datapackage.json``, ``provenance.json``, anything with a ``/``)."""
    if "/" in path or not path.startswith((f"{dataset}-", f"{dataset}.")):
        return None
    fmt = "jsonl.gz" if path.endswith(".jsonl.gz") else path.rsplit(".", 1)[-1]
    stem = path[: -len(fmt) - 1]
    part = None
    match = _PART.search(stem)
    if match:
        part, stem = int(match[1]), stem[: match.start()]
    rest = stem.removeprefix(dataset).removeprefix("-")
    if rest.startswith(bulk_layout.BULK_SUFFIX.lstrip("-") + "-"):
        return None
    if rest.startswith(_INDICATOR):
        return BulkPath(bulk_layout.INDICATORS, "", rest.removeprefix(_INDICATOR), fmt, part)
    for level in (bulk_layout.MONTH, bulk_layout.YEAR):
        prefix = f"{bulk_layout.LATEST}-{level}"
        if rest == prefix or rest.startswith(prefix + "-"):
            kind = rest.removeprefix(prefix).removeprefix("-")
            return _parsed(f"latest-{level}", "", kind, fmt, part)
    for level, pattern in ((bulk_layout.MONTH, _MONTH), (bulk_layout.YEAR, _YEAR)):
        found = pattern.match(rest)
        if found:
            return _parsed(level, found["period"], found["kind"] or "", fmt, part)
    return _parsed(bulk_layout.FULL, bulk_layout.FULL, rest, fmt, part)


def _parsed(level: str, period: str, kind: str, fmt: str, part: int | None) -> BulkPath | None:
    """A bulk path when ``kind`` (empty for a workbook) is one the bulk folder publishes."""
    if not kind:
        kind = "workbook" if fmt == bulk_layout.WORKBOOK_FORMAT else ""
    known = kind if fmt in ("jsonl.gz", bulk_layout.WORKBOOK_FORMAT) else f"{kind}.{fmt}"
    if known not in _KINDS:
        return None
    return BulkPath(level, period, kind, fmt, part)


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
