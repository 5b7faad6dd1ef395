"""Prepare months ahead: the state-free work of a month, done before its days are published.

A day's extraction and mapping read what earlier days recorded in the status store, so the
days of a backfill go through every step one after the other, in date order, and their anchors
are sent in that order. Parsing a month's companion files (the detailed export's XLSX and the
quotations CSV) depends on nothing but their bytes: ``prepare_month`` fills their
content-addressed caches (``publication.details``), in any process and any order, and the
sequential pass then reads the cached Parquet instead of parsing. Idempotent, and safe when
several processes prepare the same month at once or one is killed midway (each writes its own
partial file and renames it into place).

``MonthsAhead`` runs ``prepare_month`` for the months after the current one in worker
processes (``publicar backfill``), with ``gx``: also the GX validations the month's quality
gates will ask for (``month_gx_outcomes``), handed back by content key for the sequential pass
to look up (``quality.gx_suites.memoized``); the Dagster job ``preparar_meses`` fills the caches
for a range of month partitions on Dagster's multiprocess executor.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


def cache_dir(root: Path, state_dir: Path | None = None) -> Path:
    """Where the companion files' parsed caches live: beside the status store."""
    from publication.state import store_path

    return store_path(root, state_dir).parent / "cache"


@dataclass(frozen=True)
class PreparedMonth:
    """What ``prepare_month`` left in the cache for one month."""

    month: str  # YYYY-MM
    files: tuple[str, ...] = ()
    seconds: float = 0.0
    gx_outcomes: Mapping[str, Any] = field(default_factory=dict)


def prepare_month(
    source_dir: Path, month: dt.date, cache: Path, *, lang: str = "es", gx: bool = False
) -> PreparedMonth:
    """Fill the caches of ``month``'s monthly files, detailed exports and quotations found in
    ``source_dir`` (nothing to do when they are absent or already cached); raises what the
    companions' readers raise (an unreadable monthly file is left to the day's steps).
    ``gx``: also validate the month's days with GX as the quality gates will
    (``month_gx_outcomes``)."""
    from publication.details import (
        DETAIL_PREFIX,
        QUOTATION_PREFIX,
        _fill_detail_cache,
        _quotation_cache,
        companion_files,
        forget_details,
        forget_quotations,
        month_detail_files,
    )
    from publication.extract import forget_reads
    from publication.memory import release_memory

    began = time.perf_counter()
    names = _parse_monthly_files(source_dir, month, cache, lang)
    companions = companion_files(source_dir, month)
    if detail := companions.get(DETAIL_PREFIX):
        for path in month_detail_files(detail):
            # a month's parse ahead of a backfill keeps no row memo: a daily run's next
            # snapshot is the only reader of one, and its first full parse writes it
            _fill_detail_cache(path, cache, lang, remember=False)
            names.append(path.name)
    if quotations := companions.get(QUOTATION_PREFIX):
        _quotation_cache(quotations, cache, lang)
        names.append(quotations.name)
    outcomes = month_gx_outcomes(source_dir, month, cache, lang=lang) if gx else {}
    # The next month is other files: a worker would hold this one's reads, idle (with
    # quotations, ~19 MiB of Arrow memory a month, up to the caches' four entries).
    forget_quotations()
    forget_details()
    forget_reads()
    release_memory()  # what the month freed, given back before the next one (or none)
    return PreparedMonth(f"{month:%Y-%m}", tuple(names), time.perf_counter() - began, outcomes)


def _parse_monthly_files(source_dir: Path, month: dt.date, cache: Path, lang: str) -> list[str]:
    """Fill the parse cache of ``month``'s monthly files (``publication.extract.parsed``); an
    unreadable file is left to the day's own steps to report."""
    from perucompras.reader import SourceFileError, read_source_dir
    from publication.extract import files_for_day, parsed

    names = []
    for path in files_for_day(read_source_dir(source_dir), month):
        try:
            parsed(path, cache, lang)
        except SourceFileError:
            continue
        names.append(path.name)
    return names


