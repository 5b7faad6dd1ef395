"""Plain-words answers for a file whose bytes differ from what was published (``explain.*``).

The verdict does not change (any byte change is FALLA, exit 1); these notes say why, so a
reader can tell a file re-saved by a spreadsheet from a changed amount:

* JSON Lines (the Merkle leaves): against an authentic copy of the published lines (the
  published file beside the datasets root, or the release package listed in the same
  manifest, whose releases re-serialised canonically must give the manifest's Merkle root),
  line by line: re-saved (line ends, BOM) or re-serialised with the same releases, a release
  changed (which fields, published vs found), added, removed, reordered, or a cut last line;
* CSV: its rows in normal form (``integrity.csvrows``) against the manifest's ``rows``
  digest (re-saved, same rows) and, when an authentic copy is reachable, row by row and
  column by column; without one, only that the rows differ and how to compare;
* JSON: re-formatted with the same content (canonical form hashes to the listed digest), or
  which fields changed when an authentic copy is reachable;
* anything else (Parquet): binary, any changed byte alters it.

Only local files are explained, each read at most ``Limits.explain_bytes``; reference copies
are used only after their SHA-256 matched the manifest. Explaining never raises.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from integrity import csvrows
from integrity.canonical import CanonicalJSONError, canonical_bytes
from integrity.manifest import Manifest
from integrity.merkle import root_from_leaf_hashes
from integrity.verify._io import open_regular, printable, read_capped
from integrity.verify._manifest import listed_files
from integrity.verify._results import CheckResult, NoteError
from integrity.verify._source import Source

if TYPE_CHECKING:
    from integrity.verify._options import VerifyOptions

MAX_NOTES = 8
MAX_FIELDS = 3
_BOM = b"\xef\xbb\xbf"
_JSON_TYPES = ("application/json",)


def explain_listed_file(
    check: CheckResult,
    manifest: Manifest,
    name: str,
    files: Source,
    options: VerifyOptions,
    *,
    local: Path | None = None,
) -> None:
    """Add ``explain.*`` notes saying what differs in a listed file that does not match."""
    target = local or files.local_path(name)
    if target is None:
        return
    entry = listed_files(manifest)[name]
    limit = options.limits.explain_bytes
    try:
        with open_regular(target, follow=local is not None) as handle:
            if os.fstat(handle.fileno()).st_size > limit:
                check.ok("explain.not_compared", file=name)
                return
            data = read_capped(handle, limit, target.name)
    except (NoteError, OSError):
        check.ok("explain.not_compared", file=name)
        return
    references = _References(manifest, name, files, local, options)
    try:
        if name == manifest.merkle["leaves"]:
            _explain_jsonl(check, name, data, references)
        elif str(entry.get("mediaType")) == "text/csv" or name.endswith(".csv"):
            _explain_csv(check, name, entry, data, references)
        elif str(entry.get("mediaType")) in _JSON_TYPES or name.endswith(".json"):
            _explain_json(check, name, entry, data, references)
        else:
            check.ok("explain.binary", file=name)
    except (ValueError, RecursionError, MemoryError):
        check.ok("explain.not_compared", file=name)


class _References:
    """Authentic copies of published files (checked against the manifest before use)."""

    def __init__(
        self,
        manifest: Manifest,
        name: str,
        files: Source,
        local: Path | None,
        options: VerifyOptions,
    ) -> None:
        self.manifest = manifest
        self.name = name
        self.files = files
        self.local = local
        self.options = options

    def _sources(self, name: str) -> Iterator[Source]:
        """Where a published copy of ``name`` may be: the day's folder (unless the file being
        explained is that very file) and the datasets root's folder of the day."""
        if self.local is not None or name != self.name:
            yield self.files
        root = self.options.datasets
        if root is not None:
            try:
                yield root.day_source(self.manifest.dataset, self.manifest.day)
            except NoteError:
                return

    def published(self, name: str) -> bytes | None:
        """The published bytes of a listed file, if an authentic copy is reachable."""
        entry = listed_files(self.manifest).get(name)
        if entry is None or int(entry["bytes"]) > self.options.limits.explain_bytes:
            return None
        for source in self._sources(name):
            path = source.local_path(name)
            if (
                self.local is not None
                and path is not None
                and path.resolve() == self.local.resolve()
            ):
                continue
            try:
                data = source.read(name, limit=int(entry["bytes"]), small=False)
            except NoteError:
                continue
            if data is not None and hashlib.sha256(data).hexdigest() == entry["sha256"]:
                return data
        return None

    def release_lines(self) -> list[bytes] | None:
        """The published JSON Lines leaves: the leaves file itself, else the releases of the
        release package re-serialised canonically (accepted only if they give the root)."""
        leaves = str(self.manifest.merkle["leaves"])
        data = self.published(leaves)
        if data is not None:
            return _split_lines(data)[0]
        for name, entry in sorted(listed_files(self.manifest).items()):
            if entry.get("role") != "ocds-release-package" and not name.endswith("-releases.json"):
                continue
            package = self.published(name)
            if package is None:
                continue
            try:
                releases = orjson.loads(package).get("releases")
                lines = [canonical_bytes(release) for release in releases]
            except (orjson.JSONDecodeError, AttributeError, TypeError, CanonicalJSONError):
                continue
            root = root_from_leaf_hashes(
                [hashlib.sha256(b"\x00" + line).digest() for line in lines]
            ).hex()
            if root == str(self.manifest.merkle["root"]).lower().removeprefix("0x"):
                return lines
        return None


