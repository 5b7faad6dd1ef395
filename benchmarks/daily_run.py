"""One daily run after imports: the cost issue 15 sets a target for (~330 orders, ≤ 3 s).

Imported by ``benchmarks/run.py`` (section (k)); ``python benchmarks/daily_run.py --timed``
is the child process: it imports what a run imports, then times one ``publicar`` command in
the same process, so the figure excludes interpreter start-up and imports and includes
everything else (reading the month's file, the quality gate with Great Expectations, mapping,
validation, writing, the status store, the embedded chain's start and the anchor, and for
``publicar run`` the Dagster run).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
DAY = dt.date(2026, 1, 15)  # a Thursday: a full working day of orders
ORDERS_PER_MONTH = 7_800  # about 330 orders on a working day (the daily run)
VARIANTS = {
    "run": ["run", "--no-bulk"],
    "run-new-snapshot": ["run", "--no-bulk"],
    "run-next-snapshot": ["run", "--no-bulk"],
    "run+bulk": ["run"],
    "backfill": ["backfill", "--no-bulk"],
    "cli-new-snapshot": ["run", "--no-bulk"],
    "cli-next-snapshot": ["run", "--no-bulk"],
}
# Variants run as on a production node, where the portal's monthly files are new bytes every
# day: the prepared root's parses of the month's files (filled by the untimed backfill, which
# read the same synthetic bytes) are removed, so the run parses them as a new snapshot.
NEW_SNAPSHOT = {"run-new-snapshot", "run-next-snapshot", "cli-new-snapshot", "cli-next-snapshot"}
# Variants whose cache also holds yesterday's snapshot of the detailed export (today's rows
# without the day's orders, so the running ``Nro`` of the rows below them shifts), parsed with
# its row memo, as a production node that ran yesterday has: today's parse reuses unchanged rows.
NEXT_SNAPSHOT = {"run-next-snapshot", "cli-next-snapshot"}
# Variants timed as an operator starts the command: a fresh process that imports lazily, as
# ``publicar`` does, so the companions worker parses while the command is still importing. Their
# figure is the wall time minus what the process spent importing (``python -X importtime``,
# every import after the child's first line, wherever it happens).
AS_STARTED = {"cli-new-snapshot", "cli-next-snapshot"}
_BEGAN = "daily_run: began"


@dataclass(frozen=True)
class Timed:
    """One timed command: seconds after imports, imports' seconds, exit code, the day's orders."""

    seconds: float
    import_seconds: float
    returncode: int
    orders: int


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "PERUCOMPRAS_SOURCE__QUOTATIONS": "false",
    }


def _common(root: Path, start: dt.date, end: dt.date) -> list[str]:
    return [
        "--source",
        "synthetic",
        "--orders-per-month",
        str(ORDERS_PER_MONTH),
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
        "--datasets",
        str(root / "datasets"),
        "--chain",
        "devchain",
        "--devchain",
        str(root / "chain"),
    ]


def prepare(work: Path) -> Path:
    """A root holding the month's days before ``DAY`` (published and anchored, untimed)."""
    base = work / "base"
    base.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            str(VENV_BIN / "publicar"),
            "backfill",
            "--no-bulk",
            *_common(base, DAY.replace(day=1), DAY - dt.timedelta(days=1)),
        ],
        cwd=base,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"preparing the daily-run benchmark: backfill exited {done.returncode}")
    return base


def timed(base: Path, variant: str, work: Path) -> Timed:
    """Copy the prepared root and time one ``variant`` of the day in a fresh child."""
    root = work / variant
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(base, root, symlinks=True)
    if variant in NEW_SNAPSHOT:
        for entry in (root / ".datasets-state" / "cache").glob("ReportePC*"):
            shutil.rmtree(entry)
    if variant in NEXT_SNAPSHOT:
        done = subprocess.run(
            [sys.executable, __file__, "--yesterday", "--root", str(root), "--out", str(work)],
            cwd=root,
            env=_env(),
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"daily-run benchmark {variant}: preparing yesterday's snapshot")
    result = work / f"{variant}.json"
    python = [sys.executable, "-X", "importtime"] if variant in AS_STARTED else [sys.executable]
    done = subprocess.run(
        [*python, __file__, "--timed", variant, "--root", str(root), "--out", str(result)],
        cwd=root,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if variant in AS_STARTED else subprocess.DEVNULL,
        text=True,
        check=False,
    )
    if done.returncode or not result.exists():
        raise RuntimeError(f"daily-run benchmark {variant}: child exited {done.returncode}")
    measured = Timed(**json.loads(result.read_text()))
    if variant not in AS_STARTED:
        return measured
    imports = import_seconds(done.stderr)
    return dataclasses.replace(measured, seconds=measured.seconds - imports, import_seconds=imports)


