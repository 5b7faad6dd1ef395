"""How to verify: where the datasets root and trust pins are, how to reach the chain, limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from integrity.verify._chain import ChainAccess
from integrity.verify._datasets import DatasetsRoot
from integrity.verify._limits import DEFAULT_LIMITS, Limits
from integrity.verify._pins import TrustPin, installed_pins


@dataclass
class VerifyOptions:
    """Where the datasets root and trust pins are, how to reach the chain, what to bound.

    Which pin is used is decided by ``integrity.verify._pins.choose_pin`` from ``trust``
    (given by the user) and ``pins`` (trusted without being told; default: the official pins
    installed with the verifier). The ``trust.json`` copy inside the downloaded data is only
    compared with that pin, never believed.
    """

    datasets: DatasetsRoot | None = None
    trust: TrustPin | None = None
    chain: ChainAccess | None = None
    offline: bool = False
    # Called with (chain_id) when no ChainAccess was given; returns one or raises.
    chain_factory: Callable[[int], ChainAccess] | None = None
    pins: tuple[TrustPin, ...] | None = None
    limits: Limits = field(default_factory=lambda: DEFAULT_LIMITS)
    # The moment of the check (None: now); days not over by then cannot have been published.
    now: dt.datetime | None = None
    # The first day of the dataset's history, when known; earlier days were never published.
    history_start: dt.date | None = None
    # Registry reads already made in this verification (a file of proofs reads each day once).
    read_cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def trusted_pins(self) -> tuple[TrustPin, ...]:
        """Pins believed without being passed: ``pins``, else the installed official ones."""
        return self.pins if self.pins is not None else installed_pins()