# --------------------------------------------------------------------------- JSON Lines


def _split_lines(data: bytes) -> tuple[list[bytes], bool]:
    """Lines without their ``\\n``, and whether the last one was cut (no final newline)."""
    lines = data.split(b"\n")
    cut = lines[-1] != b""
    if not cut:
        lines.pop()
    return lines, cut


def _explain_jsonl(check: CheckResult, name: str, data: bytes, references: _References) -> None:
    published = references.release_lines()
    if published is None:
        check.ok("explain.no_reference", file=name)
        return
    lines, cut = _split_lines(data)
    normal = [line.removesuffix(b"\r") for line in lines]
    if normal and normal[0].startswith(_BOM):
        normal[0] = normal[0][len(_BOM) :]
    if not cut and normal == published:
        check.ok("explain.resaved_same_lines", file=name, lines=len(published))
        return
    if not cut and _canonical_lines(normal) == published:
        check.ok("explain.reformatted_same_lines", file=name, lines=len(published))
        return
    notes = list(_line_differences(normal[:-1] if cut else normal, published))
    if cut:
        notes.append(("explain.cut", {"file": name, "line": len(lines)}))
    _add(check, notes)


def _canonical_lines(lines: list[bytes]) -> list[bytes] | None:
    try:
        return [canonical_bytes(orjson.loads(line)) for line in lines]
    except (orjson.JSONDecodeError, CanonicalJSONError, TypeError):
        return None


