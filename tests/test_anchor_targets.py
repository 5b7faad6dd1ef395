"""Anchoring targets other than days (``publication.anchoring.anchor_targets``) on an in-process
eth-tester chain: a target that ``supersedes`` (the bulk folder's kind) is anchored as a
correction when its manifest changes, never as an alarm; nothing is sent for an unchanged
manifest; a replaced manifest still in flight is followed to the end first; the days' pin
covers the bulk dataset and nothing else. The bulk folder itself on a real anvil:
tests/test_bulk_anchor.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.chain_helpers import DATASET, InProcessRegistry, in_process_registry, publish_day

from integrity import layout
from integrity.chain import ChainConfigError, ChainUnavailable
from integrity.manifest import load_manifest
from publication.anchoring import anchor_targets, anchor_targets_with
from publication.state import StateStore, store_path
from publication.targets import AnchorTarget

DAY = dt.date(2025, 3, 3)
BULK = layout.bulk_dataset(DATASET)


@pytest.fixture
def registry() -> InProcessRegistry:
    return in_process_registry()


def target(root: Path, dataset: str = BULK) -> AnchorTarget:
    """A day folder anchored as another dataset's target, receipt outside the folder (as the
    bulk folder is: not in ``index.json``, rebuilt on purpose)."""
    place = layout.DayLayout(root, DATASET, DAY)
    receipt = root.parent / "receipt.json"
    return AnchorTarget(dataset, DAY, place.folder, place.manifest, receipt, supersedes=True)


def anchor(root: Path, registry: InProcessRegistry) -> dict[str, Any]:
    with StateStore(store_path(root)) as store:
        (record,) = anchor_targets(root, [target(root)], registry.session(), store)
    return record


def journal(root: Path) -> list[Any]:
    with StateStore(store_path(root)) as store:
        return store.anchor_rows(BULK)


def test_a_rebuilt_manifest_is_a_correction_and_an_unchanged_one_sends_nothing(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    publish_day(root, DAY, 3)
    first = anchor(root, registry)
    assert (first["status"], first["dataset"], first["kind"], first["seq"]) == (
        "anclado",
        BULK,
        1,
        1,
    )
    assert orjson.loads((tmp_path / "receipt.json").read_bytes()) == first
    sent = registry.client.mined_nonce()
    assert anchor(root, registry) == first and registry.client.mined_nonce() == sent
    publish_day(root, DAY, 3, amount=2000)  # rebuilt for the same day: another manifest
    second = anchor(root, registry)
    assert (second["kind"], second["seq"], second["entries"]) == (3, 2, 2)
    assert registry.client.mined_nonce() == sent + 1
    assert registry.client.count(BULK, DAY) == 2 and registry.client.count(DATASET, DAY) == 0
    manifest = load_manifest(layout.DayLayout(root, DATASET, DAY).manifest)
    assert [(row.digest, row.state, row.correction) for row in journal(root)] == [
        (manifest.sha256, "FINAL", True)
    ]
    # Not a day: the receipt goes where the target says, the day's own stays absent.
    assert not layout.DayLayout(root, DATASET, DAY).anchor.exists()


def test_the_days_pin_covers_the_bulk_dataset_only(
    registry: InProcessRegistry, tmp_path: Path
) -> None:
    assert layout.pin_covers(DATASET, DATASET) and layout.pin_covers(DATASET, BULK)
    assert layout.pin_covers(None, "otro")
    assert not layout.pin_covers(DATASET, "otro-conjunto-bulk")
    assert not layout.pin_covers(BULK, DATASET) and not layout.pin_covers(DATASET, BULK + "-bulk")
    root = tmp_path / "datasets"
    publish_day(root, DAY, 2)
    with (
        StateStore(store_path(root)) as store,
        pytest.raises(ChainConfigError, match="not 'otro-conjunto-bulk'"),
    ):
        anchor_targets(root, [target(root, "otro-conjunto-bulk")], registry.session(), store)
    assert journal(root) == []


def test_a_replaced_manifest_still_in_flight_is_followed_first(
    registry: InProcessRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "datasets"
    publish_day(root, DAY, 3)
    first_digest = load_manifest(target(root).manifest).sha256
    client = registry.client
    before = client.mined_nonce()
    real = client.inclusion

    def lost(tx_hash: bytes) -> Any:
        raise ChainUnavailable("the node went away")

    monkeypatch.setattr(client, "inclusion", lost)
    assert anchor(root, registry)["status"] == "pendiente"
    (sent,) = journal(root)
    assert (sent.digest, sent.state) == (first_digest, "SUBMITTED")

    publish_day(root, DAY, 3, amount=2000)  # rebuilt while the first one is in flight
    second_digest = load_manifest(target(root).manifest).sha256
    waiting = anchor(root, registry)  # the node still does not answer
    assert (waiting["status"], waiting["digest"]) == ("pendiente", second_digest)
    assert [(row.digest, row.state) for row in journal(root)] == [(first_digest, "SUBMITTED")]

    def down() -> Any:
        raise ChainUnavailable("no RPC endpoint answered")

    (pending,) = anchor_targets_with(root, [target(root)], down, pin=registry.pin)
    assert (pending["status"], pending["digest"]) == ("pendiente", second_digest)
    assert [(row.digest, row.state) for row in journal(root)] == [(first_digest, "SUBMITTED")]

    monkeypatch.setattr(client, "inclusion", real)
    (done,) = anchor_targets_with(root, [target(root)], registry.session_factory())
    assert (done["status"], done["digest"], done["kind"], done["entries"]) == (
        "anclado",
        second_digest,
        3,
        2,
    )
    first = client.get_entry(BULK, 1)
    assert first is not None and first.digest.hex() == first_digest
    # Two transactions: the first one (followed up, never re-signed) and the correction.
    assert client.mined_nonce() == before + 2
