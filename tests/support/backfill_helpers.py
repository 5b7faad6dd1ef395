"""Run `publicar backfill` as an operator does (a subprocess) and read what it published."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from integrity.devchain import DevChain
from integrity.layout import DayLayout
from integrity.manifest import load_manifest
from integrity.verify import verify_day_files

PUBLICAR = Path(sys.executable).parent / "publicar"
DATASET = "perucompras-ocam"
# For tests whose subject is not Great Expectations: the cross-check costs ~1 s per table and
# day plus its import in every process (the quality reports then say it was not evaluated).
NO_GX = {"gx_cross_check": "false"}


# Dagster's event log kept in memory: the shipped dagster.yaml plus the event storage that
# DagsterInstance.ephemeral() uses. The default SQLite event log opens a connection and commits
# (fsync) per event, ~100 events a day (two per declared asset check, 28 checks, plus the
# steps' own); when each warning rule was a check of its own (94 checks, ~230 events) that was
# ~4 s of CPU and more of I/O wait per published day. For tests of `publicar run` whose subject
# is not Dagster's storage.
MEMORY_EVENT_LOG = """
event_log_storage:
  module: dagster._core.storage.event_log.in_memory
  class: InMemoryEventLogStorage
"""


def memory_dagster_home(home: Path) -> Path:
    """Prepare the Dagster home ``publicar`` will use (``dagster_home`` setting, or
    ``.dagster_home`` in its working directory) with the event log in memory."""
    from importlib.resources import files

    home.mkdir(parents=True, exist_ok=True)
    shipped = files("pipelines").joinpath("dagster.yaml").read_text(encoding="utf-8")
    (home / "dagster.yaml").write_text(shipped + MEMORY_EVENT_LOG, encoding="utf-8")
    return home


def clean_env(**settings: str) -> dict[str, str]:
    """The caller's environment without PERUCOMPRAS_* variables, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERUCOMPRAS_")}
    env.update({f"PERUCOMPRAS_{k.upper()}": v for k, v in settings.items()})
    return env


def backfill_command(root: Path, start: dt.date, end: dt.date, orders_per_month: int) -> list[str]:
    """`publicar backfill` of a synthetic range into ``root`` (no bulk files)."""
    return [str(PUBLICAR), *backfill_args(root, start, end, orders_per_month)]


def backfill_args(root: Path, start: dt.date, end: dt.date, orders_per_month: int) -> list[str]:
    """The arguments of ``backfill_command`` after the program (for ``pipelines.cli.main``)."""
    return [
        "backfill",
        "--source",
        "synthetic",
        "--orders-per-month",
        str(orders_per_month),
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
        "--datasets",
        str(root),
        "--devchain",
        str(devchain_dir(root)),
        "--no-bulk",
    ]


def backfill_in_process(
    workdir: Path,
    root: Path,
    start: dt.date,
    end: dt.date,
    orders_per_month: int,
    **settings: str,
) -> tuple[int, str, str]:
    """``run_backfill`` through ``pipelines.cli.main`` in this process (the command's own code
    path, without the ~5-10 s of imports a new process pays): (exit code, stdout, stderr)."""
    import contextlib
    import io

    from pipelines.cli import main as publicar

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("PERUCOMPRAS_")]:
            patch.delenv(name)
        for name, value in settings.items():
            patch.setenv(f"PERUCOMPRAS_{name.upper()}", value)
        patch.chdir(workdir)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = publicar(backfill_args(root, start, end, orders_per_month))
    return code, out.getvalue(), err.getvalue()


def devchain_dir(root: Path) -> Path:
    """The embedded chain the tests give a datasets root (beside it)."""
    return root.parent / ".test-devchain"


def run_backfill(
    workdir: Path,
    root: Path,
    start: dt.date,
    end: dt.date,
    orders_per_month: int,
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """Run a backfill to its end (stdout is a pipe: one plain line per day); ``settings`` as
    in ``clean_env``."""
    return subprocess.run(
        backfill_command(root, start, end, orders_per_month),
        cwd=workdir,
        env=clean_env(**settings),
        capture_output=True,
        text=True,
        timeout=1800,
    )


def day_files(root: Path, day: dt.date) -> dict[str, str]:
    """SHA-256 of every file of a day folder but its anchor receipt (which names the
    transaction: a batch and a single-day transaction differ there by design)."""
    folder = DayLayout(root, DATASET, day).folder
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.endswith("-anchor.json")
    }


