"""Anchor a published day's manifest digest on chain and record where it went.

The day's files are re-checked against their manifest right before anchoring, so a
partial or altered folder is never anchored. ``anchor.json`` (written next to the
manifest) uses plain lowercase hex for key/digest/previous, like the manifest, and
``0x`` hex for EVM values (addresses, transaction hash).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from integrity import layout
from integrity.chain import AnchorRegistryClient
from integrity.keys import anchor_key
from integrity.manifest import Manifest, load_manifest, sha256_file
from integrity.merkle import leaf_hashes, root_from_leaf_hashes
from publication.portal import write_index_page
from publication.writer import PublicationError, record_anchor

ZERO_KEY = bytes(32)


def check_day_files(folder: Path, manifest: Manifest) -> list[str]:
    """Problems found comparing a day folder with its manifest (empty list = consistent)."""
    problems: list[str] = []
    for name, entry in sorted(manifest.files.items()):
        path = folder / name
        if not path.exists():
            problems.append(f"{name}: missing")
            continue
        digest, size = sha256_file(path)
        if (digest, size) != (entry["sha256"], entry["bytes"]):
            problems.append(f"{name}: SHA-256/size differ from the manifest")
    leaves_path = folder / manifest.merkle["leaves"]
    if leaves_path.exists():
        lines = leaves_path.read_bytes().splitlines()
        root = root_from_leaf_hashes(leaf_hashes(lines)).hex()
        if root != manifest.merkle["root"] or len(lines) != manifest.merkle["treeSize"]:
            problems.append(f"{leaves_path.name}: Merkle root differs from the manifest")
    return problems


def previous_key(manifest: Manifest) -> bytes:
    """Chain key of the day this manifest links back to (zero for the first day)."""
    previous = manifest.previous
    if previous is None:
        return ZERO_KEY
    return anchor_key(manifest.dataset, dt.date.fromisoformat(previous["date"]))


def anchor_day(
    root: Path, dataset: str, day: dt.date, client: AnchorRegistryClient, *, dev_chain: bool
) -> dict[str, Any]:
    """Anchor one published day (a same-value retry sends nothing) and write anchor.json."""
    target = layout.DayLayout(root, dataset, day)
    if not target.manifest.exists():
        raise PublicationError(f"{day}: not published ({target.manifest} is missing)")
    manifest = load_manifest(target.manifest)
    problems = check_day_files(target.folder, manifest)
    if problems:
        raise PublicationError(
            f"{day}: refusing to anchor an inconsistent day: {'; '.join(problems)}"
        )
    key = anchor_key(dataset, day)
    if manifest.data["anchorKey"] != key.hex():
        raise PublicationError(f"{day}: manifest names anchor key {manifest.data['anchorKey']}")
    receipt = client.anchor(key, day, bytes.fromhex(manifest.sha256), previous_key(manifest))
    record = {**receipt.to_json_dict(), "publisher": client.publisher(), "devChain": dev_chain}
    days = record_anchor(root, dataset, day, record)
    write_index_page(root, dataset, days)  # the landing page shows each day's anchor status
    return {**record, "alreadyAnchored": receipt.already_anchored}