def parse_file(path: Path, cache: Path, lang: str = "es") -> str | None:
    """Fill the parse cache of one monthly file; its name, or None when it cannot be read."""
    from perucompras.reader import SourceFileError
    from publication.extract import parsed

    try:
        parsed(path, cache, lang)
    except SourceFileError:
        return None
    return path.name


def parse_files(paths: list[Path], cache: Path, lang: str = "es") -> list[str]:
    """``parse_file`` of each of ``paths`` in order; the names of those that could be read."""
    return [name for path in paths if (name := parse_file(path, cache, lang)) is not None]


def month_gx_outcomes(
    source_dir: Path, month: dt.date, cache: Path, *, lang: str = "es"
) -> dict[str, Any]:
    """The GX outcomes the quality gates of ``month``'s days will ask for when nothing unusual
    happens, by ``gx_suites.memo_key``: each day's orders as read from the files (without the
    status store) and the detail lines and quotations of the orders that pass, through the
    gates' own code. A day whose rows differ when published (late states, orders held back by
    the mapping) simply finds no outcome and is validated there."""
    from perucompras.reader import read_source_dir
    from publication.batch import prevalidate_days
    from publication.details import companion_files, details_for_day
    from publication.extract import orders_for_day
    from publication.steps.quality import checked_details
    from quality.gate import evaluate_orders
    from quality.gx_suites import prevalidated, recording
    from quality.rules import QualityConfig, as_lang

    files = read_source_dir(source_dir)
    companions = companion_files(source_dir, month)
    config = QualityConfig(lang=as_lang(lang))
    days = [month + dt.timedelta(days=n) for n in range(31)]
    days = [day for day in days if day.month == month.month]
    read: dict[dt.date, pa.Table] = {}  # each day's orders, read once for both passes
    try:  # the batch validation a backfill shares between days, as it would run it
        batches = prevalidate_days(days, lambda _: (files, companions), cache, lang, read=read)
    except Exception:  # only costs speed
        batches = []
    with prevalidated(batches), recording() as recorded:
        for day in days:
            try:
                orders = read.get(day)
                if orders is None:
                    orders = orders_for_day(files, day, lang=lang).orders
                passed = evaluate_orders(orders, day=day, config=config).passed
                numbers = passed["order_number"].combine_chunks()
                checked_details(details_for_day(companions, numbers, day, cache, lang=lang), lang)
            except Exception:  # the day's own steps report it: only costs speed
                continue
    return recorded


def month_starts(days: Iterable[dt.date]) -> list[dt.date]:
    """The first day of each month ``days`` touch, in order."""
    return sorted({day.replace(day=1) for day in days})


def _start_worker(parent: int, cache: Path) -> None:
    """In a worker: read monthly files through the parse cache, and watch ``parent``."""
    from publication.extract import use_parse_cache
    from publication.process_name import MONTH_WORKER, name_this_process

    name_this_process(MONTH_WORKER)
    use_parse_cache(cache)
    _watch_parent(parent)


