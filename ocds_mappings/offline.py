"""Run libcoveocds offline: the standard and the official extensions read from ../shared/ocds,
the project's own extensions from where the site serves them.

Only the official extensions are available locally (``ocds_dir``); a local extension URL
(``{base_url}/extensions/<name>/extension.json``) is answered from a datasets root the site
refresh wrote (``served``: base URL -> folder), or left to a real HTTP server (the crawl test
serves the root with ``publicar serve``). Never from ``ocds_mappings/extensions``: what is
checked is what is published.

Used by the libcoveocds tests (through ``tests/support/ocds_offline.py``, which mounts the session with
pytest's ``monkeypatch``) and by ``benchmarks/run.py``; libcoveocds is imported only when used.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter

from ocds_mappings.extensions import DECLARED_EXTENSIONS, Extension
from ocds_mappings.schema import OCDS_VERSION_FOLDER, ocds_dir

GITHUB_ARCHIVE = "https://github.com/open-contracting-extensions/"
GITHUB_RAW = "https://raw.githubusercontent.com/"
STANDARD_URL = f"https://standard.open-contracting.org/schema/{OCDS_VERSION_FOLDER}/"
STANDARD_ZIP_ROOT = "standard-1__1__5"


def zip_folder(folder: Path, root: str, subfolder: str = "") -> bytes:
    """A GitHub-style archive of ``folder`` (first entry: the root directory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{root}/", b"")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{root}/{subfolder}{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def declared_extension_for(url: str) -> Extension:
    """The declared extension an ``extensions`` URL names: the exact official URL, or a local
    extension served as ``.../<folder>/extension.json`` from any base URL."""
    for extension in DECLARED_EXTENSIONS:
        if url == extension.url:
            return extension
        if extension.local and url.endswith(f"/{extension.folder}/extension.json"):
            return extension
    raise AssertionError(
        f"package extension {url} is not declared in ocds_mappings.extensions.DECLARED_EXTENSIONS"
    )


def _served_folder(url: str, served: Mapping[str, Path]) -> Path | None:
    """The folder on disk of a URL under one of the ``served`` base URLs."""
    for prefix, root in served.items():
        if url.startswith(prefix):
            return root / url[len(prefix) :].removesuffix("extension.json")
    return None


class LocalExtensionsAdapter(BaseAdapter):
    """Serves the given extensions from disk, as files and as GitHub archives; refuses the rest.

    Official extensions come from ``base`` (the ``ocds_dir``); local ones only from a datasets
    root in ``served`` (base URL -> root folder); other local ones are not answered here.
    """

    def __init__(
        self, base: Path, extension_urls: Iterable[str], served: Mapping[str, Path] | None = None
    ) -> None:
        """Index every extension URL by its base URL (and GitHub archive URL) and its folder."""
        super().__init__()
        self.files: dict[str, Path] = {}
        self.archives: dict[str, Path] = {}
        for url in extension_urls:
            extension = declared_extension_for(url)
            if extension.local:
                served_folder = _served_folder(url, served or {})
                if served_folder is None:
                    continue
                folder = served_folder
            else:
                folder = extension.directory(base)
            self.files[url.removesuffix("extension.json")] = folder
            if url.startswith(GITHUB_RAW):
                parts = url.split("/")
                self.archives[f"{GITHUB_ARCHIVE}{parts[4]}/archive/{parts[5]}.zip"] = folder
        self.requested: list[str] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
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
        raise requests.ConnectionError(f"offline: no network for {url}")

    def close(self) -> None:
        """Nothing to release."""

    def fetched(self, extension_url: str) -> bool:
        """Whether the extension at ``extension_url`` was read through this adapter."""
        base = extension_url.removesuffix("extension.json")
        folder = self.files[base]
        return any(
            url.startswith(base) or self.archives.get(url) == folder for url in self.requested
        )

    def served_only_known_urls(self) -> bool:
        """Whether every request went to a URL this adapter knows."""
        served = (*self.archives, *self.files, STANDARD_URL)
        return all(any(url.startswith(s) for s in served) for url in self.requested)


def offline_session(
    extension_urls: Iterable[str],
    served: Mapping[str, Path] | None = None,
    live: Iterable[str] = (),
) -> tuple[requests.Session, LocalExtensionsAdapter]:
    """A session that answers official ``extension_urls`` from ``ocds_dir()``, local ones from
    ``served`` roots or, under a ``live`` base URL, from the real server; it refuses the rest."""
    adapter = LocalExtensionsAdapter(ocds_dir(), extension_urls, served)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    for base_url in live:
        session.mount(base_url, requests.adapters.HTTPAdapter())
    return session, adapter


def libcoveocds_config() -> Any:
    """libcoveocds' API configuration with the standard zipped from ``ocds_dir()``."""
    from libcoveocds.config import LibCoveOCDSConfig

    folder = ocds_dir() / OCDS_VERSION_FOLDER
    standard_zip = zip_folder(folder, STANDARD_ZIP_ROOT, "schema/")
    return LibCoveOCDSConfig({"standard_zip": standard_zip, "context": "api"})


def libcoveocds_report(
    package: Mapping[str, Any], output_dir: Path, config: Any | None = None
) -> dict[str, Any]:
    """libcoveocds' API report on a release or record package (``config``: built when absent).

    Extensions are fetched through ocdsextensionregistry's session: install ``offline_session``
    there first.
    """
    from libcoveocds.api import ocds_json_output

    return ocds_json_output(
        str(output_dir),
        json_data=dict(package),
        lib_cove_ocds_config=config if config is not None else libcoveocds_config(),
    )
