"""AnchorRegistry contract rules and the chain client, on an in-process eth-tester chain."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed
from web3 import EthereumTesterProvider, Web3

from integrity import chain
from integrity.chain import (
    ANVIL_CHAIN_ID,
    DEV_PRIVATE_KEYS,
    ZERO_BYTES32,
    AnchorConflict,
    AnchorFailed,
    AnchorOutOfOrder,
    AnchorReceipt,
    AnchorRegistryClient,
    ChainConfig,
    ChainConfigError,
    DevKeyRefused,
)

DATASET = "perucompras-ocam"
DAY1 = datetime.date(2026, 11, 14)
DAY2 = datetime.date(2026, 11, 15)
DAY3 = datetime.date(2026, 11, 17)


def digest_of(text: str) -> bytes:
    """Stand-in manifest digest."""
    return hashlib.sha256(text.encode()).digest()


@dataclass
class Registry:
    w3: Web3
    client: AnchorRegistryClient
    publisher: LocalAccount
    stranger: LocalAccount

    def raw_anchor(
        self, sender: LocalAccount, key: bytes, day: int, digest: bytes, previous: bytes
    ) -> dict:
        """Send anchor() directly (bypassing the client's checks) and return the receipt."""
        tx_hash = self.client.contract.functions.anchor(key, day, digest, previous).transact(
            {"from": sender.address}
        )
        return self.w3.eth.wait_for_transaction_receipt(tx_hash)


@pytest.fixture
def registry() -> Registry:
    w3 = Web3(EthereumTesterProvider())
    keys = w3.provider.ethereum_tester.backend.account_keys
    publisher, stranger = Account.from_key(keys[0]), Account.from_key(keys[1])
    address = AnchorRegistryClient.deploy(w3, publisher)
    return Registry(w3, AnchorRegistryClient(w3, address, publisher), publisher, stranger)


def anchor_day(registry: Registry, day: datetime.date, text: str) -> AnchorReceipt:
    """Anchor ``text``'s digest for ``day`` on top of the current head."""
    client = registry.client
    return client.anchor(chain.anchor_key(DATASET, day), day, digest_of(text), client.head())


def test_key_convention_is_sha256_of_dataset_slash_iso_date() -> None:
    expected = hashlib.sha256(b"perucompras-ocam/2026-11-14").digest()
    assert chain.anchor_key(DATASET, DAY1) == expected
    assert chain.day_number(DAY1) == 20261114
    with pytest.raises(ValueError, match="contain no '/'"):
        chain.anchor_key("a/b", DAY1)


def test_deploy_leaves_an_empty_registry_owned_by_the_deployer(registry: Registry) -> None:
    client = registry.client
    assert chain.code_matches_artifact(registry.w3, client.address)
    assert client.publisher() == registry.publisher.address
    assert (client.head(), client.head_day(), client.count()) == (ZERO_BYTES32, 0, 0)
    assert client.get_anchor(chain.anchor_key(DATASET, DAY1)) is None


def test_anchors_are_stored_chained_and_logged(registry: Registry) -> None:
    client, w3 = registry.client, registry.w3
    first = anchor_day(registry, DAY1, "manifest 1")
    second = anchor_day(registry, DAY3, "manifest 3")

    key1, key3 = chain.anchor_key(DATASET, DAY1), chain.anchor_key(DATASET, DAY3)
    assert (first.previous, second.previous) == (ZERO_BYTES32, key1)
    assert not first.already_anchored and not second.already_anchored
    stored = client.get_anchor(key3)
    assert stored is not None
    block = w3.eth.get_block(second.block_number)
    assert stored == chain.Anchor(
        digest_of("manifest 3"), key1, 20261117, second.block_number, block["timestamp"]
    )
    assert (client.head(), client.head_day(), client.count()) == (key3, 20261117, 2)

    receipt = w3.eth.get_transaction_receipt(second.tx_hash)
    (event,) = client.contract.events.Anchored().process_receipt(receipt)
    assert event["args"] == {
        "key": key3,
        "digest": digest_of("manifest 3"),
        "previous": key1,
        "day": 20261117,
    }


def test_gas_of_first_and_later_anchors(registry: Registry) -> None:
    w3 = registry.w3
    gas = [
        w3.eth.get_transaction_receipt(anchor_day(registry, day, day.isoformat()).tx_hash)[
            "gasUsed"
        ]
        for day in (DAY1, DAY2, DAY3)
    ]
    print(f"anchor gas: first {gas[0]}, later {gas[1]}, {gas[2]}")
    assert gas[1] == gas[2]
    assert 100_000 < gas[0] < 130_000
    assert 90_000 < gas[1] < 110_000


def test_same_value_retry_sends_no_transaction(registry: Registry) -> None:
    w3, client = registry.w3, registry.client
    original = anchor_day(registry, DAY1, "manifest 1")
    block_before = w3.eth.block_number
    nonce_before = w3.eth.get_transaction_count(registry.publisher.address)

    retry = client.anchor(
        chain.anchor_key(DATASET, DAY1), DAY1, digest_of("manifest 1"), ZERO_BYTES32
    )

    assert w3.eth.block_number == block_before
    assert w3.eth.get_transaction_count(registry.publisher.address) == nonce_before
    assert retry.already_anchored
    assert (retry.tx_hash, retry.block_number) == (original.tx_hash, original.block_number)
    assert client.count() == 1


def test_contract_treats_identical_retry_as_no_op_without_event(registry: Registry) -> None:
    key = chain.anchor_key(DATASET, DAY1)
    call = registry.client.contract.functions.anchor(key, 20261114, digest_of("m"), ZERO_BYTES32)
    assert call.call({"from": registry.publisher.address}) is True
    registry.raw_anchor(registry.publisher, key, 20261114, digest_of("m"), ZERO_BYTES32)

    assert call.call({"from": registry.publisher.address}) is False
    receipt = registry.raw_anchor(registry.publisher, key, 20261114, digest_of("m"), ZERO_BYTES32)
    assert receipt["status"] == 1
    assert receipt["logs"] == []
    assert registry.client.count() == 1


def test_conflicting_digest_raises_and_contract_reverts(registry: Registry) -> None:
    anchor_day(registry, DAY1, "manifest 1")
    key = chain.anchor_key(DATASET, DAY1)
    block_before = registry.w3.eth.block_number

    with pytest.raises(AnchorConflict, match="already anchored at block"):
        registry.client.anchor(key, DAY1, digest_of("edited manifest"), ZERO_BYTES32)
    assert registry.w3.eth.block_number == block_before

    with pytest.raises(TransactionFailed, match="already anchored"):
        registry.raw_anchor(registry.publisher, key, 20261114, digest_of("edited"), ZERO_BYTES32)
    other_previous = chain.anchor_key(DATASET, DAY2)
    with pytest.raises(TransactionFailed, match="already anchored"):
        registry.raw_anchor(
            registry.publisher, key, 20261114, digest_of("manifest 1"), other_previous
        )
    assert registry.client.get_anchor(key).digest == digest_of("manifest 1")


def test_non_publisher_is_rejected(registry: Registry) -> None:
    key = chain.anchor_key(DATASET, DAY1)
    with pytest.raises(TransactionFailed, match="only publisher"):
        registry.raw_anchor(registry.stranger, key, 20261114, digest_of("m"), ZERO_BYTES32)

    stranger_client = AnchorRegistryClient(registry.w3, registry.client.address, registry.stranger)
    with pytest.raises(AnchorFailed, match="is not the registry's publisher"):
        stranger_client.anchor(key, DAY1, digest_of("m"), ZERO_BYTES32)
    assert registry.client.count() == 0


def test_read_only_client_cannot_anchor(registry: Registry) -> None:
    reader = AnchorRegistryClient(registry.w3, registry.client.address)
    with pytest.raises(ChainConfigError, match="read-only"):
        reader.anchor(chain.anchor_key(DATASET, DAY1), DAY1, digest_of("m"), ZERO_BYTES32)


def test_previous_must_be_the_head(registry: Registry) -> None:
    anchor_day(registry, DAY1, "manifest 1")
    key2 = chain.anchor_key(DATASET, DAY2)

    with pytest.raises(AnchorOutOfOrder, match="contract's head is"):
        registry.client.anchor(key2, DAY2, digest_of("m2"), ZERO_BYTES32)
    with pytest.raises(TransactionFailed, match="previous is not head"):
        registry.raw_anchor(registry.publisher, key2, 20261115, digest_of("m2"), ZERO_BYTES32)
    assert registry.client.count() == 1


def test_day_must_increase(registry: Registry) -> None:
    anchor_day(registry, DAY2, "manifest 2")
    head = registry.client.head()
    earlier_key = chain.anchor_key(DATASET, DAY1)

    with pytest.raises(AnchorOutOfOrder, match="not after the contract's head day 20261115"):
        registry.client.anchor(earlier_key, DAY1, digest_of("m1"), head)
    with pytest.raises(TransactionFailed, match="day not after head"):
        registry.raw_anchor(registry.publisher, earlier_key, 20261114, digest_of("m1"), head)
    same_day_key = chain.anchor_key("other-dataset", DAY2)
    with pytest.raises(TransactionFailed, match="day not after head"):
        registry.raw_anchor(registry.publisher, same_day_key, 20261115, digest_of("m"), head)


def test_zero_digest_and_zero_key_are_rejected(registry: Registry) -> None:
    key = chain.anchor_key(DATASET, DAY1)
    with pytest.raises(ValueError, match="digest must not be 32 zero bytes"):
        registry.client.anchor(key, DAY1, ZERO_BYTES32, ZERO_BYTES32)
    with pytest.raises(TransactionFailed, match="empty digest"):
        registry.raw_anchor(registry.publisher, key, 20261114, ZERO_BYTES32, ZERO_BYTES32)
    with pytest.raises(TransactionFailed, match="empty key"):
        registry.raw_anchor(
            registry.publisher, ZERO_BYTES32, 20261114, digest_of("m"), ZERO_BYTES32
        )


def test_dev_keys_are_the_well_known_anvil_accounts() -> None:
    # Public addresses anvil prints at start-up for accounts 0 and 9 of the "test ... junk" mnemonic.
    addresses = [Account.from_key(key).address for key in DEV_PRIVATE_KEYS]
    assert len(addresses) == 10
    assert addresses[0] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert addresses[9] == "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"


@pytest.mark.parametrize("chain_id", [1, 137, 648529, 131277322940537])
def test_dev_keys_are_refused_outside_anvil(chain_id: int) -> None:
    for key in DEV_PRIVATE_KEYS:
        with pytest.raises(DevKeyRefused, match=f"refusing to sign on chain id {chain_id}"):
            chain.ensure_key_allowed(chain_id, key)
        with pytest.raises(DevKeyRefused):
            chain.ensure_key_allowed(chain_id, bytes.fromhex(key[2:]))


def test_dev_keys_are_allowed_on_anvil_and_own_keys_everywhere() -> None:
    for key in DEV_PRIVATE_KEYS:
        chain.ensure_key_allowed(ANVIL_CHAIN_ID, key)
    chain.ensure_key_allowed(1, Account.create().key)


def test_client_and_deploy_refuse_dev_keys_on_a_non_anvil_chain(registry: Registry) -> None:
    dev_account = Account.from_key(DEV_PRIVATE_KEYS[0])
    assert registry.w3.eth.chain_id != ANVIL_CHAIN_ID
    with pytest.raises(DevKeyRefused):
        AnchorRegistryClient(registry.w3, registry.client.address, dev_account)
    with pytest.raises(DevKeyRefused):
        chain.deploy_registry(registry.w3, dev_account)


def test_read_tag_policy() -> None:
    assert chain.default_read_tag(ANVIL_CHAIN_ID) == "latest"
    assert chain.default_read_tag(1) == "finalized"


def test_receipt_json_round_trip(registry: Registry) -> None:
    receipt = anchor_day(registry, DAY1, "manifest 1")
    data = json.loads(json.dumps(receipt.to_json_dict()))
    assert data["key"] == chain.anchor_key(DATASET, DAY1).hex()  # plain hex, as in manifests
    assert data["txHash"].startswith("0x") and len(data["txHash"]) == 66
    assert data["chainId"] == registry.w3.eth.chain_id
    assert data["contract"] == registry.client.address
    # Read back from disk, a receipt describes an anchor that already exists.
    assert AnchorReceipt.from_json_dict(data) == dataclasses.replace(receipt, already_anchored=True)


def test_config_checksums_the_contract_and_hides_the_key() -> None:
    secret = Account.create().key.hex()
    contract = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
    config = ChainConfig(
        rpc_url="http://127.0.0.1:8545",
        private_key=secret,
        contract_address=contract,  # type: ignore[arg-type]
        confirmations=3,
    )
    assert config.contract_address == Web3.to_checksum_address(contract)
    assert config.confirmations == 3
    assert config.account().address == Account.from_key(secret).address
    assert secret.removeprefix("0x") not in repr(config)


def test_config_explains_missing_or_bad_values() -> None:
    with pytest.raises(ChainConfigError, match="no RPC URL"):
        ChainConfig(rpc_url=" ")
    read_only = ChainConfig(rpc_url="/tmp/anvil.ipc")
    assert (read_only.private_key, read_only.account(), read_only.contract_address) == (
        None,
        None,
        None,
    )
    with pytest.raises(ChainConfigError, match="contract address '0x12' is not"):
        ChainConfig(rpc_url="http://x", contract_address="0x12")  # type: ignore[arg-type]
    with pytest.raises(ChainConfigError, match="confirmations must be >= 0, got -1"):
        ChainConfig(rpc_url="http://x", confirmations=-1)
    bad_key = ChainConfig(rpc_url="http://x", private_key="xyz")
    with pytest.raises(ChainConfigError, match="not a valid 32-byte hex key") as error:
        bad_key.account()
    assert "xyz" not in str(error.value)
    with pytest.raises(ChainConfigError, match="no contract address"):
        read_only.client()


def test_chain_config_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERUCOMPRAS_CONTRACT", "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    monkeypatch.setenv("PERUCOMPRAS_CONFIRMATIONS", "7")
    config = ChainConfig(rpc_url="http://127.0.0.1:8545")
    assert (config.contract_address, config.confirmations) == (None, 0)
    assert not hasattr(ChainConfig, "from_env")


def test_confirmations_and_finality(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain, "CONFIRMATION_POLL_SECONDS", 0.01)
    waiting = AnchorRegistryClient(
        registry.w3,
        registry.client.address,
        registry.publisher,
        confirmations=2,
        receipt_timeout=0.2,
    )
    with pytest.raises(AnchorFailed, match="did not reach 2 confirmations"):
        waiting.anchor(chain.anchor_key(DATASET, DAY1), DAY1, digest_of("m1"), ZERO_BYTES32)
    stored = waiting.get_anchor(chain.anchor_key(DATASET, DAY1))
    assert stored is not None
    assert not waiting.is_final(stored.block_number)
    assert registry.client.is_final(stored.block_number)

    registry.w3.provider.ethereum_tester.mine_blocks(2)
    assert waiting.is_final(stored.block_number)
