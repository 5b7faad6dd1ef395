"""Typed client for the AnchorRegistry contract: deploy, read and write daily anchors.

Key convention (the same as in ``contracts/anchor_registry.vy``):
``key = SHA-256(utf8("{dataset}/{YYYY-MM-DD}"))``, e.g. ``SHA-256("perucompras-ocam/2026-11-14")``;
``digest = SHA-256(manifest file bytes)``; ``day = YYYYMMDD`` as an integer; ``previous`` is the
key of the previously anchored day (the contract's ``head``; 32 zero bytes for the first one).

Read policy: reads default to the ``latest`` block on chain id 31337 (anvil, whose
``finalized`` tag trails latest by 64 blocks) and to ``finalized`` everywhere else, so a
verifier never trusts an anchor that a reorg could still remove. Writes always check the
contract state at ``latest`` first, because that is the state the transaction will meet.

Idempotency: ``AnchorRegistryClient.anchor`` sends no transaction when the key already holds
the same digest and previous key; it returns the stored block and finds the original
transaction hash from the ``Anchored`` log of that single block (``tx_hash`` is ``None`` only
if the node cannot serve logs for it).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal, cast

from integrity.keys import anchor_key, day_number  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # web3 and eth-account are imported where used: importing this is cheap
    from eth_account.signers.local import LocalAccount
    from eth_typing import ChecksumAddress
    from web3 import Web3
    from web3.contract import Contract
    from web3.types import BlockIdentifier, TxParams, TxReceipt

ARTIFACT_FILE = "anchor_registry.json"  # package data of integrity.contracts
ANVIL_CHAIN_ID = 31337
ZERO_BYTES32 = b"\x00" * 32

CONFIRMATION_POLL_SECONDS = 1.0

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 10


@cache
def _dev_private_keys() -> tuple[str, ...]:
    """Accounts 0-9 of DEV_MNEMONIC (anvil, hardhat): public knowledge, anyone can sign with
    them. Derived here (BIP-44 path m/44'/60'/0'/0/i) rather than written out as literals."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return tuple(
        "0x"
        + bytes(Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key).hex()
        for i in range(DEV_ACCOUNTS)
    )


def __getattr__(name: str) -> Any:
    """``DEV_PRIVATE_KEYS`` is derived on first use (deriving costs ~0.1 s)."""
    if name == "DEV_PRIVATE_KEYS":
        return _dev_private_keys()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ReadTag = Literal["latest", "safe", "finalized"]


class ChainError(RuntimeError):
    """Base class for anchoring errors."""


class ChainConfigError(ChainError):
    """The chain settings are missing or invalid."""


class DevKeyRefused(ChainError):
    """A publicly known development key was offered for a chain other than the local dev chain."""


class AnchorConflict(ChainError):
    """The key is already anchored with a different digest or previous key."""


class AnchorOutOfOrder(ChainError):
    """The anchor does not extend the contract's head (wrong previous key or non-increasing day)."""


class AnchorFailed(ChainError):
    """The anchoring transaction was rejected, reverted or not mined in time."""


@dataclass(frozen=True)
class Anchor:
    """One stored anchor as returned by ``get_anchor``."""

    digest: bytes
    previous: bytes
    day: int
    block_number: int
    timestamp: int


