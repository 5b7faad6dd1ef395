"""The compiled releases of a day's extract are cut from the record package's canonical bytes
(not serialised again) only when that gives exactly their canonical bytes; otherwise each is
serialised, and the extract is the same either way."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from support.bulk_world import World

import publication.bulk.build as bulk_build
from integrity.canonical import canonical_bytes
from integrity.layout import DEFAULT_DATASET as D
from publication.bulk import extract, extract_arrow

# Values canonical JSON writes otherwise than orjson (integral floats, exponents, keys that
# sort otherwise in UTF-16) and texts that look like the members the cut looks for.
ODD_VALUES: list[Any] = [
    1.0,
    -0.0,
    1e-7,
    1e16,
    12.5,
    "plain",
    'a "releases": text',
    '{"compiledRelease": text',
    "ñandú \u00e9\U0001f600",
    {"\ue000": 1, "\U0001f600": 2},
    [],
    {},
    None,
    True,
]


def _record(rng: random.Random, number: int, odd: bool) -> dict[str, Any]:
    ocid = f"ocds-x-{number:04d}"
    compiled: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-compiled",
        "tag": ["compiled"],
        "contracts": [{"id": f"c{number}", "value": {"amount": rng.randint(1, 10**6) / 100}}],
    }
    if odd:
        compiled["extra"] = rng.choice(ODD_VALUES)
    return {
        "ocid": ocid,
        "releases": [{"url": f"https://x/2026/01/0{1 + number % 9}/r.json#{ocid}-{number}"}],
        "compiledRelease": compiled,
    }


def _package(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"uri": "https://x/records.json", "version": "1.1", "records": records}


@pytest.mark.parametrize("seed", range(20))
def test_cut_compiled_releases_are_their_canonical_bytes(seed: int) -> None:
    rng = random.Random(seed)
    records = [_record(rng, n, rng.random() < 0.3) for n in range(rng.randint(1, 30))]
    data = canonical_bytes(_package(records))
    cut = extract.compiled_slices(data, orjson.loads(data)["records"])
    expected = [canonical_bytes(r["compiledRelease"]) for r in records]
    if cut is not None:
        assert cut == expected
    if not any(b'"releases":' in c or b'{"compiledRelease":' in c for c in expected):
        assert cut == expected  # nothing to mistake for a record's member: always cut


def test_nothing_is_cut_when_a_member_could_be_mistaken() -> None:
    rng = random.Random(7)
    records = [_record(rng, n, False) for n in range(5)]
    records[2]["compiledRelease"]["note"] = 'x "releases": y'  # escaped quotes: no member
    data = canonical_bytes(_package(records))
    cut = extract.compiled_slices(data, orjson.loads(data)["records"])
    assert cut == [canonical_bytes(r["compiledRelease"]) for r in records]
    records[2]["compiledRelease"]["note"] = {"releases": []}
    data = canonical_bytes(_package(records))
    assert extract.compiled_slices(data, orjson.loads(data)["records"]) is None
    records[2]["compiledRelease"]["note"] = [{"compiledRelease": {}}]
    data = canonical_bytes(_package(records))
    assert extract.compiled_slices(data, orjson.loads(data)["records"]) is None


def test_nothing_is_cut_from_a_package_written_otherwise_than_canonically() -> None:
    rng = random.Random(8)
    records = [_record(rng, n, False) for n in range(5)]
    data = orjson.dumps(_package(records))  # record members in insertion order
    assert extract.compiled_slices(data, orjson.loads(data)["records"]) is None
    data = orjson.dumps(_package(records), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    assert extract.compiled_slices(data, orjson.loads(data)["records"]) is None
    records[0]["compiledRelease"]["extra"] = 1.0  # orjson writes 1.0, canonical JSON 1
    data = orjson.dumps(_package(records), option=orjson.OPT_SORT_KEYS)
    assert extract.compiled_slices(data, orjson.loads(data)["records"]) is None


def test_extracts_with_and_without_the_cut_are_the_same(
    bulk_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = bulk_build._day_inputs(bulk_world.root, D)
    # The reference path's cut (the Arrow path cuts the package its own way).
    monkeypatch.setattr(extract_arrow, "extract_tables", lambda day, data: None)
    calls: list[bool] = []
    real = extract.compiled_slices

    def counted(data: bytes, records: Any) -> list[bytes] | None:
        found = real(data, records)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(extract, "compiled_slices", counted)
    cut = extract.ensure_extracts(tmp_path / "cut", days, workers=1)
    assert any(calls)  # the published packages are cut
    monkeypatch.setattr(extract, "compiled_slices", lambda data, records: None)
    whole = extract.ensure_extracts(tmp_path / "whole", days, workers=1)
    for day, folder in cut.items():
        for path in folder.iterdir():
            if path.suffix == ".parquet":
                assert pq.read_table(path).equals(pq.read_table(whole[day] / path.name))
            assert (whole[day] / path.name).read_bytes() == path.read_bytes()
