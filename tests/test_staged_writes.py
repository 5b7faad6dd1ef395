"""Files of a staging folder flushed to disk in background threads (``StagedWrites``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from publication.atomic import StagedWrites


def test_every_file_is_whole_once_the_block_ends(tmp_path: Path) -> None:
    """The bytes are all there when the block ends (its flushes waited for), in any number."""
    contents = {tmp_path / f"file-{n}.bin": bytes([n % 256]) * (n * 1000 + 1) for n in range(40)}
    with StagedWrites() as staged:
        for path, data in contents.items():
            staged.write(path, data)
    assert {path: path.read_bytes() for path in contents} == contents


def test_a_failed_flush_is_raised_by_wait(tmp_path: Path) -> None:
    """A file that cannot be flushed (gone before its flush) fails the block, not silently."""
    staged = StagedWrites()
    with pytest.raises(FileNotFoundError), staged:
        staged.sync(tmp_path / "never-written.bin")
    staged.wait()  # nothing left pending after the failure


def test_an_error_in_the_block_is_not_hidden_by_the_flushes(tmp_path: Path) -> None:
    """The block's own error comes out; queued flushes are only let finish."""
    with pytest.raises(RuntimeError, match="boom"), StagedWrites() as staged:
        staged.sync(tmp_path / "missing.bin")
        raise RuntimeError("boom")
