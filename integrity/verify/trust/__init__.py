"""Trust pins (``perucompras-trust-pin/1``): which chain, registry and publisher to believe.

A pin NEVER comes from the downloaded data. Official pins ship inside this package as
``integrity/verify/trust/<name>.json`` (``shipped_pins``); the embedded dev chain's pin lives
beside its state (``devchain_pin_path``); a user may pass one with ``--trust FILE``. The
anchoring side writes pins with ``write_pin`` and the verifier reads them with ``load_pin``,
so the format has one definition: this module.

    {"format": "perucompras-trust-pin/1", "name": "peru-compras-polygon", "kind": "official",
     "dataset": "perucompras-ocam",
     "network": {"name": "polygon", "chainId": 137, "rpc": ["https://..."],
                 "finality": {"tag": "finalized"}},           # or {"confirmations": 12}
     "registry": {"address": "0xChecksummed", "deployTx": "0x...", "deployBlock": 123,
                  "runtimeCodeSha256": "hex", "version": "publication-log/2"},
     "publisher": "0xChecksummed", "createdAt": "2026-12-01T00:00:00Z"}
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

__all__ = [
    "DEVCHAIN_PIN_FILE",
    "FINALITY_TAGS",
    "FORMAT",
    "KINDS",
    "MAX_PIN_BYTES",
    "Finality",
    "Network",
    "Pin",
    "PinError",
    "Registry",
    "devchain_pin_path",
    "load_pin",
    "parse_pin",
    "pin_bytes",
    "shipped_pin",
    "shipped_pins",
    "write_pin",
]

FORMAT = "perucompras-trust-pin/1"
KINDS = ("official", "dev", "test")
FINALITY_TAGS = ("finalized", "safe", "latest")
DEVCHAIN_PIN_FILE = "trust-pin.json"
MAX_PIN_BYTES = 64 << 10

Kind = Literal["official", "dev", "test"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_TX_HASH = re.compile(r"^0x[0-9a-f]{64}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PinError(ValueError):
    """A trust pin is unreadable or does not follow ``perucompras-trust-pin/1``."""


@dataclass(frozen=True)
class Finality:
    """When an entry counts as final: at a block tag, or after a number of confirmations."""

    tag: str | None = None
    confirmations: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``finality`` object."""
        if self.tag is not None:
            return {"tag": self.tag}
        return {"confirmations": self.confirmations}


@dataclass(frozen=True)
class Network:
    """The chain: its name, id, RPC endpoints (at least one) and finality rule."""

    name: str
    chain_id: int
    rpc: tuple[str, ...]
    finality: Finality

    def to_json(self) -> dict[str, Any]:
        """The ``network`` object."""
        return {
            "name": self.name,
            "chainId": self.chain_id,
            "rpc": list(self.rpc),
            "finality": self.finality.to_json(),
        }


@dataclass(frozen=True)
class Registry:
    """The registry contract: address, deployment and the SHA-256 of its runtime code."""

    address: str
    deploy_tx: str
    deploy_block: int
    runtime_code_sha256: str
    version: str

    def to_json(self) -> dict[str, Any]:
        """The ``registry`` object."""
        return {
            "address": self.address,
            "deployTx": self.deploy_tx,
            "deployBlock": self.deploy_block,
            "runtimeCodeSha256": self.runtime_code_sha256,
            "version": self.version,
        }