@dataclass(frozen=True)
class AnchorReceipt:
    """Where and how a day's manifest digest is anchored (written as the day's ``anchor.json``)."""

    chain_id: int
    contract: ChecksumAddress
    key: bytes
    digest: bytes
    previous: bytes
    day: int
    tx_hash: bytes | None
    block_number: int
    already_anchored: bool

    def to_json_dict(self) -> dict[str, Any]:
        """The day's ``anchor.json`` fields: plain lowercase hex for key/digest/previous (as in
        the manifest), ``0x`` hex for EVM values (contract, transaction hash)."""
        return {
            "chainId": self.chain_id,
            "contract": self.contract,
            "key": self.key.hex(),
            "day": self.day,
            "digest": self.digest.hex(),
            "previous": self.previous.hex(),
            "txHash": "0x" + self.tx_hash.hex() if self.tx_hash is not None else None,
            "blockNumber": self.block_number,
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> AnchorReceipt:
        """Rebuild a receipt from ``to_json_dict`` output (e.g. a day's ``anchor.json``)."""
        tx_hash = data.get("txHash")
        return cls(
            chain_id=int(data["chainId"]),
            contract=checksum_address(data["contract"]),
            key=_bytes32(data["key"], "key"),
            digest=_bytes32(data["digest"], "digest"),
            previous=_bytes32(data["previous"], "previous"),
            day=int(data["day"]),
            tx_hash=_from_hex(tx_hash) if tx_hash else None,
            block_number=int(data["blockNumber"]),
            already_anchored=True,
        )


@dataclass(frozen=True)
class RegistryDeployment:
    """Result of deploying the registry."""

    chain_id: int
    contract: ChecksumAddress
    publisher: ChecksumAddress
    tx_hash: bytes
    block_number: int
    gas_used: int


def default_read_tag(chain_id: int) -> ReadTag:
    """Return the block tag to read at: ``latest`` on anvil (31337), ``finalized`` elsewhere."""
    return "latest" if chain_id == ANVIL_CHAIN_ID else "finalized"


@cache
def dev_addresses() -> frozenset[str]:
    """Return the checksum addresses of the well-known development accounts 0-9."""
    from eth_account import Account

    return frozenset(Account.from_key(key).address for key in _dev_private_keys())


def is_dev_address(address: str) -> bool:
    """Tell whether an address is one of the well-known development accounts."""
    return checksum_address(address) in dev_addresses()


def ensure_key_allowed(chain_id: int, private_key: str | bytes) -> None:
    """Refuse a well-known development key on any chain id other than anvil's 31337."""
    from eth_account import Account

    address = Account.from_key(private_key).address
    ensure_account_allowed(chain_id, address)


def ensure_account_allowed(chain_id: int, address: str) -> None:
    """Refuse a well-known development account on any chain id other than anvil's 31337."""
    if chain_id != ANVIL_CHAIN_ID and is_dev_address(address):
        raise DevKeyRefused(
            f"refusing to sign on chain id {chain_id} with {address}, a public development "
            f"account derived from the mnemonic {DEV_MNEMONIC!r}: anyone can sign with it. "
            f"Configure a publisher key of your own (dev keys are only accepted on chain "
            f"id {ANVIL_CHAIN_ID})"
        )


@cache
def artifact_bytes() -> bytes:
    """Return the committed compiler artifact file as installed with the package."""
    return resources.files("integrity.contracts").joinpath(ARTIFACT_FILE).read_bytes()


@cache
def load_artifact() -> dict[str, Any]:
    """Return the committed compiler artifact (abi, bytecode, bytecode_runtime, provenance)."""
    artifact: dict[str, Any] = json.loads(artifact_bytes())
    return artifact


def artifact_sha256() -> str:
    """Return the SHA-256 hex of the committed artifact file."""
    return hashlib.sha256(artifact_bytes()).hexdigest()


def code_matches_artifact(w3: Web3, address: str) -> bool:
    """Tell whether the code at ``address`` is exactly the artifact's runtime bytecode."""
    code = bytes(w3.eth.get_code(checksum_address(address)))
    return code == _from_hex(load_artifact()["bytecode_runtime"])


def connect(rpc_url: str, timeout: float = 30.0) -> Web3:
    """Return a Web3 for an ``http(s)://`` URL or an IPC socket path."""
    from web3 import HTTPProvider, IPCProvider, Web3

    if rpc_url.startswith(("http://", "https://")):
        return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    if rpc_url.startswith(("ws://", "wss://")):
        raise ChainConfigError(
            f"RPC URL {rpc_url!r}: websocket URLs are not supported; use http(s) or IPC"
        )
    return Web3(IPCProvider(rpc_url, timeout=round(timeout)))


@dataclass(frozen=True)
class ChainConfig:
    """Where to anchor and with which key; the key never appears in repr or logs.

    Built explicitly by the caller (from the settings object): nothing here reads the
    environment. ``confirmations`` blocks are awaited after each anchor (keep 0 on anvil,
    which mines only on demand); reads use ``read_tag`` or the chain's default (see the
    module docstring).
    """

    rpc_url: str
    private_key: str | None = field(default=None, repr=False)
    contract_address: ChecksumAddress | None = None
    confirmations: int = 0
    read_tag: ReadTag | None = None
    receipt_timeout: float = 180.0

    def __post_init__(self) -> None:
        """Validate the RPC URL, the address and the confirmation count."""
        if not self.rpc_url.strip():
            raise ChainConfigError("no RPC URL: give an http(s) JSON-RPC URL or an IPC socket path")
        if self.contract_address is not None:
            from eth_utils.address import is_address

            if not is_address(self.contract_address):
                raise ChainConfigError(
                    f"contract address {self.contract_address!r} is not an Ethereum address"
                )
            object.__setattr__(self, "contract_address", checksum_address(self.contract_address))
        if self.confirmations < 0:
            raise ChainConfigError(f"confirmations must be >= 0, got {self.confirmations}")

    def account(self) -> LocalAccount | None:
        """Return the signing account, or None for read-only use."""
        if self.private_key is None:
            return None
        from eth_account import Account

        try:
            account: LocalAccount = Account.from_key(self.private_key)
        except (ValueError, TypeError) as error:
            raise ChainConfigError("the private key is not a valid 32-byte hex key") from error
        return account

    def client(self) -> AnchorRegistryClient:
        """Connect and return a client for the configured contract."""
        if self.contract_address is None:
            raise ChainConfigError("no contract address: give the registry's address")
        return AnchorRegistryClient(
            connect(self.rpc_url),
            self.contract_address,
            self.account(),
            read_tag=self.read_tag,
            confirmations=self.confirmations,
            receipt_timeout=self.receipt_timeout,
        )


def registry_factory(w3: Web3) -> type[Contract]:
    """Return a contract factory that deploys the committed registry bytecode."""
    artifact = load_artifact()
    return w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])


