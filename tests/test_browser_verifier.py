"""The browser verifier page (integrity/web) in headless Chromium against a real anvil and the vectors.

The page believes only the trust pin embedded when it was built (``integrity.web``): it shows
it with where to compare it, reads the chain at the pin's nodes (two must agree), never takes
a node from its URL, and takes a node of the reader's choice only through a visible field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import http.server
import json
import os
import re
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
from integrity.verify.trust import Pin, load_pin
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


class CountingRpc:
    """A JSON-RPC endpoint answering from a chain snapshot and counting the calls it gets."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        answer = _generator().rpc_answer
        self.calls = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _headers(self, status: int, length: int = 0) -> None:
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "content-type")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(length))
                self.end_headers()

            def do_OPTIONS(self) -> None:
                self._headers(204)

            def do_POST(self) -> None:
                outer.calls += 1
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                data = json.dumps(answer(snapshot, body)).encode()
                self._headers(200, len(data))
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def pin_with_nodes(pin: Pin, *urls: str) -> Pin:
    """The same pin with other RPC endpoints (a test serves the chain on a random port)."""
    return dataclasses.replace(pin, network=dataclasses.replace(pin.network, rpc=tuple(urls)))


@dataclass
class Published:
    """Two days published and anchored on a running anvil, with the page installed."""

    root: Path
    rpc_url: str
    page_url: str
    pin: Pin

    def path(self, day: dt.date, kind: str) -> Path:
        return layout.DayLayout(self.root, DATASET, day).path(kind)


DAYS = [dt.date(2025, 3, 3), dt.date(2025, 3, 4)]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """Publish two days with the vectors' day writer, anchor them through the journal on a
    real anvil and build the page with that anvil's dev pin embedded."""
    from support.chain_helpers import anchor_published

    from integrity.devchain import DevChain
    from integrity.verify.trust import load_pin
    from publication.anchoring import ChainSession

    generator = _generator()
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "datasets"
    with DevChain(tmp / "devchain") as chain:
        session = ChainSession(chain.client(), load_pin(chain.pin_file), dev_chain=True)
        root.mkdir()
        pin = pin_with_nodes(load_pin(chain.pin_file), chain.rpc_url)
        previous: dict[str, str] | None = None
        for day in DAYS:
            folder = generator.write_vector_day(root, generator.day_content(day), previous)
            raw = (folder / layout.DayLayout(root, DATASET, day).name(layout.MANIFEST)).read_bytes()
            anchor_published(root, [day], session)
            previous = {"date": day.isoformat(), "manifestSha256": hashlib.sha256(raw).hexdigest()}
        generator.write_index(root)
        install_web_verifier(root, pin)
        site = StaticSite(root)
        try:
            yield Published(root, chain.rpc_url, site.url, pin)
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


@pytest.fixture(scope="module")
def tab(browser: Any) -> Iterator[Any]:
    """One tab for the module's pages: a VerifierPage loads the page afresh in it (a new
    document with its own error list), a fraction of the cost of a new context and tab."""
    page = browser.new_page()
    yield page
    page.close()


