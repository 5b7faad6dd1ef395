"""The PublicationLog client (integrity.chain) on an in-process eth-tester chain.

The contract's own rules (authorization, rotation, day validation, fuzzing) are tested in
tests/test_publication_log.py; here: the typed client, keys, fees and configuration.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from eth_account import Account
from support.chain_helpers import InProcessRegistry, in_process_registry

from integrity import chain
from integrity.chain import (
    ANVIL_CHAIN_ID,
    DEV_PRIVATE_KEYS,
    ChainConfig,
    ChainConfigError,
    ChainUnavailable,
    DevKeyRefused,
    FeeParams,
    PublicationLogClient,
)
from integrity.verify.trust import Finality, load_pin, write_pin

DATASET = "perucompras-ocam"
DAYS = [dt.date(2026, 11, 14) + dt.timedelta(days=i) for i in range(8)]


def digest_of(text: str) -> bytes:
    """Stand-in manifest digest."""
    return hashlib.sha256(text.encode()).digest()


@pytest.fixture
def registry() -> InProcessRegistry:
    return in_process_registry()


def test_identifiers_are_the_contracts() -> None:
    assert chain.dataset_id(DATASET) == hashlib.sha256(b"perucompras-ocam").digest()
    assert chain.day_number(DAYS[0]) == 20261114
    assert chain.day_from_number(20261114) == DAYS[0]
    assert chain.wei_to_unit(1) == "0.000000000000000001"
    assert chain.wei_to_unit(1_500_000_000_000_000_000) == "1.5"
    assert chain.wei_to_unit(0) == "0"


def test_deploy_reports_what_a_pin_needs(registry: InProcessRegistry, tmp_path: Path) -> None:
    deployment, client = registry.deployment, registry.client
    assert chain.code_matches_artifact(registry.w3, deployment.contract)
    assert deployment.runtime_code_sha256 == chain.runtime_code_sha256()
    assert client.runtime_code_sha256() == chain.runtime_code_sha256()
    assert client.publisher() == registry.publisher.address
    assert client.forwarder() is None
    assert client.version() == chain.REGISTRY_VERSION
    assert deployment.gas_used > 1_000_000 and deployment.fee_wei > 0
    pin = registry.pin
    assert (pin.network.chain_id, pin.registry.address) == (client.chain_id, client.address)
    assert pin.registry.deploy_block == deployment.block_number
    assert pin.publisher == registry.publisher.address
    write_pin(pin, tmp_path / "pin.json")
    assert load_pin(tmp_path / "pin.json") == pin


def test_deploy_with_another_publisher_and_a_forwarder(registry: InProcessRegistry) -> None:
    hub, publisher = registry.stranger(2).address, registry.stranger(3).address
    deployment = chain.deploy_registry(
        registry.w3, registry.publisher, publisher=publisher, forwarder=hub
    )
    other = PublicationLogClient(registry.w3, deployment.contract)
    assert (other.publisher(), other.forwarder()) == (publisher, hub)
    assert deployment.forwarder == hub


def test_reads_kinds_counts_and_entries(registry: InProcessRegistry) -> None:
    client = registry.client
    assert client.latest_entry(DATASET, DAYS[0]) == chain.DayEntries(None, 0)
    assert client.dataset_info(DATASET) == chain.DatasetInfo(0, 0, 0, 0)
    first = client.publish(DATASET, DAYS[2], digest_of("d2"))
    late = client.publish(DATASET, DAYS[0], digest_of("d0"))
    fix = client.publish(DATASET, DAYS[2], digest_of("d2 corrected"))
    assert first is not None and late is not None and fix is not None
    day2 = client.latest_entry(DATASET, DAYS[2])
    assert day2.count == 2 and day2.latest is not None
    assert (day2.latest.seq, day2.latest.kind_name, day2.latest.supersedes) == (3, "correction", 1)
    assert day2.latest.block_number == fix.block_number
    assert client.latest_entry(DATASET, DAYS[0]).latest.kind == chain.KIND_LATE  # type: ignore[union-attr]
    old = client.get_entry(DATASET, 1)
    assert old is not None and old.digest == digest_of("d2") and old.date == DAYS[2]
    assert client.get_entry(DATASET, 4) is None
    assert client.count(DATASET, DAYS[2]) == 2
    assert client.dataset_info(chain.dataset_id(DATASET)) == chain.DatasetInfo(3, 3, 2, 20261116)
    assert client.find_publication_tx(DATASET, DAYS[0], late.block_number) == late.tx_hash


def test_identical_retry_sends_no_transaction(registry: InProcessRegistry) -> None:
    client, w3 = registry.client, registry.w3
    assert client.publish(DATASET, DAYS[0], digest_of("m")) is not None
    nonce = w3.eth.get_transaction_count(registry.publisher.address)
    assert client.publish(DATASET, DAYS[0], digest_of("m")) is None
    assert client.publish_batch(DATASET, [(DAYS[0], digest_of("m"))]) == []
    assert w3.eth.get_transaction_count(registry.publisher.address) == nonce


def test_batches_are_chunked_at_max_batch() -> None:
    registry = in_process_registry(max_batch=3)
    client = registry.client
    assert client.max_batch_size() == 3
    items = [(day, digest_of(str(day))) for day in DAYS[:7]]
    inclusions = client.publish_batch(DATASET, items)
    assert len(inclusions) == 3  # 3 + 3 + 1 days
    assert len({inclusion.tx_hash for inclusion in inclusions}) == 3
    assert client.dataset_info(DATASET).entries == 7
    with pytest.raises(ValueError, match="at most 3"):
        client.sign_publication(DATASET, items[:4], nonce=client.pending_nonce())


def test_explicit_nonce_signing_and_fee_bumps(registry: InProcessRegistry) -> None:
    client = registry.client
    nonce = client.pending_nonce()
    signed = client.sign_publication(DATASET, [(DAYS[0], digest_of("a"))], nonce=nonce)
    assert signed.nonce == nonce and signed.fees.max_fee is not None
    assert signed.fees.gas_limit > 100_000
    assert "raw" not in repr(signed)
    bumped = signed.fees.bumped(25)
    assert bumped.max_fee == -(-signed.fees.max_fee * 125 // 100)
    assert bumped.gas_limit == signed.fees.gas_limit
    assert FeeParams.from_json(json.loads(json.dumps(bumped.to_json()))) == bumped
    legacy = FeeParams(100_000, gas_price=0)
    assert legacy.bumped(25) == legacy  # gas-free chains (LACChain) stay at 0
    replacement = client.sign_publication(
        DATASET, [(DAYS[0], digest_of("a"))], nonce=nonce, fees=bumped
    )
    assert replacement.tx_hash != signed.tx_hash
    client.send_raw(replacement.raw)
    inclusion = client.inclusion(replacement.tx_hash)
    assert inclusion is not None and inclusion.succeeded
    assert client.inclusion(signed.tx_hash) is None


def test_a_non_publisher_cannot_sign_a_publication(registry: InProcessRegistry) -> None:
    stranger = PublicationLogClient(registry.w3, registry.client.address, registry.stranger())
    with pytest.raises(chain.AnchorFailed, match="would reject"):
        stranger.sign_publication(DATASET, [(DAYS[0], digest_of("x"))], nonce=0)
    reader = PublicationLogClient(registry.w3, registry.client.address)
    with pytest.raises(ChainConfigError, match="read-only"):
        reader.pending_nonce()


def test_finality_policy(registry: InProcessRegistry) -> None:
    assert chain.default_finality(ANVIL_CHAIN_ID) == Finality(tag="latest")
    assert chain.default_finality(137) == Finality(tag="finalized")
    inclusion = registry.client.publish(DATASET, DAYS[0], digest_of("m"))
    assert inclusion is not None
    waiting = PublicationLogClient(
        registry.w3, registry.client.address, finality=Finality(confirmations=2)
    )
    assert not waiting.is_final(inclusion.block_number)
    assert waiting.latest_entry(DATASET, DAYS[0]).latest is None  # read below the entry
    registry.w3.provider.ethereum_tester.mine_blocks(2)  # type: ignore[attr-defined]
    assert waiting.is_final(inclusion.block_number)
    assert waiting.latest_entry(DATASET, DAYS[0]).count == 1


def test_dev_keys_are_the_well_known_anvil_accounts() -> None:
    addresses = [Account.from_key(key).address for key in DEV_PRIVATE_KEYS]
    assert len(addresses) == 10
    assert addresses[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert addresses[9] == "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"


@pytest.mark.parametrize("chain_id", [1, 137, 1337, 648529])
def test_dev_keys_are_refused_outside_anvil(chain_id: int) -> None:
    for key in DEV_PRIVATE_KEYS:
        with pytest.raises(DevKeyRefused, match=f"refusing to sign on chain id {chain_id}"):
            chain.ensure_key_allowed(chain_id, key)
    chain.ensure_key_allowed(ANVIL_CHAIN_ID, DEV_PRIVATE_KEYS[0])
    chain.ensure_key_allowed(chain_id, Account.create().key)


def test_client_and_deploy_refuse_dev_keys_on_a_non_anvil_chain(
    registry: InProcessRegistry,
) -> None:
    dev_account = Account.from_key(DEV_PRIVATE_KEYS[0])
    with pytest.raises(DevKeyRefused):
        PublicationLogClient(registry.w3, registry.client.address, dev_account)
    with pytest.raises(DevKeyRefused):
        chain.deploy_registry(registry.w3, dev_account)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        _Recorder.requests.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def recording_node() -> Iterator[str]:
    """An HTTP endpoint that records every request (and answers none usefully)."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_dev_key_is_refused_before_any_network_call(recording_node: str) -> None:
    config = ChainConfig(
        rpc_urls=(recording_node,),
        chain_id=1337,
        contract="0x5FbDB2315678afecb367f032d93F642f64180aa3",
        private_key=DEV_PRIVATE_KEYS[0],
    )
    with pytest.raises(DevKeyRefused):
        config.client()
    assert _Recorder.requests == []
    unknown = ChainConfig(rpc_urls=(recording_node,), private_key=DEV_PRIVATE_KEYS[0])
    with pytest.raises(ChainConfigError, match="expected chain id"):
        unknown.account()
    assert _Recorder.requests == []


