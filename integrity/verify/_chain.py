"""How the verifier reads a registry: raw JSON-RPC ``eth_call`` to a ``PublicationLog`` (v2).

A ``ChainAccess`` gives an ``AnchorReader`` per (chain id, contract); the reader answers
``latest_entry(dataset id, day)`` (the day's latest entry and how many entries it has),
``get_entry(dataset id, seq)`` and ``publisher()``; a ``HeadReader`` also answers
``dataset_info(dataset id)`` (head seq, entries, distinct days, latest day). Reads happen at the finality block of the
pin (a tag, or N confirmations below the latest block); ``latest`` is read only to tell
"not final yet" from "absent". The ABI encoding is written out here (every ``Entry`` field is
static: 9 words for ``latest_entry``, 8 for ``get_entry``), so the verifier needs no web3:
``JsonRpcChainAccess`` speaks HTTP JSON-RPC with the standard library, trying the endpoints in
order; ``Web3ChainAccess`` sends the same requests through an existing Web3 provider (tests).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from integrity.verify._results import ChainUnavailable, Note
from integrity.verify._values import same_address, short

ANVIL_CHAIN_ID = 31337
# First 4 bytes of keccak256 of each signature; tests/test_verify.py checks them against web3.
LATEST_ENTRY_SELECTOR = "10f29447"  # latest_entry(bytes32,uint32)
GET_ENTRY_SELECTOR = "09297c7a"  # get_entry(bytes32,uint64)
PUBLISHER_SELECTOR = "8c72c54e"  # publisher()
DATASET_INFO_SELECTOR = "28f48f69"  # dataset_info(bytes32)
# keccak256("Published(bytes32,uint32,uint64,uint8,bytes32,uint64)"): the entry's event.
PUBLISHED_TOPIC = "acbe1d366cfda7f8074cdc234d8c1f14690a67bed8dfd37b5b0e9b99e007aeec"
MAX_RPC_ANSWER = 1 << 20

Transport = Callable[[str, list[Any]], Any]
"""Sends one JSON-RPC request (method, params) and returns its ``result``."""


def latest_entry_call(dataset_id: bytes, day: int) -> str:
    """ABI call data of ``latest_entry(bytes32 dataset, uint32 day)``."""
    return "0x" + LATEST_ENTRY_SELECTOR + dataset_id.hex().rjust(64, "0") + f"{day:064x}"


def dataset_info_call(dataset_id: bytes) -> str:
    """ABI call data of ``dataset_info(bytes32 dataset)``."""
    return "0x" + DATASET_INFO_SELECTOR + dataset_id.hex().rjust(64, "0")


def get_entry_call(dataset_id: bytes, seq: int) -> str:
    """ABI call data of ``get_entry(bytes32 dataset, uint64 seq)``."""
    return "0x" + GET_ENTRY_SELECTOR + dataset_id.hex().rjust(64, "0") + f"{seq:064x}"


@dataclass(frozen=True)
class StoredEntry:
    """One registry entry (``Entry`` of the contract); see docs/registry.md."""

    seq: int
    previous: int
    day: int
    kind: int
    digest: bytes
    supersedes: int
    block_number: int
    timestamp: int

    @classmethod
    def from_words(cls, words: Sequence[bytes]) -> StoredEntry | None:
        """Decode the 8 words of an ``Entry``; None for the all-zero "no entry" answer."""
        values = [int.from_bytes(word, "big") for word in words[:8]]
        if values[0] == 0:
            return None
        return cls(
            seq=values[0],
            previous=values[1],
            day=values[2],
            kind=values[3],
            digest=bytes(words[4]),
            supersedes=values[5],
            block_number=values[6],
            timestamp=values[7],
        )


@dataclass(frozen=True)
class DayEntries:
    """What ``latest_entry`` answers: the day's latest entry (None if none) and its count."""

    latest: StoredEntry | None
    count: int


@dataclass(frozen=True)
class DatasetHead:
    """What ``dataset_info`` answers: head seq (= entries), distinct days, latest day."""

    head: int
    entries: int
    days: int
    latest_day: int  # YYYYMMDD; 0 when the dataset has no entry


