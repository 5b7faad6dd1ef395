"""Single-release inclusion proofs: build them from a day folder and verify them anywhere.

A proof carries the canonical release line, its leaf index, the RFC 9162 audit path, the
day's manifest object (whose canonical bytes hash to the anchored digest) and the day's
anchor receipt. The tree size is always taken from the manifest, never from the proof.
See docs/verification.md for the format and a by-hand check.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from integrity.canonical import CanonicalJSONError, canonical_bytes
from integrity.manifest import Manifest, load_manifest
from integrity.merkle import MerkleTree, leaf_hashes, verify_inclusion
from integrity.verify._anchor import check_anchor
from integrity.verify._chain import AnchorReader, ChainAccess, as_chain_access
from integrity.verify._checks import check_manifest_fields
from integrity.verify._days import not_a_date, parse_day
from integrity.verify._io import InputRefused, open_regular, read_capped, too_large
from integrity.verify._limits import DEFAULT_LIMITS, Limits
from integrity.verify._manifest import ManifestRejected, parse_checked
from integrity.verify._options import VerifyOptions
from integrity.verify._pins import choose_pin
from integrity.verify._results import (
    CHECKS,
    Note,
    Status,
    VerificationResult,
    cannot_locate,
    skip_rest,
    summary_check,
)
from integrity.verify._values import hex32

PROOF_VERSION = 1


class ProofError(ValueError):
    """A proof cannot be built as asked."""


# --------------------------------------------------------------------------- building


def _day_files(day_folder: Path) -> tuple[Path | None, Manifest]:
    """The anchor receipt (if any) and the parsed manifest of a day folder."""
    manifests = sorted(day_folder.glob(f"*-{layout.MANIFEST}"))
    if not manifests:
        raise ProofError(f"{day_folder}: no *-{layout.MANIFEST} here; give a published day folder")
    manifest = load_manifest(manifests[0])
    anchor_path = manifests[0].with_name(
        manifests[0].name.removesuffix(layout.MANIFEST) + layout.ANCHOR
    )
    return (anchor_path if anchor_path.is_file() else None), manifest


def _read_lines(path: Path) -> list[bytes]:
    """Leaves of a JSON Lines file (each line without its newline)."""
    lines = path.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _matches(line: bytes, wanted: str) -> bool:
    """Whether a release line is for ``wanted`` (an ocid or an order number)."""
    if wanted.encode() not in line:
        return False
    release = orjson.loads(line)
    ocid = str(release.get("ocid", ""))
    if ocid == wanted or ocid.endswith("-" + wanted):
        return True
    return any(contract.get("id") == wanted for contract in release.get("contracts", []) or [])


def _proof(
    manifest: Manifest, anchor: dict[str, Any] | None, tree: MerkleTree, index: int, line: bytes
) -> dict[str, Any]:
    return {
        "version": PROOF_VERSION,
        "dataset": manifest.dataset,
        "date": manifest.data["date"],
        "line": line.decode("utf-8"),
        "leafIndex": index,
        "auditPath": [node.hex() for node in tree.inclusion_proof(index)],
        "manifest": manifest.data,
        "anchor": anchor,
    }


def _anchor_record(path: Path | None) -> dict[str, Any] | None:
    return orjson.loads(path.read_bytes()) if path else None


def build_proof(day_folder: Path, ocid_or_order_number: str) -> dict[str, Any]:
    """Proof for the latest release (last leaf) of one ocid or order number in a day folder."""
    anchor_path, manifest = _day_files(day_folder)
    leaves_path = day_folder / str(manifest.merkle["leaves"])
    lines = _read_lines(leaves_path)
    matches = [i for i, line in enumerate(lines) if _matches(line, ocid_or_order_number)]
    if not matches:
        raise ProofError(
            f"{leaves_path.name}: no release with ocid or order number {ocid_or_order_number!r}"
        )
    tree = MerkleTree(leaf_hashes(lines))
    if tree.size != int(manifest.merkle["treeSize"]) or tree.root.hex() != hex32(
        manifest.merkle["root"]
    ):
        raise ProofError(
            f"{leaves_path.name} does not match its manifest's Merkle root: run verificar on "
            f"{day_folder} first"
        )
    return _proof(manifest, _anchor_record(anchor_path), tree, matches[-1], lines[matches[-1]])


def build_all_proofs(day_folder: Path) -> Iterator[dict[str, Any]]:
    """One proof per leaf of a day, in leaf order (write them as one JSON Lines file)."""
    anchor_path, manifest = _day_files(day_folder)
    lines = _read_lines(day_folder / str(manifest.merkle["leaves"]))
    tree = MerkleTree(leaf_hashes(lines))
    anchor = _anchor_record(anchor_path)
    for index, line in enumerate(lines):
        yield _proof(manifest, anchor, tree, index, line)


def write_proofs(day_folder: Path, target: Path) -> int:
    """Write every proof of a day as JSON Lines; return how many were written."""
    count = 0
    with target.open("wb") as out:
        for proof in build_all_proofs(day_folder):
            out.write(canonical_bytes(proof) + b"\n")
            count += 1
    return count


# --------------------------------------------------------------------------- verifying


_SNIFF = 64 << 10


def looks_like_proofs(path: Path, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Whether a file holds proofs: JSON whose first value names an audit path and a line.

    The first 64 KiB usually tell (canonical proofs start with ``anchor``, ``auditPath``);
    a pretty-printed proof whose long release line comes first is parsed (first value only,
    at most ``limits.small_file`` bytes) to be sure.
    """
    try:
        with open_regular(path, follow=True) as handle:
            head = handle.read(_SNIFF)
            if head.lstrip()[:1] not in (b"{", b"["):
                return False
            if b'"auditPath"' in head and b'"line"' in head:
                return True
            first = _first_line_object(head)
            if first is not None:  # JSON Lines (releases, ...): no need to read the whole file
                return "auditPath" in first and "line" in first
            handle.seek(0)
            first = _first_value(handle, limits)
    except (OSError, InputRefused):
        return False
    return isinstance(first, dict) and "auditPath" in first and "line" in first


