"""The import-linter contracts of pyproject.toml (layers, no cycles, standalone packages)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# Broken by integrity/ until the verifier work is merged (then these xfails turn into XPASS
# failures, which says to drop the marks).
PENDING = pytest.mark.xfail(
    strict=True, reason="integrity: verify <-> proof cycle, web3 imported at module level"
)
CONTRACTS = [
    "layers",
    "integrity-independent",
    "settings-standalone",
    pytest.param("no-cycles", marks=PENDING),
    pytest.param("integrity-light", marks=PENDING),
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