def import_seconds(importtime: str) -> float:
    """Seconds a process spent importing after it printed ``_BEGAN``: the sum of the
    cumulative times of ``python -X importtime``'s outermost imports (an import's nested
    imports are inside its cumulative time)."""
    total, began = 0, False
    for line in importtime.splitlines():
        if line.startswith(_BEGAN):
            began = True
            continue
        if not began or not line.startswith("import time:"):
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) == 3 and fields[1].strip().isdigit() and not fields[2].startswith("  "):
            total += int(fields[1])
    return total / 1e6


def _day_orders(root: Path) -> int:
    from integrity.layout import DayLayout
    from integrity.manifest import load_manifest

    manifest = load_manifest(DayLayout(root / "datasets", "perucompras-ocam", DAY).manifest)
    return int(manifest.data["counts"]["sourceRows"])


def _child(variant: str, root: Path, out: Path) -> int:
    began = time.perf_counter()
    if variant in AS_STARTED:
        print(_BEGAN, file=sys.stderr, flush=True)
        from pipelines.cli import main as as_started

        code = as_started([*VARIANTS[variant], *_common(root, DAY, DAY)])
        ended = time.perf_counter()
        return _report(out, code, ended - began, 0.0, root)
    # What a run imports (lazily, inside the commands): loaded before the clock starts.
    # pyarrow.acero and upath are imported on first use (``Table.group_by``; Dagster opening
    # an instance).
    import dagster  # noqa: F401
    import duckdb  # noqa: F401
    import great_expectations  # noqa: F401
    import ocdsmerge  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.acero
    import pyarrow.parquet  # noqa: F401
    import upath  # noqa: F401
    import web3  # noqa: F401

    import integrity.chain
    import integrity.devchain  # noqa: F401
    import ocds_mappings.docs
    import ocds_mappings.packaging  # noqa: F401
    import pipelines.dagster_storage
    import pipelines.definitions  # noqa: F401
    import publication.anchoring
    import publication.bulk.build  # noqa: F401
    import quality.gx_suites  # noqa: F401
    from pipelines.cli import main

    imported = time.perf_counter()
    code = main([*VARIANTS[variant], *_common(root, DAY, DAY)])
    ended = time.perf_counter()
    return _report(out, code, ended - imported, imported - began, root)


def _report(out: Path, code: int, seconds: float, imports: float, root: Path) -> int:
    orders = _day_orders(root) if code == 0 else 0
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "import_seconds": imports,
                "returncode": code,
                "orders": orders,
            }
        )
    )
    return code


def _yesterday(root: Path, work: Path) -> int:
    """Parse yesterday's detailed export into ``root``'s cache (untimed): today's workbook
    without the rows of ``DAY``'s orders, renumbered, under the same file name."""
    import xlsxwriter

    from perucompras.xlsx_rows import iter_sheets
    from publication.details import _fill_detail_cache

    (today,) = (root / ".cache" / "source").rglob(f"ReportePCDetalle{DAY:%Y%m}*.xlsx")
    day = f"{DAY:%d/%m/%Y}"
    folder = work / "yesterday"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    yesterday = folder / today.name
    book = xlsxwriter.Workbook(str(yesterday), {"constant_memory": True})
    sheets = iter_sheets(today)
    title, rows = next(sheets)
    sheet = book.add_worksheet(title)
    published: int | None = None
    removed = number = 0
    for at, row in rows:  # numbered from 1; blank rows are not yielded
        cells = list(row)
        if published is None:
            if "Nro" in cells and "Fecha Publicación" in cells:
                published = cells.index("Fecha Publicación")
        elif published < len(cells) and cells[published] == day:
            removed += 1
            continue  # the day's orders: not yet in yesterday's snapshot
        elif cells and type(cells[0]) in (int, float):
            number += 1
            cells[0] = number  # the running number, as the portal writes it
        sheet.write_row(at - 1 - removed, 0, cells)
    sheets.close()
    book.close()
    _fill_detail_cache(yesterday, root / ".datasets-state" / "cache", "es")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The timed child (``--timed``), or yesterday's snapshot (``--yesterday``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timed", choices=sorted(VARIANTS))
    parser.add_argument("--yesterday", action="store_true")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.yesterday:
        return _yesterday(args.root, args.out)
    return _child(args.timed, args.root, args.out)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
