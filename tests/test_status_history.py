"""Status history: a later snapshot's status change becomes a new release in the next day run,
the anchored day is never rewritten, and the compiled record follows the latest state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pytest
from dagster import materialize
from support.snapshots import pay_one_order

from integrity.layout import DayLayout
from perucompras.synthetic import generate_month
from pipelines.definitions import ALL_ASSETS
from pipelines.resources import ChainResource, DatasetsResource, SourceResource
from settings import EXAMPLE_OCID_PREFIX

D1, D2 = dt.date(2026, 8, 10), dt.date(2026, 8, 11)


def _resources(tmp: Path) -> dict[str, object]:
    return {
        "source": SourceResource(kind="directory", directory=str(tmp / "source")),
        # The Great Expectations cross-check off: the subject is the releases (GX ~1 s a table).
        "datasets": DatasetsResource(root=str(tmp / "datasets"), gx_cross_check=False),
        "chain": ChainResource(mode="devchain", state_dir=str(tmp / "devchain")),
    }


def _releases(tmp: Path, day: dt.date) -> list[dict]:
    layout = DayLayout(tmp / "datasets", "perucompras-ocam", day)
    return [orjson.loads(line) for line in layout.path("releases.jsonl").read_bytes().splitlines()]


@pytest.mark.chain
def test_later_status_becomes_a_new_release_in_the_next_day(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    monthly = generate_month(D1.year, D1.month, tmp_path / "source", orders=400)
    assert materialize(
        ALL_ASSETS, partition_key=D1.isoformat(), resources=_resources(tmp_path)
    ).success
    d1_folder = DayLayout(tmp_path / "datasets", "perucompras-ocam", D1).folder
    d1_bytes = {p.name: p.read_bytes() for p in d1_folder.iterdir()}

    order = pay_one_order(monthly, D1, D2)
    order_id = order.rsplit("-", 1)[0]

    rerun = materialize(ALL_ASSETS, partition_key=D1.isoformat(), resources=_resources(tmp_path))
    assert rerun.success
    assert {p.name: p.read_bytes() for p in d1_folder.iterdir()} == d1_bytes
    warn = [
        e for e in rerun.get_asset_check_evaluations() if e.check_name == "anchored_day_unchanged"
    ]
    assert warn and not warn[0].passed

    assert materialize(
        ALL_ASSETS, partition_key=D2.isoformat(), resources=_resources(tmp_path)
    ).success
    first = [r for r in _releases(tmp_path, D1) if r["ocid"].endswith(order_id)]
    update = [r for r in _releases(tmp_path, D2) if r["ocid"].endswith(order_id)]
    assert len(first) == 1 and len(update) == 1
    assert first[0]["contracts"][0]["status"] == "active"
    assert update[0]["contracts"][0]["status"] == "terminated"
    assert update[0]["tag"] == ["contractTermination"]
    assert update[0]["date"] > first[0]["date"] and update[0]["id"] != first[0]["id"]

    records = orjson.loads(
        DayLayout(tmp_path / "datasets", "perucompras-ocam", D2).path("records.json").read_bytes()
    )
    record = next(r for r in records["records"] if r["ocid"].endswith(order_id))
    assert [link["date"] for link in record["releases"]] == [first[0]["date"], update[0]["date"]]
    assert record["compiledRelease"]["contracts"][0]["status"] == "terminated"
    assert record["compiledRelease"]["contracts"][0]["value"] == update[0]["contracts"][0]["value"]

    # Re-running the later day reproduces it byte for byte (the store excludes its own day).
    d2_folder = DayLayout(tmp_path / "datasets", "perucompras-ocam", D2).folder
    before = {p.name: p.read_bytes() for p in d2_folder.iterdir()}
    assert materialize(
        ALL_ASSETS, partition_key=D2.isoformat(), resources=_resources(tmp_path)
    ).success
    assert {p.name: p.read_bytes() for p in d2_folder.iterdir()} == before


def test_single_release_compiles_like_ocdsmerge(tmp_path: Path) -> None:
    import pickle

    from ocdsmerge import Merger

    from integrity.canonical import canonical_bytes
    from ocds_mappings.packaging import compiled_release
    from ocds_mappings.schema import load_release_schema
    from publication import steps

    monthly = generate_month(2026, 7, tmp_path, orders=300)
    day = dt.date(2026, 7, 15)
    checked = steps.check_quality(steps.extract([monthly], day, root=tmp_path / "ds"), day)
    mapped = steps.map_releases(checked, ocid_prefix=EXAMPLE_OCID_PREFIX, root=tmp_path / "ds")
    # A batch publishes the objects the lines were made from; a pickle carries only the lines.
    assert mapped.release_lines and "releases" in mapped.__dict__
    assert [canonical_bytes(release) for release in mapped.releases] == list(mapped.release_lines)
    again = pickle.loads(pickle.dumps(mapped))
    assert "releases" not in again.__dict__
    assert again.releases == [orjson.loads(line) for line in mapped.release_lines]
    merger = Merger(schema=load_release_schema())
    assert mapped.releases
    for release in mapped.releases:
        assert canonical_bytes(compiled_release([release], merger)) == canonical_bytes(
            merger.create_compiled_release([release])
        )
