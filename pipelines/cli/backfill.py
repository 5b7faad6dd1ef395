"""`publicar backfill --from --to`: publish a range of days as one run, in one process.

Each day goes through the same step functions as a Dagster run of `publicar_dia`
(``publication.batch``), in date order, so the days are byte-identical to day-by-day
publication; the batch loop is ``pipelines.ranges``, which a Dagster run of a range of
`publicar_dia` partitions uses too. There is no Dagster run per day, a month's source file is
read once for all its days, the site at the root is refreshed at most once a minute and at the
end (``pipelines.ranges``), and each month's days are anchored together in date order
(``publish_batch`` transactions); meanwhile, once the month workers are done, a background
process prepares the bulk build (each month's per-day extracts, and the files of
the month before, taken by the build if no later day changed them). A re-run resumes:
days already published and finally anchored with their current manifest are skipped, the
others are published again (identically) and their anchors adopted from the journal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
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


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Publish and anchor the range month by month; stop at the first failed day."""
    from integrity.chain import AnchorConflict
    from pipelines.cli.progress import DayProgress
    from pipelines.ranges import (
        DayFailed,
        DaysAnchored,
        DaySkipped,
        MonthNotPrepared,
        RangeRun,
        months,
    )
    from pipelines.services import ChainService, DatasetsService, SourceService

    refused = refuse(args, settings)
    if refused is not None:
        return refused
    start, end, files = run.plan(args, settings)
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    lang = settings.lang
    began = time.monotonic()
    published = 0
    with (
        DayProgress(len(days), lang=lang) as progress,
        RangeRun(
            SourceService.from_settings(settings),
            DatasetsService.from_settings(settings),
            ChainService.from_settings(settings),
            prepare_workers=settings.prepare_workers,
            prepare=_PREPARE,
        ) as batch,
        # One background process at a time besides this one: the bulk build's starts once the
        # month workers are done (the machine's spare core, and memory, are theirs until then).
        _Extracts(
            batch.job,
            settings,
            enabled=not args.no_bulk,
            start_when=lambda: not batch.preparing(),
        ) as extracts,
    ):
        # Later months are parsed ahead in worker processes (state-free work); the days go
        # through their steps here, in date order.
        batch.prepare_ahead(days)
        for month in months(days):
            refused = run.missing_month(month[0], settings, files)
            if refused is not None:
                return refused
            try:
                for event in batch.month(month):
                    if isinstance(event, DaySkipped):
                        progress.day_done(text("backfill.skipped", lang, day=event.day), 0)
                    elif isinstance(event, MonthNotPrepared):
                        progress.note(
                            text(
                                "backfill.prepare_failed",
                                lang,
                                month=f"{event.month:%Y-%m}",
                                error=event.problem,
                            )
                        )
                    elif isinstance(event, DaysAnchored):
                        anchored = sum(1 for r in event.records if r.get("status") == "anclado")
                        progress.note(
                            text(
                                "backfill.anchored",
                                lang,
                                count=len(event.days),
                                first=event.days[0],
                                last=event.days[-1],
                                anchored=anchored,
                                pending=len(event.records) - anchored,
                            )
                        )
                        published += len(event.days)
                        extracts.add(event.days)
                    elif isinstance(event, DayFailed):
                        progress.note(f"{event.run.day}  FAILED")
                        print(
                            text(
                                "backfill.failed",
                                lang,
                                day=event.run.day,
                                reasons="; ".join(event.run.failures),
                            ),
                            file=sys.stderr,
                        )
                        return 1
                    else:
                        progress.day_done(_line(event.run), event.run.orders)
            except AnchorConflict as error:
                print(f"publicar: ALARMA: {error}", file=sys.stderr)
                return 1
        extracts.finish()
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
    from pipelines.resources import build_resources

    with run.dagster_instance(run.dagster_home(settings)) as instance:
        return run.materialize_bulk(build_resources(settings), instance, verbose=args.verbose)


class _Extracts:
    """The bulk build's per-day extracts of the days published and the files of the months
    before, made in the background while the next days are published
    (``publication.bulk.ExtractsAhead``, ``prebuild_month``); nothing when the run builds no
    bulk files or the machine has one core."""

    def __init__(
        self, job: Any, settings: Settings, *, enabled: bool, start_when: Callable[[], bool]
    ) -> None:
        self.job = job
        self.settings = settings
        self.ahead: Any = None
        self.month: str | None = None
        if enabled:
            from publication.bulk import ExtractsAhead, extracts_folder
            from publication.bulk.build import WORKERS

            if WORKERS > 1:
                self.ahead = ExtractsAhead(
                    extracts_folder(job.root, job.state_dir), start_when=start_when
                )

    def add(self, days: list[dt.date]) -> None:
        """The extracts of ``days`` (one month's), then the files of the month before, whose
        orders the days after it rarely touch (when they do, the build makes it again)."""
        if self.ahead is None:
            return
        from publication.bulk import prebuild_month, published_day

        self.ahead.add(published_day(self.job.root, self.job.dataset, day) for day in days)
        month = f"{days[0]:%Y-%m}"
        if self.month is not None and self.month != month:
            self.ahead.then(
                prebuild_month,
                self.job.root,
                self.job.dataset,
                self.month,
                state_dir=self.job.state_dir,
                bulk=self.settings.bulk,
                lang=self.settings.lang,
            )
        self.month = month

    def finish(self) -> None:
        """The extracts still queued made now, here and in the background process, before
        the bulk build (which would otherwise start worker processes for them)."""
        if self.ahead is not None:
            self.ahead.finish_here()

    def __enter__(self) -> _Extracts:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.ahead is not None:
            self.ahead.close()


def _line(day_run: Any) -> str:
    published = day_run.published
    return (
        f"{day_run.day}  releases={published.tree_size:<6} "
        f"quarantined={published.quarantined:<4} root={published.merkle_root[:16]}…"
    )