# The newest result block, read in the same call that waits for the page to count ``done``
# results (30 s at most, as Playwright's wait). Like a Playwright locator, a cell or line the
# block must hold exactly once (a row's status, the verdict, the pin or measure line) that is
# missing or repeated is an error, never a silent first match.
READ_RESULT = """block => {
    const one = (root, selector, optional) => {
        const found = root.querySelectorAll(selector);
        if (found.length > 1 || (found.length === 0 && !optional)) {
            throw new Error(`${found.length} elements match ${selector} in the result block`);
        }
        return found.length ? found[0] : null;
    };
    const keys = (root, selector) => [...root.querySelectorAll(selector)].map(n => n.dataset.key);
    const rows = {};
    for (const row of block.querySelectorAll("tr[data-check]")) rows[row.dataset.check] = row;
    const perRow = read => Object.fromEntries(Object.entries(rows).map(([n, r]) => [n, read(r)]));
    const pin = one(block, "p.pin-usado", true);
    const measure = one(block, ".medida", true);
    return {
        exit: block.getAttribute("data-exit-code"),
        statuses: perRow(row => row.getAttribute("data-status")),
        labels: perRow(row => one(row, "td.estado").innerText),
        keys: perRow(row => keys(row, "td.mensajes div.falla")),
        all_keys: keys(block, "td.mensajes div"),
        info: keys(block, "p.nota"),
        pin: pin && pin.getAttribute("data-key"),
        verdict: one(block, ".veredicto").innerText,
        method: measure && measure.getAttribute("data-method"),
        sha256: measure && measure.getAttribute("data-sha256"),
    };
}"""
WAIT_AND_READ = (
    """async done => {
    const status = document.getElementById("estado");
    const settled = () => status.getAttribute("data-done") === String(done);
    if (!settled()) {
        await new Promise((resolve, reject) => {
            const observer = new MutationObserver(() => {
                if (settled()) {
                    observer.disconnect();
                    clearTimeout(timer);
                    resolve();
                }
            });
            const timer = setTimeout(() => {
                observer.disconnect();
                reject(new Error(`no data-done="${done}" on #estado after 30 s`));
            }, 30000);
            observer.observe(status, { attributes: true, attributeFilter: ["data-done"] });
        });
    }
    const block = document.querySelector(".resultado");
    if (!block) throw new Error("no result block");
    return ("""
    + READ_RESULT
    + """)(block);
}"""
)


class VerifierPage:
    """Drives verificar.html, loaded afresh in ``tab``: drop files, read the four result rows
    and the verdict."""

    def __init__(self, tab: Any, url: str, user_rpc: str | None = None) -> None:
        self.page = tab
        self.errors: list[str] = []
        self._on_error = lambda error: self.errors.append(str(error))
        self.page.on("pageerror", self._on_error)
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready=true]", state="attached")
        if user_rpc is not None:
            self.page.click("#nodo summary")
            self.page.fill("#rpc", user_rpc)
        self.done = 0

    def verify(self, path: Path) -> dict[str, Any]:
        """Give the page one file (or one day folder, through its folder field) and return the
        result block's statuses, exit code and texts."""
        self.page.set_input_files("#carpeta" if path.is_dir() else "#archivo", str(path))
        self.done += 1
        raw = self.page.evaluate(WAIT_AND_READ, self.done)
        return raw | {"exit": int(raw["exit"] or -1)}

    def close(self) -> None:
        """Unload the page (the tab stays open for the next one) and fail on any page error."""
        self.page.goto("about:blank")
        self.page.remove_listener("pageerror", self._on_error)
        assert not self.errors, self.errors


ALL_OK = {"integrity": "ok", "inclusion": "ok", "anchor": "ok", "publisher": "ok"}
FILE_OK = ALL_OK | {"inclusion": "skipped"}


