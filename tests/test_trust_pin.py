"""Trust pins (perucompras-trust-pin/1): one definition, written and read by the same module."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from integrity.verify import trust
from integrity.verify.trust import Pin, PinError, load_pin, parse_pin, write_pin

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PUBLISHER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def pin_json(**changes: Any) -> dict[str, Any]:
    """The contract's example pin, with top-level changes."""
    data: dict[str, Any] = {
        "format": "perucompras-trust-pin/1",
        "name": "peru-compras-polygon",
        "kind": "official",
        "dataset": "perucompras-ocam",
        "network": {
            "name": "polygon",
            "chainId": 137,
            "rpc": ["https://polygon-rpc.example/a", "https://polygon-rpc.example/b"],
            "finality": {"tag": "finalized"},
        },
        "registry": {
            "address": REGISTRY,
            "deployTx": "0x" + "ab" * 32,
            "deployBlock": 123,
            "runtimeCodeSha256": "cd" * 32,
            "version": "publication-log/2",
        },
        "publisher": PUBLISHER,
        "createdAt": "2026-12-01T00:00:00Z",
    }
    return data | changes


def with_nested(section: str, **changes: Any) -> dict[str, Any]:
    data = pin_json()
    data[section] = copy.deepcopy(data[section]) | changes
    return data


def test_write_then_load_gives_the_same_pin(tmp_path: Path) -> None:
    pin = Pin.from_json(pin_json())
    target = tmp_path / "sub" / "peru-compras-polygon.json"
    write_pin(pin, target)
    loaded = load_pin(target)
    assert loaded == pin and loaded.origin == str(target)
    assert json.loads(target.read_bytes()) == pin_json()
    assert target.read_bytes().endswith(b"}\n")
    assert list(json.loads(target.read_bytes())) == list(pin_json())  # the format's key order
    assert loaded.network.chain_id == 137 and loaded.network.finality.tag == "finalized"
    assert loaded.registry.deploy_block == 123 and loaded.publisher == PUBLISHER
    assert [p.name for p in tmp_path.joinpath("sub").iterdir()] == [target.name]  # no temp left


def test_confirmations_finality_and_dev_kind() -> None:
    data = with_nested("network", chainId=31337, finality={"confirmations": 0})
    pin = Pin.from_json(data | {"kind": "dev", "name": "devchain"})
    assert (pin.kind, pin.network.finality.confirmations, pin.network.finality.tag) == (
        "dev",
        0,
        None,
    )
    assert pin.to_json()["network"]["finality"] == {"confirmations": 0}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pin_json(format="perucompras-trust-pin/2"), "format: must be 'perucompras-trust-pin/1'"),
        ({k: v for k, v in pin_json().items() if k != "publisher"}, "pin: missing publisher"),
        (pin_json(extra=1), r"pin: unknown field\(s\) extra"),
        (pin_json(kind="mirror"), "kind: must be one of official, dev, test"),
        (pin_json(name="Peru Compras"), "name: 'Peru Compras' does not match"),
        (pin_json(dataset="a/b"), "dataset: must not contain '/'"),
        (pin_json(publisher=PUBLISHER.lower()), f"publisher: .* write {PUBLISHER}"),
        (pin_json(publisher="0x1234"), "publisher: '0x1234' does not match"),
        (pin_json(createdAt="2026-12-01T00:00:00"), "createdAt: .* has no time zone"),
        (pin_json(createdAt="yesterday"), "createdAt: 'yesterday' is not an ISO 8601"),
        (with_nested("network", chainId=True), "network.chainId: must be an integer"),
        (with_nested("network", chainId=0), "network.chainId: must be at least 1"),
        (with_nested("network", rpc=[]), "network.rpc: must be a list of at least one"),
        (with_nested("network", rpc=["ftp://x"]), r"network.rpc\[0\]: 'ftp://x' is not an http"),
        (with_nested("network", rpc=["https://a", "https://a"]), "lists the same URL twice"),
        (with_nested("network", finality={}), "network.finality: must be"),
        (with_nested("network", finality={"tag": "soon"}), "network.finality.tag: must be one"),
        (
            with_nested("network", finality={"tag": "finalized", "confirmations": 3}),
            "network.finality: must be",
        ),
        (with_nested("network", finality={"confirmations": -1}), "must be at least 0"),
        (with_nested("registry", address=REGISTRY.lower()), "registry.address: .* checksummed"),
        (with_nested("registry", deployTx="0x12"), "registry.deployTx: '0x12' does not match"),
        (with_nested("registry", deployBlock=-5), "registry.deployBlock: must be at least 0"),
        (with_nested("registry", runtimeCodeSha256="0x" + "cd" * 32), "runtimeCodeSha256"),
        (with_nested("registry", version=""), "registry.version: must be a non-empty string"),
        ([], "pin: must be a JSON object"),
    ],
)
def test_invalid_pins_are_refused_naming_the_field(data: Any, message: str) -> None:
    with pytest.raises(PinError, match=message):
        parse_pin(json.dumps(data).encode(), "pin.json")


def test_unreadable_files_are_explained(tmp_path: Path) -> None:
    with pytest.raises(PinError, match="cannot read the trust pin"):
        load_pin(tmp_path / "absent.json")
    (tmp_path / "bad.json").write_bytes(b"{nope")
    with pytest.raises(PinError, match=r"bad.json: not valid UTF-8 JSON"):
        load_pin(tmp_path / "bad.json")
    (tmp_path / "big.json").write_bytes(b" " * (trust.MAX_PIN_BYTES + 1))
    with pytest.raises(PinError, match="a trust pin is at most"):
        load_pin(tmp_path / "big.json")


def test_an_invalid_pin_is_never_written(tmp_path: Path) -> None:
    valid = Pin.from_json(pin_json())
    broken = Pin(**{**valid.__dict__, "publisher": PUBLISHER.lower()})
    with pytest.raises(PinError, match="checksummed"):
        write_pin(broken, tmp_path / "pin.json")
    assert list(tmp_path.iterdir()) == []


def test_devchain_pin_lives_beside_the_state(tmp_path: Path) -> None:
    assert trust.devchain_pin_path(tmp_path / ".devchain") == tmp_path / ".devchain" / (
        "trust-pin.json"
    )


def test_shipped_pins_are_package_data_validated_on_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = trust.shipped_pins()
    assert all(pin.origin and pin.origin.endswith(f"{pin.name}.json") for pin in installed)
    folder = tmp_path / "pins"
    folder.mkdir()
    (folder / "README.md").write_text("not a pin")
    write_pin(Pin.from_json(pin_json()), folder / "peru-compras-polygon.json")
    monkeypatch.setattr(trust.resources, "files", lambda _name: folder)
    assert [pin.name for pin in trust.shipped_pins()] == ["peru-compras-polygon"]
    assert trust.shipped_pin("peru-compras-polygon").network.chain_id == 137
    with pytest.raises(PinError, match=r"no trust pin named 'other'.*peru-compras-polygon"):
        trust.shipped_pin("other")
    (folder / "renamed.json").write_bytes((folder / "peru-compras-polygon.json").read_bytes())
    with pytest.raises(PinError, match=r"renamed.json: a shipped pin must be named after it"):
        trust.shipped_pins()