def indexed_days(root: Path) -> list[dict[str, object]]:
    """The days ``index.json`` lists (what a reader sees)."""
    index = root / "index.json"
    if not index.exists():
        return []
    return list(json.loads(index.read_text())["days"])


def check_visible_days_complete(root: Path) -> list[str]:
    """Problems of any day a reader can find through ``index.json`` (empty: all complete)."""
    problems = []
    for entry in indexed_days(root):
        day = dt.date.fromisoformat(str(entry["date"]))
        layout = DayLayout(root, DATASET, day)
        if not layout.manifest.exists():
            problems.append(f"{day}: listed without a manifest")
            continue
        found = verify_day_files(layout.folder, load_manifest(layout.manifest)).problems()
        problems += [f"{day}: {p}" for p in found]
    return problems


def registry_counts(root: Path, days: list[dt.date]) -> dict[dt.date, int]:
    """Entries per day in the registry of the root's dev chain (anvil started and stopped by
    PID)."""
    chain = DevChain(devchain_dir(root), dataset=DATASET)
    chain.start()
    try:
        client = chain.client()
        return {day: client.count(DATASET, day, "latest") for day in days}
    finally:
        chain.stop()


def read_anchor(root: Path, day: dt.date) -> dict[str, object]:
    """The day's ``anchor.json`` receipt."""
    return dict(json.loads(DayLayout(root, DATASET, day).anchor.read_text()))


# Files that carry the wall-clock time of the run that wrote them (two uninterrupted runs differ
# there too): the change log's publication times, the trust pin's creation (and the verifier
# page embedding it). ``root_files`` blanks their times and compares every other byte.
WALL_CLOCK = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _wall_clock(name: str) -> bool:
    return name in {"feed.json", "trust.json", "verificar.html"} or name.startswith("cambios/")


# What a receipt says depends on the chain's history, not only on the published days: a kill can
# leave the dev chain with other blocks, hence another base fee, so the same transaction costs a
# different fee and gets another hash. The receipts are left out of ``root_files``; so are their
# entries in the catalogues (hash and size) and the anchoring-cost figures of the portal pages.
RECEIPT_LISTINGS = {"catalog.json", "catalog.jsonld", "data.json"}
ANCHOR_COST = re.compile(rb"[0-9.]+ ETH</strong> \([0-9]+ wei")


def _without_receipts(value: object) -> object:
    if isinstance(value, list):
        return [
            _without_receipts(item)
            for item in value
            if not (isinstance(item, dict) and "-anchor.json" in json.dumps(item))
        ]
    if isinstance(value, dict):
        return {key: _without_receipts(item) for key, item in value.items()}
    return value


def _comparable(name: str, data: bytes) -> bytes:
    if _wall_clock(name):
        data = WALL_CLOCK.sub(b"<time>", data)
    if name in RECEIPT_LISTINGS:
        data = json.dumps(_without_receipts(json.loads(data)), sort_keys=True).encode()
    if name in {"index.html", "index.en.html"}:
        data = ANCHOR_COST.sub(b"<cost>", data)
    return data


def root_files(root: Path) -> dict[str, str]:
    """SHA-256 of every published file under the datasets root but the anchor receipts (which
    name the transaction, as ``day_files``), wall-clock times, receipt entries and anchoring
    costs blanked (``_comparable``). Hidden names are not
    published (staging folders and temporary files a kill leaves behind: never indexed, linked
    or uploaded)."""
    tree = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        hidden = any(part.startswith(".") for part in name.split("/"))
        if not path.is_file() or hidden or name.endswith("-anchor.json"):
            continue
        tree[name] = hashlib.sha256(_comparable(name, path.read_bytes())).hexdigest()
    return tree