def test_keystore_keys_and_secrets_never_shown(tmp_path: Path) -> None:
    account = Account.create()
    key_hex = bytes(account.key).hex()
    keystore = tmp_path / "publicador.json"
    keystore.write_text(
        json.dumps(Account.encrypt(account.key, "clave larga", kdf="pbkdf2", iterations=1000))
    )
    config = ChainConfig(
        rpc_urls=("http://127.0.0.1:9",),
        chain_id=1337,
        keystore=keystore,
        keystore_passphrase="clave larga",
    )
    loaded = config.account()
    assert loaded is not None and loaded.address == account.address
    assert "clave larga" not in repr(config)
    wrong = ChainConfig(
        rpc_urls=("http://127.0.0.1:9",),
        chain_id=1337,
        keystore=keystore,
        keystore_passphrase="otra",
    )
    with pytest.raises(ChainConfigError, match="cannot decrypt") as error:
        wrong.account()
    assert "otra" not in str(error.value)
    raw = ChainConfig(rpc_urls=("http://x",), chain_id=1337, private_key="0x" + key_hex)
    assert key_hex not in repr(raw)
    with pytest.raises(ChainConfigError, match="not a valid 32-byte hex key") as bad:
        ChainConfig(rpc_urls=("http://x",), chain_id=1337, private_key="xyz").account()
    assert "xyz" not in str(bad.value)
    with pytest.raises(ChainConfigError, match="not both"):
        chain.load_account(private_key="0x" + key_hex, keystore=keystore, passphrase="x")


def test_config_validation() -> None:
    with pytest.raises(ChainConfigError, match="no RPC URL"):
        ChainConfig(rpc_urls=(" ",))
    with pytest.raises(ChainConfigError, match="is not an Ethereum address"):
        ChainConfig(rpc_urls=("http://x",), contract="0x12")
    config = ChainConfig(
        rpc_urls=("http://x",), contract="0x5fbdb2315678afecb367f032d93f642f64180aa3"
    )
    assert config.contract == "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    with pytest.raises(ChainConfigError, match="websocket"):
        chain.connect(["ws://127.0.0.1:8546"])


def test_no_endpoint_answering_is_chain_unavailable() -> None:
    w3 = chain.connect(["http://127.0.0.1:9", "http://127.0.0.1:10"], timeout=2)
    with pytest.raises(ChainUnavailable, match="no RPC endpoint answered") as error:
        w3.eth.chain_id  # noqa: B018
    assert "127.0.0.1:9" in str(error.value) and "127.0.0.1:10" in str(error.value)