def _first_line_object(head: bytes) -> dict[str, Any] | None:
    """The first line of ``head`` parsed, if it is complete and a JSON object (the file's first
    value either way: whole-file JSON would be that object, JSON Lines start with it)."""
    end = head.find(b"\n")
    if end < 0:
        return None
    try:
        value = orjson.loads(head[:end])
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _first_value(handle: Any, limits: Limits) -> Any:
    """The first JSON value of a file (the whole file, or its first line), if small enough."""
    size = os.fstat(handle.fileno()).st_size
    if size <= limits.small_file:
        try:
            value = orjson.loads(read_capped(handle, limits.small_file, "proofs"))
        except orjson.JSONDecodeError:
            handle.seek(0)
        else:
            return value[0] if isinstance(value, list) and value else value
    line = next(iter(_lines(handle, limits.small_file + 1)), b"")
    try:
        return orjson.loads(line) if len(line) <= limits.small_file else None
    except orjson.JSONDecodeError:
        return None


def _proof_values(path: Path, limits: Limits) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value or the JSONDecodeError) of every proof in a file.

    A JSON object or array is parsed whole only up to ``limits.small_file`` bytes; JSON Lines
    are read line by line (at most ``limits.proof_file`` bytes, each line at most
    ``limits.small_file``). Raises ``InputRefused`` when the file is too large or holds more
    than ``limits.proofs`` proofs (counted before anything is parsed).
    """
    with open_regular(path, follow=True) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limits.proof_file:
            raise too_large(path.name, limits.proof_file)
        count = _count_lines(handle, limits)
        handle.seek(0)
        too_many = InputRefused(
            Note("input.too_many_proofs", {"file": path.name, "limit": limits.proofs})
        )
        if count > limits.proofs:
            raise too_many
        if size <= limits.small_file:
            raw = read_capped(handle, limits.small_file, path.name)
            if raw.count(b'"auditPath"') > limits.proofs:
                raise too_many
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
            else:
                yield from ((1, v) for v in (value if isinstance(value, list) else [value]))
                return
            handle.seek(0)
        for number, line in enumerate(_lines(handle, limits.small_file + 1), start=1):
            if not line.strip():
                continue
            if len(line) > limits.small_file:
                yield number, orjson.JSONDecodeError("line too long", "", 0)
                continue
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as error:
                yield number, error


def _count_lines(handle: Any, limits: Limits) -> int:
    """Non-empty lines of a proof file, counted in one bounded pass."""
    count = 0
    for line in _lines(handle, limits.small_file + 1):
        if line.strip():
            count += 1
            if count > limits.proofs:
                break
    return count


def _lines(handle: Any, longest: int | None = None) -> Iterator[bytes]:
    """Lines of a file; a line longer than ``longest`` is cut there (it is never held whole)."""
    pending = b""
    cut = False
    while chunk := handle.read(1 << 20):
        parts = (pending + chunk).split(b"\n")
        pending = parts.pop()
        for part in parts:
            if cut:
                cut = False
                continue
            yield part
        if longest is not None and len(pending) > longest:
            if not cut:
                yield pending[:longest]
            pending, cut = b"", True
    if pending and not cut:
        yield pending


def load_proofs(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[dict[str, Any]] | None:
    """Proof objects in a JSON or JSON Lines file, or None if it is not a file of proofs
    (bounded: ``InputRefused`` when the file is too large or holds too many proofs)."""
    if not looks_like_proofs(path, limits):
        return None
    values = [value for _, value in _proof_values(path, limits)]
    proofs = [v for v in values if isinstance(v, dict) and "auditPath" in v and "line" in v]
    return proofs if proofs and len(proofs) == len(values) else None


def verify_proof_file(path: Path, options: VerifyOptions, target: str) -> VerificationResult:
    """Verify every proof in a file; a malformed line fails on its own, the others still count."""
    items: list[VerificationResult] = []
    for number, value in _proof_values(path, options.limits):
        if isinstance(value, dict) and "auditPath" in value and "line" in value:
            item = verify_proof(value, options.chain, options=options)
        else:
            item = VerificationResult(target=f"{path.name}:{number}")
            item.checks["integrity"].fail(
                "integrity.proof_malformed", line=number, detail=_value_problem(value)
            )
            skip_rest(item, "integrity")
        items.append(item)
    if not items:
        result = VerificationResult(target=target, header=Note("header.target", {"target": target}))
        cannot_locate(result, Note("locate.unknown_file", {"path": target}), failed=True)
        return result
    return combine_proofs(items, target)


def _value_problem(value: Any) -> str:
    if isinstance(value, orjson.JSONDecodeError):
        return "json"
    return "object" if not isinstance(value, dict) else "fields"


def verify_proofs(
    proofs: list[dict[str, Any]], options: VerifyOptions, target: str
) -> VerificationResult:
    """Verify one proof, or several as items of one combined result."""
    return combine_proofs([verify_proof(p, options.chain, options=options) for p in proofs], target)


def combine_proofs(items: list[VerificationResult], target: str) -> VerificationResult:
    """One proof's result as it is, or several as items of one combined result."""
    if len(items) == 1:
        single = items[0]
        single.target = target
        return single
    combined = VerificationResult(target=target, header=Note("header.target", {"target": target}))
    combined.items = items
    for name in CHECKS:
        combined.checks[name] = summary_check(name, combined.items)
    combined.dev_chain = any(item.dev_chain for item in combined.items)
    combined.synthetic = any(item.synthetic for item in combined.items)
    return combined


