"""Generate the shipped verifier test vectors (``tests/vectors/``): good days and tamper cases.

The vectors never need a live chain: ``chain-snapshot.json`` holds what the registry contract
(``PublicationLog``) would answer (chain id, contract, publisher and every entry),
``SnapshotChain`` feeds it to the Python verifier, and ``SnapshotRpcServer`` serves it as
JSON-RPC (``eth_chainId``, ``eth_blockNumber`` and ``eth_call`` of
``latest_entry(bytes32,uint32)`` / ``get_entry(bytes32,uint64)`` / ``publisher()``) for the
CLI, the browser page or any other implementation. Expected results are declared here by hand, not computed by a verifier.

    .venv/bin/python scripts/make_test_vectors.py            # rewrite tests/vectors/
    .venv/bin/python scripts/make_test_vectors.py --serve    # serve the snapshot as JSON-RPC
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import http.server
import json
import shutil
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from integrity import layout  # noqa: E402
from integrity.canonical import canonical_bytes  # noqa: E402
from integrity.keys import anchor_key, dataset_id, day_number  # noqa: E402
from integrity.manifest import build_manifest, file_entry, load_manifest, manifest_bytes  # noqa: E402
from integrity.merkle import MerkleTree, leaf_hashes  # noqa: E402
from settings import EXAMPLE_OCID_PREFIX  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "tests" / "vectors"
DATASET = layout.DEFAULT_DATASET
OCID_PREFIX = EXAMPLE_OCID_PREFIX
# Anvil's chain id, its first deployment address and account 0: the values a local anvil gives.
CHAIN_ID = 31337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PUBLISHER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
PUBLISHER_NAME = "PERÚ COMPRAS (vectores de prueba)"
OTHER_CONTRACT = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
DAYS = {
    dt.date(2025, 3, 3): 4,
    dt.date(2025, 3, 4): 3,
    dt.date(2025, 3, 5): 5,
    dt.date(2025, 3, 6): 2,
}
LATEST_ENTRY_SELECTOR = "10f29447"
GET_ENTRY_SELECTOR = "09297c7a"
PUBLISHER_SELECTOR = "8c72c54e"
SNAPSHOT_FILE = "chain-snapshot.json"
EXPECTED_FILE = "expected.json"
BUYERS = [
    ("20131370645", "MUNICIPALIDAD METROPOLITANA DE LIMA"),
    ("20168999926", "GOBIERNO REGIONAL DE CUSCO"),
    ("20600927818", "CENTRAL DE COMPRAS PÚBLICAS - PERÚ COMPRAS"),
]
SUPPLIERS = [
    ("20100047218", "ÚTILES Y PAPELES DEL SUR S.A.C."),
    ("10402345671", "QUISPE MAMANI, ÑUSTA"),
    ("20512345678", "DISTRIBUIDORA ANDINA E.I.R.L."),
]
AGREEMENT = ("EXT-CE-2024-2", "ÚTILES DE ESCRITORIO, PAPELES Y CARTONES")


# --------------------------------------------------------------------------- content


def _release(day: dt.date, number: int) -> dict[str, Any]:
    """One OCDS 1.1.5 call-off release (a purchase order), deterministic for (day, number)."""
    buyer_ruc, buyer_name = BUYERS[number % len(BUYERS)]
    supplier_ruc, supplier_name = SUPPLIERS[(number + day.day) % len(SUPPLIERS)]
    order_id = f"OCAM-{day.year}-{500 + number % 3}-{day.day * 1000 + number}"
    subtotal_cents = 100_000 + 37_119 * number + 1_001 * day.day
    igv_cents = subtotal_cents * 18 // 100
    total_cents = subtotal_cents + igv_cents
    when = f"{day.isoformat()}T{9 + number:02d}:{15 + number:02d}:00-05:00"
    order_number = f"{order_id}-0"
    release: dict[str, Any] = {
        "ocid": f"{OCID_PREFIX}-{order_id}",
        "date": when,
        "tag": ["award", "contract"],
        "initiationType": "tender",
        "language": "es",
        "buyer": {"id": f"PE-RUC-{buyer_ruc}", "name": buyer_name},
        "parties": [
            {"id": f"PE-RUC-{buyer_ruc}", "name": buyer_name, "roles": ["buyer"]},
            {"id": f"PE-RUC-{supplier_ruc}", "name": supplier_name, "roles": ["supplier"]},
        ],
        "relatedProcesses": [
            {
                "id": "1",
                "relationship": ["framework"],
                "scheme": "ocid",
                "identifier": f"{OCID_PREFIX}-AM-{AGREEMENT[0]}",
                "title": AGREEMENT[1],
            }
        ],
        "awards": [
            {
                "id": order_id,
                "status": "active",
                "date": when,
                "suppliers": [{"id": f"PE-RUC-{supplier_ruc}", "name": supplier_name}],
                "value": {"amount": total_cents / 100, "currency": "PEN"},
            }
        ],
        "contracts": [
            {
                "id": order_number,
                "awardID": order_id,
                "status": "active",
                "dateSigned": when,
                "value": {
                    "amount": total_cents / 100,
                    "amountNet": subtotal_cents / 100,
                    "currency": "PEN",
                },
            }
        ],
    }
    suffix = hashlib.sha256(canonical_bytes(release)).hexdigest()[:8]
    stamp = when[:19].replace("-", "").replace(":", "")
    return {"id": f"{order_id}-{stamp}-{suffix}", **release}


@dataclass(frozen=True)
class VectorDay:
    """Everything written into one day folder of the vectors."""

    day: dt.date
    releases: list[dict[str, Any]]
    orders: pa.Table
    quarantine: pa.Table
    quality: dict[str, Any]
    package: dict[str, Any]
    counts: dict[str, int]


def day_content(day: dt.date, releases_of: dt.date | None = None) -> VectorDay:
    """A small published day; ``releases_of`` reuses another day's releases (a replay)."""
    source_day = releases_of or day
    releases = sorted(
        (_release(source_day, n) for n in range(DAYS[source_day])),
        key=lambda r: (r["ocid"], r["date"], r["id"]),
    )
    contracts = [r["contracts"][0] for r in releases]
    orders = pa.table(
        {
            "order_number": [c["id"] for c in contracts],
            "buyer_ruc": [r["buyer"]["id"].removeprefix("PE-RUC-") for r in releases],
            "supplier_ruc": [r["awards"][0]["suppliers"][0]["id"][7:] for r in releases],
            "total_cents": pa.array(
                [round(c["value"]["amount"] * 100) for c in contracts], pa.int64()
            ),
            "status": ["ACEPTADA"] * len(releases),
        }
    )
    quarantine = pa.table(
        {
            name: pa.array([], pa.int64() if name == "source_line" else pa.string())
            for name in ("source_file", "source_line", "field", "rule", "message", "raw_row")
        }
    )
    count = len(releases)
    return VectorDay(
        day=day,
        releases=releases,
        orders=orders,
        quarantine=quarantine,
        quality={"day": day.isoformat(), "rowsIn": count, "published": count, "quarantined": 0},
        package={
            "uri": f"https://example.org/{DATASET}/{day.isoformat()}",
            "version": "1.1",
            "publishedDate": f"{day.isoformat()}T23:59:59-05:00",
            "publisher": {"name": PUBLISHER_NAME},
        },
        counts={"sourceRows": count, "releases": count, "orders": count, "quarantined": 0},
    )


