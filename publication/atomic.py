"""Durable file writes: a reader sees the old or the new bytes, never half of them."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType


def write_atomic(path: Path, data: bytes) -> None:
    """Write a single file so readers see either the old or the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; published files are world-readable
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_synced(path: Path, data: bytes) -> None:
    """Write a new file and flush it to disk (inside a staging folder renamed later)."""
    with path.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_SYNC_POOL: ThreadPoolExecutor | None = None
_SYNC_POOL_LOCK = threading.Lock()


def _sync_pool() -> ThreadPoolExecutor:
    global _SYNC_POOL
    with _SYNC_POOL_LOCK:
        if _SYNC_POOL is None:
            _SYNC_POOL = ThreadPoolExecutor(4, thread_name_prefix="fsync")
        return _SYNC_POOL


class StagedWrites:
    """New files of a staging folder, flushed to disk in background threads while the caller
    goes on (``fsync`` waits on the disk, not on the interpreter); ``wait`` before the folder
    is renamed into place, so it never shows a file that is not on disk yet."""

    def __init__(self) -> None:
        self._pending: list[Future[None]] = []

    def write(self, path: Path, data: bytes) -> None:
        """Write ``data`` to the new file ``path``; its flush to disk is queued."""
        path.write_bytes(data)
        self.sync(path)

    def sync(self, path: Path) -> None:
        """Queue the flush of ``path``, already written and closed."""
        self._pending.append(_sync_pool().submit(_fsync_file, path))

    def wait(self) -> None:
        """Every queued flush done (raises the first one that failed)."""
        pending, self._pending = self._pending, []
        errors = [error for future in pending if (error := future.exception()) is not None]
        if errors:
            raise errors[0]

    def __enter__(self) -> StagedWrites:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.wait()
        else:  # the staging folder is thrown away: only let the threads finish
            pending, self._pending = self._pending, []
            for future in pending:
                future.exception()


def fsync_dir(path: Path) -> None:
    """Flush a directory entry (after a rename into it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# How long after its last change a file or folder must stay unchanged before its contents
# are remembered by identity: file times come from a coarse clock (a few milliseconds), so a
# change made right after a read may keep the same times ("racy git"); past this margin it
# cannot.
SETTLED_NS = 2_000_000_000


def settled_identity(info: os.stat_result) -> tuple[int, int, int, int, int] | None:
    """Device, inode, size and change times of a stat result, or None while it changed too
    recently for its times to tell a later change apart."""
    newest = max(info.st_mtime_ns, info.st_ctime_ns)
    if time.time_ns() - newest < SETTLED_NS:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
