"""`publicar run` / `publicar backfill`: materialise daily partitions in date order, in-process.

A range that cannot run is refused before anything is written, with one line and exit status 2
(``messages/run.py``): ``--from`` after ``--to`` or before the first partition
(``history_start``), ``--to`` after today, a directory source that does not exist or holds no
monthly file; a day whose month has no file stops the run there, the same way. With a folder of
real files and no ``--to``, the range ends with the newest month in the folder, so
``publicar run --source DIR --from 2022-01-01`` backfills the whole folder, day by day in date
order.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from messages import text
from settings import Settings, env_name

if TYPE_CHECKING:
    from publication.batch import DayJob

# The op of the daily multi-asset (``pipelines.assets.daily_steps``): its outputs are the assets.
DAY_NODE = "daily_steps"

HELP = "Extract, check, map, publish and anchor a range of days (default: the last 7 days)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `publicar run`; each one overrides the setting it names."""
    parser.add_argument(
        "--source",
        help="'synthetic' (seeded files in the real format), 'portal' (download the monthly "
        "files from the national open data portal) or a directory of real "
        "ReportePCBienesYYYYMM.csv files (default: the source.kind setting)",
    )
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat, help="first day")
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, help="last day")
    parser.add_argument(
        "--datasets", help="datasets root: a folder or s3://bucket/prefix (default: the setting)"
    )
    parser.add_argument(
        "--chain",
        choices=["devchain", "rpc"],
        help="devchain: embedded anvil; rpc: the chain.* settings (default: chain.mode)",
    )
    parser.add_argument(
        "--devchain",
        type=Path,
        help="state folder of the embedded chain (default: .devchain for the default datasets "
        "root, else a .NAME-devchain folder beside --datasets, so roots never share a chain)",
    )
    parser.add_argument("--orders-per-month", type=int, help="synthetic orders per month")
    parser.add_argument(
        "--verbose", action="store_true", help="show Dagster's step-by-step log (DEBUG)"
    )
    parser.add_argument(
        "--no-bulk",
        action="store_true",
        help="do not bring the bulk files (month, year, full history) up to date after the days",
    )


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags override."""
    given: dict[str, Any] = {}
    source: dict[str, Any] = {}
    chain: dict[str, Any] = {}
    if args.datasets is not None:
        given["datasets_root"] = args.datasets
    if args.source in ("synthetic", "portal"):
        source["kind"] = args.source
    elif args.source is not None:
        source.update(kind="directory", directory=Path(args.source))
    if args.orders_per_month is not None:
        source["orders_per_month"] = args.orders_per_month
    if args.chain is not None:
        chain["mode"] = args.chain
    if args.devchain is not None:
        chain["devchain_dir"] = args.devchain
    if source:
        given["source"] = source
    if chain:
        given["chain"] = chain
    return given


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 7 complete days in Lima."""
    today = today or dt.datetime.now(ZoneInfo("America/Lima")).date()
    return today - dt.timedelta(days=7), today - dt.timedelta(days=1)


def dagster_home(settings: Settings) -> Path:
    """A persistent Dagster home so that `make ui` shows these runs (telemetry off)."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_bytes(
            files("pipelines").joinpath("dagster.yaml").read_bytes()
        )
    return home


def dagster_instance(home: Path) -> Any:
    """The Dagster instance of ``home``; with Dagster's SQLite storage (the default), through
    ``pipelines.dagster_storage``: the same databases, written through pooled connections; with
    its local compute logs (the default), the same files, mirrored to the terminal by a thread
    rather than by processes."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    from pipelines.dagster_storage import (
        LOCAL_COMPUTE_LOGS,
        SQLITE_STORAGE,
        storage_override,
        tailing_compute_logs,
    )

    ref = InstanceRef.from_dir(str(home))
    data = ref.storage_data
    if data is not None and (data.module_name, data.class_name) == SQLITE_STORAGE:
        base_dir = data.config_dict.get("base_dir")
        if isinstance(base_dir, str):
            ref = InstanceRef.from_dir(str(home), overrides=storage_override(base_dir))
    logs = ref.compute_logs_data
    if (logs.module_name, logs.class_name) == LOCAL_COMPUTE_LOGS:
        ref = ref._replace(compute_logs_data=tailing_compute_logs(logs))
    return DagsterInstance.from_ref(ref)


def _refuse(key: str, settings: Settings, **params: object) -> int:
    """One line on stderr (the catalogue's ``run.*`` text) and exit status 2."""
    print(text(key, settings.lang, **params), file=sys.stderr)
    return 2


def monthly_files(settings: Settings) -> dict[tuple[int, int], list[Path]] | None:
    """The directory source's monthly files by month (None for generated or downloaded
    sources, whose files appear as the run needs them)."""
    if settings.source.kind != "directory":
        return None
    from perucompras.reader import month_of_file, read_source_dir

    months: dict[tuple[int, int], list[Path]] = {}
    for path in read_source_dir(settings.source_dir):
        months.setdefault(month_of_file(path), []).append(path)
    return months


