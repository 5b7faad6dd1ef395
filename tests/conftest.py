"""Shared fixtures: the real sample files from ../shared and an isolated Dagster home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
SAMPLES = SHARED / "data" / "perucompras"

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The real PERÚ COMPRAS sample files (skip when ../shared is not beside the repo)."""
    if not any(SAMPLES.glob("ReportePCBienes*.csv")):
        pytest.skip(f"real sample files not found in {SAMPLES}: clone the repo next to shared/")
    return SAMPLES
