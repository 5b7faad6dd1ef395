"""The embedded dev chain with a real anvil: lifecycle, persistence, read-only copies."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import messages
from integrity import chain
from integrity.devchain import (
    DEFAULT_ANVIL_BIN,
    DevChain,
    DevChainError,
    find_anvil_bin,
    pid_is_alive,
)
from integrity.verify.trust import devchain_pin_path, load_pin

pytestmark = pytest.mark.chain

DATASET = "perucompras-ocam"
DAY1 = datetime.date(2026, 11, 14)
DAY2 = datetime.date(2026, 11, 15)


def anvil_available() -> bool:
    """Tell whether the pinned anvil binary is installed."""
    try:
        find_anvil_bin()
    except DevChainError:
        return False
    return True


requires_anvil = pytest.mark.skipif(
    not anvil_available(),
    reason="anvil not installed: run `npm ci --ignore-scripts`",
)


def anvil_pids_under(directory: Path) -> list[int]:
    """Return PIDs of anvil processes whose command line mentions ``directory``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            cmdline
            and cmdline[0].endswith(b"anvil")
            and str(directory).encode() in b" ".join(cmdline)
        ):
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def work_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder for one test's chains; any anvil still running under it is killed afterwards."""
    yield tmp_path
    leftovers = [pid for pid in anvil_pids_under(tmp_path) if pid_is_alive(pid)]
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"anvil processes left running: {leftovers}"


@pytest.fixture
def dev_chain(work_dir: Path) -> Iterator[DevChain]:
    """A DevChain in the test's folder, stopped on teardown even if the test failed."""
    devchain = DevChain(work_dir / "state", die_with_parent=True)
    try:
        yield devchain
    finally:
        devchain.stop()


def digest_of(text: str) -> bytes:
    """Stand-in manifest digest."""
    return hashlib.sha256(text.encode()).digest()


def anchor(devchain: DevChain, day: datetime.date, text: str) -> chain.Inclusion:
    """Publish ``text``'s digest for ``day`` on the dev chain's registry."""
    inclusion = devchain.client().publish(DATASET, day, digest_of(text))
    assert inclusion is not None
    return inclusion


@requires_anvil
def test_anvil_binary_is_the_argument_or_the_pinned_one_never_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERUCOMPRAS_ANVIL_BIN", str(tmp_path / "elsewhere"))
    assert find_anvil_bin() == DEFAULT_ANVIL_BIN
    with pytest.raises(DevChainError, match="give the path of an anvil binary"):
        find_anvil_bin(tmp_path / "missing-anvil")


def test_warning_is_bilingual_and_says_it_is_not_tamper_evidence() -> None:
    assert "NO prueba" in messages.text("devchain.warning", "es")
    assert "NOT tamper evidence" in messages.text("devchain.warning", "en")


def test_missing_binary_explains_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(DevChainError, match="npm ci --ignore-scripts"):
        DevChain(tmp_path, anvil_bin=tmp_path / "no-anvil")


@requires_anvil
def test_start_deploys_registry_and_records_pid(dev_chain: DevChain) -> None:
    dev_chain.start()

    pid = int((dev_chain.state_dir / "anvil.pid").read_text())
    assert pid == dev_chain.pid and pid_is_alive(pid)
    w3 = dev_chain.web3()
    assert w3.eth.chain_id == chain.ANVIL_CHAIN_ID
    recorded = json.loads(dev_chain.deployment_file.read_text())
    assert recorded["contract"] == dev_chain.deployment.contract
    assert recorded["publisher"] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert recorded["artifact_sha256"] == chain.artifact_sha256()
    assert recorded["chain_id"] == chain.ANVIL_CHAIN_ID
    assert (
        w3.eth.get_transaction_receipt(recorded["deploy_tx"])["blockNumber"]
        == (recorded["block_number"])
    )
    assert chain.code_matches_artifact(w3, recorded["contract"])
    assert dev_chain.client().publisher() == recorded["publisher"]
    pin = load_pin(devchain_pin_path(dev_chain.state_dir))  # beside the state, kind dev
    assert (pin.kind, pin.name, pin.dataset) == ("dev", "devchain", DATASET)
    assert pin.registry.address == recorded["contract"]
    assert pin.registry.deploy_tx == recorded["deploy_tx"]
    assert pin.registry.runtime_code_sha256 == chain.runtime_code_sha256()
    assert pin.network.finality.tag == "latest" and pin.network.chain_id == 31337


@requires_anvil
def test_anchor_survives_stop_and_restart(dev_chain: DevChain) -> None:
    dev_chain.start()
    first = anchor(dev_chain, DAY1, "manifest 1")
    pid = dev_chain.pid
    contract = dev_chain.deployment.contract

    dev_chain.stop()
    assert pid is not None and not pid_is_alive(pid)
    assert not (dev_chain.state_dir / "anvil.pid").exists()

    dev_chain.start()
    assert dev_chain.pid != pid
    assert dev_chain.redeployed_reason is None
    assert dev_chain.deployment.contract == contract
    client = dev_chain.client()
    stored = client.latest_entry(DATASET, DAY1).latest
    assert stored is not None
    assert (stored.digest, stored.block_number) == (digest_of("manifest 1"), first.block_number)
    block_before = client.w3.eth.block_number
    assert client.publish(DATASET, DAY1, digest_of("manifest 1")) is None  # already there
    assert client.w3.eth.block_number == block_before
    anchor(dev_chain, DAY2, "manifest 2")
    assert client.dataset_info(DATASET).entries == 2


@requires_anvil
def test_stop_by_pid_from_another_instance(dev_chain: DevChain) -> None:
    dev_chain.start()
    pid = dev_chain.pid

    assert DevChain(dev_chain.state_dir).is_running()
    DevChain(dev_chain.state_dir).stop()

    assert not pid_is_alive(pid)
    assert not DevChain(dev_chain.state_dir).is_running()


