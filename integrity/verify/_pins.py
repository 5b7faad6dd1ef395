"""Which trust pin a verification believes, and where it came from: decided here and only here.

Order (first match wins):

1. ``VerifyOptions.trust``: a pin the user passed (``verificar --trust FILE``);
2. ``VerifyOptions.pins``: pins the verifier trusts without being told, for the dataset:
   the official pins installed with it (``integrity.verify.trust.shipped_pins``) and, when
   the CLI found one, the embedded dev chain's pin beside its state. Several for one dataset:
   the one whose chain and contract the anchor receipt names, else the first official one.

A pin names one dataset; it also vouches for that dataset's bulk dataset (``{dataset}-bulk``,
the bulk files the same publisher anchors in the same registry: ``layout.pin_covers``).

Nothing else: a ``trust.json`` in the downloaded data is never an authority (a forger ships
one too). It is only compared with the chosen pin (``compare_data_copy``): a copy naming
another chain, registry or publisher is FALLA ("publicador distinto del oficial"). Without a
pin a day cannot be VERIFICADO (exit 2, saying how to get the official pin).

Every result records the ``TrustPin`` it used (``source`` and ``origin`` included), so the
verdict always says which pin decided it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from integrity import layout
from integrity.verify._results import Note, NoteError
from integrity.verify._values import first_field, same_address
from integrity.verify.trust import FORMAT, Pin, PinError

if TYPE_CHECKING:
    from integrity.verify._datasets import DatasetsRoot
    from integrity.verify._options import VerifyOptions


class PinSource(StrEnum):
    """Where the pin a verification used came from."""

    ARGUMENT = "argument"  # verificar --trust FILE
    INSTALLED = "installed"  # shipped with the verifier (package data)
    DEVCHAIN = "devchain"  # beside the embedded dev chain's state
    PAGE = "page"  # embedded in the browser page when it was built
    DATA = "data"  # trust.json inside the downloaded data: a copy, compared, never believed


@dataclass(frozen=True)
class TrustPin:
    """The chain id, registry contract and publisher address a verification believes."""

    chain_id: int
    contract: str
    publisher: str
    dataset: str | None
    origin: str
    source: PinSource = PinSource.DATA
    rpc: tuple[str, ...] = ()
    kind: str | None = None
    name: str | None = None
    finality_tag: str | None = None
    confirmations: int | None = None
    created_at: str | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, raw: bytes, origin: str, source: PinSource = PinSource.DATA) -> TrustPin:
        """Parse a pin file: ``perucompras-trust-pin/1``, or the older ``trust.json`` layout
        (``chainId``, ``contract``, ``publisher``); ValueError if malformed."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"not valid JSON ({error})") from None
        if isinstance(data, dict) and data.get("format") == FORMAT:
            return cls.from_pin(Pin.from_json(data, origin), source)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        chain_id = first_field(data, "chainId", "chain_id")
        contract = first_field(data, "contract", "contractAddress")
        publisher = first_field(data, "publisher", "publisherAddress")
        if chain_id is None or not contract or not publisher:
            raise ValueError("chainId, contract and publisher are required")
        if isinstance(chain_id, bool) or not isinstance(chain_id, int | str):
            raise ValueError("chainId must be an integer")
        if not isinstance(contract, str) or not isinstance(publisher, str):
            raise ValueError("contract and publisher must be addresses")
        dataset = data.get("dataset")
        rpc = data.get("rpcUrl")
        return cls(
            int(chain_id),
            contract,
            publisher,
            str(dataset) if dataset is not None else None,
            origin,
            source,
            rpc=(rpc,) if isinstance(rpc, str) and rpc.startswith(("http://", "https://")) else (),
        )

    @classmethod
    def from_pin(cls, pin: Pin, source: PinSource) -> TrustPin:
        """The verifier's view of a validated ``perucompras-trust-pin/1`` pin."""
        return cls(
            chain_id=pin.network.chain_id,
            contract=pin.registry.address,
            publisher=pin.publisher,
            dataset=pin.dataset,
            origin=pin.origin or pin.name,
            source=source,
            rpc=pin.network.rpc,
            kind=pin.kind,
            name=pin.name,
            finality_tag=pin.network.finality.tag,
            confirmations=pin.network.finality.confirmations,
            created_at=pin.created_at,
        )

    @property
    def label(self) -> str:
        """Where the pin came from, for messages: the file name, or the whole URL."""
        if self.origin.startswith(("http://", "https://")):
            return self.origin
        return Path(self.origin).name or self.origin

    @property
    def authoritative(self) -> bool:
        """Whether the pin came from somewhere other than the downloaded data."""
        return self.source is not PinSource.DATA

    def same_registry(self, other: TrustPin) -> bool:
        """Same chain, contract and publisher."""
        return (
            self.chain_id == other.chain_id
            and same_address(self.contract, other.contract)
            and same_address(self.publisher, other.publisher)
        )

    def note(self) -> Note:
        """The line every verdict carries: which pin, from where."""
        return Note(
            f"pin.used.{self.source.value}",
            {
                "chain_id": self.chain_id,
                "contract": self.contract,
                "publisher": self.publisher,
                "origin": self.origin,
                "name": self.name or self.label,
            },
        )

    def to_json(self) -> dict[str, Any]:
        """Machine-readable description (``verificar --json``: ``pin``)."""
        return {
            "source": self.source.value,
            "origin": self.origin,
            "name": self.name,
            "kind": self.kind,
            "chainId": self.chain_id,
            "contract": self.contract,
            "publisher": self.publisher,
            "dataset": self.dataset,
            "rpc": list(self.rpc),
            "authoritative": self.authoritative,
        }


