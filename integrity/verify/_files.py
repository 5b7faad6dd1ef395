"""Verifying one published file, a renamed one (found by its digest), or a ``sha256:`` digest.

Any file the day's manifest lists verifies by name (release and record packages, tables,
quality reports, whatever the publisher listed), not only a fixed set of kinds. A file whose
name is not a published name is looked up by its SHA-256 through the datasets index, as the
browser page does, and then verified as the file it is. A bulk file (named by its period,
not a day) is verified against the manifest of its bulk folder (``_bulk``), by name or, when
renamed, by digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path
from typing import BinaryIO

from integrity import layout
from integrity.manifest import Manifest
from integrity.verify._anchor import check_day_anchor
from integrity.verify._bulk import BulkFolder, bulk_folders
from integrity.verify._checks import (
    check_inclusion,
    check_manifest_fields,
    check_sums,
    compare_entry,
)
from integrity.verify._context import DayContext, parse_receipt, resolve_day
from integrity.verify._datasets import DatasetsRoot, IndexEntry, detect_root
from integrity.verify._day import day_header, manifest_missing
from integrity.verify._days import not_a_date, parse_day
from integrity.verify._explain import explain_listed_file
from integrity.verify._io import InputRefused, open_regular, read_capped
from integrity.verify._manifest import listed_files, parse_checked
from integrity.verify._options import VerifyOptions
from integrity.verify._results import (
    CheckResult,
    Note,
    NoteError,
    SkipReason,
    Status,
    VerificationResult,
    cannot_locate,
)
from integrity.verify._source import Hashed, Source, hash_stream, scan_leaves

_PUBLISHED_NAME = re.compile(
    r"^(?P<dataset>[a-z0-9-]+?)-(?P<day>\d{4}-\d{2}-\d{2})-(?P<kind>[A-Za-z0-9_.]+)$"
)


def published_name(name: str) -> tuple[str, dt.date, str] | Note | None:
    """(dataset, day, kind) of a published file name; a failing note when the name holds a day
    that does not exist (``…-2026-02-30-…``); None if it is not a published name."""
    match = _PUBLISHED_NAME.match(name)
    if match is None:
        return None
    day = parse_day(match["day"])
    if day is None:
        return not_a_date(match["day"])
    return match["dataset"], day, match["kind"]


def verify_file(
    path: Path,
    options: VerifyOptions,
    *,
    as_name: str | None = None,
    bulk: BulkFolder | None = None,
) -> VerificationResult:
    """Verify a single file against its day's manifest (``as_name``: the published name it was
    identified as, for a renamed file; ``bulk``: the bulk folder whose manifest lists it)."""
    name = as_name or path.name
    parsed = published_name(name)
    if bulk is not None:
        dataset, day, files = bulk.dataset, bulk.day, bulk.files
        same = isinstance(parsed, tuple) and parsed[:2] == (dataset, day)
        kind = parsed[2] if isinstance(parsed, tuple) and same else name
    elif isinstance(parsed, tuple):
        dataset, day, kind = parsed
        files = Source(path.parent, options.limits)
    else:
        raise ValueError(f"{name} is not a published file name")
    result = VerificationResult(
        target=str(path), dataset=dataset, day=day, header=day_header(dataset, day, path)
    )
    if as_name is not None:
        result.checks["integrity"].ok("integrity.identified", file=path.name, name=as_name)
    root = options.datasets or detect_root(path.parent, options.limits)
    try:
        ctx = resolve_day(dataset, day, files, root, receipt=kind != layout.ANCHOR)
    except NoteError as error:
        cannot_locate(result, error.note, failed=error.note.failed)
        return result
    if ctx.manifest is None:
        manifest_missing(result, dataset, day)
        return result
    integrity, inclusion = result.checks["integrity"], result.checks["inclusion"]
    check_manifest_fields(integrity, ctx.manifest, dataset, day)
    try:
        if kind == layout.MANIFEST:
            _check_manifest_file(integrity, path, ctx.manifest, day, options)
        elif kind == layout.CHECKSUMS:
            check_sums(integrity, _read_target(path, options), name, ctx.manifest)
        elif kind == layout.ANCHOR:
            _use_receipt(integrity, ctx, path, options)
        else:
            _check_listed_file(result, path, name, ctx.manifest, day, options)
    except InputRefused as error:
        cannot_locate(result, error.note, failed=error.tampering)
        return result
    if inclusion.status is Status.OK and not inclusion.notes:
        inclusion.skip(SkipReason.NOT_APPLICABLE, "inclusion.not_applicable", file=name)
    check_day_anchor(result, ctx, options)
    return result


def _open_target(path: Path) -> BinaryIO:
    """The file named on the command line (a link to a regular file is followed)."""
    return open_regular(path, follow=True)


def _read_target(path: Path, options: VerifyOptions) -> bytes:
    with _open_target(path) as handle:
        return read_capped(handle, options.limits.small_file, path.name)


def _check_manifest_file(
    integrity: CheckResult, path: Path, manifest: Manifest, day: dt.date, options: VerifyOptions
) -> None:
    """A manifest file must be byte-identical to the day's manifest."""
    raw = _read_target(path, options)
    if raw != manifest.raw:
        integrity.fail(
            "integrity.hash_mismatch",
            file=path.name,
            expected=manifest.sha256,
            actual=hashlib.sha256(raw).hexdigest(),
        )
    elif integrity.status is Status.OK:
        integrity.ok("integrity.manifest_ok", date=day.isoformat(), digest=manifest.sha256)


