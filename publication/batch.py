"""The day's steps bound to one publication's settings, and the batch path of a backfill.

``DayJob`` carries what every step of a day needs besides the day itself (root, status store,
identity, ...). The Dagster assets call its methods one step each; ``publish_days`` calls the
same methods for many days in one process, in date order, each day through every step before
the next starts (a day's extraction and mapping read what earlier days recorded in the status
store). So a backfill and a day-by-day run write byte-identical days. The Great Expectations
cross-check of a batch's days shares one validation of its row-local expectations
(``_prevalidate``), or takes outcomes validated ahead in a worker (``gx_outcomes``); each day's
GX outcome stays the one a validation of that day alone gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from integrity.layout import DayLayout
from integrity.manifest import load_manifest
from publication import steps
from publication.atomic import sweep_partials
from publication.state import StateStore, store_path
from publication.steps.common import gc_paused
from settings import DEFAULT_STATE_MEMORY_LIMIT, Identity, Lang, Profile

if TYPE_CHECKING:
    from publication.ahead import CompanionsAhead


@dataclass(frozen=True)
class DayJob:
    """One publication's settings for the day steps (extract, check, map, publish)."""

    root: Path
    dataset: str
    identity: Identity
    state_dir: Path | None = None
    ocds_dir: Path | None = None
    lang: Lang = "es"
    profile: Profile = "dev"
    run_gx: bool = True
    state_memory_limit: str = DEFAULT_STATE_MEMORY_LIMIT

    @property
    def ocid_prefix(self) -> str:
        """The ocid prefix of the identity."""
        return self.identity.ocid_prefix

    @property
    def ocid_pattern(self) -> str:
        """The ocid pattern of the identity."""
        return self.identity.ocid_pattern

    def extract(
        self, files: list[Path], day: dt.date, *, synthetic: bool = False
    ) -> steps.Extracted:
        """Step 1: the day's source rows (``synthetic``: generated files, labelled as such)."""
        return steps.extract(
            files,
            day,
            root=self.root,
            state_dir=self.state_dir,
            lang=self.lang,
            synthetic=synthetic,
            run_gx=self.run_gx,
        )

    @staticmethod
    def check(extracted: steps.Extracted) -> steps.Checked:
        """Step 2: the quality gate."""
        return steps.check_quality(extracted, extracted.day)

    def map(
        self,
        checked: steps.Checked,
        companions: dict[str, Path],
        *,
        details_ready: Callable[[pa.Array], object] | None = None,
    ) -> steps.Mapped:
        """Step 3: OCDS releases, validated (``details_ready``: called before the companion
        files are read, see ``steps.map_releases``)."""
        return steps.map_releases(
            checked,
            ocid_prefix=self.ocid_prefix,
            ocid_pattern=self.ocid_pattern,
            root=self.root,
            state_dir=self.state_dir,
            ocds_dir=self.ocds_dir,
            companions=companions,
            details_ready=details_ready,
        )

    def companions_ahead(
        self, companions: dict[str, Path], *, early: bool = False
    ) -> CompanionsAhead:
        """A worker parsing ``companions`` into this root's cache while the day's orders are
        read and checked (``publication.ahead``; started by its ``start``; ``early``: for the
        day's own steps to take over)."""
        from publication.ahead import CompanionsAhead

        cache = store_path(self.root, self.state_dir).parent / "cache"  # the mapping's
        return CompanionsAhead(companions, cache, self.lang, early=early)

    def publish(self, mapped: steps.Mapped, *, refresh_site: bool = True) -> steps.Published:
        """Step 4: the day's files, atomically (the site refreshed unless told otherwise)."""
        return steps.publish(
            mapped,
            root=self.root,
            dataset=self.dataset,
            day=mapped.day,
            identity=self.identity,
            state_dir=self.state_dir,
            ocds_dir=self.ocds_dir,
            lang=self.lang,
            profile=self.profile,
            refresh=refresh_site,
        )


@dataclass(frozen=True)
class DayRun:
    """Every step's result for one day (``published`` is None when a gate stopped it)."""

    day: dt.date
    extracted: steps.Extracted
    checked: steps.Checked | None
    mapped: steps.Mapped | None
    published: steps.Published | None

    @property
    def failures(self) -> tuple[str, ...]:
        """Blocking failures of the last step that ran."""
        last = self.published or self.mapped or self.checked or self.extracted
        return last.failures

    @property
    def orders(self) -> int:
        """Source rows of the day (parsed and quarantined)."""
        source = self.extracted.source
        return source.source_rows if source else 0


def run_day(
    job: DayJob,
    day: dt.date,
    files: list[Path],
    companions: dict[str, Path],
    *,
    synthetic: bool = False,
    refresh_site: bool = True,
) -> DayRun:
    """Every step of one day, in order, stopping at the first closed gate."""
    extracted = job.extract(files, day, synthetic=synthetic)
    if not extracted.gate_passed:
        return DayRun(day, extracted, None, None, None)
    checked = job.check(extracted)
    if not checked.gate_passed:
        return DayRun(day, extracted, checked, None, None)
    mapped = job.map(checked, companions)
    if not mapped.gate_passed:
        return DayRun(day, extracted, checked, mapped, None)
    published = job.publish(mapped, refresh_site=refresh_site)
    return DayRun(day, extracted, checked, mapped, published)


