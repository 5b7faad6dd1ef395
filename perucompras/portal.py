"""Downloader for the monthly files on the national open data portal (datosabiertos.gob.pe).

Resources are listed through a CKAN ``package_show`` JSON endpoint (base URL and dataset id are
settings). Downloads use timeouts, retries with exponential backoff on 5xx and connection
errors, resume a ``.part`` file with HTTP Range, rename atomically, and record the SHA-256 and
size of the fetched bytes in ``<file>.sha256.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from perucompras.reader import FILE_NAME_PATTERN

DEFAULT_BASE_URL = os.environ.get("PERUCOMPRAS_PORTAL_URL", "https://www.datosabiertos.gob.pe")
DEFAULT_DATASET = os.environ.get("PERUCOMPRAS_PORTAL_DATASET", "")
CHUNK_SIZE = 1 << 20
RETRY_STATUSES = frozenset({500, 502, 503, 504})


class PortalError(RuntimeError):
    """A listing or download failed for good; the message names the URL and what to do."""


@dataclass(frozen=True)
class PortalSettings:
    """Where and how to fetch: CKAN base URL, dataset id, timeouts and retry policy."""

    base_url: str = DEFAULT_BASE_URL
    dataset: str = DEFAULT_DATASET
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    chunk_size: int = 64 * 1024

    @property
    def package_show_url(self) -> str:
        """Return the CKAN ``package_show`` URL of the dataset."""
        return f"{self.base_url.rstrip('/')}/api/3/action/package_show?id={self.dataset}"


@dataclass(frozen=True)
class Resource:
    """One monthly file published in the dataset."""

    name: str
    url: str
    size: int | None = None


@dataclass(frozen=True)
class Download:
    """A completed download: where it is, its SHA-256 and size, and how many attempts it took."""

    path: Path
    sha256: str
    size: int
    attempts: int


def _backoff(settings: PortalSettings, attempt: int, sleep: Callable[[float], None]) -> None:
    """Sleep before retry number ``attempt`` (1-based): backoff * 2^(attempt-1)."""
    sleep(settings.backoff_seconds * 2 ** (attempt - 1))


def list_resources(
    settings: PortalSettings,
    *,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Resource]:
    """List the dataset's monthly CSV resources (``ReportePCBienesYYYYMM*.csv``), sorted by name."""
    session = session or requests.Session()
    url = settings.package_show_url
    payload = None
    for attempt in range(1, settings.max_attempts + 1):
        try:
            response = session.get(url, timeout=(settings.connect_timeout, settings.read_timeout))
        except (requests.ConnectionError, requests.Timeout) as error:
            if attempt == settings.max_attempts:
                raise PortalError(f"{url}: cannot list resources ({error}); retry later") from error
        else:
            if response.status_code in RETRY_STATUSES and attempt < settings.max_attempts:
                pass
            elif response.status_code != 200:
                raise PortalError(
                    f"{url}: listing answered HTTP {response.status_code}; check the base URL "
                    "and dataset id settings"
                )
            else:
                payload = response.json()
                break
        _backoff(settings, attempt, sleep)
    if not isinstance(payload, dict) or not payload.get("success"):
        raise PortalError(f"{url}: not a CKAN package_show answer (no success=true)")
    resources = []
    for item in payload["result"].get("resources", []):
        resource_url = item.get("url") or ""
        name = item.get("name") or resource_url.rsplit("/", 1)[-1]
        file_part = resource_url.rsplit("/", 1)[-1]
        candidate = file_part if FILE_NAME_PATTERN.match(file_part) else name
        if FILE_NAME_PATTERN.match(candidate) and candidate.lower().endswith(".csv"):
            size = item.get("size")
            resources.append(Resource(candidate, resource_url, int(size) if size else None))
    return sorted(resources, key=lambda resource: resource.name)


def _sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    url: str,
    destination: Path,
    settings: PortalSettings | None = None,
    *,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Download:
    """Download ``url`` to ``destination`` with retries and resume; write ``.sha256.json``."""
    settings = settings or PortalSettings()
    session = session or requests.Session()
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    last_problem = "no attempt made"
    for attempt in range(1, settings.max_attempts + 1):
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            with session.get(
                url,
                headers=headers,
                stream=True,
                timeout=(settings.connect_timeout, settings.read_timeout),
            ) as response:
                if response.status_code == 416 and offset:
                    expected = _content_range_total(response.headers.get("Content-Range"))
                    if expected == offset:
                        return _finish(part, destination, url, attempt)
                    part.unlink()
                    last_problem = "server refused the resume range; restarting"
                    continue
                if response.status_code in RETRY_STATUSES:
                    last_problem = f"HTTP {response.status_code}"
                    _backoff(settings, attempt, sleep)
                    continue
                if response.status_code not in (200, 206):
                    raise PortalError(
                        f"{url}: HTTP {response.status_code}; check that the resource still "
                        "exists in the dataset listing"
                    )
                resumed = response.status_code == 206 and offset > 0
                expected_total = _expected_total(response, offset if resumed else 0)
                with part.open("ab" if resumed else "wb") as handle:
                    for block in response.iter_content(settings.chunk_size):
                        handle.write(block)
                received = part.stat().st_size
                if expected_total is not None and received < expected_total:
                    last_problem = f"truncated body ({received} of {expected_total} bytes)"
                    _backoff(settings, attempt, sleep)
                    continue
                return _finish(part, destination, url, attempt)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as error:
            last_problem = f"{type(error).__name__}: {error}"
            _backoff(settings, attempt, sleep)
    raise PortalError(
        f"{url}: download failed after {settings.max_attempts} attempts ({last_problem}); "
        f"the partial file {part.name} is kept and the next run resumes it"
    )


def _content_range_total(header: str | None) -> int | None:
    """Return the total size from a ``Content-Range: bytes a-b/total`` header."""
    if not header or "/" not in header:
        return None
    total = header.rsplit("/", 1)[1]
    return int(total) if total.isdigit() else None


def _expected_total(response: requests.Response, offset: int) -> int | None:
    """Return the full file size announced by the response, if any."""
    if response.status_code == 206:
        total = _content_range_total(response.headers.get("Content-Range"))
        if total is not None:
            return total
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def _finish(part: Path, destination: Path, url: str, attempts: int) -> Download:
    """Hash the complete ``.part`` file, rename it into place and write the checksum record."""
    sha256 = _sha256_of(part)
    size = part.stat().st_size
    part.replace(destination)
    record = {"file": destination.name, "url": url, "sha256": sha256, "size": size}
    checksum = destination.with_name(destination.name + ".sha256.json")
    temporary = checksum.with_name(checksum.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(checksum)
    return Download(destination, sha256, size, attempts)


def download_month_files(
    settings: PortalSettings,
    out_dir: Path,
    *,
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Download]:
    """List the dataset and download every monthly file not yet present in ``out_dir``."""
    session = session or requests.Session()
    results = []
    for resource in list_resources(settings, session=session, sleep=sleep):
        target = Path(out_dir) / resource.name
        if target.exists() and target.with_name(target.name + ".sha256.json").exists():
            continue
        results.append(download(resource.url, target, settings, session=session, sleep=sleep))
    return results
