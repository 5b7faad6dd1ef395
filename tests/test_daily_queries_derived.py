"""The status store answers ``late_states`` and ``retry_candidates`` for a day after every package
from small derived tables. Whatever the writes (snapshots in any order, packages forward or
re-published, releases moving between packages, held rows, a reopened or old store), the answers
are byte for byte those of the store as it was (the reference queries over the whole history,
plain writes), and each derived table is what its defining query gives."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perucompras.reader import ORDER_SCHEMA, ReadResult, SourceFileInfo
from publication import state
from publication.state import StateStore

FIRST = dt.date(2026, 3, 1)
DAYS = 6
FILES = ("ReportePCBienes202603.csv", "ReportePCBienes202604.csv")
PROCESS_TIMES = ("2026-03-10T04:00:00-05:00", "2026-03-20T04:00:00-05:00", "2026-04-01T04:00:00")
STATUS_TIMES = tuple(
    f"2026-03-0{day}T{hour}:00:00-05:00" for day in (1, 3, 6, 9) for hour in (9, 15)
)
STATUSES = ("ACEPTADA", "PAGADA", "ENTREGADA")
FINGERPRINTS = ("rules-a", "rules-b")


class ReferenceStore(StateStore):
    """The store as it was: no derived tables, plain writes, the reference queries."""

    def _build_derived(self, present: set[str]) -> None:
        pass

    def _derived_counts(self) -> None:
        pass

    def _derived_on(self) -> bool:
        return False


def _order_id(order: int) -> str:
    return f"OCAM-2026-7-{order}"


def _snapshot(
    file: int, process_time: int, rows: list[tuple[int, int, int, int, int]], odd: bool
) -> ReadResult:
    """A parsed snapshot: rows of (order, delivery, formalisation day, status time, status);
    ``odd`` writes the first row's formalisation date the way the reader never does."""
    columns: dict[str, list[Any]] = {name: [None] * len(rows) for name in ORDER_SCHEMA.names}
    for index, (order, delivery, day, status_time, status) in enumerate(rows):
        formalized = f"{FIRST + dt.timedelta(days=day)}T08:00:00-05:00"
        values = {
            "source_file": FILES[file],
            "source_line": index + 2,
            "process_time": PROCESS_TIMES[process_time],
            "order_number": f"{_order_id(order)}-{delivery}",
            "order_id": _order_id(order),
            "delivery_number": delivery,
            "formalized_at": formalized.replace("-", "/", 2) if odd and index == 0 else formalized,
            "last_status_at": STATUS_TIMES[status_time],
            "status": STATUSES[status],
            "total_cents": 100 * order + delivery,
            # code-prefixed labels, named after the file: each snapshot teaches its own names
            "agreement_code": f"EXT-CE-2026-{status}",
            "agreement_name": f"Acuerdo {status} ({FILES[file]})",
        }
        for name, value in values.items():
            columns[name][index] = value
    digest = hashlib.sha256(repr((file, process_time, rows, odd)).encode()).hexdigest()
    info = SourceFileInfo(
        name=FILES[file],
        sha256=digest,
        size=0,
        encoding="utf-8",
        date_format="iso",
        separator=";",
        field_prefix="",
        row_count=len(rows),
        process_time=PROCESS_TIMES[process_time],
    )
    return ReadResult(pa.table(columns, schema=ORDER_SCHEMA), pa.table({}), info)


def _release(kind: int, order: int, date: int, release_id: str) -> dict[str, Any]:
    """A call-off (0), a framework release (1, no award), a planning release (2), no ocid (3)."""
    when = STATUS_TIMES[date] if date < len(STATUS_TIMES) else None
    if kind == 1:
        return {"id": release_id, "ocid": f"ocds-t-AM-{order}", "date": when, "tag": ["tender"]}
    release = {
        "id": release_id,
        "ocid": f"ocds-t-{_order_id(order)}" if kind != 3 else "",
        "date": when,
        "tag": ["planning"] if kind == 2 else ["contract"],
        "awards": [{"id": _order_id(order)}],
    }
    return release


rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.integers(0, 1),
        st.integers(0, DAYS - 1),
        st.integers(0, len(STATUS_TIMES) - 1),
        st.integers(0, 2),
    ),
    max_size=8,
)
ingest = st.tuples(
    st.just("ingest"),
    st.integers(0, 1),
    st.integers(0, 2),
    rows_strategy,
    st.integers(0, 19).map(lambda draw: draw == 0),  # now and then a row the reader never gives
)
# None: the day after the last package; negative: a day already packaged, the latest first
day_choice = st.none() | st.integers(0, DAYS + 1) | st.integers(-3, -1)
publish = st.tuples(
    st.just("publish"),
    day_choice,
    st.lists(
        st.tuples(
            st.sampled_from((0, 0, 0, 0, 1, 2, 3)),
            st.integers(0, 6),
            st.integers(0, len(STATUS_TIMES)),
            st.integers(0, 29).map(lambda n: n if n < 3 else None),  # None: a fresh id
        ),
        max_size=6,
    ),
)
hold = st.tuples(
    st.just("hold"),
    day_choice,
    st.lists(st.integers(0, 200), max_size=3),
    st.sampled_from(FINGERPRINTS),
)
# a published day's three writes at once (``record_day``): the releases, then what it held
day_write = st.tuples(
    st.just("day"), day_choice, publish.map(lambda op: op[2]), hold.map(lambda op: op[2:])
)
# several snapshots at once (a backfill's first day): one transaction, one fold at the end
ingest_many = st.tuples(st.just("ingest_many"), st.lists(ingest, min_size=1, max_size=4))
operation = st.one_of(
    ingest,
    ingest,
    ingest_many,
    publish,
    publish,
    day_write,
    hold,
    st.sampled_from([("reopen",), ("forget",)]),
)


