"""Values remembered by file identity (``publication.filecache``): a remembered value is the
value a fresh read gives, whatever changed in the files since (the reference path)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from support import site_days

from integrity import layout
from publication import atomic, filecache
from publication.listing import _published_day, _read_index, published_days
from publication.portal import QUALITY_PAGE, write_quality_page
from publication.writer import read_index


@pytest.fixture
def settled_now(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Files count as settled as soon as they are written (no 2 s wait in the tests)."""
    monkeypatch.setattr(atomic, "SETTLED_NS", 0)
    filecache.forget()
    yield
    filecache.forget()


def test_a_value_is_computed_again_when_a_file_or_extra_changes(
    tmp_path: Path, settled_now: None
) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"1")
    calls: list[bytes] = []

    def read() -> bytes:
        calls.append(path.read_bytes())
        return calls[-1]

    assert filecache.remembered("k", [path], read) == b"1"
    assert filecache.remembered("k", [path], read) == b"1"
    assert len(calls) == 1
    path.write_bytes(b"2")  # in place, same size
    assert filecache.remembered("k", [path], read) == b"2"
    assert filecache.remembered("k", [path], read, extra="x") == b"2"
    assert len(calls) == 3
    path.unlink()
    assert filecache.remembered("k", [path], lambda: b"gone") == b"gone"
    assert filecache.remembered("k", [path], lambda: b"again") == b"gone"  # missing alike
    path.write_bytes(b"3")
    assert filecache.remembered("k", [path], read) == b"3"


def test_a_file_changed_just_now_is_read_every_time(tmp_path: Path) -> None:
    filecache.forget()
    path = tmp_path / "fresh.json"
    path.write_bytes(b"1")
    calls = []
    for _ in range(3):
        filecache.remembered("fresh", [path], lambda: calls.append(1))
    assert len(calls) == 3


def test_published_days_and_quality_page_follow_every_change(
    tmp_path: Path, settled_now: None
) -> None:
    root = tmp_path / "datasets"
    days = site_days.days(dt.date(2026, 3, 1), 4)
    site_days.publish(root, days)
    site_days.anchor(root, days[0])
    dataset = site_days.DATASET

    def fresh() -> list[object]:
        return [_published_day(root, dataset, entry) for entry in _read_index(root, dataset)]

    def quality_page() -> bytes:
        write_quality_page(root, dataset, read_index(root, dataset))
        return (root / QUALITY_PAGE).read_bytes()

    assert published_days(root, dataset) == fresh()
    page = quality_page()
    # an anchor receipt (index entry and verification file), a quality report edited in place
    site_days.anchor(root, days[1])
    quality = layout.DayLayout(root, dataset, days[2]).path(layout.QUALITY_JSON)
    report = orjson.loads(quality.read_bytes())
    report["status"] = "blocked" if report["status"] != "blocked" else "ok"
    report["rows_in"] = 987654
    quality.write_bytes(orjson.dumps(report))
    # and an index entry changed alone (its files unchanged)
    index_path = root / layout.INDEX_FILE
    index = orjson.loads(index_path.read_bytes())
    index["days"][3].update(anchored=True, anchorStatus="anclado")
    index_path.write_bytes(orjson.dumps(index))
    assert published_days(root, dataset) == fresh()
    assert published_days(root, dataset)[3].anchor.state == "anchored"
    assert published_days(root, dataset)[2].quality == report["status"]
    changed = quality_page()
    assert changed != page and b"987654" in changed
    filecache.forget()
    assert published_days(root, dataset) == fresh()
    assert quality_page() == changed
