"""The import-linter contracts of pyproject.toml (layers, no cycles, standalone packages)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONTRACTS = [
    "layers",
    "integrity-independent",
    "settings-standalone",
    "messages-standalone",
    "no-cycles",
    "integrity-light",
    "services-dagster-free",
]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_import_contract_is_kept(contract: str, pytestconfig: pytest.Config) -> None:
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--contract", contract],
        cwd=pytestconfig.rootpath,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 kept, 0 broken" in done.stdout