def _watch_parent(parent: int) -> None:
    """In a worker: exit as soon as ``parent`` is gone (killed with -9, a worker would otherwise
    wait for work forever); a month cut short leaves only a partial file the next writer
    removes."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


@dataclass
class MonthsAhead:
    """Prepare months in ``workers`` processes while the caller publishes earlier ones.

    ``wait(month)`` before publishing a month: a month no worker has started is left to the
    caller (cancelled here, so no two processes parse it at once); one under way is waited
    for. A worker's failure (an unreadable file, a killed worker) loses nothing: the caller
    reads and parses as without workers, and its own steps report what is wrong with a file.
    ``gx``: the workers also validate the months' days with GX (``month_gx_outcomes``), for
    the caller to take with ``gx_outcomes``. With quotations, each month runs in a process of
    its own (``fresh_per_month``). ``workers`` = 0 does nothing.
    """

    workers: int
    source_dir: Path
    cache: Path
    lang: str = "es"
    prepare: Callable[..., PreparedMonth] = prepare_month
    gx: bool = False
    _pool: ProcessPoolExecutor | None = field(default=None, init=False)
    _futures: dict[dt.date, Future[PreparedMonth]] = field(default_factory=dict, init=False)
    _parsing: list[Future[list[str]]] = field(default_factory=list, init=False)
    _prepared: dict[dt.date, PreparedMonth] = field(default_factory=dict, init=False)

    def parse(self, files: Iterable[Path]) -> None:
        """Queue the parse of monthly ``files`` into the cache, in order, before any month
        queued later (the first day of a backfill ingests every month's file: the caller
        parses them from the first while the workers parse from the other end, given here)."""
        files = list(files)
        if self.workers <= 0 or not files:
            return
        # one task: with ``fresh_per_month``, a worker runs one task and exits
        self._parsing.append(self._started().submit(parse_files, files, self.cache, self.lang))

    def start(self, months: Iterable[dt.date]) -> None:
        """Queue ``months`` (first days), in order."""
        months = [month for month in months if month not in self._futures]
        if self.workers <= 0 or not months:
            return
        pool = self._started()
        options: dict[str, Any] = {"gx": True} if self.gx else {}
        for month in months:
            self._futures[month] = pool.submit(
                self.prepare, self.source_dir, month, self.cache, lang=self.lang, **options
            )

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a clean interpreter, not a fork of one holding the status store open
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(os.getpid(), self.cache),
                max_tasks_per_child=1 if self.fresh_per_month() else None,
            )
        return self._pool

    def fresh_per_month(self) -> bool:
        """Whether each month (each task) runs in a process of its own: when the source has
        quotations. A worker that went on to the next month of quotations held 60-100 MiB
        more after each one (what GX and pandas leave fragmented, beyond ``release_memory``),
        its peak growing from ~0.80 to ~0.99 GiB over four months, against ~0.79-0.83 GiB
        fresh. A fresh process costs its imports (~2-3 s): ~15% of a month of quotations, but
        as much as a month without (the full history without quotations took 9.4 min
        instead of 7.7 with a fresh process for every month). With one task per child
        every task ends with its worker's exit, so the 3.11 hang with more (gh-115634, a
        stale idle-worker token) cannot happen: no token is ever released."""
        from publication.details import QUOTATION_PREFIX

        return self.source_dir.is_dir() and any(self.source_dir.glob(f"{QUOTATION_PREFIX}*"))

    def wait(self, month: dt.date) -> str | None:
        """Let ``month``'s preparation finish (or cancel it if not started); the worker's
        problem as one line, or None (prepared, cancelled or never queued)."""
        future = self._futures.pop(month, None)
        if future is None or future.cancel():
            return None
        try:
            prepared = future.result()
        except concurrent.futures.CancelledError:
            return None
        except BrokenProcessPool as error:  # a worker died: said once, the rest done here
            self.close()
            return f"{type(error).__name__}: {error}".splitlines()[0]
        except BaseException as error:  # a worker's failure only costs the speed-up
            return f"{type(error).__name__}: {error}".splitlines()[0]
        finally:
            self._stop_when_idle()
        if isinstance(prepared, PreparedMonth):
            self._prepared[month] = prepared
        return None

    def _stop_when_idle(self) -> None:
        """Stop the workers once every month and file queued is done (their results are
        held here): they run ahead of the caller and would otherwise sit idle to the end of
        the run, holding what their imports and last month left in memory. A later
        ``start`` or ``parse`` starts them again."""
        if self._pool is None:
            return
        queued: list[Future[Any]] = [*self._futures.values(), *self._parsing]
        if not all(future.done() for future in queued):
            return
        self._parsing.clear()
        self._pool.shutdown(wait=True)
        self._pool = None

    @property
    def running(self) -> bool:
        """Whether worker processes are up (started, and not yet stopped once idle)."""
        return self._pool is not None

    def gx_outcomes(self, month: dt.date) -> Mapping[str, Any]:
        """The GX outcomes a worker computed for ``month`` (after ``wait``; empty when none),
        handed over once."""
        prepared = self._prepared.pop(month, None)
        return prepared.gx_outcomes if prepared is not None else {}

    def close(self) -> None:
        """Cancel what has not started, wait for what has (its files are renamed into place
        whole, so stopping is safe at any point), and stop the workers."""
        for future in self._futures.values():
            future.cancel()
        for parse in self._parsing:
            parse.cancel()
        self._futures.clear()
        self._parsing.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> MonthsAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