_MEDIA_TYPES = {
    layout.RELEASE_PACKAGE: ("application/json", "ocds-release-package"),
    layout.RELEASES_JSONL: ("application/jsonl", "ocds-releases-merkle-leaves"),
    layout.ORDERS_PARQUET: ("application/vnd.apache.parquet", "orders-table"),
    layout.ORDERS_CSV: ("text/csv", "orders-table"),
    layout.QUARANTINE_PARQUET: ("application/vnd.apache.parquet", "quarantine"),
    layout.QUALITY_JSON: ("application/json", "quality-report"),
}


def write_vector_day(root: Path, content: VectorDay, previous: dict[str, str] | None) -> Path:
    """Write one day folder in the published layout (kept independent of the pipeline's writer
    so that the vectors only change when the verifier-facing format does)."""
    names = layout.DayLayout(root, DATASET, content.day)
    folder = names.folder
    folder.mkdir(parents=True, exist_ok=True)
    lines = [canonical_bytes(release) for release in content.releases]
    (folder / names.name(layout.RELEASE_PACKAGE)).write_bytes(
        canonical_bytes({**content.package, "releases": content.releases})
    )
    (folder / names.name(layout.RELEASES_JSONL)).write_bytes(_jsonl(lines))
    (folder / names.name(layout.QUALITY_JSON)).write_bytes(canonical_bytes(content.quality))
    for kind, table in (
        (layout.ORDERS_PARQUET, content.orders),
        (layout.QUARANTINE_PARQUET, content.quarantine),
    ):
        pq.write_table(table, folder / names.name(kind), compression="zstd", use_dictionary=True)
    pa_csv.write_csv(content.orders, folder / names.name(layout.ORDERS_CSV))
    entries = [
        file_entry(folder / names.name(kind), media_type=media, role=role)
        for kind, (media, role) in _MEDIA_TYPES.items()
    ]
    tree = MerkleTree(leaf_hashes(lines))
    manifest = build_manifest(
        dataset=DATASET,
        day=content.day,
        cutoff=f"{content.day.isoformat()}T23:59:59-05:00",
        ocid_prefix=OCID_PREFIX,
        publisher={"name": PUBLISHER_NAME, "scheme": "PE-RUC", "uid": "20600927818"},
        sources=[{"file": f"ReportePCBienes{content.day:%Y%m}.csv", "rows": len(lines)}],
        counts=content.counts,
        leaves_file=names.name(layout.RELEASES_JSONL),
        tree_size=tree.size,
        merkle_root_hex=tree.root.hex(),
        files=entries,
        previous=previous,
        anchor_key_hex=anchor_key(DATASET, content.day).hex(),
    )
    manifest_path = folder / names.name(layout.MANIFEST)
    manifest_path.write_bytes(manifest_bytes(manifest))
    _write_sums(folder, content.day, manifest)
    return folder


