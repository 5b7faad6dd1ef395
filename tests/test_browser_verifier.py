"""The browser verifier page (integrity/web) in headless Chromium against a real anvil and the vectors."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from integrity import layout
from integrity.verify import build_proof
from publication.web import install_web_verifier

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
VECTORS = Path(__file__).resolve().parent / "vectors"
DATASET = layout.DEFAULT_DATASET

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=(
            f"{CHROMIUM} not found: install Debian's chromium "
            "(apt-get install -y --no-install-recommends chromium) to run the browser tests"
        ),
    ),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@functools.cache
def _generator() -> Any:
    from test_vectors import load_generator

    return load_generator()


class StaticSite:
    """A folder served over HTTP on 127.0.0.1 (port 0) from a thread."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/verificar.html"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@dataclass
class Published:
    """Two days published and anchored on a running anvil, with the page installed."""

    root: Path
    rpc_url: str
    page_url: str

    def path(self, day: dt.date, kind: str) -> Path:
        return layout.DayLayout(self.root, DATASET, day).path(kind)


DAYS = [dt.date(2025, 3, 3), dt.date(2025, 3, 4)]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """Publish two days with the vectors' day writer and anchor them on a real anvil."""
    from chain_helpers import anchor_published

    from integrity.devchain import DevChain
    from integrity.verify.trust import load_pin
    from publication.anchoring import ChainSession

    generator = _generator()
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "datasets"
    with DevChain(tmp / "devchain") as chain:
        session = ChainSession(chain.client(), load_pin(chain.pin_file), dev_chain=True)
        root.mkdir()
        previous: dict[str, str] | None = None
        for day in DAYS:
            folder = generator.write_vector_day(root, generator.day_content(day), previous)
            raw = (folder / layout.DayLayout(root, DATASET, day).name(layout.MANIFEST)).read_bytes()
            anchor_published(root, [day], session)
            previous = {"date": day.isoformat(), "manifestSha256": hashlib.sha256(raw).hexdigest()}
        generator.write_index(root)
        install_web_verifier(root)
        site = StaticSite(root)
        try:
            yield Published(root, chain.rpc_url, site.url)
        finally:
            site.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


class VerifierPage:
    """Drives verificar.html: drop files, read the four result rows and the verdict."""

    def __init__(self, browser: Any, url: str, rpc_url: str) -> None:
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready=true]", state="attached")
        self.page.fill("#rpc", rpc_url)
        self.done = 0

    def verify(self, path: Path) -> dict[str, Any]:
        """Drop one file and return its result block's statuses, exit code and texts."""
        self.page.set_input_files("#archivo", str(path))
        self.done += 1
        self.page.wait_for_selector(f'#estado[data-done="{self.done}"]', state="attached")
        block = self.page.locator(".resultado").first
        rows = {
            row.get_attribute("data-check"): row for row in block.locator("tr[data-check]").all()
        }
        measure = block.locator(".medida")
        return {
            "exit": int(block.get_attribute("data-exit-code") or -1),
            "statuses": {name: row.get_attribute("data-status") for name, row in rows.items()},
            "labels": {name: row.locator("td.estado").inner_text() for name, row in rows.items()},
            "keys": {
                name: row.locator("td.mensajes div.falla").evaluate_all(
                    "nodes => nodes.map(n => n.dataset.key)"
                )
                for name, row in rows.items()
            },
            "verdict": block.locator(".veredicto").inner_text(),
            "method": measure.get_attribute("data-method") if measure.count() else None,
            "sha256": measure.get_attribute("data-sha256") if measure.count() else None,
        }

    def close(self) -> None:
        assert not self.errors, self.errors
        self.page.close()


ALL_OK = {"integrity": "ok", "inclusion": "ok", "anchor": "ok", "publisher": "ok"}


def test_clean_files_and_proof_pass_on_anvil(
    published: Published, browser: Any, tmp_path: Path
) -> None:
    page = VerifierPage(browser, published.page_url, published.rpc_url)
    jsonl = page.verify(published.path(DAYS[1], layout.RELEASES_JSONL))
    assert jsonl["statuses"] == ALL_OK
    assert jsonl["exit"] == 0
    assert set(jsonl["labels"].values()) == {"OK"}
    assert jsonl["verdict"].startswith("Veredicto: VERIFICADO.")
    parquet = page.verify(published.path(DAYS[1], layout.ORDERS_PARQUET))
    assert parquet["statuses"] == ALL_OK | {"inclusion": "skipped"}
    assert parquet["labels"]["inclusion"] == "OMITIDA"
    assert parquet["exit"] == 0
    manifest = page.verify(published.path(DAYS[1], layout.MANIFEST))
    assert manifest["statuses"] == ALL_OK | {"inclusion": "skipped"}
    proof_path = tmp_path / "prueba.json"
    proof = build_proof(published.path(DAYS[1], layout.MANIFEST).parent, "OCAM-2025-501-4001")
    proof_path.write_bytes(orjson.dumps(proof))
    assert page.verify(proof_path)["statuses"] == ALL_OK
    renamed = tmp_path / "descarga (1).parquet"
    shutil.copyfile(published.path(DAYS[0], layout.ORDERS_PARQUET), renamed)
    found = page.verify(renamed)
    assert found["statuses"] == ALL_OK | {"inclusion": "skipped"}
    page.page.click("#idioma")
    block = page.page.locator(".resultado").first
    assert block.locator("tr[data-check=integrity] th").inner_text() == "integrity"
    assert block.locator(".veredicto").inner_text().startswith("Verdict: VERIFIED.")
    page.close()