def publish_days(
    job: DayJob,
    days: Iterable[dt.date],
    sources: Callable[[dt.date], tuple[list[Path], dict[str, Path]]],
    *,
    synthetic: bool = False,
    gx_outcomes: Mapping[str, Any] | None = None,
) -> Iterator[DayRun]:
    """Run ``days`` in date order, one after the other (the site is not refreshed: the caller
    does it once); stops after the first day whose gate closed (days are chained).

    ``gx_outcomes``: GX outcomes validated ahead by content (``publication.prepare.
    month_gx_outcomes``), looked up instead of validating; they replace the batch's shared
    validation (``_prevalidate``), and a frame they do not hold is validated as usual."""
    ordered = sorted(set(days))
    from quality.gx_suites import memoized, prevalidated

    batches = () if gx_outcomes or len(ordered) < 2 else _safely_prevalidated(job, ordered, sources)
    with memoized(gx_outcomes or {}), prevalidated(batches):
        for day in ordered:
            files, companions = sources(day)
            # The collector off for the whole day, not re-enabled after mapping and again after
            # publishing: each time it traversed the day's release objects, still alive. They
            # are dropped before it is back on (the canonical lines hold them).
            with gc_paused():
                run = run_day(job, day, files, companions, synthetic=synthetic, refresh_site=False)
                if run.mapped is not None:
                    run.mapped.forget_releases()
            yield run
            if run.failures:
                return


def _safely_prevalidated(
    job: DayJob,
    days: list[dt.date],
    sources: Callable[[dt.date], tuple[list[Path], dict[str, Path]]],
) -> list[Any]:
    """``_prevalidate``, or nothing when it fails: a speed-up never stops a backfill (each
    day is then validated on its own, and the day steps report whatever is wrong)."""
    try:
        return _prevalidate(job, days, sources)
    except Exception:  # any failure only costs the speed-up
        return []


def _prevalidate(
    job: DayJob,
    days: list[dt.date],
    sources: Callable[[dt.date], tuple[list[Path], dict[str, Path]]],
) -> list[Any]:
    """Row-local GX results of the orders and lines the days are expected to hold (read from
    their files without the status store), validated once for all of them.

    Only a speed-up: the quality gate uses them for a day whose rows they all cover and
    validates any other day on its own (late states, retried rows, other agreements).
    """
    if not job.run_gx:
        return []
    cache_dir = store_path(job.root, job.state_dir).parent / "cache"
    return prevalidate_days(days, sources, cache_dir, job.lang)


def prevalidate_days(
    days: list[dt.date],
    sources: Callable[[dt.date], tuple[list[Path], dict[str, Path]]],
    cache_dir: Path,
    lang: str,
    *,
    read: dict[dt.date, pa.Table] | None = None,
) -> list[Any]:
    """``_prevalidate`` given the companions' cache folder and the language; ``read``: filled
    with each day's orders as read from its files (for a caller that needs them too)."""
    from perucompras.reader import SourceFileError
    from publication.details import DETAIL_PREFIX, details_for_day
    from publication.extract import orders_for_day
    from quality.gx_suites import prevalidate_orders
    from quality.lines import prevalidate_lines
    from quality.rules import QualityConfig, as_lang

    config = QualityConfig(lang=as_lang(lang))
    orders: list[pa.Table] = []
    order_numbers: dict[Path, list[pa.Array]] = {}
    for day in days:
        files, companions = sources(day)
        try:
            day_orders = orders_for_day(files, day, lang=lang).orders
        except SourceFileError:
            continue  # the day steps report it, as without a batch
        if read is not None:
            read[day] = day_orders
        orders.append(day_orders)
        if detail := companions.get(DETAIL_PREFIX):
            numbers = day_orders["order_number"].combine_chunks()
            order_numbers.setdefault(detail, []).append(numbers)
    lines: list[pa.Table] = []
    for detail, numbers in order_numbers.items():
        wanted = pa.concat_arrays(numbers)
        try:
            month = details_for_day({DETAIL_PREFIX: detail}, wanted, days[0], cache_dir, lang=lang)
        except SourceFileError:
            continue  # the day steps report it, as without a batch
        if month.lines is not None:
            lines.append(month.lines)
    return [prevalidate_orders(orders, config), prevalidate_lines(lines, config)]


def finished_days(job: DayJob, days: Iterable[dt.date]) -> set[dt.date]:
    """Days already published and finally anchored with their current manifest.

    A re-run (after a crash) skips them: a day is anchored only after every step of it,
    status store included, has completed, and an anchored day is never rewritten.
    """
    wanted = sorted(set(days))
    if not wanted:
        return set()
    store_file = store_path(job.root, job.state_dir)
    with StateStore(store_file, memory_limit=job.state_memory_limit) as store:
        rows = store.anchor_rows(job.dataset, states=("FINAL",), days=wanted)
    done = set()
    for row in rows:
        manifest = DayLayout(job.root, job.dataset, row.day).manifest
        if manifest.exists() and load_manifest(manifest).sha256 == row.digest:
            done.add(row.day)
            # A run killed while rewriting a file of this finished day left its temporary.
            sweep_partials(manifest.parent)
    return done
