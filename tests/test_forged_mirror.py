"""Issue 11/12, case 1, end to end: a forged mirror with its own registry on its own anvil.

The official publisher anchors two days on one anvil (its pin: kind official). A mirror copies
the site, changes one amount, rewrites manifest and SHA256SUMS, deploys its own registry on
ANOTHER anvil, anchors the forged day there, rewrites the receipt and ships its own
trust.json. Neither ``verificar`` (with the official pin given, installed, or with no pin at
all) nor the official browser page served by the mirror may answer VERIFICADO. Both anvil
nodes are started and stopped by PID (``chain_helpers.Node``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from support.chain_helpers import DATASET, Node, anchor_published, new_key, publish_day
from test_anchoring_networks import forge_csv_amount

from integrity import layout
from integrity.chain import PublicationLogClient, deploy_registry, load_account
from integrity.cli_verificar import run as verificar_run
from integrity.verify import PinSource, TrustPin
from integrity.verify.trust import Finality, Pin, write_pin
from publication.anchoring import ChainSession

DAYS = [dt.date(2026, 11, 2), dt.date(2026, 11, 3)]
FINALITY = Finality(tag="latest")


def verificar(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return verificar_run(list(args), out), out.getvalue()


@dataclasses.dataclass
class Sites:
    """The official datasets root and the forged mirror of it."""

    official_root: Path
    official_pin: Pin
    official_pin_file: Path
    mirror_root: Path
    mirror_pin: Pin
    forged: layout.DayLayout
    empty_devchain: Path


def _deploy(node: Node, name: str, kind: str) -> tuple[PublicationLogClient, Pin]:
    key, address = new_key()
    node.fund(address)
    account = load_account(private_key=key)
    assert account is not None
    deployment = deploy_registry(node.web3(), account)
    pin = deployment.pin(
        name=name, kind=kind, dataset=DATASET, network="anvil", rpc=[node.url], finality=FINALITY
    )
    client = PublicationLogClient(
        node.web3(), deployment.contract, account, finality=FINALITY, poll_interval=0.2
    )
    return client, pin


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    tmp = tmp_path_factory.mktemp("forged-mirror")
    official_node = Node(tmp / "official-node", chain_id=1337).start()
    mirror_node = Node(tmp / "mirror-node", chain_id=1337).start()
    try:
        client, official_pin = _deploy(official_node, "peru-compras-prueba", "official")
        root = tmp / "official" / "datasets"
        for count, day in enumerate(DAYS, start=3):
            publish_day(root, day, count)
        session = ChainSession(client, official_pin, dev_chain=False)
        records = anchor_published(root, DAYS, session)
        assert [record["status"] for record in records] == ["anclado", "anclado"]
        pin_file = tmp / "official-pin.json"
        write_pin(official_pin, pin_file)

        mirror = tmp / "mirror" / "datasets"
        shutil.copytree(root, mirror)
        forged = layout.DayLayout(mirror, DATASET, DAYS[1])
        forge_csv_amount(forged)
        own_client, own_pin = _deploy(mirror_node, "espejo", "official")
        digest = hashlib.sha256(forged.manifest.read_bytes()).digest()
        assert own_client.publish(DATASET, DAYS[1], digest) is not None
        write_pin(own_pin, mirror / layout.TRUST_FILE)
        record = orjson.loads(forged.anchor.read_bytes())
        record.update(
            digest=digest.hex(),
            contract=own_pin.registry.address,
            publisher=own_pin.publisher,
            txHash=None,
            blockNumber=None,
        )
        forged.anchor.write_bytes(orjson.dumps(record))
        empty = tmp / "no-devchain"
        empty.mkdir()
        yield Sites(root, official_pin, pin_file, mirror, own_pin, forged, empty)
    finally:
        official_node.stop()
        mirror_node.stop()


def test_the_official_data_verifies_with_the_official_pin(sites: Sites) -> None:
    folder = layout.DayLayout(sites.official_root, DATASET, DAYS[1]).folder
    code, text = verificar(str(folder), "--trust", str(sites.official_pin_file))
    assert code == 0, text
    assert "Veredicto: VERIFICADO" in text


def test_the_official_data_verifies_with_the_installed_pin_alone(
    sites: Sites, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --trust, no --rpc: the pin installed with the verifier names the chain, registry,
    publisher and nodes, and the verdict says where the pin came from."""
    installed = (TrustPin.from_pin(sites.official_pin, PinSource.INSTALLED),)
    monkeypatch.setattr("integrity.verify._pins.installed_pins", lambda: installed)
    folder = layout.DayLayout(sites.official_root, DATASET, DAYS[1]).folder
    code, text = verificar(str(folder), "--devchain", str(sites.empty_devchain))
    assert code == 0, text
    assert "Veredicto: VERIFICADO" in text
    pin_line = next(line for line in text.splitlines() if line.startswith("Pin de confianza"))
    assert "«peru-compras-prueba», instalado con el verificador" in pin_line
    assert sites.official_pin.registry.address in pin_line
    code, raw = verificar(str(folder), "--devchain", str(sites.empty_devchain), "--json")
    report = orjson.loads(raw)
    assert report["exitCode"] == 0
    assert [(pin["source"], pin["name"]) for pin in report["pin"]] == [
        ("installed", "peru-compras-prueba")
    ]


