"""Safe local input: plain file names only, regular files only, never a blocking or endless read.

Every name that comes from downloaded data (manifest entries, SHA256SUMS lines, index
entries) must be a plain file name before anything is opened. Files are opened with
``O_NOFOLLOW | O_NONBLOCK`` and checked with ``fstat`` after opening, so a symbolic link, a
FIFO or a device is refused with a sentence instead of being followed, blocking or read
forever. Reads are bounded by the caller (a manifest's byte count plus one, or a cap).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from integrity.verify._results import Note, NoteError

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
MAX_NAME = 255


class InputRefused(NoteError):
    """An input the verifier will not open or read: an unsafe name, not a regular file, too big.

    ``tampering`` says whether the refusal is itself evidence that the data is not what was
    published (a name pointing outside its folder), rather than only a reason it could not
    be checked.
    """

    def __init__(self, note: Note, *, tampering: bool = False) -> None:
        """Keep the note and whether it is evidence of tampering."""
        super().__init__(note)
        self.tampering = tampering


def name_problem(name: object) -> str | None:
    """Why ``name`` is not a plain file name (None if it is one)."""
    if not isinstance(name, str) or not name:
        return "empty"
    if "\x00" in name:
        return "nul"
    if "/" in name or "\\" in name:
        return "separator"
    if name in (".", ".."):
        return "dots"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME:
        return "long"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        return "control"
    return None


def require_plain_name(name: object, what: str) -> str:
    """Return ``name`` if it is a plain file name, else raise ``InputRefused`` (tampering)."""
    if name_problem(name) is not None:
        raise InputRefused(
            Note("input.unsafe_name", {"name": printable(name), "what": what}), tampering=True
        )
    assert isinstance(name, str)
    return name


def printable(value: object, limit: int = 120) -> str:
    """A value for a message: control characters escaped, length capped."""
    text = value if isinstance(value, str) else repr(value)
    shown = "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def open_regular(path: Path, *, follow: bool = False) -> BinaryIO:
    """Open a regular file for reading without blocking; FileNotFoundError if it is absent.

    A symbolic link (unless ``follow``), a FIFO, a device, a socket or a folder raises
    ``InputRefused`` naming it; other OS errors raise ``InputRefused`` with a sentence.
    """
    flags = _OPEN_FLAGS | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:
        if error.errno == errno.ELOOP and not follow:
            raise InputRefused(Note("input.symlink", {"file": path.name})) from None
        if error.errno in (errno.EISDIR,):
            raise InputRefused(Note("input.not_regular", {"file": path.name})) from None
        if error.errno == errno.ENOTDIR:
            raise FileNotFoundError(str(path)) from None
        raise unreadable(path.name, error) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            key = (
                "input.fifo"
                if stat.S_ISFIFO(mode)
                else "input.device"
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "input.not_regular"
            )
            raise InputRefused(Note(key, {"file": path.name}))
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def unreadable(name: str, error: OSError) -> InputRefused:
    """A local file that exists but cannot be read (permissions, I/O error)."""
    detail = error.strerror or type(error).__name__
    return InputRefused(Note("input.unreadable", {"file": name, "detail": detail}))


def read_capped(handle: BinaryIO, limit: int, name: str) -> bytes:
    """Read a whole small file, refusing one longer than ``limit`` bytes."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = handle.read(min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise too_large(name, limit)
    return b"".join(chunks)


def too_large(name: str, limit: int) -> InputRefused:
    """A file larger than its kind may be."""
    from integrity.verify._limits import megabytes

    return InputRefused(Note("input.too_large", {"file": name, "limit": megabytes(limit)}))


def check_target(path: Path) -> InputRefused | None:
    """Why the path given on the command line cannot be read (None if it is a regular file or
    a folder). The user named it, so a symbolic link to a regular file is followed."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        return unreadable(path.name, error)
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return InputRefused(Note("input.fifo", {"file": str(path)}))
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return InputRefused(Note("input.device", {"file": str(path)}))
    return InputRefused(Note("input.not_regular", {"file": str(path)}))
