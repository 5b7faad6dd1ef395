"""The manifest as the verifier reads it: bounded, structurally checked, names made safe.

The manifest comes with the downloaded data, so before any of its values is used it is
checked field by field (``manifest.invalid`` names the field: the day cannot be checked,
exit 2), its date must be a calendar date (else the day does not exist: FALLA), and every
file name it lists must be a plain file name: an entry such as ``/etc/passwd`` or
``../../x`` is reported as FALLA naming the entry and is never opened.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from integrity.manifest import MANIFEST_SCHEMA, MERKLE_ALGORITHM, Manifest
from integrity.verify._days import not_a_date, parse_day
from integrity.verify._io import name_problem, printable
from integrity.verify._results import Note, NoteError

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_HEX32 = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


class ManifestRejected(NoteError):
    """A manifest that cannot be used; ``note.failed`` when it is evidence of tampering."""


def parse_checked(raw: bytes, origin: str) -> Manifest:
    """Parse manifest bytes and check every field the verifier uses."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _invalid(origin, "-", "json") from None
    if not isinstance(data, dict):
        raise _invalid(origin, "-", "object")
    if data.get("schema") != MANIFEST_SCHEMA:
        raise _invalid(origin, "schema", "value")
    dataset = data.get("dataset")
    if not isinstance(dataset, str) or name_problem(dataset) is not None or "/" in dataset:
        raise _invalid(origin, "dataset", "value")
    if parse_day(data.get("date")) is None:
        raise ManifestRejected(not_a_date(data.get("date")))
    merkle = data.get("merkle")
    if not isinstance(merkle, dict) or merkle.get("algorithm") != MERKLE_ALGORITHM:
        raise _invalid(origin, "merkle.algorithm", "value")
    if not isinstance(merkle.get("leaves"), str):
        raise _invalid(origin, "merkle.leaves", "text")
    _count(origin, merkle.get("treeSize"), "merkle.treeSize")
    if not isinstance(merkle.get("root"), str) or not _HEX32.match(merkle["root"]):
        raise _invalid(origin, "merkle.root", "hex")
    files = data.get("files")
    if not isinstance(files, list):
        raise _invalid(origin, "files", "list")
    for position, entry in enumerate(files):
        where = f"files[{position}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise _invalid(origin, f"{where}.name", "text")
        if not isinstance(entry.get("sha256"), str) or not _SHA256_HEX.match(entry["sha256"]):
            raise _invalid(origin, f"{where}.sha256", "hex")
        _count(origin, entry.get("bytes"), f"{where}.bytes")
    previous = data.get("previous", "missing")
    if previous is not None:
        if not isinstance(previous, dict) or parse_day(previous.get("date")) is None:
            raise _invalid(origin, "previous.date", "value")
        digest = previous.get("manifestSha256")
        if not isinstance(digest, str) or not _HEX32.match(digest):
            raise _invalid(origin, "previous.manifestSha256", "hex")
    anchor_key = data.get("anchorKey")
    if not isinstance(anchor_key, str) or not _HEX32.match(anchor_key):
        raise _invalid(origin, "anchorKey", "hex")
    return Manifest(data=data, raw=raw)


def _count(origin: str, value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(origin, where, "count")


def _invalid(origin: str, field: str, expected: str) -> ManifestRejected:
    return ManifestRejected(
        Note("manifest.invalid", {"file": origin, "field": field, "expected": expected})
    )


def listed_files(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """The entries whose names are plain file names (the only ones ever opened)."""
    return {
        entry["name"]: entry
        for entry in manifest.data["files"]
        if name_problem(entry["name"]) is None
    }


def unsafe_entries(manifest: Manifest) -> list[Note]:
    """A failing note for each listed name that is not a plain file name."""
    notes = [
        Note(
            "input.unsafe_name",
            {"name": printable(entry["name"]), "what": "manifest"},
            failed=True,
        )
        for entry in manifest.data["files"]
        if name_problem(entry["name"]) is not None
    ]
    leaves = manifest.data["merkle"]["leaves"]
    if name_problem(leaves) is not None:
        notes.append(
            Note("input.unsafe_name", {"name": printable(leaves), "what": "merkle"}, failed=True)
        )
    return notes