@dataclass(frozen=True)
class TxLog:
    """One event log of a transaction: emitting address, topics and data (lowercase hex)."""

    address: str
    topics: tuple[str, ...]
    data: str


@dataclass(frozen=True)
class TxReceipt:
    """What the verifier needs of a transaction receipt (``eth_getTransactionReceipt``)."""

    status: int
    block_number: int
    to: str | None
    logs: tuple[TxLog, ...]

    @classmethod
    def of(cls, answer: Any) -> TxReceipt | None:
        """Decode a JSON-RPC receipt; None for ``null`` (unknown transaction)."""
        if answer is None:
            return None
        if not isinstance(answer, dict):
            raise ChainUnavailable(
                Note("anchor.chain_unreachable", {"error": "eth_getTransactionReceipt: bad answer"})
            )
        logs = []
        for log in answer.get("logs") or []:
            if isinstance(log, dict):
                topics = tuple(_hex_text(topic) for topic in log.get("topics") or [])
                logs.append(
                    TxLog(_hex_text(log.get("address")), topics, _hex_text(log.get("data")))
                )
        to = answer.get("to")
        return cls(
            status=_int(answer.get("status") or "0x0"),
            # eth-tester's raw provider answers in snake_case.
            block_number=_int(answer.get("blockNumber", answer.get("block_number")) or "0x0"),
            to=_hex_text(to) if to else None,
            logs=tuple(logs),
        )


class AnchorReader(Protocol):
    """What the verifier needs from a registry (``JsonRpcReader`` or a test double)."""

    @property
    def chain_id(self) -> int: ...

    def latest_entry(self, dataset_id: bytes, day: int, block: str | None = None) -> DayEntries: ...

    def get_entry(
        self, dataset_id: bytes, seq: int, block: str | None = None
    ) -> StoredEntry | None: ...

    def publisher(self) -> str: ...


@runtime_checkable
class HeadReader(Protocol):
    """A reader that can also tell a dataset's head (``dataset_info``)."""

    def dataset_info(self, dataset_id: bytes, block: str | None = None) -> DatasetHead: ...


@runtime_checkable
class ReceiptReader(Protocol):
    """A reader that can also fetch transaction receipts (online receipt checks)."""

    def transaction_receipt(self, tx_hash: str) -> TxReceipt | None: ...


@runtime_checkable
class ChainAccess(Protocol):
    """Gives a reader for a (chain id, contract) pair, or raises ``ChainUnavailable``."""

    dev_chain: bool

    def reader(self, chain_id: int, contract: str) -> AnchorReader: ...


