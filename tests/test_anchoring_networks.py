"""Anchoring on real anvil nodes that the tests start, kill and restart by PID (issue 11).

- a second network (chain id 1337, a key generated here): `publicar deploy` writes a pin,
  `publicar run --chain rpc` publishes 2 days, `verificar --trust <pin>` verifies them, and a
  forged mirror with its own registry and trust.json fails against that pin;
- the chain killed mid-publish: days publish as pending; after a restart on the same state,
  `publicar anchor --pending` (or the sensor, evaluated in-process) anchors them once;
- a reorg after inclusion: the journal notices and re-sends the same signed bytes;
- a stuck transaction: replaced with the same nonce and higher fees;
- 100 days in one transaction, unauthorized writes that revert, and the registry accepting
  valid days afterwards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.backfill_helpers import memory_dagster_home
from support.chain_helpers import DATASET, Node, anchor_published, new_key, publish_day

from integrity import layout
from integrity.chain import (
    AnchorFailed,
    PublicationLogClient,
    deploy_registry,
    load_account,
)
from integrity.cli_verificar import run as verificar_run
from integrity.verify.trust import Finality, load_pin
from pipelines.cli import main as publicar
from publication.anchoring import ChainSession, anchor_pending_with
from publication.state import StateStore, store_path

pytestmark = pytest.mark.chain

DAYS = [dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 4)]
TWO_DAYS = DAYS[:2]  # where a third day would only repeat the second (one Dagster run less)
BULK = layout.bulk_dataset(DATASET)
DEAD_RPC = "http://127.0.0.1:9"  # first in every list: failover goes past it
# Synthetic volume: 2-3 orders on each day used here (the subject is anchoring, not volume).
ORDERS_PER_MONTH = 60


def verificar(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return verificar_run(list(args), out), out.getvalue()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, no PERUCOMPRAS_* variable from the caller; the Great
    Expectations cross-check off (the subject is anchoring; it costs ~1 s per table and day)."""
    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    home = memory_dagster_home(tmp_path / "dagster")  # Dagster's own storage is not the subject
    monkeypatch.setenv("PERUCOMPRAS_DAGSTER_HOME", str(home))
    monkeypatch.setenv("PERUCOMPRAS_GX_CROSS_CHECK", "false")
    return tmp_path


@pytest.fixture
def nodes() -> Iterator[list[Node]]:
    """Every node a test starts is stopped afterwards, even if the test failed."""
    started: list[Node] = []
    yield started
    for node in started:
        node.stop()


def rpc_env(monkeypatch: pytest.MonkeyPatch, node: Node, key: str, **extra: str) -> None:
    """The chain settings of a non-dev network, through the environment."""
    values = {
        "MODE": "rpc",
        "RPC_URLS": f"{DEAD_RPC},{node.url}",
        "CHAIN_ID": str(node.chain_id),
        "PRIVATE_KEY": key,
        "NETWORK": "anvil-1337",
        "FINALITY_TAG": "latest",  # a stand-in anvil: its `finalized` tag trails by 64 blocks
        "POLL_INTERVAL": "0.2",
        **extra,
    }
    for name, value in values.items():
        monkeypatch.setenv(f"PERUCOMPRAS_CHAIN__{name}", value)


def run_days(workdir: Path, first: dt.date, last: dt.date, *extra: str) -> int:
    return publicar(
        [
            "run",
            "--source",
            "synthetic",
            "--orders-per-month",
            str(ORDERS_PER_MONTH),
            "--datasets",
            str(workdir / "datasets"),
            "--from",
            first.isoformat(),
            "--to",
            last.isoformat(),
            *extra,
        ]
    )


def receipt(root: Path, day: dt.date) -> dict[str, Any]:
    return orjson.loads(layout.DayLayout(root, DATASET, day).anchor.read_bytes())


def journal(root: Path) -> list[Any]:
    with StateStore(store_path(root)) as store:
        return store.anchor_rows(DATASET)


def reader(node: Node, contract: str) -> PublicationLogClient:
    return PublicationLogClient(node.web3(), contract, finality=Finality(tag="latest"))


