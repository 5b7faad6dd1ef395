"""The verifier library: untampered days verify, every tamper case fails on the right line."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.chain_helpers import (
    InProcessRegistry,
    anchor_published,
    in_process_registry,
    publish_day,
)
from web3 import Web3

from integrity import chain, layout
from integrity.keys import dataset_id, day_number
from integrity.manifest import load_manifest, manifest_bytes
from integrity.merkle import leaf_hashes, merkle_root, root_from_leaf_hashes
from integrity.verify import (
    DatasetsRoot,
    JsonRpcChainAccess,
    PinSource,
    SkipReason,
    Status,
    TrustPin,
    VerificationResult,
    VerifyOptions,
    Web3ChainAccess,
    verify_path,
    verify_range,
)
from integrity.verify._chain import (
    DATASET_INFO_SELECTOR,
    GET_ENTRY_SELECTOR,
    LATEST_ENTRY_SELECTOR,
    PUBLISHER_SELECTOR,
    DayEntries,
    StoredEntry,
    latest_entry_call,
)
from integrity.verify._source import scan_leaves
from publication.writer import update_index

DATASET = "perucompras-ocam"
DAYS = [dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2025, 3, 5)]


@dataclass
class World:
    """A datasets root with anchored days on an in-process chain."""

    root: Path
    registry: InProcessRegistry

    @property
    def w3(self) -> Web3:
        return self.registry.w3

    @property
    def client(self) -> chain.PublicationLogClient:
        return self.registry.client

    def access(self) -> Web3ChainAccess:
        return Web3ChainAccess(self.w3)

    @property
    def pin(self) -> TrustPin:
        """The registry's pin, as if given with --trust."""
        return TrustPin.from_pin(self.registry.pin, PinSource.ARGUMENT)

    def options(self, **overrides: Any) -> VerifyOptions:
        return VerifyOptions(**({"chain": self.access(), "trust": self.pin} | overrides))

    def folder(self, day: dt.date) -> Path:
        return layout.DayLayout(self.root, DATASET, day).folder

    def path(self, day: dt.date, kind: str) -> Path:
        return layout.DayLayout(self.root, DATASET, day).path(kind)


def build_world(
    root: Path, days: list[dt.date] = DAYS, sizes: tuple[int, ...] = (5, 3, 7)
) -> World:
    """Publish and anchor ``days`` into ``root`` on a fresh eth-tester chain."""
    registry = in_process_registry()
    for day, size in zip(days, sizes, strict=False):
        publish_day(root, day, size)
        anchor_published(root, [day], registry.session())
    return World(root, registry)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("pristine") / "datasets")


@pytest.fixture
def world(pristine: World, tmp_path: Path) -> World:
    """A private copy of the published tree on the shared (read-only) chain."""
    root = tmp_path / "datasets"
    shutil.copytree(pristine.root, root)
    return World(root, pristine.registry)


def statuses(result: VerificationResult) -> dict[str, str]:
    return {name: check.status.value for name, check in result.checks.items()}


def failing_keys(result: VerificationResult, check: str) -> list[str]:
    return [note.key for note in result.checks[check].notes if note.failed]


def rewrite_jsonl(world: World, day: dt.date, edit: Any) -> Path:
    path = world.path(day, layout.RELEASES_JSONL)
    lines = path.read_bytes().split(b"\n")[:-1]
    path.write_bytes(b"".join(line + b"\n" for line in edit(lines)))
    return path


# --------------------------------------------------------------------------- untampered


