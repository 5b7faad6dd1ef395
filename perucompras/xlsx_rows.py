"""Stream the rows of an XLSX workbook's sheets with the standard library (zipfile + expat).

Only what a data export needs: cell values in row order with their sheet row numbers. Strings
(shared, inline, rich text, formula results) come back as ``str`` with OOXML ``_xHHHH_`` escapes
decoded; numbers as ``int`` or ``float`` (a cell holds an IEEE double: writers such as XlsxWriter
or Excel may write ``72913.85000000001`` for 72913.85, so exact readers take the shortest repr);
booleans as ``bool``; cells with a date number format as ``datetime``; missing rows and cells as
``()`` and ``None``. Faster than openpyxl's read-only mode (no object per cell), constant memory.
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.parsers import expat

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CHUNK_BYTES = 1 << 20
# built-in number formats that show dates or times (ECMA-376 §18.8.30)
BUILTIN_DATE_FORMATS = frozenset({*range(14, 23), 45, 46, 47})
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_FORMAT_NOISE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DATE_TOKENS = re.compile(r"[dmyhs]", re.IGNORECASE)
_CELL_REFERENCE = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


class WorkbookError(ValueError):
    """The file is not a readable XLSX workbook."""


Row = tuple[Any, ...]


def decode_escapes(text: str) -> str:
    """Decode OOXML ``_xHHHH_`` character escapes (``_x000D_`` -> CR)."""
    return _ESCAPE.sub(lambda match: chr(int(match[1], 16)), text) if "_x" in text else text


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _parse(data: bytes, start: Any = None, end: Any = None, text: Any = None) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise WorkbookError(f"malformed XML ({error})") from error


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> target part name of ``part``."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    found: dict[str, str] = {}
    if rels not in archive.namelist():
        return found

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == f"{PACKAGE_RELATIONSHIPS} Relationship":
            target = attrs.get("Target", "")
            if target.startswith("/"):
                found[attrs["Id"]] = target.lstrip("/")
            else:
                found[attrs["Id"]] = posixpath.normpath(posixpath.join(folder, target))

    _parse(archive.read(rels), start)
    return found


def _workbook(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], bool]:
    """[(sheet name, part)] in workbook order, and whether dates use the 1904 system."""
    sheets: list[tuple[str, str]] = []
    date1904 = [False]
    targets = _relationships(archive, "xl/workbook.xml")

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == f"{MAIN} sheet":
            target = targets.get(attrs.get(f"{RELATIONSHIPS} id", ""))
            if target:
                sheets.append((attrs.get("name", ""), target))
        elif tag == f"{MAIN} workbookPr":
            date1904[0] = attrs.get("date1904", "0") in ("1", "true")

    _parse(archive.read("xl/workbook.xml"), start)
    return sheets, date1904[0]


def _shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    strings: list[str] = []
    if not part or part not in archive.namelist():
        return strings
    parts: list[str] = []
    depth = {"phonetic": 0, "text": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == f"{MAIN} si":
            parts.clear()
        elif tag == f"{MAIN} rPh":
            depth["phonetic"] += 1
        elif tag == f"{MAIN} t" and not depth["phonetic"]:
            depth["text"] = True

    def end(tag: str) -> None:
        if tag == f"{MAIN} si":
            strings.append(decode_escapes("".join(parts)))
        elif tag == f"{MAIN} rPh":
            depth["phonetic"] -= 1
        elif tag == f"{MAIN} t":
            depth["text"] = False

    def text(data: str) -> None:
        if depth["text"]:
            parts.append(data)

    _parse(archive.read(part), start, end, text)
    return strings


def _is_date_format(code: str) -> bool:
    return bool(_DATE_TOKENS.search(_FORMAT_NOISE.sub("", code)))


def _date_styles(archive: zipfile.ZipFile, part: str | None) -> frozenset[int]:
    """Indexes of the cell formats (``s`` attribute) that show a date or time."""
    if not part or part not in archive.namelist():
        return frozenset()
    custom: dict[int, str] = {}
    formats: list[int] = []
    inside = {"cellXfs": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == f"{MAIN} numFmt":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif tag == f"{MAIN} cellXfs":
            inside["cellXfs"] = True
        elif tag == f"{MAIN} xf" and inside["cellXfs"]:
            formats.append(int(attrs.get("numFmtId", "0")))

    def end(tag: str) -> None:
        if tag == f"{MAIN} cellXfs":
            inside["cellXfs"] = False

    _parse(archive.read(part), start, end)
    return frozenset(
        index
        for index, number in enumerate(formats)
        if number in BUILTIN_DATE_FORMATS or (number in custom and _is_date_format(custom[number]))
    )


def _serial_date(value: float, date1904: bool) -> dt.datetime:
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    seconds = round(value * 86_400)
    return epoch + dt.timedelta(seconds=int(seconds))


_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ROOT_PREFIX = re.compile(r"<(?:(\w+):)?worksheet\b")
_ATTRIBUTE = re.compile(r"\b([\w:]+)=\"([^\"]*)\"")


_SIMPLE_MISSES = 64
_NUMBERS_KEPT = 1 << 16  # distinct number texts remembered per sheet (then forgotten)
_NONES = (None,) * (26 + 26**2 + 26**3)  # a gap before any column a reference can name (ZZZ)
_PLAIN_ROW_ATTRIBUTES = re.compile(r'\s*r="([0-9]*)"(?:\s+spans="[0-9:]*")?\s*$')


def _entity(match: re.Match[str]) -> str:
    name = match[1]
    if name[0] != "#":
        return _NAMED_ENTITIES[name]
    return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))


def unescape_xml(text: str) -> str:
    """Resolve the XML entity and character references of raw element text."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


