"""Year and full-history files from their months' files, without redoing what did not change.

The bytes are those of the plain path (every month's rows read back and written again
through ``TableWriter``, every month's JSON Lines part copied into the parts of the period);
only the work differs:

- CSV: the months' CSV bodies concatenated under the header (the CSV writer prints a row
  the same whatever batch it comes in);
- Parquet: the row groups before the first changed month are copied from the previous file
  of the period, the rest written by ``TableWriter`` from the same batches the plain path
  would give it, and the footer is the previous one with the new row groups' metadata
  appended (Parquet row groups do not depend on where they sit in the file: only the footer
  holds offsets). Anything unexpected in either footer (Thrift that does not re-encode to
  itself, a page index, another writer version...) falls back to the plain path;
- JSON Lines: a part made of the same month parts as a part of the previous build is that
  part: hard-linked instead of copied.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from publication.bulk import formats
from publication.bulk.formats import BOM, Part, TableWriter, csv_view, temporary
from publication.dictionary import Table

BATCH_ROWS = 65_536
_MAGIC = b"PAR1"


class NotReusable(Exception):
    """A previous file cannot be reused as planned: write the period the plain way."""


# --------------------------------------------------------------------------------------- CSV


def csv_header(definition: Table) -> bytes:
    """What ``TableWriter`` writes before the first row of a CSV (BOM and header line)."""
    sink = io.BytesIO()
    sink.write(BOM)
    empty = csv_view(pa.RecordBatch.from_pylist([], schema=definition.arrow_schema()))
    writer = pa_csv.CSVWriter(sink, empty.schema)
    writer.close()
    return sink.getvalue()


def concat_csv(header: bytes, sources: Sequence[Path], target: Path) -> tuple[str, int]:
    """The period's CSV: the header, then each month's CSV without its own header;
    (SHA-256, size) of what was written. NotReusable if a month's CSV has another header."""
    digest = hashlib.sha256()
    size = 0
    with temporary(target) as tmp, tmp.open("wb") as out:
        out.write(header)
        digest.update(header)
        size += len(header)
        for source in sources:
            with source.open("rb") as handle:
                if handle.read(len(header)) != header:
                    raise NotReusable(f"{source.name}: not the expected CSV header")
                while chunk := handle.read(1 << 20):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        out.flush()
    return digest.hexdigest(), size


# ----------------------------------------------------------------------------------- Parquet


@dataclass(frozen=True)
class Prefix:
    """The previous file of a period and how many of its first rows come from months that did
    not change since (same month files, so the same batches)."""

    path: Path
    rows: int
    sha256: str
    size: int


