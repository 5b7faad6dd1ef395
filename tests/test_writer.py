"""The day writer: packages assembled from canonical lines equal the canonical whole; the
index of published days."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import site_days

from integrity import layout
from integrity.canonical import canonical_bytes
from integrity.keys import anchor_key
from integrity.manifest import load_manifest
from publication import writer
from publication.writer import (
    canonical_with_array,
    carry_index,
    read_index,
    record_anchor,
    write_day,
)

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyzAZ_", min_size=1, max_size=12)
values = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=10)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(keys, values, max_size=8),
    st.lists(st.dictionaries(keys, values, max_size=4), max_size=5),
)
def test_package_from_lines_equals_canonical_package(meta: dict, releases: list) -> None:
    meta.pop("releases", None)
    lines = [canonical_bytes(r) for r in releases]
    assert canonical_with_array(meta, "releases", lines) == canonical_bytes(
        {**meta, "releases": releases}
    )


def test_index_skips_the_folders_a_killed_write_leaves(tmp_path: Path) -> None:
    """A staging folder (or a retired one) left by a kill holds a day's manifest: not a day."""
    day = dt.date(2025, 3, 3)
    site_days.publish(tmp_path, [day])
    folder = layout.DayLayout(tmp_path, site_days.DATASET, day).folder
    shutil.copytree(folder, folder.parent / f".{day}-x1y2z3")
    shutil.copytree(folder, folder.with_name(f".{folder.name}-replaced"))
    indexed = read_index(tmp_path, site_days.DATASET)
    assert [entry["date"] for entry in indexed] == [day.isoformat()]


def test_index_entry_follows_its_day_files(tmp_path: Path) -> None:
    """An entry read before is refreshed once the day's receipt or manifest is replaced."""
    first, second = dt.date(2025, 3, 3), dt.date(2025, 3, 4)
    site_days.publish(tmp_path, [first, second])
    before = read_index(tmp_path, site_days.DATASET)
    assert [entry["anchorStatus"] for entry in before] == ["pendiente", "pendiente"]
    record_anchor(tmp_path, site_days.DATASET, second, {"status": "anclado"})
    after = read_index(tmp_path, site_days.DATASET)
    assert [entry["anchorStatus"] for entry in after] == ["pendiente", "anclado"]
    shutil.rmtree(layout.DayLayout(tmp_path, site_days.DATASET, first).folder)
    corrected = site_days.content(first, salt="corrected")
    write_day(tmp_path, corrected, anchor_key_hex=anchor_key(site_days.DATASET, first).hex())
    again = read_index(tmp_path, site_days.DATASET)
    assert again[0]["manifestSha256"] != before[0]["manifestSha256"]
    assert (
        again[0]["manifestSha256"]
        == load_manifest(layout.DayLayout(tmp_path, site_days.DATASET, first).manifest).sha256
    )


def test_the_index_a_write_updates_equals_a_full_read(tmp_path: Path) -> None:
    """``write_day`` re-reads only the day it wrote into the index it read before writing;
    the reference is ``read_index`` of every folder, after each kind of write."""
    root = tmp_path / "datasets"
    dataset = site_days.DATASET

    def written() -> list[dict[str, object]]:
        return list(orjson.loads((root / layout.INDEX_FILE).read_bytes())["days"])

    def write(day: dt.date, salt: str = "") -> None:
        content = site_days.content(day, salt=salt)
        write_day(root, content, anchor_key_hex=anchor_key(dataset, day).hex())
        assert written() == read_index(root, dataset), (day, salt)

    march = site_days.days(dt.date(2026, 3, 30), 4)  # across a month's end
    for day in march[1:]:
        write(day)
    write(march[0])  # a late day, before those already published
    write(march[2], salt="corrected")  # replaced (not anchored)
    site_days.anchor(root, march[1])
    write(march[3], salt="corrected")
    assert [entry["date"] for entry in written()] == [day.isoformat() for day in march]
    assert [entry["anchored"] for entry in written()] == [False, True, False, False]


def test_a_carried_index_is_the_one_read_from_the_folders(tmp_path: Path) -> None:
    """Days written while ``carry_index`` carries the entries (receipts, a replaced and an
    unchanged day among them) leave the bytes of days written reading the folders each time."""
    plain, carried = tmp_path / "plain", tmp_path / "carried"
    first = dt.date(2025, 3, 3)
    steps: list[tuple[str, dt.date, str]] = [
        ("write", first, ""),
        ("write", first + dt.timedelta(1), ""),
        ("anchor", first, ""),
        ("write", first + dt.timedelta(3), ""),
        ("write", first + dt.timedelta(3), ""),  # unchanged
        ("write", first + dt.timedelta(2), ""),  # an earlier day published late
        ("write", first + dt.timedelta(2), "corrected"),  # replaced (no receipt)
        ("write", first + dt.timedelta(40), ""),
    ]
    for root, carry in ((plain, False), (carried, True)):
        with carry_index(root, site_days.DATASET) if carry else contextlib.nullcontext():
            for kind, day, salt in steps:
                if kind == "anchor":
                    record_anchor(root, site_days.DATASET, day, {"status": "anclado"})
                    continue
                content = site_days.content(day, salt=salt)
                write_day(root, content, anchor_key_hex=anchor_key(site_days.DATASET, day).hex())
                if carry:
                    assert writer._CARRIED[(root, site_days.DATASET)] == read_index(
                        root, site_days.DATASET
                    )
        assert not writer._CARRIED
    for path in sorted(plain.rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (carried / path.relative_to(plain)).read_bytes(), path


def test_every_file_of_a_day_is_flushed_before_it_is_renamed_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut after the rename must not leave a visible day with a file not on disk."""
    from publication import atomic

    flushed: list[Path] = []
    real = atomic._fsync_file

    def recorded(path: Path) -> None:
        real(path)
        flushed.append(path)

    monkeypatch.setattr(atomic, "_fsync_file", recorded)
    root = tmp_path / "datasets"
    day = dt.date(2026, 3, 2)
    result = write_day(
        root, site_days.content(day), anchor_key_hex=anchor_key(site_days.DATASET, day).hex()
    )
    written = sorted(path.name for path in result.folder.iterdir())
    assert sorted({path.name for path in flushed}) == written
