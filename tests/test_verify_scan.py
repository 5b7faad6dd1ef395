"""The JSON Lines scan (file SHA-256 + RFC 9162 root of its lines) across read-block boundaries."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

import pytest

from integrity.merkle import merkle_root
from integrity.verify import _source
from integrity.verify._io import InputRefused
from integrity.verify._source import scan_leaves

BLOCK = 8

CASES = {
    "line spanning three blocks": b'{"a":1}\n' + b"x" * 20 + b"\n" + b"{}\n",
    "block boundary right after a newline": b"1234567\n89abcde\nf\n",
    "block boundary right before a newline": b"12345678\n9\n",
    "smaller than one block": b"abc\n",
    "one line, no newline": b"abc",
    "empty file": b"",
    "only newlines": b"\n\n\n" * 5,
    "CRLF, empty lines, final line without newline": b"a\r\n\r\n\n" + b"b" * 9 + b"\r\nlast",
    "final line without newline across blocks": b"a\n" + b"z" * 19,
}


def _reference(data: bytes) -> tuple[int, str, bool]:
    """Tree size, root and unterminated flag by the definition: each line without ``\\n``."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return len(lines), merkle_root(lines).hex(), bool(data) and not data.endswith(b"\n")


def _scan_threads() -> list[threading.Thread]:
    """Scan threads still alive (given a few seconds to end: they end by themselves)."""
    threads = [t for t in threading.enumerate() if t.name.startswith("sha256")]
    for thread in threads:
        thread.join(timeout=5)
    return [t for t in threads if t.is_alive()]


@pytest.mark.parametrize("name", CASES)
def test_small_blocks_give_the_reference_digest_and_root(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_source, "SCAN_CHUNK", BLOCK)
    data = CASES[name]
    path = tmp_path / "releases.jsonl"
    path.write_bytes(data)
    with path.open("rb") as handle:
        scan = scan_leaves(handle, len(data))
    assert (scan.tree_size, scan.root, scan.unterminated) == _reference(data)
    assert scan.sha256 == hashlib.sha256(data).hexdigest()
    assert (scan.size, scan.longer) == (len(data), False)
    assert not _scan_threads()


def test_long_lines_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_source, "SCAN_CHUNK", 1 << 16)
    lines = [b'{"n":%d,"pad":"%s"}' % (i, b"p" * (i * 7919 % 5000)) for i in range(300)]
    data = b"\n".join(lines) + b"\n"
    assert len(data) > 10 * _source.SCAN_CHUNK
    path = tmp_path / "releases.jsonl"
    path.write_bytes(data)
    with path.open("rb") as handle:
        scan = scan_leaves(handle, len(data))
    assert (scan.tree_size, scan.root) == (len(lines), merkle_root(lines).hex())
    assert scan.sha256 == hashlib.sha256(data).hexdigest()


def test_a_longer_stream_is_not_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_source, "SCAN_CHUNK", BLOCK)
    data = b"a\nb\nc\n" * 10
    scan = scan_leaves(io.BytesIO(data), len(data) - 1)
    assert (scan.longer, scan.sha256, scan.size, scan.size_known) == (True, None, len(data), False)


class _FailsAfter:
    """A stream whose second read fails (an I/O error in the middle of a file)."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, size: int) -> bytes:
        self.reads += 1
        if self.reads > 1:
            raise OSError(5, "Input/output error")
        return b"line\n" * size


def test_a_read_error_is_refused_and_leaves_no_thread_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_source, "SCAN_CHUNK", BLOCK)
    with pytest.raises(InputRefused) as raised:
        scan_leaves(_FailsAfter(), 1000)
    assert raised.value.note.key == "input.unreadable"
    assert not _scan_threads()


def test_a_scan_that_stops_early_lets_its_reading_thread_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_source, "SCAN_CHUNK", BLOCK)

    def fail(self: object, leaves: object) -> None:
        raise RuntimeError("stop")

    monkeypatch.setattr(_source._StreamingRoot, "extend", fail)
    with pytest.raises(RuntimeError):
        scan_leaves(io.BytesIO(b"a\n" * 1000))
    assert not _scan_threads()


class _Counting:
    """A stream of ``lines`` newline-terminated lines that counts the reads that returned bytes."""

    def __init__(self, lines: int) -> None:
        self.data = io.BytesIO(b"0123456\n" * lines)
        self.reads = 0

    def read(self, size: int) -> bytes:
        chunk = self.data.read(size)
        self.reads += bool(chunk)
        return chunk


def test_the_reading_thread_stays_at_most_read_ahead_chunks_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """However slow the line hashing, no more than ``READ_AHEAD`` chunks wait to be taken
    (``READ_AHEAD + 1`` held with the one being hashed), and the result is unchanged."""
    monkeypatch.setattr(_source, "SCAN_CHUNK", BLOCK)
    lines = 30
    body = _Counting(lines)
    ahead: list[int] = []
    extend = _source._StreamingRoot.extend

    def slow_extend(self: _source._StreamingRoot, leaves: list[bytes]) -> None:
        taken = len(ahead) + 1
        allowed = min(taken + _source.READ_AHEAD, lines)
        for _ in range(5000):  # until the reading thread got as far as it may (at most 5 s)
            if body.reads >= allowed:
                break
            threading.Event().wait(0.001)
        threading.Event().wait(0.002)  # and a little longer, for it to go too far
        ahead.append(body.reads - taken)
        extend(self, leaves)

    monkeypatch.setattr(_source._StreamingRoot, "extend", slow_extend)
    scan = scan_leaves(body, lines * BLOCK)
    data = b"0123456\n" * lines
    assert (scan.tree_size, scan.root, scan.sha256) == (
        lines,
        merkle_root(data.split(b"\n")[:-1]).hex(),
        hashlib.sha256(data).hexdigest(),
    )
    assert len(ahead) == lines
    assert max(ahead) == _source.READ_AHEAD  # it reads ahead, never further
    assert not _scan_threads()