def test_tampered_copies_fail_on_the_right_row(
    published: Published, browser: Any, tmp_path: Path
) -> None:
    page = VerifierPage(browser, published.page_url, published.rpc_url)
    source = published.path(DAYS[1], layout.RELEASES_JSONL)
    tampered = tmp_path / source.name
    tampered.write_bytes(source.read_bytes().replace(b'"status":"active"', b'"status":"ended"', 1))
    result = page.verify(tampered)
    assert result["statuses"] == ALL_OK | {"integrity": "fail", "inclusion": "fail"}
    assert result["labels"]["integrity"] == "FALLA"
    assert "integrity.hash_mismatch" in result["keys"]["integrity"]
    assert result["keys"]["inclusion"] == ["inclusion.root_mismatch"]
    assert result["exit"] == 1
    assert result["verdict"] == "Veredicto: ALTERADO O NO PUBLICADO. Falló: integridad, inclusión."

    parquet = published.path(DAYS[1], layout.ORDERS_PARQUET)
    flipped = bytearray(parquet.read_bytes())
    flipped[100] ^= 0xFF
    (tmp_path / parquet.name).write_bytes(bytes(flipped))
    result = page.verify(tmp_path / parquet.name)
    assert result["statuses"]["integrity"] == "fail"
    assert result["keys"]["integrity"] == ["integrity.hash_mismatch"]

    proof = build_proof(source.parent, "OCAM-2025-500-4000")
    proof["line"] = proof["line"].replace('"status":"active"', '"status":"ended"', 1)
    (tmp_path / "prueba.json").write_bytes(orjson.dumps(proof))
    result = page.verify(tmp_path / "prueba.json")
    assert result["statuses"] == ALL_OK | {"inclusion": "fail"}
    assert result["keys"]["inclusion"] == ["inclusion.proof_failed"]
    assert result["labels"]["inclusion"] == "FALLA"
    page.close()


def test_incremental_and_webcrypto_hashing_agree(published: Published, browser: Any) -> None:
    jsonl = published.path(DAYS[0], layout.RELEASES_JSONL)
    expected = hashlib.sha256(jsonl.read_bytes()).hexdigest()
    whole = VerifierPage(browser, published.page_url, published.rpc_url)
    one_go = whole.verify(jsonl)
    whole.close()
    chunked = VerifierPage(browser, published.page_url + "?umbral=0", published.rpc_url)
    streamed = chunked.verify(jsonl)
    assert (one_go["method"], streamed["method"]) == ("WebCrypto", "incremental")
    assert one_go["sha256"] == streamed["sha256"] == expected
    assert streamed["statuses"] == ALL_OK
    samples = {str(n): os.urandom(n).hex() for n in (0, 1, 55, 56, 63, 64, 65, 119, 1000, 70001)}
    digests = chunked.page.evaluate(
        """samples => Object.fromEntries(Object.entries(samples).map(([n, hex]) => {
            const bytes = new Uint8Array(hex.length / 2);
            for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(2 * i, 2), 16);
            const h = new window.verificador.Sha256();
            h.update(bytes.subarray(0, 7)).update(bytes.subarray(7));
            return [n, window.verificador.toHex(h.digest())];
        }))""",
        samples,
    )
    assert digests == {
        n: hashlib.sha256(bytes.fromhex(data)).hexdigest() for n, data in samples.items()
    }
    chunked.close()


def test_page_messages_are_the_cli_messages(published: Published) -> None:
    from messages import domain

    script = (published.root / "verificar-mensajes.js").read_text(encoding="utf-8")
    catalogue = orjson.loads(script.split("=", 1)[1].strip().rstrip(";"))
    assert catalogue["messages"]["verdict.failed"] == dict(domain("verify")["verdict.failed"])
    assert catalogue["checks"]["inclusion"] == {"es": "inclusión", "en": "inclusion"}


@pytest.fixture(scope="module")
def vector_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A copy of the vectors' good datasets root with the page, and the snapshot as JSON-RPC."""
    root = tmp_path_factory.mktemp("vector-site") / "good"
    shutil.copytree(VECTORS / "good", root)
    install_web_verifier(root)
    snapshot = orjson.loads((VECTORS / "chain-snapshot.json").read_bytes())
    site = StaticSite(root)
    with _generator().SnapshotRpcServer(snapshot) as rpc:
        try:
            yield site.url, rpc.url
        finally:
            site.close()


def test_page_agrees_with_the_shipped_vectors(vector_site: tuple[str, str], browser: Any) -> None:
    """Every single-file and proof vector gets the statuses expected.json declares."""
    expected = orjson.loads((VECTORS / "expected.json").read_bytes())
    page = VerifierPage(browser, *vector_site)
    checked = []
    for case in expected["cases"]:
        target = VECTORS / case["target"]
        if case["range"] or target.is_dir() or case["datasets"] != "good":
            continue
        result = page.verify(target)
        assert result["statuses"] == case["statuses"], case["name"]
        assert result["exit"] == case["exitCode"], case["name"]
        for check, keys in case["failing"].items():
            assert set(result["keys"][check]) == set(keys), (case["name"], check)
        checked.append(case["name"])
    forged = VECTORS / "cases" / "forged-manifest" / "perucompras-ocam-2025-03-04-manifest.json"
    result = page.verify(forged)
    assert result["statuses"]["anchor"] == "fail"
    assert "anchor.digest_mismatch" in result["keys"]["anchor"]
    page.close()
    assert {"good-proof", "proof-other-contract", "modified-field", "truncated"} <= set(checked)
