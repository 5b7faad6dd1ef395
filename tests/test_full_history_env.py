"""benchmarks/full_history.py runs the backfill with Python's bytecode cache allowed, as make does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "full_history.py"


def _script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("full_history_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses resolve annotations there
    spec.loader.exec_module(module)
    return module


def test_child_env_lets_python_cache_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("PERUCOMPRAS_EXAMPLE_KEPT", "yes")
    env = _script(monkeypatch).child_env(quotations=True)
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PERUCOMPRAS_EXAMPLE_KEPT"] == "yes"
    assert env["PERUCOMPRAS_SOURCE__QUOTATIONS"] == "true"
    assert env["DAGSTER_DISABLE_TELEMETRY"] == "1"