def _use_receipt(
    integrity: CheckResult, ctx: DayContext, path: Path, options: VerifyOptions
) -> None:
    """The anchor receipt named on the command line is the one checked against the chain.

    One that is not a JSON object is not a receipt the publisher wrote: FALLA."""
    record, problem = parse_receipt(_read_target(path, options), path.name)
    if problem is not None:
        integrity.fail(problem.key, **problem.params)
        return
    ctx.anchor_record = record
    if integrity.status is Status.OK:
        assert ctx.manifest is not None
        integrity.ok("integrity.manifest_ok", date=ctx.day.isoformat(), digest=ctx.manifest.sha256)


def _check_listed_file(
    result: VerificationResult,
    path: Path,
    name: str,
    manifest: Manifest,
    day: dt.date,
    options: VerifyOptions,
) -> None:
    """A data file must match its manifest entry; the leaves file also its Merkle root."""
    integrity = result.checks["integrity"]
    entry = listed_files(manifest).get(name)
    if entry is None:
        integrity.fail("integrity.not_in_manifest", file=name, date=day.isoformat())
        return
    expected = int(entry["bytes"])
    with _open_target(path) as handle:
        size = _fstat_size(handle)
        if size is not None and size > expected:
            hashed = Hashed(None, size, longer=True)
            if name == manifest.merkle.get("leaves"):
                result.checks["inclusion"].fail("inclusion.longer", file=name)
        elif name == manifest.merkle.get("leaves"):
            scan = scan_leaves(handle, expected)
            hashed = Hashed(scan.sha256, scan.size, scan.longer, scan.size_known)
            check_inclusion(result.checks["inclusion"], manifest, scan)
        else:
            hashed = hash_stream(handle, expected)
    if compare_entry(integrity, entry, hashed):
        integrity.ok("integrity.files_ok", count=1)
    else:
        explain_listed_file(
            integrity, manifest, name, Source(path.parent, options.limits), options, local=path
        )


def _fstat_size(handle: object) -> int | None:
    fileno = getattr(handle, "fileno", None)
    return os.fstat(fileno()).st_size if callable(fileno) else None


def hash_target(path: Path) -> Hashed:
    """SHA-256 of a whole file named on the command line (to find a renamed file)."""
    with _open_target(path) as handle:
        return hash_stream(handle)