class World:
    """The store under test and the reference store, fed the same writes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fresh = 0
        self.open()

    def open(self) -> None:
        # shared: a long run's store, which narrows ocid lookups in memory (``_OcidDays``)
        self.store = StateStore(self.folder / "fast.duckdb", shared=True)
        self.reference = ReferenceStore(self.folder / "reference.duckdb")

    def close(self) -> None:
        self.store.close()
        self.reference.close()

    def both(self) -> Iterator[StateStore]:
        yield self.store
        yield self.reference

    def day(self, choice: int | None) -> dt.date:
        if choice is not None and choice >= 0:
            return FIRST + dt.timedelta(days=choice)
        packaged = self.reference._run("SELECT DISTINCT package_day FROM published ORDER BY 1 DESC")
        if not packaged:
            return FIRST
        if choice is None:
            return packaged[0][0] + dt.timedelta(days=1)
        return packaged[(-choice - 1) % len(packaged)][0]

    def releases(self, spec: list[tuple[int, int, int, int | None]]) -> list[dict[str, Any]]:
        releases = []
        for release_kind, order, date, taken in spec:
            self.fresh += 1
            release_id = f"R{taken}" if taken is not None else f"F{self.fresh}"
            releases.append(_release(release_kind, order, date, release_id))
        return releases

    def quarantine(self, picks: list[int]) -> pa.Table:
        lines = self.reference._run(
            "SELECT DISTINCT source_file, source_line FROM observations ORDER BY ALL"
        )
        picked = [lines[index % len(lines)] for index in picks] if lines else []
        return pa.table(
            {
                "source_file": pa.array([file for file, _ in picked], pa.string()),
                "source_line": pa.array([line for _, line in picked], pa.int64()),
                "rule": pa.array(["a.rule"] * len(picked), pa.string()),
            }
        )

    def apply(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        if kind == "ingest":
            result = _snapshot(op[1], op[2], op[3] or [(0, 0, 2, 0, 0)] * op[4], odd=op[4])
            assert {store.ingest(result) for store in self.both()} in ({True}, {False})
        elif kind == "ingest_many":
            results = [
                _snapshot(one[1], one[2], one[3] or [(0, 0, 2, 0, 0)] * one[4], odd=one[4])
                for one in op[1]
            ]
            new = sum(self.reference.ingest(result) for result in results)
            assert self.store.ingest_many(iter(results)) == new
        elif kind == "publish":
            releases = self.releases(op[2])
            for store in self.both():
                store.record_published(self.day(op[1]), releases)
        elif kind == "hold":
            for store in self.both():
                store.record_held(self.day(op[1]), self.quarantine(op[2]), op[3])
        elif kind == "day":
            day, releases = self.day(op[1]), self.releases(op[2])
            quarantine, fingerprint = self.quarantine(op[3][0]), op[3][1]
            self.store.record_day(day, releases, {}, quarantine, fingerprint)
            self.reference.record_published(day, releases)
            self.reference.record_held(day, quarantine, fingerprint)
        elif kind == "forget":  # a store written before the derived tables existed
            self.store._run("DROP TABLE derived_meta")
            self.close()
            self.open()
        else:
            self.close()
            self.open()

    def check(self) -> None:
        """Base and newest tables equal, derived tables equal to their spec, fast answers equal
        to the reference."""
        for table in ("published", "held", "observations", "snapshots", *state._NEWEST):
            sql = f"SELECT * FROM {table} ORDER BY ALL"
            assert self.store._run(sql) == self.reference._run(sql), table
        if self.store._derived_on():
            for table, spec in state._DERIVED.items():
                expected = spec.format(
                    published="published",
                    newest_by_order="newest_by_order",
                    newest_by_number="newest_by_number",
                )
                assert self.store._run(f"SELECT * FROM {table} ORDER BY ALL") == self.store._run(
                    f"SELECT * FROM ({expected}) ORDER BY ALL"
                ), table
        self._check_ocid_packages()
        self._check_republished_days()
        # a shared store remembers them between transactions: an ingest must show
        assert self.store.learned_agreements() == self.reference.learned_agreements()
        # after the last package the answers change only with the day's own formalisations and
        # holds: the next day and one past every row cover them
        (last,) = self.reference._run("SELECT max(package_day) FROM published")[0]
        for day in [last + dt.timedelta(days=1) if last else FIRST, FIRST + dt.timedelta(DAYS + 2)]:
            if not self.store._fast_day(day):
                continue
            late = self.store.late_states(day)
            assert late.equals(self.reference.late_states(day)), day
            self._check_published_before(day)
            for fingerprint in FINGERPRINTS:
                retried = self.store.retry_candidates(day, fingerprint)
                assert retried.equals(self.reference.retry_candidates(day, fingerprint)), day

    def _check_ocid_packages(self) -> None:
        """On every packaged day and the next, for some ocids: the answers are the reference's,
        from a cursor on the shared store too."""
        ocids = [
            *(f"ocds-t-{_order_id(order)}" for order in range(7)),
            *(f"ocds-t-AM-{order}" for order in range(3)),
        ]
        packaged = [
            row[0] for row in self.reference._run("SELECT DISTINCT package_day FROM published")
        ]
        cursor = StateStore(self.folder / "fast.duckdb")
        for day in {*packaged, max(packaged, default=FIRST) + dt.timedelta(days=1)}:
            for store, chosen in ((self.store, ocids), (self.store, ocids[1::3]), (cursor, ocids)):
                expected = self.reference.earlier_packages(chosen, day)
                assert store.earlier_packages(chosen, day) == expected, day
                assert store.other_packages(chosen, day) == self.reference.other_packages(
                    chosen, day
                ), day
        cursor.close()

    def _check_republished_days(self) -> None:
        """On every day of the history (below later packages, re-published: the long run's
        order spans answer), from the shared store and a cursor on it: the reference's answers."""
        cursor = StateStore(self.folder / "fast.duckdb")
        for offset in range(DAYS + 2):
            day = FIRST + dt.timedelta(days=offset)
            for store in (self.store, cursor):
                assert store.late_states(day).equals(self.reference.late_states(day)), day
                for fingerprint in FINGERPRINTS:
                    assert store.retry_candidates(day, fingerprint).equals(
                        self.reference.retry_candidates(day, fingerprint)
                    ), day
            self._check_published_before(day)
        cursor.close()

    def _check_published_before(self, day: dt.date) -> None:
        """With formalisation times as a hint (those of any snapshot, so some orders are found
        by the newest one's day and some are not), the answer is the reference's."""
        rows = [
            *self.reference._run("SELECT order_id, formalized_at FROM observations ORDER BY ALL"),
            (_order_id(99), f"{FIRST}T08:00:00-05:00"),  # never observed
        ]
        for chosen in (rows, rows[::2], rows[1::3]):
            ids = pa.array([order_id for order_id, _ in chosen], pa.string())
            hint = pa.array([formalized for _, formalized in chosen], pa.string())
            expected = self.reference.published_before(day, ids)
            assert self.store.published_before(day, ids, hint) == expected, day
            assert self.store.published_before(day, ids) == expected, day


@contextmanager
def _world() -> Iterator[World]:
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder))
        try:
            yield world
        finally:
            world.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=12))
def test_fast_answers_equal_the_reference_whatever_the_writes(ops: list[tuple[Any, ...]]) -> None:
    with _world() as world:
        for op in ops:
            world.apply(op)
            world.check()