def registry_at(w3: Web3, address: str) -> Contract:
    """Return the registry contract bound to ``address``."""
    return w3.eth.contract(address=checksum_address(address), abi=load_artifact()["abi"])


def deploy_registry(
    w3: Web3, account: LocalAccount, receipt_timeout: float = 180.0
) -> RegistryDeployment:
    """Deploy the registry from the committed artifact with ``account`` as publisher."""
    chain_id = w3.eth.chain_id
    ensure_account_allowed(chain_id, account.address)
    factory = registry_factory(w3)
    tx = factory.constructor().build_transaction(_base_tx(w3, account, chain_id))
    receipt = _send(w3, account, tx, receipt_timeout, "deploying the AnchorRegistry")
    address = receipt["contractAddress"]
    if address is None or not code_matches_artifact(w3, address):
        raise AnchorFailed(
            f"deployment transaction {_hex(receipt['transactionHash'])} left no matching code"
        )
    return RegistryDeployment(
        chain_id=chain_id,
        contract=checksum_address(address),
        publisher=checksum_address(account.address),
        tx_hash=bytes(receipt["transactionHash"]),
        block_number=receipt["blockNumber"],
        gas_used=receipt["gasUsed"],
    )


class AnchorRegistryClient:
    """Reads and writes anchors on one deployed AnchorRegistry."""

    def __init__(
        self,
        w3: Web3,
        contract_address: str,
        account: LocalAccount | None = None,
        *,
        read_tag: ReadTag | None = None,
        confirmations: int = 0,
        receipt_timeout: float = 180.0,
    ) -> None:
        """Bind to the registry at ``contract_address``; ``account`` None means read-only."""
        self.w3 = w3
        self.address: ChecksumAddress = checksum_address(contract_address)
        self.account = account
        self.contract = registry_at(w3, self.address)
        self.confirmations = confirmations
        self.receipt_timeout = receipt_timeout
        self._read_tag = read_tag
        if account is not None:
            ensure_account_allowed(self.chain_id, account.address)

    @classmethod
    def deploy(cls, w3: Web3, account: LocalAccount) -> ChecksumAddress:
        """Deploy a new registry published by ``account`` and return its address."""
        return deploy_registry(w3, account).contract

    @cached_property
    def chain_id(self) -> int:
        """Chain id of the connected node."""
        return self.w3.eth.chain_id

    @property
    def read_tag(self) -> BlockIdentifier:
        """Default block to read at (see the module docstring)."""
        return self._read_tag or default_read_tag(self.chain_id)

    def get_anchor(self, key: bytes, block: BlockIdentifier | None = None) -> Anchor | None:
        """Return the anchor stored under ``key`` (eth_call), or None if there is none."""
        digest, previous, day, block_number, timestamp = self.contract.functions.get_anchor(
            _bytes32(key, "key")
        ).call(block_identifier=block or self.read_tag)
        if bytes(digest) == ZERO_BYTES32:
            return None
        return Anchor(bytes(digest), bytes(previous), day, block_number, timestamp)

    def head(self, block: BlockIdentifier | None = None) -> bytes:
        """Return the key of the latest anchor (32 zero bytes before the first one)."""
        return bytes(self.contract.functions.head().call(block_identifier=block or self.read_tag))

    def head_day(self, block: BlockIdentifier | None = None) -> int:
        """Return the YYYYMMDD day of the latest anchor (0 before the first one)."""
        return int(self.contract.functions.head_day().call(block_identifier=block or self.read_tag))

    def count(self, block: BlockIdentifier | None = None) -> int:
        """Return the number of anchors."""
        return int(self.contract.functions.count().call(block_identifier=block or self.read_tag))

    def publisher(self) -> ChecksumAddress:
        """Return the only address allowed to anchor."""
        return checksum_address(self.contract.functions.publisher().call())

    def is_final(self, block_number: int) -> bool:
        """Tell whether ``block_number`` is within the read tag and has enough confirmations."""
        read_block = self.w3.eth.get_block(self.read_tag)["number"]
        latest = self.w3.eth.block_number
        return block_number <= read_block and latest - block_number >= self.confirmations

    def anchor(
        self, key: bytes, day: datetime.date, digest: bytes, previous: bytes
    ) -> AnchorReceipt:
        """Anchor ``digest`` under ``key``; identical retries send nothing, conflicts raise."""
        key, digest, previous = (
            _bytes32(key, "key"),
            _bytes32(digest, "digest"),
            _bytes32(previous, "previous"),
        )
        if digest == ZERO_BYTES32:
            raise ValueError("digest must not be 32 zero bytes")
        day_value = day_number(day)
        stored = self.get_anchor(key, block="latest")
        if stored is not None:
            return self._existing_receipt(key, day_value, digest, previous, stored)
        head = self.head("latest")
        head_day = self.head_day("latest")
        if previous != head:
            raise AnchorOutOfOrder(
                f"anchor for {day.isoformat()} names previous {_hex(previous)} but the "
                f"contract's head is {_hex(head)} (day {head_day}): anchor the missing days "
                f"first, or pass the head as previous"
            )
        if day_value <= head_day:
            raise AnchorOutOfOrder(
                f"day {day_value} is not after the contract's head day {head_day}: anchors "
                f"must be published in strictly increasing day order"
            )
        account = self._require_account()
        publisher = self.publisher()
        if account.address != publisher:
            raise AnchorFailed(
                f"account {account.address} is not the registry's publisher {publisher}: "
                f"sign with the key that deployed {self.address}"
            )
        from web3.exceptions import ContractLogicError

        call = self.contract.functions.anchor(key, day_value, digest, previous)
        try:
            tx = call.build_transaction(_base_tx(self.w3, account, self.chain_id))
        except ContractLogicError as error:
            raise AnchorFailed(f"the registry rejected the anchor for {day}: {error}") from error
        receipt = _send(self.w3, account, tx, self.receipt_timeout, f"anchoring {day}")
        self._wait_confirmations(receipt["blockNumber"])
        return AnchorReceipt(
            chain_id=self.chain_id,
            contract=self.address,
            key=key,
            digest=digest,
            previous=previous,
            day=day_value,
            tx_hash=bytes(receipt["transactionHash"]),
            block_number=receipt["blockNumber"],
            already_anchored=False,
        )

    def find_anchor_tx(self, key: bytes, block_number: int) -> bytes | None:
        """Return the hash of the transaction that anchored ``key`` in ``block_number``."""
        logs = self.contract.events.Anchored.get_logs(
            from_block=block_number,
            to_block=block_number,
            argument_filters={"key": _bytes32(key, "key")},
        )
        return bytes(logs[0]["transactionHash"]) if logs else None

    def _existing_receipt(
        self, key: bytes, day_value: int, digest: bytes, previous: bytes, stored: Anchor
    ) -> AnchorReceipt:
        """Return the receipt of an identical stored anchor, or raise AnchorConflict."""
        if stored.digest != digest or stored.previous != previous:
            raise AnchorConflict(
                f"key {_hex(key)} (day {stored.day}) is already anchored at block "
                f"{stored.block_number} with digest {_hex(stored.digest)} and previous "
                f"{_hex(stored.previous)}; refusing digest {_hex(digest)} previous "
                f"{_hex(previous)}. Anchors are write-once: the published manifest for this "
                f"day changed after it was anchored, publish a correction under a new day"
            )
        return AnchorReceipt(
            chain_id=self.chain_id,
            contract=self.address,
            key=key,
            digest=digest,
            previous=previous,
            day=stored.day,
            tx_hash=self.find_anchor_tx(key, stored.block_number),
            block_number=stored.block_number,
            already_anchored=True,
        )

    def _require_account(self) -> LocalAccount:
        """Return the signing account or explain that the client is read-only."""
        if self.account is None:
            raise ChainConfigError(
                "this registry client is read-only: give it the publisher's private key"
            )
        return self.account

    def _wait_confirmations(self, block_number: int) -> None:
        """Block until ``block_number`` has the configured number of confirmations."""
        deadline = time.monotonic() + self.receipt_timeout
        while self.w3.eth.block_number - block_number < self.confirmations:
            if time.monotonic() > deadline:
                raise AnchorFailed(
                    f"block {block_number} did not reach {self.confirmations} confirmations "
                    f"within {self.receipt_timeout:.0f} s"
                )
            time.sleep(CONFIRMATION_POLL_SECONDS)


