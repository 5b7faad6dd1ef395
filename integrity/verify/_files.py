"""Verifying one published file, or a bare ``sha256:`` digest, against its day's manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import orjson

from integrity import layout
from integrity.manifest import Manifest
from integrity.verify._anchor import check_day_anchor
from integrity.verify._checks import (
    check_inclusion,
    check_manifest_fields,
    check_sums,
    compare_entry,
)
from integrity.verify._context import resolve_day
from integrity.verify._datasets import DatasetsRoot, IndexEntry, detect_root
from integrity.verify._day import manifest_missing, verify_day_in
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
from integrity.verify._source import Source, hash_stream, scan_leaves

PUBLISHED_KINDS = frozenset(
    {
        layout.RELEASE_PACKAGE,
        layout.RELEASES_JSONL,
        layout.ORDERS_PARQUET,
        layout.ORDERS_CSV,
        layout.QUARANTINE_PARQUET,
        layout.QUALITY_JSON,
        layout.MANIFEST,
        layout.CHECKSUMS,
        layout.ANCHOR,
    }
)


def is_published_file_name(name: str) -> bool:
    """Whether ``name`` names a kind of published file the verifier checks on its own."""
    parsed = layout.parse_file_name(name)
    return parsed is not None and parsed[2] in PUBLISHED_KINDS


def verify_file(path: Path, options: VerifyOptions) -> VerificationResult:
    """Verify a single published file against its day's manifest."""
    parsed = layout.parse_file_name(path.name)
    if parsed is None:
        raise ValueError(f"{path.name} is not a published file name")
    dataset, day, kind = parsed
    folder_source = Source(path.parent)
    root = options.datasets or detect_root(path.parent)
    if kind == layout.ANCHOR:
        return verify_day_in(dataset, day, folder_source, root, options, str(path))
    result = VerificationResult(
        target=str(path),
        dataset=dataset,
        day=day,
        header=Note("header.day", {"dataset": dataset, "date": day.isoformat(), "target": path}),
    )
    try:
        ctx = resolve_day(dataset, day, folder_source, root)
    except NoteError as error:
        cannot_locate(result, error.note)
        return result
    if ctx.manifest is None:
        manifest_missing(result, dataset, day)
        return result
    integrity, inclusion = result.checks["integrity"], result.checks["inclusion"]
    check_manifest_fields(integrity, ctx.manifest, dataset, day)
    if kind == layout.MANIFEST:
        _check_manifest_file(integrity, path, ctx.manifest, day)
    elif kind == layout.CHECKSUMS:
        check_sums(integrity, path.read_bytes(), path.name, ctx.manifest)
    else:
        _check_listed_file(result, path, kind, ctx.manifest, day)
    if inclusion.status is Status.OK and not inclusion.notes:
        inclusion.skip(SkipReason.NOT_APPLICABLE, "inclusion.not_applicable", file=path.name)
    check_day_anchor(result, ctx, options)
    return result


def _check_manifest_file(
    integrity: CheckResult, path: Path, manifest: Manifest, day: dt.date
) -> None:
    """A manifest file must be byte-identical to the day's manifest."""
    raw = path.read_bytes()
    if raw != manifest.raw:
        integrity.fail(
            "integrity.hash_mismatch",
            file=path.name,
            expected=manifest.sha256,
            actual=hashlib.sha256(raw).hexdigest(),
        )
    elif integrity.status is Status.OK:
        integrity.ok("integrity.manifest_ok", date=day.isoformat(), digest=manifest.sha256)


def _check_listed_file(
    result: VerificationResult, path: Path, kind: str, manifest: Manifest, day: dt.date
) -> None:
    """A data file must match its manifest entry; the leaves file also its Merkle root."""
    integrity = result.checks["integrity"]
    entry = manifest.files.get(path.name)
    if entry is None:
        integrity.fail("integrity.not_in_manifest", file=path.name, date=day.isoformat())
        return
    with path.open("rb") as handle:
        if kind == layout.RELEASES_JSONL or path.name == manifest.merkle.get("leaves"):
            scan = scan_leaves(handle)
            compare_entry(integrity, entry, scan.sha256, scan.size)
            check_inclusion(result.checks["inclusion"], manifest, scan)
        else:
            digest, size = hash_stream(handle)
            compare_entry(integrity, entry, digest, size)
    if integrity.status is Status.OK:
        integrity.ok("integrity.files_ok", count=1)


def verify_digest(digest: str, options: VerifyOptions) -> VerificationResult:
    """Look a ``sha256:`` digest up through the datasets index and verify the day it belongs to."""
    target = f"sha256:{digest}"
    result = VerificationResult(target=target, header=Note("header.target", {"target": target}))
    root = options.datasets
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
    raw = root.source.child(entry.folder).read(entry.manifest)
    if raw is None:
        return None
    if hashlib.sha256(raw).hexdigest() == digest:
        return entry.manifest
    listed = [f["name"] for f in orjson.loads(raw).get("files", []) if f.get("sha256") == digest]
    return str(listed[0]) if listed else None


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
    result.header = Note(
        "header.day", {"dataset": dataset, "date": day.isoformat(), "target": result.target}
    )
    try:
        ctx = resolve_day(dataset, day, root.source.child(entry.folder), root)
    except NoteError as error:
        cannot_locate(result, error.note)
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
