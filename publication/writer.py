"""Write one day's open-data files atomically and keep the datasets index.

A day is written into a staging folder next to its final place and renamed into place
in one step, so a half-written day is never visible. Re-writing a day with the same
content is a no-op; a day with an anchor record (anchored, or waiting for its anchor) is
never rewritten. A day may be published after later days (a late publication: the registry
records it as such); its manifest links to the latest day published before it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from integrity import layout
from integrity.canonical import canonical_bytes
from integrity.manifest import (
    FileEntry,
    Manifest,
    build_manifest,
    file_entry,
    load_manifest,
    manifest_bytes,
)
from integrity.merkle import leaf_hashes, root_from_leaf_hashes
from integrity.verify.trust import Pin, pin_bytes
from messages import text
from publication.atomic import (
    HashedFile,
    StagedWrites,
    file_clock_ns,
    fsync_dir,
    hashed_file,
    settled_identity,
    write_atomic,
)
from publication.datapackage import (
    FileResource,
    PackageInfo,
    descriptor_bytes,
    package_descriptor,
    resource_name,
)
from publication.dictionary import DAY_ORDERS, DAY_QUARANTINE, Table, described


class PublicationError(RuntimeError):
    """A day cannot be published as asked."""


@dataclass(frozen=True)
class DayContent:
    """Everything that goes into one day's folder, already validated."""

    dataset: str
    day: dt.date
    cutoff: str
    ocid_prefix: str
    publisher: dict[str, str]
    package: dict[str, Any]
    release_lines: Sequence[bytes]
    orders: pa.Table
    quarantine: pa.Table
    sources: list[dict[str, Any]]
    counts: dict[str, int]
    quality: dict[str, Any] | None = None
    records: dict[str, Any] | None = None
    # ``canonical_bytes(records)`` when the caller made them (``records.record_package_bytes``)
    records_bytes: bytes | None = None
    extra_files: dict[str, bytes] = field(default_factory=dict)
    synthetic: bool = False
    datapackage: PackageInfo | None = None


@dataclass(frozen=True)
class PublishedDay:
    """Result of publishing a day."""

    folder: Path
    manifest: Manifest
    unchanged: bool
    differs_from_sources: bool = False
    # Files this call wrote and hashed for the manifest (by name): a check right after may
    # take a file still holding its identity at that hash instead of reading it again.
    hashed: dict[str, HashedFile] = field(default_factory=dict)

    @property
    def merkle_root(self) -> str:
        return str(self.manifest.merkle["root"])

    @property
    def tree_size(self) -> int:
        return int(self.manifest.merkle["treeSize"])


_MEDIA_TYPES = {
    layout.RELEASE_PACKAGE: ("application/json", "ocds-release-package"),
    layout.RELEASES_JSONL: ("application/jsonl", "ocds-releases-merkle-leaves"),
    layout.RECORD_PACKAGE: ("application/json", "ocds-record-package"),
    layout.ORDERS_PARQUET: ("application/vnd.apache.parquet", "orders-table"),
    layout.ORDERS_CSV: ("text/csv", "orders-table"),
    layout.QUARANTINE_PARQUET: ("application/vnd.apache.parquet", "quarantine"),
    layout.QUALITY_JSON: ("application/json", "quality-report"),
}
_DAY_TABLES: dict[str, Table] = {
    layout.ORDERS_PARQUET: DAY_ORDERS,
    layout.ORDERS_CSV: DAY_ORDERS,
    layout.QUARANTINE_PARQUET: DAY_QUARANTINE,
}
BOM = b"\xef\xbb\xbf"


