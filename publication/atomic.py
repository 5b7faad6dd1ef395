"""Durable file writes: a reader sees the old or the new bytes, never half of them."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


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