def _write_sums(folder: Path, day: dt.date, manifest: dict[str, Any]) -> None:
    names = layout.DayLayout(folder, DATASET, day)
    sums = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    sums[names.name(layout.MANIFEST)] = hashlib.sha256(manifest_bytes(manifest)).hexdigest()
    (folder / names.name(layout.CHECKSUMS)).write_text(
        "".join(f"{sums[name]}  {name}\n" for name in sorted(sums)), encoding="ascii"
    )


def write_index(root: Path) -> None:
    """``index.json`` in the pipeline's format, read from the day folders."""
    days = []
    for manifest_path in sorted(root.glob(f"{DATASET}/*/*/*/{DATASET}-*-{layout.MANIFEST}")):
        manifest = load_manifest(manifest_path)
        anchor = manifest_path.with_name(manifest_path.name.replace(layout.MANIFEST, layout.ANCHOR))
        days.append(
            {
                "date": manifest.data["date"],
                "folder": manifest_path.parent.relative_to(root).as_posix(),
                "manifest": manifest_path.name,
                "manifestSha256": manifest.sha256,
                "treeSize": manifest.merkle["treeSize"],
                "merkleRoot": manifest.merkle["root"],
                "anchored": anchor.exists(),
                "anchorStatus": "anclado" if anchor.exists() else "pendiente",
            }
        )
    _write_json(root / layout.INDEX_FILE, {"dataset": DATASET, "days": days})


# --------------------------------------------------------------------------- chain snapshot


def _anchor_record(root: Path, day: dt.date, block: int, seq: int) -> dict[str, Any]:
    """The anchor receipt (``perucompras-anchor/2``) the publisher would write for the day's
    current manifest, anchored alone as entry ``seq`` (no transaction was really sent)."""
    manifest = load_manifest(layout.DayLayout(root, DATASET, day).manifest)
    return {
        "format": "perucompras-anchor/2",
        "status": "anclado",
        "dataset": DATASET,
        "day": day_number(day),
        "digest": manifest.sha256,
        "chainId": CHAIN_ID,
        "contract": CONTRACT,
        "publisher": PUBLISHER,
        "seq": seq,
        "kind": 1,
        "entries": 1,
        "txHash": None,
        "blockNumber": block,
        "gasUsed": None,
        "feeWei": None,
        "fee": None,
        "feeUnit": "ETH",
        "batchSize": 1,
        "devChain": True,
    }