def _release_key(line: bytes) -> tuple[str, Any] | None:
    """(label, value) of a release line: its id, else its ocid, else nothing."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    label = value.get("id") or value.get("ocid")
    return (str(label), value) if label is not None else None


def _line_differences(
    found: list[bytes], published: list[bytes]
) -> Iterator[tuple[str, dict[str, Any]]]:
    published_set, found_set = set(published), set(found)
    added = [(i, line) for i, line in enumerate(found) if line not in published_set]
    removed = [(i, line) for i, line in enumerate(published) if line not in found_set]
    if not added and not removed:
        first = next(
            (i for i, (a, b) in enumerate(zip(found, published, strict=False)) if a != b), 0
        )
        yield "explain.lines_reordered", {"line": first + 1}
        return
    removed_by_key: dict[str, tuple[int, Any]] = {}
    for index, line in removed:
        key = _release_key(line)
        if key is not None:
            removed_by_key.setdefault(key[0], (index, key[1]))
    for index, line in added:
        key = _release_key(line)
        if key is not None and key[0] in removed_by_key:
            _, before = removed_by_key.pop(key[0])
            for path, old, new in list(_field_changes(before, key[1]))[:MAX_FIELDS]:
                yield (
                    "explain.line_changed",
                    {
                        "line": index + 1,
                        "release": printable(key[0], 80),
                        "field": path,
                        "published": _shown(old),
                        "found": _shown(new),
                    },
                )
        else:
            label = key[0] if key is not None else "?"
            yield "explain.line_added", {"line": index + 1, "release": printable(label, 80)}
    for label, (index, _) in removed_by_key.items():
        yield "explain.line_removed", {"line": index + 1, "release": printable(label, 80)}


_MISSING = object()


def _field_changes(before: Any, after: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, published, found) for every leaf value that differs."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            yield from _field_changes(
                before.get(key, _MISSING),
                after.get(key, _MISSING),
                f"{path}.{key}" if path else key,
            )
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _field_changes(old, new, f"{path}[{index}]")
    elif before != after or type(before) is not type(after):
        yield path or "-", before, after


def _shown(value: Any) -> str:
    if value is _MISSING:
        return "—"
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return printable(text, 60)


# --------------------------------------------------------------------------- CSV


def _explain_csv(
    check: CheckResult,
    name: str,
    entry: dict[str, Any],
    data: bytes,
    references: _References,
) -> None:
    try:
        found = csvrows.parse(data)
    except ValueError:
        check.ok("explain.not_csv", file=name)
        return
    published_bytes = references.published(name)
    published = csvrows.parse(published_bytes) if published_bytes is not None else None
    listed = entry.get("rows")
    digest = listed.get("sha256") if isinstance(listed, dict) else None
    same = (
        published.records == found.records
        if published is not None
        else digest is not None and digest == found.digest()
    )
    if same:
        check.ok("explain.resaved_same_rows", file=name, rows=len(found.rows))
        return
    if published is None:
        count = listed.get("count") if isinstance(listed, dict) else None
        check.ok(
            "explain.rows_differ",
            file=name,
            rows=len(found.rows),
            published=count if isinstance(count, int) else "?",
        )
        return
    _add(check, list(_row_differences(found, published)))


def _row_differences(
    found: csvrows.CsvRows, published: csvrows.CsvRows
) -> Iterator[tuple[str, dict[str, Any]]]:
    header = published.header
    if found.header != header:
        yield (
            "explain.columns_changed",
            {
                "published": printable(", ".join(header), 200),
                "found": printable(", ".join(found.header), 200),
            },
        )
        return
    keys_found = [row[0] if row else "" for row in found.rows]
    keys_published = [row[0] if row else "" for row in published.rows]
    if len(set(keys_found)) == len(keys_found) and len(set(keys_published)) == len(keys_published):
        where = {key: index for index, key in enumerate(keys_published)}
        seen: set[str] = set()
        for index, row in enumerate(found.rows):
            key = keys_found[index]
            if key not in where:
                yield "explain.row_added", {"row": index + 1, "key": printable(key, 60)}
                continue
            seen.add(key)
            yield from _cell_changes(index, row, published.rows[where[key]], header)
        for index, key in enumerate(keys_published):
            if key not in seen:
                yield "explain.row_removed", {"row": index + 1, "key": printable(key, 60)}
        return
    for index, (row, before) in enumerate(zip(found.rows, published.rows, strict=False)):
        yield from _cell_changes(index, row, before, header)
    if len(found.rows) != len(published.rows):
        yield "explain.row_count", {"found": len(found.rows), "published": len(published.rows)}


def _cell_changes(
    index: int, row: list[str], before: list[str], header: list[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    for column, name in enumerate(header):
        old = before[column] if column < len(before) else ""
        new = row[column] if column < len(row) else ""
        if old != new:
            yield (
                "explain.cell_changed",
                {
                    "row": index + 1,
                    "column": printable(name, 60),
                    "published": printable(old, 60),
                    "found": printable(new, 60),
                },
            )


# --------------------------------------------------------------------------- JSON


def _explain_json(
    check: CheckResult,
    name: str,
    entry: dict[str, Any],
    data: bytes,
    references: _References,
) -> None:
    try:
        value = orjson.loads(data.removeprefix(_BOM))
        canonical = canonical_bytes(value)
    except (orjson.JSONDecodeError, CanonicalJSONError, TypeError):
        check.ok("explain.not_json", file=name)
        return
    if hashlib.sha256(canonical).hexdigest() == entry["sha256"]:
        check.ok("explain.reformatted_same_json", file=name)
        return
    published_bytes = references.published(name)
    if published_bytes is None:
        check.ok("explain.content_differs", file=name)
        return
    changes = list(_field_changes(orjson.loads(published_bytes), value))
    _add(
        check,
        [
            (
                "explain.field_changed",
                {"file": name, "field": path, "published": _shown(old), "found": _shown(new)},
            )
            for path, old, new in changes
        ],
    )


def _add(check: CheckResult, notes: list[tuple[str, dict[str, Any]]]) -> None:
    """At most ``MAX_NOTES`` explanations, then how many more."""
    for key, params in notes[:MAX_NOTES]:
        check.ok(key, **params)
    if len(notes) > MAX_NOTES:
        check.ok("explain.more", count=len(notes) - MAX_NOTES)