def _forward_history(world: World) -> None:
    """Two days published, one order of the first held back; then a later snapshot pays a
    published order and fixes the held one."""
    first = [(0, 0, 0, 0, 0), (1, 0, 0, 0, 0), (2, 0, 0, 1, 0), (3, 0, 1, 2, 0)]
    world.apply(("ingest", 0, 0, first, False))
    world.apply(("publish", None, [(0, 0, 0, None), (0, 1, 0, None)]))
    world.apply(("hold", 0, [2], "rules-a"))  # line 4: order 2
    world.apply(("publish", None, [(0, 3, 2, None)]))
    later = [(0, 0, 0, 6, 1), (1, 0, 0, 0, 0), (2, 0, 0, 3, 0), (3, 0, 1, 2, 0)]
    world.apply(("ingest", 0, 1, later, False))


def _answers(store: StateStore, day: dt.date) -> tuple[list[str], list[str], list[str]]:
    """Order ids of the late states, order numbers retried under each fingerprint."""
    return (
        store.late_states(day)["order_id"].to_pylist(),
        *(
            store.retry_candidates(day, fingerprint)["order_number"].to_pylist()
            for fingerprint in FINGERPRINTS
        ),
    )


THIRD = FIRST + dt.timedelta(days=2)


def test_the_fast_path_answers_late_states_and_retries_in_a_forward_run() -> None:
    with _world() as world:
        _forward_history(world)
        assert world.store._fast_day(THIRD) and not world.store._fast_day(THIRD - dt.timedelta(1))
        world.check()
        fixed = f"{_order_id(2)}-0"
        assert _answers(world.store, THIRD) == ([_order_id(0)], [fixed], [fixed])
        # the orders of the first day are found by it in order_marks (published or not)
        ids = pa.array([_order_id(order) for order in (0, 1, 2)], pa.string())
        hint = pa.array([f"{FIRST}T08:00:00-05:00"] * 3, pa.string())
        found = world.store._published_from_marks(ids, hint)
        assert found == world.reference.published_before(THIRD, ids)
        assert found is not None and sorted(found) == [_order_id(0), _order_id(1)]
        world.apply(("publish", None, [(0, 0, 6, None)]))  # the third day: the paid state
        world.apply(("hold", 2, [6], "rules-a"))  # the fixed order held again (line 4, new file)
        world.check()
        assert _answers(world.store, THIRD + dt.timedelta(1)) == ([], [], [fixed])
        # a re-published first day answers from the reference queries; later days stay fast
        world.apply(("publish", 0, [(0, 0, 6, None), (0, 1, 0, None), (0, 2, 3, None)]))
        assert not world.store._fast_day(THIRD) and world.store._fast_day(THIRD + dt.timedelta(1))
        world.check()
        assert _answers(world.store, THIRD + dt.timedelta(1)) == ([], [], [])


def test_entries_of_ocids_never_published_there_only_cost_a_query() -> None:
    """``_OcidDays`` may hold pairs ``published`` does not (a failed write, a republished day,
    a hash collision): the answers stay the reference's."""
    with _world() as world:
        _forward_history(world)
        world.check()
        index = world.store._ocid_days
        assert index is not None and index.ready
        ocids = [f"ocds-t-{_order_id(order)}" for order in range(8)]
        for offset in range(DAYS + 2):
            index.add(ocids, FIRST + dt.timedelta(days=offset))
        assert index.candidates(ocids)[0] == ocids
        world.check()


def test_a_store_without_the_tables_or_written_by_older_code_gets_them_on_open() -> None:
    with _world() as world:
        _forward_history(world)
        world.apply(("forget",))
        world.check()
        fixed = f"{_order_id(2)}-0"
        assert _answers(world.store, THIRD) == ([_order_id(0)], [fixed], [fixed])
        # code that does not keep the derived tables publishes the third day: rebuilt on open
        world.store._run(
            "INSERT INTO published VALUES (?, ?, ?, ?, ?)",
            ["late-0", f"ocds-t-{_order_id(0)}", _order_id(0), STATUS_TIMES[6], THIRD],
        )
        world.reference.record_published(THIRD, [_release(0, 0, 6, "late-0")])
        world.apply(("reopen",))
        world.check()
        assert _answers(world.store, THIRD + dt.timedelta(1)) == ([], [fixed], [fixed])


