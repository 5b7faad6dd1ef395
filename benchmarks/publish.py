"""Our whole publish (``publicar run``) vs peer tools on the same releases, the streaming
reader's peak memory on a 500k-row month, and a profile of where the publish spends its time.

Imported by ``benchmarks/run.py``; ``python benchmarks/publish.py --profile ...`` is the child
process that runs the publish under pyinstrument.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

VENV_BIN = Path(sys.executable).parent
GNU_TIME = "/usr/bin/time"
DATASET = "perucompras-ocam"
FIRST_DAY = dt.date(2026, 1, 5)


@dataclass(frozen=True)
class Child:
    """Wall seconds, peak RSS (MiB), exit code and the end of the error output of one child
    process."""

    seconds: float
    rss_mib: float
    returncode: int
    stderr_tail: str = ""


def child(
    command: Sequence[str],
    *,
    cwd: Path,
    stdin: Path | None = None,
    stdout: Path | None = None,
    env: dict[str, str] | None = None,
) -> Child:
    """Run ``command`` under GNU time (a small process forks it, so the RSS is its own);
    ``env`` is added to this process's environment."""
    with (
        tempfile.NamedTemporaryFile("r", suffix=".rss") as report,
        tempfile.TemporaryFile() as errors,
    ):
        inp = stdin.open("rb") if stdin else subprocess.DEVNULL
        out = stdout.open("wb") if stdout else subprocess.DEVNULL
        try:
            start = time.perf_counter()
            done = subprocess.run(
                [GNU_TIME, "-f", "%M", "-o", report.name, *command],
                cwd=cwd,
                stdin=inp,
                stdout=out,
                stderr=errors,
                check=False,
                env={**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1", **(env or {})},
            )
            seconds = time.perf_counter() - start
        finally:
            for handle in (inp, out):
                if not isinstance(handle, int):
                    handle.close()
        lines = [line for line in Path(report.name).read_text().splitlines() if line.strip()]
        errors.seek(max(0, errors.seek(0, os.SEEK_END) - 4000))
        tail = errors.read().decode("utf-8", "replace")
    peak = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return Child(seconds, peak / 1024, done.returncode, tail)


def publish_command(
    root: Path, days: int, orders: int, verb: str = "run", first: dt.date = FIRST_DAY
) -> list[str]:
    """``publicar run`` (or ``verb``: ``backfill``) over ``days`` synthetic days from ``first``
    on the embedded chain (no bulk files)."""
    last = first + dt.timedelta(days=days - 1)
    return [
        str(VENV_BIN / "publicar"),
        verb,
        "--source",
        "synthetic",
        "--orders-per-month",
        str(orders),
        "--from",
        first.isoformat(),
        "--to",
        last.isoformat(),
        "--datasets",
        str(root / "datasets"),
        "--chain",
        "devchain",
        "--devchain",
        str(root / "chain"),
        "--no-bulk",
    ]


def prepare_source(cwd: Path, orders: int, *, quotations: bool = True) -> None:
    """Generate the synthetic month in ``cwd``'s source cache, as ``publicar run`` would, so
    that the timed runs read it instead of generating it."""
    from pipelines.resources import SourceResource
    from settings import default_source_dir

    cwd.mkdir(parents=True, exist_ok=True)
    folder = cwd / default_source_dir("synthetic")
    SourceResource(
        kind="synthetic", directory=str(folder), orders_per_month=orders, quotations=quotations
    ).monthly_files(FIRST_DAY)


def day_folders(datasets: Path) -> list[Path]:
    """Published day folders of the dataset, in date order."""
    base = datasets / DATASET
    return sorted(p for p in base.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]") if p.is_dir())


def manifests_differ(left: Path, right: Path) -> list[str]:
    """Days whose manifest (which lists every day file's SHA-256) differs between two roots."""
    days = {f.relative_to(left) for f in day_folders(left)} | {
        f.relative_to(right) for f in day_folders(right)
    }
    differ = []
    for day in sorted(days):
        found = [sorted((root / day).glob("*-manifest.json")) for root in (left, right)]
        if any(len(paths) != 1 for paths in found) or found[0][0].read_bytes() != (
            found[1][0].read_bytes()
        ):
            differ.append(str(day))
    return differ


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise RuntimeError(f"{folder}: expected one {pattern}, found {[p.name for p in found]}")
    return found[0]


def published_releases(datasets: Path) -> Iterator[bytes]:
    """Every published release line, day by day."""
    for folder in day_folders(datasets):
        yield from _one(folder, "*-releases.jsonl").read_bytes().splitlines()


def published_compiled(datasets: Path) -> dict[str, dict[str, Any]]:
    """The newest compiled release of every ocid, from the days' record packages."""
    newest: dict[str, dict[str, Any]] = {}
    for folder in day_folders(datasets):
        package = orjson.loads(_one(folder, "*-records.json").read_bytes())
        for record in package["records"]:
            newest[record["ocid"]] = record["compiledRelease"]
    return newest


def compare_compiled(ours: dict[str, Any], reference_jsonl: Path) -> tuple[int, list[str]]:
    """(compiled releases compared, ocids whose canonical bytes differ or are missing)."""
    from integrity.canonical import canonical_bytes

    theirs = {
        r["ocid"]: r for r in map(orjson.loads, reference_jsonl.read_bytes().splitlines()) if r
    }
    differ = sorted(
        ocid
        for ocid in set(ours) | set(theirs)
        if ocid not in ours
        or ocid not in theirs
        or canonical_bytes(ours[ocid]) != canonical_bytes(theirs[ocid])
    )
    return len(theirs), differ


def rs_matches(releases_jsonl: Path) -> tuple[int, int, float, float]:
    """ocdsmerge-rs vs ocdsmerge on every history: (histories, equal, seconds py, seconds rs)."""
    from ocdsmerge import Merger
    from ocdsmerge_rs import Merger as RsMerger

    from integrity.canonical import canonical_bytes
    from ocds_mappings.schema import load_release_schema

    schema = load_release_schema(None)
    histories: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in releases_jsonl.read_bytes().splitlines():
        release = orjson.loads(line)
        histories[release["ocid"]].append(release)
    ordered = [sorted(h, key=lambda r: r["date"]) for h in histories.values()]
    py = Merger(schema=schema)
    rs = RsMerger(rules=RsMerger.get_rules(RsMerger.dereference(schema)))
    start = time.perf_counter()
    reference = [py.create_compiled_release([dict(r) for r in h]) for h in ordered]
    middle = time.perf_counter()
    fast = [rs.create_compiled_release(h) for h in ordered]
    end = time.perf_counter()
    equal = sum(
        canonical_bytes(a) == canonical_bytes(b) for a, b in zip(reference, fast, strict=True)
    )
    return len(ordered), equal, middle - start, end - middle


# --------------------------------------------------------------------------- profile


def profile_publish(root: Path, days: int, orders: int, output: Path) -> None:
    """Run ``publicar run`` in this process under pyinstrument; self time per function/package."""
    from pyinstrument import Profiler
    from pyinstrument.session import Session

    from pipelines.cli import main

    command = publish_command(root, days, orders)[1:]
    # The companions worker (``publication.ahead``) parses the month's detailed export while
    # this process reads and checks the orders; ``worker_profile`` profiles it too.
    workers = Path(tempfile.mkdtemp(prefix="worker-profile-"))
    hook = str(Path(__file__).with_name("worker_profile"))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [hook, os.environ.get("PYTHONPATH")]))
    os.environ["BENCH_WORKER_PROFILE"] = str(workers)
    profiler = Profiler(interval=0.005)
    profiler.start()
    code = main(command)
    session = profiler.stop()
    if code:
        raise SystemExit(f"publicar run exited with {code}")
    summary = summarise(session)
    saved = sorted(workers.glob("*.pyisession"))
    summary["workers"] = len(saved)
    if saved:
        worker_sessions = [Session.load(str(path)) for path in saved]
        combined = worker_sessions[0]
        for other in worker_sessions[1:]:
            combined = Session.combine(combined, other)
        summary["worker"] = summarise(combined, WORKER_STEPS)
    output.write_text(json.dumps(summary))