class _SheetScanner:
    """Rows of one worksheet's XML, scanned with regular expressions in chunks.

    Worksheet XML is regular (``<row>`` elements of ``<c>`` elements holding ``<v>``, ``<is>``
    or ``<f>``), so scanning its text is exact and avoids one Python call per XML event. Cells
    whose attributes come in the schema's order (``r``, ``s``, ``t``: every common writer) take
    one ``findall`` per row; anything else goes through a general path.
    """

    def __init__(
        self, prefix: str, shared: list[str], date_styles: frozenset[int], date1904: bool
    ) -> None:
        p = re.escape(f"{prefix}:") if prefix else ""
        self.row_end = f"</{prefix}:row>" if prefix else "</row>"
        self.row_open = f"<{prefix}:row" if prefix else "<row"
        self.fast_cells = re.compile(
            rf'<{p}c r="([A-Z]{{1,3}})[0-9]+"(?: s="([0-9]+)")?(?: t="(\w+)")?([^>]*?)'
            rf"(?:/>|>(?:<{p}v>([^<]*)</{p}v>|<{p}is><{p}t(?: [^>]*)?>([^<]*)</{p}t></{p}is>"
            rf"|(.*?))</{p}c>)",
            re.DOTALL,
        )
        self.simple_cells = re.compile(
            rf'<{p}c r="([A-Z]{{1,3}})[0-9]+"(?: t="inlineStr"><{p}is><{p}t>([^<]*)</{p}t></{p}is>'
            rf"|><{p}v>([^<]*)</{p}v>)</{p}c>"
        )
        self.simple_misses = 0
        self.cells = re.compile(rf"<{p}c\b([^>]*?)(?:/>|>(.*?)</{p}c>)", re.DOTALL)
        self.value = re.compile(rf"<{p}v(?:\s[^>]*)?>(.*?)</{p}v>", re.DOTALL)
        self.text = re.compile(rf"<{p}t(?:\s[^>]*)?>(.*?)</{p}t>", re.DOTALL)
        self.phonetic = re.compile(rf"<{p}rPh\b.*?</{p}rPh>", re.DOTALL)
        self.inline = f"<{prefix}:is>" if prefix else "<is>"
        self.cell_tag = f"<{prefix}:c" if prefix else "<c"
        self.shared = shared
        self.date_styles = date_styles
        self.date1904 = date1904
        self.columns: dict[str, int] = {}
        self.numbers: dict[str, Any] = {}  # a number cell's text -> its value
        self.row_number = 0

    def _column(self, letters: str) -> int:
        index = self.columns.get(letters)
        if index is None:
            index = self.columns[letters] = _column_index(letters)
        return index

    def rows_in(self, text: str, end: int | None = None) -> Iterator[tuple[int, Row]]:
        """Complete rows of ``text[:end]`` (which ends at a row boundary): ``reference_rows_in``'s
        rows, with the cells of XlsxWriter's layout (unstyled inline strings and numbers) read
        in place by one ``findall`` per row and put straight into the row (no copy of the row's
        text, no dictionary of cells), numbers converted once per distinct text."""
        simple = self.simple_cells.findall
        count, find = text.count, text.find
        cell_tag = self.cell_tag
        limit = len(text) if end is None else end
        # the next entity (``&``) and ``_xHHHH_`` escape: a row before both keeps its inline
        # strings as found (each searched for once per occurrence, not once per row)
        entity = escape = -1
        for attributes, start, stop in self._row_spans(text, limit):
            plain_row = _PLAIN_ROW_ATTRIBUTES.match(attributes)
            if plain_row is not None:
                number_text: str | None = plain_row[1]
            else:
                number_text = dict(_ATTRIBUTE.findall(attributes)).get("r")
            self.row_number = int(number_text) if number_text else self.row_number + 1
            if self.simple_misses <= _SIMPLE_MISSES:
                found = simple(text, start, stop)
                if len(found) == count(cell_tag, start, stop):
                    if entity < start:
                        entity = find("&", start, limit)
                        entity = limit if entity < 0 else entity
                    if escape < start:
                        escape = find("_x", start, limit)
                        escape = limit if escape < 0 else escape
                    plain = entity >= stop and escape >= stop
                    yield self.row_number, self._simple_row(found, plain)
                    continue
                self.simple_misses += 1
            body = text[start:stop]
            cells = self._fast(body)
            if cells is None:
                cells = self._general(body)
            width = max(cells) + 1 if cells else 0
            yield self.row_number, tuple(map(cells.get, range(width)))

    def _simple_row(self, found: list[tuple[str, str, str]], plain: bool) -> Row:
        """The row of ``simple_cells`` matches ``found`` (every cell of the row), as
        ``_simple`` and ``reference_rows_in`` make it: a later cell of the same column wins,
        missing cells are None, trailing ones dropped."""
        row: list[Any] = []
        width = 0
        columns = self.columns
        numbers = self.numbers
        for letters, inline, value in found:
            if inline:
                decoded: Any = inline if plain else decode_escapes(unescape_xml(inline))
            elif value:
                decoded = numbers.get(value)
                if decoded is None:
                    if len(numbers) >= _NUMBERS_KEPT:
                        numbers.clear()
                    decoded = numbers[value] = self._convert(value, "n", 0)
            else:
                continue
            index = columns.get(letters)
            if index is None:
                index = self._column(letters)
            if index == width:
                row.append(decoded)
                width += 1
            elif index > width:
                row.extend(_NONES[: index - width])
                row.append(decoded)
                width = index + 1
            else:
                row[index] = decoded
        return tuple(row)

    def reference_rows_in(self, text: str) -> Iterator[tuple[int, Row]]:
        """Complete rows of ``text`` (which ends at a row boundary), cell by cell into a
        dictionary (the reference ``rows_in`` must match: the tests compare them)."""
        for attributes, body in self._row_parts(text):
            plain = _PLAIN_ROW_ATTRIBUTES.match(attributes)
            if plain is not None:
                number_text: str | None = plain[1]
            else:
                number_text = dict(_ATTRIBUTE.findall(attributes)).get("r")
            self.row_number = int(number_text) if number_text else self.row_number + 1
            cells = self._simple(body) if self.simple_misses <= _SIMPLE_MISSES else None
            if cells is None:
                cells = self._fast(body)
            if cells is None:
                cells = self._general(body)
            width = max(cells) + 1 if cells else 0
            yield self.row_number, tuple(map(cells.get, range(width)))

    def _row_parts(self, text: str) -> Iterator[tuple[str, str]]:
        """(attributes, body) of each row element of ``text`` (see ``_row_spans``)."""
        for attributes, start, stop in self._row_spans(text, len(text)):
            yield attributes, text[start:stop]

    def _row_spans(self, text: str, limit: int) -> Iterator[tuple[str, int, int]]:
        """(attributes, body) of each row element of ``text``: the matches of
        ``<row\\b([^>]*?)(?:/>|>(.*?)</row>)`` (DOTALL) in ``text[:limit]`` as (attributes,
        body start, body end), found with ``str.find`` (a lazy ``.*?`` over a row's body is slow
        in ``re``)."""
        opening, closing = self.row_open, self.row_end
        size = len(opening)
        position = 0
        while True:
            start = text.find(opening, position, limit)
            if start < 0:
                return
            after = start + size
            if after < limit and (text[after].isalnum() or text[after] == "_"):
                position = after  # another element (no word boundary after ``<row``)
                continue
            tag_end = text.find(">", after, limit)
            if tag_end < 0:
                return
            if text[tag_end - 1] == "/" and tag_end - 1 >= after:
                yield text[after : tag_end - 1], tag_end, tag_end
                position = tag_end + 1
                continue
            end = text.find(closing, tag_end + 1, limit)
            if end < 0:  # an unclosed row: a later self-closed one may still match
                position = after
                continue
            yield text[after:tag_end], tag_end + 1, end
            position = end + len(closing)

    def _simple(self, body: str) -> dict[int, Any] | None:
        """Cells of a row body whose cells are all unstyled inline strings or numbers
        (XlsxWriter's layout), decoded as ``_fast`` decodes them; None: use ``_fast`` (after
        ``_SIMPLE_MISSES`` such rows, a sheet of another layout stops trying)."""
        found = self.simple_cells.findall(body)
        if len(found) != body.count(self.cell_tag):
            self.simple_misses += 1
            return None
        cells: dict[int, Any] = {}
        columns = self.columns
        for letters, inline, value in found:
            if inline:
                if "&" in inline:
                    inline = unescape_xml(inline)
                decoded: Any = decode_escapes(inline) if "_x" in inline else inline
            elif value:
                if "&" in value:
                    decoded = self._convert(value, "n", 0)
                else:  # ``_convert(value, "n", 0)``
                    text = value.strip()
                    try:
                        decoded = (
                            float(text) if "." in text or "e" in text or "E" in text else int(text)
                        )
                    except ValueError:
                        decoded = text
            else:
                continue
            index = columns.get(letters)
            if index is None:
                index = self._column(letters)
            cells[index] = decoded
        return cells

    def _fast(self, body: str) -> dict[int, Any] | None:
        """Cells of a row body whose cells all have ``r`` first (None: use the general path)."""
        found = self.fast_cells.findall(body)
        # every match is a cell opening, and each opening starts with ``<c``: equal counts
        # mean every cell matched (any other element starting so sends the row to ``_general``)
        if len(found) != body.count(self.cell_tag):
            return None
        cells: dict[int, Any] = {}
        columns = self.columns
        for letters, style, kind, rest, value, inline, other in found:
            if rest and ("t=" in rest or "s=" in rest):
                return None
            if other:
                decoded = self._value(other, kind or "n", int(style or 0))
            elif inline:
                if "&" in inline:
                    inline = unescape_xml(inline)
                decoded = decode_escapes(inline) if "_x" in inline else inline
            elif value:
                if not kind and not style and "&" not in value:  # ``_convert(value, "n", 0)``
                    text = value.strip()
                    try:
                        decoded = (
                            float(text) if "." in text or "e" in text or "E" in text else int(text)
                        )
                    except ValueError:
                        decoded = text
                else:
                    decoded = self._convert(value, kind or "n", int(style) if style else 0)
            else:
                continue
            if decoded is not None:
                index = columns.get(letters)
                if index is None:
                    index = self._column(letters)
                cells[index] = decoded
        return cells

    def _general(self, body: str) -> dict[int, Any]:
        cells: dict[int, Any] = {}
        column = -1
        for cell in self.cells.finditer(body):
            found = dict(_ATTRIBUTE.findall(cell[1]))
            reference = _CELL_REFERENCE.match(found.get("r", ""))
            column = self._column(reference[1]) if reference else column + 1
            if cell[2]:
                style = found.get("s", "0")
                value = self._value(
                    cell[2], found.get("t", "n"), int(style) if style.isdigit() else 0
                )
                if value is not None:
                    cells[column] = value
        return cells

    def _value(self, body: str, kind: str, style: int) -> Any:
        if kind == "inlineStr" or body.startswith(self.inline):
            body = self.phonetic.sub("", body)
            parts = self.text.findall(body)
            return decode_escapes(unescape_xml("".join(parts))) if parts else None
        found = self.value.search(body)
        if found is None or not found[1]:
            return None
        return self._convert(found[1], kind, style)

    def _convert(self, raw: str, kind: str, style: int) -> Any:
        text = unescape_xml(raw)
        if kind == "n":
            text = text.strip()
            try:
                number: int | float = (
                    float(text) if "." in text or "e" in text or "E" in text else int(text)
                )
            except ValueError:
                return text
            if style and style in self.date_styles and math.isfinite(number):
                try:
                    return _serial_date(number, self.date1904)
                except OverflowError:  # not a date a spreadsheet can show: keep the number
                    return number
            return number
        if kind == "s":
            try:
                return self.shared[int(text)]
            except (IndexError, ValueError):
                raise WorkbookError(
                    f"a cell refers to shared string {text!r}, which does not exist "
                    f"({len(self.shared)} shared strings): the workbook is damaged"
                ) from None
        if kind == "str":
            return decode_escapes(text)
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(text.strip())
            except ValueError:
                return text
        return text