def write_parquet(
    definition: Table, sources: Sequence[Path], target: Path, prefix: Prefix | None
) -> tuple[str, int] | None:
    """The period's Parquet file: the previous file's leading row groups when ``prefix``
    allows, the rest written as ``TableWriter`` writes it; (SHA-256, size) when written this
    way, None when nothing could be reused (the caller writes the plain way)."""
    group = formats.ROW_GROUP
    if prefix is None or prefix.rows < group:
        return None
    try:
        old = _ParquetFile.read(prefix.path, prefix.sha256, prefix.size)
        kept = min(prefix.rows // group, len(old.row_groups))
        if kept == 0 or any(rows != group for rows in old.group_rows[:kept]):
            return None
        tmp = target.with_name(f".{target.name}.tail.tmp")
        try:
            _write_tail(definition, sources, tmp, kept * group)
            tail = _ParquetFile.read(tmp)
            return _join(old, kept, tail, target)
        finally:
            tmp.unlink(missing_ok=True)
    except NotReusable:
        return None


def _write_tail(definition: Table, sources: Sequence[Path], path: Path, skip: int) -> None:
    """The rows from ``skip`` on, in the row groups and batches the plain path would give
    them: the batch holding row ``skip - 1`` is the one during which the plain path flushed
    the last skipped row group; what follows it in that batch is what it kept pending."""
    writer = TableWriter(definition, path)
    try:
        seen = 0
        resumed = False
        for source in sources:
            rows = pq.ParquetFile(source).metadata.num_rows
            if not resumed and seen + rows < skip:
                seen += rows
                continue
            for batch in pq.ParquetFile(source).iter_batches(batch_size=BATCH_ROWS):
                if resumed:
                    writer.write(batch)
                elif seen + batch.num_rows >= skip:
                    writer.resume(batch, skip - seen)
                    resumed = True
                else:
                    seen += batch.num_rows
        if not resumed:
            raise NotReusable("fewer rows than the row groups to keep")
        writer.close()
    except BaseException:
        writer.abort()
        raise


@dataclass
class _ParquetFile:
    """A Parquet file's bytes and decoded footer."""

    data: bytes
    footer: list[list[Any]]

    @classmethod
    def read(cls, path: Path, sha256: str | None = None, size: int | None = None) -> _ParquetFile:
        data = path.read_bytes()
        if sha256 is not None and (len(data) != size or hashlib.sha256(data).hexdigest() != sha256):
            raise NotReusable(f"{path.name}: does not match its manifest")
        if len(data) < 12 or data[:4] != _MAGIC or data[-4:] != _MAGIC:
            raise NotReusable(f"{path.name}: not a Parquet file")
        length = int.from_bytes(data[-8:-4], "little")
        raw = data[len(data) - 8 - length : len(data) - 8]
        footer = thrift_decode(raw)
        if thrift_encode(footer) != raw:
            raise NotReusable(f"{path.name}: footer does not re-encode to itself")
        parsed = cls(data, footer)
        parsed.check()
        return parsed

    def field(self, fid: int) -> Any:
        return _field(self.footer, fid)

    @property
    def row_groups(self) -> list[list[list[Any]]]:
        found = self.field(4)
        return [] if found is None else list(found[1])

    @property
    def group_rows(self) -> list[int]:
        return [int(_field(group, 3)) for group in self.row_groups]

    def spans(self) -> list[tuple[int, int]]:
        """(first byte, end) of each row group, from its column chunks."""
        out = []
        for group in self.row_groups:
            starts, ends = [], []
            for chunk in _field(group, 1)[1]:
                meta = _field(chunk, 3)
                first = _field(meta, 11) or _field(meta, 9)
                starts.append(first)
                ends.append(first + _field(meta, 7))
            out.append((min(starts), max(ends)))
        return out

    def check(self) -> None:
        """Only what this module knows how to move: row groups back to back from byte 4 to
        the footer, offsets only where it shifts them."""
        position = 4
        for group, (start, end) in zip(self.row_groups, self.spans(), strict=True):
            if start != position or _field(group, 5) not in (None, start):
                raise NotReusable("row groups are not back to back")
            if {f[0] for f in group} - {1, 2, 3, 5, 6}:
                raise NotReusable("row group fields this module does not know")
            for chunk in _field(group, 1)[1]:
                if {f[0] for f in chunk} - {2, 3} or _field(chunk, 2) not in (0, None):
                    raise NotReusable("column chunk fields this module does not know")
                if {f[0] for f in _field(chunk, 3)} & {8, 10, 14, 15}:
                    raise NotReusable("column metadata this module does not shift")
            position = end
        length = int.from_bytes(self.data[-8:-4], "little")
        if position != len(self.data) - 8 - length:
            raise NotReusable("bytes between the row groups and the footer")


def _join(old: _ParquetFile, kept: int, tail: _ParquetFile, target: Path) -> tuple[str, int]:
    """Old row groups [0, kept), then the tail's, and the footer that lists them."""
    same = [f for f in old.footer if f[0] not in (3, 4)]
    if same != [f for f in tail.footer if f[0] not in (3, 4)]:
        raise NotReusable("another schema, writer or metadata")
    cut = old.spans()[kept - 1][1]
    tail_body = tail.data[4 : len(tail.data) - 8 - int.from_bytes(tail.data[-8:-4], "little")]
    shift = cut - 4
    groups = old.row_groups[:kept] + [_shifted(group, shift) for group in tail.row_groups]
    footer: list[list[Any]] = []
    for fid, kind, value in old.footer:
        if fid == 3:
            value = sum(int(_field(group, 3)) for group in groups)
        elif fid == 4:
            value = (value[0], groups)
        footer.append([fid, kind, value])
    raw = thrift_encode(footer)
    digest = hashlib.sha256()
    size = 0
    with temporary(target) as tmp, tmp.open("wb") as out:
        for piece in (old.data[:cut], tail_body, raw, struct.pack("<I", len(raw)), _MAGIC):
            out.write(piece)
            digest.update(piece)
            size += len(piece)
        out.flush()
    return digest.hexdigest(), size


def _shifted(group: list[list[Any]], shift: int) -> list[list[Any]]:
    """A row group's metadata with its byte offsets moved by ``shift``."""
    out: list[list[Any]] = []
    for fid, kind, value in group:
        if fid == 5:
            value = value + shift
        elif fid == 1:
            chunks = []
            for chunk in value[1]:
                moved = []
                for cfid, ckind, cvalue in chunk:
                    if cfid == 3:
                        cvalue = [[m, k, v + shift if m in (9, 11) else v] for m, k, v in cvalue]
                    moved.append([cfid, ckind, cvalue])
                chunks.append(moved)
            value = (value[0], chunks)
        out.append([fid, kind, value])
    return out


def _field(struct_: list[list[Any]], fid: int) -> Any:
    for found, _, value in struct_:
        if found == fid:
            return value
    return None


# A Thrift compact-protocol struct as a list of [field id, compact type, value], in file order
# (lists as (element type, items)): enough to move row groups, and re-encoded byte for byte.


def thrift_decode(data: bytes) -> list[list[Any]]:
    """Decode one compact-protocol struct that spans ``data``."""
    reader = _Reader(data)
    decoded = reader.struct()
    if reader.position != len(data):
        raise NotReusable("trailing bytes after the footer struct")
    return decoded


def thrift_encode(fields: list[list[Any]]) -> bytes:
    """Encode a struct as Apache Thrift's compact protocol does."""
    out = bytearray()
    _write_struct(out, fields)
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def byte(self) -> int:
        if self.position >= len(self.data):
            raise NotReusable("truncated footer")
        value = self.data[self.position]
        self.position += 1
        return value

    def varint(self) -> int:
        shift = value = 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    def zigzag(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def value(self, kind: int) -> Any:
        if kind in (1, 2):
            return kind == 1
        if kind == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            value = struct.unpack("<d", self.data[self.position : self.position + 8])[0]
            self.position += 8
            return value
        if kind == 8:
            length = self.varint()
            value = self.data[self.position : self.position + length]
            self.position += length
            return value
        if kind in (9, 10):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            if element in (1, 2):
                return (element, [self.byte() == 1 for _ in range(size)])
            return (element, [self.value(element) for _ in range(size)])
        if kind == 12:
            return self.struct()
        raise NotReusable(f"Thrift type {kind} in a Parquet footer")

    def struct(self) -> list[list[Any]]:
        fields: list[list[Any]] = []
        last = 0
        while True:
            header = self.byte()
            if header == 0:
                return fields
            kind, delta = header & 0x0F, header >> 4
            fid = last + delta if delta else self.zigzag()
            fields.append([fid, kind, self.value(kind)])
            last = fid


def _varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _zigzag(out: bytearray, value: int, bits: int) -> None:
    _varint(out, ((value << 1) ^ (value >> (bits - 1))) & ((1 << bits) - 1))


def _write_value(out: bytearray, kind: int, value: Any) -> None:
    if kind in (1, 2):
        return
    if kind == 3:
        out += struct.pack("b", value)
    elif kind in (4, 5, 6):
        _zigzag(out, value, {4: 16, 5: 32, 6: 64}[kind])
    elif kind == 7:
        out += struct.pack("<d", value)
    elif kind == 8:
        _varint(out, len(value))
        out += value
    elif kind in (9, 10):
        element, items = value
        if len(items) < 15:
            out.append((len(items) << 4) | element)
        else:
            out.append(0xF0 | element)
            _varint(out, len(items))
        for item in items:
            if element in (1, 2):
                out.append(1 if item else 2)
            else:
                _write_value(out, element, item)
    elif kind == 12:
        _write_struct(out, value)
    else:
        raise NotReusable(f"Thrift type {kind} in a Parquet footer")


def _write_struct(out: bytearray, fields: list[list[Any]]) -> None:
    last = 0
    for fid, kind, value in fields:
        if kind in (1, 2):
            kind = 1 if value else 2
        if 0 < fid - last <= 15:
            out.append(((fid - last) << 4) | kind)
        else:
            out.append(kind)
            _zigzag(out, fid, 16)
        _write_value(out, kind, value)
        last = fid
    out.append(0)


# -------------------------------------------------------------------------------- JSON Lines


def plan_parts(members: Sequence[Part], *, max_bytes: int, max_lines: int) -> list[list[Part]]:
    """Which month parts go into which part of the period, as ``JsonlParts.add_member``
    fills them (a new part when the next member would pass either limit)."""
    plan: list[list[Part]] = []
    lines = size = 0
    for member in members:
        fits = bool(plan) and (
            lines == 0 or (lines + member.lines <= max_lines and size + member.bytes <= max_bytes)
        )
        if not fits:
            plan.append([])
            lines = size = 0
        plan[-1].append(member)
        lines += member.lines
        size += member.bytes
    return plan or [[]]


def copy_member_files(sources: Sequence[Path], target: Path) -> tuple[str, int]:
    """A part made of whole gzip files, concatenated; (SHA-256, size)."""
    digest = hashlib.sha256()
    size = 0
    with temporary(target) as tmp, tmp.open("wb") as out:
        for source in sources:
            with source.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        out.flush()
    return digest.hexdigest(), size
