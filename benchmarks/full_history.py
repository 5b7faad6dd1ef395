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
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
GNU_TIME = "/usr/bin/time"
FULL_FROM = dt.date(2022, 1, 1)
FULL_TO = dt.date(2026, 11, 30)
TARGET_SECONDS = 600
TARGET_RSS_MIB = 2048
# Issue 15's targets with ~150 quotations per order (~88 million quotation rows).
QUOTATIONS_TARGET_SECONDS = 3600
QUOTATIONS_TARGET_RSS_MIB = 3072
ROLES = {
    "main": "main process",
    "months": "month workers",
    "ahead": "background process (extracts, months built ahead)",
    "bulk": "bulk build workers",
    # A checkout whose workers do not name themselves (publication.process_name).
    "background": "background workers (month workers, the bulk build's)",
    "anvil": "embedded anvil",
    "other": "other",
}
# The names the run's worker processes give themselves (publication.process_name).
WORKER_NAMES = {b"publicar-months": "months", b"publicar-ahead": "ahead", b"publicar-bulk": "bulk"}
BACKGROUND = ("months", "ahead", "bulk", "background")
TREE_SAMPLE_SECONDS = 1.0  # reading smaps_rollup of GB-sized processes costs CPU
# A fixed piece of CPU work timed before and after the command: the shared machine's speed
# moves during a day (the same code took 11.1 and 13.7 min three hours apart, with 19.0 and
# 23.1 min of CPU time), so a report says how fast the machine was while it ran.
REFERENCE_HASH_BYTES = 256 * 2**20
REFERENCE_LOOP = 6_000_000
REFERENCE_REPEATS = 3


def backfill_kind() -> str:
    """``backfill`` when this checkout's ``publicar`` has a batch backfill, ``backfill-alias``
    when ``backfill`` is only another name for ``run``, else ``run``."""
    from pipelines.cli import COMMANDS

    if "backfill" not in COMMANDS:
        return "run"
    return "backfill-alias" if COMMANDS["backfill"] is COMMANDS["run"] else "backfill"


def reference_seconds() -> float:
    """CPU seconds of a fixed workload on one core (SHA-256 of 256 MiB, then a pure-Python
    loop), the median of ``REFERENCE_REPEATS`` runs: lower means a faster machine."""
    data = bytes(REFERENCE_HASH_BYTES)
    runs = []
    for _ in range(REFERENCE_REPEATS):
        began = time.process_time()
        hashlib.sha256(data).digest()
        total = 0
        for number in range(REFERENCE_LOOP):
            total += number * number
        runs.append(time.process_time() - began)
    return statistics.median(runs)


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


# What a run leaves in its root besides the source months (``.cache``), all removed before the
# next run there: the report is of a publication from scratch, not of a re-run that skips days.
RUN_OUTPUTS = ("datasets", ".datasets-state", "chain", ".dagster_home", "publicar.log", "time.txt")


def fresh_root(root: Path) -> None:
    """Remove what an earlier run published in ``root``, keeping its generated source."""
    for name in RUN_OUTPUTS:
        path = root / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


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