def day_range(
    args: argparse.Namespace, settings: Settings, months: dict[tuple[int, int], list[Path]] | None
) -> tuple[dt.date, dt.date]:
    """The days to run: the flags, else the last 7 days; with a folder of real files and no
    ``--to``, the range ends with the newest month on disk (so a backfill covers the folder,
    and without flags the run is the last 7 days that have a file)."""
    start, end = default_range()
    if months and args.end is None:
        year, month = max(months)
        end = min(end, dt.date(year, month, calendar.monthrange(year, month)[1]))
        start = end - dt.timedelta(days=6)
    return args.start or max(start, settings.history_start), args.end or end


def check_range(
    start: dt.date,
    end: dt.date,
    settings: Settings,
    months: dict[tuple[int, int], list[Path]] | None,
) -> int | None:
    """Exit status 2 with one line for a range that cannot run, else None."""
    if start > end:
        return _refuse("run.from_after_to", settings, start=start, end=end)
    if start < settings.history_start:
        return _refuse(
            "run.before_first_day",
            settings,
            start=start,
            first=settings.history_start,
            variable=env_name("history_start"),
        )
    last = dt.datetime.now(ZoneInfo("America/Lima")).date() - dt.timedelta(days=1)
    if end > last:
        return _refuse("run.after_last_day", settings, end=end, last=last)
    if months is None:
        return None
    folder = settings.source_dir
    if not folder.is_dir():
        return _refuse("run.no_source_folder", settings, folder=folder)
    if not months:
        return _refuse("run.no_monthly_files", settings, folder=folder)
    return None


def missing_month(
    day: dt.date, settings: Settings, months: dict[tuple[int, int], list[Path]] | None
) -> int | None:
    """Exit status 2 with one line when a directory source has no monthly file for ``day``."""
    if months is None or (day.year, day.month) in months:
        return None
    first, last = min(months), max(months)
    return _refuse(
        "run.no_file_for_day",
        settings,
        day=day,
        month=f"{day:%Y%m}",
        folder=settings.source_dir,
        first=f"{first[0]:04d}-{first[1]:02d}",
        last=f"{last[0]:04d}-{last[1]:02d}",
    )


def plan(
    args: argparse.Namespace, settings: Settings
) -> tuple[dt.date, dt.date, dict[tuple[int, int], list[Path]] | None]:
    """The range to run and, for a directory source, its monthly files by month."""
    months = monthly_files(settings)
    start, end = day_range(args, settings, months)
    return start, end, months


def refuse(args: argparse.Namespace, settings: Settings) -> int | None:
    """Exit status 2 with one line for a range that cannot run (before anything is written,
    the root's lock included), else None."""
    if settings.source.kind == "directory" and not settings.source_dir.is_dir():
        return _refuse("run.no_source_folder", settings, folder=settings.source_dir)
    start, end, months = plan(args, settings)
    return check_range(start, end, settings, months)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Run the days in date order; stop at the first failed day (days are chained)."""
    refused = refuse(args, settings)
    if refused is not None:
        return refused
    start, end, months = plan(args, settings)
    from pipelines.resources import DatasetsResource, SourceResource, build_resources

    resources = build_resources(settings)
    datasets, source = resources["datasets"], resources["source"]
    assert isinstance(datasets, DatasetsResource) and isinstance(source, SourceResource)
    with contextlib.ExitStack() as early:
        if months is None or (start.year, start.month) in months:
            # The first day's companion files parsed from now on, while Dagster sets the run
            # up; the day's steps take the worker over (``publication.ahead``).
            ahead = early.enter_context(
                datasets.day_job().companions_ahead(source.companion_files(start), early=True)
            )
            ahead.start()
        return _run_days(args, settings, resources, start, end, months)


def _run_days(
    args: argparse.Namespace,
    settings: Settings,
    resources: dict[str, Any],
    start: dt.date,
    end: dt.date,
    months: dict[tuple[int, int], list[Path]] | None,
) -> int:
    """``handle``'s days, one Dagster run each, then the bulk files."""
    from pipelines.cli.progress import DayProgress

    home = dagster_home(settings)
    job = day_job(settings, resources)
    datasets = resources["datasets"]
    with dagster_instance(home) as instance:
        day = start
        with (
            held_for_days(datasets.day_job()),
            DayProgress((end - start).days + 1, lang=settings.lang) as progress,
        ):
            while day <= end:
                refused = missing_month(day, settings, months)
                if refused is not None:
                    return refused
                result = job.execute_in_process(
                    partition_key=day.isoformat(),
                    instance=instance,
                    tags={"publicar": "run"},
                    raise_on_error=False,
                    run_config={"loggers": {"console": {"config": {"log_level": _level(args)}}}},
                )
                progress.day_done(_summary(day, result), _orders(result))
                if not result.success:
                    print(text("run.day_failed", settings.lang, day=day), file=sys.stderr)
                    print(f"publicar: {_failure(result)}", file=sys.stderr)
                    return 1
                day += dt.timedelta(days=1)
        if args.no_bulk:
            return 0
        return materialize_bulk(resources, instance, verbose=args.verbose)


