"""libcoveocds, run offline against the shared OCDS files, finds nothing wrong in our packages."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
import requests
from requests.adapters import BaseAdapter

from ocds_mappings.extensions import DECLARED_EXTENSIONS, extension_urls
from ocds_mappings.mapping import (
    STATUS_RULES,
    agreements_first_seen,
    build_framework_releases,
    build_releases,
)
from ocds_mappings.packaging import Publisher, release_package
from ocds_mappings.schema import OCDS_VERSION_FOLDER, ocds_dir

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = sorted((SHARED / "data" / "perucompras").glob("ReportePCBienes*.sample.csv"))
pytestmark = pytest.mark.skipif(
    not SAMPLES or not (SHARED / "ocds").is_dir(),
    reason=f"samples or OCDS files missing in {SHARED}",
)
GITHUB_ARCHIVE = "https://github.com/open-contracting-extensions/"


def _zip_folder(folder: Path, root: str, subfolder: str = "") -> bytes:
    """A GitHub-style archive of `folder` (first entry: the root directory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{root}/", b"")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{root}/{subfolder}{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


class LocalExtensionsAdapter(BaseAdapter):
    """Serves declared extensions from disk, as files and as GitHub archives; refuses anything else."""

    def __init__(self, base: Path) -> None:
        """Index every declared extension by its base URL and archive URL."""
        super().__init__()
        self.files: dict[str, Path] = {}
        self.archives: dict[str, Path] = {}
        for extension in DECLARED_EXTENSIONS:
            folder = extension.directory(base)
            self.files[extension.url.removesuffix("extension.json")] = folder
            parts = extension.url.split("/")
            if extension.url.startswith("https://raw.githubusercontent.com/"):
                repo, ref = parts[4], parts[5]
                self.archives[f"{GITHUB_ARCHIVE}{repo}/archive/{ref}.zip"] = folder
        self.requested: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        """Answer from disk or fail like a network without that host."""
        url = request.url or ""
        self.requested.append(url)
        response = requests.Response()
        response.url, response.request, response.status_code = url, request, 404
        if url in self.archives:
            response.status_code = 200
            response._content = _zip_folder(self.archives[url], "extension-main")
            return response
        for prefix, folder in self.files.items():
            if url.startswith(prefix) and (folder / url[len(prefix) :]).is_file():
                response.status_code = 200
                response._content = (folder / url[len(prefix) :]).read_bytes()
                return response
        raise requests.ConnectionError(f"offline test: no network for {url}")

    def close(self) -> None:
        """Nothing to release."""


@pytest.fixture
def offline_session(monkeypatch: pytest.MonkeyPatch) -> LocalExtensionsAdapter:
    """Mount the local adapter on the session ocdsextensionregistry uses; block plain requests."""
    from ocdsextensionregistry import util

    adapter = LocalExtensionsAdapter(ocds_dir())
    monkeypatch.setattr(util, "session", requests.Session())
    monkeypatch.setattr("ocdsextensionregistry.extension_version.session", util.session)
    util.session.mount("https://", adapter)
    util.session.mount("http://", adapter)

    def refuse(*args: object, **kwargs: object) -> None:
        raise requests.ConnectionError("offline test: plain requests are not allowed")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)
    return adapter


@pytest.fixture(scope="module")
def package() -> dict:
    """A release package of sample rows in every status, plus framework releases."""
    from perucompras.reader import read_monthly_file

    orders = pa.concat_tables([read_monthly_file(path).orders for path in SAMPLES])
    rows = orders.to_pylist()
    for index, row in enumerate(rows):
        row["status"] = list(STATUS_RULES)[index % len(STATUS_RULES)]
        if index % 2:
            row["status_document_url"] = "https://example.org/documento estado.pdf"
            row["rights_assignment_description"] = "Cesión a favor de un tercero"
    varied = pa.Table.from_pylist(rows, schema=orders.schema)
    releases = build_releases(varied) + build_framework_releases(agreements_first_seen(varied))
    return release_package(
        releases,
        uri="https://example.org/perucompras-ocam/2026/01/01/release-package.json",
        published_date="2026-01-01T23:59:59-05:00",
        publisher=Publisher("Perú Compras Abierto", "20600927818"),
        publication_policy="https://example.org/publication-policy",
        extensions=extension_urls(),
    )


def test_libcoveocds_finds_no_error(
    package: dict, offline_session: LocalExtensionsAdapter, tmp_path: Path
) -> None:
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    standard_zip = _zip_folder(ocds_dir() / OCDS_VERSION_FOLDER, "standard-1__1__5", "schema/")
    config = LibCoveOCDSConfig({"standard_zip": standard_zip, "context": "api"})
    result = ocds_json_output(str(tmp_path), json_data=package, lib_cove_ocds_config=config)

    assert result["validation_errors"] == []
    assert result.get("additional_fields", []) == []
    assert result.get("additional_closed_codelist_values", {}) == {}
    assert result.get("invalid_extension", {}) == {}
    served = {*offline_session.archives, *offline_session.files}
    for extension_url in extension_urls():
        base = extension_url.removesuffix("extension.json")
        assert any(
            url.startswith(base) or offline_session.archives.get(url) == offline_session.files[base]
            for url in offline_session.requested
        ), f"{extension_url} was not fetched through the local adapter"
    assert all(any(url.startswith(s) for s in served) for url in offline_session.requested)
