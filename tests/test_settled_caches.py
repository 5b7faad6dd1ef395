"""Process caches keyed by a file's or folder's identity: a change right after a read is
always seen (times from a coarse clock are not trusted until settled), and a settled,
unchanged file or folder is not read again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import publication.atomic as atomic
import publication.state as state
import publication.writer as writer
from integrity.manifest import sha256_file


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    now = time.time_ns() + int(seconds * 1e9)
    monkeypatch.setattr(atomic.time, "time_ns", lambda: now)


def _counting_sha(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []

    def counted(path: Path) -> tuple[str, int]:
        calls.append(Path(path))
        return sha256_file(path)

    monkeypatch.setattr(state, "sha256_file", counted)
    return calls


def test_a_file_rewritten_in_place_right_after_hashing_gets_its_new_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_sha(monkeypatch)
    path = tmp_path / "ReportePCBienes202401.csv"
    path.write_bytes(b"a" * 1000)
    first = state.file_digest(path)
    with path.open("r+b") as handle:  # same inode, same size, within the clock's granularity
        handle.write(b"b")
    assert state.file_digest(path) == sha256_file(path)[0] != first
    assert len(calls) == 2


def test_a_settled_file_is_hashed_once_and_a_replaced_one_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_sha(monkeypatch)
    path = tmp_path / "ReportePCBienes202402.csv"
    path.write_bytes(b"first")
    _later(monkeypatch, 5)
    digest = state.file_digest(path)
    assert state.file_digest(path) == digest
    assert len(calls) == 1
    replacement = tmp_path / "new.csv"
    replacement.write_bytes(b"other")
    os.replace(replacement, path)
    _later(monkeypatch, 10)
    assert state.file_digest(path) == sha256_file(path)[0] != digest
    assert len(calls) == 2


def test_a_folder_listing_sees_an_entry_added_right_after_it(tmp_path: Path) -> None:
    (tmp_path / "01").mkdir()
    assert [name for name, _ in writer._visible(str(tmp_path), folders=True)] == ["01"]
    (tmp_path / "02").mkdir()
    (tmp_path / ".staging").mkdir()
    names = sorted(name for name, _ in writer._visible(str(tmp_path), folders=True))
    assert names == ["01", "02"]


def test_a_settled_folder_is_listed_once_and_again_after_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "01").mkdir()
    listed: list[str] = []
    scandir = os.scandir

    def counted(path: str) -> object:
        listed.append(path)
        return scandir(path)

    monkeypatch.setattr(writer.os, "scandir", counted)
    _later(monkeypatch, 5)
    assert writer._visible(str(tmp_path), folders=True) == [("01", str(tmp_path / "01"))]
    assert writer._visible(str(tmp_path), folders=True) == [("01", str(tmp_path / "01"))]
    assert len(listed) == 1
    (tmp_path / "01").rename(tmp_path / "02")
    _later(monkeypatch, 10)
    assert writer._visible(str(tmp_path), folders=True) == [("02", str(tmp_path / "02"))]
    assert len(listed) == 2
