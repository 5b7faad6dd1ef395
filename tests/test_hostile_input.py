"""Hostile input: every case ends with the right verdict, in bounded time and memory.

Each case runs ``verificar`` in a subprocess under ``RLIMIT_AS`` (300 MB of address space)
and a wall-clock timeout, reports its peak RSS, and has an audit hook that ends it with exit
97 if it opens a canary path (a file outside the day folder that must never be read).
HTTP mirrors are local ``http.server`` threads started and stopped by the tests.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from integrity import layout
from integrity.manifest import manifest_bytes

REPO = Path(__file__).resolve().parents[1]
VECTORS = REPO / "tests" / "vectors"
GOOD = VECTORS / "good"
DATASET = layout.DEFAULT_DATASET
DAY = "2025-03-04"
DAY_FOLDER = GOOD / DATASET / "2025" / "03" / "04"
MEMORY_LIMIT = 300 << 20
WALL_LIMIT = 10.0

HARNESS = """
import json, os, sys
config = json.loads(sys.argv[1])
canaries = {os.path.realpath(p) for p in config["canaries"]}
def resolved(path, flags):
    # An open that does not follow a final symbolic link only reaches the link itself.
    if isinstance(flags, int) and flags & os.O_NOFOLLOW:
        head, tail = os.path.split(path)
        return os.path.join(os.path.realpath(head or "."), tail)
    return os.path.realpath(path)
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)) and canaries:
        flags = args[2] if len(args) > 2 else None
        if resolved(os.fsdecode(args[0]), flags) in canaries:
            os.write(2, b"CANARY OPENED " + os.fsencode(args[0]) + b"\\n")
            os._exit(97)
