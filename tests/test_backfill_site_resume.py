"""A backfill killed after a month's days are anchored but before the site at the root is
refreshed: its days are finished (a re-run skips them), yet the re-run must still bring the
portal, catalogues, feed and quality page up to date, ending byte-identical to an
uninterrupted run in every file of the datasets root."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from support.backfill_helpers import (
    NO_GX,
    backfill_args,
    backfill_in_process,
    clean_env,
    devchain_dir,
    indexed_days,
)

from integrity.devchain import pid_is_alive
from publication.site import SITE_PENDING_FILE
from settings.model import default_state_dir

# Two months: the kill lands on the second month's refresh, with the first month's site on disk.
START, END = dt.date(2026, 10, 30), dt.date(2026, 11, 2)
ORDERS = 30
DAYS = [START + dt.timedelta(days=n) for n in range((END - START).days + 1)]

# `publicar backfill` whose second site refresh (the last month's) kills its process group
# (the run and its anvil) as kill -9 would: after that month's days were anchored.
KILLED_IN_REFRESH = """
import os, signal, sys
import publication.site as site
from pipelines.cli import main

real, calls = site.refresh_site, []

def refresh_site(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:
        os.killpg(0, signal.SIGKILL)
    return real(*args, **kwargs)

site.refresh_site = refresh_site
sys.exit(main(sys.argv[1:]))
"""


# Files that carry the wall-clock time of the run that wrote them (two uninterrupted runs differ
# there too): the change log's publication times, the trust pin's creation (and the verifier
# page embedding it). Their times are blanked, every other byte compared.
WALL_CLOCK = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _wall_clock(name: str) -> bool:
    return name in {"feed.json", "trust.json", "verificar.html"} or name.startswith("cambios/")


def _tree(root: Path) -> dict[str, str]:
    """SHA-256 of every file under the datasets root but the anchor receipts (which name the
    transaction, as in the ten-kill test)."""
    tree = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if not path.is_file() or name.endswith("-anchor.json"):
            continue
        data = path.read_bytes()
        if _wall_clock(name):
            data = WALL_CLOCK.sub(b"<time>", data)
        tree[name] = hashlib.sha256(data).hexdigest()
    return tree


def _wait_anvil_gone(root: Path, timeout: float = 30.0) -> None:
    try:
        pid = int((devchain_dir(root) / "anvil.pid").read_text())
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + timeout
    while pid_is_alive(pid):
        assert time.monotonic() < deadline, "the killed run's anvil outlived it"
        time.sleep(0.02)


def test_rerun_refreshes_the_site_a_killed_run_left_behind(tmp_path: Path) -> None:
    clean_dir, crash_dir = tmp_path / "clean", tmp_path / "crash"
    clean_dir.mkdir()
    crash_dir.mkdir()
    clean_root, crash_root = clean_dir / "datasets", crash_dir / "datasets"
    code, _, err = backfill_in_process(clean_dir, clean_root, START, END, ORDERS, **NO_GX)
    assert code == 0, err
    expected = _tree(clean_root)
    assert "index.html" in expected and "data.json" in expected

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_IN_REFRESH, *backfill_args(crash_root, START, END, ORDERS)],
        cwd=crash_dir,
        env=clean_env(**NO_GX),
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    _wait_anvil_gone(crash_root)
    # Killed in the window: every day published and anchored, the site still October's.
    assert [d["date"] for d in indexed_days(crash_root)] == [d.isoformat() for d in DAYS]
    assert {d["anchorStatus"] for d in indexed_days(crash_root)} == {"anclado"}
    stale = _tree(crash_root)
    assert stale != expected

    code, out, err = backfill_in_process(crash_dir, crash_root, START, END, ORDERS, **NO_GX)
    assert code == 0, err
    assert out.count("2026-") >= len(DAYS)  # every day skipped as finished
    got = _tree(crash_root)
    assert sorted(got) == sorted(expected)
    assert [name for name in expected if got[name] != expected[name]] == []
    # nothing left pending: a no-op re-run does not refresh the site again
    assert not (default_state_dir(crash_root) / SITE_PENDING_FILE).exists()
