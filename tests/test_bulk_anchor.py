"""The bulk dataset anchored on a real anvil and verified with ``verificar``.

The published days and bulk builds of ``bulk_world`` (five days up to 2026-11-03) are copied
(data hard-linked, status store and chain state copied) and the Dagster asset ``bulk_files``
anchors the bulk manifest on an embedded dev chain (dataset ``perucompras-ocam-bulk``, day =
newest day covered) under the dev chain's pin for ``perucompras-ocam``: the folder and its
files then verify (VERIFICADO), a changed byte fails naming the file, an unchanged rebuild
sends nothing, one more day is a new entry linked to the history, a same-day rebuild is a
correction, and an unreachable chain leaves a pending receipt that ``publicar anchor``
finishes. The dev chain proves the code path, not tamper evidence.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.bulk_world import IDENTITY, INDICATORS, World, publish_day
from support.chain_helpers import UnreachableChain

from integrity import layout
from integrity.cli_verificar import run as verificar_run
from integrity.devchain import DevChain
from integrity.manifest import load_manifest
from integrity.verify import (
    DatasetsRoot,
    PinSource,
    TrustPin,
    VerifyOptions,
    Web3ChainAccess,
    verify_path,
)
from integrity.verify.trust import devchain_pin_path, load_pin
from pipelines.resources import BulkResource, ChainResource, DatasetsResource
from publication.bulk import build_bulk, bulk_anchor_target
from publication.state import StateStore, store_path
from settings import Indicators

pytestmark = [pytest.mark.slow, pytest.mark.chain]

D = layout.DEFAULT_DATASET
BULK = layout.bulk_dataset(D)
NEWEST = dt.date(2026, 11, 3)
NEXT = dt.date(2026, 11, 4)


@dataclass(frozen=True)
class Place:
    """A datasets root, its status store and its dev chain."""

    root: Path
    state: Path
    devchain: Path

    @property
    def bulk(self) -> Path:
        return self.root / BULK

    def resources(self, chain: ChainResource | None = None) -> dict[str, Any]:
        return {
            "datasets": DatasetsResource(
                root=str(self.root), state_dir=str(self.state), base_url=IDENTITY.base_url
            ),
            "bulk": BulkResource(concentration_min_orders=INDICATORS.concentration_min_orders),
            "chain": chain or ChainResource(mode="devchain", state_dir=str(self.devchain)),
        }

    def materialize(self, chain: ChainResource | None = None) -> dict[str, Any]:
        """The ``bulk_files`` asset once (build, anchor, site); its output."""
        from dagster import materialize

        from pipelines.bulk import BULK_ASSETS

        result = materialize(BULK_ASSETS, resources=self.resources(chain))
        assert result.success
        output: dict[str, Any] = result.output_for_node("bulk_files")
        return output

    def receipt(self, day: dt.date = NEWEST) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads((self.bulk / f"{BULK}-{day}-anchor.json").read_bytes())
        return data

    def manifest(self) -> Path:
        return next(self.bulk.glob(f"{BULK}-*-manifest.json"))

    def clone(self, tmp: Path) -> Place:
        """A copy to change: data hard-linked (every writer replaces files, never edits them
        in place), status store and chain state copied."""
        shutil.copytree(self.root, tmp / "datasets", copy_function=os.link)
        shutil.copytree(self.state, tmp / "state")
        shutil.copytree(self.devchain, tmp / "devchain", ignore=shutil.ignore_patterns("anvil.*"))
        return Place(tmp / "datasets", tmp / "state", tmp / "devchain")


@contextlib.contextmanager
def online(place: Place) -> Iterator[tuple[VerifyOptions, Any]]:
    """Verification options on a read-only copy of the place's dev chain (pin from beside
    the chain state, never from the data), and a registry reader on it."""
    with DevChain(place.devchain).read_only() as chain:
        pin = load_pin(devchain_pin_path(place.devchain))
        options = VerifyOptions(
            chain=Web3ChainAccess(chain.web3(), dev_chain=True),
            pins=(TrustPin.from_pin(pin, PinSource.DEVCHAIN),),
        )
        yield options, chain.client(read_only=True)


def verificar(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return verificar_run(list(args), out=out), out.getvalue()


def failed(result: Any) -> list[str]:
    return [f"{n.key} {n.params}" for c in result.all_checks() for n in c.notes if n.failed]


def anchor_keys(result: Any) -> list[str]:
    return [note.key for note in result.checks["anchor"].notes]


@pytest.fixture(scope="module")
def anchored(bulk_world: World, tmp_path_factory: pytest.TempPathFactory) -> Place:
    """The bulk world's root with its bulk manifest anchored by the ``bulk_files`` asset."""
    tmp = tmp_path_factory.mktemp("bulk-anchor")
    shutil.copytree(bulk_world.root, tmp / "datasets", copy_function=os.link)
    shutil.copytree(bulk_world.root.parent / ".datasets-state", tmp / "state")
    place = Place(tmp / "datasets", tmp / "state", tmp / "devchain")
    output = place.materialize()
    assert output["unchanged_rerun"] is True and output["newest_day"] == NEWEST.isoformat()
    assert output["anchor_status"] == "anclado" and output["anchor_seq"] == 1
    return place


