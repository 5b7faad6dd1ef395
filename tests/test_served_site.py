"""Every URL of the published site resolves under `publicar serve` (issue 13).

Two synthetic days (the second with a late state, so records link back to the first day) are
published with the base URL of a `publicar serve` subprocess over the same datasets root. A
crawler then follows every URL under that base URL found in the packages, records, local
extensions, catalogues and pages, and fails on any that does not resolve. URLs elsewhere (the
order PDFs on PERÚ COMPRAS' servers, official extensions, the licence) are listed, not
fetched. libcoveocds reads the local extensions from the same server.

A second site, published with a real-looking identity and the production profile, contains
neither the example prefix nor any ``example`` host anywhere.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from support.ocds_offline import libcoveocds_report, mount_offline
from support.snapshots import pay_one_order

from integrity.layout import DEFAULT_DATASET, RECORD_PACKAGE, RELEASE_PACKAGE, DayLayout
from integrity.manifest import load_manifest
from messages import LANGUAGES
from messages import text as message
from perucompras.reader import read_monthly_file
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export, generate_quotations
from publication import steps
from publication.details import companion_files
from publication.listing import page_name
from settings import Identity, Profile

pytestmark = pytest.mark.shared("schema")
PUBLICAR = Path(sys.executable).parent / "publicar"
D1, D2 = dt.date(2025, 11, 10), dt.date(2025, 11, 11)
REAL_LOOKING = Identity(
    ocid_prefix="ocds-abc123",
    base_url="https://datos.test/pc",
    publisher_name="Observatorio de Compras Públicas",
    publisher_scheme="PE-RUC",
    publisher_uid="20999999993",
    publisher_uri="https://observatorio.test",
    contact_email="datos@observatorio.test",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def november(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """November's synthetic monthly file, beside its detailed export and quotations: generated
    once for the module; each publication copies the folder (a later day edits the file)."""
    source = tmp_path_factory.mktemp("november")
    monthly = generate_month(D1.year, D1.month, source, orders=400)
    orders = read_monthly_file(monthly).orders
    generate_detailed_export(D1.year, D1.month, source, orders=orders)
    generate_quotations(D1.year, D1.month, source, orders=orders)
    return monthly


def _publish_days(
    november: Path,
    source: Path,
    root: Path,
    identity: Identity,
    profile: Profile,
    days: list[dt.date],
) -> None:
    """Publish synthetic days of November through the steps (companions included, no chain)
    from a copy, in ``source``, of the folder of ``november`` (the monthly file)."""
    shutil.copytree(november.parent, source)
    monthly = source / november.name
    for index, day in enumerate(days):
        if index:
            pay_one_order(monthly, days[index - 1], day)
        checked = steps.check_quality(steps.extract([monthly], day, root=root), day)
        mapped = steps.map_releases(
            checked,
            ocid_prefix=identity.ocid_prefix,
            ocid_pattern=identity.ocid_pattern,
            root=root,
            companions=companion_files(source, day),
        )
        published = steps.publish(
            mapped,
            root=root,
            dataset=DEFAULT_DATASET,
            day=day,
            identity=identity,
            profile=profile,
            synthetic=True,
        )
        assert published.gate_passed, published.failures


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, november: Path) -> Iterator[dict[str, Any]]:
    """`publicar serve` on a free port over a datasets root published with that base URL."""
    work = tmp_path_factory.mktemp("served")
    root = work / "datasets"
    root.mkdir()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERUCOMPRAS_")}
    server = subprocess.Popen(
        [str(PUBLICAR), "serve", "--datasets", str(root), "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/", timeout=5).close()
                break
            except urllib.error.HTTPError:
                break  # the server answers (nothing published yet)
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("publicar serve did not start") from None
                time.sleep(0.2)
        _publish_days(november, work / "source", root, Identity(base_url=base), "dev", [D1, D2])
        yield {"root": root, "base": base}
    finally:
        server.terminate()
        server.wait(timeout=30)


class _Links(html.parser.HTMLParser):
    """href and src attributes of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _links(url: str, body: bytes, content_type: str) -> list[str]:
    """Absolute URLs a fetched resource names (JSON strings, HTML links, extension files)."""
    if url.endswith((".json", ".jsonld")) or "json" in content_type:
        data = json.loads(body)
        found = [s for s in _strings(data) if s.startswith(("http://", "https://"))]
        if url.endswith("/extension.json"):
            found += [urljoin(url, name) for name in data.get("schemas", [])]
            found += [urljoin(url, f"codelists/{name}") for name in data.get("codelists", [])]
        return found
    if url.endswith(".html") or url.endswith("/") or "html" in content_type:
        parser = _Links()
        parser.feed(body.decode("utf-8", errors="replace"))
        return [urljoin(url, link) for link in parser.links if not link.startswith("#")]
    return []