def verify_proof(
    proof: dict[str, Any],
    chain_reader: ChainAccess | AnchorReader | None = None,
    *,
    options: VerifyOptions | None = None,
) -> VerificationResult:
    """Check one proof: well-formed, leaf in the manifest's tree, manifest anchored, trusted."""
    options = options or VerifyOptions()
    if chain_reader is not None and chain_reader is not options.chain:
        options = replace(options, chain=as_chain_access(chain_reader), read_cache={})
    result = VerificationResult(target="proof")
    integrity = result.checks["integrity"]
    parsed = _parse_proof(proof)
    if isinstance(parsed, Note):
        integrity.fail(parsed.key, **parsed.params)
        skip_rest(result, "integrity")
        return result
    manifest, line, leaf_index, path, dataset, day = parsed
    result.dataset, result.day = dataset, day
    result.synthetic = manifest.synthetic
    result.header = Note(
        "header.proof", {"leaf_index": leaf_index, "dataset": dataset, "date": day.isoformat()}
    )
    check_manifest_fields(integrity, manifest, dataset, day)
    _check_line_canonical(result, line)
    _check_audit_path(result, proof, manifest, line, leaf_index, path)
    anchor = proof.get("anchor")
    record = anchor if isinstance(anchor, dict) else None
    if anchor is not None and record is None:
        result.checks["anchor"].notes.append(
            Note("anchor.receipt_unreadable", {"file": "proof.anchor", "detail": "object"})
        )
    choice = choose_pin(options, dataset, options.datasets, record)
    check_anchor(result, manifest, record, choice, options)
    return result


