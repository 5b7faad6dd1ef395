"""benchmarks/full_history.py runs the backfill with Python's bytecode cache allowed, as make does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "full_history.py"


def _script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("full_history_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses resolve annotations there
    spec.loader.exec_module(module)
    return module


def test_child_env_lets_python_cache_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("PERUCOMPRAS_EXAMPLE_KEPT", "yes")
    env = _script(monkeypatch).child_env(quotations=True)
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PERUCOMPRAS_EXAMPLE_KEPT"] == "yes"
    assert env["PERUCOMPRAS_SOURCE__QUOTATIONS"] == "true"
    assert env["DAGSTER_DISABLE_TELEMETRY"] == "1"


def test_reference_work_is_timed_as_cpu_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    script = _script(monkeypatch)
    monkeypatch.setattr(script, "REFERENCE_HASH_BYTES", 2**20)
    monkeypatch.setattr(script, "REFERENCE_LOOP", 10_000)
    seconds = script.reference_seconds()
    assert 0 < seconds < 5


def _report(script: ModuleType, reference: tuple[float, float] | None) -> str:
    measured = script.Measured(seconds=600.0, rss=1500.0, tree_rss=2000.0, cpu=1100.0, code=0)
    arguments = {
        "kind": "backfill",
        "quotations": False,
        "generation": 1.0,
        "start": script.FULL_FROM,
        "end": script.FULL_TO,
        "orders": 10_000,
        "measured": measured,
        "disk": {"datasets": 2**30},
        "source_bytes": 2**20,
        "log_tail": "backfill done",
    }
    if reference is not None:
        arguments["reference"] = reference
    return str(script.render(**arguments))


def test_the_report_says_how_fast_the_machine_was(monkeypatch: pytest.MonkeyPatch) -> None:
    script = _script(monkeypatch)
    report = _report(script, (0.61, 0.74))
    line = next(line for line in report.splitlines() if line.startswith("- Machine speed"))
    assert "took 0.61 s before the command and 0.74 s after it" in line
    assert "| 2022-01-01 → 2026-11-30 | 10.0 min | 18.3 min |" in report
    assert "Machine speed" not in _report(script, None)


def test_the_report_breaks_the_all_processes_peak_down_by_role(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _script(monkeypatch)
    assert script._role(b"/usr/bin/time\0-f\0%M\0/x/.venv/bin/publicar\0backfill") == "other"
    assert script._role(b"/x/.venv/bin/python\0/x/.venv/bin/publicar\0backfill") == "main"
    assert script._role(b"python\0-c\0from multiprocessing.spawn import spawn_main") == (
        "background"
    )
    assert script._role(b"/x/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil") == "anvil"
    spawned = b"python\0-c\0from multiprocessing.spawn import spawn_main"
    for name, role in ((b"publicar-months", "months"), (b"publicar-ahead", "ahead")):
        assert script._role(spawned, name) == role
    assert script._role(spawned, b"publicar-bulk") == "bulk"
    assert script._role(spawned, b"python") == "background"  # a checkout without names
    parts = script._by_role(
        [("main", 2**30), ("background", 3 * 2**28), ("anvil", 2**25), ("background", 2**28)]
    )
    assert parts == (("main", 1, 1024.0), ("background", 2, 1024.0), ("anvil", 1, 32.0))
    measured = script.Measured(600.0, 1500.0, 2080.0, 1100.0, 0, parts, 90.0)
    report = str(
        script.render(
            kind="backfill",
            quotations=False,
            generation=1.0,
            start=script.FULL_FROM,
            end=script.FULL_TO,
            orders=10_000,
            measured=measured,
            disk={"datasets": 2**30},
            source_bytes=2**20,
            log_tail="done",
        )
    )
    line = next(line for line in report.splitlines() if "all-processes peak" in line)
    assert line == (
        "- At the all-processes peak (1.5 min into the run): main process 1,024 MiB, "
        "background workers (month workers, the bulk build's) 1,024 MiB (2 processes), "
        "embedded anvil 32 MiB."
    )
    assert "all-processes peak" not in _report(script, None)


def test_a_kept_root_is_emptied_of_an_earlier_run_but_keeps_its_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--keep`` on a root published before: every day would be skipped as finished, so the
    report would time a no-op re-run (0 orders) instead of a publication."""
    script = _script(monkeypatch)
    source = tmp_path / ".cache" / "source" / "synthetic" / "ReportePCBienes202201.csv"
    source.parent.mkdir(parents=True)
    source.write_text("kept")
    for name in ("datasets/perucompras-ocam/2022/01/01", ".datasets-state/cache", "chain"):
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "file").write_text("earlier run")
    (tmp_path / "publicar.log").write_text("earlier run")
    script.fresh_root(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cache"]
    assert source.read_text() == "kept"
    script.fresh_root(tmp_path)  # nothing left to remove


def test_the_report_says_where_the_datasets_disk_goes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Day folders, bulk files by format and the site are told apart; a hard link (the bulk's
    ``latest`` names) is counted once; a short range also gets the full history's estimate."""
    script = _script(monkeypatch)
    day = tmp_path / "perucompras-ocam" / "2026" / "01" / "13"
    bulk = tmp_path / "perucompras-ocam-bulk"
    for folder in (day, bulk, tmp_path / "cambios"):
        folder.mkdir(parents=True)
    sizes = {
        day / "perucompras-ocam-2026-01-13-releases.json": 3,
        day / "perucompras-ocam-2026-01-13-releases.jsonl": 3,
        day / "perucompras-ocam-2026-01-13-records.json": 3,
        day / "perucompras-ocam-2026-01-13-orders.parquet": 1,
        bulk / "perucompras-ocam-2026-01-releases.jsonl.gz": 2,
        bulk / "perucompras-ocam-2026-01-bids.csv": 5,
        bulk / "perucompras-ocam-2026-01-bids.parquet": 1,
        bulk / "perucompras-ocam-bulk-2026-01-31-manifest.json": 1,
        tmp_path / "index.html": 1,
        tmp_path / "cambios" / "1.json": 1,
    }
    for path, blocks in sizes.items():
        path.write_bytes(b"x" * (4096 * blocks))
    (bulk / "perucompras-ocam-latest-year-releases.jsonl.gz").hardlink_to(
        bulk / "perucompras-ocam-2026-01-releases.jsonl.gz"
    )
    kinds = script.disk_by_kind(tmp_path)
    assert {kind: size // 4096 for kind, size in kinds.items()} == {
        "daily": 9,
        "daily-other": 1,
        ".jsonl.gz": 2,
        ".csv": 5,
        ".parquet": 1,
        "bulk-other": 1,
        "site": 2,
    }
    measured = script.Measured(seconds=60.0, rss=1.0, tree_rss=1.0, cpu=60.0, code=0)
    report = script.render(
        kind="backfill",
        quotations=True,
        generation=1.0,
        start=script.dt.date(2026, 1, 1),
        end=script.dt.date(2026, 1, 31),
        orders=10_000,
        measured=measured,
        disk={"datasets": sum(kinds.values())},
        source_bytes=0,
        log_tail="done",
        kinds={"daily": 3 * 2**30, ".csv": 2**30},
    )
    assert (
        "| daily OCDS JSON (`releases.json`, `releases.jsonl`, `records.json`) | 3,072 MiB "
        "| 75% | 173.7 GiB |" in report
    )
    assert "| bulk CSV | 1,024 MiB | 25% | 57.9 GiB |" in report


def test_the_report_names_the_filesystem_of_the_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The longest mount point holding the root wins (a loop-mounted compressed filesystem
    under ``/``), and the report line says it."""
    script = _script(monkeypatch)
    mounts = (
        "/dev/vda / ext4 rw,relatime 0 0\n"
        "/dev/loop0 /mnt/zq btrfs rw,compress-force=zstd:1 0 0\n"
        "/dev/loop1 /mnt/zq2 xfs rw 0 0\n"
        "/dev/loop2 /mnt/with\\040space ext4 ro 0 0\n"
    )
    assert script.filesystem(Path("/mnt/zq/q24"), mounts) == "btrfs (rw,compress-force=zstd:1)"
    assert script.filesystem(Path("/mnt/zq2"), mounts) == "xfs (rw)"
    assert script.filesystem(Path("/tmp/run"), mounts) == "ext4 (rw,relatime)"
    assert script.filesystem(Path("/mnt/with space/x"), mounts) == "ext4 (ro)"
    assert script.filesystem(tmp_path, "") == "unknown"
    measured = script.Measured(seconds=60.0, rss=1.0, tree_rss=1.0, cpu=60.0, code=0)
    arguments = {
        "kind": "backfill",
        "quotations": False,
        "generation": 1.0,
        "start": script.FULL_FROM,
        "end": script.FULL_TO,
        "orders": 10_000,
        "measured": measured,
        "disk": {"datasets": 2**30},
        "source_bytes": 2**20,
        "log_tail": "done",
    }
    line = next(
        line
        for line in script.render(**arguments, fs="btrfs (rw)").splitlines()
        if line.startswith("- Disk after")
    )
    assert line.endswith("; the root's filesystem: btrfs (rw)")
    assert "filesystem" not in script.render(**arguments)


def test_each_roles_own_peak_is_kept_whenever_it_came(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = _script(monkeypatch)
    if not Path(script.GNU_TIME).exists():
        pytest.skip(f"{script.GNU_TIME} (GNU time) is not installed")
    monkeypatch.setattr(script, "TREE_SAMPLE_SECONDS", 0.1)
    # A "publicar" process that holds 200 MiB, lets it go, then waits for a child named as
    # the backfill's background process holding 300 MiB: the two peaks never overlap.
    hold = "b = bytearray({mib} * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(1.5)"
    child = (
        "import ctypes, time\n"
        "ctypes.CDLL(None).prctl(15, b'publicar-ahead', 0, 0, 0)\n"
        f"{hold.format(mib=300)}"
    )
    main = tmp_path / "publicar.py"
    main.write_text(
        "import subprocess, sys, time\n"
        f"{hold.format(mib=200)}\n"
        "del b\n"
        f"subprocess.run([sys.executable, '-c', {child!r}], check=True)\n"
    )
    measured = script.run([sys.executable, str(main)], tmp_path, tmp_path / "log", False)
    assert measured.code == 0, (tmp_path / "log").read_text()
    peaks = dict(measured.role_peaks)
    assert 200 <= peaks["main"] < 290
    assert 300 <= peaks["ahead"] < 390
    assert measured.tree_rss < peaks["main"] + peaks["ahead"]
    # The main process held its 200 MiB before the child started: beside it, far less.
    beside = dict(measured.main_beside)
    assert set(beside) == {"ahead"} and beside["ahead"] < 100
    assert not measured.workers_together
    bound, role = measured.bound()
    assert role == "ahead"
    assert bound == beside["ahead"] + peaks["ahead"] + peaks.get("other", 0.0)
    arguments = _arguments(script, measured, quotations=False)
    line = next(line for line in script.render(**arguments).splitlines() if "own peak" in line)
    assert f": {bound:,.0f} MiB (under the 2,048 MiB target), beside the background" in line


def test_the_report_says_when_the_parts_peaks_would_break_the_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _script(monkeypatch)
    peaks = (
        ("main", 2200.0),
        ("months", 1000.0),
        ("ahead", 800.0),
        ("bulk", 350.0),
        ("anvil", 30.0),
    )
    beside = (("ahead", 1900.0), ("bulk", 2200.0), ("months", 1800.0))
    measured = script.Measured(600.0, 2200.0, 2900.0, 1100.0, 0, (), 0.0, peaks, beside)
    assert measured.bound() == (2830.0, "months")
    line = next(
        line
        for line in script.render(**_arguments(script, measured, quotations=True)).splitlines()
        if "own peak" in line
    )
    assert line == (
        "- Each part's own peak, whenever it came: main process 2,200 MiB, month workers "
        "1,000 MiB, background process (extracts, months built ahead) 800 MiB, bulk build "
        "workers 350 MiB, embedded anvil 30 MiB. The main process's peak while each kind of "
        "worker ran: background process (extracts, months built ahead) 1,900 MiB, bulk build "
        "workers 2,200 MiB, month workers 1,800 MiB. No two kinds of worker ran at once, so "
        "the most the run could have used is the main process's peak beside one kind, plus "
        "that kind's peak and the other parts' (anvil, other): 2,830 MiB (under the 3,072 MiB "
        "target), beside the month workers. The all-processes peak measured depends on how "
        "those moments overlap, which varies from run to run."
    )
    heavier = tuple((r, 1200.0 if r == "ahead" else size) for r, size in peaks)
    measured = script.Measured(600.0, 2200.0, 2900.0, 1100.0, 0, (), 0.0, heavier, beside)
    report = script.render(**_arguments(script, measured, quotations=True))
    assert ": 3,130 MiB (**over** the 3,072 MiB target), beside the background process" in report
    # Two kinds at once: every worker counts, beside the main process's largest moment.
    measured = script.Measured(600.0, 2200.0, 2900.0, 1100.0, 0, (), 0.0, peaks, beside, True)
    assert measured.bound() == (4380.0, None)
    report = script.render(**_arguments(script, measured, quotations=True))
    assert "Workers of two kinds ran at once" in report
    assert "would have used 4,380 MiB (**over** the 3,072 MiB target)." in report
    alone = (("main", 1500.0), ("anvil", 30.0))
    measured = script.Measured(600.0, 1500.0, 1530.0, 1100.0, 0, (), 0.0, alone)
    line = next(
        line
        for line in script.render(**_arguments(script, measured, quotations=True)).splitlines()
        if "own peak" in line
    )
    assert (
        line
        == "- Each part's own peak, whenever it came: main process 1,500 MiB, embedded anvil 30 MiB."
    )
    measured = script.Measured(600.0, 1900.0, 2900.0, 1100.0, 0, (), 0.0, ())
    assert "own peak" not in script.render(**_arguments(script, measured, quotations=True))


def _arguments(script: ModuleType, measured: object, *, quotations: bool) -> dict[str, object]:
    return {
        "kind": "backfill",
        "quotations": quotations,
        "generation": 1.0,
        "start": script.FULL_FROM,
        "end": script.FULL_TO,
        "orders": 10_000,
        "measured": measured,
        "disk": {"datasets": 2**30},
        "source_bytes": 2**20,
        "log_tail": "done",
    }
