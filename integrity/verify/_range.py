"""Verifying every published day of a period and the chain of days between them.

The days come from ``index.json``; an index entry that cannot be used is reported on its own
(FALLA when it is evidence of tampering, such as a folder outside the root or a day that does
not exist; otherwise the range could not be fully checked) and every other day is still
checked and reported.

The index is not trusted to be complete: online, the pinned registry is asked for the
dataset's entries on every date of the period (``latest_entry``), so a day that was anchored
but is missing from the download is FALLA naming the day, and late publications and
corrections are reported as such. The dataset's head (``dataset_info``) is read too: anchored
days after the period, and entries of days outside it, are reported in a line (not a failure:
they are not part of the period asked for).
"""

from __future__ import annotations

import datetime as dt

from integrity import layout
from integrity.keys import dataset_id, day_number
from integrity.manifest import Manifest
from integrity.verify._chain import AnchorReader, HeadReader
from integrity.verify._datasets import DatasetsRoot, IndexEntry, IndexProblem
from integrity.verify._day import verify_day
from integrity.verify._manifest import parse_checked
from integrity.verify._options import VerifyOptions
from integrity.verify._pins import choose_pin
from integrity.verify._results import (
    CHECKS,
    CheckResult,
    Note,
    NoteError,
    SkipReason,
    Status,
    VerificationResult,
    cannot_locate,
    summary_check,
)
from integrity.verify._values import hex32, short

# The registry is read once per date of a range; longer ranges are checked in pieces.
MAX_REGISTRY_DAYS = 3660
REGISTRY_FIRST_DAY = dt.date(2000, 1, 1)  # the registry refuses earlier days


def verify_range(
    root: DatasetsRoot,
    start: dt.date,
    end: dt.date,
    options: VerifyOptions,
    dataset: str | None = None,
) -> VerificationResult:
    """Verify every published day in [start, end] and the chain of days between them."""
    index = root.index()
    dataset = dataset or root.dataset or layout.DEFAULT_DATASET
    days = sorted(day for day in index if start <= day <= end)
    result = VerificationResult(
        target=f"{root.source.describe('')} {start.isoformat()}..{end.isoformat()}",
        dataset=dataset,
        header=Note(
            "header.range",
            {
                "dataset": dataset,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "days": len(days),
            },
        ),
    )
    if root.index_error is not None:
        cannot_locate(result, root.index_error)
        return result
    problems = [p for p in root.index_problems if _in_range(p, start, end)]
    _report_problems(result.checks["integrity"], problems)
    if not index and not problems:
        cannot_locate(result, Note("locate.range_needs_index"))
        return result
    if not days and not problems:
        cannot_locate(
            result,
            Note("range.empty", {"start": start.isoformat(), "end": end.isoformat()}),
            failed=True,
        )
        return result
    # A day whose index entry is unusable is still a listed day: its absence is no gap.
    listed = {p.date for p in root.index_problems if p.date}
    listed_days = {day for day in (_as_day(text) for text in listed) if day is not None}
    links = _Links(result.checks["anchor"], sorted(set(index) | listed_days))
    for day in days:
        result.items.append(verify_day(root, dataset, day, options))
        manifest = _read_manifest(root, dataset, index[day], links.check)
        if manifest is not None:
            links.add(day, manifest)
    if links.check.status is Status.OK and days:
        links.check.ok("range.ok", days=len(days))
    _check_registry_days(result, dataset, start, end, set(index) | listed_days, options)
    _merge_items(result)
    return result


def _check_registry_days(
    result: VerificationResult,
    dataset: str,
    start: dt.date,
    end: dt.date,
    present: set[dt.date],
    options: VerifyOptions,
) -> None:
    """Ask the pinned registry for every date of the period: an anchored day missing from the
    download is FALLA; late publications and corrections are named."""
    if options.offline:
        return
    check = result.checks["anchor"]
    pin = choose_pin(options, dataset, None).pin
    if pin is None:
        check.skip(SkipReason.UNAVAILABLE, "range.registry_no_pin")
        return
    start = max(start, REGISTRY_FIRST_DAY)
    # A day may be anchored once it has begun somewhere on Earth (UTC+14): up to tomorrow (UTC).
    last = min(end, (options.now or dt.datetime.now(dt.UTC)).date() + dt.timedelta(days=1))
    span = (last - start).days + 1
    if span > MAX_REGISTRY_DAYS:
        check.skip(SkipReason.UNAVAILABLE, "range.registry_too_long", days=MAX_REGISTRY_DAYS)
        return
    late: list[str] = []
    corrected: list[str] = []
    missing = 0
    seen = 0
    ident = dataset_id(dataset)
    try:
        access = options.chain
        if access is None:
            if options.chain_factory is None:
                raise NoteError(Note("anchor.no_rpc", {"chain_id": pin.chain_id}))
            access = options.chain = options.chain_factory(pin.chain_id)
        reader = access.reader(pin.chain_id, pin.contract)
        for offset in range(max(span, 0)):
            day = start + dt.timedelta(days=offset)
            entries = reader.latest_entry(ident, day_number(day))
            if entries.latest is None:
                continue
            seen += entries.count
            if day not in present:
                missing += 1
                check.fail(
                    "range.anchored_missing",
                    date=day.isoformat(),
                    count=entries.count,
                    seq=entries.latest.seq,
                )
            if entries.latest.kind == 2:
                late.append(day.isoformat())
            elif entries.latest.kind == 3:
                corrected.append(day.isoformat())
    except NoteError as error:
        check.skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
        return
    except Exception as error:
        check.skip(SkipReason.UNAVAILABLE, "anchor.chain_unreachable", error=short(error))
        return
    if not missing and span > 0:
        check.ok("range.registry_ok", days=span, start=start.isoformat(), end=last.isoformat())
    if late:
        check.ok("range.late", dates=", ".join(late), count=len(late))
    if corrected:
        check.ok("range.corrected", dates=", ".join(corrected), count=len(corrected))
    _report_head(check, reader, ident, end, seen)


