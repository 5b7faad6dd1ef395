"""HTTP(S) downloads with an overall deadline, an idle limit and a size cap.

A socket timeout alone does not bound a download: a server that sends one byte every few
seconds never trips it. Here every download has a deadline; a watchdog shuts the socket at
the deadline (so even a dripped status line or header ends), every read waits at most the
idle limit or the time left, and the body is never read past the caller's cap. Errors become
catalogue notes (``source.*``) with the technical detail kept in a ``detail`` parameter.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from integrity.verify._limits import Limits
from integrity.verify._results import Note, SourceUnavailable

MAX_REDIRECTS = 5


class Deadline:
    """A point in time after which a download is abandoned."""

    def __init__(self, seconds: float) -> None:
        """Start counting ``seconds`` from now."""
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.at - time.monotonic())


@dataclass
class HttpBody:
    """The body of one answer: read in pieces, never past the time or size limits."""

    url: str
    response: http.client.HTTPResponse
    connection: http.client.HTTPConnection
    deadline: Deadline
    idle: float
    length: int | None

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (fewer as they arrive; empty at the end)."""
        left = self.deadline.left()
        if left <= 0:
            raise _timeout(self.url, self.deadline.seconds)
        sock = self.connection.sock
        if sock is not None:
            sock.settimeout(min(self.idle, left))
        try:
            return self.response.read1(size)
        except TimeoutError:
            if self.deadline.left() <= 0:
                raise _timeout(self.url, self.deadline.seconds) from None
            raise _unavailable(
                "source.stalled", self.url, f"no data for {self.idle:.0f} s"
            ) from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            if self.deadline.left() <= 0:
                raise _timeout(self.url, self.deadline.seconds) from None
            raise _unavailable("source.broken", self.url, _detail(error)) from None


@contextmanager
def http_get(url: str, limits: Limits, *, small: bool = False) -> Iterator[HttpBody]:
    """GET ``url`` (following up to 5 redirects); FileNotFoundError on 404/410. A ``small``
    file (manifest, index, receipt, ...) has the shorter ``limits.small_http_timeout``.

    Raises ``SourceUnavailable`` with a catalogue note for every other failure.
    """
    deadline = Deadline(limits.small_http_timeout if small else limits.http_timeout)
    idle = min(limits.http_idle, deadline.seconds)
    for _ in range(MAX_REDIRECTS + 1):
        connection = _connection(url, max(0.001, min(idle, deadline.left())))
        # At the deadline the socket is shut, whatever the download is blocked on.
        watchdog = threading.Timer(deadline.left(), _shut, (connection,))
        watchdog.daemon = True
        watchdog.start()
        try:
            response = _start(connection, url, deadline)
            location = response.getheader("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                url = urllib.parse.urljoin(url, location)
                if not url.startswith(("http://", "https://")):
                    raise _unavailable("source.bad_redirect", url, location)
                continue
            if response.status in (404, 410):
                raise FileNotFoundError(url)
            if not 200 <= response.status < 300:
                raise SourceUnavailable(
                    Note(
                        "source.http_status",
                        {"location": url, "status": response.status, "detail": response.reason},
                    )
                )
            length = response.getheader("Content-Length")
            yield HttpBody(
                url,
                response,
                connection,
                deadline,
                idle,
                int(length) if length and length.isdigit() else None,
            )
            return
        finally:
            watchdog.cancel()
            connection.close()
    raise _unavailable("source.bad_redirect", url, f"more than {MAX_REDIRECTS} redirects")


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        raise _unavailable("source.no_connection", url, "invalid port") from None
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(host, port, timeout=timeout)


def _start(
    connection: http.client.HTTPConnection, url: str, deadline: Deadline
) -> http.client.HTTPResponse:
    """Send the request and read the status line and headers before the deadline."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "identity"})
        return connection.getresponse()
    except TimeoutError:
        if deadline.left() <= 0:
            raise _timeout(url, deadline.seconds) from None
        raise _unavailable("source.stalled", url, "no answer within the idle limit") from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        if deadline.left() <= 0:
            raise _timeout(url, deadline.seconds) from None
        key = "source.no_connection" if isinstance(error, OSError) else "source.broken"
        raise _unavailable(key, url, _detail(error)) from None


def _shut(connection: http.client.HTTPConnection) -> None:
    """Unblock any read on the connection's socket (called by the watchdog at the deadline)."""
    sock = connection.sock
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _timeout(url: str, seconds: float) -> SourceUnavailable:
    return SourceUnavailable(
        Note("source.timeout", {"location": url, "seconds": f"{seconds:g}", "detail": "deadline"})
    )


def _unavailable(key: str, url: str, detail: str) -> SourceUnavailable:
    host = urllib.parse.urlsplit(url).netloc or url
    return SourceUnavailable(Note(key, {"location": url, "host": host, "detail": detail}))


def _detail(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:300]
