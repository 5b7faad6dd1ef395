"""A range of days as one run: the batch path of `publicar backfill` and of a Dagster run of a
partition range of `publicar_dia` (``pipelines.assets``), shared so both publish the same way.

Month by month: days already published and finally anchored with their current manifest are
skipped (a re-run resumes), the others go through every step in date order, each day fully
before the next (``publication.batch.publish_days``), the month's days are anchored together in
date order (``publish_batch`` transactions), then the site at the root is refreshed and the
storage brought up to date: after a month when the last refresh is ``SITE_REFRESH_SECONDS``
old, and at the end of the range (each refresh rebuilds the pages and catalogues from every
published day, a cost that grows with the history). Anchored days are skipped by a re-run, so
the refresh is recorded
as pending in the state folder before the anchoring and done by the next run, even one with
no day to publish, when a kill left it undone: with the next month it anchors, or at the end
of the range when none, never before (a killed run may have left later days published but not
yet anchored: a refresh listing them as pending would log changes an uninterrupted run never
makes, and a harvester would see them). A day whose gate closed stops the range: the
days before it are anchored and listed first. The caller holds the datasets root's lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from publication.batch import DayJob, DayRun

# How stale the site at the root may get during a range run (the days between two refreshes
# are finished; the refresh stays pending in the state folder, so a kill loses nothing).
SITE_REFRESH_SECONDS = 60.0

if TYPE_CHECKING:
    from integrity.verify.trust import Pin
    from publication.anchoring import ChainSession
    from publication.prepare import MonthsAhead
    from publication.state import StateStore
    from publication.storage import PublishReport


class Source(Protocol):
    """Where the days' files come from (``SourceService`` or its Dagster resource)."""

    @property
    def directory(self) -> str: ...
    @property
    def synthetic(self) -> bool: ...
    def available_files(self, day: dt.date) -> list[Path]: ...
    def companion_files(self, day: dt.date) -> dict[str, Path]: ...


class Datasets(Protocol):
    """The datasets root and its storage (``DatasetsService`` or its Dagster resource)."""

    def day_job(self) -> DayJob: ...
    def publish_to_storage(self) -> PublishReport | None: ...


class Chain(Protocol):
    """The chain anchors go to (``ChainService`` or its Dagster resource)."""

    @property
    def is_dev_chain(self) -> bool: ...
    def known_pin(self) -> Pin | None: ...
    def session(self, dataset: str) -> AbstractContextManager[ChainSession]: ...


@dataclass(frozen=True)
class DaySkipped:
    """A day already published and finally anchored with its current manifest."""

    day: dt.date


@dataclass(frozen=True)
class DayDone:
    """A day through every step (published; its anchor comes with the month's)."""

    run: DayRun


@dataclass(frozen=True)
class DayFailed:
    """A day whose gate closed: the range stops here."""

    run: DayRun


@dataclass(frozen=True)
class DaysAnchored:
    """The anchor records of days published in this run (date order; ``pendiente`` when the
    chain could not be reached)."""

    days: list[dt.date]
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class MonthNotPrepared:
    """A worker could not prepare ``month`` ahead: this process parses its files itself (only
    the speed-up is lost; a problem with a file is reported by the day's own steps)."""

    month: dt.date
    problem: str


RangeEvent = DaySkipped | DayDone | DayFailed | DaysAnchored | MonthNotPrepared


def months(days: list[dt.date]) -> Iterator[list[dt.date]]:
    """``days`` (in date order) grouped by calendar month."""
    for _, group in itertools.groupby(days, key=lambda d: (d.year, d.month)):
        yield list(group)