def test_the_anchored_bulk_folder_and_its_files_verify(anchored: Place, tmp_path: Path) -> None:
    receipt = anchored.receipt()
    manifest = load_manifest(anchored.manifest())
    assert (receipt["status"], receipt["dataset"], receipt["day"]) == ("anclado", BULK, 20261103)
    assert (receipt["digest"], receipt["kind"], receipt["entries"]) == (manifest.sha256, 1, 1)
    pin = load_pin(devchain_pin_path(anchored.devchain))
    assert pin.dataset == D and receipt["contract"] == pin.registry.address
    with StateStore(store_path(anchored.root, anchored.state)) as store:
        row = store.anchor_row(BULK, NEWEST)
    assert row is not None and (row.state, row.digest) == ("FINAL", manifest.sha256)

    # The CLI: the pin comes from beside the dev chain's state, never from the folder.
    code, text = verificar(str(anchored.bulk), "--devchain", str(anchored.devchain))
    assert code == 0, text
    assert text.splitlines()[0].startswith(f"Verificando los archivos masivos {BULK} hasta")
    assert "Veredicto: VERIFICADO" in text and "cadena local de desarrollo" in text
    with online(anchored) as (options, registry):
        assert registry.count(BULK, NEWEST) == 1 and registry.dataset_info(BULK).entries == 1
        assert registry.dataset_info(D).entries == 0  # the days were not anchored here
        names = [
            f"{D}-2026-10-orders.parquet",
            f"{D}-2026-11-orders.csv",
            f"{D}-orders.parquet",
            f"{D}-latest-month-releases.jsonl.gz",
            f"{BULK}-{NEWEST}-manifest.json",
            f"{BULK}-{NEWEST}-anchor.json",
        ]
        for name in names:
            result = verify_path(anchored.bulk / name, options)
            assert result.exit_code == 0, (name, failed(result))
            assert "anchor.ok" in anchor_keys(result), name
        # A renamed bulk file elsewhere is found by its digest in the root's bulk manifest.
        renamed = tmp_path / "descarga (1).csv"
        shutil.copyfile(anchored.bulk / f"{D}-2026-10-orders.csv", renamed)
        options.datasets = DatasetsRoot.at(anchored.root)
        found = verify_path(renamed, options)
        assert found.exit_code == 0, failed(found)
        assert found.checks["integrity"].notes[0].key == "integrity.identified"


def test_a_changed_byte_in_a_bulk_file_fails_naming_it(anchored: Place, tmp_path: Path) -> None:
    copy = tmp_path / "mirror" / BULK
    shutil.copytree(anchored.bulk, copy)  # real copies: the bytes are changed below
    parquet = copy / f"{D}-2026-10-orders.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0x01
    parquet.write_bytes(bytes(data))
    csv = copy / f"{D}-2026-11-orders.csv"
    csv.write_bytes(csv.read_bytes().replace(b"ACEPTADA", b"ACEPTADO", 1))

    code, text = verificar(str(copy), "--devchain", str(anchored.devchain))
    assert code == 1, text
    assert "ALTERADO O NO PUBLICADO" in text
    assert parquet.name in text and csv.name in text
    with online(anchored) as (options, _):
        whole = verify_path(copy, options)
        assert whole.exit_code == 1
        assert whole.checks["anchor"].status.value == "ok"  # the manifest itself is authentic
        problems = " ".join(failed(whole))
        assert parquet.name in problems and csv.name in problems
        for path in (parquet, csv):
            alone = verify_path(path, options)
            assert alone.exit_code == 1
            assert any(path.name in problem for problem in failed(alone)), failed(alone)


def test_an_unchanged_rebuild_sends_nothing(anchored: Place, tmp_path: Path) -> None:
    place = anchored.clone(tmp_path)
    receipt = (place.bulk / f"{BULK}-{NEWEST}-anchor.json").read_bytes()
    output = place.materialize()
    assert output["unchanged_rerun"] is True and output["anchor_status"] == "anclado"
    assert (place.bulk / f"{BULK}-{NEWEST}-anchor.json").read_bytes() == receipt
    # The anchoring code itself, asked again: the journal says final, nothing is sent.
    from publication.anchoring import anchor_targets_with

    target = bulk_anchor_target(place.root, D)
    assert target is not None
    chain = ChainResource(mode="devchain", state_dir=str(place.devchain))
    (again,) = anchor_targets_with(
        place.root, [target], lambda: chain.session(D), state_dir=place.state
    )
    assert again == orjson.loads(receipt)
    with online(place) as (_, registry):
        assert registry.count(BULK, NEWEST) == 1 and registry.dataset_info(BULK).entries == 1
        publisher = load_pin(devchain_pin_path(place.devchain)).publisher
        sent = registry.w3.eth.get_transaction_count(publisher)
        assert sent == 2  # the registry's deployment and the one anchor


