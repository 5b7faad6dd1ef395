"""``../shared`` beside the repository: the real sample files and the OCDS 1.1.5 schema.

A test that needs a part of it is marked ``@pytest.mark.shared("samples", "schema")`` (or calls
``check_shared`` itself) and skips, saying what is missing, in a clone without ``shared/``.
With ``PERUCOMPRAS_REQUIRE_SHARED=1`` (CI, which runs with ``../shared`` beside the clone) it
fails instead, so a run cannot pass green without them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SAMPLES = SHARED / "data" / "perucompras"
OCDS = SHARED / "ocds"
RELEASE_SCHEMA = OCDS / "1__1__5" / "release-schema.json"
REQUIRE_SHARED = "PERUCOMPRAS_REQUIRE_SHARED"

PARTS: dict[str, tuple[Callable[[], bool], str]] = {
    "samples": (
        lambda: any(SAMPLES.glob("ReportePCBienes*.csv")),
        f"real sample files not found in {SAMPLES}",
    ),
    "schema": (lambda: RELEASE_SCHEMA.is_file(), f"OCDS schema files not found under {OCDS}"),
}


def shared_required() -> bool:
    """Whether a missing part of ``../shared`` fails the test instead of skipping it."""
    return os.environ.get(REQUIRE_SHARED, "") not in ("", "0")


def check_shared(*parts: str) -> None:
    """Skip the running test when a part of ``../shared`` it needs is missing (fail it with
    ``PERUCOMPRAS_REQUIRE_SHARED=1``)."""
    missing = [reason for present, reason in (PARTS[part] for part in parts) if not present()]
    if not missing:
        return
    reason = f"{'; '.join(missing)}: clone the repository next to shared/"
    if shared_required():
        pytest.fail(f"{reason} ({REQUIRE_SHARED}=1)", pytrace=False)
    pytest.skip(reason)
