"""`publicar run` at the operator's edges: one clear line and exit status 2, never a traceback;
Dagster partitions that start when the data starts; a backfill over a folder in date order."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.backfill_helpers import memory_dagster_home

from perucompras.synthetic import generate_month

PUBLICAR = Path(sys.executable).parent / "publicar"


def _publicar(
    workdir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PERUCOMPRAS_")}
    return subprocess.run(
        [str(PUBLICAR), "run", *args],
        cwd=workdir,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _refused(done: subprocess.CompletedProcess, *words: str) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr naming ``words``."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture
def real_folder(tmp_path: Path, sample_dir: Path) -> Path:
    """A folder holding the real January 2022 sample as its month's file."""
    folder = tmp_path / "real"
    folder.mkdir()
    shutil.copy(
        sample_dir / "ReportePCBienes202201.sample.csv", folder / "ReportePCBienes202201.csv"
    )
    return folder


def test_from_before_the_first_partition(tmp_path: Path) -> None:
    done = _publicar(
        tmp_path,
        "--from",
        "2023-12-31",
        "--to",
        "2024-01-02",
        env={"PERUCOMPRAS_HISTORY_START": "2024-01-01", "PERUCOMPRAS_LANG": "en"},
    )
    _refused(done, "2023-12-31", "first publishable day 2024-01-01", "PERUCOMPRAS_HISTORY_START")
    assert list(tmp_path.iterdir()) == []


def test_from_before_the_data_starts_is_refused_by_the_settings(tmp_path: Path) -> None:
    done = _publicar(tmp_path, "--from", "2021-12-31", "--to", "2022-01-01")
    _refused(done, "2021-12-31", "2022-01-01")


def test_a_day_with_no_source_file(tmp_path: Path, real_folder: Path) -> None:
    done = _publicar(
        tmp_path, "--source", str(real_folder), "--from", "2022-02-01", "--to", "2022-02-03"
    )
    _refused(done, "2022-02-01", "ReportePCBienes202202", str(real_folder), "2022-01")
    assert not (tmp_path / "datasets").exists()


def test_a_source_folder_without_monthly_files(tmp_path: Path) -> None:
    empty = tmp_path / "vacia"
    empty.mkdir()
    (empty / "notas.csv").write_text("x\n")
    done = _publicar(tmp_path, "--source", str(empty), "--from", "2022-01-01", "--to", "2022-01-02")
    _refused(done, str(empty), "ReportePCBienes")
    missing = _publicar(tmp_path, "--source", str(tmp_path / "no-existe"))
    _refused(missing, str(tmp_path / "no-existe"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vacia"]


def test_to_after_the_last_complete_day(tmp_path: Path) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    done = _publicar(tmp_path, "--from", "2026-01-01", "--to", tomorrow.isoformat())
    _refused(done, tomorrow.isoformat())


def test_range_in_reverse(tmp_path: Path) -> None:
    _refused(_publicar(tmp_path, "--from", "2026-01-05", "--to", "2026-01-01"), "2026-01-05")


def test_partitions_start_at_history_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines import definitions

    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PERUCOMPRAS_HISTORY_START", "2024-03-01")
    defs = definitions.defs()
    job = defs.resolve_job_def("publicar_dia")
    assert job.partitions_def is not None
    keys = job.partitions_def.get_partition_keys()
    assert keys[0] == "2024-03-01"
    monkeypatch.delenv("PERUCOMPRAS_HISTORY_START")
    assert (
        definitions.defs().resolve_job_def("publicar_dia").partitions_def.get_partition_keys()[0]
        == "2022-01-01"
    )


@pytest.mark.chain
def test_backfill_over_a_folder_runs_in_date_order_and_labels_synthetic_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "fuente"
    memory_dagster_home(tmp_path / ".dagster_home")  # Dagster's own storage is not the subject
    for year, month in ((2026, 2), (2026, 1), (2025, 12)):  # written newest first
        generate_month(year, month, folder, orders=60)
    # without --to the range ends with the folder's newest month (planned, not run: 30 days)
    from pipelines.cli import run
    from settings import load_settings

    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser()
    run.add_arguments(parser)
    args = parser.parse_args(["--source", str(folder), "--from", "2026-01-30"])
    start, end, months = run.plan(args, load_settings(overrides=run.overrides(args)))
    assert (start, end) == (dt.date(2026, 1, 30), dt.date(2026, 2, 28))
    assert sorted(months or {}) == [(2025, 12), (2026, 1), (2026, 2)]
    # across a month boundary, day by day in date order; the command's own code path in this
    # process (pipelines.cli.main), without the seconds of imports a new process pays
    from pipelines.cli import main as publicar

    monkeypatch.setenv("PERUCOMPRAS_GX_CROSS_CHECK", "false")  # the subject is order and labels
    capsys.readouterr()
    code = publicar(
        ["run", "--source", str(folder), "--from", "2026-01-30", "--to", "2026-02-01", "--no-bulk"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    days = [line.split()[0] for line in out.splitlines()]
    assert days == ["2026-01-30", "2026-01-31", "2026-02-01"]
    index = json.loads((tmp_path / "datasets" / "index.json").read_text())
    assert [day["date"] for day in index["days"]] == days
    assert all(day["synthetic"] for day in index["days"])  # generated files are labelled
    landing = (tmp_path / "datasets" / "index.html").read_text(encoding="utf-8")
    assert "Datos sintéticos" in landing


def test_a_blocked_day_names_its_failing_check_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "source"
    path = generate_month(2026, 10, folder, orders=40)
    header, *rows = path.read_bytes().decode("latin-1").split("\n")
    path.write_bytes("\n".join([header.replace("IGV", "IMPUESTO"), *rows]).encode("latin-1"))
    done = _publicar(
        tmp_path,
        "--source",
        str(folder),
        "--from",
        "2026-10-02",
        "--to",
        "2026-10-02",
        "--datasets",
        str(tmp_path / "datasets"),
        "--devchain",
        str(tmp_path / "devchain"),
        "--no-bulk",
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, done.stderr  # the day that failed, then why
    assert "2026-10-02" in lines[0]
    assert lines[1].startswith("publicar: source_files_readable: "), lines[1]
    assert path.name in lines[1] and "IGV" in lines[1], lines[1]
    assert not (tmp_path / "datasets" / "perucompras-ocam" / "2026" / "10" / "02").exists()
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(tmp_path / ".dagster_home")) as instance:
        runs = instance.get_runs()
    assert [run.job_name for run in runs] == ["publicar_dia"]  # listed under the job in the UI
    assert runs[0].tags["dagster/partition"] == "2026-10-02"


def test_run_holds_the_status_store_for_its_days_and_reads_the_parse_cache(tmp_path: Path) -> None:
    from pipelines.cli.run import held_for_days
    from publication import extract
    from publication.batch import DayJob
    from publication.prepare import cache_dir
    from publication.state import StateStore, store_path
    from settings import Identity

    job = DayJob(root=tmp_path / "datasets", dataset="perucompras-ocam", identity=Identity())
    store = store_path(job.root, job.state_dir)
    with held_for_days(job):
        # A backfill's parse of the same bytes is reused; a new daily snapshot is not cached.
        folder = cache_dir(job.root, job.state_dir).absolute()
        assert {"folder": folder} == extract._PARSE_CACHE
        assert extract._FILLS == {"fill": False}
        holder = StateStore._shared[store.resolve()]
        with StateStore(store) as step:  # a step's own open: a cursor on the held connection
            assert step.con is not holder.con and step._known is holder._known
    assert store.resolve() not in StateStore._shared
    assert extract._PARSE_CACHE == {}
