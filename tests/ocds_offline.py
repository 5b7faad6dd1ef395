"""Run libcoveocds offline: the standard from ../shared/ocds, extensions served from disk."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from ocds_mappings.extensions import DECLARED_EXTENSIONS, Extension
from ocds_mappings.schema import OCDS_VERSION_FOLDER, ocds_dir

GITHUB_ARCHIVE = "https://github.com/open-contracting-extensions/"
GITHUB_RAW = "https://raw.githubusercontent.com/"
STANDARD_URL = f"https://standard.open-contracting.org/schema/{OCDS_VERSION_FOLDER}/"


def zip_folder(folder: Path, root: str, subfolder: str = "") -> bytes:
    """A GitHub-style archive of `folder` (first entry: the root directory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{root}/", b"")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{root}/{subfolder}{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def declared_extension_for(url: str) -> Extension:
    """The declared extension an `extensions` URL names: exact official URL, or a local
    extension served as `.../<folder>/extension.json` from any base URL."""
    for extension in DECLARED_EXTENSIONS:
        if url == extension.url:
            return extension
        if extension.local and url.endswith(f"/{extension.folder}/extension.json"):
            return extension
    raise AssertionError(
        f"package extension {url} is not declared in ocds_mappings.extensions.DECLARED_EXTENSIONS"
    )


class LocalExtensionsAdapter(BaseAdapter):
    """Serves the given extensions from disk, as files and as GitHub archives; refuses the rest."""

    def __init__(self, base: Path, extension_urls: Iterable[str]) -> None:
        """Index every extension URL by its base URL (and GitHub archive URL) and its folder."""
        super().__init__()
        self.files: dict[str, Path] = {}
        self.archives: dict[str, Path] = {}
        for url in extension_urls:
            folder = declared_extension_for(url).directory(base)
            self.files[url.removesuffix("extension.json")] = folder
            if url.startswith(GITHUB_RAW):
                parts = url.split("/")
                self.archives[f"{GITHUB_ARCHIVE}{parts[4]}/archive/{parts[5]}.zip"] = folder
        self.requested: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        """Answer from disk or fail like a network without that host."""
        url = request.url or ""
        self.requested.append(url)
        response = requests.Response()
        response.url, response.request, response.status_code = url, request, 404
        if url in self.archives:
            response.status_code = 200
            response._content = zip_folder(self.archives[url], "extension-main")
            return response
        for prefix, folder in self.files.items():
            if url.startswith(prefix) and (folder / url[len(prefix) :]).is_file():
                response.status_code = 200
                response._content = (folder / url[len(prefix) :]).read_bytes()
                return response
        raise requests.ConnectionError(f"offline test: no network for {url}")

    def close(self) -> None:
        """Nothing to release."""

    def fetched(self, extension_url: str) -> bool:
        """Whether the extension at `extension_url` was read through this adapter."""
        base = extension_url.removesuffix("extension.json")
        folder = self.files[base]
        return any(
            url.startswith(base) or self.archives.get(url) == folder for url in self.requested
        )

    def served_only_known_urls(self) -> bool:
        """Whether every request went to a URL this adapter knows."""
        served = (*self.archives, *self.files, STANDARD_URL)
        return all(any(url.startswith(s) for s in served) for url in self.requested)


def mount_offline(
    monkeypatch: pytest.MonkeyPatch, extension_urls: Iterable[str]
) -> LocalExtensionsAdapter:
    """Mount the local adapter on the session ocdsextensionregistry uses; plain requests get
    only the standard's own files, from disk."""
    from ocdsextensionregistry import util

    adapter = LocalExtensionsAdapter(ocds_dir(), extension_urls)
    monkeypatch.setattr(util, "session", requests.Session())
    monkeypatch.setattr("ocdsextensionregistry.extension_version.session", util.session)
    util.session.mount("https://", adapter)
    util.session.mount("http://", adapter)

    standard = ocds_dir() / OCDS_VERSION_FOLDER

    def standard_files_only(
        self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: object
    ) -> requests.Response:
        """Plain requests (jsonref resolving the record package schema): the standard, from disk."""
        url = request.url or ""
        adapter.requested.append(url)
        name = url.removeprefix(STANDARD_URL)
        if url.startswith(STANDARD_URL) and "/" not in name and (standard / name).is_file():
            response = requests.Response()
            response.url, response.request, response.status_code = url, request, 200
            response._content = (standard / name).read_bytes()
            return response
        raise requests.ConnectionError(f"offline test: no network for {url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", standard_files_only)
    return adapter


def libcoveocds_report(package: Mapping[str, Any], output_dir: Path) -> dict[str, Any]:
    """libcoveocds' API report on a release or record package, the standard read from disk."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    standard_zip = zip_folder(ocds_dir() / OCDS_VERSION_FOLDER, "standard-1__1__5", "schema/")
    config = LibCoveOCDSConfig({"standard_zip": standard_zip, "context": "api"})
    return ocds_json_output(str(output_dir), json_data=dict(package), lib_cove_ocds_config=config)
