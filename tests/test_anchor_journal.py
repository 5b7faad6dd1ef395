"""The anchor journal (publication.anchoring) on an in-process eth-tester chain: batches, reruns,
alarms, adoption, pending days, late publications and corrections. Real nodes (kills,
reorgs, stuck transactions) are in tests/test_anchoring_networks.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.chain_helpers import (
    DATASET,
    InProcessRegistry,
    anchor_published,
    in_process_registry,
    publish_day,
)

from integrity import layout
from integrity.chain import AnchorConflict, ChainConfigError, ChainUnavailable
from integrity.manifest import load_manifest
from integrity.verify import (
    PinSource,
    Status,
    TrustPin,
    VerifyOptions,
    Web3ChainAccess,
    verify_path,
)
from integrity.verify.trust import pin_bytes
from publication.anchoring import anchor_pending_with, anchor_with
from publication.portal import INDEX_HTML
from publication.state import StateStore, store_path
from publication.writer import read_index

DAYS = [dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 3, 5)]


@pytest.fixture
def registry() -> InProcessRegistry:
    return in_process_registry()


def digest(root: Path, day: dt.date) -> bytes:
    return bytes.fromhex(load_manifest(layout.DayLayout(root, DATASET, day).manifest).sha256)


def record(root: Path, day: dt.date) -> dict[str, Any]:
    return orjson.loads(layout.DayLayout(root, DATASET, day).anchor.read_bytes())


def journal(root: Path) -> list[Any]:
    with StateStore(store_path(root)) as store:
        return store.anchor_rows(DATASET)


def nonce(registry: InProcessRegistry) -> int:
    return registry.client.mined_nonce()


def options(registry: InProcessRegistry) -> VerifyOptions:
    """Read the in-process chain with the registry's pin, as ``verificar --trust`` would."""
    pin = TrustPin.from_pin(registry.pin, PinSource.ARGUMENT)
    return VerifyOptions(chain=Web3ChainAccess(registry.w3), trust=pin)


def anchor_keys(result: Any) -> list[str]:
    return [note.key for note in result.checks["anchor"].notes]


