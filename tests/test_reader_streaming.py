"""The monthly-file reader streams in blocks: the result never depends on the block size."""

from __future__ import annotations

from pathlib import Path

import pytest

from perucompras.reader import ReadResult, read_monthly_file
from perucompras.synthetic import DEFECT_KINDS, generate_month, plant_defects

WHOLE_FILE = 1 << 30


def assert_same(streamed: ReadResult, whole: ReadResult) -> None:
    assert streamed.info == whole.info
    assert streamed.orders.schema == whole.orders.schema
    assert streamed.orders.equals(whole.orders)
    assert streamed.quarantine.equals(whole.quarantine)


@pytest.mark.parametrize("variant", ["latin1", "utf8_tab", "dmy_dates"])
def test_small_blocks_give_the_whole_file_result(tmp_path: Path, variant: str) -> None:
    path = generate_month(2025, 3, tmp_path, seed=7, orders=400, variant=variant)
    planted = plant_defects(path, list(DEFECT_KINDS), seed=3)
    whole = read_monthly_file(path, block_bytes=WHOLE_FILE)
    assert whole.orders.num_rows > 300
    assert whole.quarantine.num_rows >= 1 and planted
    for block_bytes in (4096, 50_000):
        assert_same(read_monthly_file(path, block_bytes=block_bytes), whole)


@pytest.mark.parametrize(
    ("prefix", "line_end", "last_end"),
    [(b"", b"\n", b"\n"), (b"\xef\xbb\xbf", b"\r\n", b""), (b"", b"\r\n", b"\r\n\n")],
)
def test_bom_crlf_and_missing_final_newline(
    tmp_path: Path, prefix: bytes, line_end: bytes, last_end: bytes
) -> None:
    source = generate_month(2025, 4, tmp_path / "src", seed=1, orders=120, variant="utf8_tab")
    lines = source.read_bytes().split(b"\n")[:-1]
    path = tmp_path / source.name
    path.write_bytes(prefix + line_end.join(lines[:-1]) + line_end + lines[-1] + last_end)
    whole = read_monthly_file(path, block_bytes=WHOLE_FILE)
    assert whole.info.row_count == len(lines) - 1 + (last_end == b"\r\n\n")
    assert whole.info.encoding == ("utf-8-sig" if prefix else "utf-8")
    assert whole.info.field_prefix == "\t"
    for block_bytes in (64, 3000):
        assert_same(read_monthly_file(path, block_bytes=block_bytes), whole)
