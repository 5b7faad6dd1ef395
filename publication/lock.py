"""One writer per datasets root: an OS file lock in the state folder.

``publicar`` takes it (``flock``, exclusive) before it writes anything, so two processes on
one root never interleave. The holder's PID is written into the lock file for the message of
the process that waits; the kernel releases the lock when the holder exits, even on SIGKILL,
so a crash never leaves a stale lock behind.

Dagster runs take the same lock around the steps that write (``DatasetsResource.writing``), so
a run launched from the UI and a ``publicar`` command never interleave either. The lock is
re-entrant within a process: ``publicar run`` holds it and materialises in-process, and the
assets it runs find it already held (a second ``flock`` on a new descriptor would wait for
itself).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from messages import text

LOCK_NAME = "publicar.lock"
_POLL_SECONDS = 0.1
_held: dict[str, int] = {}  # lock files this process holds, with their nesting depth
_held_guard = threading.Lock()


class RootBusy(RuntimeError):
    """Another process holds the datasets root's lock."""

    def __init__(self, message: str, holder: int | None) -> None:
        super().__init__(message)
        self.holder = holder


def lock_path(state_dir: Path) -> Path:
    """The lock file of the datasets root whose status store lives in ``state_dir``."""
    return state_dir / LOCK_NAME


def holder_pid(path: Path) -> int | None:
    """The PID recorded by the current (or last) holder, if readable."""
    try:
        return int(path.read_text(encoding="ascii").strip() or "x")
    except (OSError, ValueError):
        return None


def held(state_dir: Path) -> bool:
    """Whether this process holds the lock of the root whose status store is in ``state_dir``."""
    key = str(lock_path(state_dir).resolve())
    with _held_guard:
        return key in _held


@contextmanager
def root_lock(
    state_dir: Path,
    *,
    timeout: float,
    root: Path | str = "",
    lang: str = "es",
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Path]:
    """Hold the root's lock for the block; wait up to ``timeout`` seconds, then ``RootBusy``
    (``on_wait`` gets the waiting message once, when another process holds the lock)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = lock_path(state_dir)
    key = str(path.resolve())
    with _held_guard:
        nested = key in _held
        if nested:
            _held[key] += 1
    if nested:
        try:
            yield path
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(timeout, 0.0)
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pid = holder_pid(path)
                shown = {"pid": pid if pid is not None else "?", "root": root or state_dir}
                if time.monotonic() >= deadline:
                    message = text("lock.busy", lang, lock=path, seconds=f"{timeout:g}", **shown)
                    raise RootBusy(message, pid) from None
                if not waited and on_wait is not None:
                    on_wait(text("lock.waiting", lang, seconds=f"{timeout:g}", **shown))
                waited = True
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        with _held_guard:
            _held[key] = 1
        try:
            yield path
        finally:
            with _held_guard:
                del _held[key]
    finally:
        os.close(fd)  # closing the descriptor releases the lock