@requires_anvil
def test_second_start_on_a_running_state_is_refused(dev_chain: DevChain) -> None:
    dev_chain.start()
    with pytest.raises(DevChainError, match=f"already running \\(pid {dev_chain.pid}"):
        DevChain(dev_chain.state_dir).start()
    assert pid_is_alive(dev_chain.pid)


@requires_anvil
def test_stop_escalates_to_sigkill(work_dir: Path) -> None:
    devchain = DevChain(work_dir / "state", stop_timeout=0.5, die_with_parent=True)
    devchain.start()
    pid = devchain.pid
    os.kill(pid, signal.SIGSTOP)
    devchain.stop()  # a stopped process ignores SIGTERM: only the SIGKILL escalation ends it
    assert not pid_is_alive(pid)


@requires_anvil
def test_read_only_copy_leaves_the_state_file_untouched(
    dev_chain: DevChain, work_dir: Path
) -> None:
    dev_chain.start()
    first = anchor(dev_chain, DAY1, "manifest 1")
    dev_chain.stop()
    state_before = dev_chain.state_file.read_bytes()
    mtime_before = dev_chain.state_file.stat().st_mtime_ns

    with dev_chain.read_only(tmp_root=work_dir) as read_only:
        reader = read_only.client(read_only=True)
        stored = reader.latest_entry(DATASET, DAY1).latest
        assert stored is not None and stored.block_number == first.block_number
        writer = read_only.client()
        writer.publish(DATASET, DAY2, digest_of("only in the copy"))
        assert writer.dataset_info(DATASET).entries == 2
        time.sleep(1.2)  # longer than --state-interval: a dumping node would have written
    assert read_only.pid is None

    assert dev_chain.state_file.read_bytes() == state_before
    assert dev_chain.state_file.stat().st_mtime_ns == mtime_before
    dev_chain.start()
    assert dev_chain.client().dataset_info(DATASET).entries == 1


@requires_anvil
def test_lost_state_redeploys_and_says_so(dev_chain: DevChain) -> None:
    dev_chain.start()
    old_contract = dev_chain.deployment.contract
    anchor(dev_chain, DAY1, "manifest 1")
    dev_chain.stop()
    dev_chain.state_file.unlink()

    dev_chain.start()

    assert dev_chain.redeployed_reason is not None
    assert "earlier dev anchors are gone" in dev_chain.redeployed_reason
    recorded = json.loads(dev_chain.deployment_file.read_text())
    assert recorded["replaces"] == old_contract
    assert chain.code_matches_artifact(dev_chain.web3(), recorded["contract"])
    assert dev_chain.client().dataset_info(DATASET).entries == 0


@requires_anvil
def test_read_only_requires_existing_state(work_dir: Path) -> None:
    with pytest.raises(DevChainError, match="publish at least once first"):
        DevChain(work_dir / "empty").read_only()


@requires_anvil
def test_explicit_config_drives_the_dev_chain_over_http(dev_chain: DevChain) -> None:
    dev_chain.start()
    config = chain.ChainConfig(
        rpc_urls=("http://127.0.0.1:9", dev_chain.rpc_url),  # the first endpoint is down
        chain_id=chain.ANVIL_CHAIN_ID,
        private_key=chain.DEV_PRIVATE_KEYS[0],
        contract=dev_chain.deployment.contract,
    )
    client = config.client()
    assert client.read_block() == "latest"
    inclusion = client.publish(DATASET, DAY1, digest_of("manifest 1"))
    assert inclusion is not None and 100_000 < inclusion.gas_used < 130_000
    assert client.chain_id == chain.ANVIL_CHAIN_ID
    stored = dev_chain.client(read_only=True).latest_entry(DATASET, DAY1).latest
    assert stored is not None and stored.day == 20261114


@requires_anvil
def test_read_only_copy_of_a_running_chain_sees_the_latest_anchor(
    dev_chain: DevChain, work_dir: Path
) -> None:
    dev_chain.start()
    receipt = anchor(dev_chain, DAY1, "manifest 1")
    with dev_chain.read_only(tmp_root=work_dir) as read_only:
        stored = read_only.client(read_only=True).latest_entry(DATASET, DAY1).latest
        assert stored is not None and stored.block_number == receipt.block_number
    assert dev_chain.is_running()


@requires_anvil
def test_launched_chain_boots_in_the_background_and_anchors(work_dir: Path) -> None:
    from pipelines.resources import ChainResource

    service = ChainResource(state_dir=str(work_dir / "chain")).service()
    with service.launched(DATASET) as sessions:
        launched = anvil_pids_under(work_dir)
        assert len(launched) == 1  # running before any session was asked for
        with sessions() as session:
            assert anvil_pids_under(work_dir) == launched  # the session waits for that anvil
            assert session.dev_chain
            assert session.client.publish(DATASET, DAY1, digest_of("launched")) is not None
        assert not [pid for pid in launched if pid_is_alive(pid)]  # stopped with the session
    with service.launched(DATASET) as sessions, sessions() as session:
        stored = session.client.latest_entry(DATASET, DAY1).latest  # the state was kept
        assert stored is not None and stored.digest == digest_of("launched")


@requires_anvil
def test_launched_chain_not_used_is_stopped(work_dir: Path) -> None:
    from pipelines.resources import ChainResource

    service = ChainResource(state_dir=str(work_dir / "chain")).service()
    with service.launched(DATASET):
        launched = anvil_pids_under(work_dir)
        assert len(launched) == 1
    assert not [pid for pid in launched if pid_is_alive(pid)]
    assert not (work_dir / "chain" / "anvil.pid").exists()