@contextlib.contextmanager
def held_for_days(job: DayJob) -> Iterator[None]:
    """The status store, held open by ``publicar run`` (which has the root's lock) for its days,
    as ``publicar backfill`` holds it (``pipelines.ranges.RangeRun``): the steps' own opens
    become cursors on it. The parse cache is read, not filled: a month's file whose bytes a
    backfill (or its workers) already parsed is loaded from there instead of parsed again
    (a synthetic month, a folder of real files not yet replaced), while a new snapshot of the
    month's file is parsed in memory, as before, leaving no entry that is never read again."""
    from publication.extract import use_parse_cache
    from publication.prepare import cache_dir
    from publication.state import StateStore, store_path

    with StateStore(
        store_path(job.root, job.state_dir), shared=True, memory_limit=job.state_memory_limit
    ):
        use_parse_cache(cache_dir(job.root, job.state_dir).absolute(), fill=False)
        try:
            yield
        finally:
            use_parse_cache(None)


def day_job(settings: Settings, resources: dict[str, Any]) -> Any:
    """The code location's ``publicar_dia`` job (assets from ``history_start``, these
    resources): runs made here are listed under that job in the Dagster UI, as the
    schedule's and sensor's runs are, not as ephemeral asset runs."""
    from dagster import Definitions

    from pipelines.definitions import day_assets, publish_day_job

    defs = Definitions(assets=day_assets(settings), jobs=[publish_day_job], resources=resources)
    return defs.resolve_job_def(publish_day_job.name)


def materialize_bulk(resources: dict[str, Any], instance: Any, *, verbose: bool = False) -> int:
    """Bring the bulk dataset up to date once, after the last day (exit status), as a run of
    the ``publicar_archivos_masivos`` job."""
    from dagster import Definitions

    from pipelines.bulk import BULK_ASSETS, publish_bulk_job

    defs = Definitions(assets=BULK_ASSETS, jobs=[publish_bulk_job], resources=resources)
    result = defs.resolve_job_def(publish_bulk_job.name).execute_in_process(
        instance=instance,
        tags={"publicar": "bulk"},
        raise_on_error=False,
        run_config={
            "loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "CRITICAL"}}}
        },
    )
    if not result.success:
        print(
            "publicar: the bulk files could not be built or anchored; the days are published. "
            "See the run in the Dagster UI (make ui).",
            file=sys.stderr,
        )
        return 1
    built = result.output_for_node("bulk_files")
    status = built.get("anchor_status")
    if status is None:
        anchor = "-"
    elif status == "anclado":
        anchor = f"anclado seq={built.get('anchor_seq')}"
    else:
        anchor = "anclaje pendiente (publicar anchor --pending)"
    print(
        f"bulk       days={built['days']:<4} up to {built['newest_day']}  "
        f"rebuilt={built['rebuilt']}  {anchor}  ({built['folder']})"
    )
    return 0


def _level(args: argparse.Namespace) -> str:
    """Dagster's console log: everything with --verbose, else nothing (no tracebacks: the
    failure is summed up in one line and kept in the Dagster run)."""
    return "DEBUG" if args.verbose else "CRITICAL"


def materialized(result: Any, asset: str) -> dict[str, Any]:
    """The metadata of the run's materialisation of ``asset`` (a daily asset's name), as plain
    values; empty when the run did not materialise it."""
    for event in result.asset_materializations_for_node(DAY_NODE):
        if event.asset_key.to_user_string() == asset:
            return {key: entry.value for key, entry in event.metadata.items()}
    return {}


def _orders(result: Any) -> int:
    """Source rows of the day a run extracted (0 if extraction failed)."""
    return int(materialized(result, "source_orders").get("source_rows") or 0)


def _failure(result: Any) -> str:
    """The first failed blocking check (name and the first line of what it found), else the
    first failed step and its error message (first line, no traceback)."""
    from dagster import AssetCheckSeverity

    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
            found = (evaluation.description or "").strip().splitlines()
            return f"{evaluation.check_name}: {found[0] if found else 'failed'}"
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            message = (error.message if error else "").strip().splitlines()
            return f"{event.step_key}: {message[0] if message else 'failed'}"
    return "failed"


def _summary(day: dt.date, result: object) -> str:
    from dagster import ExecuteInProcessResult

    assert isinstance(result, ExecuteInProcessResult)
    if not result.success:
        return f"{day}  FAILED"
    anchored = materialized(result, "anchored_day")
    published = materialized(result, "published_day")
    if anchored.get("status") == "anclado":
        anchor = f"block={anchored.get('blockNumber')} seq={anchored.get('seq')}"
    else:
        anchor = "anclaje pendiente (publicar anchor --pending)"
    return (
        f"{day}  releases={published['releases']:<6} quarantined={published['quarantined']:<4} "
        f"root={published['merkle_root'][:16]}…  {anchor}"
    )
