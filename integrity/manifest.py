"""Daily manifest: what was published for a day, with checksums and the Merkle root.

The manifest is stored as canonical JSON (RFC 8785) so that its SHA-256, the value
anchored on chain, can be recomputed by anyone from its content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from integrity.canonical import canonical_bytes

MANIFEST_SCHEMA = "perucompras-abierto/manifest/1"
MERKLE_ALGORITHM = "RFC9162-SHA256"
CSV_MEDIA_TYPE = "text/csv"


class ManifestError(ValueError):
    """A manifest is missing, unreadable or malformed."""


@dataclass(frozen=True)
class FileEntry:
    """One published file as listed in a manifest.

    ``rows`` (CSV files only): the ``csv-rows/1`` digest and count of its rows in normal form
    (``integrity.csvrows``), so that a verifier can tell a CSV re-saved by a spreadsheet
    (same rows, other bytes) from one whose data changed, without the original file.
    """

    name: str
    sha256: str
    bytes: int
    media_type: str
    role: str
    rows: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON object for the manifest's ``files`` array."""
        entry: dict[str, Any] = {
            "name": self.name,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "mediaType": self.media_type,
            "role": self.role,
        }
        if self.rows is not None:
            entry["rows"] = self.rows
        return entry


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest plus the digest of the exact bytes it was read from."""

    data: dict[str, Any]
    raw: bytes

    @property
    def sha256(self) -> str:
        """SHA-256 of the manifest file bytes: the value anchored on chain."""
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def dataset(self) -> str:
        return str(self.data["dataset"])

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.data["date"])

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        """Listed files by name."""
        return {entry["name"]: entry for entry in self.data["files"]}

    @property
    def merkle(self) -> dict[str, Any]:
        return dict(self.data["merkle"])

    @property
    def synthetic(self) -> bool:
        """True when the day was published from synthetic source files (optional field)."""
        return self.data.get("synthetic") is True

    @property
    def previous(self) -> dict[str, Any] | None:
        previous = self.data.get("previous")
        return dict(previous) if previous else None


def sha256_file(path: Path) -> tuple[str, int]:
    """Stream a file through SHA-256 (``hashlib.file_digest``); return (hex digest, size).

    The project's one file-hash helper: source adapters and writers use it too.
    """
    with Path(path).open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return digest.hexdigest(), handle.tell()


def file_entry(path: Path, *, media_type: str, role: str, data: bytes | None = None) -> FileEntry:
    """Checksum a written file for the manifest (a CSV also gets its ``rows`` digest).

    ``data``: the bytes the caller just wrote to ``path`` (checksummed without reading the file
    back)."""
    if data is None:
        digest, size = sha256_file(path)
    else:
        digest, size = hashlib.sha256(data).hexdigest(), len(data)
    rows = None
    if media_type == CSV_MEDIA_TYPE:
        from integrity.csvrows import summary

        rows = summary(path.read_bytes() if data is None else data)
    return FileEntry(path.name, digest, size, media_type, role, rows)


def build_manifest(
    *,
    dataset: str,
    day: dt.date,
    cutoff: str,
    ocid_prefix: str,
    publisher: dict[str, str],
    sources: list[dict[str, Any]],
    counts: dict[str, int],
    leaves_file: str,
    tree_size: int,
    merkle_root_hex: str,
    files: list[FileEntry],
    previous: dict[str, str] | None,
    anchor_key_hex: str,
    synthetic: bool = False,
) -> dict[str, Any]:
    """Assemble the manifest object (files sorted by name for a stable order).

    ``synthetic``: the day was published from synthetic source files; the field
    ``"synthetic": true`` is written only then, so real days keep the same manifest.
    """
    manifest: dict[str, Any] = {
        "schema": MANIFEST_SCHEMA,
        "dataset": dataset,
        "date": day.isoformat(),
        "timezone": "America/Lima",
        "cutoff": cutoff,
        "ocidPrefix": ocid_prefix,
        "publisher": publisher,
        "sources": sources,
        "counts": counts,
        "merkle": {
            "algorithm": MERKLE_ALGORITHM,
            "leaves": leaves_file,
            "treeSize": tree_size,
            "root": merkle_root_hex,
        },
        "files": [entry.to_json() for entry in sorted(files, key=lambda e: e.name)],
        "previous": previous,
        "anchorKey": anchor_key_hex,
    }
    if synthetic:
        manifest["synthetic"] = True
    return manifest


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The exact bytes written to disk (canonical JSON)."""
    return canonical_bytes(manifest)


_REQUIRED = ("schema", "dataset", "date", "merkle", "files", "previous", "anchorKey")


def parse_manifest(raw: bytes, *, origin: str = "manifest") -> Manifest:
    """Parse and structurally check manifest bytes."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ManifestError(f"{origin}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ManifestError(f"{origin}: expected a JSON object")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise ManifestError(f"{origin}: missing {', '.join(missing)}")
    if data["schema"] != MANIFEST_SCHEMA:
        raise ManifestError(f"{origin}: unknown manifest schema {data['schema']!r}")
    if data["merkle"].get("algorithm") != MERKLE_ALGORITHM:
        raise ManifestError(f"{origin}: unsupported Merkle algorithm")
    return Manifest(data=data, raw=raw)


def load_manifest(path: Path) -> Manifest:
    """Read and parse a manifest file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read ({exc.strerror})") from exc
    return parse_manifest(raw, origin=str(path))