def snapshot_entry(record: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """The registry entry behind an anchor record (timestamp: the day's cutoff)."""
    cutoff = dt.datetime.combine(day, dt.time(23, 59, 59), dt.timezone(dt.timedelta(hours=-5)))
    return {
        "seq": record["seq"],
        "previous": record["seq"] - 1,
        "day": record["day"],
        "kind": record["kind"],
        "digest": record["digest"],
        "supersedes": 0,
        "blockNumber": record["blockNumber"],
        "timestamp": int(cutoff.timestamp()),
    }


@dataclass(frozen=True)
class SnapshotEntry:
    """An ``Entry`` of the registry, as ``integrity.verify.StoredEntry``."""

    seq: int
    previous: int
    day: int
    kind: int
    digest: bytes
    supersedes: int
    block_number: int
    timestamp: int

    @classmethod
    def of(cls, stored: dict[str, Any]) -> SnapshotEntry:
        return cls(
            int(stored["seq"]),
            int(stored["previous"]),
            int(stored["day"]),
            int(stored["kind"]),
            bytes.fromhex(stored["digest"]),
            int(stored["supersedes"]),
            int(stored["blockNumber"]),
            int(stored["timestamp"]),
        )

    def words(self) -> list[str]:
        """The 8 ABI words of the entry."""
        values = (self.seq, self.previous, self.day, self.kind)
        rest = (self.supersedes, self.block_number, self.timestamp)
        return [f"{v:064x}" for v in values] + [self.digest.hex()] + [f"{v:064x}" for v in rest]


@dataclass(frozen=True)
class SnapshotDay:
    """What ``latest_entry`` answers (``integrity.verify.DayEntries``)."""

    latest: SnapshotEntry | None
    count: int


class SnapshotReader:
    """An ``integrity.verify.AnchorReader`` answering from a chain snapshot."""

    def __init__(self, snapshot: dict[str, Any], contract: str) -> None:
        self.snapshot = snapshot
        self.contract = contract

    @property
    def chain_id(self) -> int:
        return int(self.snapshot["chainId"])

    def _deployed(self) -> bool:
        return self.contract.lower() == str(self.snapshot["contract"]).lower()

    def _entries(self, dataset: bytes) -> list[dict[str, Any]]:
        if not self._deployed() or dataset.hex() != self.snapshot["datasetId"]:
            return []
        return list(self.snapshot["entries"])

    def latest_entry(self, dataset: bytes, day: int, block: Any = None) -> SnapshotDay:
        """The day's latest entry and its count (nothing if no registry is at the address)."""
        of_day = [entry for entry in self._entries(dataset) if int(entry["day"]) == day]
        return SnapshotDay(SnapshotEntry.of(of_day[-1]) if of_day else None, len(of_day))

    def get_entry(self, dataset: bytes, seq: int, block: Any = None) -> SnapshotEntry | None:
        """Entry ``seq`` of the dataset, or None."""
        found = [entry for entry in self._entries(dataset) if int(entry["seq"]) == seq]
        return SnapshotEntry.of(found[0]) if found else None

    def publisher(self) -> str:
        """The registry's publisher (the zero address where nothing is deployed)."""
        return str(self.snapshot["publisher"]) if self._deployed() else "0x" + "0" * 40


class SnapshotChain:
    """An ``integrity.verify.ChainAccess`` over a chain snapshot (no node, no web3)."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.snapshot = snapshot
        self.dev_chain = int(snapshot["chainId"]) == CHAIN_ID

    @classmethod
    def load(cls, path: Path) -> SnapshotChain:
        """Read ``chain-snapshot.json``."""
        return cls(orjson.loads(path.read_bytes()))

    def reader(self, chain_id: int, contract: str) -> SnapshotReader:
        """A reader for ``contract``; a different chain id is unreachable, like a wrong RPC."""
        from integrity.verify import ChainUnavailable, Note

        if chain_id != int(self.snapshot["chainId"]):
            raise ChainUnavailable(
                Note(
                    "anchor.wrong_chain", {"actual": self.snapshot["chainId"], "expected": chain_id}
                )
            )
        return SnapshotReader(self.snapshot, contract)


def rpc_answer(snapshot: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Answer one JSON-RPC request the way the registry on the snapshot's chain would."""
    method, params = request.get("method"), request.get("params") or []
    reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
    if method == "eth_chainId":
        return reply | {"result": hex(int(snapshot["chainId"]))}
    if method == "net_version":
        return reply | {"result": str(snapshot["chainId"])}
    if method == "eth_blockNumber":
        top = max((entry["blockNumber"] for entry in snapshot["entries"]), default=0)
        return reply | {"result": hex(top)}
    if method == "eth_call" and params:
        call = params[0]
        data = str(call.get("data") or call.get("input") or "").lower().removeprefix("0x")
        reader = SnapshotReader(snapshot, str(call.get("to", "")))
        if not reader._deployed():
            return reply | {"result": "0x"}
        dataset, argument = bytes.fromhex(data[8:72] or "00"), int(data[72:136] or "0", 16)
        if data.startswith(LATEST_ENTRY_SELECTOR) and len(data) == 8 + 128:
            day = reader.latest_entry(dataset, argument)
            words = day.latest.words() if day.latest else ["0" * 64] * 8
            return reply | {"result": "0x" + "".join(words) + f"{day.count:064x}"}
        if data.startswith(GET_ENTRY_SELECTOR) and len(data) == 8 + 128:
            entry = reader.get_entry(dataset, argument)
            words = entry.words() if entry else ["0" * 64] * 8
            return reply | {"result": "0x" + "".join(words)}
        if data == PUBLISHER_SELECTOR:
            return reply | {
                "result": "0x" + reader.publisher().lower().removeprefix("0x").rjust(64, "0")
            }
    return reply | {"error": {"code": -32601, "message": f"not served by the snapshot: {method}"}}


class SnapshotRpcServer:
    """A loopback JSON-RPC endpoint (with CORS) serving a chain snapshot, in a thread."""

    def __init__(self, snapshot: dict[str, Any], port: int = 0) -> None:
        server_snapshot = snapshot

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
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                answer = (
                    [rpc_answer(server_snapshot, r) for r in body]
                    if isinstance(body, list)
                    else rpc_answer(server_snapshot, body)
                )
                data = json.dumps(answer).encode()
                self._headers(200, len(data))
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> SnapshotRpcServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# --------------------------------------------------------------------------- building


def _publish(root: Path, days: list[dt.date], replay: dict[dt.date, dt.date] | None = None) -> None:
    """Publish ``days`` in order, chained, with a trust pin and an index."""
    _write_json(
        root / layout.TRUST_FILE,
        {"chainId": CHAIN_ID, "contract": CONTRACT, "publisher": PUBLISHER, "dataset": DATASET},
    )
    previous: dict[str, str] | None = None
    for day in days:
        folder = write_vector_day(root, day_content(day, (replay or {}).get(day)), previous)
        manifest = load_manifest(
            folder / layout.DayLayout(root, DATASET, day).name(layout.MANIFEST)
        )
        previous = {"date": day.isoformat(), "manifestSha256": manifest.sha256}
    write_index(root)


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def _jsonl(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def _forge_day(source: Path, target: Path, day: dt.date, edit: Any) -> None:
    """Copy a day folder, edit its JSONL and recompute manifest, root and SHA256SUMS (no anchor)."""
    shutil.copytree(source, target)
    names = layout.DayLayout(target, DATASET, day)
    jsonl = target / names.name(layout.RELEASES_JSONL)
    lines = edit(_lines(jsonl))
    jsonl.write_bytes(_jsonl(lines))
    manifest_path = target / names.name(layout.MANIFEST)
    data = orjson.loads(manifest_path.read_bytes())
    for entry in data["files"]:
        if entry["name"] == jsonl.name:
            entry["sha256"] = hashlib.sha256(jsonl.read_bytes()).hexdigest()
            entry["bytes"] = jsonl.stat().st_size
    tree = MerkleTree(leaf_hashes(lines))
    data["merkle"] |= {"treeSize": tree.size, "root": tree.root.hex()}
    manifest_path.write_bytes(manifest_bytes(data))
    sums = {e["name"]: e["sha256"] for e in data["files"]}
    sums[manifest_path.name] = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    (target / names.name(layout.CHECKSUMS)).write_text(
        "".join(f"{sums[name]}  {name}\n" for name in sorted(sums)), encoding="ascii"
    )


def _proof(root: Path, day: dt.date, leaf: int) -> dict[str, Any]:
    """An inclusion proof for one leaf (same format as ``integrity.verify.build_proof``)."""
    from integrity.verify import build_all_proofs

    folder = layout.DayLayout(root, DATASET, day).folder
    return next(p for i, p in enumerate(build_all_proofs(folder)) if i == leaf)


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


ALL_OK = {"integrity": "ok", "inclusion": "ok", "anchor": "ok", "publisher": "ok"}
FILE_OK = ALL_OK | {"inclusion": "skipped"}


def _case(
    name: str,
    description: str,
    target: str,
    statuses: dict[str, str],
    failing: dict[str, list[str]] | None = None,
    *,
    datasets: str = "good",
    range_: tuple[str, str] | None = None,
) -> dict[str, Any]:
    failing = failing or {}
    failed = [
        check
        for check in ("integrity", "inclusion", "anchor", "publisher")
        if statuses[check] == "fail"
    ]
    exit_code = 1 if failed else 0
    line = None
    if failed:
        first = failed[0]
        labels = {
            "integrity": "integridad",
            "inclusion": "inclusión",
            "anchor": "anclaje",
            "publisher": "publicador",
        }
        line = {"check": first, "label": labels[first], "status": "FALLA", "keys": failing[first]}
    return {
        "name": name,
        "description": description,
        "target": target,
        "datasets": datasets,
        "range": list(range_) if range_ else None,
        "exitCode": exit_code,
        "verdict": "verdict.failed" if failed else "verdict.verified",
        "statuses": statuses,
        "failing": {check: sorted(keys) for check, keys in failing.items()},
        "failingLine": line,
    }


def build(out: Path) -> None:
    """Write every vector under ``out`` (which is replaced)."""
    if out.exists():
        if any(out.iterdir()) and not (out / EXPECTED_FILE).exists():
            raise SystemExit(
                f"{out}: not a test-vector folder (no {EXPECTED_FILE}); refusing to delete it"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    days = sorted(DAYS)
    good = out / "good"
    _publish(good, days)
    entries: list[dict[str, Any]] = []
    for seq, day in enumerate(days, start=1):
        record = _anchor_record(good, day, seq + 1, seq)
        _write_json(layout.DayLayout(good, DATASET, day).anchor, record)
        entries.append(snapshot_entry(record, day))
    write_index(good)
    _write_json(
        out / SNAPSHOT_FILE,
        {
            "description": (
                "What the PublicationLog answers on the vectors' chain: every entry of the "
                "dataset (latest_entry(datasetId, day) is the day's last entry, count the number "
                "of its entries; get_entry(datasetId, seq)) and publisher(). Synthetic (no "
                "transactions were sent): serve it with scripts/make_test_vectors.py --serve or "
                "read it directly."
            ),
            "chainId": CHAIN_ID,
            "contract": CONTRACT,
            "publisher": PUBLISHER,
            "dataset": DATASET,
            "datasetId": dataset_id(DATASET).hex(),
            "entries": entries,
        },
    )

    d3, d4, d5, d6 = days
    folder = {day: layout.DayLayout(good, DATASET, day).folder for day in days}
    jsonl = {day: layout.DayLayout(good, DATASET, day).path(layout.RELEASES_JSONL) for day in days}
    cases_dir = out / "cases"
    cases: list[dict[str, Any]] = []
    rel = lambda path: path.relative_to(out).as_posix()  # noqa: E731

    cases.append(_case("good-day", "An untouched published day folder.", rel(folder[d4]), ALL_OK))
    cases.append(
        _case("good-jsonl", "The untouched JSON Lines file alone.", rel(jsonl[d4]), ALL_OK)
    )
    parquet = layout.DayLayout(good, DATASET, d4).path(layout.ORDERS_PARQUET)
    cases.append(_case("good-parquet", "The untouched Parquet file alone.", rel(parquet), FILE_OK))
    cases.append(
        _case(
            "good-range",
            "Every published day, checked as a chain of days.",
            "good",
            ALL_OK,
            range_=(d3.isoformat(), d6.isoformat()),
        )
    )

    def jsonl_case(name: str, description: str, data: bytes, failing: dict[str, list[str]]) -> None:
        path = cases_dir / name / jsonl[d4].name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        statuses = ALL_OK | {check: "fail" for check in failing}
        cases.append(_case(name, description, rel(path), statuses, failing))

    lines = _lines(jsonl[d4])
    edited = lines[1].replace(b'"status":"active"', b'"status":"cancelled"', 1)
    assert edited != lines[1]
    jsonl_case(
        "modified-field",
        "One field of one release changed (contract status active -> cancelled).",
        _jsonl([lines[0], edited, *lines[2:]]),
        {
            "integrity": ["integrity.hash_mismatch", "integrity.size_mismatch"],
            "inclusion": ["inclusion.root_mismatch"],
        },
    )
    jsonl_case(
        "deleted-row",
        "The second release removed.",
        _jsonl([lines[0], *lines[2:]]),
        {
            "integrity": ["integrity.hash_mismatch", "integrity.size_mismatch"],
            "inclusion": ["inclusion.root_mismatch", "inclusion.size_mismatch"],
        },
    )
    inserted = canonical_bytes(_release(d4, 7))
    jsonl_case(
        "inserted-row",
        "A well-formed release that was never published inserted as the second line.",
        _jsonl([lines[0], inserted, *lines[1:]]),
        {
            "integrity": ["integrity.hash_mismatch", "integrity.size_mismatch"],
            "inclusion": ["inclusion.root_mismatch", "inclusion.size_mismatch"],
        },
    )
    jsonl_case(
        "reordered-rows",
        "The first two releases swapped (same bytes, same size, different order).",
        _jsonl([lines[1], lines[0], *lines[2:]]),
        {"integrity": ["integrity.hash_mismatch"], "inclusion": ["inclusion.root_mismatch"]},
    )
    whole = jsonl[d4].read_bytes()
    jsonl_case(
        "truncated",
        "The file cut in the middle of its second line (an interrupted download).",
        whole[: len(lines[0]) + 1 + len(lines[1]) // 2],
        {
            "integrity": ["integrity.hash_mismatch", "integrity.size_mismatch"],
            "inclusion": [
                "inclusion.root_mismatch",
                "inclusion.size_mismatch",
                "inclusion.unterminated",
            ],
        },
    )
    jsonl_case(
        "other-day-renamed",
        f"The {d3} releases file renamed as the {d4} one.",
        jsonl[d3].read_bytes(),
        {
            "integrity": ["integrity.hash_mismatch", "integrity.size_mismatch"],
            "inclusion": ["inclusion.root_mismatch", "inclusion.size_mismatch"],
        },
    )
    flipped = bytearray(parquet.read_bytes())
    flipped[len(flipped) // 2] ^= 0x01
    path = cases_dir / "modified-parquet" / parquet.name
    path.parent.mkdir(parents=True)
    path.write_bytes(bytes(flipped))
    cases.append(
        _case(
            "modified-parquet",
            "One bit flipped in the middle of the Parquet file.",
            rel(path),
            FILE_OK | {"integrity": "fail"},
            {"integrity": ["integrity.hash_mismatch"]},
        )
    )

    forged = cases_dir / "forged-manifest"
    _forge_day(
        folder[d4],
        forged,
        d4,
        lambda ls: [ls[0].replace(b'"status":"active"', b'"status":"cancelled"', 1), *ls[1:]],
    )
    cases.append(
        _case(
            "forged-manifest",
            "A release edited and the manifest, Merkle root and SHA256SUMS recomputed to match; "
            "the anchor receipt kept. Only the chain can tell.",
            rel(forged),
            ALL_OK | {"anchor": "fail"},
            {"anchor": ["anchor.digest_mismatch", "anchor.record_mismatch"]},
        )
    )

    proofs_dir = out / "proofs"
    good_proof = _proof(good, d4, 0)
    _write_json(proofs_dir / "good-proof.json", good_proof)
    cases.append(
        _case(
            "good-proof",
            "An inclusion proof for the first release of a day.",
            "proofs/good-proof.json",
            ALL_OK,
        )
    )

    def proof_case(
        name: str,
        description: str,
        proof: dict[str, Any],
        statuses: dict[str, str],
        failing: dict[str, list[str]],
    ) -> None:
        target = cases_dir / name / "proof.json"
        _write_json(target, proof)
        cases.append(_case(name, description, rel(target), statuses, failing))

    edited_line = good_proof["line"].replace('"status":"active"', '"status":"cancelled"', 1)
    assert edited_line != good_proof["line"]
    proof_case(
        "proof-edited-line",
        "A proof whose release line was edited (still canonical JSON).",
        good_proof | {"line": edited_line},
        ALL_OK | {"inclusion": "fail"},
        {"inclusion": ["inclusion.proof_failed"]},
    )
    proof_case(
        "proof-claimed-tree-size",
        "A proof that claims a tree size of 4 for a 3-leaf day: the claim is ignored (the size "
        "comes from the anchored manifest) and the proof still verifies.",
        good_proof | {"treeSize": DAYS[d4] + 1},
        ALL_OK,
        {},
    )
    bigger = orjson.loads(orjson.dumps(good_proof["manifest"]))
    bigger["merkle"]["treeSize"] = DAYS[d4] + 1
    proof_case(
        "proof-tree-size",
        "A proof whose embedded manifest says 4 leaves for a 3-leaf day (the audit path of "
        "leaf 0 fits both sizes): the edited manifest is not the anchored one.",
        good_proof | {"manifest": bigger, "treeSize": DAYS[d4] + 1},
        ALL_OK | {"anchor": "fail"},
        {"anchor": ["anchor.digest_mismatch", "anchor.record_mismatch"]},
    )
    proof_case(
        "proof-other-contract",
        "A proof whose anchor receipt points at another contract.",
        good_proof | {"anchor": good_proof["anchor"] | {"contract": OTHER_CONTRACT}},
        ALL_OK | {"publisher": "fail"},
        {"publisher": ["publisher.mismatch"]},
    )
    proof_case(
        "proof-other-chain",
        "A proof whose anchor receipt points at another chain (chain id 1).",
        good_proof | {"anchor": good_proof["anchor"] | {"chainId": 1}},
        ALL_OK | {"publisher": "fail"},
        {"publisher": ["publisher.mismatch"]},
    )

    replay_root = cases_dir / "replay-old-root"
    _publish(replay_root, [d3, d4, d5], replay={d5: d4})
    for day in (d3, d4, d5):
        shutil.copyfile(
            layout.DayLayout(good, DATASET, day).anchor,
            layout.DayLayout(replay_root, DATASET, day).anchor,
        )
    write_index(replay_root)
    cases.append(
        _case(
            "replay-old-root",
            f"The {d5} folder republishes the {d4} releases (same Merkle root) under a new, "
            "self-consistent manifest; the real anchor receipt kept.",
            rel(replay_root),
            ALL_OK | {"anchor": "fail"},
            {"anchor": ["anchor.digest_mismatch", "anchor.record_mismatch", "anchor.replay"]},
            datasets=rel(replay_root),
            range_=(d3.isoformat(), d5.isoformat()),
        )
    )

    missing_root = cases_dir / "missing-day"
    for day in (d3, d5):
        source = layout.DayLayout(good, DATASET, day).folder
        shutil.copytree(source, layout.DayLayout(missing_root, DATASET, day).folder)
    shutil.copyfile(good / layout.TRUST_FILE, missing_root / layout.TRUST_FILE)
    write_index(missing_root)
    cases.append(
        _case(
            "missing-day",
            f"A datasets root where {d4} was removed (folder and index entry): {d5} links to it.",
            rel(missing_root),
            ALL_OK | {"anchor": "fail"},
            {"anchor": ["range.gap"]},
            datasets=rel(missing_root),
            range_=(d3.isoformat(), d5.isoformat()),
        )
    )

    _write_json(
        out / EXPECTED_FILE,
        {
            "description": (
                "Expected verifier results for each vector. Paths are relative to this folder; "
                "'datasets' is the datasets root to use (index.json, trust.json); 'range' means "
                "verify every day of the root in that period. Anchored values: chain-snapshot.json. "
                "See docs/test-vectors.md."
            ),
            "snapshot": SNAPSHOT_FILE,
            "cases": cases,
        },
    )


def main(argv: list[str] | None = None) -> None:
    """Command line: generate the vectors, or serve their chain snapshot as JSON-RPC."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--serve", action="store_true", help="serve chain-snapshot.json as JSON-RPC"
    )
    parser.add_argument("--port", type=int, default=8545, help="port for --serve")
    args = parser.parse_args(argv)
    if args.serve:
        snapshot = orjson.loads((args.out / SNAPSHOT_FILE).read_bytes())
        with SnapshotRpcServer(snapshot, args.port) as server:
            print(
                f"serving {args.out / SNAPSHOT_FILE} as JSON-RPC on {server.url} (Ctrl-C to stop)"
            )
            with contextlib.suppress(KeyboardInterrupt):
                server.thread.join()
        return
    build(args.out)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {args.out} ({total} bytes)")


if __name__ == "__main__":
    main()