def _tree_pss(pid: int) -> dict[int, tuple[str, int]]:
    """What ``pid`` and all its descendants use now: (role, bytes) per process, the bytes
    its proportional set size (a page shared by n processes, as after a fork, counts 1/n in
    each; Linux /proc; a process gone meanwhile is left out)."""
    found: dict[int, tuple[str, int]] = {}
    pending = [pid]
    while pending:
        current = pending.pop()
        proc = Path(f"/proc/{current}")
        try:
            rollup = (proc / "smaps_rollup").read_text().splitlines()
            pss = next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            role = _role((proc / "cmdline").read_bytes(), (proc / "comm").read_bytes().strip())
            found[current] = (role, pss * 1024)
            for task in (proc / "task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError, StopIteration):
            continue
    return found


def _role(cmdline: bytes, comm: bytes = b"") -> str:
    """Which part of the run a process is, from its name and command line."""
    if comm in WORKER_NAMES:
        return WORKER_NAMES[comm]
    if b"anvil" in cmdline:
        return "anvil"
    if b"spawn_main" in cmdline:  # a worker that does not name itself
        return "background"
    if b"publicar" in cmdline and not cmdline.startswith(GNU_TIME.encode()):
        return "main"
    return "other"


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


@dataclass(frozen=True)
class Measured:
    """What one run of the command cost."""

    seconds: float  # wall time
    rss: float  # MiB, peak resident set of the largest process
    tree_rss: float  # MiB, peak PSS of the whole process tree
    cpu: float  # seconds, user + system of the command and the children it waited for
    code: int
    tree_parts: tuple[tuple[str, int, float], ...] = ()  # (role, processes, MiB) at that peak
    tree_at: float = 0.0  # seconds into the run of that peak
    # (role, MiB): each role's own largest sum over the run, whenever it came
    role_peaks: tuple[tuple[str, float], ...] = ()
    # (role, MiB): the main process's peak while workers of that kind ran
    main_beside: tuple[tuple[str, float], ...] = ()
    workers_together: bool = False  # whether workers of two kinds ever ran at once

    def bound(self) -> tuple[float, str | None]:
        """(MiB, worker role): the most the run would have used had the main process's and
        one kind of workers' largest moments (while those ran) come together, with the other
        parts' peaks; the worker role None when two kinds ran at once (then all of them
        count, with the main process's largest peak beside any)."""
        peaks = dict(self.role_peaks)
        beside = dict(self.main_beside)
        rest = sum(size for role, size in peaks.items() if role not in ("main", *BACKGROUND))
        if not beside:
            return peaks.get("main", 0.0) + rest, None
        if self.workers_together:
            workers = sum(size for role, size in peaks.items() if role in BACKGROUND)
            return max(beside.values()) + workers + rest, None
        role = max(beside, key=lambda r: beside[r] + peaks.get(r, 0.0))
        return beside[role] + peaks.get(role, 0.0) + rest, role


def _time_report(report: Path) -> tuple[float, float]:
    """(peak RSS MiB, user + system seconds) from GNU time's ``%M %U %S`` line (0 if absent)."""
    for line in reversed(report.read_text().splitlines()):
        fields = line.split()
        if len(fields) == 3 and fields[0].isdigit():
            return int(fields[0]) / 1024, float(fields[1]) + float(fields[2])
    return 0.0, 0.0


def disk_usage(path: Path) -> int:
    """Bytes the files under ``path`` occupy, a hard-linked file counted once (as ``du``)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                stat = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512
    return total


# What the datasets root holds, by kind of file, for the report's disk breakdown (first match).
DAILY_OCDS = ("-releases.json", "-releases.jsonl", "-records.json")
DISK_KINDS = {
    "daily": "daily OCDS JSON (`releases.json`, `releases.jsonl`, `records.json`)",
    "daily-other": "daily other files (CSV, Parquet, quality reports, manifests)",
    ".jsonl.gz": "bulk JSON Lines (gzip: releases, compiled releases)",
    ".csv": "bulk CSV",
    ".parquet": "bulk Parquet",
    ".xlsx": "bulk Excel",
    "bulk-other": "bulk other (manifests, data packages)",
    "site": "site, catalogues and change log",
}


def filesystem(path: Path, mounts: str | None = None) -> str:
    """The type and options of the filesystem ``path`` is on (the longest mount point that
    holds it, from ``/proc/mounts``): a compressed filesystem writes the same bytes with more
    CPU time, so a report says what the outputs were written to."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text()
        except OSError:
            return "unknown"
    target = str(path.resolve())
    best, found = "", "unknown"
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, found = point, f"{fields[2]} ({fields[3]})"
    return found


def disk_by_kind(datasets: Path) -> dict[str, int]:
    """Bytes under ``datasets`` by ``DISK_KINDS`` key, a hard-linked file counted once: day
    folders are ``YYYY/MM/DD`` under a dataset folder, bulk files in a ``-bulk`` folder."""
    seen: set[tuple[int, int]] = set()
    sizes: Counter[str] = Counter()
    for folder, _, names in os.walk(datasets):
        parts = Path(folder).relative_to(datasets).parts
        day = len(parts) == 4 and all(part.isdigit() for part in parts[1:])
        bulk = len(parts) >= 1 and parts[0].endswith("-bulk")
        for name in names:
            try:
                stat = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if (stat.st_dev, stat.st_ino) in seen:
                continue
            seen.add((stat.st_dev, stat.st_ino))
            if day:
                kind = "daily" if name.endswith(DAILY_OCDS) else "daily-other"
            elif bulk:
                kind = next(
                    (s for s in (".jsonl.gz", ".csv", ".parquet", ".xlsx") if name.endswith(s)),
                    "bulk-other",
                )
            else:
                kind = "site"
            sizes[kind] += stat.st_blocks * 512
    return {kind: sizes[kind] for kind in DISK_KINDS if sizes[kind]}


def run(argv: list[str], cwd: Path, log: Path, quotations: bool) -> Measured:
    """The cost of one child process, its output kept in ``log``."""
    report = cwd / "time.txt"
    with log.open("wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(
            [GNU_TIME, "-f", "%M %U %S", "-o", str(report), *argv],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env(quotations),
        )
        tree_peak, parts, at = 0, {}, 0.0
        role_peaks: Counter[str] = Counter()
        main_beside: Counter[str] = Counter()
        together = False
        while child.poll() is None:
            now = _tree_pss(child.pid)
            roles = {role: size for role, _, size in _by_role(now.values())}
            for role, size in roles.items():
                role_peaks[role] = max(role_peaks[role], round(size * 2**20))
            workers = [role for role in roles if role in BACKGROUND]
            together = together or len(workers) > 1
            for role in workers:
                main_beside[role] = max(main_beside[role], round(roles.get("main", 0) * 2**20))
            if sum(size for _, size in now.values()) > tree_peak:
                tree_peak = sum(size for _, size in now.values())
                parts, at = now, time.perf_counter() - start
            time.sleep(TREE_SAMPLE_SECONDS)
        seconds = time.perf_counter() - start
    peak, cpu = _time_report(report)
    return Measured(
        seconds,
        peak,
        tree_peak / 2**20,
        cpu,
        child.returncode,
        _by_role(parts.values()),
        at,
        tuple((role, size / 2**20) for role, size in role_peaks.most_common()),
        tuple((role, size / 2**20) for role, size in sorted(main_beside.items())),
        together,
    )


def _bound_text(measured: Measured, target_rss: int) -> str:
    """The report's sentences on how far the parts' peaks could add up (none without workers)."""
    if not measured.main_beside:
        return ""
    bound, role = measured.bound()
    verdict = f"{bound:,.0f} MiB " + ("(under" if bound < target_rss else "(**over**")
    verdict += f" the {target_rss:,} MiB target)"
    text = " The main process's peak while each kind of worker ran: " + ", ".join(
        f"{ROLES.get(r, r)} {size:,.0f} MiB" for r, size in measured.main_beside
    )
    if role is None:
        text += (
            ". Workers of two kinds ran at once: had the main process's largest moment beside "
            f"them come together with every other part's peak, the run would have used {verdict}."
        )
    else:
        text += (
            ". No two kinds of worker ran at once, so the most the run could have used is the "
            "main process's peak beside one kind, plus that kind's peak and the other parts' "
            f"(anvil, other): {verdict}, beside the {ROLES.get(role, role)}."
        )
    return text + (
        " The all-processes peak measured depends on how those moments overlap, which varies "
        "from run to run."
    )


def _by_role(processes: Iterable[tuple[str, int]]) -> tuple[tuple[str, int, float], ...]:
    """(role, processes, MiB) of each role, largest first."""
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for role, size in processes:
        counts[role] += 1
        sizes[role] += size
    return tuple((role, counts[role], sizes[role] / 2**20) for role, _ in sizes.most_common())


def render(
    *,
    kind: str,
    quotations: bool,
    generation: float,
    start: dt.date,
    end: dt.date,
    orders: int,
    measured: Measured,
    disk: dict[str, int],
    source_bytes: int,
    log_tail: str,
    reference: tuple[float, float] | None = None,
    kinds: dict[str, int] | None = None,
    fs: str | None = None,
) -> str:
    """The Markdown report (``reference``: ``reference_seconds`` before and after the command;
    ``kinds``: the datasets' bytes by ``disk_by_kind``)."""
    seconds, rss, tree_rss, code = (
        measured.seconds,
        measured.rss,
        measured.tree_rss,
        measured.code,
    )
    target_seconds = QUOTATIONS_TARGET_SECONDS if quotations else TARGET_SECONDS
    target_rss = QUOTATIONS_TARGET_RSS_MIB if quotations else TARGET_RSS_MIB
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
        "included), fresh datasets root, fresh process; "
        + (
            f"the synthetic months were generated beforehand ({generation / 60:.1f} min, not "
            "counted below; a month already in the root's source folder, from an earlier run, "
            "is not generated again)"
            if generation >= 3
            else "the synthetic months were already in the root's source folder, from an "
            f"earlier run (finding them took {generation:.1f} s, not counted below)"
        ),
        f"- **Measured range: {start} → {end} ({days} days)**"
        + ("" if full else f" — not the full history ({FULL_FROM} → {FULL_TO}, {full_days} days)"),
        "",
        "| measured | wall time | CPU time (user+sys) | days/min | peak RSS, largest process "
        "| peak RSS, all processes (PSS) | exit code |",
        "|---|---|---|---|---|---|---|",
        f"| {start} → {end} | {seconds / 60:.1f} min | {measured.cpu / 60:.1f} min | "
        f"{days / (seconds / 60):.1f} | {rss:,.0f} MiB | {tree_rss:,.0f} MiB | {code} |",
        "",
        f"- Targets: ≤ {target_seconds // 60} min and < {target_rss:,} MiB"
        + (" (with quotations)" if quotations else "")
        + ". CPU time: GNU `time` `%U + %S` of the command and the children it waited for "
        "(month workers, bulk builder); on a shared machine it varies less than wall time.",
        "- Disk after the run (hard links counted once): "
        + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in disk.items())
        + f"; the synthetic source read (input, not counted): {source_bytes / 2**20:,.0f} MiB"
        + (f"; the root's filesystem: {fs}" if fs else ""),
        "",
        "- Largest process: GNU `time -f %M` (the largest resident set any one process of the "
        "run reached). All processes: the memory the command's whole process tree uses "
        "(main process, month workers, the background bulk builder, the embedded anvil), as "
        "the sum of their proportional set sizes (pages shared after a fork counted once), "
        f"sampled every {TREE_SAMPLE_SECONDS} s, so a spike shorter than that can be missed.",
    ]
    if measured.tree_parts:
        lines.append(
            f"- At the all-processes peak ({measured.tree_at / 60:.1f} min into the run): "
            + ", ".join(
                f"{ROLES.get(role, role)} {size:,.0f} MiB"
                + (f" ({count} processes)" if count > 1 else "")
                for role, count, size in measured.tree_parts
            )
            + "."
        )
    if measured.role_peaks:
        lines.append(
            "- Each part's own peak, whenever it came: "
            + ", ".join(
                f"{ROLES.get(role, role)} {size:,.0f} MiB" for role, size in measured.role_peaks
            )
            + "."
            + _bound_text(measured, target_rss)
        )
    if reference is not None:
        lines.append(
            f"- Machine speed while it ran: a fixed piece of CPU work (`reference_seconds`: "
            f"SHA-256 of {REFERENCE_HASH_BYTES // 2**20} MiB and a pure-Python loop, one core, "
            f"median of {REFERENCE_REPEATS}) took {reference[0]:.2f} s before the command and "
            f"{reference[1]:.2f} s after it (lower is faster). The machine is shared and its "
            "speed moves during a day: compare two reports by this figure as well as by their "
            "times."
        )
    lines.append("")
    if kinds:
        total = sum(kinds.values())
        scale = full_days / days
        lines += [
            "Where the datasets' disk goes (hard links counted once"
            + ("" if full else "; the full history's figure scales the measured one by days")
            + "):",
            "",
            "| files | measured | share |" + ("" if full else " full history (~) |"),
            "|---|---|---|" + ("" if full else "---|"),
            *(
                f"| {DISK_KINDS[kind]} | {size / 2**20:,.0f} MiB | {size / total:.0%} |"
                + ("" if full else f" {size * scale / 2**30:,.1f} GiB |")
                for kind, size in kinds.items()
            ),
            "",
        ]
    if not full:
        estimate = seconds * full_days / days
        scale = full_days / days
        lines += [
            f"**Extrapolation, not a measurement:** at the same days/min the full history "
            f"would take ~{estimate / 60:.0f} min (target ≤ {target_seconds // 60} min), "
            f"~{measured.cpu * scale / 60:.0f} min of CPU time, and its outputs would occupy "
            f"~{sum(disk.values()) * scale / 2**30:,.0f} GiB. It assumes cost and size linear "
            "in days (the bulk files, rebuilt once per run, are counted in the measured time; "
            "a month's data is in its month's, its year's and the full history's files, in a "
            "short range as in the full one) and "
            "the same machine load; peak RSS is not extrapolated (it depends on the largest "
            "month held at once and on how the processes' largest moments overlap, not on the "
            "number of days).",
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
    parser.add_argument(
        "--keep",
        type=Path,
        help="publish here and keep it (default: a temporary folder); what an earlier run "
        "published there is removed first, the generated source months are kept",
    )
    args = parser.parse_args(argv)
    kind = backfill_kind()
    root = args.keep or Path(tempfile.mkdtemp(prefix="perucompras-full-"))
    root.mkdir(parents=True, exist_ok=True)
    fresh_root(root)
    try:
        log = root / "publicar.log"
        generation = prepare_sources(
            root, args.start, args.end, args.orders_per_month, args.quotations
        )
        verb = "run" if kind == "run" else "backfill"
        before = reference_seconds()
        measured = run(
            command(verb, args.start, args.end, root, args.orders_per_month),
            root,
            log,
            args.quotations,
        )
        reference = (before, reference_seconds())
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        disk = {
            "datasets": disk_usage(root / "datasets"),
            "status store and caches": disk_usage(root / ".datasets-state"),
        }
        source_bytes = disk_usage(root / ".cache")
        kinds = disk_by_kind(root / "datasets")
        fs = filesystem(root)
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
            measured=measured,
            disk=disk,
            source_bytes=source_bytes,
            log_tail=tail,
            reference=reference,
            kinds=kinds,
            fs=fs,
        ),
        encoding="utf-8",
    )
    print(f"wrote {args.output}", file=sys.stderr)
    return measured.code


if __name__ == "__main__":
    sys.exit(main())
