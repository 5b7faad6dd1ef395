"""`publicar serve`'s HTTP server: validators and 304, ranges, gzip, media types, no listing."""

from __future__ import annotations

import gzip
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from publication.server import accepts_gzip, make_server, parse_ranges

JSON = (
    '{"dataset":"perucompras-ocam","days":[' + ",".join(['{"date":"2026-03-02"}'] * 40) + "]}"
).encode()
CSV = "order_number,buyer\nOCAM-2026-1-0,MUNICIPALIDAD DE JAÉN\n".encode() * 20
PARQUET = b"PAR1" + bytes(range(256)) * 8 + b"PAR1"
GZ = gzip.compress(JSON)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A small datasets root served on 127.0.0.1 (any free port) from a thread."""
    root = tmp_path_factory.mktemp("serve") / "datasets"
    day = root / "perucompras-ocam" / "2026" / "03" / "02"
    day.mkdir(parents=True)
    (root / "index.json").write_bytes(JSON)
    (root / "index.html").write_text("<!doctype html><title>portal</title>", encoding="utf-8")
    (root / "feed.json").write_bytes(JSON)
    (root / "catalog.jsonld").write_bytes(JSON)
    (day / "perucompras-ocam-2026-03-02-orders.csv").write_bytes(CSV)
    (day / "perucompras-ocam-2026-03-02-orders.parquet").write_bytes(PARQUET)
    (day / "perucompras-ocam-2026-03-02-releases.jsonl").write_bytes(JSON + b"\n")
    (day / "perucompras-ocam-2026-03-02-SHA256SUMS").write_bytes(b"00  x\n")
    (root / "masivos.jsonl.gz").write_bytes(GZ)
    (root / "libro.xlsx").write_bytes(PARQUET)
    (root / ".index.json.tmp").write_bytes(b"half")
    (day.parent / ".02-staging").mkdir()
    outside = root.parent / "secret.txt"
    outside.write_text("not published")
    (root / "enlace.txt").symlink_to(outside)
    server = make_server(root, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def request(
    address: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


DAY = "/perucompras-ocam/2026/03/02/perucompras-ocam-2026-03-02"


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/index.json", "application/json; charset=utf-8"),
        ("/catalog.jsonld", "application/ld+json; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        (f"{DAY}-orders.csv", "text/csv; charset=utf-8"),
        (f"{DAY}-orders.parquet", "application/vnd.apache.parquet"),
        (f"{DAY}-releases.jsonl", "application/jsonl; charset=utf-8"),
        (f"{DAY}-SHA256SUMS", "text/plain; charset=utf-8"),
        ("/masivos.jsonl.gz", "application/gzip"),
        ("/libro.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("/", "text/html; charset=utf-8"),
    ],
)
def test_media_types(site: tuple[str, Path], path: str, media_type: str) -> None:
    status, headers, _ = request(site[0], path)
    assert status == 200
    assert headers["content-type"] == media_type
    assert headers["x-content-type-options"] == "nosniff"


def test_etag_and_last_modified_answer_conditional_requests_with_304(
    site: tuple[str, Path],
) -> None:
    address, root = site
    status, headers, body = request(address, "/index.json")
    assert (status, body) == (200, JSON)
    etag, modified = headers["etag"], headers["last-modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    assert request(address, "/index.json", {"If-None-Match": etag})[0] == 304
    assert request(address, "/index.json", {"If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert request(address, "/index.json", {"If-None-Match": '"other"'})[0] == 200
    assert request(address, "/index.json", {"If-Modified-Since": modified})[0] == 304
    old = formatdate(0, usegmt=True)
    assert request(address, "/index.json", {"If-Modified-Since": old})[0] == 200
    path = root / "index.json"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    try:
        changed = request(address, "/index.json", {"If-None-Match": etag})
        assert changed[0] == 200 and changed[1]["etag"] != etag
    finally:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_ranges(site: tuple[str, Path]) -> None:
    address = site[0]
    path = f"{DAY}-orders.parquet"
    status, headers, body = request(address, path, {"Range": "bytes=4-11"})
    assert (status, body) == (206, PARQUET[4:12])
    assert headers["content-range"] == f"bytes 4-11/{len(PARQUET)}"
    assert request(address, path, {"Range": "bytes=-4"})[2] == b"PAR1"
    assert request(address, path, {"Range": "bytes=2040-"})[2] == PARQUET[2040:]
    status, headers, _ = request(address, path, {"Range": f"bytes={len(PARQUET)}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(PARQUET)}"
    assert request(address, path, {"Range": "lines=1-2"})[0] == 200  # another unit: ignored
    status, headers, body = request(address, path, {"Range": "bytes=0-3,-4"})
    assert status == 206 and headers["content-type"].startswith("multipart/byteranges")
    boundary = headers["content-type"].split("boundary=")[1]
    parts = [p for p in body.split(f"--{boundary}".encode()) if b"Content-Range" in p]
    assert [p.split(b"\r\n\r\n", 1)[1].rstrip(b"\r\n") for p in parts] == [b"PAR1", b"PAR1"]
    assert int(headers["content-length"]) == len(body)
    etag = request(address, path)[1]["etag"]
    assert request(address, path, {"Range": "bytes=0-3", "If-Range": etag})[0] == 206
    assert request(address, path, {"Range": "bytes=0-3", "If-Range": '"stale"'})[0] == 200


def test_gzip_for_text_types_only_when_accepted(site: tuple[str, Path]) -> None:
    address = site[0]
    status, headers, body = request(address, "/index.json", {"Accept-Encoding": "gzip, br"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == JSON
    assert headers["vary"] == "Accept-Encoding"
    gz_tag = headers["etag"]
    assert gz_tag != request(address, "/index.json")[1]["etag"]
    assert request(address, "/index.json", {"If-None-Match": gz_tag})[0] == 304
    csv = request(address, f"{DAY}-orders.csv", {"Accept-Encoding": "gzip"})
    assert csv[1]["content-encoding"] == "gzip" and gzip.decompress(csv[2]) == CSV
    for path in ("/masivos.jsonl.gz", f"{DAY}-orders.parquet"):
        status, headers, body = request(address, path, {"Accept-Encoding": "gzip"})
        assert "content-encoding" not in headers and body == (
            GZ if path.endswith("gz") else PARQUET
        )
    plain = request(address, "/index.json", {"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in plain[1] and plain[2] == JSON
    ranged = request(address, "/index.json", {"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert ranged[0] == 206 and ranged[2] == JSON[:10] and "content-encoding" not in ranged[1]
    head = request(address, "/index.json", {"Accept-Encoding": "gzip"}, method="HEAD")
    assert head[0] == 200 and head[2] == b"" and head[1]["content-encoding"] == "gzip"


def test_no_listing_nothing_hidden_nothing_outside(site: tuple[str, Path]) -> None:
    address = site[0]
    assert request(address, "/perucompras-ocam/2026/03/02/")[0] == 404
    assert request(address, "/perucompras-ocam/")[0] == 404
    assert request(address, "/.index.json.tmp")[0] == 404
    assert request(address, "/perucompras-ocam/2026/03/.02-staging/")[0] == 404
    assert request(address, "/../secret.txt")[0] == 404
    assert request(address, "/%2e%2e/secret.txt")[0] == 404
    assert request(address, "/enlace.txt")[0] == 404
    assert request(address, "/no-such-file.json")[0] == 404
    assert request(address, "/index.json", method="POST")[0] == 405
    status, headers, body = request(address, "/index.json", method="HEAD")
    assert (status, body) == (200, b"") and headers["content-length"] == str(len(JSON))


def test_accept_encoding_and_range_parsing() -> None:
    assert accepts_gzip("gzip") and accepts_gzip("br;q=1.0, gzip;q=0.5") and accepts_gzip("*")
    assert not accepts_gzip(None) and not accepts_gzip("gzip;q=0") and not accepts_gzip("br")
    assert parse_ranges("bytes=0-0", 10) == [(0, 0)]
    assert parse_ranges("bytes=5-100", 10) == [(5, 9)]
    assert parse_ranges("bytes=20-30", 10) == []
    assert parse_ranges("bytes=5-2", 10) is None
    assert parse_ranges("bytes=a-b", 10) is None


def test_kept_alive_responses_are_not_held_back_by_nagle(tmp_path: Path) -> None:
    """Every connection the server accepts has TCP_NODELAY: the body written after the headers
    leaves at once instead of waiting for the client's delayed ACK of the headers."""
    (tmp_path / "index.html").write_text("<!doctype html><title>portal</title>", encoding="utf-8")
    server = make_server(tmp_path, port=0, quiet=True)
    nodelay: list[int] = []
    bound: Any = server.RequestHandlerClass

    def setup(handler: Any) -> None:
        bound.setup(handler)
        nodelay.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server.RequestHandlerClass = type("Spy", (bound,), {"setup": setup})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        for _ in range(2):
            connection.request("GET", "/index.html")
            response = connection.getresponse()
            assert response.status == 200 and b"portal" in response.read()
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert nodelay and all(nodelay), nodelay


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_publicar_serve_command(tmp_path: Path, stop: signal.Signals) -> None:
    root = tmp_path / "datasets"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><title>portal</title>", encoding="utf-8")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("publicar")),
            "serve",
            "--datasets",
            str(root),
            "--port",
            "0",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT dumps every thread's stack
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"Serving {root} on http://127.0.0.1:"), line
        address = line.rsplit("//", 1)[1].strip().rstrip("/")
        status, headers, body = request(address, "/")
        assert status == 200 and b"portal" in body and "etag" in headers
    finally:
        process.send_signal(stop)
        # A guard, not a timing: a server that ignores the signal would keep CI waiting.
        try:
            _, errors = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            _, errors = process.communicate()
            pytest.fail(f"publicar serve did not stop on {stop.name}; its threads:\n{errors}")
    assert process.returncode == 0, errors
