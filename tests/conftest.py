"""Shared fixtures: the real sample files from ../shared (and the ``shared`` marker), an
empty dev-chain folder for verificar, the bulk world."""

from __future__ import annotations

import os
from collections.abc import Iterable
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


# Session fixtures that build something expensive: the tests that use one run on one worker.
SHARED_SESSION_FIXTURES = {"bulk_world"}


def _shared_worlds(item: pytest.Item) -> set[str]:
    """The expensive shared fixtures ``item`` uses: its module's module-scoped fixtures (one
    key per module) and the session fixtures of ``SHARED_SESSION_FIXTURES``."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    worlds = set()
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if not definitions:
            continue
        scope = definitions[-1].scope
        if scope in ("module", "class", "package"):
            worlds.add(item.nodeid.split("::", 1)[0])
        elif scope == "session" and name in SHARED_SESSION_FIXTURES:
            worlds.add(name)
    return worlds


def _group_names(worlds: Iterable[set[str]]) -> dict[str, str]:
    """Join the key sets that overlap (a test using two worlds joins their groups): each key
    -> its group's name, the group's smallest key."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for keys in worlds:
        first, *rest = sorted(keys)
        root(first)
        for key in rest:
            low, high = sorted((root(first), root(key)))
            parent[high] = low
    return {key: root(key) for key in parent}


def _suffix_group(item: pytest.Item, group: str) -> None:
    """What xdist's loadgroup reads: the node id ``nodeid@group``. pytest-xdist 3.8 sets it
    through ``item._nodeid``, which pytest 9.2 no longer reads (the id is ``item._id``), so its
    groups would be silently ignored."""
    if "@" not in item.nodeid:
        item._id = type(item._id).parse(f"{item.nodeid}@{group}")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that share an expensive module or session fixture get one ``xdist_group`` mark, so
    that under ``--dist loadgroup`` (pyproject addopts) one xdist worker runs them all and builds
    the fixture once; on xdist workers the ``slow`` tests (and their groups) are handed out
    first, so the longest ones do not start last. tryfirst: xdist's hook reads the marks."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    worlds = {item.nodeid: _shared_worlds(item) for item in items}
    group_of = _group_names(keys for keys in worlds.values() if keys)
    for item in items:
        keys = worlds[item.nodeid]
        if keys:
            group = group_of[min(keys)]
            item.add_marker(pytest.mark.xdist_group(group))
            if getattr(config.option, "loadgroup", False):
                _suffix_group(item, group)


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