def _crawl(
    base: str, seeds: list[str]
) -> tuple[dict[str, int], set[str], list[str], dict[str, str]]:
    """Fetch every URL under ``base`` reachable from ``seeds``: status per URL, the external
    URLs seen, record links whose fragment names no release of the package, and the page
    that first linked each URL."""
    statuses: dict[str, int] = {}
    external: set[str] = set()
    bad_fragments: list[str] = []
    bodies: dict[str, bytes] = {}
    release_ids: dict[str, set[str]] = {}  # of each release package, parsed once
    referrer: dict[str, str] = {}
    queue = deque((seed, "seed") for seed in seeds)
    while queue:
        link, source = queue.popleft()
        url, fragment = urldefrag(link)
        referrer.setdefault(url, source)
        if not url.startswith(f"{base}/") and url != base:
            external.add(link)
            continue
        if url not in statuses:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    statuses[url] = response.status
                    bodies[url] = response.read()
                    content_type = response.headers.get("Content-Type", "")
                    final = response.geturl()  # after a redirect (a folder without its "/")
            except urllib.error.HTTPError as error:
                statuses[url] = error.code
                continue
            if not url.endswith((".parquet", ".csv", ".jsonl")):
                links = _links(final, bodies[url], content_type)
                queue.extend((found, url) for found in links)
        from_record = source.endswith(RECORD_PACKAGE)  # a linked release: {package}#{id}
        if fragment and from_record and url.endswith(RELEASE_PACKAGE) and url in bodies:
            if url not in release_ids:
                releases = json.loads(bodies[url])["releases"]
                release_ids[url] = {release["id"] for release in releases}
            if fragment not in release_ids[url]:
                bad_fragments.append(link)
    return statuses, external, bad_fragments, referrer


def test_every_url_resolves_under_publicar_serve(served: dict[str, Any]) -> None:
    base, root = served["base"], served["root"]
    packages = [
        f"{base}/{DEFAULT_DATASET}/{day:%Y/%m/%d}/{DayLayout(root, DEFAULT_DATASET, day).name(kind)}"
        for day in (D1, D2)
        for kind in (RELEASE_PACKAGE, RECORD_PACKAGE)
    ]
    statuses, external, bad_fragments, referrer = _crawl(base, [f"{base}/", *packages])
    missing = {url: referrer[url] for url, status in statuses.items() if status != 200}
    assert missing == {}, f"not served (URL: page linking it): {missing}"
    assert bad_fragments == []
    crawled = set(statuses)
    assert set(packages) <= crawled
    assert f"{base}/publication-policy.md" in crawled
    for name in ("net_amount", "status_details"):
        for file in ("extension.json", "release-schema.json", "README.md"):
            assert f"{base}/extensions/{name}/{file}" in crawled
    hosts = {urlsplit(url).hostname for url in external}
    print(f"{len(crawled)} URLs served; not fetched (external): {sorted(h or '' for h in hosts)}")
    assert "apps1.perucompras.gob.pe" in hosts and "raw.githubusercontent.com" in hosts
    assert not [host for host in hosts if host and "example" in host]


