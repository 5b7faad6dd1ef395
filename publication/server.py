"""A small static HTTP server for a datasets root (``publicar serve``), standard library only.

What a harvester, a cache or a resumable download expects from a file host: strong ``ETag``
and ``Last-Modified`` with ``304`` answers to conditional requests, byte ranges (``206``, one
range or several as ``multipart/byteranges``, ``If-Range``, ``416``), gzip content-encoding of
text types when the client accepts it (never of files already compressed, never of a range),
the media types of ``publication.mediatypes`` (charset on text), ``index.html`` for a folder
and otherwise no directory listing, and nothing outside the root or hidden (dot files, the
staging folders of atomic writes).
"""

from __future__ import annotations

import email.utils
import os
import secrets
import zlib
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from publication.mediatypes import MediaType, of_path

CHUNK = 1 << 16
MIN_GZIP_BYTES = 256
INDEX_PAGE = "index.html"


def _etag(stat: os.stat_result, variant: str = "") -> str:
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}{variant}"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (``q=0`` refuses it)."""
    if not header:
        return False
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() not in ("gzip", "*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        return quality > 0
    return False


def parse_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """Satisfiable ``(first, last)`` byte ranges of a ``Range`` header; None if not bytes or
    malformed (the header is then ignored), ``[]`` if none is satisfiable (416)."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    ranges: list[tuple[int, int]] = []
    for part in spec.split(","):
        first, dash, last = part.strip().partition("-")
        if not dash:
            return None
        try:
            if first == "":
                length = int(last)
                if length <= 0:
                    continue
                ranges.append((max(size - length, 0), size - 1))
                continue
            start = int(first)
            end = int(last) if last else max(start, size - 1)
        except ValueError:
            return None
        if start > end:
            return None
        if start < size:
            ranges.append((start, min(end, size - 1)))
    return ranges if size else []


class DatasetsHandler(BaseHTTPRequestHandler):
    """GET and HEAD of the files under ``root``."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: with Nagle on, the body of every response
    # after the first on a kept-alive connection waits for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server_version = "publicar-serve"
    root: Path = Path(".")
    quiet: bool = False

    def log_message(self, format: str, *args: object) -> None:
        """Access log on stderr unless quiet."""
        if not self.quiet:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        """Send a file (or a part of it)."""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        """Send the headers a GET would."""
        self._serve(head=True)

    def _refuse(self) -> None:
        self._send_empty(HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def _send_empty(self, status: HTTPStatus, headers: dict[str, str] | None = None) -> None:
        body = b"" if status in (HTTPStatus.NOT_MODIFIED,) else f"{status.phrase}\n".encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _locate(self) -> Path | str | None:
        """The file to send, a redirect target (str), or None (404)."""
        url_path = unquote(urlsplit(self.path).path)
        if "\x00" in url_path or not url_path.startswith("/"):
            return None
        parts = [part for part in url_path.split("/") if part]
        if any(part.startswith(".") or "\\" in part for part in parts):
            return None
        root = self.root.resolve()
        target = root.joinpath(*parts)
        try:
            resolved = target.resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError, RuntimeError):
            return None
        if resolved != root and not resolved.is_relative_to(root):
            return None
        if resolved.is_dir():
            if not (resolved / INDEX_PAGE).is_file():
                return None  # no directory listing
            if not url_path.endswith("/"):
                return url_path + "/"
            return resolved / INDEX_PAGE
        return resolved if resolved.is_file() else None

    def _serve(self, *, head: bool) -> None:
        located = self._locate()
        if located is None:
            self._send_empty(HTTPStatus.NOT_FOUND)
            return
        if isinstance(located, str):
            self._send_empty(HTTPStatus.MOVED_PERMANENTLY, {"Location": located})
            return
        try:
            handle = located.open("rb")
        except OSError:
            self._send_empty(HTTPStatus.NOT_FOUND)
            return
        with handle:
            stat = os.fstat(handle.fileno())
            self._send_file(handle, stat, of_path(located.name), head=head)

    def _common_headers(self, stat: os.stat_result, media: MediaType, etag: str) -> None:
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header(
            "Access-Control-Expose-Headers", "ETag, Last-Modified, Content-Range, Content-Length"
        )
        if media.text:
            self.send_header("Vary", "Accept-Encoding")

    def _not_modified(self, stat: os.stat_result, etags: tuple[str, str]) -> str | None:
        """The matching ETag when the client's copy is current (304), else None."""
        none_match = self.headers.get("If-None-Match")
        if none_match is not None:
            tags = _tags(none_match)
            if "*" in tags:
                return etags[0]
            return next((etag for etag in etags if etag in tags), None)
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                moment = email.utils.parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
            if int(stat.st_mtime) <= moment:
                return etags[0]
        return None

    def _range_applies(self, stat: os.stat_result, etag: str) -> bool:
        condition = self.headers.get("If-Range")
        if condition is None:
            return True
        condition = condition.strip()
        if condition.startswith(('"', "W/")):
            return condition == etag  # strong comparison only
        try:
            return email.utils.parsedate_to_datetime(condition).timestamp() == int(stat.st_mtime)
        except (TypeError, ValueError, IndexError, OverflowError):
            return False

    def _send_file(
        self, handle: BinaryIO, stat: os.stat_result, media: MediaType, *, head: bool
    ) -> None:
        size = stat.st_size
        identity_tag, gzip_tag = _etag(stat), _etag(stat, "-gzip")
        matched = self._not_modified(stat, (identity_tag, gzip_tag))
        if matched is not None:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._common_headers(stat, media, matched)
            self.end_headers()
            return
        range_header = self.headers.get("Range")
        if range_header and self._range_applies(stat, identity_tag):
            ranges = parse_ranges(range_header, size)
            if ranges == []:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self._common_headers(stat, media, identity_tag)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if ranges:
                self._send_ranges(handle, stat, media, ranges, identity_tag, head=head)
                return
        gzip = (
            media.text
            and size >= MIN_GZIP_BYTES
            and accepts_gzip(self.headers.get("Accept-Encoding"))
        )
        self.send_response(HTTPStatus.OK)
        self._common_headers(stat, media, gzip_tag if gzip else identity_tag)
        self.send_header("Content-Type", media.content_type)
        if gzip:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if not head:
                self._write_chunked(_gzipped(handle))
            return
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if not head:
            self._copy(handle, 0, size)

    def _send_ranges(
        self,
        handle: BinaryIO,
        stat: os.stat_result,
        media: MediaType,
        ranges: list[tuple[int, int]],
        etag: str,
        *,
        head: bool,
    ) -> None:
        size = stat.st_size
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self._common_headers(stat, media, etag)
        if len(ranges) == 1:
            first, last = ranges[0]
            self.send_header("Content-Type", media.content_type)
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.send_header("Content-Length", str(last - first + 1))
            self.end_headers()
            if not head:
                self._copy(handle, first, last - first + 1)
            return
        boundary = secrets.token_hex(12)
        heads = [
            (
                f"\r\n--{boundary}\r\nContent-Type: {media.content_type}\r\n"
                f"Content-Range: bytes {first}-{last}/{size}\r\n\r\n"
            ).encode()
            for first, last in ranges
        ]
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = sum(len(h) for h in heads) + sum(b - a + 1 for a, b in ranges) + len(tail)
        self.send_header("Content-Type", f"multipart/byteranges; boundary={boundary}")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if head:
            return
        for part_head, (first, last) in zip(heads, ranges, strict=True):
            self.wfile.write(part_head)
            self._copy(handle, first, last - first + 1)
        self.wfile.write(tail)

    def _copy(self, handle: BinaryIO, offset: int, length: int) -> None:
        handle.seek(offset)
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                break
            self.wfile.write(chunk)
            length -= len(chunk)

    def _write_chunked(self, chunks: Iterator[bytes]) -> None:
        for chunk in chunks:
            if chunk:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")


def _gzipped(handle: BinaryIO) -> Iterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    while chunk := handle.read(CHUNK):
        yield compressor.compress(chunk)
    yield compressor.flush()


class DatasetsServer(ThreadingHTTPServer):
    """A threading HTTP server whose requests do not outlive it."""

    daemon_threads = True


def make_server(
    root: Path, *, host: str = "127.0.0.1", port: int = 8000, quiet: bool = False
) -> DatasetsServer:
    """A server for ``root`` bound to ``host:port`` (port 0: any free port)."""
    handler = type("BoundDatasetsHandler", (DatasetsHandler,), {"root": Path(root), "quiet": quiet})
    return DatasetsServer((host, port), handler)