# The companions worker's own steps: parsing the detailed export, the quotations, and the
# cache files written from them (``publication.details``).
WORKER_STEPS = {
    "read_detailed_export_reusing": "detailed export (XLSX) parse",
    "QuotationStream._generate": "quotations (CSV) parse",
    "ParquetWriter.write_table": "Parquet cache writes",
}


def summarise(session: Any, named: dict[str, str] | None = None) -> dict[str, Any]:
    """Self time per function and per package, inclusive time per day step of ours (or, with
    ``named``, of the functions it names, by its label)."""
    by_function: dict[str, float] = defaultdict(float)
    by_package: dict[str, float] = defaultdict(float)
    by_step: dict[str, float] = defaultdict(float)
    stack: list[tuple[Any, frozenset[str]]] = [(session.root_frame(), frozenset())]
    while stack:
        frame, open_steps = stack.pop()
        if frame is None:
            continue
        path = frame.file_path or ""
        if named is None:
            step = _step_of(frame.function, path)
        else:
            owner_class = getattr(frame, "class_name", None)
            step = named.get(f"{owner_class}.{frame.function}" if owner_class else frame.function)
        if step and step not in open_steps:
            by_step[step] += frame.time
            open_steps = open_steps | {step}
        stack.extend((c, open_steps) for c in frame.children)
        # a "[self]" frame's time is already in its parent's total_self_time
        own = 0.0 if frame.is_synthetic else frame.total_self_time
        if not own:
            continue
        owner = frame
        # built-ins are charged to (and named with) their Python caller
        while owner.parent is not None and (
            not owner.file_path or owner.file_path.startswith("<built-in")
        ):
            owner = owner.parent
        name = f"{owner.function} ({owner.file_path_short}:{owner.line_no})"
        if owner is not frame:
            name = f"{frame.function} ← {name}"
        by_function[name] += own
        by_package[_package_of(owner.file_path or "")] += own
    return {
        "seconds": session.duration,
        "functions": sorted(by_function.items(), key=lambda i: -i[1])[:15],
        "packages": sorted(by_package.items(), key=lambda i: -i[1])[:12],
        "steps": sorted(by_step.items(), key=lambda i: -i[1]),
    }


