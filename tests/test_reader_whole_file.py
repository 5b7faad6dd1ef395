"""A monthly file that one block holds is decoded and split once (``_scan_whole``): the same
result as the streamed path, which scans every block for the header, field prefix and date
format before parsing them again. And the byte scan's one translation (``_byte_classes``)
counts what its three regex scans counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from perucompras import reader
from perucompras.reader import ReadResult, read_monthly_file
from perucompras.synthetic import DEFECT_KINDS, generate_month, plant_defects


def _read(path: Path, *, whole: bool, monkeypatch: pytest.MonkeyPatch) -> ReadResult:
    """Read ``path`` through the whole-file path or the streamed one (one block either way:
    the streamed path is taken when the block is exactly the file's size)."""
    calls: list[Path] = []
    scan_whole = reader._scan_whole

    def spy(path: Path, *args: object, **kwargs: object) -> reader._WholeFile:
        calls.append(path)
        return scan_whole(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reader, "_scan_whole", spy)
    size = path.stat().st_size
    result = read_monthly_file(path, block_bytes=size + 1 if whole else size)
    monkeypatch.setattr(reader, "_scan_whole", scan_whole)
    assert bool(calls) == whole
    return result


def _assert_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> ReadResult:
    whole = _read(path, whole=True, monkeypatch=monkeypatch)
    streamed = _read(path, whole=False, monkeypatch=monkeypatch)
    assert whole.info == streamed.info
    assert whole.orders.schema == streamed.orders.schema
    assert whole.orders.equals(streamed.orders)
    assert whole.quarantine.equals(streamed.quarantine)
    return whole


@pytest.mark.parametrize("variant", ["latin1", "utf8_tab", "dmy_dates"])
def test_whole_file_path_gives_the_streamed_result(
    tmp_path: Path, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = generate_month(2025, 3, tmp_path, seed=11, orders=300, variant=variant)
    assert plant_defects(path, list(DEFECT_KINDS), seed=5)
    result = _assert_same(path, monkeypatch)
    assert result.orders.num_rows > 200 and result.quarantine.num_rows >= 1


def _rewrite(path: Path, header: bytes | None = None, rows: list[bytes] | None = None) -> None:
    lines = path.read_bytes().split(b"\n")[:-1]
    path.write_bytes(b"\n".join([header or lines[0], *(rows or lines[1:])]) + b"\n")


def test_prefix_decided_by_the_rows_and_its_date_votes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header without TABs, most rows with them: the prefix comes from the rows, and the
    date format from the votes under that prefix. 120 D/MM/YYYY rows with TABs against 80 ISO
    rows without: under the TAB prefix D/MM/YYYY wins (360 votes to 240); without it only the
    first column's 120 D/MM/YYYY dates would count, and ISO would win."""
    path = generate_month(2025, 5, tmp_path, seed=2, orders=200, variant="latin1")
    lines = path.read_bytes().split(b"\n")[:-1]
    dmy = generate_month(2025, 5, tmp_path / "dmy", seed=2, orders=200, variant="dmy_dates")
    dmy_rows = dmy.read_bytes().split(b"\n")[1:-1]
    tabbed_dmy = [b";\t".join(row.split(b";")) for row in dmy_rows[:120]]
    _rewrite(path, lines[0], tabbed_dmy + lines[1:81])
    result = _assert_same(path, monkeypatch)
    assert result.info.field_prefix == "\t"
    assert result.info.date_format == reader.DMY_DATE_FORMAT


def test_rows_mostly_without_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = generate_month(2025, 6, tmp_path, seed=4, orders=150, variant="utf8_tab")
    lines = path.read_bytes().split(b"\n")[:-1]
    untabbed = [line.replace(b";\t", b";") for line in lines[1:]]
    _rewrite(path, lines[0].replace(b"\t", b""), untabbed[:100] + lines[101:])
    result = _assert_same(path, monkeypatch)
    assert result.info.field_prefix == ""
    assert result.info.row_count == 150


@pytest.mark.parametrize("content", [b"", b"\n", b"x"])
def test_header_only_or_no_final_newline(
    tmp_path: Path, content: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = generate_month(2025, 7, tmp_path / "src", seed=3, orders=40, variant="latin1")
    header, first, *_ = source.read_bytes().split(b"\n")
    path = tmp_path / source.name
    path.write_bytes(header + b"\n" + (first + content if content != b"" else b""))
    result = _assert_same(path, monkeypatch)
    assert result.info.row_count == (1 if content else 0)


BYTES = [
    b"",
    b"plain ascii;row\n",
    "caf\u00e9;\u00f1and\u00fa\n".encode("utf-8"),
    "caf\u00e9;\u00f1and\u00fa\n".encode("latin-1"),
    b"\xc2\x80\x9f\xe2\x82\xac\xf4\xbf\xbf\xbf\xc1\x80\xf5\x80\xc2\xc2\xa0",
    b"\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x0e\x1f\x20\x7f\x80\x9f\xa0\xbf\xc0\xff",
    bytes(range(256)),
    bytes(range(255, -1, -1)) * 3,
]


@pytest.mark.parametrize("body", BYTES)
def test_byte_classes_match_the_regex_scans(body: bytes) -> None:
    sequences, c1, binary = reader._byte_classes(body)
    assert sequences == len(reader.UTF8_SEQUENCE.findall(body))
    assert c1 == (reader.re.search(rb"[\x80-\x9f]", body) is not None)
    assert binary == (reader.BINARY_BYTES.search(body) is not None)


def test_byte_classes_on_random_bytes() -> None:
    import random

    rng = random.Random(15)
    alphabet = bytes([0x00, 0x0B, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC1, 0xC2, 0xE9, 0xF4, 0xF5])
    for _ in range(2000):
        body = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        sequences, c1, binary = reader._byte_classes(body)
        assert sequences == len(reader.UTF8_SEQUENCE.findall(body)), body
        assert c1 == (reader.re.search(rb"[\x80-\x9f]", body) is not None), body
        assert binary == (reader.BINARY_BYTES.search(body) is not None), body


@pytest.mark.parametrize(
    ("codec", "errors"),
    [("utf-8", "strict"), ("utf-8", "replace"), ("cp1252", "replace"), ("latin-1", "strict")],
)
def test_decode_cleans_as_the_regex_would(codec: str, errors: str) -> None:
    """``_Encoding.decode`` skips ``_clean`` for blocks without control bytes: the same text as
    cleaning every block, on random bytes of every codec."""
    import random

    rng = random.Random(codec + errors)
    encoding = reader._Encoding(codec, codec, errors, False)
    alphabet = [b"a", b"\t", b"\r", b"\n", b"\x00", b"\x0b", b"\x1f", b"\x7f", b"\x80", b"\x81"]
    alphabet += [b"\x9d", b"\x9f", b"\xa0", b"\xc2", b"\xe9", b"\xc3\xa9", b"\xc2\x85", b"\xff"]
    alphabet += ["\u20ac".encode("utf-8"), b"\xef\xbf\xbd"]
    checked = 0
    for _ in range(3000):
        block = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        try:
            expected = reader._clean(block.decode(codec, errors=errors))
        except UnicodeDecodeError:
            continue
        assert encoding.decode(block) == expected, block
        checked += 1
    assert checked > 300
