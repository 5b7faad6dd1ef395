"""Comparisons shared by day, file, digest and proof verification (integrity and inclusion)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from integrity import layout
from integrity.keys import anchor_key
from integrity.manifest import Manifest
from integrity.verify._io import name_problem, printable
from integrity.verify._manifest import listed_files
from integrity.verify._results import CheckResult, Status
from integrity.verify._source import Hashed, LeafScan
from integrity.verify._values import hex32

_SUMS_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")


def compare_entry(check: CheckResult, entry: dict[str, Any], hashed: Hashed) -> bool:
    """Compare a file's digest and size with its manifest entry (a longer file is not hashed)."""
    name, expected = entry["name"], int(entry["bytes"])
    if hashed.longer:
        if hashed.size_known:
            check.fail("integrity.size_mismatch", file=name, expected=expected, actual=hashed.size)
        else:
            check.fail("integrity.longer", file=name, expected=expected)
        return False
    matches = True
    if entry["sha256"] != hashed.sha256:
        check.fail(
            "integrity.hash_mismatch", file=name, expected=entry["sha256"], actual=hashed.sha256
        )
        matches = False
    if expected != hashed.size:
        check.fail("integrity.size_mismatch", file=name, expected=expected, actual=hashed.size)
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


def sums_name(manifest: Manifest) -> str:
    """The SHA256SUMS file name of a manifest's day."""
    return f"{manifest.dataset}-{manifest.data['date']}-{layout.CHECKSUMS}"


def check_sums(check: CheckResult, raw: bytes, sums: str, manifest: Manifest) -> None:
    """SHA256SUMS must list exactly the manifest's files and the manifest, with its digests."""
    expected = {name: entry["sha256"] for name, entry in listed_files(manifest).items()}
    manifest_name = f"{manifest.dataset}-{manifest.data['date']}-{layout.MANIFEST}"
    expected[manifest_name] = manifest.sha256
    seen: set[str] = set()
    count = 0
    text = raw.decode("utf-8", "replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line.rstrip("\r"))
        if match is None:
            check.fail("integrity.sums_malformed", sums=sums, line=number)
            continue
        digest, name = match[1].lower(), match[2]
        if name_problem(name) is not None:
            check.fail("input.unsafe_name", name=printable(name), what="SHA256SUMS")
        elif name in seen:
            check.fail("integrity.sums_duplicate", sums=sums, file=name, line=number)
        elif name not in expected:
            check.fail("integrity.not_in_manifest", file=name, date=manifest.data["date"])
        elif expected[name] != digest:
            check.fail(
                "integrity.sums_mismatch",
                sums=sums,
                file=name,
                expected=expected[name],
                actual=digest,
            )
        else:
            count += 1
        seen.add(name)
    for name in sorted(set(expected) - seen):
        check.fail("integrity.sums_missing", sums=sums, file=name)
    if check.status is not Status.FAIL:
        check.ok("integrity.sums_ok", sums=sums, count=count)


def check_inclusion(check: CheckResult, manifest: Manifest, scan: LeafScan) -> None:
    """The recomputed Merkle root and leaf count must equal the manifest's."""
    merkle = manifest.merkle
    name = str(merkle.get("leaves"))
    if scan.longer:
        check.fail("inclusion.longer", file=name)
        return
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