@dataclass(frozen=True)
class PinChoice:
    """The pin chosen for one day (None: no pin), and why the data's copy could not be read."""

    pin: TrustPin | None
    problem: Note | None = None


def choose_pin(
    options: VerifyOptions,
    dataset: str,
    root: DatasetsRoot | None,
    receipt: dict[str, Any] | None = None,
) -> PinChoice:
    """Decide which pin verifies ``dataset`` (see the module docstring for the order); the
    data's ``trust.json`` copy, when there is one, is compared with it."""
    if options.trust is not None:
        pin: TrustPin | None = options.trust
    else:
        candidates = [
            pin for pin in options.trusted_pins() if layout.pin_covers(pin.dataset, dataset)
        ]
        pin = _prefer(candidates, receipt) if candidates else None
    return PinChoice(pin, compare_data_copy(pin, root))


def compare_data_copy(pin: TrustPin | None, root: DatasetsRoot | None) -> Note | None:
    """The data's ``trust.json`` against the chosen pin: a failed note when it names another
    chain, registry or publisher (or cannot be read); None when it agrees or is absent."""
    if pin is None or root is None:
        return None
    try:
        copy = root.trust()
    except (ValueError, PinError) as error:
        return Note(
            "publisher.trust_invalid",
            {"trust": "trust.json", "detail": str(error)[:300]},
            failed=True,
        )
    except NoteError as error:
        return error.note
    if copy is None or copy.same_registry(pin):
        return None
    differing = [
        (field_name, actual, expected)
        for field_name, actual, expected in (
            ("chainId", copy.chain_id, pin.chain_id),
            ("contract", copy.contract, pin.contract),
            ("publisher", copy.publisher, pin.publisher),
        )
        if str(actual).lower() != str(expected).lower()
    ]
    field_name, actual, expected = differing[0]
    return Note(
        "publisher.data_pin_differs",
        {
            "source": copy.label,
            "field": field_name,
            "actual": str(actual)[:80],
            "expected": expected,
            "trust": pin.name or pin.label,
        },
        failed=True,
    )


def _prefer(candidates: list[TrustPin], receipt: dict[str, Any] | None) -> TrustPin:
    """Among several trusted pins, the one the receipt names, else the first official one."""
    if receipt is not None:
        chain_id = first_field(receipt, "chainId", "chain_id")
        for pin in candidates:
            if str(pin.chain_id) == str(chain_id) and same_address(
                pin.contract, receipt.get("contract")
            ):
                return pin
    official = [pin for pin in candidates if pin.kind == "official"]
    return (official or candidates)[0]


@cache
def installed_pins() -> tuple[TrustPin, ...]:
    """The official pins shipped with the verifier, as the verifier's view."""
    from integrity.verify.trust import shipped_pins

    return tuple(TrustPin.from_pin(pin, PinSource.INSTALLED) for pin in shipped_pins())


def load_trust_file(path: Path, source: PinSource = PinSource.ARGUMENT) -> TrustPin:
    """A pin file the user named (either format); ValueError/PinError if unreadable."""
    from integrity.verify._io import InputRefused, open_regular, read_capped
    from integrity.verify.trust import MAX_PIN_BYTES

    try:
        with open_regular(path, follow=True) as handle:
            raw = read_capped(handle, MAX_PIN_BYTES, path.name)
    except InputRefused as error:
        raise ValueError(error.note.text("en")) from None
    except OSError as error:
        raise ValueError(error.strerror or str(error)) from None
    return TrustPin.from_json(raw, str(path), source)


def with_source(pin: TrustPin, source: PinSource) -> TrustPin:
    """The same pin, recorded as coming from ``source``."""
    return replace(pin, source=source)
