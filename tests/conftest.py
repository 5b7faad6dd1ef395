"""Shared fixtures: the real sample files from ../shared (and the ``shared`` marker), an
empty dev-chain folder for verificar, the bulk world."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.shared import SAMPLES, check_shared

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.shared(...)``: skip (or, with PERUCOMPRAS_REQUIRE_SHARED=1, fail) before
    any fixture runs when a part of ../shared the test needs is missing."""
    for marker in item.iter_markers(name="shared"):
        check_shared(*marker.args)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The real PERÚ COMPRAS sample files (skip when ../shared is not beside the repo, fail
    with PERUCOMPRAS_REQUIRE_SHARED=1)."""
    check_shared("samples")
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
