"""The check right after a day is written takes each file at its writer's hash only while the
file is provably the one hashed; any change since (or a hash too close to the file's last
change to tell) makes the check read the file again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.chain_helpers import DATASET, write_test_day

from integrity import layout
from integrity.verify import Source
from publication import anchoring, writer
from publication.anchoring import check_day_files
from publication.atomic import HashedFile, file_clock_ns
from publication.targets import AnchorTarget
from publication.writer import PublicationError, PublishedDay

DAY = dt.date(2025, 3, 4)
LATER = 10**12  # a clock reading well after every file's times: each hash then counts


def write(root: Path, monkeypatch: pytest.MonkeyPatch, *, clock: int | None) -> PublishedDay:
    """The day written; ``clock`` offsets the reading taken before each hash (None: real)."""
    if clock is not None:
        monkeypatch.setattr(writer, "file_clock_ns", lambda: file_clock_ns() + clock)
    published = write_test_day(root, DAY, 5)
    monkeypatch.setattr(writer, "file_clock_ns", file_clock_ns)
    time.sleep(0.01)  # the files' times are now older than a clock tick
    return published


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    read: list[str] = []
    original = Source.hash

    def counting(self: Source, rel: str, expected: int) -> Any:
        read.append(rel)
        return original(self, rel, expected)

    monkeypatch.setattr(Source, "hash", counting)
    return read


def faked(published: PublishedDay, kind: str) -> dict[str, HashedFile]:
    """The writer's hashes with one file's digest replaced (as if it had hashed other bytes)."""
    name = layout.DayLayout(Path(), DATASET, DAY).name(kind)
    hashed = dict(published.hashed)
    hashed[name] = dataclasses.replace(hashed[name], sha256="0" * 64)
    return hashed


def test_every_listed_file_is_hashed_by_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = write(tmp_path, monkeypatch, clock=None)
    listed = {entry["name"] for entry in published.manifest.data["files"]}
    assert set(published.hashed) == listed
    again = write_test_day(tmp_path, DAY, 5)  # unchanged: the files on disk are not its own
    assert again.unchanged and again.hashed == {}


def test_files_unchanged_since_their_hash_are_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = write(tmp_path, monkeypatch, clock=LATER)
    read = count_reads(monkeypatch)
    assert check_day_files(published.folder, published.manifest, published.hashed) == []
    assert read == []  # the leaves file is still scanned (its Merkle tree), not hashed
    # The writer's digest is what the check relies on: a wrong one is reported.
    problems = check_day_files(
        published.folder, published.manifest, faked(published, layout.ORDERS_CSV)
    )
    assert any("SHA-256" in problem for problem in problems), problems


def test_a_hash_not_later_than_the_files_last_change_is_not_relied_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hash began in the tick of the file's last change: a change right after it would
    # keep the same times, so the file is read again (and the right bytes are found).
    published = write(tmp_path, monkeypatch, clock=-LATER)
    read = count_reads(monkeypatch)
    hashed = faked(published, layout.ORDERS_CSV)
    assert check_day_files(published.folder, published.manifest, hashed) == []
    assert layout.DayLayout(Path(), DATASET, DAY).name(layout.ORDERS_CSV) in read


@pytest.mark.parametrize("how", ["in place", "replaced"])
def test_a_file_changed_after_its_hash_is_caught_now_and_when_anchoring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    published = write(tmp_path, monkeypatch, clock=LATER)
    path = published.folder / layout.DayLayout(Path(), DATASET, DAY).name(layout.ORDERS_CSV)
    info = path.stat()
    data = bytearray(path.read_bytes())
    data[-2:-1] = b"9" if data[-2:-1] != b"9" else b"8"  # same size
    if how == "in place":
        with path.open("r+b") as handle:
            handle.write(data)
    else:
        spare = path.with_name(".spare")
        spare.write_bytes(data)
        os.replace(spare, path)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # same modification time
    problems = check_day_files(published.folder, published.manifest, published.hashed)
    assert any(path.name in problem and "SHA-256" in problem for problem in problems), problems
    with pytest.raises(PublicationError, match="refusing to anchor an inconsistent day"):
        anchoring._consistent_manifest(AnchorTarget.of_day(tmp_path, DATASET, DAY))


def test_a_day_checked_from_its_hashes_is_caught_when_changed_before_anchoring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = write(tmp_path, monkeypatch, clock=LATER)
    assert check_day_files(published.folder, published.manifest, published.hashed) == []
    target = AnchorTarget.of_day(tmp_path, DATASET, DAY)
    assert anchoring._still_verified(target.folder, published.manifest)
    jsonl = published.folder / layout.DayLayout(Path(), DATASET, DAY).name(layout.RELEASES_JSONL)
    jsonl.write_bytes(jsonl.read_bytes()[:-1])
    with pytest.raises(PublicationError, match="refusing to anchor an inconsistent day"):
        anchoring._consistent_manifest(target)


def test_the_change_log_takes_a_written_days_releases_only_while_its_file_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publication import feed

    published = write(tmp_path, monkeypatch, clock=LATER)
    name = layout.DayLayout(Path(), DATASET, DAY).name(layout.RELEASES_JSONL)
    leaves = published.folder / name
    parsed = feed._leaf_fields(leaves)  # nothing remembered: read from the file
    releases = [orjson.loads(line) for line in leaves.read_bytes().splitlines()]
    assert len(parsed) == 5 and parsed == [
        (r["ocid"], r["id"], r.get("date"), r.get("tag", [])) for r in releases
    ]
    marked = [{**r, "id": f"{r['id']}-remembered"} for r in releases]  # tells where they came from
    feed.remember_releases(leaves, published.hashed[name], marked)
    assert [fields[1] for fields in feed._leaf_fields(leaves)] == [r["id"] for r in marked]
    assert feed._leaf_fields(leaves) == parsed  # taken once
    feed.remember_releases(leaves, published.hashed[name], marked)
    data = leaves.read_bytes()
    leaves.write_bytes(data)  # rewritten (same bytes): no longer provably the file hashed
    assert feed._leaf_fields(leaves) == parsed
