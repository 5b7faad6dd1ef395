"""Typed client for the ``PublicationLog`` registry (v2): deploy, publish and read entries.

``dataset_id`` and ``day_number`` come from ``integrity.keys`` (re-exported here).

Identifiers (``docs/registry.md``): the dataset id is ``SHA-256(utf8(name))``, computed by the
contract from the name on writes and passed as ``bytes32`` to reads; a day is ``YYYYMMDD`` as a
``uint32``; the digest is the SHA-256 of the day's manifest file. The contract derives each
entry's kind (1 first publication, 2 late publication, 3 correction).

Reads happen at the configured finality (``Finality``: a block tag, or N confirmations below
the latest block); the default is ``latest`` on anvil (chain id 31337, whose ``finalized`` tag
trails latest by 64 blocks) and ``finalized`` everywhere else. Writes are built with an
explicit nonce and explicit fees so that the caller (the anchor journal of
``publication.anchoring``) can record the signed transaction before it is sent, re-send the
same bytes after a reorg, or replace a stuck transaction with the same nonce and a higher fee;
what a new transaction needs from the node (pending nonce, gas estimate, fees) is asked in one
JSON-RPC batch, and so are the receipts of several transactions.

RPC endpoints are tried in order (failover) for every request and every JSON-RPC batch (a node
that refuses batches is read one call at a time); when none answers, ``ChainUnavailable`` is
raised. Keys are loaded and checked (no development key outside chain id 31337) before any
network call, and never appear in a repr, a message or a log line.
web3 and eth-account are imported inside the functions that use them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from integrity.keys import dataset_id, day_number
from integrity.verify.trust import Finality, Network, Pin, Registry

__all__ = [
    "ANVIL_CHAIN_ID",
    "KIND_CORRECTION",
    "KIND_FIRST",
    "KIND_LATE",
    "REGISTRY_VERSION",
    "AnchorConflict",
    "AnchorFailed",
    "ChainConfig",
    "ChainConfigError",
    "ChainError",
    "ChainUnavailable",
    "DatasetInfo",
    "DayEntries",
    "DevKeyRefused",
    "Entry",
    "FeeParams",
    "Inclusion",
    "PublicationLogClient",
    "RegistryDeployment",
    "SignedTx",
    "checksum_address",
    "code_matches_artifact",
    "connect",
    "dataset_id",
    "day_from_number",
    "day_number",
    "default_finality",
    "deploy_registry",
    "ensure_account_allowed",
    "ensure_key_allowed",
    "load_account",
    "load_artifact",
    "runtime_code_sha256",
    "wei_to_unit",
]

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from eth_typing import ChecksumAddress
    from web3 import Web3
    from web3.contract import Contract
    from web3.types import BlockIdentifier, TxParams

log = logging.getLogger(__name__)

ARTIFACT_FILE = "publication_log.json"  # package data of integrity.contracts
REGISTRY_VERSION = "publication-log/2"
ANVIL_CHAIN_ID = 31337
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_BYTES32 = b"\x00" * 32

KIND_FIRST, KIND_LATE, KIND_CORRECTION = 1, 2, 3
KIND_NAMES = {KIND_FIRST: "first", KIND_LATE: "late", KIND_CORRECTION: "correction"}

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 10
GAS_MARGIN = 1.25  # gas limit = estimate x margin (storage costs depend on the state met)
MIN_FEE_BUMP_PERCENT = 10  # nodes refuse a replacement that does not raise fees by 10 %
WEI_PER_UNIT = 10**18
# web3's validation middleware asks the node its chain id before and after every eth_call
# (two extra round trips a read); an endpoint's chain id does not change: ask it once.
CHAIN_ID_CACHED: dict[str, Any] = {
    "cache_allowed_requests": True,
    "cacheable_requests": {"eth_chainId"},
}


@cache
def dev_private_key(index: int) -> str:
    """Account ``index`` of DEV_MNEMONIC (anvil, hardhat): public knowledge, anyone can sign
    with it. Derived here (BIP-44 path m/44'/60'/0'/0/i) rather than written out as a literal;
    one at a time, as each costs ~50 ms of pure-Python elliptic-curve arithmetic."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    path = f"m/44'/60'/0'/0/{index}"
    return "0x" + bytes(Account.from_mnemonic(DEV_MNEMONIC, account_path=path).key).hex()


@cache
def _dev_private_keys() -> tuple[str, ...]:
    """Accounts 0-9 of DEV_MNEMONIC."""
    return tuple(dev_private_key(i) for i in range(DEV_ACCOUNTS))


def __getattr__(name: str) -> Any:
    """``DEV_PRIVATE_KEYS`` is derived on first use (deriving costs ~0.1 s)."""
    if name == "DEV_PRIVATE_KEYS":
        return _dev_private_keys()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ChainError(RuntimeError):
    """Base class for anchoring errors."""


class ChainConfigError(ChainError):
    """The chain settings are missing or invalid."""


class DevKeyRefused(ChainConfigError):
    """A publicly known development key was offered for a chain other than the local dev chain."""


class ChainUnavailable(ChainError):
    """No configured RPC endpoint answered."""


class AnchorConflict(ChainError):
    """The registry already holds a different digest as the day's latest entry."""


class AnchorFailed(ChainError):
    """A transaction was rejected or reverted."""


def day_from_number(value: int) -> dt.date:
    """The date of a YYYYMMDD integer (ValueError if it is not a real date)."""
    return dt.date(value // 10_000, value // 100 % 100, value % 100)


def wei_to_unit(wei: int) -> str:
    """A wei amount in the chain's native unit (18 decimals), as a plain decimal string."""
    text = format(Decimal(wei) / WEI_PER_UNIT, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Entry:
    """One registry entry (``Entry`` of the contract)."""

    seq: int
    previous: int
    day: int
    kind: int
    digest: bytes
    supersedes: int
    block_number: int
    timestamp: int

    @classmethod
    def from_abi(cls, values: Sequence[Any]) -> Entry | None:
        """An entry from the ABI-decoded tuple; None for the all-zero "no entry" answer."""
        seq, previous, day, kind, digest, supersedes, block_number, timestamp = values
        if int(seq) == 0:
            return None
        return cls(
            int(seq),
            int(previous),
            int(day),
            int(kind),
            bytes(digest),
            int(supersedes),
            int(block_number),
            int(timestamp),
        )

    @property
    def date(self) -> dt.date:
        """The entry's day as a date."""
        return day_from_number(self.day)

    @property
    def kind_name(self) -> str:
        """``first``, ``late`` or ``correction``."""
        return KIND_NAMES.get(self.kind, f"kind {self.kind}")


@dataclass(frozen=True)
class DayEntries:
    """What ``latest_entry`` answers: the day's latest entry (None if none) and its count."""

    latest: Entry | None
    count: int


@dataclass(frozen=True)
class DatasetInfo:
    """Head ``seq`` (= number of entries), distinct days and latest day of a dataset."""

    head: int
    entries: int
    days: int
    latest_day: int


@dataclass(frozen=True)
class FeeParams:
    """Gas limit and fees of one transaction: EIP-1559 fields, or a legacy gas price (chains
    without a base fee, e.g. LACChain, where it is 0)."""

    gas_limit: int
    max_fee: int | None = None
    max_priority_fee: int | None = None
    gas_price: int | None = None

    def tx_fields(self) -> dict[str, int]:
        """The fee fields of a transaction dictionary."""
        if self.gas_price is not None:
            return {"gas": self.gas_limit, "gasPrice": self.gas_price}
        assert self.max_fee is not None and self.max_priority_fee is not None
        return {
            "gas": self.gas_limit,
            "maxFeePerGas": self.max_fee,
            "maxPriorityFeePerGas": self.max_priority_fee,
            "type": 2,
        }

    def bumped(self, percent: int) -> FeeParams:
        """The same limit with every fee raised by ``percent`` (at least 1 wei if not zero)."""

        def up(value: int | None) -> int | None:
            if value is None or value == 0:
                return value
            return max(value + 1, math.ceil(value * (100 + percent) / 100))

        return FeeParams(
            self.gas_limit, up(self.max_fee), up(self.max_priority_fee), up(self.gas_price)
        )

    def to_json(self) -> dict[str, int]:
        """The fee parameters as recorded in the journal."""
        return {
            key: value
            for key, value in (
                ("gas", self.gas_limit),
                ("maxFeePerGas", self.max_fee),
                ("maxPriorityFeePerGas", self.max_priority_fee),
                ("gasPrice", self.gas_price),
            )
            if value is not None
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeeParams:
        """Rebuild from ``to_json``."""

        def get(name: str) -> int | None:
            return int(data[name]) if data.get(name) is not None else None

        return cls(
            int(data["gas"]), get("maxFeePerGas"), get("maxPriorityFeePerGas"), get("gasPrice")
        )


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction: what the journal records before sending it."""

    nonce: int
    tx_hash: bytes
    raw: bytes = field(repr=False)
    fees: FeeParams


@dataclass(frozen=True)
class Inclusion:
    """A mined transaction: its block, gas used and the fee paid (wei)."""

    tx_hash: bytes
    block_number: int
    block_hash: bytes
    gas_used: int
    fee_wei: int
    succeeded: bool


@dataclass(frozen=True)
class RegistryDeployment:
    """Result of deploying the registry."""

    chain_id: int
    contract: ChecksumAddress
    publisher: ChecksumAddress
    forwarder: ChecksumAddress | None
    tx_hash: bytes
    block_number: int
    gas_used: int
    fee_wei: int
    runtime_code_sha256: str

    def pin(
        self,
        *,
        name: str,
        kind: str,
        dataset: str,
        network: str,
        rpc: Sequence[str],
        finality: Finality,
        created_at: dt.datetime | None = None,
    ) -> Pin:
        """The trust pin of this deployment (``integrity.verify.trust`` format, validated)."""
        created = (created_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        return Pin(
            name=name,
            kind=cast(Any, kind),
            dataset=dataset,
            network=Network(network, self.chain_id, tuple(rpc), finality),
            registry=Registry(
                address=self.contract,
                deploy_tx="0x" + self.tx_hash.hex(),
                deploy_block=self.block_number,
                runtime_code_sha256=self.runtime_code_sha256,
                version=REGISTRY_VERSION,
            ),
            publisher=self.publisher,
            created_at=created.isoformat().replace("+00:00", "Z"),
        ).validate()


def default_finality(chain_id: int) -> Finality:
    """``latest`` on anvil (31337), the ``finalized`` tag everywhere else."""
    return Finality(tag="latest") if chain_id == ANVIL_CHAIN_ID else Finality(tag="finalized")


@cache
def dev_addresses() -> frozenset[str]:
    """Return the checksum addresses of the well-known development accounts 0-9."""
    from eth_account import Account

    return frozenset(Account.from_key(key).address for key in _dev_private_keys())


def is_dev_address(address: str) -> bool:
    """Tell whether an address is one of the well-known development accounts."""
    return checksum_address(address) in dev_addresses()


def ensure_account_allowed(chain_id: int | None, address: str) -> None:
    """Refuse a well-known development account on any chain id other than anvil's 31337."""
    if chain_id != ANVIL_CHAIN_ID and is_dev_address(address):
        raise DevKeyRefused(
            f"refusing to sign on chain id {chain_id} with {address}, a public development "
            f"account derived from the mnemonic {DEV_MNEMONIC!r}: anyone can sign with it. "
            f"Configure a publisher key of your own (dev keys are only accepted on chain "
            f"id {ANVIL_CHAIN_ID})"
        )


def ensure_key_allowed(chain_id: int | None, private_key: str | bytes) -> None:
    """Refuse a well-known development key on any chain id other than anvil's 31337."""
    ensure_account_allowed(chain_id, _account_from_key(private_key).address)


def load_account(
    *,
    private_key: str | None = None,
    keystore: Path | None = None,
    passphrase: str | None = None,
) -> LocalAccount | None:
    """The signing account from a raw key or an eth-account keystore file (None if neither).

    No network call; error messages never contain the key or the passphrase.
    """
    if private_key and keystore is not None:
        raise ChainConfigError("give a private key or a keystore, not both")
    if private_key:
        return _account_from_key(private_key)
    if keystore is None:
        return None
    from eth_account import Account

    try:
        encrypted = json.loads(Path(keystore).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ChainConfigError(f"cannot read the keystore {keystore}: {error}") from None
    if passphrase is None:
        raise ChainConfigError(f"the keystore {keystore} needs its passphrase")
    try:
        key = Account.decrypt(encrypted, passphrase)
    except (ValueError, TypeError, KeyError):
        raise ChainConfigError(
            f"cannot decrypt the keystore {keystore}: wrong passphrase or not an eth-account "
            "keystore"
        ) from None
    return _account_from_key(bytes(key))


def _account_from_key(private_key: str | bytes) -> LocalAccount:
    from eth_account import Account

    try:
        key = private_key.strip() if isinstance(private_key, str) else private_key
        account: LocalAccount = Account.from_key(key)
    except (ValueError, TypeError, AttributeError):
        raise ChainConfigError("the private key is not a valid 32-byte hex key") from None
    return account


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


def runtime_code() -> bytes:
    """The artifact's runtime bytecode (what a deployment leaves on chain: no immutables)."""
    return _from_hex(load_artifact()["bytecode_runtime"])


def runtime_code_sha256() -> str:
    """SHA-256 hex of the artifact's runtime bytecode (a trust pin's ``runtimeCodeSha256``)."""
    return hashlib.sha256(runtime_code()).hexdigest()


def code_matches_artifact(w3: Web3, address: str) -> bool:
    """Tell whether the code at ``address`` is exactly the artifact's runtime bytecode."""
    return bytes(w3.eth.get_code(checksum_address(address))) == runtime_code()


def connect(rpc_urls: str | Sequence[str], timeout: float = 30.0) -> Web3:
    """A Web3 over one or more endpoints (http(s) URLs or IPC paths), tried in order."""
    from web3 import Web3

    urls = [rpc_urls] if isinstance(rpc_urls, str) else list(rpc_urls)
    urls = [url.strip() for url in urls if url.strip()]
    if not urls:
        raise ChainConfigError("no RPC URL: give an http(s) JSON-RPC URL or an IPC socket path")
    for url in urls:
        if url.startswith(("ws://", "wss://")):
            raise ChainConfigError(
                f"RPC URL {url!r}: websocket URLs are not supported; use http(s) or IPC"
            )
    return Web3(_failover_provider(urls, timeout))


def _failover_provider(urls: list[str], timeout: float) -> Any:
    """A provider that sends each request to the first endpoint that answers."""
    import requests
    from web3 import HTTPProvider, IPCProvider
    from web3.exceptions import ProviderConnectionError
    from web3.providers.base import JSONBaseProvider

    def make(url: str) -> Any:
        if url.startswith(("http://", "https://")):
            return HTTPProvider(
                url,
                request_kwargs={"timeout": timeout},
                exception_retry_configuration=None,
                **CHAIN_ID_CACHED,
            )
        return IPCProvider(url, timeout=max(1, round(timeout)))

    unreachable = (
        requests.exceptions.ConnectionError,
        requests.exceptions.Timeout,
        ProviderConnectionError,
        ConnectionError,
        FileNotFoundError,
        TimeoutError,
    )

    class FailoverProvider(JSONBaseProvider):
        """Tries the endpoints in order; a JSON-RPC error is an answer, not a failure."""

        def __init__(self) -> None:
            super().__init__()
            self.providers = [(url, make(url)) for url in urls]

        def make_request(self, method: Any, params: Any) -> Any:
            errors = []
            for url, provider in self.providers:
                try:
                    return provider.make_request(method, params)
                except unreachable as error:
                    errors.append(f"{url}: {_first_line(error)}")
                except requests.exceptions.HTTPError as error:
                    errors.append(f"{url}: {_first_line(error)}")
            raise ChainUnavailable("no RPC endpoint answered (" + "; ".join(errors) + ")")

        def make_batch_request(self, requests_: Any) -> Any:
            """The first endpoint that answers takes the batch; an HTTP error from one (e.g. a
            node that refuses batches) is raised when none took it, so that the caller reads
            one call at a time instead (and finds the chain unavailable only if that fails)."""
            errors = []
            refused: requests.exceptions.HTTPError | None = None
            for url, provider in self.providers:
                try:
                    return provider.make_batch_request(requests_)
                except unreachable as error:
                    errors.append(f"{url}: {_first_line(error)}")
                except requests.exceptions.HTTPError as error:
                    errors.append(f"{url}: {_first_line(error)}")
                    refused = refused or error
            if refused is not None:
                raise refused
            raise ChainUnavailable("no RPC endpoint answered (" + "; ".join(errors) + ")")

        def is_connected(self, show_traceback: bool = False) -> bool:
            return any(provider.is_connected() for _, provider in self.providers)

    return FailoverProvider()


def registry_at(w3: Web3, address: str) -> Contract:
    """Return the registry contract bound to ``address``."""
    return w3.eth.contract(address=checksum_address(address), abi=load_artifact()["abi"])


def suggest_fees(w3: Web3, gas_estimate: int) -> FeeParams:
    """Fees for a new transaction: EIP-1559 (2 x base fee + tip) where blocks have a base fee,
    else the node's gas price."""
    base_fee = w3.eth.get_block("latest").get("baseFeePerGas")
    return _fee_params(
        gas_estimate,
        None if base_fee is None else int(base_fee),
        None,
        lambda: int(w3.eth.max_priority_fee),
        None,
        lambda: int(w3.eth.gas_price),
    )


def _fee_params(
    gas_estimate: int,
    base_fee: int | None,
    tip: int | None,
    read_tip: Callable[[], int],
    gas_price: int | None,
    read_gas_price: Callable[[], int],
) -> FeeParams:
    """``suggest_fees`` from the latest block's base fee, with the tip or gas price read
    already (else read now, only the one the chain needs)."""
    gas_limit = math.ceil(gas_estimate * GAS_MARGIN)
    if base_fee is None:
        return FeeParams(
            gas_limit, gas_price=gas_price if gas_price is not None else read_gas_price()
        )
    tip = tip if tip is not None else read_tip()
    return FeeParams(gas_limit, max_fee=2 * base_fee + tip, max_priority_fee=tip)


def deploy_registry(
    w3: Web3,
    account: LocalAccount,
    *,
    publisher: str | None = None,
    forwarder: str | None = None,
    timeout: float = 300.0,
    expected_chain_id: int | None = None,
) -> RegistryDeployment:
    """Deploy the committed artifact; the publisher defaults to the deploying account."""
    if expected_chain_id is not None:
        ensure_account_allowed(expected_chain_id, account.address)  # before any network call
    chain_id = int(w3.eth.chain_id)
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise ChainConfigError(f"the node serves chain id {chain_id}, not {expected_chain_id}")
    ensure_account_allowed(chain_id, account.address)
    publisher_address = checksum_address(publisher or account.address)
    forwarder_address = checksum_address(forwarder) if forwarder else None
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    constructor = factory.constructor(publisher_address, forwarder_address or ZERO_ADDRESS)
    estimate = int(constructor.estimate_gas({"from": account.address}))
    fees = suggest_fees(w3, estimate)
    tx = constructor.build_transaction(
        cast(
            "TxParams",
            {
                "from": account.address,
                "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                "chainId": chain_id,
                **fees.tx_fields(),
            },
        )
    )
    signed = account.sign_transaction(cast("dict[str, Any]", tx))
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    inclusion = _wait_receipt(w3, bytes(tx_hash), timeout, "deploying the PublicationLog")
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    address = receipt["contractAddress"]
    if not inclusion.succeeded or address is None or not code_matches_artifact(w3, address):
        raise AnchorFailed(
            f"deployment transaction {_hex(tx_hash)} left no code matching the artifact"
        )
    log.info("deployed the PublicationLog at %s (tx %s)", address, _hex(tx_hash))
    return RegistryDeployment(
        chain_id=chain_id,
        contract=checksum_address(address),
        publisher=publisher_address,
        forwarder=forwarder_address,
        tx_hash=bytes(tx_hash),
        block_number=inclusion.block_number,
        gas_used=inclusion.gas_used,
        fee_wei=inclusion.fee_wei,
        runtime_code_sha256=hashlib.sha256(bytes(w3.eth.get_code(address))).hexdigest(),
    )


class PublicationLogClient:
    """Reads and writes one deployed ``PublicationLog``.

    ``finality`` decides the block reads use by default; the ``*_timeout``, ``fee_bump_percent``
    and ``max_batch`` values are the sending policy the anchor journal follows.
    """

    def __init__(
        self,
        w3: Web3,
        address: str,
        account: LocalAccount | None = None,
        *,
        finality: Finality | None = None,
        tx_timeout: float = 180.0,
        finality_timeout: float = 900.0,
        fee_bump_percent: int = 25,
        max_batch: int = 128,
        poll_interval: float = 1.0,
        native_unit: str = "ETH",
    ) -> None:
        """Bind to the registry at ``address``; ``account`` None means read-only."""
        if fee_bump_percent < MIN_FEE_BUMP_PERCENT:
            raise ChainConfigError(
                f"fee_bump_percent must be at least {MIN_FEE_BUMP_PERCENT} (nodes refuse smaller "
                "replacements)"
            )
        self.w3 = w3
        self.address: ChecksumAddress = checksum_address(address)
        self.account = account
        self.contract = registry_at(w3, self.address)
        self._finality = finality
        self.tx_timeout = tx_timeout
        self.finality_timeout = finality_timeout
        self.fee_bump_percent = fee_bump_percent
        self.max_batch = max_batch
        self.poll_interval = poll_interval
        self.native_unit = native_unit
        self.batching = True  # JSON-RPC batches, until the node refuses one
        self._artifact_code = False  # the registry address holds the artifact's code
        if account is not None:
            ensure_account_allowed(self.chain_id, account.address)

    # ------------------------------------------------------------------ reads

    @cached_property
    def chain_id(self) -> int:
        """Chain id of the connected node."""
        return int(self.w3.eth.chain_id)

    @property
    def finality(self) -> Finality:
        """When an entry counts as final (configured, else the chain's default)."""
        return self._finality or default_finality(self.chain_id)

    def read_block(self) -> BlockIdentifier:
        """The block reads use: the finality tag, or the latest block minus N confirmations."""
        finality = self.finality
        if finality.tag is not None:
            return cast("BlockIdentifier", finality.tag)
        return max(0, int(self.w3.eth.block_number) - int(finality.confirmations or 0))

    def final_block_number(self) -> int:
        """Number of the newest block that counts as final."""
        block = self.read_block()
        if isinstance(block, int):
            return block
        return int(self.w3.eth.get_block(block)["number"])

    def is_final(self, block_number: int) -> bool:
        """Whether ``block_number`` is at or below the final block."""
        return block_number <= self.final_block_number()

    def latest_entry(
        self, dataset: str | bytes, day: dt.date, block: BlockIdentifier | None = None
    ) -> DayEntries:
        """The day's latest entry and its number of entries (``eth_call``)."""
        answer = self._read(
            self.contract.functions.latest_entry(_dataset(dataset), day_number(day)), block
        )
        if answer is None:
            return DayEntries(None, 0)
        values, count = answer
        return DayEntries(Entry.from_abi(values), int(count))

    def finality_reads(
        self, dataset: str | bytes, days: Sequence[dt.date], blocks: Sequence[int], at: int
    ) -> tuple[dict[int, bytes | None], dict[dt.date, DayEntries]]:
        """What ``block_hash`` answers for each of ``blocks`` and ``latest_entry`` for each of
        ``days`` at block ``at``, asked in one JSON-RPC batch. Whatever the batch did not
        answer cleanly is left out (all of it when the node refuses batches): the caller asks
        for it with ``block_hash`` or ``latest_entry``, which raise the errors a read raises."""
        requests: list[tuple[str, list[Any]]] = [
            ("eth_getBlockByNumber", [hex(number), False]) for number in blocks
        ]
        ident = _dataset(dataset)
        requests += [
            ("eth_call", [{"to": self.address, "data": _latest_entry_data(ident, day)}, hex(at)])
            for day in days
        ]
        hashes: dict[int, bytes | None] = {}
        entries: dict[dt.date, DayEntries] = {}
        responses = self._batch(requests) if len(requests) > 1 else None
        if responses is None:
            return hashes, entries
        for number, response in zip(blocks, responses[: len(blocks)], strict=True):
            if "error" not in response and "result" in response:
                block = response["result"]
                if block is None:
                    hashes[number] = None
                elif isinstance(block, Mapping) and isinstance(block.get("hash"), str):
                    hashes[number] = _from_hex(block["hash"])
        for day, response in zip(days, responses[len(blocks) :], strict=True):
            answer = _decode_latest_entry(response)
            if answer is not None:
                entries[day] = answer
        return hashes, entries

    def _batch(self, requests: list[tuple[str, list[Any]]]) -> list[Mapping[str, Any]] | None:
        """The node's responses to ``requests`` sent as one JSON-RPC batch, in request order;
        None if it gave no usable answer. A node that refuses batches (an HTTP error, a single
        error object, a short or unnumbered answer) is asked one call at a time from then on."""
        import requests as http

        if not self.batching:
            return None
        make = getattr(self.w3.provider, "make_batch_request", None)
        answer: Any = None
        try:
            if make is not None:
                answer = make(requests)
        except ChainUnavailable:
            raise
        except http.exceptions.HTTPError as error:
            answer = error
        except OSError:
            return None  # the node was not reached: the single calls retry and say why
        except Exception as error:
            answer = error
        if (
            isinstance(answer, list)
            and len(answer) == len(requests)
            and all(isinstance(response, Mapping) for response in answer)
            and len({response.get("id") for response in answer} - {None}) == len(requests)
        ):
            return answer  # web3 sorts a batch's responses by id: request order
        self.batching = False
        log.info(
            "the node did not take a JSON-RPC batch (%s); reading one call at a time",
            _first_line(answer) if isinstance(answer, BaseException) else type(answer).__name__,
        )
        return None

    def count(
        self, dataset: str | bytes, day: dt.date, block: BlockIdentifier | None = None
    ) -> int:
        """How many entries the day has (0 if it was never published)."""
        return self.latest_entry(dataset, day, block).count

    def get_entry(
        self, dataset: str | bytes, seq: int, block: BlockIdentifier | None = None
    ) -> Entry | None:
        """Entry number ``seq`` (1-based) of the dataset, or None."""
        values = self._read(self.contract.functions.get_entry(_dataset(dataset), seq), block)
        return None if values is None else Entry.from_abi(values)

    def dataset_info(
        self, dataset: str | bytes, block: BlockIdentifier | None = None
    ) -> DatasetInfo:
        """Head, entries, distinct days and latest day of the dataset."""
        answer = self._read(self.contract.functions.dataset_info(_dataset(dataset)), block)
        if answer is None:
            return DatasetInfo(0, 0, 0, 0)
        head, entries, days, latest_day = answer
        return DatasetInfo(int(head), int(entries), int(days), int(latest_day))

    def publisher(self) -> ChecksumAddress:
        """The only address allowed to publish."""
        return checksum_address(self.contract.functions.publisher().call())

    def forwarder(self) -> ChecksumAddress | None:
        """The trusted relay hub (LACChain), None if unset."""
        address = str(self.contract.functions.forwarder().call())
        return None if int(address, 16) == 0 else checksum_address(address)

    def version(self) -> str:
        """The contract's ``VERSION()``."""
        return str(self.contract.functions.VERSION().call())

    def max_batch_size(self) -> int:
        """The contract's ``MAX_BATCH()``, capped by the configured ``max_batch``."""
        return min(self.max_batch, self._contract_max_batch)

    @cached_property
    def _contract_max_batch(self) -> int:
        """``MAX_BATCH()``: a constant of the contract's code, read once."""
        return int(self.contract.functions.MAX_BATCH().call())

    def runtime_code_sha256(self) -> str:
        """SHA-256 hex of the code deployed at the registry address; read once it is the
        artifact's runtime code, which cannot change (no self-destruct in the registry)."""
        if self._artifact_code:
            return runtime_code_sha256()
        digest = hashlib.sha256(bytes(self.w3.eth.get_code(self.address))).hexdigest()
        self._artifact_code = digest == runtime_code_sha256()
        return digest

    def find_publication_tx(
        self, dataset: str | bytes, day: dt.date, block_number: int
    ) -> bytes | None:
        """Hash of the transaction that published ``day`` in ``block_number`` (one-block log query)."""
        logs = self.contract.events.Published.get_logs(
            from_block=block_number,
            to_block=block_number,
            argument_filters={"dataset": _dataset(dataset), "day": day_number(day)},
        )
        return bytes(logs[-1]["transactionHash"]) if logs else None

    def _block(self, block: BlockIdentifier | None) -> BlockIdentifier:
        return block if block is not None else self.read_block()

    def _read(self, function: Any, block: BlockIdentifier | None) -> Any:
        """``eth_call`` at ``block``; None where the registry had no code yet (a block read
        below the deployment, e.g. at ``finalized`` right after deploying)."""
        from web3.exceptions import BadFunctionCallOutput

        at = self._block(block)
        try:
            return function.call(block_identifier=at)
        except BadFunctionCallOutput:
            if bytes(self.w3.eth.get_code(self.address, at)):
                raise
            return None

    # ------------------------------------------------------------------ writes, step by step

    def require_account(self) -> LocalAccount:
        """The signing account, or an explanation that the client is read-only."""
        if self.account is None:
            raise ChainConfigError("this registry client is read-only: give it the publisher's key")
        return self.account

    def pending_nonce(self) -> int:
        """The next nonce of the signing account, counting transactions not yet mined."""
        return int(self.w3.eth.get_transaction_count(self.require_account().address, "pending"))

    def mined_nonce(self) -> int:
        """The number of the signing account's transactions in the latest block."""
        return int(self.w3.eth.get_transaction_count(self.require_account().address, "latest"))

    def publish_data(self, dataset: str, items: Sequence[tuple[dt.date, bytes]]) -> str:
        """Call data of ``publish`` for one item, ``publish_batch`` for several (in order)."""
        if not items:
            raise ValueError("nothing to publish")
        if len(items) == 1:
            day, digest = items[0]
            args: list[Any] = [dataset, day_number(day), _bytes32(digest)]
            return str(self.contract.encode_abi("publish", args))
        args = [
            dataset,
            [day_number(day) for day, _ in items],
            [_bytes32(digest) for _, digest in items],
        ]
        return str(self.contract.encode_abi("publish_batch", args))

    def sign_publication(
        self,
        dataset: str,
        items: Sequence[tuple[dt.date, bytes]],
        *,
        nonce: int | None,
        fees: FeeParams | None = None,
    ) -> SignedTx:
        """Sign (not send) the publication of ``items`` with an explicit nonce and fees;
        ``nonce`` None: the account's pending nonce, ``fees`` None: estimated and suggested
        now (``suggest_fees``), what is missing read in one JSON-RPC batch."""
        account = self.require_account()
        if len(items) > self.max_batch_size():
            raise ValueError(
                f"{len(items)} days in one transaction; at most {self.max_batch_size()}"
            )
        data = self.publish_data(dataset, items)
        if nonce is None or fees is None:
            nonce, fees = self._nonce_and_fees(account.address, data, nonce, fees)
        tx = {
            "to": self.address,
            "data": data,
            "value": 0,
            "nonce": nonce,
            "chainId": self.chain_id,
            **fees.tx_fields(),
        }
        signed = account.sign_transaction(cast("dict[str, Any]", tx))
        return SignedTx(nonce, bytes(signed.hash), bytes(signed.raw_transaction), fees)

    def _nonce_and_fees(
        self, sender: str, data: str, nonce: int | None, fees: FeeParams | None
    ) -> tuple[int, FeeParams]:
        """``nonce`` (else the pending nonce) and ``fees`` (else the gas estimate of ``data`` with
        the suggested fees), what is missing asked in one round trip: the same reads as the
        single calls, each of which is made instead wherever the batch gave no clean answer
        (and raises what it raises)."""
        call = {"from": sender, "to": self.address, "data": data}
        requests: list[tuple[str, list[Any]]] = []
        if nonce is None:
            requests.append(("eth_getTransactionCount", [sender, "pending"]))
        if fees is None:
            requests += [
                ("eth_estimateGas", [call, "latest"]),
                ("eth_getBlockByNumber", ["latest", False]),
                ("eth_maxPriorityFeePerGas", []),
                ("eth_gasPrice", []),
            ]
        answers: dict[str, Any] = {}
        responses = self._batch(requests) if len(requests) > 1 else None
        for (method, _), response in zip(requests, responses or [], strict=False):
            if "error" not in response and response.get("result") is not None:
                answers[method] = response["result"]
        if nonce is None:
            count = _quantity(answers.get("eth_getTransactionCount"))
            nonce = count if count is not None else self.pending_nonce()
        if fees is None:
            estimate = _quantity(answers.get("eth_estimateGas"))
            if estimate is None:
                try:
                    estimate = int(self.w3.eth.estimate_gas(cast("TxParams", call)))
                except ChainUnavailable:
                    raise
                except Exception as error:  # ContractLogicError, eth-tester's TransactionFailed
                    raise AnchorFailed(
                        f"the registry would reject the publication: {error}"
                    ) from error
            block = answers.get("eth_getBlockByNumber")
            base_fee = block.get("baseFeePerGas") if isinstance(block, Mapping) else None
            if not isinstance(block, Mapping) or (
                base_fee is not None and _quantity(base_fee) is None
            ):
                fees = suggest_fees(self.w3, estimate)
            else:
                fees = _fee_params(
                    estimate,
                    _quantity(base_fee),
                    _quantity(answers.get("eth_maxPriorityFeePerGas")),
                    lambda: int(self.w3.eth.max_priority_fee),
                    _quantity(answers.get("eth_gasPrice")),
                    lambda: int(self.w3.eth.gas_price),
                )
        return nonce, fees

    def send_raw(self, raw: bytes) -> bytes:
        """Broadcast signed bytes; a node that already knows them (or their nonce) is fine."""
        from eth_utils.crypto import keccak

        tx_hash = keccak(raw)
        try:
            self.w3.eth.send_raw_transaction(raw)
        except ChainUnavailable:
            raise
        except Exception as error:
            message = str(error).lower()
            if not any(word in message for word in ("known", "nonce too low", "already imported")):
                raise AnchorFailed(
                    f"the node refused transaction {_hex(tx_hash)}: {error}"
                ) from error
            log.info(
                "transaction %s: the node already had it or its nonce (%s)", _hex(tx_hash), error
            )
        return tx_hash

    def inclusion(self, tx_hash: bytes) -> Inclusion | None:
        """The mined receipt of ``tx_hash``, or None if it is not (or no longer) in a block."""
        from web3.exceptions import TransactionNotFound

        try:
            receipt = self.w3.eth.get_transaction_receipt(cast(Any, tx_hash))
        except TransactionNotFound:
            return None
        if receipt is None or receipt.get("blockNumber") is None:
            return None
        return _inclusion(receipt)

    def inclusions(self, tx_hashes: Sequence[bytes]) -> dict[bytes, Inclusion | None]:
        """What ``inclusion`` answers for each of ``tx_hashes``, asked in one JSON-RPC batch
        (two or more); whatever the batch did not answer cleanly is left out (all of it when
        the node refuses batches): the caller asks ``inclusion`` for it."""
        wanted = list(dict.fromkeys(bytes(tx_hash) for tx_hash in tx_hashes))
        if len(wanted) < 2:
            return {}
        responses = self._batch([("eth_getTransactionReceipt", [_hex(h)]) for h in wanted])
        found: dict[bytes, Inclusion | None] = {}
        for tx_hash, response in zip(wanted, responses or [], strict=False):
            if "error" in response or "result" not in response:
                continue
            receipt = response["result"]
            if receipt is None or (
                isinstance(receipt, Mapping) and receipt.get("blockNumber") is None
            ):
                found[tx_hash] = None  # what ``inclusion`` answers: not (or no longer) mined
                continue
            if not isinstance(receipt, Mapping):
                continue
            try:
                found[tx_hash] = _inclusion(
                    {
                        "transactionHash": _from_hex(receipt["transactionHash"]),
                        "blockNumber": int(receipt["blockNumber"], 16),
                        "blockHash": _from_hex(receipt["blockHash"]),
                        "gasUsed": int(receipt["gasUsed"], 16),
                        "effectiveGasPrice": int(receipt.get("effectiveGasPrice") or "0x0", 16),
                        "status": int(receipt["status"], 16),
                    }
                )
            except (KeyError, TypeError, ValueError):
                continue
        return found

    def block_hash(self, number: int) -> bytes | None:
        """Hash of block ``number`` on the node's current chain (None if it has no such block)."""
        from web3.exceptions import BlockNotFound

        try:
            return bytes(self.w3.eth.get_block(number)["hash"])
        except BlockNotFound:
            return None

    # ------------------------------------------------------------------ writes, all at once

    def publish(self, dataset: str, day: dt.date, digest: bytes) -> Inclusion | None:
        """Publish one day and wait for it to be mined; None if it is already the day's digest."""
        return next(iter(self.publish_batch(dataset, [(day, digest)])), None)

    def publish_batch(
        self, dataset: str, items: Sequence[tuple[dt.date, bytes]]
    ) -> list[Inclusion]:
        """Publish days in order, ``max_batch_size()`` per transaction, waiting for each; days
        whose latest digest is already the given one are skipped (no transaction)."""
        todo = [
            (day, digest)
            for day, digest in items
            if (entry := self.latest_entry(dataset, day, "latest").latest) is None
            or entry.digest != _bytes32(digest)
        ]
        size = self.max_batch_size()
        inclusions = []
        for start in range(0, len(todo), size):
            signed = self.sign_publication(dataset, todo[start : start + size], nonce=None)
            self.send_raw(signed.raw)
            inclusion = _wait_receipt(
                self.w3, signed.tx_hash, self.tx_timeout, f"publishing {dataset}"
            )
            if not inclusion.succeeded:
                raise AnchorFailed(f"transaction {_hex(signed.tx_hash)} reverted")
            inclusions.append(inclusion)
        return inclusions


def _wait_receipt(w3: Web3, tx_hash: bytes, timeout: float, action: str) -> Inclusion:
    """Wait for a receipt; AnchorFailed if none within ``timeout`` seconds."""
    from web3.exceptions import TimeExhausted

    try:
        receipt = w3.eth.wait_for_transaction_receipt(cast(Any, tx_hash), timeout=timeout)
    except TimeExhausted as error:
        raise AnchorFailed(
            f"{action}: transaction {_hex(tx_hash)} was not mined within {timeout:.0f} s"
        ) from error
    return _inclusion(receipt)


def _inclusion(receipt: Mapping[str, Any]) -> Inclusion:
    gas_used = int(receipt["gasUsed"])
    price = int(receipt.get("effectiveGasPrice") or 0)
    return Inclusion(
        tx_hash=bytes(receipt["transactionHash"]),
        block_number=int(receipt["blockNumber"]),
        block_hash=bytes(receipt["blockHash"]),
        gas_used=gas_used,
        fee_wei=gas_used * price,
        succeeded=int(receipt["status"]) == 1,
    )


@dataclass(frozen=True)
class ChainConfig:
    """Where to anchor and with which key; secrets never appear in repr, messages or logs.

    Built explicitly by the caller (from the settings object): nothing here reads the
    environment. ``chain_id`` is required to sign, so that a development key is refused before
    any network call.
    """

    rpc_urls: tuple[str, ...]
    chain_id: int | None = None
    contract: str | None = None
    private_key: str | None = field(default=None, repr=False)
    keystore: Path | None = None
    keystore_passphrase: str | None = field(default=None, repr=False)
    finality: Finality | None = None
    rpc_timeout: float = 30.0
    tx_timeout: float = 180.0
    finality_timeout: float = 900.0
    fee_bump_percent: int = 25
    max_batch: int = 128
    poll_interval: float = 1.0
    native_unit: str = "ETH"

    def __post_init__(self) -> None:
        """Validate the endpoints and the contract address."""
        if not [url for url in self.rpc_urls if url.strip()]:
            raise ChainConfigError("no RPC URL: give an http(s) JSON-RPC URL or an IPC socket path")
        if self.contract is not None:
            try:
                object.__setattr__(self, "contract", checksum_address(self.contract))
            except ValueError:
                raise ChainConfigError(
                    f"contract address {self.contract!r} is not an Ethereum address"
                ) from None

    def account(self) -> LocalAccount | None:
        """The signing account (None for read-only use), refused if it is a development key
        and the chain id is not 31337. No network call."""
        account = load_account(
            private_key=self.private_key,
            keystore=self.keystore,
            passphrase=self.keystore_passphrase,
        )
        if account is not None:
            if self.chain_id is None:
                raise ChainConfigError(
                    "signing needs the expected chain id (chain.chain_id), so that a "
                    "development key can be refused before any network call"
                )
            ensure_account_allowed(self.chain_id, account.address)
        return account

    def connect(self) -> Web3:
        """A Web3 over the endpoints, checked to serve ``chain_id`` when it is set."""
        w3 = connect(self.rpc_urls, self.rpc_timeout)
        if self.chain_id is not None:
            actual = int(w3.eth.chain_id)
            if actual != self.chain_id:
                raise ChainConfigError(
                    f"{self.rpc_urls[0]} serves chain id {actual}, not the configured {self.chain_id}"
                )
        return w3

    def client(self, account: LocalAccount | None = None) -> PublicationLogClient:
        """Load the key (before any network call), connect and bind to ``contract``."""
        if self.contract is None:
            raise ChainConfigError("no contract address: give the registry's address")
        account = account or self.account()
        return PublicationLogClient(
            self.connect(),
            self.contract,
            account,
            finality=self.finality,
            tx_timeout=self.tx_timeout,
            finality_timeout=self.finality_timeout,
            fee_bump_percent=self.fee_bump_percent,
            max_batch=self.max_batch,
            poll_interval=self.poll_interval,
            native_unit=self.native_unit,
        )


@cache
def _latest_entry_abi() -> tuple[str, list[str], list[str]]:
    """Selector (hex), input and output types of the registry's ``latest_entry``."""
    from eth_utils.abi import (
        function_abi_to_4byte_selector,
        get_abi_input_types,
        get_abi_output_types,
    )

    abi = next(
        item
        for item in load_artifact()["abi"]
        if item.get("type") == "function" and item.get("name") == "latest_entry"
    )
    selector = function_abi_to_4byte_selector(abi).hex()
    return selector, get_abi_input_types(abi), get_abi_output_types(abi)


def _latest_entry_data(dataset: bytes, day: dt.date) -> str:
    """Call data of ``latest_entry(dataset, day)`` (what web3 encodes for the same call)."""
    from eth_abi import encode

    selector, inputs, _ = _latest_entry_abi()
    return "0x" + selector + encode(inputs, [dataset, day_number(day)]).hex()


def _decode_latest_entry(response: Mapping[str, Any]) -> DayEntries | None:
    """A ``latest_entry`` answer of a batch; None for an error, no data or data that does
    not decode (the single call, made instead, raises or answers as it always did)."""
    from eth_abi import decode

    result = response.get("result")
    if "error" in response or not isinstance(result, str):
        return None
    try:
        data = _from_hex(result)
        if not data:
            return None  # no code at that block: ``latest_entry`` knows what that means
        values, count = decode(_latest_entry_abi()[2], data)
    except Exception:
        return None
    return DayEntries(Entry.from_abi(values), int(count))


def _dataset(dataset: str | bytes) -> bytes:
    return dataset_id(dataset) if isinstance(dataset, str) else _bytes32(dataset)


def _bytes32(value: bytes | str) -> bytes:
    """Return ``value`` as exactly 32 bytes (accepting 0x-hex strings)."""
    raw = _from_hex(value) if isinstance(value, str) else bytes(value)
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes, got {len(raw)}")
    return raw


def checksum_address(address: str) -> ChecksumAddress:
    """Return the EIP-55 checksum form of an address (ValueError if it is not one)."""
    from eth_utils.address import to_checksum_address

    return to_checksum_address(address)


def _from_hex(value: str) -> bytes:
    """Bytes of a hex string, with or without ``0x``."""
    return bytes.fromhex(value.removeprefix("0x").removeprefix("0X"))


def _quantity(value: Any) -> int | None:
    """A JSON-RPC quantity (``0x``-hex string) as an int; None for anything else."""
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None


def _hex(value: bytes) -> str:
    """Return 0x-prefixed lowercase hex."""
    return "0x" + bytes(value).hex()


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:200]
