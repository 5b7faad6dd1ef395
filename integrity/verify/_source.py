"""Reading published files from a folder or an http(s) URL: plain names, bounded, streamed.

A ``Source`` only opens plain file names (``_io.require_plain_name``), only regular files
(local files are opened without following links and without blocking), and never reads more
than it was told to: a listed file up to its manifest byte count plus one byte (enough to see
that it is longer), a small file (manifest, index, receipt, pin, SHA256SUMS) up to a cap.
HTTP downloads have an overall deadline (``_http``).
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from integrity.merkle import node_hash
from integrity.verify._http import http_get
from integrity.verify._io import (
    open_regular,
    read_capped,
    require_plain_name,
    too_large,
    unreadable,
)
from integrity.verify._limits import DEFAULT_LIMITS, Limits

CHUNK = 1 << 20
SCAN_CHUNK = CHUNK  # of a JSON Lines scan (1, 2 and 4 MiB measured alike)
READ_AHEAD = 2  # chunks read and hashed ahead of the line hashing (8 measured slower under load)
LEAF_PREFIX = b"\x00"  # RFC 9162 leaf hash prefix
NODE_PREFIX = b"\x01"  # RFC 9162 interior node hash prefix


class Body(Protocol):
    """An open file or HTTP body: ``read`` returns up to ``size`` bytes, empty at the end."""

    def read(self, size: int, /) -> bytes: ...


@dataclass
class Opened:
    """An open published file and its size when known in advance (``fstat``, Content-Length)."""

    body: Body
    size: int | None


@dataclass(frozen=True)
class Hashed:
    """SHA-256 and size of a listed file, read up to its expected size plus one byte.

    ``longer`` means the file has more bytes than expected: it was not hashed (``sha256`` is
    None) and ``size`` is its exact size when known in advance, else the bytes read.
    """

    sha256: str | None
    size: int
    longer: bool = False
    size_known: bool = True


class Source:
    """A local folder or an http(s) URL from which published files are read."""

    def __init__(self, base: str | Path, limits: Limits = DEFAULT_LIMITS) -> None:
        """``base`` is a directory path or a URL (a trailing slash is added)."""
        text = str(base)
        self.limits = limits
        self.is_url = text.startswith(("http://", "https://"))
        self.base: str | Path = (
            (text if text.endswith("/") else text + "/") if self.is_url else Path(text)
        )

    def describe(self, rel: str) -> str:
        """Human-readable location of ``rel``."""
        if self.is_url:
            return urllib.parse.urljoin(str(self.base), urllib.parse.quote(rel))
        return str(Path(self.base) / rel)

    def local_path(self, rel: str) -> Path | None:
        """Filesystem path of ``rel`` (None for URLs)."""
        return None if self.is_url else Path(self.base) / rel

    def child(self, rel_dir: str) -> Source:
        """The source for a sub-folder given as plain names separated by ``/``."""
        parts = rel_dir.strip("/").split("/")
        for part in parts:
            require_plain_name(part, "folder")
        if self.is_url:
            quoted = "/".join(urllib.parse.quote(part) for part in parts) + "/"
            return Source(urllib.parse.urljoin(str(self.base), quoted), self.limits)
        return Source(Path(self.base).joinpath(*parts), self.limits)

    def names(self) -> list[str] | None:
        """Names in a local folder (None for URLs or a missing folder)."""
        if self.is_url:
            return None
        try:
            return sorted(os.listdir(self.base))
        except OSError:
            return None

    @contextmanager
    def open(self, rel: str, *, small: bool = False) -> Iterator[Opened]:
        """Open the plain name ``rel``: FileNotFoundError if absent, InputRefused if it is not a
        regular file or its name is unsafe, SourceUnavailable for network failures (a
        ``small`` file is downloaded under the shorter deadline)."""
        require_plain_name(rel, "file")
        if not self.is_url:
            path = Path(self.base) / rel
            handle = open_regular(path)
            with handle:
                yield Opened(handle, os.fstat(handle.fileno()).st_size)
            return
        with http_get(self.describe(rel), self.limits, small=small) as body:
            yield Opened(body, body.length)

    def read(self, rel: str, limit: int | None = None, *, small: bool = True) -> bytes | None:
        """Whole content of a file (at most ``limit`` bytes), or None if it is absent; by
        default a small file (manifest, index, ...: the small-file cap and deadline)."""
        limit = self.limits.small_file if limit is None else limit
        try:
            with self.open(rel, small=small) as opened:
                if opened.size is not None and opened.size > limit:
                    raise too_large(rel, limit)
                return _read_all(opened.body, limit, rel)
        except FileNotFoundError:
            return None

    def hash(self, rel: str, expected: int) -> Hashed | None:
        """SHA-256 and size of a listed file read up to ``expected + 1`` bytes (None if absent)."""
        try:
            with self.open(rel) as opened:
                if opened.size is not None and opened.size > expected:
                    return Hashed(None, opened.size, longer=True)
                return hash_stream(opened.body, expected)
        except FileNotFoundError:
            return None

    def scan(self, rel: str, expected: int) -> LeafScan | None:
        """One bounded pass over a JSON Lines file: digest and Merkle root (None if absent)."""
        try:
            with self.open(rel) as opened:
                if opened.size is not None and opened.size > expected:
                    return LeafScan(None, opened.size, 0, "", False, longer=True)
                return scan_leaves(opened.body, expected)
        except FileNotFoundError:
            return None


def _read_all(body: Body, limit: int, name: str) -> bytes:
    try:
        return read_capped(body, limit, name)  # type: ignore[arg-type]
    except OSError as error:
        raise unreadable(name, error) from None


def _chunks(body: Body, limit: int, name: str, size: int = 0) -> Iterator[bytes]:
    """Chunks of ``body`` (``size`` bytes at most, default ``CHUNK``) up to ``limit`` in total."""
    size = size or CHUNK
    total = 0
    while total < limit:
        try:
            chunk = body.read(min(size, limit - total))
        except OSError as error:
            raise unreadable(name, error) from None
        if not chunk:
            return
        total += len(chunk)
        yield chunk


def hash_stream(body: Body, expected: int | None = None) -> Hashed:
    """SHA-256 and byte count of a stream, reading at most ``expected + 1`` bytes."""
    limit = (expected + 1) if expected is not None else 1 << 62
    digest = hashlib.sha256()
    size = 0
    for chunk in _chunks(body, limit, "stream"):
        digest.update(chunk)
        size += len(chunk)
    if expected is not None and size > expected:
        return Hashed(None, size, longer=True, size_known=False)
    return Hashed(digest.hexdigest(), size)


@dataclass(frozen=True)
class LeafScan:
    """One streamed pass over a JSON Lines file: file digest plus its Merkle tree.

    ``longer``: the file has more bytes than listed; it was not scanned (``sha256`` None).
    """

    sha256: str | None
    size: int
    tree_size: int
    root: str
    unterminated: bool
    longer: bool = False
    size_known: bool = True


class _StreamingRoot:
    """RFC 9162 root in O(log n) memory: a stack of perfect subtrees, folded right to left.

    The ``count``-th leaf closes one perfect subtree per trailing one bit of ``count``."""

    def __init__(self) -> None:
        self.stack: list[bytes] = []
        self.count = 0

    def push(self, hashed_leaf: bytes) -> None:
        self.extend((hashed_leaf,))

    def extend(self, hashed_leaves: list[bytes] | tuple[bytes, ...]) -> None:
        """Push leaves in order (one call per chunk: the per-leaf work stays inline)."""
        stack = self.stack
        pop, append = stack.pop, stack.append
        new_node = hashlib.sha256(NODE_PREFIX).copy  # cheaper than a new hash per node
        count = self.count
        for node in hashed_leaves:
            closed = count
            while closed & 1:
                parent = new_node()
                parent.update(pop())
                parent.update(node)
                node = parent.digest()
                closed >>= 1
            append(node)
            count += 1
        self.count = count

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        node = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            node = node_hash(left, node)
        return node


class _ReadAhead:
    """Reads the chunks of a stream and hashes them into the file digest, in a second thread.

    hashlib releases the GIL while it hashes a large buffer, so reading and the file digest
    run on another core while the calling thread hashes the lines (per-line work needs the
    GIL, so it is not split between threads: they would only take turns). The hand-over is a
    ``SimpleQueue`` (implemented in C) and a semaphore of ``READ_AHEAD`` slots, so each chunk
    costs the reading thread few trips through the interpreter, each of which the calling
    thread would otherwise wait for. The thread is a daemon, so a read stalled on a network
    never keeps the process from ending."""

    def __init__(self, body: Body, limit: int) -> None:
        self.digest = hashlib.sha256()
        self._chunks = _chunks(body, limit, "stream", SCAN_CHUNK)
        self._ready: queue.SimpleQueue[bytes | BaseException] = queue.SimpleQueue()
        self._slots = threading.Semaphore(READ_AHEAD)  # chunks read but not yet taken
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        put, wait, update = self._ready.put, self._slots.acquire, self.digest.update
        chunks = self._chunks
        try:
            while True:
                wait()  # a free slot before each read
                if self._stop:
                    return
                chunk = next(chunks, b"")
                if not chunk:
                    break
                update(chunk)
                put(chunk)
            put(b"")
        except BaseException as error:  # raised again in the calling thread
            put(error)

    def __iter__(self) -> Iterator[bytes]:
        get, release = self._ready.get, self._slots.release
        while True:
            item = get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                self._thread.join()  # the digest is then final
                return
            release()
            yield item

    def close(self) -> None:
        """Let the thread go when not every chunk was taken (it stops at its next chunk)."""
        self._stop = True
        self._slots.release()


def scan_leaves(body: Body, expected: int | None = None) -> LeafScan:
    """Hash a JSON Lines stream and compute its Merkle root (each line without ``\\n`` a leaf),
    reading at most ``expected + 1`` bytes. A line is hashed as it arrives, never held whole
    (at most ``READ_AHEAD + 1`` chunks of ``SCAN_CHUNK`` bytes are held)."""
    chunks = _ReadAhead(body, (expected + 1) if expected is not None else 1 << 62)
    try:
        return _scan(chunks, expected)
    finally:
        chunks.close()


def _scan(chunks: _ReadAhead, expected: int | None) -> LeafScan:
    """Leaf hashes and tree of the chunks in the calling thread (the reader hashes the file)."""
    # This thread bounds the scan: on top of the hashing, ~1-1.5 us of hashlib and interpreter
    # overhead per leaf and ~0.6 us per node (CPython 3.11, OpenSSL 3.0). Measured no faster
    # (issue #15): sha256(b"\0" + line), split + map, a translated copy of each chunk, ctypes
    # on libcrypto's SHA256, level-by-level folding, the reader hashing every other chunk's lines,
    # split + map over copies of one hash object (HASH.copy/update/digest), the builtin _sha256
    # for interior nodes, both passes in this thread (5% less CPU, but no second core).
    # On 2.7 KB lines the scan costs ~2.9x the CPU of one hashlib pass over the file.
    new_leaf = hashlib.sha256(LEAF_PREFIX).copy  # cheaper than a new hash per line
    tree = _StreamingRoot()
    size = 0
    current: Any = None  # the leaf hash of a line that spans chunks
    for chunk in chunks:
        size += len(chunk)
        view = memoryview(chunk)  # leaves hashed from slices of the chunk: no copies
        find = chunk.find
        leaves: list[bytes] = []
        append = leaves.append
        start = 0
        if current is not None:  # the line carried over from the previous chunk
            end = find(b"\n")
            current.update(view[: end if end >= 0 else len(chunk)])
            if end < 0:
                continue
            append(current.digest())
            current = None
            start = end + 1
        while (end := find(b"\n", start)) >= 0:
            leaf = new_leaf()
            leaf.update(view[start:end])
            append(leaf.digest())
            start = end + 1
        tree.extend(leaves)
        if start < len(chunk):
            current = new_leaf()
            current.update(view[start:])
    if expected is not None and size > expected:
        return LeafScan(None, size, 0, "", False, longer=True, size_known=False)
    if current is not None:
        tree.push(current.digest())
    return LeafScan(
        chunks.digest.hexdigest(), size, tree.count, tree.root().hex(), current is not None
    )
