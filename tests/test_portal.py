"""Portal downloader against a local HTTP server: retries, timeouts, truncation and resume."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from support.shared import check_shared

from perucompras.portal import (
    PortalError,
    PortalSettings,
    download,
    download_month_files,
    list_resources,
)

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "perucompras"


class Handler(BaseHTTPRequestHandler):
    """Serves sample files under several misbehaviours, counting requests per path."""

    files: ClassVar[dict[str, bytes]] = {}
    hits: ClassVar[Counter] = Counter()
    ranges: ClassVar[list[str | None]] = []

    def log_message(self, *args: object) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.hits[path] += 1
        self.ranges.append(self.headers.get("Range"))
        if path == "/api/3/action/package_show":
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            body = json.dumps(
                {
                    "success": True,
                    "result": {
                        "resources": [
                            {"name": name, "url": f"{base}/files/{name}", "size": len(data)}
                            for name, data in self.files.items()
                        ]
                        + [{"name": "Diccionario de datos", "url": f"{base}/files/dic.pdf"}]
                    },
                }
            ).encode()
            return self._send(200, body)
        kind, _, name = path.strip("/").partition("/")
        data = self.files.get(name)
        if data is None:
            return self._send(404, b"not found")
        first = self.hits[path] == 1
        if kind == "always500":
            return self._send(500, b"boom")
        if kind == "flaky" and first:
            return self._send(500, b"try again")
        if kind == "slow" and first:
            time.sleep(1.5)
        if kind == "truncated" and first:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 3])
            self.wfile.flush()
            self.close_connection = True
            return None
        start = 0
        header = self.headers.get("Range")
        if header:
            start = int(header.removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data[start:])  # the client may have given up (timeout case)
        return None

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    check_shared("samples")
    files = sorted(SAMPLES.glob("ReportePCBienes*.sample.csv"))
    Handler.files = {path.name.replace(".sample", ""): path.read_bytes() for path in files}
    Handler.hits = Counter()
    Handler.ranges = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


FAST = PortalSettings(
    connect_timeout=2, read_timeout=0.5, max_attempts=3, backoff_seconds=0.01, chunk_size=1024
)
NAME = "ReportePCBienes202201.csv"


def check_download(path: Path) -> None:
    data = Handler.files[path.name]
    assert path.read_bytes() == data
    record = json.loads(path.with_name(path.name + ".sha256.json").read_text())
    assert record["sha256"] == hashlib.sha256(data).hexdigest() and record["size"] == len(data)
    assert not path.with_name(path.name + ".part").exists()


def test_listing_and_download_all(server: str, tmp_path: Path) -> None:
    settings = PortalSettings(base_url=server, dataset="perucompras-ocam", backoff_seconds=0.01)
    resources = list_resources(settings)
    assert [r.name for r in resources] == ["ReportePCBienes202201.csv", "ReportePCBienes202512.csv"]
    downloads = download_month_files(settings, tmp_path)
    assert [d.path.name for d in downloads] == [r.name for r in resources]
    for item in downloads:
        check_download(item.path)
    assert download_month_files(settings, tmp_path) == []


def test_retries_after_500(server: str, tmp_path: Path) -> None:
    result = download(f"{server}/flaky/{NAME}", tmp_path / NAME, FAST)
    assert result.attempts == 2 and Handler.hits[f"/flaky/{NAME}"] == 2
    check_download(result.path)


def test_retries_after_timeout(server: str, tmp_path: Path) -> None:
    result = download(f"{server}/slow/{NAME}", tmp_path / NAME, FAST)
    assert result.attempts == 2 and Handler.hits[f"/slow/{NAME}"] == 2
    check_download(result.path)


def test_truncated_body_is_resumed_with_range(server: str, tmp_path: Path) -> None:
    result = download(f"{server}/truncated/{NAME}", tmp_path / NAME, FAST)
    assert result.attempts == 2
    size = len(Handler.files[NAME])
    resumed_from = int(Handler.ranges[-1].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_from <= size // 3
    check_download(result.path)


def test_persistent_failure_raises_a_clear_error_and_keeps_nothing_half_done(
    server: str, tmp_path: Path
) -> None:
    with pytest.raises(PortalError, match=r"always500.*3 attempts.*HTTP 500"):
        download(f"{server}/always500/{NAME}", tmp_path / NAME, FAST)
    assert not (tmp_path / NAME).exists()
    assert Handler.hits[f"/always500/{NAME}"] == FAST.max_attempts
    with pytest.raises(PortalError, match="HTTP 404"):
        download(f"{server}/files/missing.csv", tmp_path / "missing.csv", FAST)


def test_portal_source_resource_feeds_the_pipeline_reader(server: str, tmp_path: Path) -> None:
    import datetime as dt

    from pipelines.resources import SourceResource
    from publication.extract import orders_for_day

    source = SourceResource(kind="portal", directory=str(tmp_path / "portal"), portal_url=server)
    day = dt.date(2022, 1, 4)
    files = source.available_files(day)
    assert [p.name for p in files] == ["ReportePCBienes202201.csv", "ReportePCBienes202512.csv"]
    assert (tmp_path / "portal" / "ReportePCBienes202201.csv.sha256.json").exists()
    extracted = orders_for_day(files, day)
    assert extracted.orders.num_rows > 0
    assert extracted.sources[0]["sha256"] == hashlib.sha256(files[0].read_bytes()).hexdigest()
