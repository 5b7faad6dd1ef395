"""Publish a range of days at real volume from the synthetic source and record the cost.

    .venv/bin/python benchmarks/full_history.py --from 2022-01-01 --to 2026-11-30
    .venv/bin/python benchmarks/full_history.py --from 2026-01-01 --to 2026-01-07   # a sample

Runs ``publicar backfill`` (or ``publicar run`` when this checkout has no backfill command)
in a fresh child process on a fresh datasets root, measures wall time and peak RSS (GNU
``time``), and writes benchmarks/full-history.md with the measured range and, when the range
is shorter than the full history, an extrapolation labelled as such.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
GNU_TIME = "/usr/bin/time"
FULL_FROM = dt.date(2022, 1, 1)
FULL_TO = dt.date(2026, 11, 30)
TARGET_SECONDS = 600
TARGET_RSS_MIB = 2048
TREE_SAMPLE_SECONDS = 1.0  # reading smaps_rollup of GB-sized processes costs CPU


def backfill_kind() -> str:
    """``backfill`` when this checkout's ``publicar`` has a batch backfill, ``backfill-alias``
    when ``backfill`` is only another name for ``run``, else ``run``."""
    from pipelines.cli import COMMANDS

    if "backfill" not in COMMANDS:
        return "run"
    return "backfill-alias" if COMMANDS["backfill"] is COMMANDS["run"] else "backfill"


def prepare_sources(
    root: Path, start: dt.date, end: dt.date, orders: int, quotations: bool
) -> float:
    """Generate the range's synthetic months where ``publicar`` looks for them; seconds taken."""
    from pipelines.resources import SourceResource
    from settings import default_source_dir

    began = time.perf_counter()
    source = SourceResource(
        kind="synthetic",
        directory=str(root / default_source_dir("synthetic")),
        orders_per_month=orders,
        quotations=quotations,
    )
    month = start.replace(day=1)
    while month <= end:
        source.monthly_files(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return time.perf_counter() - began


def command(kind: str, start: dt.date, end: dt.date, root: Path, orders: int) -> list[str]:
    """The publish command over [start, end] on the embedded chain."""
    return [
        str(VENV_BIN / "publicar"),
        kind,
        "--source",
        "synthetic",
        "--orders-per-month",
        str(orders),
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


def _tree_pss(pid: int) -> int:
    """Bytes of memory ``pid`` and all its descendants use now: the sum of their proportional
    set sizes (a page shared by n processes, as after a fork, counts 1/n in each; Linux
    /proc; 0 once gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        proc = Path(f"/proc/{current}")
        try:
            rollup = (proc / "smaps_rollup").read_text().splitlines()
            total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) * 1024
            for task in (proc / "task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError, StopIteration):
            continue
    return total


def child_env(quotations: bool) -> dict[str, str]:
    """This process's environment for the command, without ``PYTHONDONTWRITEBYTECODE``: as
    under ``make`` (the Makefile unexports it), Python caches compiled bytecode in .venv, so
    the run's processes (main, month workers, bulk builder) do not each compile dagster,
    Great Expectations, web3 ... from source again, a cost no ``make`` run pays."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {
        **env,
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "PERUCOMPRAS_SOURCE__QUOTATIONS": "true" if quotations else "false",
    }


def run(argv: list[str], cwd: Path, log: Path, quotations: bool) -> tuple[float, float, float, int]:
    """(seconds, peak RSS MiB of the largest process, peak PSS MiB of the whole process tree,
    exit code) of one child process, its output kept in ``log``."""
    report = cwd / "time.txt"
    with log.open("wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(
            [GNU_TIME, "-f", "%M", "-o", str(report), *argv],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env(quotations),
        )
        tree_peak = 0
        while child.poll() is None:
            tree_peak = max(tree_peak, _tree_pss(child.pid))
            time.sleep(TREE_SAMPLE_SECONDS)
        seconds = time.perf_counter() - start
    lines = [line for line in report.read_text().splitlines() if line.strip()]
    peak = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else 0.0
    return seconds, peak, tree_peak / 2**20, child.returncode


def render(
    *,
    kind: str,
    quotations: bool,
    generation: float,
    start: dt.date,
    end: dt.date,
    orders: int,
    seconds: float,
    rss: float,
    tree_rss: float,
    code: int,
    log_tail: str,
) -> str:
    """The Markdown report."""
    days = (end - start).days + 1
    full_days = (FULL_TO - FULL_FROM).days + 1
    full = start == FULL_FROM and end == FULL_TO
    lines = [
        "# Full-history publication at real volume",
        "",
        "Generated by `.venv/bin/python benchmarks/full_history.py`; do not edit by hand.",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} "
        f"logical CPUs, {platform.system()} {platform.release()}, shared with other jobs "
        f"(load average at the end: {os.getloadavg()[0]:.1f})",
        f"- Command: `publicar {'run' if kind == 'run' else 'backfill'}` (synthetic source, "
        f"{orders:,} orders/month with deliveries"
        + (" and quotations" if quotations else ", no quotations")
        + ", embedded dev chain, bulk files "
        "included), fresh datasets root, fresh process; the synthetic months were generated "
        f"beforehand ({generation / 60:.1f} min, not counted below)",
        f"- **Measured range: {start} → {end} ({days} days)**"
        + ("" if full else f" — not the full history ({FULL_FROM} → {FULL_TO}, {full_days} days)"),
        "",
        "| measured | wall time | days/min | peak RSS, largest process | peak RSS, all "
        "processes (PSS) | exit code |",
        "|---|---|---|---|---|---|",
        f"| {start} → {end} | {seconds / 60:.1f} min | {days / (seconds / 60):.1f} | "
        f"{rss:,.0f} MiB | {tree_rss:,.0f} MiB | {code} |",
        "",
        "- Largest process: GNU `time -f %M` (the largest resident set any one process of the "
        "run reached). All processes: the memory the command's whole process tree uses "
        "(main process, month workers, the background bulk builder, the embedded anvil), as "
        "the sum of their proportional set sizes (pages shared after a fork counted once), "
        f"sampled every {TREE_SAMPLE_SECONDS} s, so a spike shorter than that can be missed.",
        "",
    ]
    if not full:
        estimate = seconds * full_days / days
        lines += [
            f"**Extrapolation, not a measurement:** at the same days/min the full history "
            f"would take ~{estimate / 60:.0f} min (target ≤ {TARGET_SECONDS // 60} min). It "
            "assumes cost linear in days (the bulk files, rebuilt once per run, are counted in "
            "the measured time) and the same machine load; peak RSS is not extrapolated (it "
            "depends on the largest month held at once, not on the number of days).",
            "",
        ]
    if kind != "backfill":
        lines += [
            "This checkout has no batch backfill yet (`publicar backfill` "
            + ("is another name for `publicar run`" if kind == "backfill-alias" else "is absent")
            + "): the figures are one Dagster run per day, the cost the batch backfill of "
            "issue 15 removes. Re-run this script once it is merged.",
            "",
        ]
    lines += ["Last lines of the command's output:", "", "```", log_tail.rstrip(), "```", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Publish the range, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat, default=FULL_FROM)
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, default=FULL_TO)
    parser.add_argument("--orders-per-month", type=int, default=10_000)
    parser.add_argument(
        "--quotations",
        action="store_true",
        help="also generate ~150 quotations per order (the issue's 60-minute target)",
    )
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("full-history.md"))
    parser.add_argument("--keep", type=Path, help="publish here and keep it (default: temp)")
    args = parser.parse_args(argv)
    kind = backfill_kind()
    root = args.keep or Path(tempfile.mkdtemp(prefix="perucompras-full-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        log = root / "publicar.log"
        generation = prepare_sources(
            root, args.start, args.end, args.orders_per_month, args.quotations
        )
        verb = "run" if kind == "run" else "backfill"
        seconds, rss, tree_rss, code = run(
            command(verb, args.start, args.end, root, args.orders_per_month),
            root,
            log,
            args.quotations,
        )
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    args.output.write_text(
        render(
            kind=kind,
            quotations=args.quotations,
            generation=generation,
            start=args.start,
            end=args.end,
            orders=args.orders_per_month,
            seconds=seconds,
            rss=rss,
            tree_rss=tree_rss,
            code=code,
            log_tail=tail,
        ),
        encoding="utf-8",
    )
    print(f"wrote {args.output}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
