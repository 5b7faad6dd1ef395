"""Downloader for the monthly files on the national open data portal (datosabiertos.gob.pe).

Resources are listed through a CKAN ``package_show`` JSON endpoint (base URL and dataset id are
settings). Requests go through a ``requests`` session whose adapter retries connection errors,
read timeouts and 5xx answers with exponential backoff (``urllib3.Retry``); a body cut short is
resumed from the ``.part`` file with HTTP Range. Complete files are renamed atomically and their
SHA-256 and size recorded in ``<file>.sha256.json``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from integrity.manifest import sha256_file
from perucompras.reader import FILE_NAME_PATTERN

RETRY_STATUSES = frozenset({500, 502, 503, 504})


class PortalError(RuntimeError):
    """A listing or download failed for good; the message names the URL and what to do."""


@dataclass(frozen=True)
class PortalSettings:
    """Where and how to fetch: CKAN base URL, dataset id, timeouts and retry policy."""

    base_url: str = "https://www.datosabiertos.gob.pe"
    dataset: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    chunk_size: int = 64 * 1024

    @property
    def package_show_url(self) -> str:
        """Return the CKAN ``package_show`` URL of the dataset."""
        return f"{self.base_url.rstrip('/')}/api/3/action/package_show?id={self.dataset}"

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) timeouts of every request."""
        return self.connect_timeout, self.read_timeout


@dataclass(frozen=True)
class Resource:
    """One monthly file published in the dataset."""

    name: str
    url: str
    size: int | None = None


@dataclass(frozen=True)
class Download:
    """A completed download: where it is, its SHA-256 and size, and how many requests it took."""

    path: Path
    sha256: str
    size: int
    attempts: int


def retrying_session(settings: PortalSettings) -> requests.Session:
    """A session that retries GETs on connection errors, read timeouts and 5xx answers."""
    retry = Retry(
        total=settings.max_attempts - 1,
        backoff_factor=settings.backoff_seconds,
        status_forcelist=sorted(RETRY_STATUSES),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,  # the last 5xx answer is returned and reported with its URL
        respect_retry_after_header=True,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _requests_made(response: requests.Response) -> int:
    """How many HTTP requests the adapter made for this response (1 + its retries)."""
    retries = getattr(response.raw, "retries", None)
    return 1 + len(retries.history) if retries is not None else 1


def list_resources(
    settings: PortalSettings, *, session: requests.Session | None = None
) -> list[Resource]:
    """List the dataset's monthly CSV resources (``ReportePCBienesYYYYMM*.csv``), sorted by name."""
    session = session or retrying_session(settings)
    url = settings.package_show_url
    try:
        response = session.get(url, timeout=settings.timeout)
    except requests.RequestException as error:
        raise PortalError(f"{url}: cannot list resources ({error}); retry later") from error
    if response.status_code != 200:
        raise PortalError(
            f"{url}: listing answered HTTP {response.status_code}; check the base URL "
            "and dataset id settings"
        )
    payload = response.json()
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


def download(
    url: str,
    destination: Path,
    settings: PortalSettings | None = None,
    *,
    session: requests.Session | None = None,
) -> Download:
    """Download ``url`` to ``destination`` with retries and resume; write ``.sha256.json``.

    The session retries each request; this loop only resumes a body that ended early (a cut
    connection, a read timeout mid-body), from the bytes already in the ``.part`` file.
    """
    settings = settings or PortalSettings()
    session = session or retrying_session(settings)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    last_problem = "no attempt made"
    made = 0
    for resume in range(settings.max_attempts):
        if resume:
            time.sleep(settings.backoff_seconds * 2 ** (resume - 1))
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            response = session.get(url, headers=headers, stream=True, timeout=settings.timeout)
        except requests.RequestException as error:
            made += settings.max_attempts  # the adapter spent every retry on this request
            last_problem = f"{type(error).__name__}: {error}"
            break
        with response:
            made += _requests_made(response)
            if response.status_code == 416 and offset:
                expected = _content_range_total(response.headers.get("Content-Range"))
                if expected == offset:
                    return _finish(part, destination, url, made)
                part.unlink()
                last_problem = "server refused the resume range; restarting"
                continue
            if response.status_code in RETRY_STATUSES:
                last_problem = f"HTTP {response.status_code}"
                break  # the adapter already retried this status as configured
            if response.status_code not in (200, 206):
                raise PortalError(
                    f"{url}: HTTP {response.status_code}; check that the resource still "
                    "exists in the dataset listing"
                )
            resumed = response.status_code == 206 and offset > 0
            expected_total = _expected_total(response, offset if resumed else 0)
            try:
                with part.open("ab" if resumed else "wb") as handle:
                    for block in response.iter_content(settings.chunk_size):
                        handle.write(block)
            except requests.RequestException as error:
                last_problem = f"body cut short ({type(error).__name__}); resuming"
                continue
            received = part.stat().st_size
            if expected_total is not None and received < expected_total:
                last_problem = f"truncated body ({received} of {expected_total} bytes)"
                continue
            return _finish(part, destination, url, made)
    raise PortalError(
        f"{url}: download failed after {made} attempts ({last_problem}); "
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
    sha256, size = sha256_file(part)
    part.replace(destination)
    record = {"file": destination.name, "url": url, "sha256": sha256, "size": size}
    checksum = destination.with_name(destination.name + ".sha256.json")
    temporary = checksum.with_name(checksum.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(checksum)
    return Download(destination, sha256, size, attempts)


def download_month_files(
    settings: PortalSettings, out_dir: Path, *, session: requests.Session | None = None
) -> list[Download]:
    """List the dataset and download every monthly file not yet present in ``out_dir``."""
    session = session or retrying_session(settings)
    results = []
    for resource in list_resources(settings, session=session):
        target = Path(out_dir) / resource.name
        if target.exists() and target.with_name(target.name + ".sha256.json").exists():
            continue
        results.append(download(resource.url, target, settings, session=session))
    return results
