"""How to verify: where the datasets root and trust pin are, and how to reach the chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from integrity.verify._chain import ChainAccess
from integrity.verify._datasets import DatasetsRoot, TrustPin


@dataclass
class VerifyOptions:
    """Where the datasets root and trust pin are, and how to reach the chain."""

    datasets: DatasetsRoot | None = None
    trust: TrustPin | None = None
    chain: ChainAccess | None = None
    offline: bool = False
    # Called with (chain_id) when no ChainAccess was given; returns one or raises.
    chain_factory: Callable[[int], ChainAccess] | None = None
