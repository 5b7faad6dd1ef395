"""Reading a registry at two nodes that must agree (the pin lists several RPC endpoints).

``AgreeingAccess`` wraps the ``ChainAccess`` of each node; its reader asks every node the
same question and raises ``ChainUnavailable`` (``anchor.nodes_disagree``) when the answers
differ, so one lying node cannot make a forged day VERIFICADO: at worst it makes the day
"could not check" (exit 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from integrity.verify._chain import AnchorReader, ChainAccess, StoredAnchor
from integrity.verify._results import ChainUnavailable, Note


def _answer(anchor: StoredAnchor | None) -> tuple[Any, ...] | None:
    if anchor is None:
        return None
    return (bytes(anchor.digest), bytes(anchor.previous), int(anchor.day), int(anchor.block_number))


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

    def get_anchor(self, key: bytes, block: Any = None) -> StoredAnchor | None:
        """The anchor under ``key``, if every node reports the same one."""
        answers = [reader.get_anchor(key, block) for reader in self.readers]
        if len({_answer(answer) for answer in answers}) != 1:
            raise self._disagree()
        return answers[0]

    def publisher(self) -> str:
        """The registry's publisher, if every node reports the same address."""
        answers = [reader.publisher() for reader in self.readers]
        if len({str(answer).lower() for answer in answers}) != 1:
            raise self._disagree()
        return answers[0]


class AgreeingAccess:
    """A ``ChainAccess`` whose readers ask every node (at least two) and compare the answers."""

    def __init__(self, accesses: Sequence[ChainAccess], nodes: Sequence[str]) -> None:
        """One access per node, in the pin's order."""
        self.accesses = list(accesses)
        self.nodes = list(nodes)
        self.dev_chain = any(access.dev_chain for access in self.accesses)

    def reader(self, chain_id: int, contract: str) -> AnchorReader:
        """A reader that checks every node serves ``chain_id`` and agrees on every answer."""
        readers = [access.reader(chain_id, contract) for access in self.accesses]
        return AgreeingReader(readers, self.nodes)