def test_libcoveocds_reads_the_local_extensions_from_the_server(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base, root = served["base"], served["root"]
    path = DayLayout(root, DEFAULT_DATASET, D2).path(RELEASE_PACKAGE)
    package = json.loads(path.read_bytes())
    local = [url for url in package["extensions"] if url.startswith(f"{base}/extensions/")]
    assert len(local) == 2
    adapter = mount_offline(monkeypatch, package["extensions"], live=[f"{base}/"])
    report = libcoveocds_report(package, tmp_path)
    assert report["validation_errors"] == []
    assert report["additional_fields"] == []  # amountNet and statusDetails are declared
    assert report["extensions"]["invalid_extension"] == {}
    assert report.get("additional_checks", {}) == {}
    assert not [url for url in adapter.requested if url.startswith(base)]
    assert all(adapter.fetched(url) for url in package["extensions"] if url not in local)


def _served(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.read().decode("utf-8"))


def test_dev_packages_say_they_are_not_official(served: dict[str, Any]) -> None:
    root, base = served["root"], served["base"]
    policies = set()
    for day in (D1, D2):
        days = DayLayout(root, DEFAULT_DATASET, day)
        assert load_manifest(days.manifest).synthetic
        for kind in (RELEASE_PACKAGE, RECORD_PACKAGE):
            package = json.loads(days.path(kind).read_bytes())
            assert "publicación no oficial" in package["publisher"]["name"]
            assert "datos sintéticos" in package["publisher"]["name"]
            # a placeholder publisher, never PERÚ COMPRAS (the source of the data)
            assert package["publisher"]["name"].startswith("Publicador de desarrollo")
            assert (package["publisher"]["scheme"], package["publisher"]["uid"]) == (
                "XX-DEV",
                "no-oficial",
            )
            policies.add(package["publicationPolicy"])
    assert policies == {f"{base}/publication-policy.md"}
    # published from synthetic files: the policy (written and served) and the portal say so
    written = (root / "publication-policy.md").read_text(encoding="utf-8")
    assert _served(policies.pop()) == written
    assert "**Not an official publication.**" in written
    assert "its orders are synthetic, generated in the real files' format" in written
    for lang in LANGUAGES:
        page = html.unescape(_served(f"{base}/{page_name('index', lang)}"))
        assert message("publication.synthetic_banner", lang, count=2) in page
        assert page.count(message("publication.synthetic_day", lang)) >= 2  # each day's row


def test_a_real_looking_identity_leaves_no_placeholder(november: Path, tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    _publish_days(november, tmp_path / "source", root, REAL_LOOKING, "production", [D1])
    files = [path for path in root.rglob("*") if path.is_file()]
    assert len(files) > 15
    offending = [
        str(path.relative_to(root))
        for path in files
        if b"213czf" in path.read_bytes() or b"example" in path.read_bytes().lower()
    ]
    assert offending == []
    package = json.loads(DayLayout(root, DEFAULT_DATASET, D1).path(RELEASE_PACKAGE).read_bytes())
    assert package["uri"].startswith("https://datos.test/pc/")
    assert all(r["ocid"].startswith("ocds-abc123-") for r in package["releases"])
    assert package["publisher"]["name"].startswith("Observatorio de Compras Públicas")
    assert "publicación no oficial" not in package["publisher"]["name"]
    # the production profile does not hide that the orders come from synthetic files
    assert "datos sintéticos" in package["publisher"]["name"]
    assert load_manifest(DayLayout(root, DEFAULT_DATASET, D1).manifest).synthetic
    policy = (root / "publication-policy.md").read_text(encoding="utf-8")
    (label,) = [line for line in policy.splitlines() if "**Not an official publication.**" in line]
    assert "its orders are synthetic, generated in the real files' format" in label
    assert "development profile" not in label
    portal = html.unescape((root / "index.html").read_text(encoding="utf-8"))
    assert message("publication.synthetic_banner", "es", count=1) in portal
    extension = json.loads((root / "extensions" / "net_amount" / "extension.json").read_bytes())
    assert extension["documentationUrl"]["en"] == (
        "https://datos.test/pc/extensions/net_amount/README.md"
    )
    assert extension["contactPoint"]["email"] == "datos@observatorio.test"
