"""benchmarks/worker_profile: `make bench` (i) profiles the companions worker, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pyinstrument.session import Session

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "benchmarks" / "worker_profile"


def _env(folder: Path) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(HOOK), str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "BENCH_WORKER_PROFILE": str(folder)}


def test_the_companions_worker_saves_its_profile_when_it_exits(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "publication.ahead", "--help"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    saved = list(tmp_path.glob("worker-*.pyisession"))
    assert len(saved) == 1
    session = Session.load(str(saved[0]))
    assert session.duration > 0
    assert session.root_frame() is not None


def test_any_other_process_is_not_profiled(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; print('pyinstrument' in sys.modules)"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert not list(tmp_path.iterdir())


def test_without_the_folder_the_worker_is_not_profiled(tmp_path: Path) -> None:
    env = _env(tmp_path)
    del env["BENCH_WORKER_PROFILE"]
    done = subprocess.run(
        [sys.executable, "-m", "publication.ahead", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.iterdir())