def _base_tx(w3: Web3, account: LocalAccount, chain_id: int) -> TxParams:
    """Return the sender, nonce and chain id for a locally signed transaction."""
    return {
        "from": account.address,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": chain_id,
    }


def _send(w3: Web3, account: LocalAccount, tx: TxParams, timeout: float, action: str) -> TxReceipt:
    """Sign, send and wait for ``tx``; raise AnchorFailed if it reverts or times out."""
    from web3.exceptions import TimeExhausted

    signed = account.sign_transaction(cast("dict[str, Any]", tx))
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    try:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
    except TimeExhausted as error:
        raise AnchorFailed(
            f"{action}: transaction {_hex(tx_hash)} was not mined within {timeout:.0f} s"
        ) from error
    if receipt["status"] != 1:
        raise AnchorFailed(f"{action}: transaction {_hex(tx_hash)} reverted")
    return receipt


def _bytes32(value: bytes | str, name: str) -> bytes:
    """Return ``value`` as exactly 32 bytes (accepting 0x-hex strings)."""
    raw = _from_hex(value) if isinstance(value, str) else bytes(value)
    if len(raw) != 32:
        raise ValueError(f"{name} must be 32 bytes, got {len(raw)}")
    return raw


def checksum_address(address: str) -> ChecksumAddress:
    """Return the EIP-55 checksum form of an address (ValueError if it is not one)."""
    from eth_utils.address import to_checksum_address

    return to_checksum_address(address)


def _from_hex(value: str) -> bytes:
    """Bytes of a hex string, with or without ``0x``."""
    return bytes.fromhex(value.removeprefix("0x").removeprefix("0X"))


def _hex(value: bytes) -> str:
    """Return 0x-prefixed lowercase hex."""
    return "0x" + bytes(value).hex()
