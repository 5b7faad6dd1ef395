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


@pytest.fixture(autouse=True)
def no_checkout_devchain_pin(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """verificar trusts the checkout's ``.devchain`` pin by default; after ``make run`` that
    pin is real, so every test gets an empty dev-chain folder unless it passes --devchain."""
    import integrity.cli_verificar

    empty = tmp_path_factory.getbasetemp() / "no-devchain"
    empty.mkdir(exist_ok=True)
    monkeypatch.setattr(integrity.cli_verificar, "DEFAULT_DEVCHAIN_DIR", empty)


@pytest.fixture(scope="session")
def bulk_world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Five published days with late status changes and the bulk builds made along them
    (``tests/support/bulk_world.py``), shared by the bulk, resources and notebook tests."""
    from support.bulk_world import make_world

    return make_world(tmp_path_factory.mktemp("bulk-world"))
