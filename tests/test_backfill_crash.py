"""kill -9 at any moment of a backfill: no partial day visible, the journal and the registry
stay consistent, and the re-run ends byte-identical to an uninterrupted run.

The clean and the final run are `publicar` subprocesses, as an operator runs them; the ten
killed runs are forks of a server that imported `publicar`'s modules once (support.forkrun):
each is still its own process running `publicar backfill` (``pipelines.cli.main``), killed with
its process group, but skips the ~4-5 s of imports a new process spends before any work.
"""

from __future__ import annotations

import datetime as dt
import random
import signal
import time
from pathlib import Path

import pytest
from support.backfill_helpers import (
    NO_GX,
    backfill_args,
    check_visible_days_complete,
    clean_env,
    day_files,
    devchain_dir,
    indexed_days,
    read_anchor,
    registry_counts,
    root_files,
    run_backfill,
)
from support.forkrun import ForkServer

from integrity.devchain import pid_is_alive
from publication.state import StateStore, store_path

START, END = dt.date(2026, 9, 1), dt.date(2026, 11, 30)
# Small, and no Great Expectations cross-check (NO_GX): the test is about kills and resumption,
# not volume or GX; both runs use the same settings, so their days must still be identical.
ORDERS = 60
KILLS = 10
DAYS = [START + dt.timedelta(days=n) for n in range((END - START).days + 1)]


def _kill_after(
    server: ForkServer, workdir: Path, root: Path, lines: int, extra: float
) -> tuple[int, int]:
    """Start a backfill, SIGKILL its process group once it printed ``lines`` progress lines
    plus ``extra`` seconds (or when it ends by itself); return how many lines it printed and
    its exit code (-9: killed)."""
    run = server.run(backfill_args(root, START, END, ORDERS), cwd=workdir, env=clean_env(**NO_GX))
    try:
        seen = 0
        while seen < lines and run.readline(timeout=300):
            seen += 1
        time.sleep(extra)
        run.kill()
        return seen, run.wait(timeout=60)
    finally:
        run.close()


def _wait_anvil_gone(root: Path, timeout: float = 30.0) -> bool:
    """Wait until the anvil the killed run started (its PID file) has exited (it dies with
    its parent), so that the next run does not find it still running."""
    try:
        pid = int((devchain_dir(root) / "anvil.pid").read_text())
    except (OSError, ValueError):
        return True
    deadline = time.monotonic() + timeout
    while pid_is_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


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
    # Increasing kill points: a resumed run prints a line per day it skips, so each kill lands
    # past the work the previous runs finished, and the ten spread over the whole backfill.
    kill_points = sorted(rng.sample(range(progress_lines), KILLS))
    printed, codes = [], []
    with ForkServer(cwd=crash_dir, env=clean_env()) as server:
        for lines in kill_points:
            seen, code = _kill_after(server, crash_dir, crash_root, lines, rng.uniform(0, gap))
            printed.append(seen)
            codes.append(code)
            assert _wait_anvil_gone(crash_root), "the killed run's anvil outlived it"
            assert check_visible_days_complete(crash_root) == []
            assert _journal_consistent(crash_root) == []
    assert len(printed) == KILLS
    # each run got as far as its kill point, or ended by itself first (a resumed run prints no
    # summary line for a month a previous run anchored)
    assert all(
        seen == point or code == 0
        for seen, point, code in zip(printed, kill_points, codes, strict=True)
    ), (printed, kill_points, codes)
    assert kill_points[-1] - kill_points[0] > progress_lines // 2, kill_points  # spread out
    # killed, or ended by itself before its kill moment; never a refusal or an error
    assert set(codes) <= {0, -signal.SIGKILL}, codes
    assert codes.count(-signal.SIGKILL) > KILLS // 2, codes

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
    # not only the days: every file of the root (site, catalogues, feed), wall-clock times aside
    assert root_files(crash_root) == root_files(clean_root)
