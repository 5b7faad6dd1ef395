"""A full disk in the middle of a backfill: a clear message, exit 1, no partial day; the same
command with space back resumes and ends with the days a clean run writes.

Without root there is no small tmpfs or loop device here: the child's RLIMIT_FSIZE makes any
write past 256 KiB fail with EFBIG ("File too large"), as a full quota would.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
from pathlib import Path

import pytest
from support.backfill_helpers import (
    backfill_command,
    backfill_in_process,
    check_visible_days_complete,
    clean_env,
    day_files,
    indexed_days,
    registry_counts,
)

GOLDEN = Path(__file__).parent / "golden" / "manifests.json"
LIMIT = 256 * 1024


def _small_files() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.mark.slow
def test_full_disk_stops_cleanly_and_the_rerun_resumes(tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text())
    days = sorted(dt.date.fromisoformat(day) for day in expected)
    assert len(days) == 3
    root = tmp_path / "datasets"
    # The first and the resumed run in this process (the command's code path, without a new
    # process's imports); the one that hits the limit is its own process (RLIMIT_FSIZE).
    code, _, err = backfill_in_process(tmp_path, root, days[0], days[0], 900)
    assert code == 0, err

    full = subprocess.run(
        backfill_command(root, days[0], days[-1], 900),
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=1800,
        preexec_fn=_small_files,
    )
    assert full.returncode == 1
    assert "no queda espacio en disco" in full.stderr
    assert "Traceback" not in full.stderr
    assert (tmp_path / ".datasets-state" / "publicar-error.log").exists()
    assert [d["date"] for d in indexed_days(root)] == [days[0].isoformat()]
    assert check_visible_days_complete(root) == []

    code, out, err = backfill_in_process(tmp_path, root, days[0], days[-1], 900)
    assert code == 0, err
    assert "(se omite)" in out  # the first day was already final
    assert check_visible_days_complete(root) == []
    for day in days:
        assert day_files(root, day) == expected[day.isoformat()], f"{day} differs"
    assert registry_counts(root, days) == {day: 1 for day in days}
