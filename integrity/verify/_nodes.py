"""Reading a registry at two nodes that must agree (the pin lists several RPC endpoints).

``AgreeingAccess`` wraps the ``ChainAccess`` of each node; its reader asks the first two
nodes that answer the same question and raises ``ChainUnavailable`` (``anchor.nodes_disagree``) when the answers
differ, so one lying node cannot make a forged day VERIFICADO: at worst it makes the day
"could not check" (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from integrity.verify._chain import (
    AnchorReader,
    ChainAccess,
    DatasetHead,
    DayEntries,
    HeadReader,
    ReceiptReader,
    StoredEntry,
    TxReceipt,
)
from integrity.verify._results import ChainUnavailable, Note


def _same(answers: Sequence[Any]) -> bool:
    """Whether every node gave the same answer (entries compare by value)."""
    return all(answer == answers[0] for answer in answers[1:])


class AgreeingReader:
    """An ``AnchorReader`` over several nodes: every answer must be the same on all of them."""

    def __init__(self, readers: Sequence[AnchorReader], nodes: Sequence[str]) -> None:
        """``nodes`` names the endpoints for the message."""
        self.readers = list(readers)
        self.nodes = " / ".join(nodes)

    def _disagree(self) -> ChainUnavailable:
        return ChainUnavailable(Note("anchor.nodes_disagree", {"nodes": self.nodes}))

    @property
    def chain_id(self) -> int:
        """The chain id all nodes serve."""
        ids = {reader.chain_id for reader in self.readers}
        if len(ids) != 1:
            raise self._disagree()
        return ids.pop()

    def latest_entry(self, dataset_id: bytes, day: int, block: str | None = None) -> DayEntries:
        """The day's latest entry and count, if every node reports the same."""
        answers = [reader.latest_entry(dataset_id, day, block) for reader in self.readers]
        if not _same(answers):
            raise self._disagree()
        return answers[0]

    def get_entry(
        self, dataset_id: bytes, seq: int, block: str | None = None
    ) -> StoredEntry | None:
        """Entry ``seq`` of the dataset, if every node reports the same."""
        answers = [reader.get_entry(dataset_id, seq, block) for reader in self.readers]
        if not _same(answers):
            raise self._disagree()
        return answers[0]

    def dataset_info(self, dataset_id: bytes, block: str | None = None) -> DatasetHead:
        """The dataset's head, if every node reports the same."""
        answers = [
            cast(HeadReader, reader).dataset_info(dataset_id, block) for reader in self.readers
        ]
        if not _same(answers):
            raise self._disagree()
        return answers[0]

    def transaction_receipt(self, tx_hash: str) -> TxReceipt | None:
        """The transaction's receipt, if every node reports the same."""
        answers = [
            cast(ReceiptReader, reader).transaction_receipt(tx_hash) for reader in self.readers
        ]
        if not _same(answers):
            raise self._disagree()
        return answers[0]

    def publisher(self) -> str:
        """The registry's publisher, if every node reports the same address."""
        answers = [reader.publisher() for reader in self.readers]
        if len({str(answer).lower() for answer in answers}) != 1:
            raise self._disagree()
        return answers[0]


class AgreeingAccess:
    """A ``ChainAccess`` whose readers ask the first two nodes that answer and compare them.

    A node that does not answer is passed over (the pin lists endpoints in order, as
    failover); when only one answers, its answers are used alone.
    """

    def __init__(
        self, accesses: Sequence[ChainAccess], nodes: Sequence[str], wanted: int = 2
    ) -> None:
        """One access per node, in the pin's order; ``wanted`` nodes are compared."""
        self.accesses = list(accesses)
        self.nodes = list(nodes)
        self.wanted = wanted
        self.dev_chain = any(access.dev_chain for access in self.accesses)

    def reader(self, chain_id: int, contract: str) -> AnchorReader:
        """A reader over the first ``wanted`` nodes that answer and serve ``chain_id``."""
        readers: list[AnchorReader] = []
        names: list[str] = []
        failures: list[str] = []
        for access, node in zip(self.accesses, self.nodes, strict=True):
            if len(readers) == self.wanted:
                break
            try:
                readers.append(access.reader(chain_id, contract))
                names.append(node)
            except ChainUnavailable as error:
                if error.note.key != "anchor.chain_unreachable":
                    raise
                failures.append(str(error.note.params.get("error", node)))
        if not readers:
            raise ChainUnavailable(
                Note("anchor.chain_unreachable", {"error": "; ".join(failures) or "no RPC URL"})
            )
        return readers[0] if len(readers) == 1 else AgreeingReader(readers, names)