def test_clean_files_and_proof_pass_on_anvil(
    published: Published, tab: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = VerifierPage(tab, published.page_url)
    jsonl = page.verify(published.path(DAYS[1], layout.RELEASES_JSONL))
    assert jsonl["statuses"] == ALL_OK
    assert jsonl["exit"] == 0
    assert set(jsonl["labels"].values()) == {"OK"}
    assert jsonl["verdict"].startswith("Veredicto: VERIFICADO.")
    assert jsonl["pin"] == "pin.used.page"
    for kind in (
        layout.ORDERS_PARQUET,
        layout.MANIFEST,
        layout.RECORD_PACKAGE,
        layout.QUALITY_HTML,
        layout.ORDERS_CSV,
        layout.QUALITY_JSON,
        layout.RELEASE_PACKAGE,
        layout.CHECKSUMS,
    ):
        result = page.verify(published.path(DAYS[1], kind))
        assert (result["statuses"], result["exit"]) == (FILE_OK, 0), kind
    proof_path = tmp_path / "prueba.json"
    proof = build_proof(published.path(DAYS[1], layout.MANIFEST).parent, "OCAM-2025-501-4001")
    proof_path.write_bytes(orjson.dumps(proof))
    assert page.verify(proof_path)["statuses"] == ALL_OK
    renamed = tmp_path / "descarga (1).parquet"
    shutil.copyfile(published.path(DAYS[0], layout.ORDERS_PARQUET), renamed)
    found = page.verify(renamed)
    assert found["statuses"] == FILE_OK and found["exit"] == 0
    assert "integrity.identified" in found["all_keys"]
    page.page.click("#idioma")
    block = page.page.locator(".resultado").first
    expect(block.locator("tr[data-check=integrity] th")).to_have_text("integrity")
    expect(block.locator(".veredicto")).to_have_text(re.compile(r"^Verdict: VERIFIED\."))
    page.close()


def test_the_embedded_pin_is_shown_with_where_to_compare_it(published: Published, tab: Any) -> None:
    from playwright.sync_api import expect

    page = VerifierPage(tab, published.page_url)
    shown = page.page.locator("#confianza").inner_text()
    pin = published.pin
    for value in (str(pin.network.chain_id), pin.registry.address, pin.publisher, pin.name):
        assert value in shown, value
    assert page.page.locator("#confianza").get_attribute("data-source") == "page"
    assert (
        f"integrity/verify/trust/{pin.name}.json" in page.page.locator("#pin-comparar").inner_text()
    )
    assert published.rpc_url in page.page.locator("#nodos").inner_text()
    assert not page.page.locator("#rpc").is_visible()  # the own-node field is closed by default
    page.page.click("#nodo summary")
    expect(page.page.locator("#rpc")).to_be_visible()
    assert "confía" in page.page.locator("#nodo .aviso").inner_text()
    page.close()


def test_tampered_copies_fail_on_the_right_row(
    published: Published, tab: Any, tmp_path: Path
) -> None:
    page = VerifierPage(tab, published.page_url)
    source = published.path(DAYS[1], layout.RELEASES_JSONL)
    tampered = tmp_path / source.name
    tampered.write_bytes(source.read_bytes().replace(b'"status":"active"', b'"status":"ended"', 1))
    result = page.verify(tampered)
    assert result["statuses"] == ALL_OK | {"integrity": "fail", "inclusion": "fail"}
    assert result["labels"]["integrity"] == "FALLA"
    assert "integrity.hash_mismatch" in result["keys"]["integrity"]
    assert result["keys"]["inclusion"] == ["inclusion.root_mismatch"]
    assert "explain.line_changed" in result["all_keys"]
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


def test_incremental_and_webcrypto_hashing_agree(published: Published, tab: Any) -> None:
    jsonl = published.path(DAYS[0], layout.RELEASES_JSONL)
    expected = hashlib.sha256(jsonl.read_bytes()).hexdigest()
    whole = VerifierPage(tab, published.page_url)
    one_go = whole.verify(jsonl)
    whole.close()
    chunked = VerifierPage(tab, published.page_url + "?umbral=0")
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


# --------------------------------------------------------------------------- the vectors


SNAPSHOT = orjson.loads((VECTORS / "chain-snapshot.json").read_bytes())
EXPECTED = orjson.loads((VECTORS / "expected.json").read_bytes())


# The vectors the page cannot run, each with the reason. Every other vector runs in the page
# (a file, a proof or a day folder); a new range or offline vector fails
# test_only_range_and_offline_vectors_are_cli_only until it is listed here.
NO_RANGE = "a range of days: the page checks one file, proof or day folder at a time"
ALWAYS_ONLINE = "--offline: the page always reads the chain"
CLI_ONLY = {
    "good-range": NO_RANGE,
    "replay-old-root": NO_RANGE,
    "missing-day": NO_RANGE,
    "last-day-removed": NO_RANGE,
    "malformed-index": NO_RANGE,
    "good-day-offline": ALWAYS_ONLINE,
    "forged-mirror-offline": ALWAYS_ONLINE,
    "forged-mirror-offline-pinned": ALWAYS_ONLINE,
    "unsafe-names": ALWAYS_ONLINE + " (the page runs the same folder as unsafe-names-online)",
}


def page_cases() -> list[dict[str, Any]]:
    """The vectors the page can take: a file, a proof or a day folder, online, no range."""
    return [case for case in EXPECTED["cases"] if not case["range"] and not case["offline"]]


def test_only_range_and_offline_vectors_are_cli_only() -> None:
    """The page skips exactly the listed vectors, and can take every other target."""
    taken = page_cases()
    skipped = {case["name"] for case in EXPECTED["cases"]} - {case["name"] for case in taken}
    assert skipped == set(CLI_ONLY)
    assert all(CLI_ONLY.values())
    folders = [case for case in taken if (VECTORS / case["target"]).is_dir()]
    assert {"good-day", "unlisted-file", "unsafe-names-online", "receipt-malformed-tx"} <= {
        case["name"] for case in folders
    }
    assert all((VECTORS / case["target"]).is_file() for case in taken if case not in folders)


@pytest.fixture(scope="module")
def snapshot_rpc() -> Iterator[CountingRpc]:
    server = CountingRpc(SNAPSHOT)
    yield server
    server.close()


def vector_site(tmp: Path, datasets: str, pin: Pin | None) -> StaticSite:
    """A copy of one of the vectors' datasets roots with the page installed (``pin`` embedded)."""
    root = tmp / datasets.replace("/", "_") / ("pinned" if pin else "plain")
    shutil.copytree(VECTORS / datasets, root)
    install_web_verifier(root, pin)
    return StaticSite(root)


def test_page_agrees_with_the_shipped_vectors(
    tab: Any, snapshot_rpc: CountingRpc, tmp_path: Path
) -> None:
    """Every vector the page can take (all but CLI_ONLY) gets the statuses, failing keys, exit
    code and plain-words explanations expected.json declares: a file or proof through the file
    field, a day folder through the folder field, on a site serving the vector's datasets root.
    With a pin it is embedded; without one the page has none (the site's trust.json is never
    believed) and reads the chain at a node typed in the visible field (as the CLI's --rpc)."""
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for case in page_cases():
        groups.setdefault((case["datasets"], case["pin"]), []).append(case)
    checked = []
    for (datasets, pin_file), cases in sorted(
        groups.items(), key=lambda g: (g[0][0], g[0][1] or "")
    ):
        pin = pin_with_nodes(load_pin(VECTORS / pin_file), snapshot_rpc.url) if pin_file else None
        site = vector_site(tmp_path, datasets, pin)
        page = VerifierPage(tab, site.url, None if pin else snapshot_rpc.url)
        try:
            for case in cases:
                result = page.verify(VECTORS / case["target"])
                name = case["name"]
                assert result["statuses"] == case["statuses"], (name, result)
                assert result["exit"] == case["exitCode"], (name, result)
                for check in ("integrity", "inclusion", "anchor", "publisher"):
                    expected = set(case["failing"].get(check, []))
                    assert set(result["keys"][check]) == expected, (name, check, result)
                assert set(case["explanations"]) <= set(result["all_keys"]), (name, result)
                if (
                    case["statuses"]["publisher"] != "skipped"
                    or case["statuses"]["anchor"] != "skipped"
                ):
                    assert result["pin"] == ("pin.used.page" if pin else "pin.none"), name
                checked.append(name)
        finally:
            page.close()
            site.close()
    assert {
        "good-proof",
        "proof-other-contract",
        "modified-field",
        "truncated",
        "renamed-file",
        "good-records-json",
        "good-quality-html",
        "sums-line-removed",
        "malformed-anchor",
        "malformed-proof-line",
        "not-a-date",
        "fabricated-2199-12-30",
        "csv-resaved",
        "csv-changed-amount",
        "json-reformatted",
        "forged-mirror-pinned-jsonl",
        "forged-mirror-pinned",
        "forged-mirror-no-pin",
        "good-day-no-pin",
        "forged-manifest",
        "unsafe-names-online",
        "unlisted-file",
        "receipt-malformed-tx",
        "jsonl-resaved",
    } <= set(checked)
    assert sorted(checked) == sorted(case["name"] for case in page_cases())


def test_a_day_folder_is_covered_as_in_the_cli(
    tab: Any, snapshot_rpc: CountingRpc, tmp_path: Path
) -> None:
    """The folder field, like ``verificar FOLDER``: a hidden name (.DS_Store) is ignored, a
    subfolder the manifest does not list fails the day (named, never entered)."""
    pin = pin_with_nodes(load_pin(VECTORS / "pins" / "vectores-prueba.json"), snapshot_rpc.url)
    site = vector_site(tmp_path, "good", pin)
    day = tmp_path / "descarga"
    shutil.copytree(VECTORS / "good" / DATASET / "2025" / "03" / "04", day)
    (day / ".DS_Store").write_bytes(b"\x00")
    try:
        page = VerifierPage(tab, site.url)
        clean = page.verify(day)
        assert (clean["statuses"], clean["exit"]) == (ALL_OK, 0)
        assert "integrity.files_ok" in clean["all_keys"]
        assert "integrity.sums_ok" in clean["all_keys"]
        (day / "extra").mkdir()
        (day / "extra" / "notas.txt").write_text("x")
        extra = page.verify(day)
        assert extra["keys"]["integrity"] == ["integrity.unlisted_file"]
        assert "extra:" in page.page.locator(".resultado div.falla").first.inner_text()
        assert (extra["statuses"], extra["exit"]) == (ALL_OK | {"integrity": "fail"}, 1)
        page.close()
    finally:
        site.close()


# --------------------------------------------------------------------------- nodes


@pytest.fixture(scope="module")
def lying_rpc() -> Iterator[CountingRpc]:
    """A node that claims the forged mirror's manifest is the one anchored for 2025-03-04."""
    forged = VECTORS / "cases" / "forged-mirror" / DATASET / "2025" / "03" / "04"
    digest = hashlib.sha256((forged / f"{DATASET}-2025-03-04-manifest.json").read_bytes())
    lies = json.loads(json.dumps(SNAPSHOT))
    lied = [entry for entry in lies["entries"] if entry["day"] == 20250304]
    assert len(lied) == 1
    lied[0]["digest"] = digest.hexdigest()
    server = CountingRpc(lies)
    yield server
    server.close()


def forged_proof(tmp_path: Path) -> Path:
    """A proof of a forged release whose receipt looks official (the real receipt, with the
    forged manifest's digest)."""
    from integrity.canonical import canonical_bytes
    from integrity.verify import build_all_proofs

    folder = VECTORS / "cases" / "forged-mirror" / DATASET / "2025" / "03" / "04"
    proof = next(iter(build_all_proofs(folder)))
    official = (
        VECTORS / "good" / DATASET / "2025" / "03" / "04" / f"{DATASET}-2025-03-04-anchor.json"
    )
    digest = hashlib.sha256(canonical_bytes(proof["manifest"])).hexdigest()
    proof["anchor"] = orjson.loads(official.read_bytes()) | {"digest": digest}
    target = tmp_path / "prueba-falsa.json"
    target.write_bytes(orjson.dumps(proof))
    return target


def test_a_node_in_the_url_is_ignored(
    tab: Any, snapshot_rpc: CountingRpc, lying_rpc: CountingRpc, tmp_path: Path
) -> None:
    """Issue case 4: a link to the official page naming a lying node cannot make a forged proof
    VERIFICADO; the page reads the pin's node and never the one in ?rpc=."""
    pin = pin_with_nodes(load_pin(VECTORS / "pins" / "vectores-prueba.json"), snapshot_rpc.url)
    site = vector_site(tmp_path, "good", pin)
    try:
        before = lying_rpc.calls
        page = VerifierPage(tab, f"{site.url}?rpc={lying_rpc.url}")
        assert page.page.locator("#rpc").input_value() == ""
        forged = page.verify(forged_proof(tmp_path))
        assert forged["exit"] == 1 and forged["statuses"]["anchor"] == "fail"
        assert "anchor.digest_mismatch" in forged["keys"]["anchor"]
        good = page.verify(VECTORS / "proofs" / "good-proof.json")
        assert good["exit"] == 0
        assert lying_rpc.calls == before
        page.close()
        # Typed by the reader in the visible field, a node is used, and the result says so.
        chosen = VerifierPage(tab, site.url, lying_rpc.url)
        result = chosen.verify(forged_proof(tmp_path))
        assert "page.rpc_used" in result["info"]
        assert lying_rpc.calls > before
        chosen.close()
    finally:
        site.close()


def test_two_nodes_in_the_pin_must_agree(
    tab: Any, snapshot_rpc: CountingRpc, lying_rpc: CountingRpc, tmp_path: Path
) -> None:
    pin = load_pin(VECTORS / "pins" / "vectores-prueba.json")
    other = CountingRpc(SNAPSHOT)
    agreeing = vector_site(tmp_path / "a", "good", pin_with_nodes(pin, snapshot_rpc.url, other.url))
    disagreeing = vector_site(
        tmp_path / "b", "good", pin_with_nodes(pin, snapshot_rpc.url, lying_rpc.url)
    )
    target = VECTORS / "good" / DATASET / "2025" / "03" / "04" / f"{DATASET}-2025-03-04-orders.csv"
    try:
        page = VerifierPage(tab, agreeing.url)
        calls = other.calls
        assert page.verify(target)["exit"] == 0
        assert other.calls > calls  # the second node was asked too
        page.close()
        page = VerifierPage(tab, disagreeing.url)
        result = page.verify(target)
        assert result["exit"] == 2 and "VERIFICADO" not in result["verdict"]
        assert "anchor.nodes_disagree" in result["all_keys"]
        page.close()
    finally:
        agreeing.close()
        disagreeing.close()
        other.close()


def test_a_page_without_a_pin_never_believes_the_sites_trust_json(
    tab: Any, snapshot_rpc: CountingRpc, tmp_path: Path
) -> None:
    """Issue 12 part 2: the page has no trust.json fallback. Built without a pin, it says
    nothing can be VERIFICADO; even with a node typed in the visible field, the publisher stays
    unknown (exit 2), although the site's trust.json names the right registry."""
    site = vector_site(tmp_path, "good", None)
    target = VECTORS / "good" / DATASET / "2025" / "03" / "04" / f"{DATASET}-2025-03-04-orders.csv"
    try:
        page = VerifierPage(tab, site.url)
        assert page.page.locator("#confianza").get_attribute("data-source") == "none"
        assert "nada puede quedar VERIFICADO" in page.page.locator("#confianza").inner_text()
        result = page.verify(target)
        assert result["exit"] == 2  # no pin, no node: nothing was read
        assert "page.no_rpc" in result["all_keys"]
        page.close()
        own = VerifierPage(tab, site.url, user_rpc=snapshot_rpc.url)
        result = own.verify(target)
        assert result["exit"] == 2 and "VERIFICADO." not in result["verdict"]
        assert result["statuses"]["publisher"] == "skipped"
        assert "publisher.no_trust" in result["all_keys"]
        assert result["statuses"]["integrity"] == "ok"
        own.close()
    finally:
        site.close()