@dataclass(frozen=True)
class Pin:
    """One trust pin; ``origin`` says where it was read from (not part of the format)."""

    name: str
    kind: Kind
    dataset: str
    network: Network
    registry: Registry
    publisher: str
    created_at: str
    origin: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The pin as a JSON object, keys in the order of the format description."""
        return {
            "format": FORMAT,
            "name": self.name,
            "kind": self.kind,
            "dataset": self.dataset,
            "network": self.network.to_json(),
            "registry": self.registry.to_json(),
            "publisher": self.publisher,
            "createdAt": self.created_at,
        }

    @classmethod
    def from_json(cls, data: object, origin: str | None = None) -> Pin:
        """Validate a parsed JSON value; PinError names the field and what is wrong."""
        return _Reader(origin or "trust pin").pin(data, origin)

    def validate(self) -> Pin:
        """Check every field (e.g. of a pin built in code); return the pin."""
        return Pin.from_json(self.to_json(), self.origin)


def parse_pin(raw: bytes, origin: str = "trust pin") -> Pin:
    """Parse and validate the bytes of a pin file."""
    if len(raw) > MAX_PIN_BYTES:
        raise PinError(f"{origin}: {len(raw)} bytes; a trust pin is at most {MAX_PIN_BYTES}")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise PinError(f"{origin}: not valid UTF-8 JSON ({error})") from None
    return Pin.from_json(data, origin)


def load_pin(path: str | Path) -> Pin:
    """Read and validate a pin file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PIN_BYTES + 1)
    except OSError as error:
        raise PinError(f"{path}: cannot read the trust pin ({error.strerror or error})") from None
    return parse_pin(raw, str(path))


def pin_bytes(pin: Pin) -> bytes:
    """The bytes ``write_pin`` writes: indented UTF-8 JSON with a final newline."""
    return (json.dumps(pin.validate().to_json(), indent=2, ensure_ascii=False) + "\n").encode()


def write_pin(pin: Pin, path: str | Path) -> None:
    """Validate ``pin`` and write it atomically to ``path`` (parent folders are created)."""
    path = Path(path)
    data = pin_bytes(pin)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def devchain_pin_path(state_dir: str | Path) -> Path:
    """Where the embedded dev chain's pin lives: beside its state."""
    return Path(state_dir) / DEVCHAIN_PIN_FILE


def shipped_pins() -> tuple[Pin, ...]:
    """The pins installed with the verifier (``integrity/verify/trust/*.json``), by name."""
    pins = []
    for entry in resources.files(__name__).iterdir():
        if not entry.name.endswith(".json"):
            continue
        origin = f"{__name__}/{entry.name}"
        pin = parse_pin(entry.read_bytes(), origin)
        if entry.name != f"{pin.name}.json":
            raise PinError(f"{origin}: a shipped pin must be named after it ({pin.name}.json)")
        pins.append(pin)
    return tuple(sorted(pins, key=lambda pin: pin.name))


def shipped_pin(name: str) -> Pin:
    """One installed pin by name."""
    for pin in shipped_pins():
        if pin.name == name:
            return pin
    known = ", ".join(pin.name for pin in shipped_pins()) or "none"
    raise PinError(
        f"no trust pin named {name!r} is installed with the verifier (installed: {known})"
    )