def http_transport(urls: Sequence[str], timeout: float = 20.0) -> Transport:
    """JSON-RPC over HTTP with the standard library: each request goes to the first URL that
    answers (a JSON-RPC error is an answer)."""
    endpoints = [url for url in urls if url.strip()]
    counter = iter(range(1, 1 << 62))

    def send(method: str, params: list[Any]) -> Any:
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(counter), "method": method, "params": params}
        ).encode()
        failures = []
        for url in endpoints:
            request = urllib.request.Request(
                url, data=body, headers={"content-type": "application/json"}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    raw = response.read(MAX_RPC_ANSWER + 1)
            except (urllib.error.URLError, OSError, TimeoutError) as error:
                failures.append(f"{url}: {short(error)}")
                continue
            if len(raw) > MAX_RPC_ANSWER:
                failures.append(f"{url}: answer larger than {MAX_RPC_ANSWER} bytes")
                continue
            try:
                answer = json.loads(raw)
            except ValueError:
                failures.append(f"{url}: not a JSON-RPC answer")
                continue
            return _result(method, answer)
        raise ChainUnavailable(
            Note("anchor.chain_unreachable", {"error": "; ".join(failures) or "no RPC URL"})
        )

    return send


def _result(method: str, answer: Any) -> Any:
    """The ``result`` of a JSON-RPC answer; a JSON-RPC error makes the chain unusable."""
    if not isinstance(answer, dict):
        raise ChainUnavailable(Note("anchor.chain_unreachable", {"error": f"{method}: bad answer"}))
    if answer.get("error") is not None:
        error = answer["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise ChainUnavailable(
            Note("anchor.chain_unreachable", {"error": f"{method}: {str(message)[:200]}"})
        )
    return answer.get("result")


def _hex_bytes(value: Any) -> bytes:
    """Bytes of a hex string answer (or of bytes, from in-process providers)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = str(value or "")
    return bytes.fromhex(text.removeprefix("0x").removeprefix("0X"))


def _hex_text(value: Any) -> str:
    """A hex answer as lowercase text without ``0x`` (bytes from in-process providers too)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    return str(value or "").lower().removeprefix("0x")


def _int(value: Any) -> int:
    return value if isinstance(value, int) else int(str(value), 16)


class JsonRpcReader:
    """An ``AnchorReader`` for one contract, reading at the finality block by default."""

    def __init__(
        self,
        send: Transport,
        contract: str,
        chain_id: int,
        *,
        finality_tag: str | None = None,
        confirmations: int | None = None,
    ) -> None:
        """Read ``contract`` at ``finality_tag`` or ``confirmations`` (default: ``latest`` on
        anvil, ``finalized`` elsewhere)."""
        self.send = send
        self.address = contract
        self._chain_id = chain_id
        if finality_tag is None and confirmations is None:
            finality_tag = "latest" if chain_id == ANVIL_CHAIN_ID else "finalized"
        self.finality_tag = finality_tag
        self.confirmations = confirmations

    @property
    def chain_id(self) -> int:
        """The chain id the node reported."""
        return self._chain_id

    def read_block(self) -> str:
        """The block identifier reads use by default."""
        if self.finality_tag is not None:
            return self.finality_tag
        latest = _int(self.send("eth_blockNumber", []))
        return hex(max(0, latest - int(self.confirmations or 0)))

    def _call(self, data: str, block: str | None, words: int) -> list[bytes]:
        answer = _hex_bytes(
            self.send("eth_call", [{"to": self.address, "data": data}, block or self.read_block()])
        )
        if not answer and words > 1:
            # No code at that block (read below the deployment): no entry there. An address
            # with no code at all fails the publisher() read instead.
            return [bytes(32)] * words
        if len(answer) < 32 * words:
            raise ChainUnavailable(
                Note(
                    "anchor.chain_unreachable",
                    {"error": f"{self.address} answered {len(answer)} bytes, not a registry"},
                )
            )
        return [answer[i : i + 32] for i in range(0, 32 * words, 32)]

    def latest_entry(self, dataset_id: bytes, day: int, block: str | None = None) -> DayEntries:
        """The day's latest entry and how many entries it has."""
        words = self._call(latest_entry_call(dataset_id, day), block, 9)
        return DayEntries(StoredEntry.from_words(words), int.from_bytes(words[8], "big"))

    def get_entry(
        self, dataset_id: bytes, seq: int, block: str | None = None
    ) -> StoredEntry | None:
        """Entry ``seq`` of the dataset, or None."""
        return StoredEntry.from_words(self._call(get_entry_call(dataset_id, seq), block, 8))

    def dataset_info(self, dataset_id: bytes, block: str | None = None) -> DatasetHead:
        """Head seq, number of entries, distinct days and latest day of the dataset."""
        words = self._call(dataset_info_call(dataset_id), block, 4)
        head, entries, days, latest_day = (int.from_bytes(word, "big") for word in words)
        return DatasetHead(head, entries, days, latest_day)

    def publisher(self) -> str:
        """The contract's ``publisher()`` address (0x + 40 hex, lowercase)."""
        word = self._call("0x" + PUBLISHER_SELECTOR, "latest", 1)[0]
        return "0x" + word[12:].hex()

    def transaction_receipt(self, tx_hash: str) -> TxReceipt | None:
        """The mined transaction ``tx_hash`` (None if the node does not know it)."""
        return TxReceipt.of(self.send("eth_getTransactionReceipt", [tx_hash]))


class JsonRpcChainAccess:
    """Reads registries over JSON-RPC (no web3): endpoints tried in order."""

    def __init__(
        self,
        send: Transport,
        *,
        finality_tag: str | None = None,
        confirmations: int | None = None,
        dev_chain: bool = False,
    ) -> None:
        """Wrap a transport; the finality applies to every reader it gives."""
        self.send = send
        self.finality_tag = finality_tag
        self.confirmations = confirmations
        self.dev_chain = dev_chain
        self._readers: dict[tuple[int, str], JsonRpcReader] = {}

    @classmethod
    def over_http(
        cls,
        urls: Sequence[str],
        *,
        finality_tag: str | None = None,
        confirmations: int | None = None,
        dev_chain: bool = False,
        timeout: float = 20.0,
    ) -> JsonRpcChainAccess:
        """Access through HTTP endpoints (the first that answers is used)."""
        return cls(
            http_transport(urls, timeout),
            finality_tag=finality_tag,
            confirmations=confirmations,
            dev_chain=dev_chain,
        )

    def reader(self, chain_id: int, contract: str) -> AnchorReader:
        """A reader for ``contract``, after checking that the node serves ``chain_id``."""
        cache_key = (chain_id, contract.lower())
        if cache_key in self._readers:
            return self._readers[cache_key]
        try:
            actual = _int(self.send("eth_chainId", []))
        except ChainUnavailable:
            raise
        except Exception as error:
            raise ChainUnavailable(
                Note("anchor.chain_unreachable", {"error": short(error)})
            ) from error
        if actual != chain_id:
            raise ChainUnavailable(
                Note("anchor.wrong_chain", {"actual": actual, "expected": chain_id})
            )
        reader = JsonRpcReader(
            self.send,
            contract,
            chain_id,
            finality_tag=self.finality_tag,
            confirmations=self.confirmations,
        )
        self._readers[cache_key] = reader
        return reader


class Web3ChainAccess(JsonRpcChainAccess):
    """The same JSON-RPC reads sent through an existing Web3's provider (eth-tester, anvil)."""

    def __init__(self, w3: Any, *, read_tag: str | None = None, dev_chain: bool = False) -> None:
        """Wrap ``w3`` (duck-typed: only ``w3.provider.make_request`` is used)."""

        def request(method: str, params: list[Any]) -> Any:
            return _result(method, dict(w3.provider.make_request(method, params)))

        def send(method: str, params: list[Any]) -> Any:
            if method == "eth_call" and "from" not in params[0]:
                # eth-tester wants a funded sender even for a call: its first account.
                accounts = request("eth_accounts", [])
                if accounts:
                    params = [{"from": accounts[0], **params[0]}, *params[1:]]
            return request(method, params)

        super().__init__(send, finality_tag=read_tag, dev_chain=dev_chain)
        self.w3 = w3


class _FixedReaderAccess:
    """Adapts a single reader to ``ChainAccess``."""

    def __init__(self, reader: AnchorReader, dev_chain: bool = False) -> None:
        self._reader = reader
        self.dev_chain = dev_chain

    def reader(self, chain_id: int, contract: str) -> AnchorReader:
        address = getattr(self._reader, "address", None)
        if address is not None and not same_address(address, contract):
            send = getattr(self._reader, "send", None)
            if send is not None:
                return JsonRpcChainAccess(send).reader(chain_id, contract)
        try:
            actual = self._reader.chain_id
        except Exception as error:
            raise ChainUnavailable(
                Note("anchor.chain_unreachable", {"error": short(error)})
            ) from error
        if actual != chain_id:
            raise ChainUnavailable(
                Note("anchor.wrong_chain", {"actual": actual, "expected": chain_id})
            )
        return self._reader


def as_chain_access(chain: ChainAccess | AnchorReader | None) -> ChainAccess | None:
    """Accept a ChainAccess, a bare reader, or None (offline)."""
    if chain is None or isinstance(chain, ChainAccess):
        return chain
    return _FixedReaderAccess(chain)