def test_cli_with_the_official_pin_names_another_publisher(sites: Sites) -> None:
    code, text = verificar(str(sites.forged.folder), "--trust", str(sites.official_pin_file))
    assert code == 1, text
    assert "Veredicto: VERIFICADO" not in text
    assert "publicador distinto del oficial" in text
    publisher = [line for line in text.splitlines() if line.startswith("publicador")]
    assert publisher and "FALLA" in publisher[0]
    assert "indicado con --trust" in text


def test_cli_with_the_installed_official_pin_fails_too(
    sites: Sites, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = (TrustPin.from_pin(sites.official_pin, PinSource.INSTALLED),)
    monkeypatch.setattr("integrity.verify._pins.installed_pins", lambda: installed)
    code, text = verificar(str(sites.forged.folder), "--devchain", str(sites.empty_devchain))
    assert code == 1, text
    assert "publicador distinto del oficial" in text
    assert "instalado con el verificador" in text
    code, raw = verificar(
        str(sites.forged.folder), "--devchain", str(sites.empty_devchain), "--json"
    )
    report = orjson.loads(raw)
    assert report["exitCode"] == 1
    assert [pin["source"] for pin in report["pin"]] == ["installed"]
    keys = [m["key"] for m in report["checks"]["publisher"]["messages"] if m["failed"]]
    assert "publisher.data_pin_differs" in keys


def test_cli_without_any_pin_never_believes_the_mirrors_trust_json(
    sites: Sites, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("integrity.verify._pins.installed_pins", lambda: ())
    for extra in ([], ["--rpc", sites.mirror_pin.network.rpc[0]]):
        code, text = verificar(
            str(sites.forged.folder), "--devchain", str(sites.empty_devchain), *extra
        )
        assert code == 2, text  # integrity OK, anchor maybe OK on the mirror's registry: no pin
        assert "Veredicto: VERIFICADO" not in text
        assert "Sin pin de confianza" in text and "--trust" in text


def test_the_official_page_served_by_the_mirror_does_not_verify(sites: Sites) -> None:
    from test_browser_verifier import CHROMIUM, LAUNCH_ARGS, StaticSite, VerifierPage

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    page_file = sites.mirror_root / "verificar.html"
    assert page_file.is_file()  # the official page, built with the official pin, copied over
    assert sites.official_pin.registry.address in page_file.read_text()
    site = StaticSite(sites.mirror_root)
    official_site = StaticSite(sites.official_root)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
            )
            try:
                tab = browser.new_page()
                good = VerifierPage(tab, official_site.url)
                authentic = layout.DayLayout(sites.official_root, DATASET, DAYS[1])
                result = good.verify(authentic.path(layout.ORDERS_CSV))
                assert result["exit"] == 0, result
                good.close()

                page = VerifierPage(tab, site.url)
                result = page.verify(sites.forged.path(layout.ORDERS_CSV))
                assert result["exit"] == 1, result
                assert "Veredicto: VERIFICADO" not in result["verdict"]
                assert result["statuses"]["publisher"] == "fail"
                assert "publisher.data_pin_differs" in result["keys"]["publisher"]
                assert result["pin"] == "pin.used.page"
                assert not page.errors
                page.close()
            finally:
                browser.close()
    finally:
        site.close()
        official_site.close()