_MAX_AUDIT_PATH = 64


def _parse_proof(
    proof: dict[str, Any],
) -> tuple[Manifest, bytes, int, list[bytes], str, dt.date] | Note:
    """The proof's fields, checked one by one; a failing note names the first bad field."""

    def bad(field: str) -> Note:
        return Note("integrity.proof_malformed", {"line": "-", "detail": field}, failed=True)

    try:
        manifest = parse_checked(canonical_bytes(proof.get("manifest")), "proof.manifest")
    except (CanonicalJSONError, TypeError):
        return bad("manifest")
    except ManifestRejected as error:
        return error.note if error.note.failed else bad("manifest")
    line = proof.get("line")
    if not isinstance(line, str):
        return bad("line")
    leaf_index = proof.get("leafIndex")
    if isinstance(leaf_index, bool) or not isinstance(leaf_index, int) or leaf_index < 0:
        return bad("leafIndex")
    audit = proof.get("auditPath")
    if not isinstance(audit, list) or len(audit) > _MAX_AUDIT_PATH:
        return bad("auditPath")
    path: list[bytes] = []
    for node in audit:
        text = hex32(node) if isinstance(node, str) else None
        if text is None or len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
            return bad("auditPath")
        path.append(bytes.fromhex(text))
    dataset = proof.get("dataset")
    if not isinstance(dataset, str) or not dataset or "/" in dataset:
        return bad("dataset")
    day = parse_day(proof.get("date"))
    if day is None:
        return not_a_date(proof.get("date"))
    return manifest, line.encode("utf-8", "surrogatepass"), leaf_index, path, dataset, day


def _check_line_canonical(result: VerificationResult, line: bytes) -> None:
    """The release line must be canonical JSON (RFC 8785)."""
    integrity = result.checks["integrity"]
    try:
        release = orjson.loads(line)
        canonical = canonical_bytes(release) == line
    except (orjson.JSONDecodeError, CanonicalJSONError):
        release, canonical = {}, False
    if not canonical:
        integrity.fail("integrity.proof_line_not_canonical")
    elif integrity.status is Status.OK:
        ocid = release.get("ocid", "?") if isinstance(release, dict) else "?"
        integrity.ok("integrity.proof_ok", ocid=ocid)


def _check_audit_path(
    result: VerificationResult,
    proof: dict[str, Any],
    manifest: Manifest,
    line: bytes,
    leaf_index: int,
    path: list[bytes],
) -> None:
    """The audit path must lead from the line to the manifest's root with its tree size."""
    inclusion = result.checks["inclusion"]
    tree_size = int(manifest.merkle["treeSize"])
    root_hex = hex32(manifest.merkle["root"]) or ""
    claimed = proof.get("treeSize")
    if claimed is not None and claimed != tree_size:
        inclusion.notes.append(
            Note("inclusion.proof_tree_size_ignored", {"claimed": claimed, "tree_size": tree_size})
        )
    params = {"leaf_index": leaf_index, "tree_size": tree_size, "root": root_hex}
    if verify_inclusion(line, leaf_index, tree_size, path, bytes.fromhex(root_hex)):
        inclusion.ok("inclusion.proof_ok", **params)
    else:
        inclusion.fail("inclusion.proof_failed", **params)
