"""A backfill killed after a month's days are anchored but before the site at the root is
refreshed: its days are finished (a re-run skips them), yet the re-run must still bring the
portal, catalogues, feed and quality page up to date, ending byte-identical to an
uninterrupted run in every file of the datasets root. Killed earlier, in the month's
anchoring, the re-run must not refresh before those days are anchored again (the change log
would record them as pending, which an uninterrupted run never does)."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.backfill_helpers import (
    NO_GX,
    backfill_args,
    backfill_in_process,
    clean_env,
    devchain_dir,
    indexed_days,
    root_files,
)

from integrity.devchain import pid_is_alive
from messages import text
from publication.site import pending_site_refresh
from publication.state import store_path

# Two months: the kill lands on the second month's refresh, with the first month's site on disk.
START, END = dt.date(2026, 10, 30), dt.date(2026, 11, 2)
ORDERS = 30
DAYS = [START + dt.timedelta(days=n) for n in range((END - START).days + 1)]

# `publicar backfill` refreshing the site after every month, whose second site refresh (the
# last month's) kills its process group (the run and its anvil) as kill -9 would: after that
# month's days were anchored.
KILLED_IN_REFRESH = """
import os, signal, sys
import publication.site as site
import pipelines.ranges
from pipelines.cli import main

real, calls = site.refresh_site, []

def refresh_site(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        os.killpg(0, signal.SIGKILL)
    return real(*args, **kwargs)

site.refresh_site = refresh_site
pipelines.ranges.SITE_REFRESH_SECONDS = 0  # a refresh after every month
sys.exit(main(sys.argv[1:]))
"""

# The same, killed as the last month's anchoring starts: its days are published (listed in
# index.json), the site refresh is marked pending, nothing of them is anchored.
KILLED_IN_ANCHORING = """
import os, signal, sys
import publication.anchoring as anchoring
import pipelines.ranges
from pipelines.cli import main

real, calls = anchoring.anchor_with, []

def anchor_with(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        os.killpg(0, signal.SIGKILL)
    return real(*args, **kwargs)

anchoring.anchor_with = anchor_with
pipelines.ranges.SITE_REFRESH_SECONDS = 0  # a refresh after every month
sys.exit(main(sys.argv[1:]))
"""


def _wait_anvil_gone(root: Path, timeout: float = 30.0) -> None:
    try:
        pid = int((devchain_dir(root) / "anvil.pid").read_text())
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + timeout
    while pid_is_alive(pid):
        assert time.monotonic() < deadline, "the killed run's anvil outlived it"
        time.sleep(0.02)


def _clean_and_killed(tmp_path: Path, script: str) -> tuple[Path, dict[str, str], Path]:
    """An uninterrupted backfill's root and files, and the root of one killed by ``script``."""
    clean_dir, crash_dir = tmp_path / "clean", tmp_path / "crash"
    clean_dir.mkdir()
    crash_dir.mkdir()
    clean_root, crash_root = clean_dir / "datasets", crash_dir / "datasets"
    code, _, err = backfill_in_process(clean_dir, clean_root, START, END, ORDERS, **NO_GX)
    assert code == 0, err
    expected = root_files(clean_root)
    assert "index.html" in expected and "data.json" in expected

    killed = subprocess.run(
        [sys.executable, "-c", script, *backfill_args(crash_root, START, END, ORDERS)],
        cwd=crash_dir,
        env=clean_env(**NO_GX),
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    _wait_anvil_gone(crash_root)
    return crash_dir, expected, crash_root


def test_rerun_refreshes_the_site_a_killed_run_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_dir, expected, crash_root = _clean_and_killed(tmp_path, KILLED_IN_REFRESH)
    # Killed in the window: every day published and anchored, the site still October's.
    assert [d["date"] for d in indexed_days(crash_root)] == [d.isoformat() for d in DAYS]
    assert {d["anchorStatus"] for d in indexed_days(crash_root)} == {"anclado"}
    stale = root_files(crash_root)
    assert stale != expected

    calls = _count_site_work(monkeypatch)
    code, out, err = backfill_in_process(crash_dir, crash_root, START, END, ORDERS, **NO_GX)
    assert code == 0, err
    assert all(text("backfill.skipped", "es", day=day) in out for day in DAYS), out
    got = root_files(crash_root)
    assert sorted(got) == sorted(expected)
    assert [name for name in expected if got[name] != expected[name]] == []
    assert calls == {"refresh_site": 1, "publish_to_storage": 1}  # the storage mirror too

    # Nothing left pending: a no-op re-run pays no site refresh.
    calls.clear()
    code, _, err = backfill_in_process(crash_dir, crash_root, START, END, ORDERS, **NO_GX)
    assert code == 0, err
    assert calls == {}
    assert root_files(crash_root) == got


def test_rerun_refreshes_only_once_the_days_a_kill_left_unanchored_are_anchored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash_dir, expected, crash_root = _clean_and_killed(tmp_path, KILLED_IN_ANCHORING)
    # Killed in the window: November's days published, not anchored, the refresh pending.
    status = {d["date"]: d["anchorStatus"] for d in indexed_days(crash_root)}
    assert sorted(status) == [d.isoformat() for d in DAYS]
    assert {status[d.isoformat()] for d in DAYS if d.month == 11} != {"anclado"}
    assert pending_site_refresh(store_path(crash_root, None).parent) is not None

    calls = _count_site_work(monkeypatch)
    code, out, err = backfill_in_process(crash_dir, crash_root, START, END, ORDERS, **NO_GX)
    assert code == 0, err
    assert all(text("backfill.skipped", "es", day=d) in out for d in DAYS if d.month == 10), out
    got = root_files(crash_root)
    # cambios/ above all: no day.pending then day.anchored for November
    assert [name for name in expected if got.get(name) != expected[name]] == []
    assert sorted(got) == sorted(expected)
    assert calls == {"refresh_site": 1, "publish_to_storage": 1}
    assert pending_site_refresh(store_path(crash_root, None).parent) is None


def _count_site_work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count this process's site refreshes and storage uploads (they still run)."""
    import publication.site
    from pipelines.services import DatasetsService

    calls: dict[str, int] = {}

    def counted(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] = calls.get(name, 0) + 1
            return function(*args, **kwargs)

        return call

    refresh, upload = publication.site.refresh_site, DatasetsService.publish_to_storage
    monkeypatch.setattr(publication.site, "refresh_site", counted("refresh_site", refresh))
    monkeypatch.setattr(
        DatasetsService, "publish_to_storage", counted("publish_to_storage", upload)
    )
    return calls


def test_a_range_refreshes_the_site_at_most_every_so_often_and_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each refresh rebuilds the site from every published day: a range run skips it after a
    month when the last one is recent, and does it at its end, leaving the same files as a
    refresh after every month."""
    import pipelines.ranges

    calls = _count_site_work(monkeypatch)
    roots = {}
    for seconds, refreshes in ((3600.0, 1), (0.0, 2)):
        monkeypatch.setattr(pipelines.ranges, "SITE_REFRESH_SECONDS", seconds)
        folder = tmp_path / f"every-{seconds:.0f}"
        folder.mkdir()
        code, _, err = backfill_in_process(folder, folder / "datasets", START, END, ORDERS, **NO_GX)
        assert code == 0, err
        assert calls == {"refresh_site": refreshes, "publish_to_storage": refreshes}
        assert pending_site_refresh(store_path(folder / "datasets", None).parent) is None
        roots[seconds] = root_files(folder / "datasets")
        calls.clear()
    assert roots[3600.0] == roots[0.0]
