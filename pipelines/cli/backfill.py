"""`publicar backfill --from --to`: publish a range of days as one run, in one process.

Each day goes through the same step functions as a Dagster run of `publicar_dia`
(``publication.batch``), in date order, so the days are byte-identical to day-by-day
publication; but there is no Dagster run per day, a month's source file is read once for all
its days, the site at the root is refreshed once per month, and each month's days are anchored
together in date order (``publish_batch`` transactions). A re-run resumes: published days are
rewritten identically (unchanged), anchored days are adopted from the journal and registry.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from messages import text
from pipelines.cli import run
from settings import Settings

HELP = "Publish a range of days as one run (one process, months read once, anchors in batches)."

add_arguments = run.add_arguments
overrides = run.overrides
refuse = run.refuse


# What the worker processes run instead of ``prepare_month`` (a test makes them fail).
_PREPARE: Callable[..., Any] | None = None


def _months(days: list[dt.date]) -> Iterator[list[dt.date]]:
    for _, group in itertools.groupby(days, key=lambda d: (d.year, d.month)):
        yield list(group)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Publish and anchor the range month by month; stop at the first failed day."""
    from integrity.chain import AnchorConflict
    from integrity.layout import DayLayout
    from integrity.manifest import load_manifest
    from pipelines.cli.progress import DayProgress
    from pipelines.services import ChainService, DatasetsService, SourceService
    from publication.anchoring import anchor_with
    from publication.batch import finished_days, publish_days
    from publication.prepare import MonthsAhead, cache_dir, month_starts, prepare_month
    from publication.site import refresh_site
    from publication.state import StateStore, store_path

    refused = refuse(args, settings)
    if refused is not None:
        return refused
    start, end, months = run.plan(args, settings)
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    lang = settings.lang
    source = SourceService.from_settings(settings)
    datasets = DatasetsService.from_settings(settings)
    chain = ChainService.from_settings(settings)
    job = datasets.day_job()
    root, dataset = job.root, job.dataset
    began = time.monotonic()
    published = 0

    def anchor(done: list[dt.date]) -> list[dict[str, Any]]:
        if not done:
            return []
        records: list[dict[str, Any]] = anchor_with(
            root,
            dataset,
            done,
            sessions,
            state_dir=settings.status_store_dir,
            pin=chain.known_pin(),
        )
        return records

    with contextlib.ExitStack() as stack:
        # The status store stays open for the whole run (shared): the steps' own StateStore
        # opens become cursors on it, with no file open or schema statements (four a day).
        # Nothing else may write to the root meanwhile (the root lock); each write still
        # commits as it runs.
        stack.enter_context(StateStore(store_path(root, job.state_dir), shared=True))
        progress = stack.enter_context(DayProgress(len(days), lang=lang))
        sessions = _open_session(stack, chain, dataset)
        # The months after the first are parsed ahead in worker processes (state-free work);
        # the days themselves go through their steps here, in date order.
        ahead = stack.enter_context(
            MonthsAhead(
                settings.prepare_workers,
                Path(source.directory).absolute(),
                cache_dir(root, job.state_dir).absolute(),
                lang=lang,
                prepare=_PREPARE or prepare_month,
            )
        )
        finished = finished_days(job, days)
        ahead.start(month_starts(day for day in days if day not in finished)[1:])
        for month in _months(days):
            refused = run.missing_month(month[0], settings, months)
            if refused is not None:
                return refused
            problem = ahead.wait(month[0].replace(day=1))
            if problem is not None:
                progress.note(
                    text("backfill.prepare_failed", lang, month=f"{month[0]:%Y-%m}", error=problem)
                )
            done: list[dt.date] = []
            skipped = finished_days(job, month)
            for day in sorted(skipped):
                progress.day_done(text("backfill.skipped", lang, day=day), 0)
            todo = [day for day in month if day not in skipped]
            for day_run in publish_days(
                job,
                todo,
                lambda d: (source.available_files(d), source.companion_files(d)),
                synthetic=source.synthetic,
            ):
                if day_run.failures:
                    progress.note(f"{day_run.day}  FAILED")
                    print(
                        text(
                            "backfill.failed",
                            lang,
                            day=day_run.day,
                            reasons="; ".join(day_run.failures),
                        ),
                        file=sys.stderr,
                    )
                    anchor(done)
                    return 1
                done.append(day_run.day)
                progress.day_done(_line(day_run), day_run.orders)
            if not done:
                continue
            try:
                records = anchor(done)
            except AnchorConflict as error:
                print(f"publicar: ALARMA: {error}", file=sys.stderr)
                return 1
            anchored = sum(1 for r in records if r.get("status") == "anclado")
            progress.note(
                text(
                    "backfill.anchored",
                    lang,
                    count=len(done),
                    first=done[0],
                    last=done[-1],
                    anchored=anchored,
                    pending=len(records) - anchored,
                )
            )
            refresh_site(
                root,
                dataset,
                job.identity,
                lang=lang,
                profile=job.profile,
                synthetic=bool(
                    load_manifest(DayLayout(root, dataset, done[-1]).manifest).data.get("synthetic")
                ),
            )
            datasets.publish_to_storage()
            published += len(done)
    seconds = time.monotonic() - began
    print(
        text(
            "backfill.summary",
            lang,
            start=start,
            end=end,
            days=published,
            orders=progress.orders,
            seconds=f"{seconds:.1f}",
            rate=f"{progress.orders / seconds if seconds else 0:,.0f}",
        ),
        flush=True,
    )
    if args.no_bulk:
        return 0
    from dagster import DagsterInstance

    from pipelines.resources import build_resources

    instance = DagsterInstance.from_config(str(run.dagster_home(settings)))
    return run.materialize_bulk(build_resources(settings), instance, verbose=args.verbose)


def _open_session(stack: contextlib.ExitStack, chain: Any, dataset: str) -> Any:
    """A factory of one chain session for the whole backfill; if the chain cannot be reached,
    it says so every time (the days are marked pending). An ``rpc`` session opens now, so a
    configuration error stops the backfill before any day; the embedded chain starts on first
    use, once, and not at all when no day needs anchoring (a resumed run whose days are done)."""
    from integrity.chain import ChainUnavailable

    opened: list[Any] = []
    failed: list[ChainUnavailable] = []

    def sessions() -> Any:
        if failed:
            raise failed[0]
        if not opened:
            try:
                opened.append(stack.enter_context(chain.session(dataset)))
            except ChainUnavailable as error:
                failed.append(error)
                raise
        return contextlib.nullcontext(opened[0])

    if not chain.is_dev_chain:
        with contextlib.suppress(ChainUnavailable):
            sessions()
    return sessions


def _line(day_run: Any) -> str:
    published = day_run.published
    return (
        f"{day_run.day}  releases={published.tree_size:<6} "
        f"quarantined={published.quarantined:<4} root={published.merkle_root[:16]}…"
    )