def test_untampered_day_folder_verifies_on_chain(world: World) -> None:
    result = verify_path(world.folder(DAYS[1]), world.options())
    assert statuses(result) == {
        "integrity": "ok",
        "inclusion": "ok",
        "anchor": "ok",
        "publisher": "ok",
    }
    assert result.exit_code == 0
    assert result.verdict.key == "verdict.verified"
    call = result.manual_call
    assert call is not None and call.to == world.client.address
    day = day_number(DAYS[1])
    assert call.data == latest_entry_call(dataset_id(DATASET), day)
    encoded = world.client.contract.encode_abi("latest_entry", [dataset_id(DATASET), day])
    assert call.data == encoded
    answer = world.w3.eth.call({"to": call.to, "data": call.data})
    assert "0x" + answer[128:160].hex() == call.digest  # the fifth word is the digest
    notes = result.checks["anchor"].notes
    assert [n.key for n in notes] == [
        "anchor.previous_manifest_ok",
        "anchor.receipt_ok",
        "anchor.ok",
        "anchor.kind_first",
    ]
    assert notes[2].params["seq"] == 2 and notes[3].params["count"] == 1


def test_every_published_file_verifies_alone(world: World) -> None:
    for path in sorted(world.folder(DAYS[0]).iterdir()):
        result = verify_path(path, world.options())
        assert result.exit_code == 0, (
            path.name,
            [n.key for c in result.all_checks() for n in c.notes],
        )
    jsonl = verify_path(world.path(DAYS[0], layout.RELEASES_JSONL), world.options())
    assert jsonl.checks["inclusion"].status is Status.OK
    csv = verify_path(world.path(DAYS[0], layout.ORDERS_CSV), world.options())
    assert csv.checks["inclusion"].skip_reason is SkipReason.NOT_APPLICABLE


def test_offline_checks_neither_anchor_nor_publisher_and_never_exits_0(world: World) -> None:
    result = verify_path(world.folder(DAYS[2]), VerifyOptions(offline=True))
    assert statuses(result) == {
        "integrity": "ok",
        "inclusion": "ok",
        "anchor": "skipped",
        "publisher": "skipped",
    }
    assert result.checks["publisher"].skip_reason is SkipReason.OFFLINE
    assert [n.key for n in result.checks["publisher"].notes] == ["publisher.offline"]
    assert result.exit_code == 3
    assert result.verdict.key == "verdict.verified_offline"


def test_streaming_root_matches_reference_tree(tmp_path: Path) -> None:
    for size in [*range(0, 40), 64, 65, 127, 300]:
        lines = [f'{{"n":{i}}}'.encode() for i in range(size)]
        path = tmp_path / "leaves.jsonl"
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        with path.open("rb") as handle:
            scan = scan_leaves(handle)
        assert scan.tree_size == size
        assert scan.root == merkle_root(lines).hex(), size
        assert scan.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


