"""The change feed: paginated append-only pages, a harvester that resumes from its cursor, and
the JSON Feed of days, served by `publicar serve`'s server."""

from __future__ import annotations

import datetime as dt
import http.client
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
import pytest
from support import site_days

from integrity.keys import anchor_key
from integrity.layout import DayLayout
from publication.feed import CHANGES_HEAD, FEED_JSON, FeedError, changes, page_file, refresh_feed
from publication.listing import published_days
from publication.server import make_server
from publication.writer import update_index, write_day

DATASET = site_days.DATASET
BASE_URL = site_days.BASE_URL
DAYS = site_days.days(dt.date(2026, 3, 2), 3)
PAGE_SIZE = 5
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def refresh(root: Path, now: str) -> None:
    refresh_feed(
        root,
        DATASET,
        published_days(root, DATASET),
        base_url=BASE_URL,
        publisher="PERÚ COMPRAS",
        now=now,
        page_size=PAGE_SIZE,
    )


class Harvester:
    """What a CKAN/DKAN-style harvest job does with the change pages: keep a cursor
    (page URL, last seq) between runs, re-read that page, follow ``links.next``."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.cursor: tuple[str, int] | None = None
        self.etags: dict[str, str] = {}
        self.cached: dict[str, Any] = {}
        self.not_modified = 0

    def get(self, path: str) -> Any:
        connection = http.client.HTTPConnection(self.address, timeout=10)
        headers = {"Accept-Encoding": "gzip"}
        if path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status == 304:
            self.not_modified += 1
            return self.cached[path]
        assert response.status == 200, (path, response.status)
        import gzip

        if response.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.etags[path] = response.getheader("ETag") or ""
        self.cached[path] = orjson.loads(body)
        return self.cached[path]

    def harvest(self) -> list[dict[str, Any]]:
        if self.cursor is None:
            head = self.get(f"/{CHANGES_HEAD}")
            page_path, last_seq = urljoin(f"/{CHANGES_HEAD}", head["links"]["first"]), 0
        else:
            page_path, last_seq = self.cursor
        seen: list[dict[str, Any]] = []
        while True:
            page = self.get(page_path)
            seen.extend(item for item in page["items"] if item["seq"] > last_seq)
            if seen:
                last_seq = seen[-1]["seq"]
            following = page["links"]["next"]
            if not following:
                break
            page_path = urlsplit(urljoin(page_path, following)).path
        self.cursor = (page_path, last_seq)
        return seen


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "datasets"
    root.mkdir()
    server = make_server(root, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _pages(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "cambios").glob("pagina-*.json"))}


def test_a_second_harvest_sees_only_the_new_changes(served: tuple[str, Path]) -> None:
    address, root = served
    site_days.publish(root, DAYS[:2])
    refresh(root, "2026-03-03T06:00:00Z")
    harvester = Harvester(address)
    first = harvester.harvest()
    assert [item["type"] for item in first] == ["day.published", *["release.added"] * 3] * 2
    assert [item["seq"] for item in first] == list(range(1, 9))
    assert first[0]["day"] == "2026-03-02" and first[0]["anchor"] == "pending"
    assert first[1]["package"]["url"].startswith(f"{BASE_URL}/{DATASET}/2026/03/02/")
    full_page = _pages(root)[page_file(1)]

    site_days.anchor(root, DAYS[0])
    site_days.publish(root, DAYS[2:])
    refresh(root, "2026-03-04T06:00:00Z")
    second = harvester.harvest()
    assert [(item["type"], item["day"]) for item in second] == [
        ("day.anchored", "2026-03-02"),
        ("day.published", "2026-03-04"),
        *[("release.added", "2026-03-04")] * 3,
    ]
    assert [item["seq"] for item in second] == list(range(9, 14))
    assert all(item["time"] == "2026-03-04T06:00:00Z" for item in second)

    assert harvester.harvest() == []  # nothing new: nothing seen twice
    assert harvester.not_modified == 1  # the cursor's page, unchanged, answered 304
    refresh(root, "2026-03-05T06:00:00Z")  # a re-run with nothing new writes nothing
    assert harvester.harvest() == []
    assert _pages(root)[page_file(1)] == full_page  # a full page never changes

    fresh = Harvester(address).harvest()  # a new harvester reads everything once
    assert [item["seq"] for item in fresh] == list(range(1, 14))
    assert fresh == first + second


def test_pages_link_forward_and_the_last_page_is_never_full(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    site_days.publish(root, DAYS)
    refresh(root, "2026-03-05T06:00:00Z")
    head = orjson.loads((root / CHANGES_HEAD).read_bytes())
    assert head["totalItems"] == 12
    pages = [orjson.loads(data) for data in _pages(root).values()]
    assert [len(page["items"]) for page in pages] == [5, 5, 2]
    assert [page["links"]["next"] for page in pages] == [page_file(2), page_file(3), None]
    assert [page["full"] for page in pages] == [True, True, False]
    assert head["links"] == {"first": page_file(1), "last": page_file(3)}
    assert [(p["firstSeq"], p["lastSeq"]) for p in head["pages"]] == [(1, 5), (6, 10), (11, 12)]
    assert set(head["days"]) == {day.isoformat() for day in DAYS}
    # Exactly filling the last page opens an empty next page at once.
    site_days.publish(root, [dt.date(2026, 3, 5)])
    refresh(root, "2026-03-06T06:00:00Z")
    pages = [orjson.loads(data) for data in _pages(root).values()]
    assert [len(page["items"]) for page in pages] == [5, 5, 5, 1]
    site_days.publish(root, [dt.date(2026, 3, 6)], releases=0)  # a day without releases: 1 item
    site_days.publish(root, [dt.date(2026, 3, 7)], releases=2)
    refresh(root, "2026-03-07T06:00:00Z")
    pages = [orjson.loads(data) for data in _pages(root).values()]
    assert [len(page["items"]) for page in pages] == [5, 5, 5, 5, 0]
    assert pages[-1]["links"]["prev"] == page_file(4) and pages[-1]["links"]["next"] is None


def test_corrections_and_anchor_changes(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    site_days.publish(root, DAYS[:2])
    refresh(root, "2026-03-04T06:00:00Z")
    corrected = site_days.content(DAYS[1], salt="corregido")
    write_day(root, corrected, anchor_key_hex=anchor_key(DATASET, DAYS[1]).hex())
    site_days.anchor(root, DAYS[0], index_fields={"anchorKind": "first"})
    refresh(root, "2026-03-04T07:00:00Z")
    site_days.anchor(root, DAYS[1], index_fields={"anchorKind": 3})
    refresh(root, "2026-03-04T08:00:00Z")
    DayLayout(root, DATASET, DAYS[0]).anchor.unlink()
    update_index(root, DATASET)
    refresh(root, "2026-03-04T09:00:00Z")
    items = [item for data in _pages(root).values() for item in orjson.loads(data)["items"]]
    events = [
        (i["type"], i["day"], i.get("anchorKind")) for i in items if i["type"] != "release.added"
    ]
    assert events == [
        ("day.published", "2026-03-02", None),
        ("day.published", "2026-03-03", None),
        ("day.anchored", "2026-03-02", "first"),
        ("day.corrected", "2026-03-03", None),
        ("day.anchored", "2026-03-03", "correction"),
        ("day.pending", "2026-03-02", None),
    ]
    releases_of_correction = [i for i in items if i["type"] == "release.added" and i["seq"] > 9]
    assert len(releases_of_correction) == 3
    head = orjson.loads((root / CHANGES_HEAD).read_bytes())
    assert head["days"]["2026-03-02"]["published"] == "2026-03-04T06:00:00Z"
    assert head["days"]["2026-03-02"]["modified"] == "2026-03-04T09:00:00Z"


def test_a_day_older_than_a_known_day_is_flagged_late(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    site_days.publish(root, DAYS[:1])
    known = {"2026-03-05": {"manifestSha256": "00", "anchor": "anchored", "anchorKind": None}}
    (item, *_) = changes(root, DATASET, published_days(root, DATASET), known, BASE_URL)
    assert (item["type"], item["late"]) == ("day.published", True)


def test_json_feed_of_days(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    site_days.publish(root, DAYS)
    site_days.anchor(root, DAYS[0])
    refresh(root, "2026-03-05T06:00:00Z")
    feed = orjson.loads((root / FEED_JSON).read_bytes())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["feed_url"] == f"{BASE_URL}/{FEED_JSON}"
    assert feed["home_page_url"] == f"{BASE_URL}/"
    assert feed["authors"] == [{"name": "PERÚ COMPRAS"}]
    assert len(feed["items"]) == 3
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == 3 and all(i.startswith(f"{BASE_URL}/{DATASET}/2026/03/") for i in ids)
    for item in feed["items"]:
        assert item["content_text"] and item["title"]
        assert RFC3339.match(item["date_published"]) and RFC3339.match(item["date_modified"])
        assert item["url"].startswith(f"{BASE_URL}/meses/2026-03.html#dia-2026-03-0")
        assert len(item["attachments"]) >= 10
        assert all(a["size_in_bytes"] > 0 and a["mime_type"] for a in item["attachments"])
    anchored = next(i for i in feed["items"] if i["id"].endswith("-02-manifest.json"))
    assert "anclado" in anchored["title"] and "anchored" in anchored["tags"]


def test_a_full_page_is_never_rewritten(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    site_days.publish(root, DAYS[:2])
    refresh(root, "2026-03-04T06:00:00Z")
    head_path = root / CHANGES_HEAD
    head = orjson.loads(head_path.read_bytes())
    head["pages"][-1]["items"] = PAGE_SIZE  # a damaged head that claims the last page is full
    head_path.write_bytes(orjson.dumps(head))
    site_days.publish(root, DAYS[2:])
    with pytest.raises(FeedError, match="last page is full"):
        refresh(root, "2026-03-05T06:00:00Z")
    shutil.rmtree(root / "cambios")
    refresh(root, "2026-03-05T06:00:00Z")  # a lost log is rebuilt from the published days
    assert orjson.loads(head_path.read_bytes())["totalItems"] == 12


@pytest.mark.parametrize("killed_days", [1, 2])
def test_a_refresh_killed_before_its_head_is_written_again_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, killed_days: int
) -> None:
    """Pages written, then a kill before the head (one day: the last page grows; two days: a
    page fills and the next one opens): the next refresh ends as an uninterrupted one."""
    import publication.feed as feed

    clean, crashed = tmp_path / "clean", tmp_path / "crashed"
    for root in (clean, crashed):
        site_days.publish(root, DAYS[:1])
        refresh(root, "2026-03-03T06:00:00Z")
    site_days.publish(clean, DAYS[1:])
    refresh(clean, "2026-03-05T06:00:00Z")

    site_days.publish(crashed, DAYS[1 : 1 + killed_days])
    real_write = feed.write_atomic

    def killed_at_the_head(path: Path, data: bytes) -> None:
        if path.name == "index.json":
            raise KeyboardInterrupt("killed")
        real_write(path, data)

    monkeypatch.setattr(feed, "write_atomic", killed_at_the_head)
    with pytest.raises(KeyboardInterrupt):
        refresh(crashed, "2026-03-04T06:00:00Z")
    monkeypatch.setattr(feed, "write_atomic", real_write)
    assert len(_pages(crashed)) > 1  # the killed refresh did write pages past the head
    site_days.publish(crashed, DAYS[1 + killed_days :])
    refresh(crashed, "2026-03-05T06:00:00Z")
    assert _pages(crashed) == _pages(clean)
    assert (crashed / CHANGES_HEAD).read_bytes() == (clean / CHANGES_HEAD).read_bytes()
