"""The day's OCDS record package: one record per ocid touched that day, compiled over its
whole history (earlier releases are read back from the packages they were published in)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from publication.state import StateStore


@functools.cache
def _schema(ocds_dir: Path | None) -> dict[str, Any]:
    from ocds_mappings.schema import load_release_schema

    return load_release_schema(ocds_dir)


@functools.cache
def _merger(ocds_dir: Path | None) -> Any:
    """The merger of the release schema, once per process (its merge rules resolve every
    ``$ref`` of the schema: ~50 ms)."""
    from ocdsmerge import Merger

    return Merger(schema=dict(_schema(ocds_dir)))


def releases_with_history(
    releases: Sequence[Mapping[str, Any]],
    *,
    day: dt.date,
    root: Path,
    dataset: str,
    store: StateStore,
) -> list[tuple[dt.date, Mapping[str, Any]]]:
    """(package day, release) for the day's releases and every earlier release of their ocids."""
    found: list[tuple[dt.date, Mapping[str, Any]]] = [(day, release) for release in releases]
    earlier = store.earlier_packages(sorted({r["ocid"] for r in releases}), day)
    for package_day, ocids in sorted(earlier.items()):
        leaves = layout.DayLayout(root, dataset, package_day).path(layout.RELEASES_JSONL)
        needles = [f'"ocid":"{ocid}"'.encode() for ocid in ocids]
        for line in leaves.read_bytes().splitlines():
            if any(needle in line for needle in needles):
                found.append((package_day, orjson.loads(line)))
    return found


def day_record_package(
    releases: Sequence[Mapping[str, Any]],
    *,
    day: dt.date,
    root: Path,
    dataset: str,
    store: StateStore,
    base_url: str,
    package_meta: Mapping[str, Any],
    ocds_dir: Path | None = None,
) -> dict[str, Any]:
    """Record package for the ocids of the day, linking every release to its daily package."""
    from ocds_mappings.packaging import record_package

    history = releases_with_history(releases, day=day, root=root, dataset=dataset, store=store)
    package_of = {release["id"]: package_day for package_day, release in history}

    def release_url(release: Mapping[str, Any]) -> str:
        package_day = package_of[release["id"]]
        name = layout.DayLayout(root, dataset, package_day).name(layout.RELEASE_PACKAGE)
        return f"{base_url}/{dataset}/{package_day:%Y/%m/%d}/{name}#{release['id']}"

    return record_package(
        [release for _, release in history],
        schema=_schema(ocds_dir),
        uri=f"{base_url}/{dataset}/{day:%Y/%m/%d}/"
        + layout.DayLayout(root, dataset, day).name(layout.RECORD_PACKAGE),
        published_date=package_meta["publishedDate"],
        metadata=package_meta,
        extensions=package_meta["extensions"],
        release_url=release_url,
        merger=_merger(ocds_dir),
    )
