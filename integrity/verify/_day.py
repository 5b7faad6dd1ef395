"""Verifying a whole day: every listed file, SHA256SUMS, the Merkle root, coverage, anchor, pin.

Coverage: a day folder must hold exactly what was published. A file (or folder) that the
manifest does not list is reported as "no forma parte de lo publicado" and fails the day
(a mirror could add a file beside authentic ones); hidden names (starting with ``.``, e.g.
``.DS_Store``) are ignored. SHA256SUMS, when present, must list exactly the manifest's files
and the manifest itself.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from integrity import layout
from integrity.manifest import Manifest
from integrity.verify._anchor import check_day_anchor
from integrity.verify._checks import (
    check_inclusion,
    check_manifest_fields,
    check_sums,
    compare_entry,
    sums_name,
)
from integrity.verify._context import DayContext, guess_day_from_folder, resolve_day
from integrity.verify._datasets import DatasetsRoot, detect_root
from integrity.verify._days import not_a_date, parse_day
from integrity.verify._explain import explain_listed_file
from integrity.verify._io import InputRefused
from integrity.verify._manifest import listed_files, unsafe_entries
from integrity.verify._options import VerifyOptions
from integrity.verify._results import (
    CheckResult,
    Note,
    NoteError,
    SkipReason,
    SourceUnavailable,
    Status,
    VerificationResult,
    cannot_locate,
)
from integrity.verify._source import Hashed, LeafScan, Source

_MANIFEST_NAME = re.compile(r"^(?P<dataset>[a-z0-9-]+?)-(?P<day>\d{4}-\d{2}-\d{2})-manifest\.json$")


def verify_day_folder(folder: Path, options: VerifyOptions) -> VerificationResult:
    """Verify every file of a local day folder, its Merkle root, anchor and publisher."""
    root = options.datasets or detect_root(folder, options.limits)
    found = _manifest_in_folder(folder)
    if isinstance(found, Note):
        result = VerificationResult(target=str(folder), header=_target_header(str(folder)))
        cannot_locate(result, found, failed=True)
        return result
    if found is None:
        return _folder_without_manifest(folder, root, options)
    dataset, day = found
    result = verify_day_in(dataset, day, Source(folder, options.limits), root, options, str(folder))
    _check_filed_under(result, folder, dataset, day)
    return result


def verify_day(
    root: DatasetsRoot, dataset: str, day: dt.date, options: VerifyOptions
) -> VerificationResult:
    """Verify one published day read from a datasets root (local or URL)."""
    try:
        files = root.day_source(dataset, day)
    except NoteError as error:
        result = _day_result(dataset, day, f"{dataset} {day.isoformat()}")
        cannot_locate(result, error.note, failed=error.note.failed)
        return result
    return verify_day_in(dataset, day, files, root, options, files.describe(""))


def verify_day_files(
    folder: Path, manifest: Manifest | None = None, files: Source | None = None
) -> VerificationResult:
    """Integrity and inclusion of a local day folder (no chain, no pin): what a publisher
    checks before anchoring. ``manifest`` defaults to the one in the folder; ``files``: how
    the folder's files are read (default ``Source(folder)``), used only with ``manifest``."""
    found = (manifest.dataset, manifest.day) if manifest else _manifest_in_folder(folder)
    if isinstance(found, Note) or found is None:
        result = VerificationResult(target=str(folder), header=_target_header(str(folder)))
        guessed = guess_day_from_folder(folder)
        note = (
            found if isinstance(found, Note) else _manifest_missing_note(*(guessed or ("?", None)))
        )
        cannot_locate(result, note)
        return result
    dataset, day = found
    result = _day_result(dataset, day, str(folder))
    options = VerifyOptions(offline=True)
    source = files if files is not None and manifest is not None else Source(folder)
    try:
        ctx = resolve_day(dataset, day, source, None, manifest=manifest, receipt=False)
    except NoteError as error:
        cannot_locate(result, error.note, failed=error.note.failed)
        return result
    if ctx.manifest is None:
        cannot_locate(result, _manifest_missing_note(dataset, day))
        return result
    _check_contents(result, ctx, source, options)
    _check_filed_under(result, folder, dataset, day)
    for name in ("anchor", "publisher"):
        result.checks[name].status = Status.SKIPPED
        result.checks[name].skip_reason = SkipReason.NOT_APPLICABLE
    return result


