"""Single-release inclusion proofs: build them from a day folder and verify them anywhere.

A proof carries the canonical release line, its leaf index, the RFC 9162 audit path, the
day's manifest object (whose canonical bytes hash to the anchored digest) and the day's
anchor receipt. The tree size is always taken from the manifest, never from the proof.
See docs/verification.md for the format and a by-hand check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from integrity import layout
from integrity.canonical import CanonicalJSONError, canonical_bytes
from integrity.manifest import Manifest, ManifestError, load_manifest, parse_manifest
from integrity.merkle import MerkleTree, leaf_hashes, verify_inclusion
from integrity.verify._anchor import check_anchor
from integrity.verify._chain import AnchorReader, ChainAccess, as_chain_access
from integrity.verify._checks import check_manifest_fields
from integrity.verify._options import VerifyOptions
from integrity.verify._results import (
    CHECKS,
    Note,
    Status,
    VerificationResult,
    skip_rest,
    summary_check,
)
from integrity.verify._values import hex32, short

PROOF_VERSION = 1
_MAX_PROOF_FILE = 256 << 20


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


def load_proofs(path: Path) -> list[dict[str, Any]] | None:
    """Proof objects in a JSON or JSON Lines file, or None if it holds no proof."""
    if path.stat().st_size > _MAX_PROOF_FILE:
        return None
    raw = path.read_bytes()
    try:
        value = orjson.loads(raw)
        values = value if isinstance(value, list) else [value]
    except orjson.JSONDecodeError:
        try:
            values = [orjson.loads(line) for line in raw.splitlines() if line.strip()]
        except orjson.JSONDecodeError:
            return None
    proofs = [v for v in values if isinstance(v, dict) and "auditPath" in v and "line" in v]
    return proofs if proofs and len(proofs) == len(values) else None


def verify_proofs(
    proofs: list[dict[str, Any]], options: VerifyOptions, target: str
) -> VerificationResult:
    """Verify one proof, or several as items of one combined result."""
    if len(proofs) == 1:
        single = verify_proof(proofs[0], options.chain, options=options)
        single.target = target
        return single
    combined = VerificationResult(target=target, header=Note("header.target", {"target": target}))
    combined.items = [verify_proof(p, options.chain, options=options) for p in proofs]
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
    chain = as_chain_access(chain_reader) if chain_reader is not None else options.chain
    effective = VerifyOptions(
        datasets=options.datasets,
        trust=options.trust,
        chain=chain,
        offline=options.offline,
        chain_factory=options.chain_factory,
    )
    result = VerificationResult(target="proof")
    integrity = result.checks["integrity"]
    try:
        manifest = parse_manifest(canonical_bytes(proof["manifest"]), origin="proof.manifest")
        line = str(proof["line"]).encode("utf-8")
        leaf_index = int(proof["leafIndex"])
        path = [bytes.fromhex(hex32(node) or "") for node in proof["auditPath"]]
        dataset = str(proof["dataset"])
        day = dt.date.fromisoformat(str(proof["date"]))
    except (KeyError, TypeError, ValueError, CanonicalJSONError, ManifestError) as error:
        integrity.fail("integrity.proof_malformed", error=str(error)[:300])
        skip_rest(result, "integrity")
        return result
    result.dataset, result.day = dataset, day
    result.synthetic = manifest.synthetic
    result.header = Note(
        "header.proof", {"leaf_index": leaf_index, "dataset": dataset, "date": day.isoformat()}
    )
    check_manifest_fields(integrity, manifest, dataset, day)
    _check_line_canonical(result, line)
    _check_audit_path(result, proof, manifest, line, leaf_index, path)
    trust = effective.trust
    if trust is None and effective.datasets is not None:
        try:
            trust = effective.datasets.trust()
        except ValueError as error:
            result.checks["publisher"].fail(
                "publisher.trust_invalid", trust=layout.TRUST_FILE, error=short(error)
            )
    anchor = proof.get("anchor")
    check_anchor(result, manifest, anchor if isinstance(anchor, dict) else None, trust, effective)
    return result


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