def verify_renamed(path: Path, options: VerifyOptions) -> VerificationResult | None:
    """Find a file whose name was changed by its SHA-256 in the datasets index (or the bulk
    manifest) and verify it as the published file it is; None if no root or bulk folder is
    known or no manifest lists the digest."""
    root = options.datasets or detect_root(path.parent, options.limits)
    bulk = bulk_folders(path, options)
    if (root is None or not root.has_index()) and not bulk:
        return None
    digest = hash_target(path).sha256
    assert digest is not None
    if root is not None and root.has_index():
        for _day, entry in sorted(root.index().items(), reverse=True):
            found = _name_with_digest(root, entry, digest)
            if found is not None:
                return verify_file(path, options, as_name=found)
    for folder in bulk:
        found = folder.name_with_digest(digest)
        if found is not None:
            return verify_file(path, options, as_name=found, bulk=folder)
    return None


def verify_digest(digest: str, options: VerifyOptions) -> VerificationResult:
    """Look a ``sha256:`` digest up through the datasets index and verify the day it belongs to."""
    target = f"sha256:{digest}"
    result = VerificationResult(target=target, header=Note("header.target", {"target": target}))
    root = options.datasets
    if root is not None and root.index_error is not None:
        cannot_locate(result, root.index_error)
        return result
    if root is None or not root.has_index():
        cannot_locate(result, Note("locate.digest_needs_index"))
        return result
    dataset = root.dataset or layout.DEFAULT_DATASET
    for day, entry in sorted(root.index().items()):
        found_name = _name_with_digest(root, entry, digest)
        if found_name is not None:
            return _verify_found_digest(result, root, dataset, day, entry, found_name, options)
    cannot_locate(result, Note("locate.digest_not_published", {"digest": digest}), failed=True)
    return result


def _name_with_digest(root: DatasetsRoot, entry: IndexEntry, digest: str) -> str | None:
    """The name of the day's manifest or listed file whose SHA-256 is ``digest``, if any."""
    if entry.manifest_sha256 == digest:
        return entry.manifest
    try:
        raw = root.source.child(entry.folder).read(entry.manifest)
        if raw is None:
            return None
        if hashlib.sha256(raw).hexdigest() == digest:
            return entry.manifest
        manifest = parse_checked(raw, entry.manifest)
    except NoteError:
        return None
    listed = [name for name, e in listed_files(manifest).items() if e["sha256"] == digest]
    return listed[0] if listed else None


def _verify_found_digest(
    result: VerificationResult,
    root: DatasetsRoot,
    dataset: str,
    day: dt.date,
    entry: IndexEntry,
    found_name: str,
    options: VerifyOptions,
) -> VerificationResult:
    """Verify the day in which a digest was found (the manifest must hash to it if named)."""
    digest = result.target.removeprefix("sha256:")
    result.dataset, result.day = dataset, day
    result.header = day_header(dataset, day, result.target)
    try:
        ctx = resolve_day(dataset, day, root.source.child(entry.folder), root)
    except NoteError as error:
        cannot_locate(result, error.note, failed=error.note.failed)
        return result
    if ctx.manifest is None:
        manifest_missing(result, dataset, day)
        return result
    integrity = result.checks["integrity"]
    check_manifest_fields(integrity, ctx.manifest, dataset, day)
    if found_name == entry.manifest and ctx.manifest.sha256 != digest:
        integrity.fail(
            "integrity.hash_mismatch", file=found_name, expected=digest, actual=ctx.manifest.sha256
        )
    elif integrity.status is Status.OK:
        integrity.ok("integrity.digest_found", digest=digest, file=found_name, date=day.isoformat())
    result.checks["inclusion"].skip(
        SkipReason.NOT_APPLICABLE, "inclusion.not_applicable", file=found_name
    )
    check_day_anchor(result, ctx, options)
    return result