def _report_head(
    check: CheckResult, reader: AnchorReader, ident: bytes, end: dt.date, seen: int
) -> None:
    """Read the dataset's head: name anchored days after ``end`` and entries of days outside
    the period (``seen``: the entries of the period's days). A line, never a failure."""
    try:
        if not isinstance(reader, HeadReader):
            raise TypeError("the reader cannot read a dataset's head")
        head = reader.dataset_info(ident)
    except Exception as error:
        check.ok("range.head_unread", error=short(error))
        return
    latest = _day_of(head.latest_day)
    if latest is not None and latest > end:
        check.ok("range.later_days", end=end.isoformat(), latest=latest.isoformat())
    if head.entries > seen:
        check.ok(
            "range.more_entries",
            total=head.entries,
            days=head.days,
            seen=seen,
            outside=head.entries - seen,
        )


def _day_of(number: int) -> dt.date | None:
    """A YYYYMMDD registry day as a date (None for 0 or a number that is no date)."""
    try:
        return dt.date(number // 10000, number // 100 % 100, number % 100)
    except ValueError:
        return None


def _as_day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _in_range(problem: IndexProblem, start: dt.date, end: dt.date) -> bool:
    """Whether a bad index entry concerns the period (an unreadable date always does)."""
    try:
        day = dt.date.fromisoformat(problem.date or "")
    except ValueError:
        return True
    return start <= day <= end


def _report_problems(check: CheckResult, problems: list[IndexProblem]) -> None:
    """Bad index entries: FALLA when they are evidence of tampering, else not checkable."""
    for problem in problems:
        if problem.note.failed:
            check.fail(problem.note.key, **problem.note.params)
        else:
            check.skip(SkipReason.UNAVAILABLE, problem.note.key, **problem.note.params)


def _read_manifest(
    root: DatasetsRoot, dataset: str, entry: IndexEntry, check: CheckResult
) -> Manifest | None:
    """The manifest of an index entry, or None (the day's own result says why)."""
    try:
        raw = root.day_source(dataset, entry.date).read(entry.manifest)
        if raw is None:
            check.fail("range.folder_missing", date=entry.date.isoformat(), folder=entry.folder)
            return None
        return parse_checked(raw, entry.manifest)
    except NoteError:
        return None


class _Links:
    """Checks across days: swaps, replays of digests or roots, gaps and broken links."""

    def __init__(self, check: CheckResult, published: list[dt.date]) -> None:
        self.check = check
        self.published = published
        self.seen_digests: dict[str, dt.date] = {}
        self.seen_roots: dict[str, dt.date] = {}

    def add(self, day: dt.date, manifest: Manifest) -> None:
        """Record one day's manifest and check it against the days before it."""
        if manifest.data.get("date") != day.isoformat():
            self.check.fail("range.swap", date=day.isoformat(), actual=manifest.data.get("date"))
        self._replay(self.seen_digests, manifest.sha256, day, "SHA-256")
        if int(manifest.merkle["treeSize"]) > 0:  # empty days legitimately share a root
            self._replay(self.seen_roots, hex32(manifest.merkle["root"]) or "", day, "Merkle root")
        self._link(day, manifest)

    def _replay(self, seen: dict[str, dt.date], value: str, day: dt.date, what: str) -> None:
        """Fail if ``value`` was already published for an earlier day (a replay)."""
        if value in seen:
            self.check.fail(
                "anchor.replay",
                date=day.isoformat(),
                earlier=seen[value].isoformat(),
                what=what,
                value=value,
            )
        seen.setdefault(value, day)

    def _link(self, day: dt.date, manifest: Manifest) -> None:
        """The manifest must link to the previous published day."""
        position = self.published.index(day)
        expected = self.published[position - 1] if position else None
        previous = manifest.previous
        previous_day = dt.date.fromisoformat(previous["date"]) if previous else None
        if previous_day is not None and previous_day not in self.published:
            self.check.fail(
                "range.gap", date=day.isoformat(), previous_date=previous_day.isoformat()
            )
        elif previous_day != expected:
            self.check.fail(
                "range.unlinked",
                date=day.isoformat(),
                previous_date=previous_day.isoformat() if previous_day else "-",
                expected=expected.isoformat() if expected else "-",
            )


_RANK = {Status.OK: 0, Status.SKIPPED: 1, Status.FAIL: 2}


def _merge_items(result: VerificationResult) -> None:
    """Fold the days' checks into the range's own: the worst status wins."""
    for name in CHECKS:
        summary = summary_check(name, result.items)
        own = result.checks[name]
        own.notes.extend(summary.notes)
        if _RANK[summary.status] > _RANK[own.status]:
            own.status, own.skip_reason = summary.status, summary.skip_reason
    result.dev_chain = any(item.dev_chain for item in result.items)
    result.synthetic = any(item.synthetic for item in result.items)
