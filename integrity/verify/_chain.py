"""How the verifier reaches a registry: a ``ChainAccess`` gives an ``AnchorReader`` per contract.

web3 is imported only inside ``Web3ChainAccess.reader``, when a chain is actually queried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from integrity.verify._results import ChainUnavailable, Note
from integrity.verify._values import same_address, short

if TYPE_CHECKING:
    from integrity.chain import AnchorRegistryClient

ANVIL_CHAIN_ID = 31337


class StoredAnchor(Protocol):
    """An anchor as read from the registry (``integrity.chain.Anchor`` or a snapshot's)."""

    @property
    def digest(self) -> bytes: ...

    @property
    def previous(self) -> bytes: ...

    @property
    def day(self) -> int: ...

    @property
    def block_number(self) -> int: ...


class AnchorReader(Protocol):
    """What the verifier needs from a registry client (``integrity.chain.AnchorRegistryClient``)."""

    @property
    def chain_id(self) -> int: ...

    def get_anchor(self, key: bytes, block: Any = None) -> StoredAnchor | None: ...

    def publisher(self) -> str: ...


@runtime_checkable
class ChainAccess(Protocol):
    """Gives a reader for a (chain id, contract) pair, or raises ``ChainUnavailable``."""

    dev_chain: bool

    def reader(self, chain_id: int, contract: str) -> AnchorReader: ...


def _check_chain_id(reader: AnchorReader, expected: int) -> None:
    """Raise ``ChainUnavailable`` unless the reader's node serves chain ``expected``."""
    try:
        actual = reader.chain_id
    except Exception as error:
        raise ChainUnavailable(Note("anchor.chain_unreachable", {"error": short(error)})) from error
    if actual != expected:
        raise ChainUnavailable(Note("anchor.wrong_chain", {"actual": actual, "expected": expected}))


class Web3ChainAccess:
    """Reads registries through an existing Web3 connection (RPC node, eth-tester, anvil)."""

    def __init__(self, w3: Any, *, read_tag: str | None = None, dev_chain: bool = False) -> None:
        """Wrap ``w3``; ``read_tag`` overrides the client's finalized/latest policy."""
        self.w3 = w3
        self.read_tag = read_tag
        self.dev_chain = dev_chain
        self._readers: dict[tuple[int, str], AnchorRegistryClient] = {}

    def reader(self, chain_id: int, contract: str) -> AnchorReader:
        """A read-only registry client for ``contract``, after checking the chain id."""
        cache_key = (chain_id, contract.lower())
        if cache_key in self._readers:
            return self._readers[cache_key]
        from integrity.chain import AnchorRegistryClient

        try:
            client = AnchorRegistryClient(self.w3, contract, read_tag=self.read_tag)  # type: ignore[arg-type]
        except Exception as error:
            raise ChainUnavailable(
                Note("anchor.chain_unreachable", {"error": short(error)})
            ) from error
        _check_chain_id(client, chain_id)
        self._readers[cache_key] = client
        return client


class _FixedReaderAccess:
    """Adapts a single reader (e.g. an AnchorRegistryClient) to ``ChainAccess``."""

    def __init__(self, reader: AnchorReader, dev_chain: bool = False) -> None:
        self._reader = reader
        self.dev_chain = dev_chain

    def reader(self, chain_id: int, contract: str) -> AnchorReader:
        address = getattr(self._reader, "address", None)
        w3 = getattr(self._reader, "w3", None)
        if address is not None and w3 is not None and not same_address(address, contract):
            return Web3ChainAccess(w3).reader(chain_id, contract)
        _check_chain_id(self._reader, chain_id)
        return self._reader


def as_chain_access(chain: ChainAccess | AnchorReader | None) -> ChainAccess | None:
    """Accept a ChainAccess, a bare registry client, or None (offline)."""
    if chain is None or isinstance(chain, ChainAccess):
        return chain
    return _FixedReaderAccess(chain)