class _Reader:
    """Validation with errors that name the file and the field (``network.chainId``)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def error(self, where: str, problem: str) -> PinError:
        return PinError(f"{self.origin}: {where}: {problem}")

    def fields(self, value: object, where: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, "must be a JSON object")
        missing = [key for key in keys if key not in value]
        if missing:
            raise self.error(where, f"missing {', '.join(missing)}")
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise self.error(where, f"unknown field(s) {', '.join(unknown)}")
        return value

    def text(self, value: object, where: str, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(where, "must be a non-empty string")
        if pattern is not None and not pattern.match(value):
            raise self.error(where, f"{value!r} does not match {pattern.pattern}")
        return value

    def integer(self, value: object, where: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(where, "must be an integer")
        if value < minimum:
            raise self.error(where, f"must be at least {minimum}, got {value}")
        return value

    def address(self, value: object, where: str) -> str:
        address = self.text(value, where, _ADDRESS)
        expected = _checksummed(address)
        if address != expected:
            raise self.error(where, f"{address} is not EIP-55 checksummed: write {expected}")
        return address

    def pin(self, data: object, origin: str | None) -> Pin:
        if isinstance(data, dict) and data.get("format") != FORMAT:
            raise self.error("format", f"must be {FORMAT!r}, got {data.get('format')!r}")
        pin = self.fields(
            data,
            "pin",
            (
                "format",
                "name",
                "kind",
                "dataset",
                "network",
                "registry",
                "publisher",
                "createdAt",
            ),
        )
        kind = self.text(pin["kind"], "kind")
        if kind not in KINDS:
            raise self.error("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
        dataset = self.text(pin["dataset"], "dataset")
        if "/" in dataset:
            raise self.error("dataset", "must not contain '/'")
        return Pin(
            name=self.text(pin["name"], "name", _NAME),
            kind=cast(Kind, kind),
            dataset=dataset,
            network=self.network(pin["network"]),
            registry=self.registry(pin["registry"]),
            publisher=self.address(pin["publisher"], "publisher"),
            created_at=self.timestamp(pin["createdAt"], "createdAt"),
            origin=origin,
        )

    def network(self, value: object) -> Network:
        network = self.fields(value, "network", ("name", "chainId", "rpc", "finality"))
        rpc = network["rpc"]
        if not isinstance(rpc, list) or not rpc:
            raise self.error("network.rpc", "must be a list of at least one http(s) URL")
        urls = tuple(self.text(url, f"network.rpc[{i}]") for i, url in enumerate(rpc))
        for i, url in enumerate(urls):
            if not url.startswith(("https://", "http://")):
                raise self.error(f"network.rpc[{i}]", f"{url!r} is not an http(s) URL")
        if len(set(urls)) != len(urls):
            raise self.error("network.rpc", "lists the same URL twice")
        return Network(
            name=self.text(network["name"], "network.name"),
            chain_id=self.integer(network["chainId"], "network.chainId", 1),
            rpc=urls,
            finality=self.finality(network["finality"]),
        )

    def finality(self, value: object) -> Finality:
        where = "network.finality"
        if not isinstance(value, dict) or len(value) != 1:
            raise self.error(where, 'must be {"tag": ...} or {"confirmations": N}')
        if "tag" in value:
            tag = self.text(value["tag"], f"{where}.tag")
            if tag not in FINALITY_TAGS:
                raise self.error(f"{where}.tag", f"must be one of {', '.join(FINALITY_TAGS)}")
            return Finality(tag=tag)
        if "confirmations" in value:
            return Finality(confirmations=self.integer(value["confirmations"], where, 0))
        raise self.error(where, 'must be {"tag": ...} or {"confirmations": N}')

    def registry(self, value: object) -> Registry:
        fields = ("address", "deployTx", "deployBlock", "runtimeCodeSha256", "version")
        registry = self.fields(value, "registry", fields)
        return Registry(
            address=self.address(registry["address"], "registry.address"),
            deploy_tx=self.text(registry["deployTx"], "registry.deployTx", _TX_HASH),
            deploy_block=self.integer(registry["deployBlock"], "registry.deployBlock", 0),
            runtime_code_sha256=self.text(
                registry["runtimeCodeSha256"], "registry.runtimeCodeSha256", _SHA256
            ),
            version=self.text(registry["version"], "registry.version"),
        )

    def timestamp(self, value: object, where: str) -> str:
        text = self.text(value, where)
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise self.error(where, f"{text!r} is not an ISO 8601 timestamp") from None
        if parsed.tzinfo is None:
            raise self.error(where, f"{text!r} has no time zone (write e.g. ...T00:00:00Z)")
        return text


def _checksummed(address: str) -> str:
    """EIP-55 mixed-case form of a hex address (keccak from eth-hash, imported on use)."""
    from eth_hash.auto import keccak

    lower = address[2:].lower()
    digest = keccak(lower.encode("ascii")).hex()
    return "0x" + "".join(
        char.upper() if int(nibble, 16) >= 8 else char
        for char, nibble in zip(lower, digest[:40], strict=True)
    )
