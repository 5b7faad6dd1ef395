"""Verifying a whole day: every listed file, SHA256SUMS, the Merkle root, then anchor and pin."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from integrity import layout
from integrity.manifest import Manifest
from integrity.verify._anchor import check_day_anchor
from integrity.verify._checks import (
    check_inclusion,
    check_manifest_fields,
    check_sums,
    compare_entry,
)
from integrity.verify._context import DayContext, guess_day_from_folder, resolve_day
from integrity.verify._datasets import DatasetsRoot, detect_root
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
from integrity.verify._source import LeafScan, Source, scan_leaves


def verify_day_folder(folder: Path, options: VerifyOptions) -> VerificationResult:
    """Verify every file of a local day folder, its Merkle root, anchor and publisher."""
    root = options.datasets or detect_root(folder)
    found = _manifest_in_folder(folder)
    if found is None:
        return _folder_without_manifest(folder, root, options)
    dataset, day = found
    result = verify_day_in(dataset, day, Source(folder), root, options, str(folder))
    _check_filed_under(result, folder, dataset, day)
    return result


def verify_day(
    root: DatasetsRoot, dataset: str, day: dt.date, options: VerifyOptions
) -> VerificationResult:
    """Verify one published day read from a datasets root (local or URL)."""
    files = root.day_source(dataset, day)
    return verify_day_in(dataset, day, files, root, options, files.describe(""))


def verify_day_files(folder: Path, manifest: Manifest | None = None) -> VerificationResult:
    """Integrity and inclusion of a local day folder (no chain, no pin): what a publisher
    checks before anchoring. ``manifest`` defaults to the one in the folder."""
    found = (manifest.dataset, manifest.day) if manifest else _manifest_in_folder(folder)
    if found is None:
        result = VerificationResult(target=str(folder), header=_target_header(str(folder)))
        guessed = guess_day_from_folder(folder)
        cannot_locate(result, _manifest_missing_note(*(guessed or ("?", None))))
        return result
    dataset, day = found
    result = _day_result(dataset, day, str(folder))
    try:
        ctx = resolve_day(dataset, day, Source(folder), None, manifest=manifest, receipt=False)
    except NoteError as error:
        cannot_locate(result, error.note)
        return result
    if ctx.manifest is None:
        cannot_locate(result, _manifest_missing_note(dataset, day))
        return result
    _check_contents(result, ctx, Source(folder))
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
        cannot_locate(result, error.note)
        return result
    if ctx.manifest is None:
        cannot_locate(result, _manifest_missing_note(dataset, day))
        return result
    _check_contents(result, ctx, files)
    check_day_anchor(result, ctx, options)
    return result


def _check_contents(result: VerificationResult, ctx: DayContext, files: Source) -> None:
    """Integrity of every listed file and SHA256SUMS, inclusion of the JSON Lines leaves."""
    manifest = ctx.manifest
    assert manifest is not None
    result.synthetic = manifest.synthetic
    integrity, inclusion = result.checks["integrity"], result.checks["inclusion"]
    check_manifest_fields(integrity, manifest, ctx.dataset, ctx.day)
    day_files = ctx.files or files
    leaves_name = str(manifest.merkle.get("leaves", ""))
    scan, checked = _check_listed_files(integrity, manifest, day_files, leaves_name)
    sums_name = f"{ctx.dataset}-{ctx.day.isoformat()}-{layout.CHECKSUMS}"
    sums_raw = day_files.read(sums_name)
    if sums_raw is not None:
        check_sums(integrity, sums_raw, sums_name, manifest)
    _note_unlisted_files(integrity, manifest, day_files, ctx.dataset, ctx.day)
    if integrity.status is Status.OK:
        integrity.notes.insert(0, Note("integrity.files_ok", {"count": checked}))
    if scan is not None:
        check_inclusion(inclusion, manifest, scan)
    elif leaves_name in manifest.files:
        inclusion.fail("integrity.file_missing", file=leaves_name)
    else:
        inclusion.fail("integrity.not_in_manifest", file=leaves_name, date=ctx.day.isoformat())


def _check_listed_files(
    integrity: CheckResult, manifest: Manifest, files: Source, leaves_name: str
) -> tuple[LeafScan | None, int]:
    """Hash every file the manifest lists (the leaves file with its Merkle tree)."""
    scan: LeafScan | None = None
    checked = 0
    try:
        for name, entry in sorted(manifest.files.items()):
            if name == leaves_name:
                try:
                    with files.open(name) as handle:
                        scan = scan_leaves(handle)
                except (FileNotFoundError, IsADirectoryError):
                    integrity.fail("integrity.file_missing", file=name)
                    continue
                digest, size = scan.sha256, scan.size
            else:
                hashed = files.hash(name)
                if hashed is None:
                    integrity.fail("integrity.file_missing", file=name)
                    continue
                digest, size = hashed
            if compare_entry(integrity, entry, digest, size):
                checked += 1
    except SourceUnavailable as error:
        integrity.skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
    return scan, checked


def _note_unlisted_files(
    integrity: CheckResult, manifest: Manifest, files: Source, dataset: str, day: dt.date
) -> None:
    """Files in a local day folder that the manifest does not cover."""
    local = files.local_path("")
    if local is None or not local.is_dir():
        return
    known = set(manifest.files) | {
        f"{dataset}-{day.isoformat()}-{kind}"
        for kind in (layout.MANIFEST, layout.CHECKSUMS, layout.ANCHOR)
    }
    for extra in sorted(p.name for p in local.iterdir() if p.is_file()):
        if extra not in known and not extra.startswith("."):
            integrity.ok("integrity.unlisted_file", file=extra)


def _manifest_in_folder(folder: Path) -> tuple[str, dt.date] | None:
    """(dataset, day) of the first manifest file in a folder."""
    for name in sorted(p.name for p in folder.iterdir() if p.is_file()):
        parsed = layout.parse_file_name(name)
        if parsed is not None and parsed[2] == layout.MANIFEST:
            return parsed[0], parsed[1]
    return None


def _folder_without_manifest(
    folder: Path, root: DatasetsRoot | None, options: VerifyOptions
) -> VerificationResult:
    """A folder with no manifest: verify it through the datasets root when the layout says
    which day it is, else say the manifest is missing."""
    guessed = guess_day_from_folder(folder)
    if guessed and root is not None:
        return verify_day_in(guessed[0], guessed[1], Source(folder), root, options, str(folder))
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
        target=target,
        dataset=dataset,
        day=day,
        header=Note("header.day", {"dataset": dataset, "date": day.isoformat(), "target": target}),
    )


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