def sort_releases(releases: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Leaf order: by ocid, then release date, then release id."""
    return sorted(releases, key=lambda r: (r["ocid"], r["date"], r["id"]))


def canonical_with_array(obj: dict[str, Any], key: str, items: Sequence[bytes]) -> bytes:
    """Canonical bytes of ``{**obj, key: [items]}`` from already-canonical items, without
    serialising them again (equal to ``canonical_bytes`` of the whole; ASCII keys)."""
    members = {name: canonical_bytes({name: value})[1:-1] for name, value in obj.items()}
    members[key] = canonical_bytes(key) + b":[" + b",".join(items) + b"]"
    return b"{" + b",".join(members[name] for name in sorted(members)) + b"}"


def previous_link(
    root: Path, dataset: str, day: dt.date, index: list[dict[str, Any]] | None = None
) -> dict[str, str] | None:
    """Link to the latest published day before ``day`` (None for the first day); ``index``:
    ``read_index``'s entries when the caller has just read them."""
    entries = read_index(root, dataset) if index is None else index
    earlier = [entry for entry in entries if entry["date"] < day.isoformat()]
    if not earlier:
        return None
    latest = earlier[-1]
    return {"date": latest["date"], "manifestSha256": latest["manifestSha256"]}


def write_day(root: Path, content: DayContent, *, anchor_key_hex: str) -> PublishedDay:
    """Publish a day: write every file, the manifest and SHA256SUMS, then swap into place."""
    target = layout.DayLayout(root, content.dataset, content.day)
    carried = _CARRIED.pop((root, content.dataset), None)  # back only once this day is written
    index = read_index(root, content.dataset) if carried is None else [*carried]
    previous = previous_link(root, content.dataset, content.day, index)
    target.folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{content.day}-", dir=target.folder.parent))
    staging.chmod(0o755)
    try:
        stage = layout.DayLayout(root, content.dataset, content.day)
        hashed: dict[str, HashedFile] = {}
        with StagedWrites() as staged:
            manifest = _write_files(
                staging, stage, content, previous, anchor_key_hex, staged, hashed
            )
        published, days = _swap_into_place(staging, target, manifest, index, hashed)
        if (root, content.dataset) in _CARRYING:
            _CARRIED[(root, content.dataset)] = days
        return published
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_files(
    folder: Path,
    names: layout.DayLayout,
    content: DayContent,
    previous: dict[str, str] | None,
    anchor_key_hex: str,
    staged: StagedWrites,
    hashed: dict[str, HashedFile],
) -> Manifest:
    lines = list(content.release_lines)
    files: dict[str, bytes] = {
        layout.RELEASE_PACKAGE: canonical_with_array(content.package, "releases", lines),
        layout.RELEASES_JSONL: b"".join(line + b"\n" for line in lines),
    }
    if content.records is not None:
        files[layout.RECORD_PACKAGE] = (
            content.records_bytes
            if content.records_bytes is not None
            else canonical_bytes(content.records)
        )
    if content.quality is not None:
        files[layout.QUALITY_JSON] = canonical_bytes(content.quality)
    entries: list[FileEntry] = []

    def entry(path: Path, data: bytes, *, media_type: str, role: str) -> FileEntry:
        # ``data`` was written to ``path`` just before, in this run's own staging folder: its
        # checksum is taken from the bytes in hand, not from the file read back.
        clock = file_clock_ns()
        listed = file_entry(path, media_type=media_type, role=role, data=data)
        hashed[listed.name] = hashed_file(path, clock, listed.sha256, listed.bytes)
        return listed

    files[layout.ORDERS_PARQUET] = _parquet_bytes(described(content.orders, DAY_ORDERS))
    files[layout.ORDERS_CSV] = _csv_bytes(content.orders)
    files[layout.QUARANTINE_PARQUET] = _parquet_bytes(described(content.quarantine, DAY_QUARANTINE))
    for kind, data in files.items():
        staged.write(folder / names.name(kind), data)
    for kind, data in files.items():
        media_type, role = _MEDIA_TYPES[kind]
        entries.append(entry(folder / names.name(kind), data, media_type=media_type, role=role))
    for kind, data in sorted(content.extra_files.items()):
        staged.write(folder / names.name(kind), data)
        entries.append(entry(folder / names.name(kind), data, media_type="text/html", role=kind))
    if content.datapackage is not None:
        path = folder / names.name(layout.DATAPACKAGE)
        data = _day_datapackage(content, entries, names)
        staged.write(path, data)
        entries.append(entry(path, data, media_type="application/json", role="datapackage"))

    manifest_obj = build_manifest(
        dataset=content.dataset,
        day=content.day,
        cutoff=content.cutoff,
        ocid_prefix=content.ocid_prefix,
        publisher=content.publisher,
        sources=content.sources,
        counts=content.counts,
        leaves_file=names.name(layout.RELEASES_JSONL),
        tree_size=len(lines),
        merkle_root_hex=root_from_leaf_hashes(leaf_hashes(lines)).hex(),
        files=entries,
        previous=previous,
        anchor_key_hex=anchor_key_hex,
        synthetic=content.synthetic,
    )
    raw_manifest = manifest_bytes(manifest_obj)
    manifest_path = folder / names.name(layout.MANIFEST)
    staged.write(manifest_path, raw_manifest)
    sums = [(e.sha256, e.name) for e in entries]
    sums.append((load_manifest(manifest_path).sha256, manifest_path.name))
    checksum_text = "".join(
        f"{digest}  {name}\n" for digest, name in sorted(sums, key=lambda s: s[1])
    )
    staged.write(folder / names.name(layout.CHECKSUMS), checksum_text.encode("ascii"))
    return load_manifest(manifest_path)


def _swap_into_place(
    staging: Path,
    target: layout.DayLayout,
    manifest: Manifest,
    index: list[dict[str, Any]],
    hashed: dict[str, HashedFile],
) -> tuple[PublishedDay, list[dict[str, Any]]]:
    """The day, and the index entries after it (``index`` when nothing moved)."""
    final = target.folder
    if final.exists():
        existing = load_manifest(target.manifest) if target.manifest.exists() else None
        if existing is not None and existing.raw == manifest.raw:
            return PublishedDay(final, existing, unchanged=True), index
        if target.anchor.exists():
            # An anchored (or pending) day is never rewritten: newer states go to a later package.
            assert existing is not None
            return (
                PublishedDay(final, existing, unchanged=True, differs_from_sources=True),
                index,
            )
        retired = final.with_name(f".{final.name}-replaced")
        shutil.rmtree(retired, ignore_errors=True)
        os.rename(final, retired)
        os.rename(staging, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, final)
    fsync_dir(final.parent)
    days = update_index(target.root, target.dataset, index, target.day)
    published = PublishedDay(final, load_manifest(target.manifest), unchanged=False, hashed=hashed)
    return published, days


# ``carry_index``: (root, dataset) whose index entries ``write_day`` carries from one day to
# the next instead of reading every day folder again, and the entries it carries.
_CARRYING: set[tuple[Path, str]] = set()
_CARRIED: dict[tuple[Path, str], list[dict[str, Any]]] = {}


@contextlib.contextmanager
def carry_index(root: Path, dataset: str) -> Iterator[None]:
    """For a run that alone writes ``root`` (it holds the lock): ``write_day`` takes the index
    entries it left the day before (``update_index``'s) instead of ``read_index``, which stats
    every published day. A receipt written here (``write_receipt``) reads its day's entry again;
    a write that fails drops them (read again the next day)."""
    key = (root, dataset)
    _CARRYING.add(key)
    try:
        yield
    finally:
        _CARRYING.discard(key)
        _CARRIED.pop(key, None)


def read_index(root: Path, dataset: str) -> list[dict[str, Any]]:
    """Published days of a dataset, oldest first (read from the day folders themselves).

    The date comes from the folder path and must equal the manifest's, so a swapped or
    replayed folder is refused instead of being indexed under the wrong day.
    """
    names = _manifest_names(os.fspath(root / dataset), _manifest_pattern(dataset))
    return _index_entries(root, dataset, names)


def _manifest_pattern(dataset: str) -> str:
    return f"{dataset}-*-{layout.MANIFEST}"


def _index_entries(
    root: Path, dataset: str, names: list[tuple[tuple[str, str, str], str]]
) -> list[dict[str, Any]]:
    """``read_index``'s entries of the manifests ``names`` (from ``_manifest_names``)."""
    base = os.path.join(os.fspath(root), dataset)
    days: list[dict[str, Any]] = []
    for parts, name in names:
        day = "-".join(parts)
        # strings joined by hand: this runs per published day, for every day published
        folder_name = f"{base}/{parts[0]}/{parts[1]}/{parts[2]}"
        anchor_name = f"{dataset}-{day}-{layout.ANCHOR}"
        files = (_identity(f"{folder_name}/{name}"), _identity(f"{folder_name}/{anchor_name}"))
        known = _INDEX_ENTRIES.get((root, folder_name, name))
        if known is not None and known[0] == files:
            days.append(dict(known[1]))
            continue
        folder = Path(folder_name)
        manifest_path = folder / name
        manifest = load_manifest(manifest_path)
        status = anchor_status(folder, anchor_name)
        if (
            manifest.data["date"] != day
            or manifest_path.name != f"{dataset}-{day}-{layout.MANIFEST}"
        ):
            raise PublicationError(
                f"{manifest_path}: the manifest is for {manifest.data['date']} but sits in the "
                f"folder of {day}; restore the folder from the published copy"
            )
        entry = {
            "date": day,
            "folder": folder.relative_to(root).as_posix(),
            "manifest": manifest_path.name,
            "manifestSha256": manifest.sha256,
            "treeSize": manifest.merkle["treeSize"],
            "merkleRoot": manifest.merkle["root"],
            "anchored": status == ANCHORED,
            "anchorStatus": status,
            **({"synthetic": True} if manifest.synthetic else {}),
        }
        _INDEX_ENTRIES[(root, folder_name, name)] = (files, entry)
        days.append(dict(entry))
    return days


def _manifest_names(base: str, pattern: str) -> list[tuple[tuple[str, str, str], str]]:
    """((year, month, day) folder names, file name) of the files matching ``pattern`` three
    folders below ``base``, sorted. Names starting with a dot are skipped: the staging and
    retired folders that a killed write leaves behind hold a manifest of another folder."""
    matches = re.compile(fnmatch.translate(pattern)).match
    found = []
    for year, year_path in _visible(base, folders=True):
        for month, month_path in _visible(year_path, folders=True):
            for day, day_path in _visible(month_path, folders=True):
                listing = _visible(day_path, folders=False)
                known = _MATCHES.get((day_path, pattern))
                if known is not None and known[0] is listing:
                    names = known[1]
                else:
                    names = [name for name, _ in listing if matches(name)]
                    _MATCHES[(day_path, pattern)] = (listing, names)
                found += [((year, month, day), name) for name in names]
    return sorted(found)


def _visible(folder: str, *, folders: bool) -> list[tuple[str, str]]:
    """(name, path) of the entries of ``folder`` not starting with a dot: its folders, or
    its other entries."""
    try:
        identity = settled_identity(os.stat(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    key = (folder, folders)
    known = _LISTINGS.get(key)
    if identity is not None and known is not None and known[0] == identity:
        return known[1]
    try:
        with os.scandir(folder) as entries:
            found = [
                (entry.name, entry.path)
                for entry in entries
                if not entry.name.startswith(".") and entry.is_dir() == folders
            ]
    except (FileNotFoundError, NotADirectoryError):
        return []
    if identity is not None:
        _LISTINGS[key] = (identity, found)
    return found


# A folder's listing, kept while the folder stays the same settled folder (an entry added,
# removed or renamed changes its times): re-listing every earlier day folder for each index
# read grew with the number of days.
_LISTINGS: dict[tuple[str, bool], tuple[tuple[int, ...], list[tuple[str, str]]]] = {}
# The names of a folder's listing that match a pattern, kept with the very listing they were
# matched in (``_visible`` returns the same list object while the folder stays the same).
_MATCHES: dict[tuple[str, str], tuple[list[tuple[str, str]], list[str]]] = {}


# A day's index entry, kept while its manifest and anchor record stay the same files: a run
# publishing many days (a backfill) re-indexes after each one, and parsing every earlier
# manifest again each time grew with the number of days. Files are only ever replaced by a
# rename (a new inode and times), so their identity says whether the entry is still right.
_INDEX_ENTRIES: dict[tuple[Path, str, str], tuple[tuple[Any, Any], dict[str, Any]]] = {}


def _identity(path: str) -> tuple[int, int, int, int] | None:
    """Inode, size, modification and change times of a file (None if it does not exist)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


ANCHORED = "anclado"
PENDING = "pendiente"


def anchor_status(folder: Path, name: str) -> str:
    """``anclado`` if the day's anchor record says so, else ``pendiente`` (no record, a
    pending one, or an unreadable one)."""
    record = read_anchor_record(folder / name)
    return ANCHORED if record is not None and record.get("status") == ANCHORED else PENDING


def read_anchor_record(path: Path) -> dict[str, Any] | None:
    """A day's ``anchor.json`` (None if missing or not a JSON object)."""
    try:
        record = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return record if isinstance(record, dict) else None


def update_index(
    root: Path,
    dataset: str,
    known: list[dict[str, Any]] | None = None,
    day: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Rewrite ``index.json`` at the datasets root from the published day folders; return them.

    Only the data index: the pages at the root are refreshed by the publish step
    (``publication.site``), once, with the settings. ``known`` and ``day``: ``read_index``'s
    entries read just before ``day``'s folder alone was written (the one writer holds the
    lock): only that folder is read again (the index was read twice per published day).
    """
    days = (
        read_index(root, dataset)
        if known is None or day is None
        else _reread(root, dataset, known, day)
    )
    index = {"dataset": dataset, "days": days}
    write_atomic(
        root / layout.INDEX_FILE,
        orjson.dumps(index, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS),
    )
    return days


def _reread(
    root: Path, dataset: str, known: list[dict[str, Any]], day: dt.date
) -> list[dict[str, Any]]:
    """``read_index``'s entries from ``known`` with only ``day``'s folder read again."""
    parts = (f"{day:%Y}", f"{day:%m}", f"{day:%d}")
    folder = os.path.join(os.fspath(root / dataset), *parts)
    matches = re.compile(fnmatch.translate(_manifest_pattern(dataset))).match
    names = [(parts, name) for name, _ in _visible(folder, folders=False) if matches(name)]
    kept = [entry for entry in known if entry["date"] != day.isoformat()]
    return sorted([*kept, *_index_entries(root, dataset, sorted(names))], key=_entry_order)


def _entry_order(entry: dict[str, Any]) -> tuple[str, str]:
    """``read_index``'s order: by day folder, then manifest name."""
    return (str(entry["folder"]), str(entry["manifest"]))


def record_anchor(
    root: Path, dataset: str, day: dt.date, anchor: dict[str, Any]
) -> list[dict[str, Any]]:
    """Store the anchor receipt next to the day's manifest; return the refreshed index."""
    write_receipt(root, dataset, day, anchor)
    return update_index(root, dataset)


def write_receipt(root: Path, dataset: str, day: dt.date, anchor: dict[str, Any]) -> None:
    """Store the anchor receipt next to the day's manifest (``index.json`` is left for the
    caller to refresh once, after a batch of days)."""
    target = layout.DayLayout(root, dataset, day)
    if not target.manifest.exists():
        raise PublicationError(f"{day}: not published, nothing to anchor ({target.folder})")
    carried = _CARRIED.pop((root, dataset), None)
    write_atomic(target.anchor, receipt_bytes(anchor))
    if carried is not None:
        _CARRIED[(root, dataset)] = _reread(root, dataset, carried, day)


def receipt_bytes(anchor: dict[str, Any]) -> bytes:
    """The bytes of an anchor receipt (``anchor.json``): indented, keys sorted."""
    return orjson.dumps(anchor, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


def write_trust(root: Path, pin: Pin) -> Path:
    """Publish ``trust.json``: a byte copy of the trust pin the days are anchored under.

    It is for humans (verifiers take their pin from elsewhere, never from the data). The
    copy is never moved silently: anchoring a root's days on another chain, registry or
    publisher is refused (the earlier days would no longer verify under the new pin).
    """
    path = root / layout.TRUST_FILE
    data = pin_bytes(pin)
    if path.exists():
        if path.read_bytes() == data:
            return path
        pinned = _pinned_registry(path)
        wanted = (pin.network.chain_id, pin.registry.address.lower(), pin.publisher.lower())
        if pinned != wanted:
            names = ("chainId", "contract", "publisher")
            raise PublicationError(
                f"{path} pins {dict(zip(names, pinned, strict=True))} but this run anchors with "
                f"{dict(zip(names, wanted, strict=True))}: use the pinned chain settings, or "
                "publish on the new chain under a new datasets root"
            )
    write_atomic(path, data)
    return path


def _day_datapackage(
    content: DayContent, entries: list[FileEntry], names: layout.DayLayout
) -> bytes:
    """The day's ``datapackage.json``: every file written so far, with the dictionary's schemas."""
    assert content.datapackage is not None
    prefix = names.name("")
    resources = []
    for entry in sorted(entries, key=lambda e: e.name):
        kind = entry.name.removeprefix(prefix)
        resources.append(
            FileResource(
                path=entry.name,
                name=resource_name(kind),
                title=text(
                    f"resource.{kind.replace('.', '_')}",
                    content.datapackage.lang,
                    date=content.day.isoformat(),
                ),
                media_type=entry.media_type,
                format=kind.rsplit(".", 1)[-1],
                bytes=entry.bytes,
                sha256=entry.sha256,
                table=_DAY_TABLES.get(kind),
            )
        )
    return descriptor_bytes(package_descriptor(content.datapackage, resources))


def _pinned_registry(path: Path) -> tuple[Any, Any, Any]:
    """(chain id, contract, publisher) of an existing ``trust.json`` (pin or older layout)."""
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        return (None, None, None)
    if not isinstance(data, dict):
        return (None, None, None)
    network, registry = data.get("network"), data.get("registry")
    if isinstance(network, dict) and isinstance(registry, dict):
        chain_id, contract = network.get("chainId"), registry.get("address")
    else:
        chain_id, contract = data.get("chainId"), data.get("contract")
    publisher = data.get("publisher")
    return (chain_id, str(contract).lower(), str(publisher).lower())


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        use_dictionary=True,
        write_statistics=True,
    )
    return sink.getvalue().to_pybytes()


def _csv_bytes(table: pa.Table) -> bytes:
    """CSV in UTF-8 with a byte order mark, so that spreadsheets read the accents right."""
    sink = pa.BufferOutputStream()
    sink.write(BOM)
    pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(include_header=True))
    return sink.getvalue().to_pybytes()