def _step_of(function: str, path: str) -> str | None:
    """``module.function`` of a day step or asset of ours (inclusive time is summed per step)."""
    for folder in ("publication/steps/", "pipelines/", "publication/"):
        if f"/{folder}" in path and not function.startswith(("_", "<", "[")):
            module = path.rsplit("/", 1)[1].removesuffix(".py")
            if folder == "publication/steps/" or (
                folder == "pipelines/" and module in ("assets", "bulk")
            ):
                return f"{module}.{function}"
            return None
    return None


def _package_of(path: str) -> str:
    """Top-level package of a source file (project packages by name, else site-package name)."""
    marker = "site-packages/"
    if marker in path:
        return path.split(marker, 1)[1].split("/", 1)[0].removesuffix(".py")
    for name in (
        "pipelines",
        "publication",
        "quality",
        "ocds_mappings",
        "perucompras",
        "integrity",
        "settings",
        "messages",
    ):
        if f"/{name}/" in path:
            return f"{name} (ours)"
    if "/lib/python3" in path:
        return "stdlib"
    return "<built-in / other>"


def main(argv: Sequence[str] | None = None) -> int:
    """Child entry point: profile one publish."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", type=Path, required=True, help="JSON summary to write")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args(argv)
    profile_publish(args.root, args.days, args.orders, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