class RangeRun:
    """One run over many days: the status store open for the whole run (shared: the steps'
    own opens become cursors on it) and one chain session, opened on first use."""

    def __init__(
        self,
        source: Source,
        datasets: Datasets,
        chain: Chain,
        *,
        prepare_workers: int = 0,
        prepare: Callable[..., Any] | None = None,
    ) -> None:
        self.source = source
        self.datasets = datasets
        self.chain = chain
        self.job: DayJob = datasets.day_job()
        self._stack = contextlib.ExitStack()
        self._sessions: Callable[[], Any] | None = None
        self._workers = prepare_workers
        self._prepare = prepare
        self._ahead: MonthsAhead | None = None
        self._store: StateStore
        self._refreshed = time.monotonic()

    def __enter__(self) -> RangeRun:
        from publication.extract import use_parse_cache
        from publication.prepare import cache_dir
        from publication.state import StateStore, store_path
        from publication.writer import carry_index

        self._stack.__enter__()
        self._store = self._stack.enter_context(
            StateStore(
                store_path(self.job.root, self.job.state_dir),
                shared=True,
                memory_limit=self.job.state_memory_limit,
            )
        )
        # Each monthly file is parsed once for the whole run and every process (by content).
        use_parse_cache(cache_dir(self.job.root, self.job.state_dir).absolute())
        self._stack.callback(use_parse_cache, None)
        self._stack.enter_context(carry_index(self.job.root, self.job.dataset))
        self._sessions = _session_factory(self._stack, self.chain, self.job.dataset)
        if self._workers > 0:
            from publication.prepare import MonthsAhead, prepare_month

            self._ahead = self._stack.enter_context(
                MonthsAhead(
                    self._workers,
                    Path(self.source.directory).absolute(),
                    cache_dir(self.job.root, self.job.state_dir).absolute(),
                    lang=self.job.lang,
                    prepare=self._prepare or prepare_month,
                    gx=self.job.run_gx,
                )
            )
        return self

    def prepare_ahead(self, days: list[dt.date]) -> None:
        """Queue the months after the first one with a day to publish, to be prepared in the
        worker processes (state-free parsing) while this process publishes in date order."""
        if self._ahead is None:
            return
        from publication.batch import finished_days
        from publication.extract import files_for_day
        from publication.prepare import month_starts

        finished = finished_days(self.job, days)
        todo = [day for day in days if day not in finished]
        if todo:
            # The first day ingests every file the status store does not know, in file order
            # after its own month's: the workers parse them from the other end meanwhile.
            first = todo[0]
            files = self.source.available_files(first)
            own = files_for_day(files, first)
            unknown = [p for p in files if p not in own and not self._store.knows_file(p)]
            self._ahead.parse(reversed(unknown))
        self._ahead.start(month_starts(todo)[1:])

    def preparing(self) -> bool:
        """Whether month workers are up (``prepare_ahead``): they stop once every month
        queued is prepared."""
        return self._ahead is not None and self._ahead.running

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self._refresh_left_pending()
        except BaseException:
            if not self._stack.__exit__(*sys.exc_info()):
                raise
        else:
            self._stack.__exit__(kind, error, traceback)

    def _refresh_left_pending(self) -> None:
        """The refresh left pending: by this range's last months, or by a killed run."""
        from publication.site import pending_site_refresh
        from publication.state import store_path

        state = store_path(self.job.root, self.job.state_dir).parent
        synthetic = pending_site_refresh(state)
        if synthetic is not None:
            self._refresh(state, synthetic)

    def month(self, days: list[dt.date]) -> Iterator[RangeEvent]:
        """Publish and anchor one month's ``days``; stops after a ``DayFailed``. Raises
        ``AnchorConflict`` when the registry holds another digest for a day."""
        from publication.batch import finished_days, publish_days
        from publication.memory import release_memory

        gx_outcomes: Mapping[str, Any] = {}
        if self._ahead is not None:
            first = days[0].replace(day=1)
            problem = self._ahead.wait(first)
            if problem is not None:
                yield MonthNotPrepared(first, problem)
            gx_outcomes = self._ahead.gx_outcomes(first)
        skipped = finished_days(self.job, days)
        for day in sorted(skipped):
            yield DaySkipped(day)
        todo = [day for day in days if day not in skipped]
        done: list[dt.date] = []
        source = self.source
        for day_run in publish_days(
            self.job,
            todo,
            lambda d: (source.available_files(d), source.companion_files(d)),
            synthetic=source.synthetic,
            gx_outcomes=gx_outcomes,
        ):
            if day_run.failures:
                # The days before it are anchored and listed before the range stops.
                yield from self._anchor(done)
                yield DayFailed(day_run)
                return
            done.append(day_run.day)
            yield DayDone(day_run)
        yield from self._anchor(done)
        # The month's quotations and release objects are gone: the next month (or the bulk
        # build at the end) reuses the memory instead of adding to it, and the other processes
        # of the run find it free.
        release_memory()

    def _anchor(self, done: list[dt.date]) -> Iterator[DaysAnchored]:
        """Anchor ``done``, then refresh the site and the storage if the last refresh is
        ``SITE_REFRESH_SECONDS`` old, else leave it pending for a later month or the end (with
        no day done, nothing: a refresh a killed run left pending waits for the next month
        anchored, or the end)."""
        from integrity.layout import DayLayout
        from integrity.manifest import load_manifest
        from publication.anchoring import anchor_with
        from publication.site import mark_site_pending
        from publication.state import store_path

        assert self._sessions is not None, "RangeRun used outside its with block"
        if not done:
            return
        job = self.job
        state = store_path(job.root, job.state_dir).parent
        synthetic = bool(
            load_manifest(DayLayout(job.root, job.dataset, done[-1]).manifest).data.get("synthetic")
        )
        # Once anchored the days are finished and a re-run skips them: the refresh below
        # must survive a kill on its own.
        mark_site_pending(state, synthetic=synthetic)
        records = anchor_with(
            job.root,
            job.dataset,
            done,
            self._sessions,
            state_dir=job.state_dir,
            pin=self.chain.known_pin(),
            pages=False,  # a refresh writes them
        )
        if time.monotonic() - self._refreshed >= SITE_REFRESH_SECONDS:
            self._refresh(state, synthetic)
        yield DaysAnchored(done, records)

    def _refresh(self, state: Path, synthetic: bool) -> None:
        """Refresh the site at the root and the storage, then clear the pending mark."""
        from publication.site import clear_site_pending, refresh_site

        job = self.job
        refresh_site(
            job.root,
            job.dataset,
            job.identity,
            lang=job.lang,
            profile=job.profile,
            synthetic=synthetic,
        )
        self.datasets.publish_to_storage()
        clear_site_pending(state)
        self._refreshed = time.monotonic()


def _session_factory(stack: contextlib.ExitStack, chain: Chain, dataset: str) -> Any:
    """A factory of one chain session for the whole run; if the chain cannot be reached, it
    says so every time (the days are marked pending). An ``rpc`` session opens now, so a
    configuration error stops the run before any day; the embedded chain starts on first use,
    once, and not at all when no day needs anchoring (a resumed run whose days are done)."""
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
