"""One writer per datasets root: the file lock, and two real `publicar run` at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.backfill_helpers import memory_dagster_home

from integrity.layout import DayLayout
from messages import text
from publication.lock import RootBusy, held, holder_pid, lock_path, root_lock

PUBLICAR = Path(sys.executable).parent / "publicar"
GOLDEN = Path(__file__).parent / "golden" / "manifests.json"
DAY = "2026-10-30"  # one of the golden days

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from publication.lock import root_lock
    with root_lock(Path(sys.argv[1]), timeout=0):
        print("held", flush=True)
        sys.stdin.readline()
    """
)


def _holder(state_dir: Path) -> subprocess.Popen[str]:
    """A process that holds the lock until its stdin is closed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_locker_refuses_naming_the_holder(tmp_path: Path) -> None:
    holder = _holder(tmp_path)
    try:
        assert holder_pid(lock_path(tmp_path)) == holder.pid
        waits: list[str] = []
        with (
            pytest.raises(RootBusy) as busy,
            root_lock(tmp_path, timeout=0.2, root="/datos", lang="en", on_wait=waits.append),
        ):
            pytest.fail("the lock was taken twice")
        assert busy.value.holder == holder.pid
        assert f"(PID {holder.pid})" in str(busy.value)
        assert "/datos" in str(busy.value)
        assert waits == [text("lock.waiting", "en", pid=holder.pid, root="/datos", seconds="0.2")]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    holder = _holder(tmp_path)
    holder.kill()
    holder.wait(timeout=30)
    with root_lock(tmp_path, timeout=0) as path:
        assert holder_pid(path) == os.getpid()


def test_waiter_gets_the_lock_once_the_holder_ends(tmp_path: Path) -> None:
    holder = _holder(tmp_path)
    waits: list[str] = []

    def release(message: str) -> None:
        waits.append(message)
        assert holder.stdin is not None
        holder.stdin.close()  # the holder ends while we wait

    with root_lock(tmp_path, timeout=60, on_wait=release) as path:
        assert holder_pid(path) == os.getpid()
    assert len(waits) == 1 and str(holder.pid) in waits[0]
    holder.wait(timeout=30)


def _day_digests(root: Path, day: str) -> dict[str, str]:
    import datetime as dt

    folder = DayLayout(root, "perucompras-ocam", dt.date.fromisoformat(day)).folder
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.endswith("-anchor.json")
    }


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    with root_lock(tmp_path, timeout=0), root_lock(tmp_path, timeout=0):
        holder = subprocess.run(
            [sys.executable, "-c", HOLDER, str(tmp_path)], input="", capture_output=True, text=True
        )
        assert holder.returncode != 0 and "RootBusy" in holder.stderr
    with root_lock(tmp_path, timeout=0):  # released by the outer block, not the inner one
        pass


def test_a_dagster_run_waits_for_another_writer_then_fails_naming_it(tmp_path: Path) -> None:
    from dagster import materialize

    from perucompras.synthetic import generate_month
    from pipelines.definitions import ALL_ASSETS
    from pipelines.resources import ChainResource, DatasetsResource, SourceResource

    source = tmp_path / "source"
    generate_month(2026, 10, source, orders=30)
    state = tmp_path / "state"
    # The Great Expectations cross-check off: the subject is the lock (GX costs ~1 s a table).
    datasets = DatasetsResource(
        root=str(tmp_path / "datasets"),
        state_dir=str(state),
        lock_timeout=0.3,
        lang="en",
        gx_cross_check=False,
    )
    resources = {
        "source": SourceResource(kind="directory", directory=str(source)),
        "datasets": datasets,
        "chain": ChainResource(mode="devchain", state_dir=str(tmp_path / "devchain")),
    }
    holder = _holder(state)
    try:
        result = materialize(
            ALL_ASSETS, partition_key="2026-10-02", resources=resources, raise_on_error=False
        )
    finally:
        holder.communicate("")
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["daily_steps"]  # the publish step, the last run
    error = failures[0].step_failure_data.error
    assert error is not None and str(holder.pid) in error.message, error.message
    assert not DayLayout(
        tmp_path / "datasets", "perucompras-ocam", dt.date(2026, 10, 2)
    ).folder.exists()


@pytest.mark.slow
def test_two_publicar_runs_at_once_never_interleave(tmp_path: Path) -> None:
    """Two `publicar run` on one root at once: one publishes, the other refuses naming its PID;
    the day published is byte for byte that of a single run (its golden digests). One day is
    enough: the loser gives up after its 1 s lock timeout, long before the winner ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERUCOMPRAS_")}
    env["PERUCOMPRAS_LOCK_TIMEOUT"] = "1"
    # Both runs share the working directory's Dagster home; its own storage is not the subject.
    memory_dagster_home(tmp_path / ".dagster_home")
    command = [
        str(PUBLICAR),
        "run",
        "--source",
        "synthetic",
        "--orders-per-month",
        "900",
        "--from",
        DAY,
        "--to",
        DAY,
        "--datasets",
        str(tmp_path / "datasets"),
        "--no-bulk",
    ]
    procs = [
        subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = [(proc.pid, *proc.communicate(timeout=900), proc.returncode) for proc in procs]
    codes = sorted(code for *_, code in outcomes)
    assert codes == [0, 2], outcomes
    ((winner, won_out, _, _),) = [o for o in outcomes if o[3] == 0]
    ((_, lost_out, lost_err, _),) = [o for o in outcomes if o[3] == 2]
    assert f"(PID {winner})" in lost_err
    assert "Traceback" not in lost_err
    assert lost_out == ""
    expected = json.loads(GOLDEN.read_text())[DAY]
    assert expected
    assert DAY in won_out
    assert _day_digests(tmp_path / "datasets", DAY) == expected
    index = json.loads((tmp_path / "datasets" / "index.json").read_text())
    assert [d["date"] for d in index["days"]] == [DAY]


def test_held_says_whether_this_process_holds_the_lock(tmp_path: Path) -> None:
    assert not held(tmp_path)
    with root_lock(tmp_path, timeout=0):
        assert held(tmp_path)
        with root_lock(tmp_path, timeout=0):
            assert held(tmp_path)
        assert held(tmp_path)  # the outer hold goes on
    assert not held(tmp_path)
    holder = _holder(tmp_path)  # another process holds it: not this one
    try:
        assert not held(tmp_path)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
