"""Held-back rows are retried when their cause may be fixed, and only then."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from dagster import materialize

from integrity.layout import DayLayout
from integrity.manifest import load_manifest
from perucompras.reader import COLUMNS
from perucompras.synthetic import generate_month
from pipelines.definitions import ALL_ASSETS
from pipelines.resources import ChainResource, DatasetsResource, SourceResource

D1 = dt.date(2026, 5, 11)
COL = {name: i for i, name in enumerate(COLUMNS)}


def _run(tmp: Path, day: dt.date) -> None:
    resources = {
        "source": SourceResource(kind="directory", directory=str(tmp / "source")),
        # The rows are held by the row rules; the Great Expectations cross-check is not the
        # subject (it costs ~1 s a table and day).
        "datasets": DatasetsResource(root=str(tmp / "datasets"), gx_cross_check=False),
        "chain": ChainResource(mode="devchain", state_dir=str(tmp / "devchain")),
    }
    assert materialize(ALL_ASSETS, partition_key=day.isoformat(), resources=resources).success


def _edit(path: Path, edit: dict[int, dict[str, str]], process_time: str | None = None) -> None:
    lines = path.read_bytes().decode("latin-1").split("\n")
    for number, changes in edit.items():
        fields = lines[number - 1].split(";")
        for column, value in changes.items():
            fields[COL[column]] = value
        lines[number - 1] = ";".join(fields)
    text = "\n".join(lines)
    if process_time:
        old = lines[1].split(";")[COL["FECHA_PROCESO"]]
        text = text.replace(old, process_time)
    path.write_bytes(text.encode("latin-1"))


def _day_files(tmp: Path, day: dt.date) -> DayLayout:
    return DayLayout(tmp / "datasets", "perucompras-ocam", day)


def _quarantined_orders(tmp: Path, day: dt.date) -> set[str]:
    table = pq.read_table(_day_files(tmp, day).path("quarantine.parquet"))
    return {
        row["raw_row"].split(";")[COL["ORDEN_ELECTRÓNICA"]].strip() for row in table.to_pylist()
    }


def _published_orders(tmp: Path, day: dt.date) -> set[str]:
    lines = _day_files(tmp, day).path("releases.jsonl").read_bytes().splitlines()
    return {
        release["contracts"][0]["id"]
        for release in map(orjson.loads, lines)
        if release.get("contracts")
    }


@pytest.mark.chain
def test_held_rows_are_retried_after_a_fix_and_not_every_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "source").mkdir()
    monthly = generate_month(D1.year, D1.month, tmp_path / "source", orders=400)
    lines = monthly.read_bytes().decode("latin-1").split("\n")
    target = next(
        n
        for n, line in enumerate(lines[1:], start=2)
        if line.split(";")[COL["FECHA_FORMALIZACIÓN"]].startswith(D1.isoformat())
    )
    fields = lines[target - 1].split(";")
    # A row defect a quality rule catches (an unknown agreement is novelty, published with its
    # name): the supplier's RUC with a wrong check digit; the row keeps its day.
    order, good_ruc = fields[COL["ORDEN_ELECTRÓNICA"]], fields[COL["RUC_PROVEEDOR"]]
    bad_ruc = good_ruc[:-1] + str((int(good_ruc[-1]) + 1) % 10)
    _edit(monthly, {target: {"RUC_PROVEEDOR": bad_ruc}})

    _run(tmp_path, D1)
    assert order in _quarantined_orders(tmp_path, D1)
    assert order not in _published_orders(tmp_path, D1)

    # Nothing changed: the held row is not retried (no daily re-quarantine).
    _run(tmp_path, D1 + dt.timedelta(days=1))
    assert order not in _quarantined_orders(tmp_path, D1 + dt.timedelta(days=1))

    # The rules changed (e.g. a new agreement table): retried once, still failing, held again.
    monkeypatch.setattr("publication.extract.rules_fingerprint", lambda: "new-rules")
    monkeypatch.setattr("publication.steps.publishing.rules_fingerprint", lambda: "new-rules")
    _run(tmp_path, D1 + dt.timedelta(days=2))
    assert order in _quarantined_orders(tmp_path, D1 + dt.timedelta(days=2))
    sources = load_manifest(_day_files(tmp_path, D1 + dt.timedelta(days=2)).manifest).data[
        "sources"
    ]
    assert any(s["name"] == "retried-quarantine" for s in sources)
    _run(tmp_path, D1 + dt.timedelta(days=3))
    assert order not in _quarantined_orders(tmp_path, D1 + dt.timedelta(days=3))

    # A corrected snapshot arrives: the order is published in the next day run.
    d1_manifest = _day_files(tmp_path, D1).manifest.read_bytes()
    _edit(monthly, {target: {"RUC_PROVEEDOR": good_ruc}}, "2026-06-20 04:00:00")
    _run(tmp_path, D1 + dt.timedelta(days=4))
    assert order in _published_orders(tmp_path, D1 + dt.timedelta(days=4))
    assert _day_files(tmp_path, D1).manifest.read_bytes() == d1_manifest
