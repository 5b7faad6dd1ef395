"""Anchor a published day's manifest digest on chain and record where it went.

The day's files are re-checked against their manifest right before anchoring (by the
verifier's own day check, ``integrity.verify.verify_day_files``), so a partial or altered
folder is never anchored. ``anchor.json`` (written next to the manifest) uses plain
lowercase hex for key/digest/previous, like the manifest, and ``0x`` hex for EVM values
(addresses, transaction hash).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from integrity import layout
from integrity.chain import AnchorRegistryClient
from integrity.keys import anchor_key
from integrity.manifest import Manifest, load_manifest
from integrity.verify import verify_day_files
from publication.portal import write_index_page
from publication.writer import PublicationError, record_anchor

ZERO_KEY = bytes(32)


def check_day_files(folder: Path, manifest: Manifest) -> list[str]:
    """Problems found comparing a day folder with its manifest (empty list = consistent)."""
    return verify_day_files(folder, manifest).problems()


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