def test_one_more_day_is_a_new_entry_after_a_pending_anchor(
    anchored: Place, tmp_path: Path, bulk_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    place = anchored.clone(tmp_path)
    old = load_manifest(place.manifest())
    before = tmp_path / "before" / BULK
    shutil.copytree(place.bulk, before, copy_function=os.link)  # a download of the old build
    publish_day(place.root, bulk_world.source, NEXT)
    built = build_bulk(
        place.root, D, identity=IDENTITY, indicators=INDICATORS, state_dir=place.state
    )
    assert built.manifest is not None and built.manifest.day == NEXT
    assert built.manifest.previous == {"date": NEWEST.isoformat(), "manifestSha256": old.sha256}
    history = place.root / f"{BULK}-history"
    kept = {p.name for p in history.iterdir()}
    assert f"{BULK}-{NEWEST}-manifest-{old.sha256[:16]}.json" in kept
    assert f"{BULK}-{NEWEST}-anchor-{old.sha256[:16]}.json" in kept

    # Built, not anchored yet: never VERIFICADO, and the message says why.
    with online(place) as (options, _):
        result = verify_path(place.bulk, options)
    assert result.exit_code == 2, failed(result)
    assert anchor_keys(result)[-1] == "anchor.bulk_not_anchored"
    assert "no están anclados" in result.checks["anchor"].notes[-1].text("es")
    assert "anchor.previous_bulk_manifest_ok" in anchor_keys(result)

    # The chain does not answer: the bulk files stay published, their receipt says pending.
    pin = load_pin(devchain_pin_path(place.devchain))
    output = place.materialize(UnreachableChain(mode="devchain", state_dir=str(place.devchain)))
    assert output["anchor_status"] == "pendiente" and output["unchanged_rerun"] is True
    pending = place.receipt(NEXT)
    assert (pending["status"], pending["digest"]) == ("pendiente", built.manifest.sha256)
    assert "no RPC endpoint answered" in pending["reason"]
    assert pending["contract"] == pin.registry.address
    code, text = verificar(str(place.bulk), "--devchain", str(place.devchain))
    assert code == 2, text
    assert "los archivos masivos se construyeron cuando la cadena no respondía" in text

    # `publicar anchor` (= --pending) finishes it: a new entry for the new newest day (the
    # world's days were never anchored, so the same command anchors them first).
    from pipelines.cli import main as publicar

    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PERUCOMPRAS_STATE_DIR", str(place.state))
    args = ["anchor", "--datasets", str(place.root), "--devchain", str(place.devchain)]
    assert publicar(args) == 0
    receipt = place.receipt(NEXT)
    assert (receipt["status"], receipt["kind"], receipt["seq"]) == ("anclado", 1, 2)
    code, text = verificar(str(place.bulk), "--devchain", str(place.devchain))
    assert code == 0, text
    assert "enlace con el manifiesto masivo anterior" in text
    with online(place) as (options, registry):
        assert [registry.count(BULK, day) for day in (NEWEST, NEXT)] == [1, 1]
        assert registry.dataset_info(BULK).entries == 2
        # A download of the replaced build still verifies: the bulk files up to its day.
        assert verify_path(before, options).exit_code == 0
    assert publicar(args) == 0  # nothing waits any more


def test_a_same_day_rebuild_is_a_correction_and_the_old_build_is_superseded(
    anchored: Place, tmp_path: Path
) -> None:
    place = anchored.clone(tmp_path)
    before = tmp_path / "before" / BULK
    shutil.copytree(place.bulk, before)
    # Other indicator settings: other indicator files, another manifest for the same day.
    built = build_bulk(
        place.root,
        D,
        identity=IDENTITY,
        indicators=Indicators(concentration_min_orders=1),
        state_dir=place.state,
    )
    assert built.manifest is not None and built.manifest.day == NEWEST
    assert built.manifest.sha256 != load_manifest(before / place.manifest().name).sha256
    from publication.anchoring import anchor_if_pending

    target = bulk_anchor_target(place.root, D)
    chain = ChainResource(mode="devchain", state_dir=str(place.devchain))
    (record,) = anchor_if_pending(
        place.root, target, lambda: chain.session(D), state_dir=place.state
    )
    assert (record["status"], record["kind"], record["seq"], record["entries"]) == (
        "anclado",
        3,
        2,
        2,
    )
    with online(place) as (options, registry):
        assert registry.count(BULK, NEWEST) == 2
        current = verify_path(place.bulk, options)
        assert current.exit_code == 0, failed(current)
        assert "anchor.kind_correction" in anchor_keys(current)
        old = verify_path(before, options)
        assert old.exit_code == 1
        assert [n.key for n in old.checks["anchor"].notes if n.failed] == ["anchor.bulk_superseded"]
