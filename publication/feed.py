"""What changed since X: static, paginated change pages and a JSON Feed of days.

``cambios/`` is an append-only log. Each refresh compares the published days with the days
the log already knows (``cambios/index.json``) and appends one item per change, numbered by
``seq``: ``day.published`` (a new day; ``late`` when an older day arrives after a newer one),
``day.anchored``, ``day.pending`` (an anchor status went back to pending), ``day.corrected``
(a day republished with another manifest), and ``release.added`` for every release of a new
or corrected day (a harvester keys releases by ``id``, so a corrected day's repeats are
harmless). Pages hold ``PAGE_SIZE`` items; a full page is never rewritten, and the last page
is never full (a page that fills gets its ``links.next`` and the next page at once), so a
harvester stores ``(page, seq)`` and next time re-reads that page, keeps ``seq`` > its cursor
and follows ``links.next``: it sees each change exactly once. Links are relative to the page.
The head is written last and is the commit point: a refresh killed before it leaves items the
next refresh writes again under the same numbers.

``feed.json`` (JSON Feed 1.1) has one item per day, newest change first, for feed readers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from messages import text
from publication.atomic import HashedFile, write_atomic
from publication.listing import Day, human_size, month_page

CHANGES_FOLDER = "cambios"
CHANGES_HEAD = f"{CHANGES_FOLDER}/index.json"
FEED_JSON = "feed.json"
FORMAT = "perucompras-cambios/1"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
PAGE_SIZE = 500
FEED_ITEMS = 60
LANG = "es"
# (ocid, id, date, tag) of each line of a leaves file this process wrote, while the file is
# the one its writer hashed (``HashedFile.still_holds``): the change log then does not parse
# it again. Taken once; a few hundred days at most (a run refreshes after each month).
_WRITTEN: dict[str, tuple[HashedFile, list[tuple[Any, Any, Any, Any]]]] = {}
_WRITTEN_MAX = 400


class FeedError(RuntimeError):
    """The change log on disk is inconsistent (a full page would have to change)."""


def page_file(number: int) -> str:
    """File name of a change page (inside ``cambios/``)."""
    return f"pagina-{number:06d}.json"


def utc_now() -> str:
    """The current time, RFC 3339 in UTC to the second."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _load(path: Path) -> dict[str, Any] | None:
    try:
        value = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    return value if isinstance(value, dict) else None


