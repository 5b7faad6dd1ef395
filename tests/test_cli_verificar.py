"""The ``verificar`` command: rendering, exit codes, languages, JSON, imports and a real anvil."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from support.chain_helpers import publish_day
from test_verify import DATASET, DAYS, World, build_world

from integrity import layout
from integrity.cli_verificar import _trusted_pins, run
from integrity.keys import dataset_id, day_number
from integrity.verify import PinSource
from integrity.verify._chain import latest_entry_call

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("cli") / "datasets", DAYS[:2], (4, 2))


def verificar(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(list(args), out=out)
    return code, out.getvalue()


def test_offline_day_in_spanish(world: World) -> None:
    code, text = verificar(str(world.folder(DAYS[1])), "--offline")
    assert code == 3
    lines = text.splitlines()
    assert lines[0].startswith(f"Verificando {DATASET} del {DAYS[1].isoformat()}")
    assert lines[1].split()[:2] == ["integridad", "OK"]
    assert any(line.split()[:2] == ["anclaje", "OMITIDA"] for line in lines)
    assert "ÍNTEGRO; ANCLAJE NO COMPROBADO" in text
    assert any(line.split()[:2] == ["publicador", "OMITIDA"] for line in lines)
    assert latest_entry_call(dataset_id(DATASET), day_number(DAYS[1])) in text


def test_english_and_json(world: World) -> None:
    code, text = verificar(str(world.folder(DAYS[0])), "--offline", "--lang", "en")
    assert code == 3 and "anchor     SKIPPED" in text and "INTACT; ANCHOR NOT CHECKED" in text
    code, raw = verificar(str(world.folder(DAYS[0])), "--offline", "--json")
    data = orjson.loads(raw)
    assert code == data["exitCode"] == 3
    assert data["checks"]["integrity"]["status"] == "ok"
    assert data["checks"]["anchor"]["skipReason"] == "offline"
    assert data["manualCall"]["data"] == latest_entry_call(dataset_id(DATASET), 20250303)


def test_tampered_file_names_file_and_hashes(world: World, tmp_path: Path) -> None:
    target = tmp_path / world.path(DAYS[0], layout.ORDERS_CSV).name
    target.write_bytes(world.path(DAYS[0], layout.ORDERS_CSV).read_bytes() + b"x\n")
    code, text = verificar(str(target), "--offline", "--datasets", str(world.root))
    assert code == 1
    line = next(line for line in text.splitlines() if line.startswith("integridad"))
    assert "FALLA" in line and target.name in line and "tamaño esperado" in line
    assert "ALTERADO O NO PUBLICADO" in text


def test_no_rpc_means_could_not_check(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # The verifier takes flags, not environment: a variable naming a node is ignored.
    monkeypatch.setenv("PERUCOMPRAS_RPC_URL", "http://127.0.0.1:9")
    code, text = verificar(str(world.folder(DAYS[0])))
    assert code == 2
    assert "--rpc URL" in text and "NO SE PUDO COMPROBAR" in text
    assert "127.0.0.1:9" not in text
    code, _ = verificar(str(world.folder(DAYS[0])), "--rpc", "http://127.0.0.1:9")
    assert code == 2


def test_range_and_missing_path(world: World) -> None:
    code, text = verificar(
        str(world.root), "--offline", "--range", *(d.isoformat() for d in DAYS[:2])
    )
    assert code == 3 and f"  {DAYS[0].isoformat()}  integridad OK" in text
    code, text = verificar(str(world.root / "nope.csv"), "--offline")
    assert code == 2 and "no existe" in text


def test_cli_imports_neither_dagster_nor_great_expectations_nor_web3() -> None:
    check = (
        "import integrity.cli_verificar, sys; "
        "bad = [m for m in ('dagster', 'great_expectations', 'web3', 'pandas') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", check], check=True, cwd=REPO, timeout=60)


def test_console_script_end_to_end(world: World, tmp_path: Path) -> None:
    folder = str(world.folder(DAYS[0]))
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "integrity.cli_verificar",
            folder,
            "--offline",
            "--devchain",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert completed.returncode == 3, completed.stdout + completed.stderr
    assert "web3" not in completed.stderr


@pytest.mark.chain
def test_real_anvil_dev_chain_without_rpc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from support.chain_helpers import anchor_published

    from integrity.devchain import DevChain
    from integrity.verify.trust import load_pin
    from publication.anchoring import ChainSession

    monkeypatch.delenv("PERUCOMPRAS_RPC_URL", raising=False)
    root, state = tmp_path / "datasets", tmp_path / ".devchain"
    with DevChain(state, die_with_parent=True) as dev:
        session = ChainSession(dev.client(), load_pin(dev.pin_file), dev_chain=True)
        for day, size in zip(DAYS[:2], (3, 2), strict=True):
            publish_day(root, day, size)
            anchor_published(root, [day], session)
    folder = layout.DayLayout(root, DATASET, DAYS[1]).folder
    code, text = verificar(str(folder), "--devchain", str(state))
    assert code == 0, text
    assert any(line.split()[:2] == ["anclaje", "OK"] for line in text.splitlines())
    assert "cadena local de desarrollo" in text
    jsonl = layout.DayLayout(root, DATASET, DAYS[1]).path(layout.RELEASES_JSONL)
    jsonl.write_bytes(jsonl.read_bytes().replace(b"Entidad", b"Entidad X", 1))
    code, _ = verificar(str(folder), "--devchain", str(state))
    assert code == 1
    assert not (state / "anvil.pid").exists()


@pytest.mark.chain
def test_the_dev_pin_is_trusted_only_with_this_checkouts_own_chain(tmp_path: Path) -> None:
    """Anvil's first deployment always lands at the same address with the same dev publisher,
    so an attacker's own anvil "holds" a dev registry identical to the checkout's pin. The dev
    pin must vouch only for the checkout's own embedded chain, never for a node named with
    --rpc (nor be trusted at all when a pin is given with --trust)."""
    from support.chain_helpers import anchor_published

    from integrity.devchain import DevChain
    from integrity.verify.trust import load_pin
    from publication.anchoring import ChainSession

    checkout_state, attacker_state = tmp_path / "checkout" / ".devchain", tmp_path / "attacker"
    published, forged = tmp_path / "published" / "datasets", tmp_path / "forged" / "datasets"
    with DevChain(checkout_state, die_with_parent=True) as dev:
        session = ChainSession(dev.client(), load_pin(dev.pin_file), dev_chain=True)
        publish_day(published, DAYS[0], 3)
        anchor_published(published, [DAYS[0]], session)
    dev_pin = load_pin(checkout_state / "trust-pin.json")
    with DevChain(attacker_state, die_with_parent=True) as attacker:
        attacker_pin = load_pin(attacker.pin_file)
        assert attacker_pin.registry.address == dev_pin.registry.address
        assert attacker_pin.publisher == dev_pin.publisher
        publish_day(forged, DAYS[0], 5, amount=777)
        records = anchor_published(
            forged, [DAYS[0]], ChainSession(attacker.client(), attacker_pin, dev_chain=True)
        )
        assert records[0]["status"] == "anclado"
        folder = layout.DayLayout(forged, DATASET, DAYS[0]).folder
        code, text = verificar(
            str(folder), "--rpc", attacker.rpc_url, "--devchain", str(checkout_state)
        )
        assert code == 2, text
        assert "Veredicto: VERIFICADO" not in text
        assert "Sin pin de confianza" in text
    embedded = [pin.source for pin in _trusted_pins(checkout_state, embedded_chain=True)]
    assert PinSource.DEVCHAIN in embedded
    other = [pin.source for pin in _trusted_pins(checkout_state, embedded_chain=False)]
    assert PinSource.DEVCHAIN not in other  # --rpc or --trust given
    # Without --rpc the checkout's own chain is read: it never anchored the forged day...
    code, text = verificar(str(folder), "--devchain", str(checkout_state))
    assert code == 1, text
    # ...and the day this checkout published verifies with the dev pin.
    own = layout.DayLayout(published, DATASET, DAYS[0]).folder
    code, text = verificar(str(own), "--devchain", str(checkout_state))
    assert code == 0, text
    assert "cadena local de desarrollo" in text
