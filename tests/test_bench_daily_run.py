"""benchmarks/daily_run.py: the as-started variants subtract what the process spent importing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "daily_run.py"


def _script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("daily_run_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses resolve annotations there
    spec.loader.exec_module(module)
    return module


def test_outermost_imports_after_the_marker_are_summed(monkeypatch: pytest.MonkeyPatch) -> None:
    daily = _script(monkeypatch)
    text = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       900 |       9000 | site",
            daily._BEGAN,
            "import time:       100 |        100 |   codecs",
            "import time:       200 |       1300 | json",
            "unrelated line",
            "import time:        50 |         50 |     _json",
            "import time:       300 |       2000 | decimal",
        ]
    )
    assert daily.import_seconds(text) == pytest.approx(0.0033)
    assert daily.import_seconds(text.replace(daily._BEGAN, "")) == 0


def test_a_real_importtime_log(monkeypatch: pytest.MonkeyPatch) -> None:
    daily = _script(monkeypatch)
    code = (
        "import sys, json\n"
        f"print({daily._BEGAN!r}, file=sys.stderr, flush=True)\n"
        "import json, decimal, fractions\n"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    after = daily.import_seconds(done.stderr)
    assert after > 0
    # json was imported before the marker: only decimal and fractions (and what they pull in)
    names = done.stderr.split(daily._BEGAN, 1)[1]
    assert "| json\n" not in names and "| decimal" in names and "| fractions" in names


def test_as_started_variants_are_new_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    daily = _script(monkeypatch)
    assert daily.AS_STARTED <= daily.NEW_SNAPSHOT
    assert set(daily.VARIANTS) >= daily.AS_STARTED
    assert "cli-next-snapshot" in daily.NEXT_SNAPSHOT