def _json(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def _day_state(day: Day) -> dict[str, Any]:
    return {
        "manifestSha256": day.manifest_sha256,
        "anchor": day.anchor.state,
        "anchorKind": day.anchor.kind,
    }


def _day_item(kind: str, day: Day, base_url: str, *, late: bool = False) -> dict[str, Any]:
    manifest_path = f"{day.folder}/{day.manifest_name}"
    item: dict[str, Any] = {
        "type": kind,
        "day": day.date,
        "manifest": {
            "path": manifest_path,
            "url": f"{base_url}/{manifest_path}",
            "sha256": day.manifest_sha256,
        },
        "anchor": day.anchor.state,
        "anchorKind": day.anchor.kind,
        "quality": day.quality,
        "releases": day.tree_size,
    }
    if kind == "day.published":
        item["late"] = late
    return item


def remember_releases(
    leaves: Path, written: HashedFile, releases: Sequence[Mapping[str, Any]]
) -> None:
    """Keep what the change log needs of ``releases``, the lines of the leaves file just
    written (in file order) and hashed as ``written``."""
    while len(_WRITTEN) >= _WRITTEN_MAX:
        _WRITTEN.pop(next(iter(_WRITTEN)))
    _WRITTEN[str(leaves)] = (
        written,
        [(r["ocid"], r["id"], r.get("date"), list(r.get("tag", []))) for r in releases],
    )


def _leaf_fields(leaves: Path) -> list[tuple[Any, Any, Any, Any]]:
    known = _WRITTEN.pop(str(leaves), None)
    if known is not None and known[0].still_holds(leaves):
        return known[1]
    fields = []
    for line in leaves.read_bytes().splitlines():
        if not line:
            continue
        release = orjson.loads(line)
        fields.append((release["ocid"], release["id"], release.get("date"), release.get("tag", [])))
    return fields


def _release_items(root: Path, day: Day, base_url: str, dataset: str) -> list[dict[str, Any]]:
    leaves = root / day.folder / f"{dataset}-{day.date}-{layout.RELEASES_JSONL}"
    package = f"{day.folder}/{dataset}-{day.date}-{layout.RELEASE_PACKAGE}"
    return [
        {
            "type": "release.added",
            "day": day.date,
            "ocid": ocid,
            "id": release_id,
            "date": date,
            "tag": tag,
            "package": {"path": package, "url": f"{base_url}/{package}#{release_id}"},
        }
        for ocid, release_id, date, tag in _leaf_fields(leaves)
    ]


def changes(
    root: Path, dataset: str, days: Sequence[Day], known: dict[str, Any], base_url: str
) -> list[dict[str, Any]]:
    """The items that bring the log from ``known`` (date -> last state) to ``days``."""
    items: list[dict[str, Any]] = []
    newest_known = max(known, default="")
    for day in sorted(days, key=lambda d: d.date):
        before = known.get(day.date)
        state = _day_state(day)
        if before is None:
            items.append(_day_item("day.published", day, base_url, late=day.date < newest_known))
            items.extend(_release_items(root, day, base_url, dataset))
        elif before["manifestSha256"] != day.manifest_sha256:
            items.append(_day_item("day.corrected", day, base_url))
            items.extend(_release_items(root, day, base_url, dataset))
        elif before["anchor"] != state["anchor"]:
            kind = "day.anchored" if day.anchor.state == "anchored" else "day.pending"
            items.append(_day_item(kind, day, base_url))
    return items


def _page(dataset: str, number: int, items: list[dict[str, Any]], page_size: int) -> dict[str, Any]:
    full = len(items) >= page_size
    return {
        "format": FORMAT,
        "dataset": dataset,
        "page": number,
        "pageSize": page_size,
        "full": full,
        "links": {
            "self": page_file(number),
            "head": "index.json",
            "prev": page_file(number - 1) if number > 1 else None,
            "next": page_file(number + 1) if full else None,
        },
        "items": items,
    }


def _changed(before: dict[str, Any] | None, day: Day) -> bool:
    return before is None or any(before.get(k) != v for k, v in _day_state(day).items())


def _append(
    folder: Path,
    dataset: str,
    pages: list[dict[str, Any]],
    new_items: list[dict[str, Any]],
    total: int,
    now: str,
    page_size: int,
) -> int:
    """Add items to the last page (and new ones), update ``pages`` in place; the new total."""
    if pages and pages[-1]["items"] >= page_size:
        raise FeedError(f"{CHANGES_HEAD}: the last page is full; the log is inconsistent")
    number = pages[-1]["number"] if pages else 1
    current: list[dict[str, Any]] = []
    if pages:
        # The head is the commit point: items and pages a killed refresh wrote after the head
        # it last wrote are not part of the log, and are written again (the same seq numbers).
        known = pages[-1]["items"]
        last = _load(folder / page_file(number))
        if last is None or len(last["items"]) < known:
            raise FeedError(f"{folder / page_file(number)}: missing or short; the log is broken")
        current = list(last["items"])[:known]
        pages.pop()
    written: dict[int, dict[str, Any]] = {}
    for item in new_items:
        total += 1
        current.append({"seq": total, "time": now, **item})
        if len(current) == page_size:
            written[number] = _page(dataset, number, current, page_size)
            number, current = number + 1, []
    written[number] = _page(dataset, number, current, page_size)
    for page_number, page in sorted(written.items()):
        write_atomic(folder / page_file(page_number), _json(page))
        items = page["items"]
        pages.append(
            {
                "number": page_number,
                "url": page_file(page_number),
                "items": len(items),
                "firstSeq": items[0]["seq"] if items else None,
                "lastSeq": items[-1]["seq"] if items else None,
                "from": items[0]["time"] if items else None,
                "to": items[-1]["time"] if items else None,
            }
        )
    return total


def refresh_changes(
    root: Path,
    dataset: str,
    days: Sequence[Day],
    *,
    base_url: str,
    now: str | None = None,
    page_size: int = PAGE_SIZE,
) -> bool:
    """Append the changes since the last refresh to ``cambios/``; False when nothing changed."""
    folder = root / CHANGES_FOLDER
    head = _load(root / CHANGES_HEAD) or {}
    known: dict[str, Any] = dict(head.get("days", {}))
    new_items = changes(root, dataset, days, known, base_url)
    stale = [day for day in days if _changed(known.get(day.date), day)]
    if not new_items and not stale:
        return False
    now = now or utc_now()
    total = int(head.get("totalItems", 0))
    pages: list[dict[str, Any]] = list(head.get("pages", []))
    if new_items:
        total = _append(folder, dataset, pages, new_items, total, now, page_size)
    for day in stale:
        before = known.get(day.date, {})
        moved = not before or before["manifestSha256"] != day.manifest_sha256
        moved = moved or before["anchor"] != day.anchor.state
        known[day.date] = {
            **_day_state(day),
            "published": before.get("published", now),
            "modified": now if moved else before.get("modified", now),
        }
    head = {
        "format": FORMAT,
        "dataset": dataset,
        "updated": now,
        "pageSize": page_size,
        "totalItems": total,
        "links": {"first": pages[0]["url"], "last": pages[-1]["url"]},
        "pages": pages,
        "days": dict(sorted(known.items())),
    }
    write_atomic(root / CHANGES_HEAD, _json(head))
    return True


def build_json_feed(days: Sequence[Day], head: dict[str, Any], *, base_url: str) -> dict[str, Any]:
    """The JSON Feed 1.1 of days: one item per day, most recently changed first."""
    states = head.get("days", {})
    ordered = sorted(
        days, key=lambda d: (states.get(d.date, {}).get("modified", ""), d.date), reverse=True
    )
    items = []
    for day in ordered[:FEED_ITEMS]:
        state = states.get(day.date, {})
        anchor = text(f"day.anchor.{day.anchor.key}", LANG)
        quality = text(f"day.quality.{day.quality or 'unknown'}", LANG)
        item: dict[str, Any] = {
            "id": f"{base_url}/{day.folder}/{day.manifest_name}",  # stable and resolvable
            "url": f"{base_url}/{month_page(day.month)}#dia-{day.date}",
            "title": text(
                "feed.item_title", LANG, date=day.date, releases=day.tree_size, anchor=anchor
            ),
            "content_text": text(
                "feed.item_text",
                LANG,
                date=day.date,
                releases=day.tree_size,
                size=human_size(day.size, LANG),
                files=len(day.resources),
                anchor=anchor,
                quality=quality,
                manifest_sha256=day.manifest_sha256,
            ),
            "tags": [day.anchor.key, day.quality or "unknown"],
            "attachments": [
                {
                    "url": resource.url(base_url),
                    "mime_type": resource.media_type,
                    "title": resource.title(LANG),
                    "size_in_bytes": resource.size,
                }
                for resource in day.resources
            ],
        }
        if state.get("published"):
            item["date_published"] = state["published"]
        if state.get("modified"):
            item["date_modified"] = state["modified"]
        items.append(item)
    return {
        "version": JSON_FEED_VERSION,
        "title": text("feed.title", LANG),
        "description": text("feed.description", LANG, changes_url=f"{base_url}/{CHANGES_HEAD}"),
        "home_page_url": f"{base_url}/",
        "feed_url": f"{base_url}/{FEED_JSON}",
        "language": LANG,
        "items": items,
    }


def refresh_feed(
    root: Path,
    dataset: str,
    days: Sequence[Day],
    *,
    base_url: str,
    publisher: str,
    now: str | None = None,
    page_size: int = PAGE_SIZE,
) -> None:
    """Append to the change pages, then rewrite ``feed.json`` from the log's day states."""
    refresh_changes(root, dataset, days, base_url=base_url, now=now, page_size=page_size)
    head = _load(root / CHANGES_HEAD) or {}
    feed = build_json_feed(days, head, base_url=base_url)
    feed["authors"] = [{"name": publisher}]
    data = _json(feed)
    path = root / FEED_JSON
    if not path.is_file() or path.read_bytes() != data:
        write_atomic(path, data)
