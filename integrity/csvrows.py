"""The rows of a CSV file, independent of how a spreadsheet saved it (``csv-rows/1``).

A published CSV re-saved by a spreadsheet keeps its data but not its bytes: line endings
become CRLF, a byte-order mark appears, the encoding becomes Windows-1252, quotes change, the
separator may become ``;``. The manifest records, for each CSV, the SHA-256 of its rows in a
normal form, so a verifier can tell "re-saved, same data" from "data changed" without the
original file:

1. strip a leading UTF-8 byte-order mark; decode as UTF-8, or else as Windows-1252 (bytes
   it leaves undefined as Latin-1);
2. split into records by RFC 4180 (``"`` quotes, ``""`` escapes; CRLF, LF or CR line ends)
   with the separator ``,``, unless the first line has no ``,`` outside quotes but a ``;``
   or a tab, which is then the separator; drop empty records;
3. write each record as a canonical JSON array of strings (RFC 8785) followed by ``\\n``;
   ``sha256`` is the SHA-256 of all of them (header included), ``count`` the number of
   records after the header.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass

import orjson

from integrity.canonical import canonical_bytes

METHOD = "csv-rows/1"
BOM = b"\xef\xbb\xbf"
_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_UNDEFINED_1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


@dataclass(frozen=True)
class CsvRows:
    """The records of a CSV file in normal form, and how its bytes differed from plain CSV."""

    records: list[list[str]]
    bom: bool
    encoding: str
    delimiter: str
    line_ends: str

    @property
    def header(self) -> list[str]:
        """The first record (column names)."""
        return self.records[0] if self.records else []

    @property
    def rows(self) -> list[list[str]]:
        """The records after the header."""
        return self.records[1:]

    def digest(self) -> str:
        """SHA-256 of the records in normal form (``csv-rows/1``)."""
        return hashlib.sha256(
            b"".join([_record_line(record) for record in self.records])
        ).hexdigest()

    def summary(self) -> dict[str, object]:
        """The manifest's ``rows`` object for this file."""
        return {"method": METHOD, "count": len(self.rows), "sha256": self.digest()}


def _record_line(record: list[str]) -> bytes:
    """``canonical_bytes(record) + b"\\n"``: an array of strings holds no number token and no
    key, so orjson's bytes are the canonical ones (``canonical_bytes`` takes the same fast
    path) unless a U+E000..U+FFFF character sends it to the exact serialiser; so does this."""
    fast = orjson.dumps(record)
    if b"\xee" in fast or b"\xef" in fast:
        return canonical_bytes(record) + b"\n"
    return fast + b"\n"


def decode(data: bytes) -> tuple[str, bool, str]:
    """(text, had a BOM, encoding used)."""
    bom = data.startswith(BOM)
    body = data[len(BOM) :] if bom else data
    try:
        return body.decode("utf-8"), bom, "utf-8"
    except UnicodeDecodeError:
        return _windows_1252(body), bom, "windows-1252"


def _windows_1252(body: bytes) -> str:
    """Windows-1252, with the five bytes it leaves undefined read as Latin-1."""
    if _UNDEFINED_1252.search(body) is None:
        return body.decode("cp1252")
    return "".join(chr(b) if b in _UNDEFINED else bytes([b]).decode("cp1252") for b in body)


def _delimiter(text: str) -> str:
    """``,`` unless the header line has none outside quotes but has ``;`` or a tab."""
    first = text.split("\n", 1)[0].split("\r", 1)[0]
    outside = "".join(part for index, part in enumerate(first.split('"')) if index % 2 == 0)
    if "," in outside:
        return ","
    for candidate in (";", "\t"):
        if candidate in outside:
            return candidate
    return ","


def _line_ends(text: str) -> str:
    if "\r\n" in text:
        return "crlf"
    if "\r" in text:
        return "cr"
    return "lf"


def parse(data: bytes) -> CsvRows:
    """The records of CSV bytes in normal form (ValueError if they are not CSV)."""
    text, bom, encoding = decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = [record for record in reader if record]
    except csv.Error as error:
        raise ValueError(f"not CSV: {error}") from None
    return CsvRows(records, bom, encoding, delimiter, _line_ends(text))


def summary(data: bytes) -> dict[str, object] | None:
    """The manifest's ``rows`` object for CSV bytes (None if they are not CSV)."""
    try:
        return parse(data).summary()
    except ValueError:
        return None
