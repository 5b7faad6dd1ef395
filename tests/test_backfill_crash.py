"""kill -9 at any moment of a backfill: no partial day visible, the journal and the registry
stay consistent, and the re-run ends byte-identical to an uninterrupted run."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.backfill_helpers import (
    NO_GX,
    backfill_command,
    check_visible_days_complete,
    clean_env,
    day_files,
    indexed_days,
    read_anchor,
    registry_counts,
    run_backfill,
)

from publication.state import StateStore, store_path

START, END = dt.date(2026, 9, 1), dt.date(2026, 11, 30)
# Small, and no Great Expectations cross-check (NO_GX): the test is about kills and resumption,
# not volume or GX; both runs use the same settings, so their days must still be identical.
ORDERS = 60
KILLS = 10
DAYS = [START + dt.timedelta(days=n) for n in range((END - START).days + 1)]


def _kill_after(workdir: Path, root: Path, lines: int, extra: float) -> int:
    """Start a backfill, SIGKILL its process group once it printed ``lines`` progress lines
    plus ``extra`` seconds (or when it ends by itself); return how many lines it printed."""
    proc = subprocess.Popen(
        backfill_command(root, START, END, ORDERS),
        cwd=workdir,
        env=clean_env(**NO_GX),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # anvil is in the group: the kill takes the chain down too
    )
    assert proc.stdout is not None
    seen = 0
    while seen < lines and proc.stdout.readline():
        seen += 1
    time.sleep(extra)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return seen


def _journal_consistent(root: Path) -> list[str]:
    """Every journal row's digest is the manifest of a published day."""
    problems = []
    with StateStore(store_path(root, None)) as store:
        rows = store.anchor_rows("perucompras-ocam")
    published = {d["date"] for d in indexed_days(root)}
    for row in rows:
        if row.day.isoformat() not in published:
            problems.append(f"{row.day}: journal row {row.state} for a day not in index.json")
    return problems


@pytest.mark.slow
def test_backfill_survives_ten_kills(tmp_path: Path) -> None:
    clean_dir, crash_dir = tmp_path / "clean", tmp_path / "crash"
    clean_dir.mkdir()
    crash_dir.mkdir()
    clean_root, crash_root = clean_dir / "datasets", crash_dir / "datasets"
    began = time.monotonic()
    clean = run_backfill(clean_dir, clean_root, START, END, ORDERS, **NO_GX)
    duration = time.monotonic() - began
    assert clean.returncode == 0, clean.stderr
    progress_lines = len(clean.stdout.splitlines())
    assert progress_lines > len(DAYS)  # a line per day, per anchored month, the summary
    expected = {day: day_files(clean_root, day) for day in DAYS}
    assert all(expected.values())

    rng = random.Random(15)
    gap = duration / progress_lines
    printed = []
    for _ in range(KILLS):
        lines = rng.randrange(progress_lines)
        printed.append(_kill_after(crash_dir, crash_root, lines, rng.uniform(0, gap)))
        assert check_visible_days_complete(crash_root) == []
        assert _journal_consistent(crash_root) == []
    assert len(printed) == KILLS

    final = run_backfill(crash_dir, crash_root, START, END, ORDERS, **NO_GX)
    assert final.returncode == 0, final.stderr
    assert check_visible_days_complete(crash_root) == []
    assert [d["date"] for d in indexed_days(crash_root)] == [d.isoformat() for d in DAYS]
    for day in DAYS:
        assert day_files(crash_root, day) == expected[day], f"{day} differs from the clean run"
        receipt = read_anchor(crash_root, day)
        assert receipt["status"] == "anclado"
        assert receipt["digest"] == read_anchor(clean_root, day)["digest"]
    counts = registry_counts(crash_root, DAYS)
    assert counts == {day: 1 for day in DAYS}