def test_days_go_in_one_batch_and_a_rerun_sends_nothing(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    for size, day in enumerate(DAYS, start=2):
        publish_day(root, day, size)
    records = anchor_published(root, DAYS, registry.session())
    assert [r["status"] for r in records] == ["anclado"] * 3
    assert len({r["txHash"] for r in records}) == 1
    assert [(r["seq"], r["kind"], r["entries"], r["batchSize"]) for r in records] == [
        (1, 1, 1, 3),
        (2, 1, 1, 3),
        (3, 1, 1, 3),
    ]
    first = records[0]
    assert first["gasUsed"] > 150_000 and int(first["feeWei"]) > 0
    assert Decimal(first["fee"]) * 10**18 == int(first["feeWei"])
    assert record(root, DAYS[0]) == first
    assert first["format"] == "perucompras-anchor/2" and first["day"] == 20250303
    rows = journal(root)
    assert [row.state for row in rows] == ["FINAL"] * 3
    assert len({row.nonce for row in rows}) == 1 and {row.sends for row in rows} == {1}
    assert rows[0].raw_tx and rows[0].fee_params and rows[0].block_hash
    assert [e["anchorStatus"] for e in read_index(root, DATASET)] == ["anclado"] * 3
    assert (root / layout.TRUST_FILE).read_bytes() == pin_bytes(registry.pin)
    page = (root / INDEX_HTML).read_text()
    assert "Costo acumulado del anclaje" in page and "36 800" in page
    assert "en 1 transacciones para 3 días anclados" in page

    before = nonce(registry)
    again = anchor_published(root, DAYS, registry.session())
    assert again == records
    assert nonce(registry) == before
    assert registry.client.dataset_info(DATASET).entries == 3


def test_another_digest_on_chain_is_an_alarm_and_a_correction_is_a_new_entry(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    publish_day(root, DAYS[0], 3)
    other = bytes(31) + b"\x01"
    registry.client.publish(DATASET, DAYS[0], other)
    before = nonce(registry)
    with pytest.raises(AnchorConflict, match=r"ALARM.*publicar anchor --correct 2025-03-03"):
        anchor_published(root, [DAYS[0]], registry.session())
    assert nonce(registry) == before  # nothing was sent
    (corrected,) = anchor_published(root, [DAYS[0]], registry.session(), correct=True)
    assert (corrected["kind"], corrected["seq"], corrected["entries"]) == (3, 2, 2)
    old = registry.client.get_entry(DATASET, 1)
    assert old is not None and old.digest == other  # the old entry stays readable
    result = verify_path(layout.DayLayout(root, DATASET, DAYS[0]).folder, options(registry))
    assert result.exit_code == 0
    assert anchor_keys(result)[-1] == "anchor.kind_correction"


def test_the_digest_already_on_chain_is_adopted_without_a_transaction(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    publish_day(root, DAYS[0], 3)
    inclusion = registry.client.publish(DATASET, DAYS[0], digest(root, DAYS[0]))
    assert inclusion is not None
    before = nonce(registry)
    (adopted,) = anchor_published(root, [DAYS[0]], registry.session())
    assert nonce(registry) == before
    assert adopted["txHash"] == "0x" + inclusion.tx_hash.hex()
    assert adopted["gasUsed"] == inclusion.gas_used and adopted["status"] == "anclado"


def test_unreachable_chain_leaves_the_days_published_and_pending(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    publish_day(root, DAYS[0], 3)
    publish_day(root, DAYS[1], 2)

    def down() -> Any:
        raise ChainUnavailable("no RPC endpoint answered (http://127.0.0.1:9: refused)")

    records = anchor_with(root, DATASET, DAYS[:2], down, pin=registry.pin)
    assert [r["status"] for r in records] == ["pendiente", "pendiente"]
    assert "no RPC endpoint answered" in records[0]["reason"]
    assert records[0]["contract"] == registry.pin.registry.address
    assert [e["anchorStatus"] for e in read_index(root, DATASET)] == ["pendiente"] * 2
    assert "2 día(s) pendiente(s) de anclaje" in (root / INDEX_HTML).read_text()
    assert [row.state for row in journal(root)] == ["PENDING", "PENDING"]

    folder = layout.DayLayout(root, DATASET, DAYS[0]).folder
    online = verify_path(folder, options(registry))
    offline = verify_path(folder, VerifyOptions(offline=True))
    for result in (online, offline):
        assert result.exit_code == 2
        assert result.checks["anchor"].notes[-1].key == "anchor.pending_record"
        assert "pendiente" in result.checks["anchor"].notes[-1].text("es")

    later = anchor_pending_with(root, DATASET, registry.session_factory(), pin=registry.pin)
    assert [r["status"] for r in later] == ["anclado", "anclado"]
    assert verify_path(folder, options(registry)).exit_code == 0
    assert registry.client.dataset_info(DATASET).entries == 2
    assert anchor_pending_with(root, DATASET, registry.session_factory()) == []


def test_a_chain_lost_after_sending_is_followed_up_once(
    registry: InProcessRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "datasets"
    for day in DAYS:
        publish_day(root, day, 2)
    client = registry.client
    real = client.inclusion
    before = nonce(registry)

    def lost(tx_hash: bytes) -> Any:
        raise ChainUnavailable("the node went away")

    monkeypatch.setattr(client, "inclusion", lost)
    records = anchor_published(root, DAYS, registry.session())
    assert {r["status"] for r in records} == {"pendiente"}
    assert {row.state for row in journal(root)} == {"SUBMITTED"}
    monkeypatch.setattr(client, "inclusion", real)
    records = anchor_pending_with(root, DATASET, registry.session_factory())
    assert {r["status"] for r in records} == {"anclado"}
    rows = journal(root)
    assert len({row.tx_hash for row in rows}) == 1  # one transaction, re-sent, never re-signed
    assert registry.client.dataset_info(DATASET).entries == 3
    assert nonce(registry) == before + 1


def test_late_publication_then_verifier_reports_it(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    publish_day(root, DAYS[0], 2)
    publish_day(root, DAYS[2], 2)
    anchor_published(root, [DAYS[0], DAYS[2]], registry.session())
    publish_day(root, DAYS[1], 4)  # the blocked day, fixed and published after later days
    (late,) = anchor_published(root, [DAYS[1]], registry.session())
    assert late["kind"] == 2
    folder = layout.DayLayout(root, DATASET, DAYS[1]).folder
    result = verify_path(folder, options(registry))
    assert result.exit_code == 0
    assert anchor_keys(result)[-1] == "anchor.kind_late"
    assert "publicación tardía" in result.checks["anchor"].notes[-1].text("es")


def test_corrected_day_supersedes_the_old_manifest(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    publish_day(root, DAYS[0], 3)
    anchor_published(root, [DAYS[0]], registry.session())
    target = layout.DayLayout(root, DATASET, DAYS[0])
    old_copy = tmp_path / "old" / DATASET / "2025" / "03" / "03"
    shutil.copytree(target.folder, old_copy)
    target.anchor.unlink()  # the operator republishes the day on purpose
    publish_day(root, DAYS[0], 3, amount=2000)
    with pytest.raises(AnchorConflict, match="--correct 2025-03-03"):
        anchor_published(root, [DAYS[0]], registry.session())
    (fixed,) = anchor_published(root, [DAYS[0]], registry.session(), correct=True)
    assert (fixed["kind"], fixed["entries"]) == (3, 2)
    new = verify_path(target.folder, options(registry))
    assert new.exit_code == 0 and anchor_keys(new)[-1] == "anchor.kind_correction"
    old = verify_path(old_copy, options(registry))
    assert old.exit_code == 1
    assert [n.key for n in old.checks["anchor"].notes if n.failed] == ["anchor.superseded"]
    assert old.checks["integrity"].status is Status.OK


def test_a_session_that_does_not_match_its_pin_is_refused(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    publish_day(root, DAYS[0], 2)
    wrong = dataclasses.replace(registry.pin, publisher=registry.stranger().address)
    session = dataclasses.replace(registry.session(), pin=wrong)
    with pytest.raises(ChainConfigError, match="the pin names"):
        anchor_published(root, [DAYS[0]], session)
    other = dataclasses.replace(registry.pin, dataset="otro-conjunto")
    with pytest.raises(ChainConfigError, match="not 'perucompras-ocam'"):
        anchor_published(root, [DAYS[0]], dataclasses.replace(registry.session(), pin=other))
    assert journal(root) == []


def test_trust_json_is_the_pin_and_is_never_moved_silently(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    from publication.writer import PublicationError, write_trust

    root = tmp_path / "datasets"
    write_trust(root, registry.pin)
    assert (root / layout.TRUST_FILE).read_bytes() == pin_bytes(registry.pin)
    refreshed = dataclasses.replace(registry.pin, created_at="2027-01-01T00:00:00Z")
    write_trust(root, refreshed)  # same chain, registry and publisher: the copy follows
    assert (root / layout.TRUST_FILE).read_bytes() == pin_bytes(refreshed)
    moved = dataclasses.replace(
        registry.pin,
        registry=dataclasses.replace(registry.pin.registry, address=registry.stranger().address),
    )
    with pytest.raises(PublicationError, match="publish on the new chain under a new datasets"):
        write_trust(root, moved)


class _Killed(BaseException):
    """A kill -9 at a journal write: that write and every later one never land."""


def _comparable(row: Any) -> dict[str, Any]:
    """A journal row but what differs between two chains or runs: when it was written, the
    block's hash (eth-tester stamps blocks with the clock) and the count of sends (a kill
    after a send and before the next write loses it, as a kill between the two always did)."""
    return {
        name: value
        for name, value in dataclasses.asdict(row).items()
        if name not in ("updated_at", "block_hash", "sends")
    }


def test_two_journal_writes_a_batch_and_a_kill_at_either_resumes_to_one_entry_per_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = StateStore.save_anchor_rows
    writes: list[list[str]] = []

    def watched(store: StateStore, rows: Any) -> None:
        writes.append([row.state for row in rows])
        real(store, rows)

    clean = tmp_path / "clean"
    for size, day in enumerate(DAYS, start=2):
        publish_day(clean, day, size)
    registry = in_process_registry()
    with monkeypatch.context() as patch:
        patch.setattr(StateStore, "save_anchor_rows", watched)
        records = anchor_published(clean, DAYS, registry.session())
    # The signed transaction before it is sent (the new rows with it), then the FINAL rows.
    assert writes == [["SUBMITTED"] * 3, ["FINAL"] * 3]
    expected = [_comparable(row) for row in journal(clean)]

    for kill_at in range(len(writes)):
        root = tmp_path / f"killed-{kill_at}"
        for size, day in enumerate(DAYS, start=2):
            publish_day(root, day, size)
        registry = in_process_registry()
        done = 0

        def dying(store: StateStore, rows: Any, kill_at: int = kill_at) -> None:
            nonlocal done
            if done >= kill_at:
                raise _Killed
            done += 1
            real(store, rows)

        with monkeypatch.context() as patch:
            patch.setattr(StateStore, "save_anchor_rows", dying)
            with pytest.raises(_Killed):
                anchor_published(root, DAYS, registry.session())
        assert [row.state for row in journal(root)] == ["SUBMITTED"] * kill_at * 3
        assert registry.client.dataset_info(DATASET).entries == 3 * kill_at  # sent, or not
        again = anchor_published(root, DAYS, registry.session())
        assert again == records  # the same transaction (a fresh chain in the same state)
        assert registry.client.dataset_info(DATASET).entries == 3
        assert nonce(registry) == 2  # the deployment and one publication
        assert [_comparable(row) for row in journal(root)] == expected