def verify_day_in(
    dataset: str,
    day: dt.date,
    files: Source,
    root: DatasetsRoot | None,
    options: VerifyOptions,
    target: str,
) -> VerificationResult:
    """Verify one day whose files are read from ``files`` (manifest found there or via root)."""
    result = _day_result(dataset, day, target)
    try:
        ctx = resolve_day(dataset, day, files, root)
    except NoteError as error:
        cannot_locate(result, error.note, failed=error.note.failed)
        return result
    if ctx.manifest is None:
        cannot_locate(result, _manifest_missing_note(dataset, day))
        return result
    _check_contents(result, ctx, files, options)
    check_day_anchor(result, ctx, options)
    return result


def _check_contents(
    result: VerificationResult, ctx: DayContext, files: Source, options: VerifyOptions
) -> None:
    """Integrity of every listed file and SHA256SUMS, coverage, inclusion of the leaves."""
    manifest = ctx.manifest
    assert manifest is not None
    result.synthetic = manifest.synthetic
    integrity, inclusion = result.checks["integrity"], result.checks["inclusion"]
    check_manifest_fields(integrity, manifest, ctx.dataset, ctx.day)
    for note in unsafe_entries(manifest):
        integrity.fail(note.key, **note.params)
    day_files = ctx.files or files
    leaves_name = str(manifest.merkle["leaves"])
    scan, checked = _check_listed_files(result, manifest, day_files, leaves_name, options)
    _check_sums_file(integrity, manifest, day_files)
    _check_coverage(integrity, manifest, day_files, ctx.dataset, ctx.day)
    if integrity.status is Status.OK:
        integrity.notes.insert(0, Note("integrity.files_ok", {"count": checked}))
    if scan is not None:
        check_inclusion(inclusion, manifest, scan)
    elif inclusion.status is Status.OK and not inclusion.notes:
        listed = leaves_name in listed_files(manifest)
        key = "integrity.file_missing" if listed else "integrity.not_in_manifest"
        if listed and integrity.status is not Status.FAIL:
            inclusion.skip(SkipReason.UNAVAILABLE, "inclusion.not_checked", file=leaves_name)
        else:
            inclusion.fail(key, file=leaves_name, date=ctx.day.isoformat())


def _check_listed_files(
    result: VerificationResult,
    manifest: Manifest,
    files: Source,
    leaves_name: str,
    options: VerifyOptions,
) -> tuple[LeafScan | None, int]:
    """Hash every listed file (the leaves file with its Merkle tree), each read up to its
    listed size plus one byte; explain what differs in a file that does not match."""
    integrity = result.checks["integrity"]
    scan: LeafScan | None = None
    checked = 0
    for name, entry in sorted(listed_files(manifest).items()):
        expected = int(entry["bytes"])
        try:
            if name == leaves_name:
                scan = files.scan(name, expected)
                hashed = (
                    None
                    if scan is None
                    else Hashed(scan.sha256, scan.size, scan.longer, scan.size_known)
                )
            else:
                hashed = files.hash(name, expected)
        except InputRefused as error:
            if error.tampering:
                integrity.fail(error.note.key, **error.note.params)
            else:
                integrity.skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
            if name == leaves_name:
                result.checks["inclusion"].skip(
                    SkipReason.UNAVAILABLE, "inclusion.not_checked", file=name
                )
            continue
        except SourceUnavailable as error:
            integrity.skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
            break  # the mirror is not answering: do not wait for every other file too
        if hashed is None:
            integrity.fail("integrity.file_missing", file=name)
            continue
        if compare_entry(integrity, entry, hashed):
            checked += 1
        else:
            explain_listed_file(integrity, manifest, name, files, options)
    return scan, checked


