"""The day's OCDS record package: one record per ocid touched that day, compiled over its
whole history (earlier releases are read back from the packages they were published in)."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from integrity.canonical import canonical_bytes
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


_RECORD_KEYS = frozenset({"compiledRelease", "ocid", "releases"})


def record_package_bytes(
    package: Mapping[str, Any], releases: Sequence[Mapping[str, Any]], lines: Sequence[bytes]
) -> bytes:
    """``canonical_bytes(package)`` of a day's record package, given the day's releases and
    their canonical lines: a record whose compiled release is the ocid's one release of the
    day under the compiled id and tag is spliced from that release's line instead of being
    serialised again (a day with bids carries each of them in both packages)."""
    count = Counter(release["ocid"] for release in releases)
    single = {
        release["ocid"]: (release, line)
        for release, line in zip(releases, lines, strict=True)
        if count[release["ocid"]] == 1
    }
    records = package["records"]
    if not records:
        return canonical_bytes(package)
    members = {
        name: canonical_bytes({name: value})[1:-1]
        for name, value in package.items()
        if name != "records"
    }
    names = sorted([*members, "records"])  # ASCII names: code point order is JCS order
    if any(not name.isascii() for name in names):
        return canonical_bytes(package)
    parts: list[bytes] = [b"{"]
    for name in names:
        if len(parts) > 1:
            parts.append(b",")
        if name != "records":
            parts.append(members[name])
            continue
        parts.append(b'"records":[')
        for number, record in enumerate(records):
            if number:
                parts.append(b",")
            parts.append(_record_bytes(record, single.get(record.get("ocid"))))
        parts.append(b"]")
    parts.append(b"}")
    return b"".join(parts)


def _record_bytes(
    record: Mapping[str, Any], source: tuple[Mapping[str, Any], bytes] | None
) -> bytes:
    """Canonical bytes of one record (the compiled release spliced from ``source`` when it is
    that release with another id and tag)."""
    if source is None or record.keys() != _RECORD_KEYS or len(record["releases"]) != 1:
        return canonical_bytes(record)
    compiled = _spliced(record["compiledRelease"], *source)
    if compiled is None:
        return canonical_bytes(record)
    rest = _canonical_plain({"ocid": record["ocid"], "releases": record["releases"]})
    return b'{"compiledRelease":' + compiled + b"," + rest[1:]


def _spliced(compiled: Any, release: Mapping[str, Any], line: bytes) -> bytes | None:
    """``canonical_bytes(compiled)`` from ``line`` (the canonical bytes of ``release``) when
    ``compiled`` holds ``release``'s very values but for ``id`` and ``tag``: both members are
    replaced where they are the only occurrence of their bytes after a comma (so the top-level
    one); None otherwise."""
    if not isinstance(compiled, dict) or compiled.keys() != release.keys():
        return None
    if any(
        compiled[key] is not value for key, value in release.items() if key not in ("id", "tag")
    ):
        return None
    for key in ("id", "tag"):
        head = b'{"' + key.encode() + b'":'
        old = b',"' + key.encode() + b'":' + _canonical_plain(release[key])
        if line.startswith(head) or line.count(old) != 1:
            return None
        at = line.index(old) + len(old)
        if line[at : at + 1] not in (b",", b"}"):
            return None
        new = b',"' + key.encode() + b'":' + _canonical_plain(compiled[key])
        line = line.replace(old, new, 1)
    return line


def _canonical_plain(value: Any) -> bytes:
    """``canonical_bytes(value)``; texts, lists and objects with ASCII keys of them only are
    serialised by orjson directly (its output is then JCS: no number, no key to reorder)."""
    if _plain(value):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return canonical_bytes(value)


def _plain(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and key.isascii() and _plain(item) for key, item in value.items()
        )
    return False
