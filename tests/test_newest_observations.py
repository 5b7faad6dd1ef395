"""The status store's ``newest_by_*`` tables, kept up to date at ingest, always hold what a
ranking of every observation gives, whatever order the snapshots arrive in."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from support.snapshots import pay_one_order

from perucompras.reader import ReadResult, read_monthly_file
from perucompras.synthetic import generate_month
from publication import state
from publication.state import StateStore

DAY = dt.date(2026, 11, 3)


def _window(con: duckdb.DuckDBPyConnection, key: str) -> list[tuple[object, ...]]:
    """The newest observation per ``key`` ranked over every observation (the reference)."""
    return con.execute(
        f"SELECT * FROM observations QUALIFY row_number() OVER "
        f"(PARTITION BY {key} ORDER BY {state._NEWEST_FIRST}) = 1 ORDER BY ALL"
    ).fetchall()


def _kept(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    return con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[str]]:
    """A month, a later extraction where an order was paid, and a still later one where a
    second order was paid (each a new snapshot of the same file name); the paid orders."""
    base = tmp_path_factory.mktemp("snapshots")
    first = generate_month(2026, 11, base / "a", orders=200)
    files, paid = [first], []
    for step, paid_at in enumerate((dt.date(2026, 11, 10), dt.date(2026, 11, 20)), start=1):
        folder = base / "abc"[step]
        folder.mkdir()
        later = folder / first.name
        shutil.copy(files[-1], later)
        paid.append(pay_one_order(later, DAY + dt.timedelta(days=step - 1), paid_at))
        files.append(later)
    return files, paid


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_newest_tables_equal_a_ranking_of_every_observation(
    snapshots: tuple[list[Path], list[str]], tmp_path: Path, order: tuple[int, ...]
) -> None:
    files, paid = snapshots
    results = [read_monthly_file(files[index]) for index in order]
    with StateStore(tmp_path / "store.duckdb") as store:
        for result in results:
            assert store.ingest(result)
            for table, key in state._NEWEST.items():
                assert _kept(store.con, table) == _window(store.con, key), table
        counts = store._run("SELECT count(*), count(DISTINCT snapshot_sha256) FROM observations")
        assert counts == [(600, 3)]
        newest = store._run("SELECT order_number, status FROM newest_by_number")
        # every order once, from the latest extraction whatever the arrival order: both paid
        assert len(newest) == 200 and len({number for number, _ in newest}) == 200
        assert [status for number, status in newest if number in paid] == ["PAGADA"] * 2


def test_a_store_without_the_tables_gets_them_on_open(
    snapshots: tuple[list[Path], list[str]], tmp_path: Path
) -> None:
    path = tmp_path / "store.duckdb"
    with StateStore(path) as store:
        for snapshot in snapshots[0]:
            store.ingest(read_monthly_file(snapshot))
        expected = {table: _kept(store.con, table) for table in state._NEWEST}
        for table in state._NEWEST:
            store._run(f"DROP TABLE {table}")
    with StateStore(path) as store:
        assert {table: _kept(store.con, table) for table in state._NEWEST} == expected
        assert all(expected.values())


def _every_table(store: StateStore) -> dict[str, list[tuple[object, ...]]]:
    names = store._run(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
    )
    return {name: _kept(store.con, name) for (name,) in names}


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1)])
@pytest.mark.parametrize("empty", [False, True])
def test_many_snapshots_at_once_leave_the_store_one_ingest_after_the_other_leaves(
    snapshots: tuple[list[Path], list[str]], tmp_path: Path, order: tuple[int, ...], empty: bool
) -> None:
    """``ingest_many`` (a backfill's first day finds every month's file, read one at a time):
    every table equal to ingesting the same snapshots one by one, into an empty store or not,
    a snapshot already known or given twice skipped."""
    files, _ = snapshots
    results = [read_monthly_file(files[index]) for index in order]
    with StateStore(tmp_path / "one.duckdb") as one:
        for result in results:
            one.ingest(result)
        expected = _every_table(one)
    with StateStore(tmp_path / "many.duckdb") as many:
        if empty:
            assert many.ingest_many(iter([*results, results[1]])) == 3
        else:
            assert many.ingest(results[0])
            assert many.ingest_many(iter([*results, results[1]])) == 2
        assert many.ingest_many(results) == 0
        assert _every_table(many) == expected
    assert expected["observations"] and expected["newest_by_number"]


def test_many_snapshots_land_together_or_not_at_all(
    snapshots: tuple[list[Path], list[str]], tmp_path: Path
) -> None:
    """A run killed while reading the next snapshot of a batch leaves the store as it was."""
    files, _ = snapshots
    results = [read_monthly_file(path) for path in files]

    def killed_at_the_third() -> Iterator[ReadResult]:
        yield from results[:2]
        raise KeyboardInterrupt

    with StateStore(tmp_path / "store.duckdb") as store:
        assert store.ingest(results[0])
        before = _every_table(store)
        with pytest.raises(KeyboardInterrupt):
            store.ingest_many(killed_at_the_third())
        assert _every_table(store) == before
        assert store.ingest_many(results) == 2
