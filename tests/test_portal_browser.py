"""The portal in headless Chromium under `publicar serve`: every link of every page resolves,
the date filter works with JavaScript and the listing works without it; a screenshot is kept
in `.artifacts/portal.png` (git-ignored) for people to look at."""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import signal
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from support import site_days

from publication.dictionary_pages import write_pages
from publication.site import refresh_site
from settings import Identity

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / ".artifacts"
IDENTITY = Identity(base_url=site_days.BASE_URL)
DAYS = site_days.days(dt.date(2026, 2, 22), 34)  # more than the landing page shows

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} not found: install Debian's chromium to run the browser tests",
    ),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A published root (a month and a bit, some days anchored) behind `publicar serve`."""
    root = tmp_path_factory.mktemp("portal-browser") / "datasets"
    site_days.publish(root, DAYS)
    for day in DAYS[:20]:
        site_days.anchor(root, day)
    (root / "trust.json").write_text('{"chainId": 31337}', encoding="utf-8")
    write_pages(root, site_days.DATASET)  # the data dictionary: its links carry fragments
    refresh_site(root, site_days.DATASET, IDENTITY, now="2026-03-28T06:00:00Z")
    command = [str(Path(sys.executable).with_name("publicar")), "serve", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--datasets", str(root), "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root.parent,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert " on http://127.0.0.1:" in line, line
        yield line.rsplit(" on ", 1)[1].strip()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


class Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)


LINKS_JS = """() => Array.from(document.querySelectorAll('[href], [src]'))
    .map(e => e.href !== undefined && e.getAttribute('href') !== null ? e.href : e.src)"""


class Fetcher:
    """GETs on one kept-alive connection to the served site, following its redirects as
    Playwright's ``page.request.get`` does (20 at most) and accepting gzip as a browser does."""

    def __init__(self, origin: str) -> None:
        self.connection = http.client.HTTPConnection(urlsplit(origin).netloc, timeout=30)

    def get(self, url: str) -> tuple[int, str, bytes]:
        """Status, content type and (decoded) body of ``url`` after redirects."""
        for _ in range(21):
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            self.connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = self.connection.getresponse()
            body = response.read()
            if response.status in (301, 302, 303, 307, 308):
                url = urljoin(url, response.headers["Location"])
                continue
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return response.status, response.headers.get("Content-Type", ""), body
        raise AssertionError(f"more than 20 redirects from {url}")

    def close(self) -> None:
        self.connection.close()


def test_every_link_of_every_page_resolves(served: str, browser: Any) -> None:
    origin = served.rstrip("/")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    queue = [f"{origin}/", f"{origin}/index.en.html"]
    visited: set[str] = set()
    checked: dict[str, int] = {}
    fragments: list[tuple[str, str]] = []
    external: set[str] = set()
    fetcher = Fetcher(origin)
    bodies: dict[str, bytes] = {}
    while queue:
        url = queue.pop()
        if url in visited:
            continue
        visited.add(url)
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        for link in page.evaluate(LINKS_JS):
            target, fragment = urldefrag(link)
            if not target.startswith(origin + "/"):
                external.add(link)
                continue
            if fragment:
                fragments.append((target, fragment))
            if target not in checked:
                status, media, body = fetcher.get(target)
                checked[target] = status
                bodies[target] = body
                if status == 200 and media.startswith("text/html"):
                    queue.append(target)
    broken = {url: status for url, status in checked.items() if status != 200}
    assert not broken, broken
    assert not errors, errors
    pages = {urlsplit(url).path for url in visited}
    assert {"/", "/index.en.html", "/meses/2026-02.html", "/meses/2026-03.en.html"} <= pages
    assert "/calidad.html" in pages and "/verificar.html" in pages
    assert sum(path.endswith("-quality.html") for path in pages) == len(DAYS)
    day_files = [url for url in checked if "/perucompras-ocam/2026/" in url]
    assert len(day_files) == len(DAYS) * 10 + 20  # every file of every day, anchors included
    ids_of: dict[str, set[str]] = {}
    assert fragments, "no same-site link with a fragment was crawled"
    for target, fragment in fragments:
        if target not in ids_of:
            ids = Ids()
            ids.feed(bodies[target].decode("utf-8"))
            ids_of[target] = ids.ids
        assert fragment in ids_of[target], (target, fragment)
    assert not [link for link in external if "datos.example.org" in link], external
    fetcher.close()
    page.close()


def test_date_filter_with_javascript_and_complete_listing_without(
    served: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    # expect() retries until the page settles: a count read right after a click can see the
    # page before the navigation it started has rendered.
    page = browser.new_page()
    page.goto(served)
    expect(page.locator("tr[data-date]")).to_have_count(31)
    expect(page.locator("#filtro")).to_be_visible()
    page.fill("input[name=desde]", "2026-03-20")
    page.fill("input[name=hasta]", "2026-03-22")
    expect(page.locator("tr[data-date]:visible")).to_have_count(3)
    page.fill("input[name=desde]", "2026-02-22")
    page.fill("input[name=hasta]", "2026-02-23")  # older than the landing page shows
    expect(page.locator("tr[data-date]:visible")).to_have_count(0)
    note = page.locator("#filtro-vacio a")
    expect(note).to_have_attribute("href", "meses/2026-02.html")
    note.click()
    page.wait_for_url("**/meses/2026-02.html")
    expect(page.locator("tr[data-date]")).to_have_count(7)
    page.close()

    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(served)
    expect(plain.locator("tr[data-date]:visible")).to_have_count(31)
    expect(plain.locator("#filtro")).to_be_hidden()
    plain.click("nav.months a[data-month='2026-02']")
    plain.wait_for_url("**/meses/2026-02.html")
    expect(plain.locator("tr[data-date]:visible")).to_have_count(7)
    context.close()


def test_screenshot_artifact(served: str, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(served)
    target = ARTIFACTS / "portal.png"
    page.screenshot(path=str(target), full_page=False)
    english = ARTIFACTS / "portal-en.png"
    page.goto(served.rstrip("/") + "/index.en.html")
    page.screenshot(path=str(english), full_page=False)
    page.close()
    for path in (target, english):
        assert path.stat().st_size > 20_000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
