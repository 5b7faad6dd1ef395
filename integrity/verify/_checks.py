"""Comparisons shared by day, file, digest and proof verification (integrity and inclusion)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from integrity import layout
from integrity.keys import anchor_key
from integrity.manifest import Manifest
from integrity.verify._results import CheckResult, Status
from integrity.verify._source import LeafScan
from integrity.verify._values import hex32

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


def compare_entry(check: CheckResult, entry: dict[str, Any], digest: str, size: int) -> bool:
    """Compare a file's digest and size with its manifest entry."""
    matches = True
    if entry["sha256"] != digest:
        check.fail(
            "integrity.hash_mismatch", file=entry["name"], expected=entry["sha256"], actual=digest
        )
        matches = False
    if int(entry["bytes"]) != size:
        check.fail(
            "integrity.size_mismatch", file=entry["name"], expected=entry["bytes"], actual=size
        )
        matches = False
    return matches


def check_manifest_fields(
    check: CheckResult, manifest: Manifest, dataset: str, day: dt.date
) -> None:
    """The manifest must describe the day and dataset it is filed under (catches swaps)."""
    expected = {
        "dataset": dataset,
        "date": day.isoformat(),
        "anchorKey": anchor_key(dataset, day).hex(),
    }
    for name, value in expected.items():
        actual = manifest.data.get(name)
        if name == "anchorKey":
            actual = hex32(actual)
        if actual != value:
            check.fail("integrity.manifest_field", field=name, expected=value, actual=actual)


def check_sums(check: CheckResult, raw: bytes, sums_name: str, manifest: Manifest) -> None:
    """Every SHA256SUMS line must agree with the manifest (or the manifest's own digest)."""
    expected = {name: entry["sha256"] for name, entry in manifest.files.items()}
    manifest_name = f"{manifest.dataset}-{manifest.data['date']}-{layout.MANIFEST}"
    expected[manifest_name] = manifest.sha256
    count = 0
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or not _SHA256_HEX.fullmatch(parts[0]):
            check.fail("integrity.sums_malformed", sums=sums_name, line=number)
            continue
        digest, name = parts[0].lower(), parts[1].lstrip("*").strip()
        if name not in expected:
            check.fail("integrity.not_in_manifest", file=name, date=manifest.data["date"])
        elif expected[name] != digest:
            check.fail(
                "integrity.sums_mismatch",
                sums=sums_name,
                file=name,
                expected=expected[name],
                actual=digest,
            )
        else:
            count += 1
    if check.status is not Status.FAIL:
        check.ok("integrity.sums_ok", sums=sums_name, count=count)


def check_inclusion(check: CheckResult, manifest: Manifest, scan: LeafScan) -> None:
    """The recomputed Merkle root and leaf count must equal the manifest's."""
    merkle = manifest.merkle
    name = str(merkle.get("leaves"))
    if scan.unterminated:
        check.fail("inclusion.unterminated", file=name)
    if int(merkle["treeSize"]) != scan.tree_size:
        check.fail(
            "inclusion.size_mismatch", file=name, expected=merkle["treeSize"], actual=scan.tree_size
        )
    if hex32(merkle["root"]) != scan.root:
        check.fail(
            "inclusion.root_mismatch", file=name, expected=hex32(merkle["root"]), actual=scan.root
        )
    if check.status is Status.OK:
        check.ok("inclusion.ok", size=scan.tree_size, file=name)
