"""The portal pages (landing page and month pages, Spanish and English), as HTML."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support import site_days

from messages import text
from publication import portal
from publication.listing import KIND_BULK, KIND_DICTIONARY, Resource, human_size
from publication.site import refresh_site
from settings import Identity

DATASET = site_days.DATASET
IDENTITY = Identity(base_url=site_days.BASE_URL)
NOW = "2026-04-02T06:00:00Z"


class Links(HTMLParser):
    """Every href/src of a page, and every element id."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.rows: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name):
                self.links.append(str(values[name]))
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "tr" and values.get("data-date"):
            self.rows.append(str(values["data-date"]))


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """35 published days over two months (the first anchored), the site refreshed."""
    folder = tmp_path_factory.mktemp("portal") / "datasets"
    site_days.publish(folder, site_days.days(dt.date(2026, 2, 20), 35))
    site_days.anchor(folder, dt.date(2026, 2, 20))
    refresh_site(folder, DATASET, IDENTITY, now=NOW)
    return folder


def test_landing_page_lists_the_latest_days_and_every_month(root: Path) -> None:
    page = parse(root / "index.html")
    assert len(page.rows) == portal.LATEST_DAYS
    assert page.rows[0] == "2026-03-26" and page.rows[-1] == "2026-02-24"  # newest first
    assert "meses/2026-02.html" in page.links and "meses/2026-03.html" in page.links
    assert "index.en.html" in page.links
    february = parse(root / "meses" / "2026-02.html")
    assert february.rows == [f"2026-02-{d}" for d in range(28, 19, -1)]
    assert "../index.html" in february.links and "2026-02.en.html" in february.links
    html = (root / "index.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in html and "Días publicados" in html
    assert '<form id="filtro" hidden>' in html  # the filter appears only with the script
    assert '<script src="portal.js" defer></script>' in html


def test_each_day_shows_sizes_quality_and_anchor_status(root: Path) -> None:
    html = (root / "meses" / "2026-02.html").read_text(encoding="utf-8")
    row = re.search(r'<tr id="dia-2026-02-20".*?</tr>', html)
    assert row is not None
    folder = root / DATASET / "2026" / "02" / "20"
    files = sorted(folder.iterdir())
    assert len(files) == 11
    total = sum(f.stat().st_size for f in files)
    assert f"<td class=n>{human_size(total)}</td>" in row[0]
    for path in files:
        assert f'href="../{DATASET}/2026/02/20/{path.name}"' in row[0]
        assert f"({human_size(path.stat().st_size)})" in row[0]
    assert text("day.anchor.anchored") in row[0] and text("day.quality.ok") in row[0]
    other = re.search(r'<tr id="dia-2026-02-21".*?</tr>', html)
    assert other is not None and text("day.anchor.pending") in other[0]
    manifest = folder / f"{DATASET}-2026-02-20-manifest.json"
    assert hashlib.sha256(manifest.read_bytes()).hexdigest()[:16] in row[0]


def test_english_pages_say_the_same_in_english(root: Path) -> None:
    english = (root / "index.en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english and "Published days" in english
    assert "Días publicados" not in english
    assert parse(root / "index.en.html").rows == parse(root / "index.html").rows
    month = parse(root / "meses" / "2026-03.en.html")
    assert "../index.en.html" in month.links and "2026-03.html" in month.links


def test_links_only_what_exists(root: Path) -> None:
    links = set(parse(root / "index.html").links)
    for name in ("verificar.html", "calidad.html", "publication-policy.md", "index.json"):
        assert name in links and (root / name).is_file()
    for name in ("data.json", "catalog.jsonld", "catalog.json", "feed.json", "cambios/index.json"):
        assert name in links and (root / name).is_file()
    assert "trust.json" not in links  # not anchored on a chain here: no pin, no link
    local = [link.split("#")[0] for link in links if not link.startswith(("http", "#"))]
    assert local
    assert all((root / link).is_file() for link in local), [
        link for link in local if not (root / link).is_file()
    ]


def test_catalogue_datasets_have_their_section(root: Path) -> None:
    import orjson

    page = parse(root / "index.html")
    datasets = orjson.loads((root / "data.json").read_bytes())["dataset"]
    assert len(datasets) == 5
    for dataset in datasets:
        anchor = dataset["landingPage"].rsplit("#", 1)[1]
        assert anchor in page.ids


def test_featured_files_come_from_the_resource_list(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    site_days.publish(root, [dt.date(2026, 3, 2)])
    bulk = root / "perucompras-ocam-bulk" / "perucompras-ocam-latest-month-orders.csv"
    bulk.parent.mkdir(parents=True)
    bulk.write_bytes(b"\xef\xbb\xbforder_number\n")
    dictionary = root / "diccionario.html"
    dictionary.write_text("<!doctype html><title>diccionario</title>", encoding="utf-8")
    extra = [
        Resource(
            path="perucompras-ocam-bulk/perucompras-ocam-latest-month-orders.csv",
            kind=KIND_BULK,
            titles={
                "es": "Últimos estados de las órdenes (CSV)",
                "en": "Latest order states (CSV)",
            },
            media_type="text/csv",
            size=bulk.stat().st_size,
            sha256=hashlib.sha256(bulk.read_bytes()).hexdigest(),
            dataset="perucompras-ocam-bulk",
            period="latest",
        ),
        Resource(
            path="diccionario.html",
            kind=KIND_DICTIONARY,
            titles={"es": "Diccionario de datos", "en": "Data dictionary"},
            media_type="text/html",
            size=dictionary.stat().st_size,
            sha256=hashlib.sha256(dictionary.read_bytes()).hexdigest(),
            dataset="perucompras-ocam-bulk",
            period="all",
        ),
    ]
    refresh_site(root, DATASET, IDENTITY, now=NOW)
    plain = (root / "index.html").read_text(encoding="utf-8")
    # The dictionary page on disk is found; a file no bulk manifest lists is not.
    assert 'href="diccionario.html"' in plain and "latest-month-orders.csv" not in plain
    refresh_site(root, DATASET, IDENTITY, extra_resources=extra, now=NOW)
    page = parse(root / "index.html")
    assert "diccionario.html" in page.links
    assert "perucompras-ocam-bulk/perucompras-ocam-latest-month-orders.csv" in page.links
    assert f"{DATASET}-masivos" in page.ids and f"{DATASET}-diccionario" in page.ids
    english = (root / "index.en.html").read_text(encoding="utf-8")
    assert "Latest order states (CSV)" in english and "Data dictionary" in english


def test_a_root_without_days_has_a_page_and_no_broken_link(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    site_days.publish(root, [dt.date(2026, 3, 2)])
    html = (root / "index.html").exists()
    assert not html
    refresh_site(root, DATASET, IDENTITY, now=NOW)
    assert parse(root / "index.html").rows == ["2026-03-02"]
    assert text("portal.all_days", count=1) in (root / "index.html").read_text(encoding="utf-8")


def test_month_pages_follow_their_days_and_match_a_fresh_render(root: Path, tmp_path: Path) -> None:
    from publication import filecache

    copy = tmp_path / "datasets"
    shutil.copytree(root, copy)
    refresh_site(copy, DATASET, IDENTITY, now=NOW)  # every month page rendered and remembered
    site_days.anchor(copy, dt.date(2026, 2, 21))
    refresh_site(copy, DATASET, IDENTITY, now=NOW)
    row = re.search(
        r'<tr id="dia-2026-02-21".*?</tr>', (copy / "meses" / "2026-02.html").read_text("utf-8")
    )
    assert row is not None and text("day.anchor.anchored") in row[0]
    pages = {path.name: path.read_bytes() for path in (copy / "meses").iterdir()}
    assert len(pages) == 4
    portal._MONTH_PARTS.clear()
    filecache.forget()
    refresh_site(copy, DATASET, IDENTITY, now=NOW)
    assert {path.name: path.read_bytes() for path in (copy / "meses").iterdir()} == pages
