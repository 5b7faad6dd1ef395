"""Run libcoveocds offline in tests: ``ocds_mappings.offline`` mounted with ``monkeypatch``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
import requests

from ocds_mappings.offline import (
    STANDARD_URL,
    LocalExtensionsAdapter,
    libcoveocds_report,
    offline_session,
)
from ocds_mappings.schema import OCDS_VERSION_FOLDER, ocds_dir

__all__ = ["LocalExtensionsAdapter", "libcoveocds_report", "mount_offline"]


def mount_offline(
    monkeypatch: pytest.MonkeyPatch,
    extension_urls: Iterable[str],
    served: Mapping[str, Path] | None = None,
    live: Iterable[str] = (),
) -> LocalExtensionsAdapter:
    """Mount the local adapter on the session ocdsextensionregistry uses; plain requests get
    only the standard's own files, from disk, and URLs under a ``live`` base URL (a server
    the test started)."""
    from ocdsextensionregistry import util

    live = tuple(live)
    session, adapter = offline_session(extension_urls, served, live)
    monkeypatch.setattr(util, "session", session)
    monkeypatch.setattr("ocdsextensionregistry.extension_version.session", util.session)

    standard = ocds_dir() / OCDS_VERSION_FOLDER
    real_send = requests.adapters.HTTPAdapter.send

    def standard_files_only(
        self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: object
    ) -> requests.Response:
        """Plain requests (jsonref resolving the record package schema): the standard, from disk."""
        url = request.url or ""
        if url.startswith(live) if live else False:
            return real_send(self, request, **kwargs)  # type: ignore[arg-type]
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