def deploy_pin(workdir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    """`publicar deploy` on the configured network; (pin file, what it printed)."""
    pin_file = workdir / "pin-1337.json"
    assert publicar(["deploy", "--out", str(pin_file)]) == 0
    captured = capsys.readouterr()
    assert "For the README and the portal:" in captured.out and "chain id 1337" in captured.out
    return pin_file, captured.out + captured.err


def test_second_network_deploy_publish_verify_and_a_forged_mirror_fails(
    workdir: Path,
    nodes: list[Node],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    node = Node(workdir / "node").start()
    nodes.append(node)
    key, address = new_key()
    node.fund(address)
    rpc_env(monkeypatch, node, key)

    pin_file, deploy_output = deploy_pin(workdir, capsys)
    pin = load_pin(pin_file)
    assert (pin.kind, pin.network.chain_id, pin.publisher) == ("test", 1337, address)
    assert pin.network.rpc == (DEAD_RPC, node.url)
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__CONTRACT", pin.registry.address)
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__PIN", str(pin_file))

    # --official writes into the verifier package of the checkout (here: redirected).
    import pipelines.cli.deploy as deploy_command

    official = workdir / "trust" / "prueba-oficial.json"
    assert deploy_command.official_pin_path("x").parent.name == "trust"
    monkeypatch.setattr(deploy_command, "official_pin_path", lambda name: official)
    assert publicar(["deploy", "--official", "prueba-oficial"]) == 0
    shipped = load_pin(official)
    assert (shipped.kind, shipped.name) == ("official", "prueba-oficial")
    assert "review and commit" in capsys.readouterr().out

    days = TWO_DAYS
    assert run_days(workdir, days[0], days[-1], "--chain", "rpc", "--verbose") == 0
    root = workdir / "datasets"
    records = [receipt(root, day) for day in days]
    assert [(r["status"], r["kind"], r["devChain"]) for r in records] == [("anclado", 1, False)] * 2
    assert (root / "trust.json").read_bytes() == pin_file.read_bytes()
    registry = reader(node, pin.registry.address)
    assert registry.dataset_info(DATASET).entries == 2
    for day in days:
        folder = layout.DayLayout(root, DATASET, day).folder
        code, text = verificar(str(folder), "--trust", str(pin_file))
        assert code == 0, text
        assert "primera publicación" in text
    code, text = verificar(
        str(root), "--trust", str(pin_file), "--range", days[0].isoformat(), days[-1].isoformat()
    )
    assert code == 0, text

    # The key never appears in any output or log line, in any spelling.
    captured = capsys.readouterr()
    seen = deploy_output + captured.out + captured.err + caplog.text
    assert "seq=" in captured.out and len(caplog.records) > 0  # something was said and logged
    for spelling in (key, key[2:], key[2:].upper()):
        assert spelling not in seen

    # A mirror changes one amount, rewrites the manifest and SHA256SUMS, deploys its own
    # registry, anchors the forged day there and ships its own trust.json.
    mirror = workdir / "mirror"
    shutil.copytree(root, mirror)
    forged_day = days[1]
    target = layout.DayLayout(mirror, DATASET, forged_day)
    forge_csv_amount(target)
    forger_key, forger = new_key()
    node.fund(forger)
    own = deploy_registry(node.web3(), load_account(private_key=forger_key))
    own_pin = own.pin(
        name="espejo",
        kind="official",
        dataset=DATASET,
        network="anvil-1337",
        rpc=[node.url],
        finality=Finality(tag="latest"),
    )
    forged_digest = bytes.fromhex(target_manifest_sha256(target))
    reader_of_own = PublicationLogClient(
        node.web3(), own.contract, load_account(private_key=forger_key)
    )
    assert reader_of_own.publish(DATASET, forged_day, forged_digest) is not None
    from integrity.verify.trust import write_pin

    write_pin(own_pin, mirror / "trust.json")
    record = orjson.loads(target.anchor.read_bytes())
    record.update(digest=forged_digest.hex(), contract=own.contract, publisher=forger)
    target.anchor.write_bytes(orjson.dumps(record))
    code, text = verificar(str(target.folder), "--trust", str(pin_file))
    assert code == 1, text
    assert "FALLA" in text


def forge_csv_amount(target: layout.DayLayout) -> None:
    """Change one amount in orders.csv and recompute the manifest entry and SHA256SUMS."""
    import hashlib

    from integrity.manifest import load_manifest, manifest_bytes

    csv = target.path(layout.ORDERS_CSV)
    lines = csv.read_bytes().split(b"\n")
    assert len(lines) > 2 and lines[1], "the forged day has an order to change"
    header = lines[0].split(b",")
    column = next(i for i, name in enumerate(header) if b"total" in name.lower())
    cells = lines[1].split(b",")
    cells[column] = str(int(cells[column] or b"0") + 100_000).encode()
    lines[1] = b",".join(cells)
    csv.write_bytes(b"\n".join(lines))
    manifest = load_manifest(target.manifest).data
    for entry in manifest["files"]:
        if entry["name"] == csv.name:
            data = csv.read_bytes()
            entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    raw = manifest_bytes(manifest)
    target.manifest.write_bytes(raw)
    sums = {e["name"]: e["sha256"] for e in manifest["files"]}
    sums[target.manifest.name] = hashlib.sha256(raw).hexdigest()
    target.path(layout.CHECKSUMS).write_text(
        "".join(f"{sums[name]}  {name}\n" for name in sorted(sums))
    )


def target_manifest_sha256(target: layout.DayLayout) -> str:
    import hashlib

    return hashlib.sha256(target.manifest.read_bytes()).hexdigest()


def test_chain_killed_mid_publish_then_publicar_anchor_pending(
    workdir: Path,
    nodes: list[Node],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = workdir / "chain-state.json"
    node = Node(workdir / "node", state=state).start()
    nodes.append(node)
    key, address = new_key()
    node.fund(address)
    rpc_env(monkeypatch, node, key)
    pin_file, _ = deploy_pin(workdir, capsys)
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__PIN", str(pin_file))
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__CONTRACT", load_pin(pin_file).registry.address)

    import publication.steps as steps

    real_publish = steps.publish

    def publish_then_maybe_kill(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("day") == DAYS[1] and node.pid is not None:
            time.sleep(1.5)  # anvil dumps its state every second: day 1's entry is saved
            node.kill()
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(steps, "publish", publish_then_maybe_kill)
    assert run_days(workdir, DAYS[0], DAYS[-1], "--chain", "rpc") == 0
    root = workdir / "datasets"
    assert [receipt(root, day)["status"] for day in DAYS] == ["anclado", "pendiente", "pendiente"]
    assert "no RPC endpoint answered" in receipt(root, DAYS[1])["reason"]
    index = orjson.loads((root / "index.json").read_bytes())
    assert [d["anchorStatus"] for d in index["days"]] == ["anclado", "pendiente", "pendiente"]
    assert "2 día(s) pendiente(s) de anclaje" in (root / "index.html").read_text()
    code, text = verificar(
        str(layout.DayLayout(root, DATASET, DAYS[1]).folder), "--trust", str(pin_file)
    )
    assert code == 2 and "pendiente" in text, text

    restarted = Node(workdir / "node2", state=state).start()  # same state file, new port
    nodes.append(restarted)
    rpc_env(monkeypatch, restarted, key)
    capsys.readouterr()
    assert publicar(["anchor", "--pending", "--datasets", str(root)]) == 0
    out = capsys.readouterr().out
    days_out, bulk_out = partition_bulk_lines(out)
    assert days_out.count(" anclado ") == 2 and "batch of 2" in days_out
    # The bulk files, built at the end of the run while the chain was down, are finished too.
    assert bulk_out.startswith(f"{BULK} {DAYS[-1]}  anclado ") and "batch of 1" in bulk_out
    assert [receipt(root, day)["status"] for day in DAYS] == ["anclado"] * 3
    assert_one_entry_per_day(
        restarted, root, load_pin(pin_file).registry.address, DAYS, txs=2, bulk_txs=1
    )
    for day in DAYS:  # the pin's endpoints were the old node's: name the new one
        folder = layout.DayLayout(root, DATASET, day).folder
        code, text = verificar(str(folder), "--trust", str(pin_file), "--rpc", restarted.url)
        assert code == 0, text
    assert publicar(["anchor", "--pending", "--datasets", str(root)]) == 0
    assert "no day waits for its anchor" in capsys.readouterr().out


def assert_one_entry_per_day(
    node: Node, root: Path, contract: str, days: list[dt.date], *, txs: int, bulk_txs: int = 0
) -> None:
    registry = reader(node, contract)
    assert registry.dataset_info(DATASET).entries == len(days)
    assert [registry.count(DATASET, day) for day in days] == [1] * len(days)
    rows = journal(root)
    assert [row.state for row in rows] == ["FINAL"] * len(days)
    assert len({row.tx_hash for row in rows}) == txs  # transactions counted in the journal
    # `publicar run` also builds the bulk files and anchors their manifest (dataset -bulk).
    assert registry.dataset_info(BULK).entries == bulk_txs
    publisher = load_pin(root / "trust.json").publisher
    sent = node.web3().eth.get_transaction_count(publisher)  # type: ignore[arg-type]
    assert sent == 1 + txs + bulk_txs  # the deployment, then one transaction per batch


def partition_bulk_lines(out: str) -> tuple[str, str]:
    """`publicar anchor` output: (the days' lines, the bulk manifest's lines)."""
    lines = out.splitlines(keepends=True)
    bulk = [line for line in lines if line.startswith(f"{BULK} ")]
    return "".join(line for line in lines if line not in bulk), "".join(bulk)


def test_pending_days_anchored_by_the_sensor_when_the_chain_is_back(
    workdir: Path,
    nodes: list[Node],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dagster import DagsterInstance, RunRequest, build_sensor_context

    from pipelines.pending import anchor_pending_job, pending_anchors
    from pipelines.resources import build_resources
    from settings import load_settings

    state = workdir / "chain-state.json"
    node = Node(workdir / "node", state=state).start()
    nodes.append(node)
    key, address = new_key()
    node.fund(address)
    rpc_env(monkeypatch, node, key)
    pin_file, _ = deploy_pin(workdir, capsys)
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__PIN", str(pin_file))
    monkeypatch.setenv("PERUCOMPRAS_CHAIN__CONTRACT", load_pin(pin_file).registry.address)
    monkeypatch.setenv("PERUCOMPRAS_DATASETS_ROOT", str(workdir / "datasets"))
    node.stop()  # SIGTERM: the state is dumped; the chain is down while days are published

    days = TWO_DAYS
    assert run_days(workdir, days[0], days[-1]) == 0
    root = workdir / "datasets"
    assert {receipt(root, day)["status"] for day in days} == {"pendiente"}
    instance = DagsterInstance.ephemeral()
    resources = build_resources(load_settings())
    down = pending_anchors(build_sensor_context(instance=instance, resources=resources))
    assert not isinstance(down, RunRequest)  # the chain does not answer: nothing requested

    restarted = Node(workdir / "node2", state=state).start()
    nodes.append(restarted)
    rpc_env(monkeypatch, restarted, key)
    resources = build_resources(load_settings())
    request = pending_anchors(build_sensor_context(instance=instance, resources=resources))
    assert isinstance(request, RunRequest)
    result = anchor_pending_job.execute_in_process(resources=resources, instance=instance)
    assert result.success
    assert [receipt(root, day)["status"] for day in days] == ["anclado"] * 2
    # The bulk files built while the chain was down are anchored by the same job.
    bulk_receipt = root / BULK / f"{BULK}-{days[-1]}-anchor.json"
    assert orjson.loads(bulk_receipt.read_bytes())["status"] == "anclado"
    assert_one_entry_per_day(
        restarted, root, load_pin(pin_file).registry.address, days, txs=1, bulk_txs=1
    )
    after = pending_anchors(build_sensor_context(instance=instance, resources=resources))
    assert not isinstance(after, RunRequest)


@dataclasses.dataclass
class Network:
    """A registry on a node, with a publisher key generated for the test."""

    node: Node
    key: str
    session: ChainSession

    @property
    def client(self) -> PublicationLogClient:
        return self.session.client


def network(node: Node, finality: Finality, **policy: Any) -> Network:
    key, address = new_key()
    node.fund(address)
    account = load_account(private_key=key)
    assert account is not None
    deployment = deploy_registry(node.web3(), account)
    pin = deployment.pin(
        name="prueba",
        kind="test",
        dataset=DATASET,
        network="anvil-1337",
        rpc=[node.url],
        finality=finality,
    )
    client = PublicationLogClient(
        node.web3(), deployment.contract, account, finality=finality, poll_interval=0.2, **policy
    )
    return Network(node, key, ChainSession(client, pin, dev_chain=False))


def test_reorg_after_inclusion_resends_the_same_signed_transaction(
    tmp_path: Path, nodes: list[Node]
) -> None:
    node = Node(tmp_path / "node", extra=["--block-time", "1"]).start()
    nodes.append(node)
    net = network(node, Finality(confirmations=3), finality_timeout=0)
    root = tmp_path / "datasets"
    publish_day(root, DAYS[0], 3)
    snapshot = node.rpc("evm_snapshot")
    (first,) = anchor_published(root, [DAYS[0]], net.session)
    assert first["status"] == "pendiente" and first["journalState"] == "INCLUDED"
    (row,) = journal(root)
    tx_hash, block = row.tx_hash, row.block_number

    assert node.rpc("evm_revert", [snapshot]) is True  # the block with the entry is gone
    deadline = time.monotonic() + 30
    while net.client.w3.eth.block_number <= block + 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert net.client.inclusion(bytes.fromhex(tx_hash[2:])) is None

    patient = dataclasses.replace(
        net.session,
        client=PublicationLogClient(
            node.web3(),
            net.client.address,
            net.client.account,
            finality=Finality(confirmations=3),
            poll_interval=0.2,
            finality_timeout=60,
        ),
    )
    with StateStore(store_path(root)) as store:
        from publication.anchoring import anchor_days

        (final,) = anchor_days(root, DATASET, [DAYS[0]], patient, store)
    assert final["status"] == "anclado"
    (row,) = journal(root)
    assert (row.state, row.tx_hash, row.reorgs, row.sends) == ("FINAL", tx_hash, 1, 2)
    assert row.block_number is not None and block is not None and row.block_number > block
    assert net.client.dataset_info(DATASET).entries == 1
    assert net.client.count(DATASET, DAYS[0]) == 1


def test_stuck_transaction_is_replaced_with_the_same_nonce_and_higher_fees(
    tmp_path: Path, nodes: list[Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    node = Node(tmp_path / "node").start()
    nodes.append(node)
    net = network(node, Finality(tag="latest"), tx_timeout=1.0)
    address = net.client.require_account().address.lower()
    root = tmp_path / "datasets"
    publish_day(root, DAYS[0], 3)
    node.rpc("evm_setAutomine", [False])

    seen: dict[str, int] = {}  # hash -> maxFeePerGas, in the order the pool showed them

    def miner() -> None:
        """Mine only once the pending transaction has been replaced."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pending = node.rpc("txpool_content")["pending"].get(address, {})
            for tx in pending.values():
                seen.setdefault(tx["hash"], int(tx["maxFeePerGas"], 16))
            if len(seen) >= 2:
                node.rpc("evm_mine")
                return
            time.sleep(0.1)

    writes: list[list[str]] = []
    save = StateStore.save_anchor_rows

    def watched(store: StateStore, rows: Any) -> None:
        writes.append([row.state for row in rows])
        save(store, rows)

    monkeypatch.setattr(StateStore, "save_anchor_rows", watched)
    thread = threading.Thread(target=miner, daemon=True)
    thread.start()
    (record,) = anchor_published(root, [DAYS[0]], net.session)
    thread.join(timeout=5)
    assert record["status"] == "anclado"
    # Journal writes: each signed transaction before it is sent, then the FINAL row; none
    # while polling a transaction not mined yet.
    assert writes == [["SUBMITTED"], ["SUBMITTED"], ["FINAL"]]
    (row,) = journal(root)
    (original, original_fee), (replacement, replacement_fee) = list(seen.items())[:2]
    assert row.tx_hash == replacement and orjson.loads(row.replaced or "[]") == [original]
    assert row.nonce == 1 and row.sends == 2
    assert orjson.loads(row.fee_params or "{}")["maxFeePerGas"] == replacement_fee
    assert replacement_fee >= original_fee * 1.25
    assert net.client.inclusion(bytes.fromhex(original[2:])) is None
    assert net.client.dataset_info(DATASET).entries == 1


def test_a_hundred_days_in_one_transaction_and_unauthorized_writes_revert(
    tmp_path: Path, nodes: list[Node]
) -> None:
    node = Node(tmp_path / "node", extra=["--hardfork", "paris"]).start()
    nodes.append(node)
    net = network(node, Finality(tag="latest"))
    root = tmp_path / "datasets"
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(100)]
    for day in days:
        publish_day(root, day, 1 + day.day % 3)
    records = anchor_published(root, days, net.session)
    assert {r["status"] for r in records} == {"anclado"}
    assert len({r["txHash"] for r in records}) == 1
    assert {r["batchSize"] for r in records} == {100}
    gas = records[0]["gasUsed"]
    print(f"\n100 days in one transaction: {gas:,} gas, {gas / 100:,.0f} gas per day")
    assert gas / 100 < 80_000
    assert net.client.dataset_info(DATASET).entries == 100

    # Unauthorized writes and rotations revert (tests/test_publication_log.py covers every
    # rule in process); on the node they revert too, and the registry keeps working.
    stranger_key, stranger = new_key()
    node.fund(stranger)
    w3 = node.web3()
    contract = net.client.contract
    for call in (
        contract.functions.publish(DATASET, 20250501, b"\x01" * 32),
        contract.functions.publish_batch(DATASET, [20250502], [b"\x02" * 32]),
        contract.functions.propose_publisher(stranger),
        contract.functions.set_forwarder(stranger),
    ):
        tx = call.build_transaction(
            {"from": stranger, "gas": 300_000, "nonce": w3.eth.get_transaction_count(stranger)}
        )
        signed = load_account(private_key=stranger_key).sign_transaction(tx)  # type: ignore[union-attr]
        receipt_ = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(signed.raw_transaction)
        )
        assert receipt_["status"] == 0
    outsider = PublicationLogClient(w3, net.client.address, load_account(private_key=stranger_key))
    with pytest.raises(AnchorFailed, match="would reject"):
        outsider.sign_publication(DATASET, [(dt.date(2025, 5, 1), b"\x01" * 32)], nonce=0)
    assert net.client.publisher() == net.session.pin.publisher
    later = dt.date(2025, 4, 20)
    publish_day(root, later, 2)
    (record,) = anchor_published(root, [later], net.session)
    assert (record["status"], record["seq"], record["kind"]) == ("anclado", 101, 1)
    assert anchor_pending_with(root, DATASET, lambda: _nullcontext(net.session)) == []


def _nullcontext(value: Any) -> Any:
    import contextlib

    return contextlib.nullcontext(value)


def test_blocked_day_is_anchored_late_and_a_correction_is_a_new_entry(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from perucompras.reader import COLUMNS
    from perucompras.synthetic import generate_month

    source = workdir / "fuentes"
    august = generate_month(2026, 8, source, orders=ORDERS_PER_MONTH)
    generate_month(2026, 9, source, orders=ORDERS_PER_MONTH)
    good = august.read_bytes()
    lines = good.decode("latin-1").split("\n")
    igv = COLUMNS.index("IGV")
    august.write_bytes(  # a file-level gate fails: a column is missing
        "\n".join(
            ";".join(f for i, f in enumerate(ln.split(";")) if i != igv) for ln in lines
        ).encode("latin-1")
    )
    blocked, later = dt.date(2026, 8, 31), dt.date(2026, 9, 1)  # later: the dataset's newest
    root, state = workdir / "datasets", workdir / ".devchain"  # the default root's chain

    def run(first: dt.date, last: dt.date) -> int:
        return publicar(
            [
                "run",
                "--source",
                str(source),
                "--datasets",
                str(root),
                "--from",
                str(first),
                "--to",
                str(last),
            ]
        )

    assert run(blocked, blocked) == 1
    assert not layout.DayLayout(root, DATASET, blocked).folder.exists()
    withdrawn = august.rename(workdir / august.name)  # the broken file waits for its fix
    assert run(later, later) == 0
    assert receipt(root, later)["kind"] == 1

    withdrawn.unlink()
    august.write_bytes(good)  # the fix arrives
    assert run(blocked, blocked) == 0
    late = receipt(root, blocked)
    assert (late["status"], late["kind"], late["seq"]) == ("anclado", 2, 2)
    target = layout.DayLayout(root, DATASET, blocked)
    code, text = verificar(str(target.folder), "--devchain", str(state))
    assert code == 0, text
    assert "publicación tardía" in text
    old_digest = late["digest"]

    # The day is republished on purpose (one order withdrawn): the registry holds another
    # digest, so the run stops with an alarm and nothing is sent; the operator corrects.
    formalized = COLUMNS.index("FECHA_FORMALIZACIÓN")
    drop = next(
        i
        for i, ln in enumerate(lines)
        if i and ln.count(";") >= formalized and ln.split(";")[formalized].startswith("2026-08-31")
    )
    august.write_bytes("\n".join(ln for i, ln in enumerate(lines) if i != drop).encode("latin-1"))
    target.anchor.unlink()
    capsys.readouterr()
    assert run(blocked, blocked) == 1
    assert publicar(["anchor", "--correct", str(blocked), "--datasets", str(root)]) == 0
    corrected = receipt(root, blocked)
    assert (corrected["kind"], corrected["entries"], corrected["seq"]) == (3, 2, 3)
    assert corrected["digest"] != old_digest
    code, text = verificar(str(target.folder), "--devchain", str(state))
    assert code == 0, text
    assert "corrección" in text
    from integrity.devchain import DevChain

    with DevChain(state) as chain:
        old = chain.client(read_only=True).get_entry(DATASET, 2)
        assert old is not None and old.digest.hex() == old_digest  # still readable
        assert chain.client(read_only=True).dataset_info(DATASET).entries == 3
