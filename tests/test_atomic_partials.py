"""A kill between writing a temporary file and renaming it leaves nothing behind for good."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from publication import atomic
from publication.atomic import PARTIAL_SUFFIX, sweep_partials, write_atomic


def _killed_write(path: Path, data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """``write_atomic`` as a kill -9 right before its rename leaves it (no cleanup runs)."""

    class Killed(BaseException):
        pass

    def die(src: str, dst: str) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(atomic.os, "replace", die)
        patched.setattr(atomic.Path, "unlink", lambda self, missing_ok=False: None)
        with pytest.raises(Killed):
            write_atomic(path, data)


def test_a_killed_write_leaves_a_recognisable_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "day-anchor.json"
    _killed_write(target, b"new", monkeypatch)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1
    assert left[0].startswith(".day-anchor.json.") and left[0].endswith(PARTIAL_SUFFIX)
    assert not target.exists()


def test_rewriting_the_file_removes_its_partials_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, other = tmp_path / "index.json", tmp_path / "feed.json"
    _killed_write(target, b"half", monkeypatch)
    _killed_write(other, b"half", monkeypatch)
    write_atomic(target, b"whole")
    assert target.read_bytes() == b"whole"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[0].startswith(".feed.json.") and names[1:] == ["index.json"]
    assert oct(os.stat(target).st_mode & 0o777) == "0o644"


def test_sweep_removes_partials_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = {
        "manifest.json": b"m",
        ".hidden": b"h",
        "notes.partial": b"visible, not ours",
        ".cache.partial-123-abcd": b"another writer's pattern",
    }
    for name, data in kept.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / ".dir.x.partial").mkdir()
    _killed_write(tmp_path / "a-anchor.json", b"half", monkeypatch)
    _killed_write(tmp_path / "b.csv", b"half", monkeypatch)
    sweep_partials(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, ".dir.x.partial"])
    sweep_partials(tmp_path / "missing")  # no folder: nothing to do


def test_a_finished_day_is_swept_when_a_rerun_skips_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from integrity.layout import DayLayout
    from publication import batch
    from settings import Identity

    day = dt.date(2026, 1, 15)
    layout = DayLayout(tmp_path, "perucompras-ocam", day)
    layout.folder.mkdir(parents=True)
    _killed_write(layout.anchor, b"half", monkeypatch)
    assert any(p.name.endswith(PARTIAL_SUFFIX) for p in layout.folder.iterdir())

    class Row:
        def __init__(self) -> None:
            self.day, self.digest = day, "d" * 64

    class Store:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def __enter__(self) -> Store:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def anchor_rows(self, *args: object, **kwargs: object) -> list[Row]:
            return [Row()]

    class Manifest:
        sha256 = "d" * 64

    layout.manifest.write_bytes(b"{}")
    monkeypatch.setattr(batch, "StateStore", Store)
    monkeypatch.setattr(batch, "load_manifest", lambda path: Manifest())
    job = batch.DayJob(root=tmp_path, dataset="perucompras-ocam", identity=Identity())
    assert batch.finished_days(job, [day]) == {day}
    assert [p.name for p in layout.folder.iterdir()] == [layout.manifest.name]