def test_a_formalisation_date_the_reader_never_writes_turns_the_derived_tables_off() -> None:
    with _world() as world:
        _forward_history(world)
        world.apply(("ingest", 1, 2, [(4, 0, 3, 4, 0)], True))
        assert not world.store._derived_on() and not world.store._fast_day(THIRD)
        world.check()
        world.apply(("reopen",))
        assert not world.store._derived_on()
        world.check()


@pytest.mark.parametrize("step", ["_derive_late", "_derive_ingest"])
def test_a_write_killed_halfway_leaves_no_half_derived_rows(
    step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _world() as world:
        _forward_history(world)

        def killed(*args: object) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(StateStore, step, killed)
        with pytest.raises(KeyboardInterrupt):
            if step == "_derive_late":
                world.store.record_published(THIRD, [_release(0, 0, 6, "late-0")])
            else:
                world.store.ingest(_snapshot(1, 2, [(4, 0, 3, 4, 0)], odd=False))
        monkeypatch.undo()
        world.check()  # nothing of the write landed, base or derived
        fixed = f"{_order_id(2)}-0"
        assert _answers(world.store, THIRD) == ([_order_id(0)], [fixed], [fixed])


def test_a_day_written_at_once_lands_whole_or_not_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    with _world() as world:
        _forward_history(world)
        before = _answers(world.store, THIRD)
        held = world.store._run("SELECT * FROM held ORDER BY ALL")

        def killed(*args: object) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(StateStore, "_replace_held", killed)
        with pytest.raises(KeyboardInterrupt):
            world.store.record_day(
                THIRD, [_release(0, 0, 6, "late-0")], {}, world.quarantine([6]), "rules-a"
            )
        monkeypatch.undo()
        # the releases were written first: they were rolled back with the held rows
        assert not world.store._run("SELECT 1 FROM published WHERE package_day = ?", [THIRD])
        assert world.store._run("SELECT * FROM held ORDER BY ALL") == held
        world.check()
        assert _answers(world.store, THIRD) == before
        world.apply(("day", 2, [(0, 0, 6, None)], ([6], "rules-a")))
        world.check()
        assert world.store._run("SELECT * FROM held ORDER BY ALL") == world.reference._run(
            "SELECT * FROM held ORDER BY ALL"
        )


def test_a_shared_store_reads_again_what_a_transaction_changed(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.duckdb", shared=True)
    cursor = StateStore(tmp_path / "s.duckdb")  # a step's open during the run
    try:
        assert store._derived_on() and cursor._fast_day(FIRST)
        with pytest.raises(RuntimeError), store._transaction():
            store._run("UPDATE derived_meta SET regular = false")
            assert not store._derived_on()  # inside a transaction: read, not remembered
            raise RuntimeError
        assert cursor._derived_on()  # rolled back
        store.record_published(FIRST, [_release(0, 1, 0, "R1")])
        assert not cursor._fast_day(FIRST) and cursor._fast_day(FIRST + dt.timedelta(days=1))
        with cursor._transaction():
            cursor._run("UPDATE derived_meta SET regular = false")
        assert not store._derived_on() and not store._fast_day(FIRST + dt.timedelta(days=1))
    finally:
        cursor.close()
        store.close()


def test_a_day_write_keeps_only_the_reads_it_cannot_change(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.duckdb", shared=True)
    nothing_held = pa.table(
        {
            "source_file": pa.array([], pa.string()),
            "source_line": pa.array([], pa.int64()),
            "rule": pa.array([], pa.string()),
        }
    )
    try:
        store.ingest(_snapshot(0, 0, [(1, 0, 0, 0, 0), (2, 0, 1, 0, 1)], odd=False))
        learned = store.learned_agreements()
        assert learned and store._fast_day(FIRST)
        store.record_day(FIRST, [_release(0, 1, 0, "R1")], {}, nothing_held, FINGERPRINTS[0])
        assert store._memo is not None
        assert set(store._memo) == {"regular", "learned_agreements"}
        assert not store._fast_day(FIRST)  # the newest package is read again
        assert store.learned_agreements() == learned
        store.ingest(_snapshot(1, 1, [(3, 0, 2, 0, 2)], odd=False))  # teaches another name
        assert store._memo == {}
        fresh = [astuple(name) for name in store.learned_agreements()]
        assert len(fresh) > len(learned)
        assert fresh == store._run(
            "SELECT code, name_key, name, min(first_seen), max(last_seen) FROM agreement_names "
            "GROUP BY code, name_key, name ORDER BY code, name_key, name"
        )
    finally:
        store.close()
