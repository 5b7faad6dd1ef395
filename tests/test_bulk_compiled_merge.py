"""The month's compiled releases come from a merge of the days' extracts: the same rows in the
same order as a sort of them all (the query it replaced), without holding them all at once."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from publication.bulk.extract import (
    COMPILED,
    COMPILED_ROW_GROUP,
    COMPILED_SCHEMA,
    DAY_COLUMN,
    OCID_SCHEMA,
    OCIDS,
)
from publication.bulk.tables import BulkQueries, connect

REFERENCE = f"""SELECT t.json FROM read_parquet($f) t JOIN ocid_map m
  ON t.ocid = m.ocid AND t.{DAY_COLUMN} = m.latest_day
WHERE m.month = $m ORDER BY t.ocid"""


def _day(folder: Path, day: dt.date, ocids: list[tuple[str, str]]) -> Path:
    """A day's extract holding ``(ocid, month)`` rows, written in ocid order as the builder does."""
    out = folder / day.isoformat()
    out.mkdir()
    rows = sorted(ocids)
    n = len(rows)
    pq.write_table(
        pa.table(
            {
                "ocid": [o for o, _ in rows],
                DAY_COLUMN: [day] * n,
                "month": [m for _, m in rows],
                "framework": [False] * n,
                "states": [1] * n,
                "release_id": [f"{o}-{day}" for o, _ in rows],
                "package_date": [day] * n,
                "first_package_date": [day] * n,
                "contract_status": ["active"] * n,
            },
            schema=OCID_SCHEMA,
        ),
        out / f"{OCIDS}.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "ocid": [o for o, _ in rows],
                DAY_COLUMN: [day] * n,
                "json": [
                    f'{{"ocid":"{o}","day":"{day}","ñ":"{"x" * (i % 7)}"}}'.encode()
                    for i, (o, _) in enumerate(rows)
                ],
            },
            schema=COMPILED_SCHEMA,
        ),
        out / f"{COMPILED}.parquet",
        compression="zstd",
        row_group_size=COMPILED_ROW_GROUP,
    )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_merge_gives_what_the_sort_gave(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(40)]
    extracts = {}
    for day in days:
        # Orders formalised this day, and later states of earlier orders (month of first day).
        own = [(f"ocds-x-{day:%m%d}-{k:03d}", f"{day:%Y-%m}") for k in range(rng.randint(0, 40))]
        earlier = [
            (f"ocds-x-{d:%m%d}-{k:03d}", f"{d:%Y-%m}")
            for d in rng.sample(
                [d for d in days if d < day], min(3, len([d for d in days if d < day]))
            )
            for k in range(rng.randint(0, 5))
        ]
        extracts[day] = _day(tmp_path, day, list(dict.fromkeys(own + earlier)))
    con = connect(tmp_path / "tmp", "256MB")
    queries = BulkQueries(con, extracts)
    for month in queries.months():
        inputs = queries.inputs(month)
        merged = [
            v for batch in queries.compiled(month, inputs) for v in batch.column(0).to_pylist()
        ]
        files = [str(extracts[d] / f"{COMPILED}.parquet") for d in inputs]
        sorted_ = [row[0] for row in con.execute(REFERENCE, {"f": files, "m": month}).fetchall()]
        assert merged == sorted_
        assert len(merged) > 0


def test_an_extract_out_of_ocid_order_is_refused(tmp_path: Path) -> None:
    day = dt.date(2026, 1, 5)
    folder = _day(tmp_path, day, [("ocds-x-b", "2026-01"), ("ocds-x-a", "2026-01")])
    table = pq.read_table(folder / f"{COMPILED}.parquet")
    pq.write_table(table.take([1, 0]), folder / f"{COMPILED}.parquet")
    queries = BulkQueries(connect(tmp_path / "tmp", "256MB"), {day: folder})
    with pytest.raises(ValueError, match="not in ocid order"):
        list(queries.compiled("2026-01", [day]))


def test_released_membership_tables_come_back_with_the_same_rows(tmp_path: Path) -> None:
    days = [dt.date(2026, 1, 30) + dt.timedelta(days=n) for n in range(4)]
    extracts = {
        day: _day(
            tmp_path,
            day,
            [(f"ocds-x-{day:%m%d}-{k}", f"{day:%Y-%m}") for k in range(5)]
            + [("ocds-x-0130-0", "2026-01")],
        )
        for day in days
    }
    con = connect(tmp_path / "tmp", "256MB")
    queries = BulkQueries(con, extracts)

    def everything() -> list[tuple[str, list[str]]]:
        return [
            (
                month,
                [
                    v
                    for batch in queries.compiled(month, queries.inputs(month))
                    for v in batch.column(0).to_pylist()
                ],
            )
            for month in queries.months()
        ]

    before = everything()
    queries.release()
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not tables & {"ocids", "ocid_map", "ocid_latest"}
    assert everything() == before
    assert [m for m, _ in before] == ["2026-01", "2026-02"] and all(rows for _, rows in before)
