"""Reading published files from a folder or an http(s) URL, streamed in 1 MiB chunks."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from integrity.merkle import leaf_hash, node_hash
from integrity.verify._results import Note, SourceUnavailable
from integrity.verify._values import short

CHUNK = 1 << 20


class Source:
    """A local folder or an http(s) URL from which published files are read (streamed)."""

    def __init__(self, base: str | Path) -> None:
        """``base`` is a directory path or a URL (a trailing slash is added)."""
        text = str(base)
        self.is_url = text.startswith(("http://", "https://"))
        self.base: str | Path = (
            (text if text.endswith("/") else text + "/") if self.is_url else Path(text)
        )

    def describe(self, rel: str) -> str:
        """Human-readable location of ``rel``."""
        if self.is_url:
            return urllib.parse.urljoin(str(self.base), rel)
        return str(Path(self.base) / rel)

    def local_path(self, rel: str) -> Path | None:
        """Filesystem path of ``rel`` (None for URLs)."""
        return None if self.is_url else Path(self.base) / rel

    def child(self, rel_dir: str) -> Source:
        """The source for a sub-folder."""
        if self.is_url:
            return Source(urllib.parse.urljoin(str(self.base), rel_dir.rstrip("/") + "/"))
        return Source(Path(self.base) / rel_dir)

    @contextmanager
    def open(self, rel: str) -> Iterator[IO[bytes]]:
        """Open ``rel`` for streaming; FileNotFoundError if absent, SourceUnavailable else."""
        if not self.is_url:
            with (Path(self.base) / rel).open("rb") as handle:
                yield handle
            return
        url = self.describe(rel)
        try:
            response = urllib.request.urlopen(url, timeout=30)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise FileNotFoundError(url) from error
            raise _unavailable(url, error) from error
        except (urllib.error.URLError, OSError) as error:
            raise _unavailable(url, error) from error
        with response:
            yield response

    def read(self, rel: str) -> bytes | None:
        """Whole content of a small file, or None if it does not exist."""
        try:
            with self.open(rel) as handle:
                return handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def hash(self, rel: str) -> tuple[str, int] | None:
        """Streamed SHA-256 hex and size, or None if the file does not exist."""
        try:
            with self.open(rel) as handle:
                return hash_stream(handle)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None


def _unavailable(location: str, error: BaseException) -> SourceUnavailable:
    return SourceUnavailable(
        Note("locate.source_unavailable", {"location": location, "error": short(error)})
    )


def hash_stream(handle: IO[bytes]) -> tuple[str, int]:
    """SHA-256 hex and byte count of a stream read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class LeafScan:
    """One streamed pass over a JSON Lines file: file digest plus its Merkle tree."""

    sha256: str
    size: int
    tree_size: int
    root: str
    unterminated: bool


class _StreamingRoot:
    """RFC 9162 root in O(log n) memory: a stack of perfect subtrees, folded right to left."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []
        self.count = 0

    def push(self, hashed_leaf: bytes) -> None:
        height = 0
        node = hashed_leaf
        stack = self.stack
        while stack and stack[-1][0] == height:
            node = node_hash(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
        self.count += 1

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        node = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            node = node_hash(left, node)
        return node


def scan_leaves(handle: IO[bytes]) -> LeafScan:
    """Hash a JSON Lines stream and compute its Merkle root (each line without ``\\n`` a leaf)."""
    digest = hashlib.sha256()
    tree = _StreamingRoot()
    size = 0
    pending = b""
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            tree.push(leaf_hash(line))
    if pending:
        tree.push(leaf_hash(pending))
    return LeafScan(digest.hexdigest(), size, tree.count, tree.root().hex(), bool(pending))
