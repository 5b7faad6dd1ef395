"""Import hygiene: integrity loads no heavy framework at import time, messages only the stdlib,
the `publicar` commands outside Dagster never load it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("dagster", "great_expectations", "pandas", "web3")
PROJECT = ("integrity", "pipelines", "publication", "quality", "ocds_mappings", "perucompras")


def loaded_after(code: str) -> list[str]:
    """Top-level names of the modules that running ``code`` loads in a fresh interpreter."""
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"{code}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    names: list[str] = json.loads(completed.stdout.splitlines()[-1])
    return names


def test_importing_the_verifier_pulls_in_no_framework() -> None:
    for code in ("import integrity", "import integrity.verify"):
        loaded = loaded_after(code)
        assert "integrity" in loaded
        assert [name for name in FORBIDDEN if name in loaded] == [], code


def test_no_integrity_module_imports_a_framework_at_module_level() -> None:
    code = (
        "import importlib, pkgutil, integrity\n"
        "names = [m.name for m in pkgutil.walk_packages(integrity.__path__, 'integrity.')]\n"
        "assert len(names) > 20, names\n"
        "for name in names: importlib.import_module(name)"
    )
    loaded = loaded_after(code)
    assert [name for name in FORBIDDEN if name in loaded] == []
    assert "eth_account" not in loaded  # the chain client imports it when it signs


def test_messages_imports_only_the_standard_library() -> None:
    loaded = loaded_after("import messages\nmessages.catalogue()")
    outside = [name for name in loaded if name not in sys.stdlib_module_names]
    assert outside == ["messages"]
    assert not set(PROJECT) & set(loaded)


def test_the_verifier_api_is_its_package_namespace() -> None:
    import integrity.verify as api

    assert len(api.__all__) == len(set(api.__all__)) > 20
    assert all(not name.startswith("_") and hasattr(api, name) for name in api.__all__)
    for name in ("verify_path", "verify_day_folder", "verify_day_files", "verify_range"):
        assert name in api.__all__
    callers = [
        path
        for folder in ("pipelines", "publication", "quality", "scripts", "benchmarks", "notebooks")
        for path in (REPO / folder).rglob("*")
        if path.suffix in {".py", ".ipynb"} and "integrity.verify._" in path.read_text("utf-8")
    ]
    assert callers == []  # private modules stay private outside integrity and its tests


def test_the_dev_mnemonic_is_the_same_on_both_sides_of_the_layers() -> None:
    # integrity and settings may not import each other, so each holds the public anvil/hardhat
    # test mnemonic it refuses keys from; they must never drift apart.
    from integrity.chain import DEV_MNEMONIC as chain_side
    from settings.model import DEV_MNEMONIC as settings_side

    assert chain_side == settings_side == " ".join(["test"] * 11 + ["junk"])


def test_the_publicar_commands_and_services_import_no_framework() -> None:
    # Each `publicar` process pays its imports before any work (an operator's daily run, and
    # the many processes the tests start): Dagster only for `run`/`bulk`, pandas only on use.
    code = (
        "import pipelines.cli, pipelines.services, publication.batch\n"
        "from pipelines.cli import COMMANDS\n"
        "assert len(COMMANDS) >= 9"
    )
    loaded = loaded_after(code)
    assert {"pipelines", "publication", "pyarrow"} <= set(loaded)
    assert [name for name in FORBIDDEN if name in loaded] == []


@pytest.mark.chain
def test_a_backfill_without_bulk_never_loads_dagster(tmp_path: Path) -> None:
    """The real command path, in a fresh interpreter: a synthetic `publicar backfill --no-bulk`
    with the GX cross-check off publishes and anchors its day without loading Dagster or GX.
    (pandas is not checked here: pyarrow itself imports it on its first table.)"""
    root = tmp_path / "datasets"
    argv = [
        "backfill",
        "--source",
        "synthetic",
        "--orders-per-month",
        "20",
        "--from",
        "2026-09-01",
        "--to",
        "2026-09-01",
        "--datasets",
        str(root),
        "--devchain",
        str(tmp_path / ".devchain"),
        "--no-bulk",
    ]
    script = (
        "import json, sys\n"
        "from pipelines.cli import main\n"
        f"code = main({argv!r})\n"
        "heavy = ('dagster', 'great_expectations')\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.split('.')[0] in heavy)]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERUCOMPRAS_")}
    env["PERUCOMPRAS_GX_CROSS_CHECK"] = "false"
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    code, offending = json.loads(completed.stdout.splitlines()[-1])
    assert code == 0, completed.stderr[-3000:]
    assert (root / "index.json").is_file()
    assert offending == []
