"""Plain-words answers for a file whose bytes differ from what was published (filled in later)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from integrity.manifest import Manifest
from integrity.verify._results import CheckResult
from integrity.verify._source import Source

if TYPE_CHECKING:
    from integrity.verify._options import VerifyOptions


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
    return None
