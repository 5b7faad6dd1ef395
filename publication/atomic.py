"""Durable file writes: a reader sees the old or the new bytes, never half of them."""

from __future__ import annotations

import glob
import os
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

# ``write_atomic``'s temporary files end so: a kill between writing one and renaming it leaves
# it behind, and ``sweep_partials`` (run under the root's lock) recognises it by this suffix.
PARTIAL_SUFFIX = ".partial"


def write_atomic(path: Path, data: bytes) -> None:
    """Write a single file so readers see either the old or the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_partials(path.parent.glob(f".{glob.escape(path.name)}.*{PARTIAL_SUFFIX}"))
    handle, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX, dir=path.parent
    )
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


def sweep_partials(folder: Path) -> None:
    """Remove the temporary files a killed ``write_atomic`` left in ``folder`` (only one
    publicar process writes a root at a time, so none of them is still being written)."""
    if folder.is_dir():
        _remove_partials(folder.glob(f".*{PARTIAL_SUFFIX}"))


def _remove_partials(found: Iterable[Path]) -> None:
    for stale in found:
        if stale.is_file():
            stale.unlink(missing_ok=True)


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


# Linux's coarse real-time clock, the one file times are taken from (clock_gettime id 5): a
# change made after a reading gets a time at least that reading. Elsewhere: now less a margin.
_FILE_CLOCK = 5 if sys.platform.startswith("linux") else None
_FILE_CLOCK_MARGIN_NS = 100_000_000
# File times finer than this (a sub-millisecond part) show a file system that keeps them so.
FINE_NS = 1_000_000


def file_clock_ns() -> int:
    """A reading no later than the time a file changed from now on would get."""
    if _FILE_CLOCK is not None:
        return time.clock_gettime_ns(_FILE_CLOCK)
    return time.time_ns() - _FILE_CLOCK_MARGIN_NS


@dataclass(frozen=True)
class HashedFile:
    """A file's SHA-256 and size as this process read them, with its identity (device, inode,
    size, change times) just after and a file-clock reading taken before the read."""

    sha256: str
    size: int
    identity: tuple[int, int, int, int, int]
    clock_before: int

    def still_holds(self, path: Path) -> bool:
        """Whether ``path`` is the same file, unchanged since it was read: its identity then
        is its identity now, and that identity predates the read by more than a clock tick
        (a change during or after the read would have moved its times past that reading)."""
        floor = self.clock_before - FINE_NS
        if any(stamp % FINE_NS == 0 or stamp >= floor for stamp in self.identity[3:]):
            return False
        try:
            info = os.stat(path, follow_symlinks=False)
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode) and _identity(info) == self.identity


def _identity(info: os.stat_result) -> tuple[int, int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def hashed_file(path: Path, clock_before: int, sha256: str, size: int) -> HashedFile:
    """Record ``path`` as read since ``clock_before`` with ``sha256`` and ``size``."""
    return HashedFile(sha256, size, _identity(os.stat(path, follow_symlinks=False)), clock_before)