class _Trickle:
    """A stream that hands out at most the next of ``sizes`` bytes per read (as sockets do)."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.at = data, sizes, 0

    def read(self, wanted: int) -> bytes:
        size = min(wanted, self.sizes[self.at % len(self.sizes)])
        self.at += 1
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    terminated=st.booleans(),
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=8),
)
def test_scan_matches_the_reference_whatever_the_chunking(
    lines: list[bytes], terminated: bool, sizes: list[int]
) -> None:
    data = b"\n".join(lines) + (b"\n" if terminated and lines else b"")
    expected = data.split(b"\n")
    if expected[-1] == b"":
        expected.pop()
    scan = scan_leaves(_Trickle(data, sizes))
    assert (scan.tree_size, scan.root) == (len(expected), merkle_root(expected).hex())
    assert scan.sha256 == hashlib.sha256(data).hexdigest() and scan.size == len(data)
    assert scan.unterminated == (bool(data) and not data.endswith(b"\n"))


def test_selectors_are_the_registry_abi() -> None:
    assert Web3.keccak(text="latest_entry(bytes32,uint32)")[:4].hex() == LATEST_ENTRY_SELECTOR
    assert Web3.keccak(text="get_entry(bytes32,uint64)")[:4].hex() == GET_ENTRY_SELECTOR
    assert Web3.keccak(text="publisher()")[:4].hex() == PUBLISHER_SELECTOR
    assert Web3.keccak(text="dataset_info(bytes32)")[:4].hex() == DATASET_INFO_SELECTOR
    assert chain.dataset_id(DATASET) == dataset_id(DATASET)


# --------------------------------------------------------------------------- tampering


def test_modified_field_in_one_row(world: World) -> None:
    path = rewrite_jsonl(
        world, DAYS[0], lambda ls: [ls[0].replace(b'"amount":1000', b'"amount":9000'), *ls[1:]]
    )
    result = verify_path(world.folder(DAYS[0]), world.options())
    assert result.exit_code == 1
    assert failing_keys(result, "integrity") == ["integrity.hash_mismatch"]
    note = result.checks["integrity"].notes[0]
    assert note.params["file"] == path.name
    assert note.params["actual"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert failing_keys(result, "inclusion") == ["inclusion.root_mismatch"]


def test_deleted_row(world: World) -> None:
    rewrite_jsonl(world, DAYS[0], lambda ls: ls[:2] + ls[3:])
    result = verify_path(world.path(DAYS[0], layout.RELEASES_JSONL), world.options())
    assert result.exit_code == 1
    size_note = next(
        n for n in result.checks["inclusion"].notes if n.key == "inclusion.size_mismatch"
    )
    assert (size_note.params["expected"], size_note.params["actual"]) == (5, 4)
    assert "integrity.size_mismatch" in failing_keys(result, "integrity")


def test_inserted_row(world: World) -> None:
    rewrite_jsonl(world, DAYS[0], lambda ls: [*ls, ls[-1].replace(b"Entidad", b"Entidad falsa")])
    result = verify_path(world.folder(DAYS[0]), world.options())
    assert result.exit_code == 1
    # Longer than published: not read past its listed size, so not hashed nor re-rooted.
    assert failing_keys(result, "inclusion") == ["inclusion.longer"]
    assert failing_keys(result, "integrity") == ["integrity.size_mismatch"]


def test_reordered_rows(world: World) -> None:
    rewrite_jsonl(world, DAYS[0], lambda ls: [ls[1], ls[0], *ls[2:]])
    result = verify_path(world.folder(DAYS[0]), world.options())
    assert result.exit_code == 1
    assert failing_keys(result, "inclusion") == ["inclusion.root_mismatch"]
    assert failing_keys(result, "integrity") == ["integrity.hash_mismatch"]


def test_truncated_file(world: World) -> None:
    path = world.path(DAYS[2], layout.RELEASES_JSONL)
    path.write_bytes(path.read_bytes()[:-40])
    result = verify_path(world.folder(DAYS[2]), world.options())
    assert result.exit_code == 1
    assert "inclusion.unterminated" in failing_keys(result, "inclusion")
    assert set(failing_keys(result, "integrity")) == {
        "integrity.hash_mismatch",
        "integrity.size_mismatch",
    }


def test_file_from_another_day_renamed(world: World) -> None:
    target = world.path(DAYS[0], layout.ORDERS_CSV)
    shutil.copyfile(world.path(DAYS[1], layout.ORDERS_CSV), target)
    result = verify_path(target, world.options())
    assert result.exit_code == 1
    assert result.checks["integrity"].notes[0].params["file"] == target.name
    assert statuses(result)["anchor"] == "ok"


def test_forged_manifest_with_recomputed_root_is_caught_by_the_anchor(world: World) -> None:
    day = DAYS[2]
    rewrite_jsonl(world, day, lambda ls: [ls[0].replace(b'"amount":1000', b'"amount":1'), *ls[1:]])
    manifest = load_manifest(world.path(day, layout.MANIFEST)).data
    lines = world.path(day, layout.RELEASES_JSONL).read_bytes().split(b"\n")[:-1]
    manifest["merkle"]["root"] = root_from_leaf_hashes(leaf_hashes(lines)).hex()
    for entry in manifest["files"]:
        data = (world.folder(day) / entry["name"]).read_bytes()
        entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    raw = manifest_bytes(manifest)
    world.path(day, layout.MANIFEST).write_bytes(raw)
    sums = [f"{e['sha256']}  {e['name']}\n" for e in manifest["files"]]
    sums.append(f"{hashlib.sha256(raw).hexdigest()}  {world.path(day, layout.MANIFEST).name}\n")
    world.path(day, layout.CHECKSUMS).write_text("".join(sorted(sums, key=lambda s: s.split()[1])))
    record = orjson.loads(world.path(day, layout.ANCHOR).read_bytes())
    record["digest"] = hashlib.sha256(raw).hexdigest()
    world.path(day, layout.ANCHOR).write_bytes(orjson.dumps(record))

    result = verify_path(world.folder(day), world.options())
    assert statuses(result)["integrity"] == "ok"
    assert statuses(result)["inclusion"] == "ok"
    # The receipt's transaction is real, but it recorded the original digest, not the new one.
    assert failing_keys(result, "anchor") == [
        "anchor.receipt_tx_no_entry",
        "anchor.digest_mismatch",
    ]
    assert result.exit_code == 1
    offline = verify_path(world.folder(day), VerifyOptions(offline=True))
    assert offline.exit_code == 3  # only the chain can catch a fully recomputed forgery
    assert offline.checks["publisher"].status is Status.SKIPPED


def test_altered_previous_day_breaks_the_next_days_link(world: World) -> None:
    manifest_path = world.path(DAYS[0], layout.MANIFEST)
    data = load_manifest(manifest_path).data
    data["counts"]["orders"] = 999
    manifest_path.write_bytes(manifest_bytes(data))
    result = verify_path(world.folder(DAYS[1]), VerifyOptions(offline=True))
    assert failing_keys(result, "anchor") == ["anchor.previous_manifest_mismatch"]
    assert result.exit_code == 1


def test_tampered_checksums_file(world: World) -> None:
    path = world.path(DAYS[1], layout.CHECKSUMS)
    text = path.read_text()
    path.write_text(text.replace(text[:64], "0" * 64, 1))
    result = verify_path(path, world.options())
    assert failing_keys(result, "integrity") == ["integrity.sums_mismatch"]
    assert verify_path(world.folder(DAYS[1]), world.options()).exit_code == 1


def swap_days(world: World, first: dt.date, second: dt.date) -> None:
    """Exchange the contents of two day folders, renaming files to fit their new folder."""
    parked = world.root / "parked"
    shutil.move(world.folder(first), parked)
    for day, source in ((first, world.folder(second)), (second, parked)):
        other = second if day == first else first
        world.folder(day).mkdir(parents=True, exist_ok=True)
        for path in sorted(source.iterdir()):
            name = path.name.replace(other.isoformat(), day.isoformat())
            shutil.move(path, world.folder(day) / name)
        source.rmdir()


def test_swapped_day_folders(world: World) -> None:
    first, second = world.folder(DAYS[0]), world.folder(DAYS[1])
    first.rename(first.with_name("swap"))
    second.rename(first)
    first.with_name("swap").rename(second)
    result = verify_path(first, world.options())
    assert result.exit_code == 1
    assert "range.swap" in failing_keys(result, "integrity")


def test_swapped_and_renamed_day_contents(world: World) -> None:
    swap_days(world, DAYS[0], DAYS[1])
    result = verify_path(world.folder(DAYS[0]), world.options())
    assert result.exit_code == 1
    assert "integrity.manifest_field" in failing_keys(result, "integrity")
    ranged = verify_range(DatasetsRoot.at(world.root), DAYS[0], DAYS[2], world.options())
    assert "range.swap" in failing_keys(ranged, "anchor")


def test_look_alike_contract_with_the_same_roots_is_rejected(world: World) -> None:
    stranger = world.registry.stranger()
    fake = chain.PublicationLogClient(
        world.w3, chain.deploy_registry(world.w3, stranger).contract, stranger
    )
    for day in DAYS:
        digest = bytes.fromhex(load_manifest(world.path(day, layout.MANIFEST)).sha256)
        fake.publish(DATASET, day, digest)
    record_path = world.path(DAYS[1], layout.ANCHOR)
    record = orjson.loads(record_path.read_bytes())
    record.update(contract=fake.address, publisher=stranger.address)
    record_path.write_bytes(orjson.dumps(record))
    result = verify_path(world.folder(DAYS[1]), world.options())
    assert result.exit_code == 1
    fields = {n.params["field"] for n in result.checks["publisher"].notes if n.failed}
    assert fields == {"contract", "publisher"}
    # A trust.json in the data pointing at the look-alike is only a copy: it is compared with
    # the pin and named as a publisher other than the official one.
    (world.root / layout.TRUST_FILE).write_bytes(
        orjson.dumps(
            {
                "chainId": world.client.chain_id,
                "contract": fake.address,
                "publisher": world.registry.publisher.address,
            }
        )
    )
    pinned = verify_path(world.folder(DAYS[1]), world.options())
    assert pinned.exit_code == 1
    differs = [n for n in pinned.checks["publisher"].notes if n.key == "publisher.data_pin_differs"]
    assert len(differs) == 1 and differs[0].params["field"] == "contract"
    assert "publicador distinto del oficial" in differs[0].text("es")
    assert [pin.source for pin in pinned.pins_used()] == [PinSource.ARGUMENT]


def test_replay_of_an_older_root_for_a_later_day(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    replay = build_world(root, DAYS[:2], (4, 2))
    later = dt.date(2025, 3, 6)
    publish_day(root, later, 3)
    # Overwrite the later day with the first day's files, renamed, and anchor the old digest.
    folder = layout.DayLayout(root, DATASET, later).folder
    for source in layout.DayLayout(root, DATASET, DAYS[0]).folder.iterdir():
        target = folder / source.name.replace(DAYS[0].isoformat(), later.isoformat())
        if layout.ANCHOR not in source.name:
            shutil.copyfile(source, target)
    old_digest = bytes.fromhex(load_manifest(replay.path(DAYS[0], layout.MANIFEST)).sha256)
    replay.client.publish(DATASET, later, old_digest)
    single = verify_path(folder, replay.options())
    assert single.exit_code == 1
    assert "integrity.manifest_field" in failing_keys(single, "integrity")
    ranged = verify_range(DatasetsRoot.at(root), DAYS[0], later, replay.options())
    assert ranged.exit_code == 1
    assert "anchor.replay" in failing_keys(ranged, "anchor")


def test_day_missing_from_a_range(world: World) -> None:
    shutil.rmtree(world.folder(DAYS[1]))
    update_index(world.root, DATASET)
    result = verify_range(DatasetsRoot.at(world.root), DAYS[0], DAYS[2], world.options())
    assert result.exit_code == 1
    gap = next(n for n in result.checks["anchor"].notes if n.key == "range.gap")
    assert gap.params == {"date": DAYS[2].isoformat(), "previous_date": DAYS[1].isoformat()}


def test_range_without_tampering(world: World) -> None:
    result = verify_range(DatasetsRoot.at(world.root), DAYS[0], DAYS[2], world.options())
    assert result.exit_code == 0, [n.key for c in result.all_checks() for n in c.notes if n.failed]
    assert len(result.items) == 3
    assert "range.ok" in [n.key for n in result.checks["anchor"].notes]


def test_a_range_reports_what_the_registry_holds_outside_it(tmp_path: Path) -> None:
    """The dataset's head (``dataset_info``) is read: anchored days after the period and
    entries of days outside it are a line, not a failure; a day missing inside still fails."""
    days = [dt.date(2025, 3, 2), *DAYS, dt.date(2025, 3, 7)]
    wide = build_world(tmp_path / "datasets", days, (2, 2, 2, 2, 2))
    result = verify_range(DatasetsRoot.at(wide.root), DAYS[0], DAYS[2], wide.options())
    assert result.exit_code == 0, [n.key for c in result.all_checks() for n in c.notes]
    notes = {note.key: note for note in result.checks["anchor"].notes}
    assert notes["range.later_days"].params == {"end": "2025-03-05", "latest": "2025-03-07"}
    assert not notes["range.later_days"].failed
    assert notes["range.more_entries"].params == {"total": 5, "days": 5, "seen": 3, "outside": 2}
    assert "2025-03-07" in notes["range.later_days"].text("es")
    whole = verify_range(DatasetsRoot.at(wide.root), days[0], days[-1], wide.options())
    whole_keys = [note.key for note in whole.checks["anchor"].notes]
    assert whole.exit_code == 0 and "range.registry_ok" in whole_keys
    assert "range.later_days" not in whole_keys and "range.more_entries" not in whole_keys
    shutil.rmtree(wide.folder(DAYS[1]))
    update_index(wide.root, DATASET)
    missing = verify_range(DatasetsRoot.at(wide.root), DAYS[0], DAYS[2], wide.options())
    assert missing.exit_code == 1
    assert "range.anchored_missing" in failing_keys(missing, "anchor")
    assert "range.later_days" in [note.key for note in missing.checks["anchor"].notes]


# --------------------------------------------------------------------------- locating


def test_moved_file_verifies_through_the_datasets_root(world: World, tmp_path: Path) -> None:
    moved = tmp_path / world.path(DAYS[1], layout.ORDERS_PARQUET).name
    shutil.copyfile(world.path(DAYS[1], layout.ORDERS_PARQUET), moved)
    assert verify_path(moved, world.options(datasets=DatasetsRoot.at(world.root))).exit_code == 0
    lost = verify_path(moved, world.options())
    assert lost.exit_code == 2
    assert lost.checks["integrity"].notes[0].key == "locate.manifest_missing"


def test_digest_lookup_through_the_index(world: World) -> None:
    options = world.options(datasets=DatasetsRoot.at(world.root))
    csv_digest = hashlib.sha256(world.path(DAYS[2], layout.ORDERS_CSV).read_bytes()).hexdigest()
    found = verify_path(f"sha256:{csv_digest}", options)
    assert found.exit_code == 0 and found.day == DAYS[2]
    manifest_digest = load_manifest(world.path(DAYS[0], layout.MANIFEST)).sha256
    assert verify_path(f"sha256:{manifest_digest}", options).day == DAYS[0]
    missing = verify_path("sha256:" + "ab" * 32, options)
    assert missing.exit_code == 1
    assert failing_keys(missing, "integrity") == ["locate.digest_not_published"]


@pytest.fixture
def served(world: World) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(world.root))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_url_datasets_root(world: World, served: str, tmp_path: Path) -> None:
    moved = tmp_path / world.path(DAYS[0], layout.RELEASES_JSONL).name
    shutil.copyfile(world.path(DAYS[0], layout.RELEASES_JSONL), moved)
    options = world.options(datasets=DatasetsRoot.at(served))
    result = verify_path(moved, options)
    assert statuses(result) == {
        "integrity": "ok",
        "inclusion": "ok",
        "anchor": "ok",
        "publisher": "ok",
    }
    ranged = verify_range(DatasetsRoot.at(served), DAYS[0], DAYS[2], options)
    assert ranged.exit_code == 0
    world.path(DAYS[1], layout.ORDERS_CSV).write_bytes(b"altered\n")
    assert verify_range(DatasetsRoot.at(served), DAYS[0], DAYS[2], options).exit_code == 1


# --------------------------------------------------------------------------- chain states


def test_unreachable_chain_is_could_not_check(world: World) -> None:
    dead = JsonRpcChainAccess.over_http(["http://127.0.0.1:9"], timeout=2)
    result = verify_path(world.folder(DAYS[0]), VerifyOptions(chain=dead))
    assert result.exit_code == 2
    anchor = result.checks["anchor"]
    assert anchor.status is Status.SKIPPED and anchor.skip_reason is SkipReason.UNAVAILABLE
    assert statuses(result)["integrity"] == "ok"


def test_no_rpc_for_a_public_chain_is_could_not_check(world: World) -> None:
    result = verify_path(world.folder(DAYS[0]), VerifyOptions())
    assert result.exit_code == 2
    assert result.checks["anchor"].notes[-1].key == "anchor.no_rpc"


class _LaggingReader:
    """Registry reader whose finalized view has not reached the entries yet."""

    def __init__(self, world: World) -> None:
        self.real = world.access().reader(world.client.chain_id, world.client.address)
        self.dev_chain = False

    @property
    def chain_id(self) -> int:
        return self.real.chain_id

    def latest_entry(self, dataset: bytes, day: int, block: str | None = None) -> DayEntries:
        if block == "latest":
            return self.real.latest_entry(dataset, day, "latest")
        return DayEntries(None, 0)

    def get_entry(self, dataset: bytes, seq: int, block: str | None = None) -> StoredEntry | None:
        return None

    def publisher(self) -> str:
        return self.real.publisher()

    def reader(self, chain_id: int, contract: str) -> _LaggingReader:
        return self


def test_anchor_not_final_yet_is_pending(world: World) -> None:
    result = verify_path(world.folder(DAYS[0]), VerifyOptions(chain=_LaggingReader(world)))
    assert result.exit_code == 2
    assert result.checks["anchor"].notes[-1].key == "anchor.pending"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"txHash": "0x" + "ab" * 32}, "anchor.receipt_tx_missing"),
        ({"txHash": "0x1234"}, "anchor.receipt_tx_bad"),
        ({"blockNumber": 999}, "anchor.receipt_tx_block"),
        ("previous day's transaction", "anchor.receipt_tx_no_entry"),
    ],
)
def test_receipt_transaction_is_checked_online(world: World, change: Any, key: str) -> None:
    """Issue 12 case 10: the receipt's txHash and blockNumber are checked against the chain
    (the transaction exists, in that block, and the pinned registry emitted this entry)."""
    path = world.path(DAYS[1], layout.ANCHOR)
    original = path.read_bytes()
    record = orjson.loads(original)
    if isinstance(change, str):
        earlier = orjson.loads(world.path(DAYS[0], layout.ANCHOR).read_bytes())
        change = {"txHash": earlier["txHash"], "blockNumber": earlier["blockNumber"]}
    path.write_bytes(orjson.dumps(record | change))
    try:
        result = verify_path(world.folder(DAYS[1]), world.options())
        assert result.exit_code == 1
        assert failing_keys(result, "anchor") == [key]
        offline = verify_path(world.folder(DAYS[1]), VerifyOptions(offline=True))
        assert offline.exit_code == 3
        assert "anchor.receipt_unchecked" in [n.key for n in offline.checks["anchor"].notes]
    finally:
        path.write_bytes(original)


def test_anchor_receipt_without_an_anchor_on_chain(world: World, tmp_path: Path) -> None:
    other = build_world(tmp_path / "other", DAYS[:1], (2,))
    (world.root / layout.TRUST_FILE).write_bytes((other.root / layout.TRUST_FILE).read_bytes())
    result = verify_path(
        world.folder(DAYS[1]), VerifyOptions(chain=other.access(), trust=other.pin)
    )
    assert result.exit_code == 1
    assert "anchor.missing_on_chain" in failing_keys(result, "anchor")
    # Same deployer and nonce on both chains: same contract address, so the pin still holds.
    assert result.checks["publisher"].status is Status.OK
