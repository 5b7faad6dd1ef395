"""Refactors must not change published bytes: 3 fixed synthetic days against committed digests.

When a change is *meant* to alter the published files, regenerate the expectation with
``PERUCOMPRAS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden_bytes.py`` and say why in
the commit message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pytest
from dagster import materialize

from integrity.layout import DayLayout
from pipelines.definitions import ALL_ASSETS, UNANCHORED
from pipelines.resources import ChainResource, DatasetsResource, SourceResource

GOLDEN = Path(__file__).parent / "golden" / "manifests.json"
DAYS = [dt.date(2026, 10, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 1)]


def _publish_digests(tmp: Path) -> dict[str, dict[str, str]]:
    resources = {
        "source": SourceResource(
            kind="synthetic", directory=str(tmp / "source"), orders_per_month=900
        ),
        "datasets": DatasetsResource(root=str(tmp / "datasets")),
        "chain": ChainResource(state_dir=str(tmp / "devchain")),  # anchor not selected: unused
    }
    digests: dict[str, dict[str, str]] = {}
    for day in DAYS:
        result = materialize(
            ALL_ASSETS, selection=UNANCHORED, partition_key=day.isoformat(), resources=resources
        )
        assert result.success
        folder = DayLayout(tmp / "datasets", "perucompras-ocam", day).folder
        files = sorted(p for p in folder.iterdir() if p.is_file())
        assert files, f"nothing published for {day}"
        digests[day.isoformat()] = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files
        }
    return digests


@pytest.mark.slow
def test_published_bytes_match_committed_digests(tmp_path: Path) -> None:
    digests = _publish_digests(tmp_path)
    assert set(digests) == {d.isoformat() for d in DAYS}
    if os.environ.get("PERUCOMPRAS_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    for day, files in expected.items():
        assert digests[day] == files, f"published bytes of {day} changed"