def _rows(
    archive: zipfile.ZipFile,
    part: str,
    shared: list[str],
    date_styles: frozenset[int],
    date1904: bool,
) -> Iterator[tuple[int, Row]]:
    """Numbered rows of one worksheet part, gaps filled with empty rows."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    scanner: _SheetScanner | None = None
    buffer = ""
    expected = 1
    with archive.open(part) as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            buffer += decoder.decode(chunk, final=not chunk)
            if scanner is None:
                root = _ROOT_PREFIX.search(buffer)
                if root is None and chunk:
                    continue
                scanner = _SheetScanner(
                    root[1] or "" if root else "", shared, date_styles, date1904
                )
            cut = buffer.rfind(scanner.row_end) if chunk else len(buffer)
            if cut < 0:
                continue
            if chunk:
                cut += len(scanner.row_end)
            for number, row in scanner.rows_in(buffer, cut):
                while expected < number:
                    yield expected, ()
                    expected += 1
                yield number, row
                expected = number + 1
            buffer = buffer[cut:]
            if not chunk:
                break


def iter_sheets(path: Path) -> Iterator[tuple[str, Iterator[tuple[int, Row]]]]:
    """(sheet name, numbered rows) for every worksheet, in workbook order, streamed.

    The workbook stays open while this generator runs: consume a sheet's rows before moving
    to the next sheet or letting the generator go.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise WorkbookError(f"not a ZIP container ({error})") from error
    with archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise WorkbookError("no xl/workbook.xml part (not an XLSX workbook)")
        sheets, date1904 = _workbook(archive)
        parts = _relationships(archive, "xl/workbook.xml").values()
        shared_part = next((p for p in parts if p.endswith("sharedStrings.xml")), None)
        styles_part = next((p for p in parts if p.endswith("styles.xml")), None)
        shared = _shared_strings(archive, shared_part)
        date_styles = _date_styles(archive, styles_part)
        for name, part in sheets:
            if part in names:
                yield name, _rows(archive, part, shared, date_styles, date1904)