def _check_sums_file(integrity: CheckResult, manifest: Manifest, files: Source) -> None:
    """SHA256SUMS, when the folder has one, must list exactly the manifest's files."""
    name = sums_name(manifest)
    try:
        raw = files.read(name)
    except InputRefused as error:
        integrity.skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
        return
    except SourceUnavailable:
        return  # already reported for the listed files
    if raw is None:
        integrity.ok("integrity.sums_absent", sums=name)
    else:
        check_sums(integrity, raw, name, manifest)


def _check_coverage(
    integrity: CheckResult, manifest: Manifest, files: Source, dataset: str, day: dt.date
) -> None:
    """Every name in a local day folder must be published (hidden names are ignored)."""
    names = files.names()
    if names is None:
        return
    known = set(listed_files(manifest)) | {
        f"{dataset}-{day.isoformat()}-{kind}"
        for kind in (layout.MANIFEST, layout.CHECKSUMS, layout.ANCHOR)
    }
    for extra in names:
        if extra not in known and not extra.startswith("."):
            integrity.fail("integrity.unlisted_file", file=extra)


def _manifest_in_folder(folder: Path) -> tuple[str, dt.date] | Note | None:
    """(dataset, day) of the manifest file in a folder; a failing note when its name holds
    a day that does not exist (``2026-02-30``)."""
    try:
        names = sorted(p.name for p in folder.iterdir())
    except OSError:
        return None
    for name in names:
        match = _MANIFEST_NAME.match(name)
        if match is None:
            continue
        day = parse_day(match["day"])
        if day is None:
            return not_a_date(match["day"])
        return match["dataset"], day
    return None


def _folder_without_manifest(
    folder: Path, root: DatasetsRoot | None, options: VerifyOptions
) -> VerificationResult:
    """A folder with no manifest: verify it through the datasets root when the layout says
    which day it is, else say the manifest is missing."""
    guessed = guess_day_from_folder(folder)
    if guessed and root is not None:
        return verify_day_in(
            guessed[0], guessed[1], Source(folder, options.limits), root, options, str(folder)
        )
    result = VerificationResult(target=str(folder), header=_target_header(str(folder)))
    cannot_locate(result, _manifest_missing_note(*(guessed or ("?", None))))
    return result


def _check_filed_under(
    result: VerificationResult, folder: Path, dataset: str, day: dt.date
) -> None:
    """A day folder must hold its own day's manifest (catches swapped folders)."""
    filed_under = guess_day_from_folder(folder)
    if filed_under is not None and filed_under[0] == dataset and filed_under[1] != day:
        result.checks["integrity"].fail(
            "range.swap", date=filed_under[1].isoformat(), actual=day.isoformat()
        )


def _day_result(dataset: str, day: dt.date, target: str) -> VerificationResult:
    return VerificationResult(
        target=target, dataset=dataset, day=day, header=day_header(dataset, day, target)
    )


def day_header(dataset: str, day: dt.date, target: object) -> Note:
    """The result's header: a day of a dataset, or the bulk files up to a day."""
    key = "header.bulk" if layout.is_bulk_dataset(dataset) else "header.day"
    return Note(key, {"dataset": dataset, "date": day.isoformat(), "target": target})


def _target_header(target: str) -> Note:
    return Note("header.target", {"target": target})


def _manifest_missing_note(dataset: str, day: dt.date | None) -> Note:
    return Note(
        "locate.manifest_missing",
        {"dataset": dataset, "date": day.isoformat() if day else "?"},
    )


def manifest_missing(result: VerificationResult, dataset: str, day: dt.date) -> None:
    """The day's manifest was not found: integrity unavailable, the rest skipped."""
    cannot_locate(result, _manifest_missing_note(dataset, day))
