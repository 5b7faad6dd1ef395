"""A framework agreement's first-stage release has the same id and date whatever day a run
starts from, given the same source files (issue 13)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

from integrity.layout import DEFAULT_DATASET, RELEASE_PACKAGE, DayLayout
from ocds_mappings.mapping import default_agreement_lookup, known_start
from perucompras.reader import read_monthly_file, read_source_dir
from perucompras.synthetic import generate_month
from publication import steps
from publication.state import StateStore, store_path
from settings import Identity

pytestmark = pytest.mark.shared("schema")
EARLY, LATE = dt.date(2025, 9, 3), dt.date(2025, 11, 12)
IDENTITY = Identity()


def _publish(files: list[Path], day: dt.date, root: Path) -> None:
    # No Great Expectations cross-check: the subject is the first-stage release (~1 s a table).
    checked = steps.check_quality(steps.extract(files, day, root=root, run_gx=False), day)
    mapped = steps.map_releases(checked, ocid_prefix=IDENTITY.ocid_prefix, root=root)
    published = steps.publish(
        mapped, root=root, dataset=DEFAULT_DATASET, day=day, identity=IDENTITY
    )
    assert published.gate_passed, published.failures


def _first_stages(root: Path, days: list[dt.date]) -> dict[str, dict[str, Any]]:
    """ocid -> first-stage release, over the days' release packages."""
    found = {}
    for day in days:
        package = orjson.loads(
            DayLayout(root, DEFAULT_DATASET, day).path(RELEASE_PACKAGE).read_bytes()
        )
        found |= {r["ocid"]: r for r in package["releases"] if "-AM-" in r["ocid"]}
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run A publishes EARLY then LATE; run B publishes only LATE; both see both months' files."""
    source = tmp_path_factory.mktemp("source")
    for day in (EARLY, LATE):
        generate_month(day.year, day.month, source, orders=400, include_synthetic_agreements=True)
    files = read_source_dir(source)
    root_a = tmp_path_factory.mktemp("run-a") / "datasets"
    root_b = tmp_path_factory.mktemp("run-b") / "datasets"
    _publish(files, EARLY, root_a)
    _publish(files, LATE, root_a)
    _publish(files, LATE, root_b)
    return {
        "files": files,
        "a": _first_stages(root_a, [EARLY, LATE]),
        "b": _first_stages(root_b, [LATE]),
        "root_a": root_a,
        "root_b": root_b,
    }


def test_same_first_stage_release_id_and_date_whatever_the_start(runs: dict[str, Any]) -> None:
    a, b = runs["a"], runs["b"]
    shared = sorted(set(a) & set(b))
    assert shared, "no agreement used on both runs' days"
    for ocid in shared:
        assert (a[ocid]["id"], a[ocid]["date"]) == (b[ocid]["id"], b[ocid]["date"]), ocid
        assert a[ocid] == b[ocid]


def test_dates_come_from_the_known_start_or_the_whole_history(runs: dict[str, Any]) -> None:
    from perucompras.agreements import resolve_agreements

    with StateStore(store_path(runs["root_b"])) as store:
        recorded = store.first_stages(runs["b"])
        learned = store.learned_agreements()
    # Name-only labels count under the code they resolve to, as the pipeline's own orders do.
    orders = [
        resolve_agreements(read_monthly_file(path).orders, learned).to_pylist()
        for path in runs["files"]
    ]
    first_call_off: dict[str, str] = {}
    for row in (row for month in orders for row in month):
        code, date = row["agreement_code"], row["formalized_at"]
        if code is not None:
            first_call_off[code] = min(first_call_off.get(code, date), date)
    assert first_call_off
    lookup = default_agreement_lookup()
    bases = set()
    for ocid, release in runs["b"].items():
        code = ocid.split("-AM-", 1)[1]
        agreement = lookup(code)
        assert agreement is not None
        start = known_start(agreement)
        expected = start if start is not None else first_call_off[code]
        assert release["date"] == expected, ocid
        assert recorded[ocid] == (expected, "agreement_start" if start else "first_call_off")
        bases.add(recorded[ocid][1])
    assert bases == {"agreement_start", "first_call_off"}
    # Run B starts in November, yet some first stages are dated before its first day.
    assert any(release["date"] < LATE.isoformat() for release in runs["b"].values())


def test_a_recorded_date_is_kept(runs: dict[str, Any]) -> None:
    """Once published, a first stage keeps its recorded date even if older files appear later."""
    root = runs["root_b"]
    with StateStore(store_path(root)) as store:
        recorded = store.first_stages(runs["b"])
        store.record_first_stages(
            LATE,
            [{**release, "date": "2000-01-01T00:00:00-05:00"} for release in runs["b"].values()],
            {ocid: "first_call_off" for ocid in runs["b"]},
        )
        assert store.first_stages(runs["b"]) == recorded