sys.addaudithook(hook)
from integrity.cli_verificar import run
code = run(sys.argv[2:])
sys.stdout.flush()
# VmHWM: peak RSS of this program (ru_maxrss would keep the forking parent's peak).
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0])
os.write(2, b"MAXRSS_KB %d\\n" % peak)
os._exit(code)
"""


@dataclass(frozen=True)
class Outcome:
    """What one hostile run did."""

    code: int
    seconds: float
    rss_mb: float
    report: dict[str, Any]
    stderr: str

    def keys(self, check: str) -> list[str]:
        return [m["key"] for m in self.report["checks"][check]["messages"]]

    def failed_keys(self, check: str) -> list[str]:
        return [m["key"] for m in self.report["checks"][check]["messages"] if m["failed"]]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def verificar_limited(*args: str, canaries: tuple[str, ...] = ()) -> Outcome:
    """Run ``verificar ARGS --json`` under the memory and time limits (never with the
    checkout's ``.devchain`` pin: an empty dev-chain folder is passed)."""
    config = json.dumps({"canaries": list(canaries)})
    with tempfile.TemporaryDirectory(prefix="no-devchain-") as no_devchain:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-c", HARNESS, config, *args, "--devchain", no_devchain, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_limit_memory,
            cwd=REPO,
        )
        try:
            stdout, stderr = process.communicate(timeout=WALL_LIMIT + 5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            pytest.fail(f"verificar {' '.join(args)} did not end within {WALL_LIMIT + 5} s")
        seconds = time.monotonic() - started
    text = stderr.decode("utf-8", "replace")
    assert process.returncode != 97, f"a canary path was opened: {text}"
    assert "Traceback" not in text, text
    rss = [line for line in text.splitlines() if line.startswith("MAXRSS_KB ")]
    assert rss, text
    report = orjson.loads(stdout)
    assert report["exitCode"] == process.returncode
    return Outcome(process.returncode, seconds, int(rss[0].split()[1]) / 1024, report, text)


def assert_bounded(outcome: Outcome) -> None:
    """The ≤ 10 s and ≤ 300 MB promise (``pytest -s`` prints what was measured)."""
    print(f"exit {outcome.code} in {outcome.seconds:.2f} s, peak RSS {outcome.rss_mb:.0f} MB")
    assert outcome.seconds <= WALL_LIMIT, outcome
    assert outcome.rss_mb <= 300, outcome


@pytest.fixture
def day_copy(tmp_path: Path) -> Path:
    """A private copy of a published day folder (standard layout, no datasets root above)."""
    target = tmp_path / "copy" / DATASET / "2025" / "03" / "04"
    shutil.copytree(DAY_FOLDER, target)
    return target


def name(kind: str) -> str:
    return f"{DATASET}-{DAY}-{kind}"


# --------------------------------------------------------------------------- local files


def test_dev_zero_as_the_target() -> None:
    outcome = verificar_limited("/dev/zero")
    assert outcome.code == 2
    assert outcome.keys("integrity") == ["input.device"]
    assert_bounded(outcome)


def test_a_fifo_as_the_target(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    outcome = verificar_limited(str(fifo))
    assert outcome.code == 2
    assert outcome.keys("integrity") == ["input.fifo"]
    assert_bounded(outcome)


def test_a_listed_file_that_is_a_symlink_to_dev_zero(day_copy: Path) -> None:
    csv = day_copy / name(layout.ORDERS_CSV)
    csv.unlink()
    csv.symlink_to("/dev/zero")
    outcome = verificar_limited(str(day_copy), "--offline", canaries=("/dev/zero",))
    assert outcome.code == 2
    assert "input.symlink" in outcome.keys("integrity")
    assert outcome.report["checks"]["integrity"]["skipReason"] == "unavailable"
    assert_bounded(outcome)


def test_a_listed_file_that_is_a_fifo(day_copy: Path) -> None:
    parquet = day_copy / name(layout.ORDERS_PARQUET)
    parquet.unlink()
    os.mkfifo(parquet)
    outcome = verificar_limited(str(day_copy), "--offline")
    assert outcome.code == 2
    assert "input.fifo" in outcome.keys("integrity")
    assert_bounded(outcome)


def test_manifest_names_outside_the_folder_are_never_opened(day_copy: Path) -> None:
    canary = day_copy.parents[1] / "canary.txt"  # ../../canary.txt from the day folder
    canary.write_text("must never be read\n")
    manifest_path = day_copy / name(layout.MANIFEST)
    data = orjson.loads(manifest_path.read_bytes())
    hostile = ["/etc/passwd", "../../proc/self/environ", "../../canary.txt"]
    data["files"] += [
        {"name": entry, "sha256": "0" * 64, "bytes": 1, "mediaType": "text/plain", "role": "x"}
        for entry in hostile
    ]
    manifest_path.write_bytes(manifest_bytes(data))
    outcome = verificar_limited(
        str(day_copy),
        "--offline",
        canaries=("/etc/passwd", "/proc/self/environ", str(canary)),
    )
    assert outcome.code == 1
    unsafe = [
        m["params"]["name"]
        for m in outcome.report["checks"]["integrity"]["messages"]
        if m["key"] == "input.unsafe_name"
    ]
    assert sorted(unsafe) == sorted(hostile)
    assert_bounded(outcome)


def test_a_2_gb_sparse_manifest(day_copy: Path) -> None:
    os.truncate(day_copy / name(layout.MANIFEST), 2 << 30)
    outcome = verificar_limited(str(day_copy), "--offline")
    assert outcome.code == 2
    assert outcome.keys("integrity") == ["input.too_large"]
    assert_bounded(outcome)


def test_a_2_gb_sparse_listed_file_is_not_read(day_copy: Path) -> None:
    os.truncate(day_copy / name(layout.ORDERS_PARQUET), 2 << 30)
    outcome = verificar_limited(str(day_copy), "--offline")
    assert outcome.code == 1
    mismatch = next(
        m
        for m in outcome.report["checks"]["integrity"]["messages"]
        if m["key"] == "integrity.size_mismatch"
    )
    assert mismatch["params"]["actual"] == 2 << 30
    assert_bounded(outcome)


TINY_PROOF = b'{"auditPath":[],"line":"x","leafIndex":0}'


@pytest.mark.parametrize("layout_", ["json-lines", "one-json-array"])
def test_400k_tiny_proofs(tmp_path: Path, layout_: str) -> None:
    proofs = tmp_path / "proofs.json"
    if layout_ == "json-lines":
        proofs.write_bytes((TINY_PROOF + b"\n") * 400_000)
    else:
        proofs.write_bytes(b"[" + b",".join([TINY_PROOF] * 350_000) + b"]")
    assert proofs.stat().st_size > 14_000_000
    outcome = verificar_limited(str(proofs), "--offline")
    assert outcome.code == 2
    assert outcome.keys("integrity") == ["input.too_many_proofs"]
    assert_bounded(outcome)


# --------------------------------------------------------------------------- HTTP mirrors


class _Server:
    """A local HTTP server whose GET handler is a function; stopped by the test."""

    def __init__(
        self, handle: Callable[[http.server.BaseHTTPRequestHandler, threading.Event], None]
    ) -> None:
        stop = self.stop = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    handle(self, stop)

            def log_message(self, format: str, *args: Any) -> None:
                return

        http.server.ThreadingHTTPServer.daemon_threads = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.block_on_close = False  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., _Server]]:
    servers: list[_Server] = []

    def start(handle: Callable[..., None]) -> _Server:
        servers.append(_Server(handle))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _endless(request: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
    request.send_response(200)
    request.send_header("Content-Type", "application/json")
    request.end_headers()
    chunk = b" " * 65536
    while not stop.is_set():
        request.wfile.write(chunk)


def _drip(seconds: float, *, in_headers: bool = False) -> Callable[..., None]:
    def handle(request: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
        if in_headers:
            request.wfile.write(b"HTTP/1.1 200 OK\r\n")
            payload = b"X-Slow: " + b"a" * 10_000
        else:
            request.send_response(200)
            request.send_header("Content-Length", "100000")
            request.end_headers()
            payload = b"{" + b" " * 99_999
        for byte in payload:
            request.wfile.write(bytes([byte]))
            request.wfile.flush()
            if stop.wait(seconds):
                return

    return handle


def _mirror(endless_name: str) -> Callable[..., None]:
    """Serve the vectors' good root, except one file whose body never ends."""

    def handle(request: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
        path = request.path.lstrip("/")
        if path.endswith(endless_name):
            _endless(request, stop)
            return
        local = GOOD / path
        if not local.is_file():
            request.send_error(404)
            return
        data = local.read_bytes()
        request.send_response(200)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    return handle


DIGEST = "sha256:" + "ab" * 32


def test_an_endless_index_is_capped(serve: Callable[..., _Server]) -> None:
    server = serve(_endless)
    outcome = verificar_limited(DIGEST, "--datasets", server.url)
    assert outcome.code == 2
    assert outcome.keys("integrity") == ["input.too_large"]
    assert_bounded(outcome)


def test_an_endless_listed_file_is_read_only_to_its_listed_size(
    serve: Callable[..., _Server],
) -> None:
    server = serve(_mirror(name(layout.RELEASES_JSONL)))
    outcome = verificar_limited("--range", DAY, DAY, "--datasets", server.url, "x", "--offline")
    assert outcome.code == 1
    assert "integrity.longer" in outcome.failed_keys("integrity")
    assert outcome.failed_keys("inclusion") == ["inclusion.longer"]
    assert_bounded(outcome)


@pytest.mark.parametrize(
    ("drip", "keys"),
    [
        # One byte every 20 s: no single wait may exceed the idle limit (here = the deadline).
        (_drip(20.0), {"source.stalled", "source.timeout"}),
        # One byte every 0.5 s never trips a socket timeout: only the overall deadline ends it.
        (_drip(0.5), {"source.timeout"}),
        # Dripped status line and headers: the watchdog shuts the socket at the deadline.
        (_drip(0.5, in_headers=True), {"source.timeout"}),
    ],
    ids=["1-byte-per-20s", "1-byte-per-0.5s", "dripped-headers"],
)
def test_a_slow_drip_mirror_ends_at_the_deadline(
    serve: Callable[..., _Server], drip: Callable[..., None], keys: set[str]
) -> None:
    server = serve(drip)
    outcome = verificar_limited(DIGEST, "--datasets", server.url, "--timeout", "3")
    assert outcome.code == 2
    assert len(outcome.keys("integrity")) == 1 and outcome.keys("integrity")[0] in keys
    assert 2.5 <= outcome.seconds <= WALL_LIMIT, outcome
    assert_bounded(outcome)


def test_small_files_have_a_shorter_deadline_than_listed_files(
    serve: Callable[..., _Server],
) -> None:
    """Manifest, index and receipt are kilobytes: a mirror dripping them is given up on at
    ``small_http_timeout`` (10 s by default), a listed data file at ``http_timeout``; --timeout
    sets both."""
    from integrity.verify import Limits, NoteError
    from integrity.verify._source import Source

    assert (Limits().small_http_timeout, Limits().http_timeout) == (10.0, 120.0)
    assert Limits().with_timeout(3).small_http_timeout == 3
    source = Source(serve(_drip(0.1)).url, Limits(http_timeout=1.5, small_http_timeout=0.5))
    deadlines = []
    for read in (lambda: source.read(layout.INDEX_FILE), lambda: source.hash("data.csv", 10**6)):
        with pytest.raises(NoteError) as raised:
            read()
        assert raised.value.note.key == "source.timeout"
        deadlines.append(raised.value.note.params["seconds"])
    assert deadlines == ["0.5", "1.5"]
