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

from integrity import csvrows, layout  # noqa: E402
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
README_FILE = "README.md"
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
    layout.RECORD_PACKAGE: ("application/json", "ocds-record-package"),
    layout.QUALITY_HTML: ("text/html", layout.QUALITY_HTML),
}


def _records(content: VectorDay) -> list[dict[str, Any]]:
    """One record per release: a linked release and the release itself as compiled."""
    return [
        {
            "ocid": release["ocid"],
            "releases": [
                {
                    "url": f"{content.package['uri']}#{release['id']}",
                    "date": release["date"],
                    "tag": release["tag"],
                }
            ],
            "compiledRelease": {**release, "id": f"{release['ocid']}-compiled"},
        }
        for release in content.releases
    ]


def _quality_html(content: VectorDay) -> bytes:
    """A small quality page (Spanish), like the pipeline's report rendered as HTML."""
    quality = content.quality
    return (
        '<!doctype html>\n<html lang="es"><head><meta charset="utf-8">'
        f"<title>Calidad {quality['day']}</title></head>\n<body><p>{quality['rowsIn']} filas "
        f"leídas, {quality['published']} publicadas, {quality['quarantined']} en "
        "cuarentena.</p></body></html>\n"
    ).encode()


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
    (folder / names.name(layout.RECORD_PACKAGE)).write_bytes(
        canonical_bytes({**content.package, "records": _records(content)})
    )
    (folder / names.name(layout.QUALITY_HTML)).write_bytes(_quality_html(content))
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


# The vectors' trust pin: every case uses it (verificar --trust) unless it says pin=None.
PIN_FILE = "pins/vectores-prueba.json"
ALL_OK = {"integrity": "ok", "inclusion": "ok", "anchor": "ok", "publisher": "ok"}
# A file longer than its listed size is not read past it: the size differs, nothing is hashed.
LONGER = {"integrity": ["integrity.size_mismatch"], "inclusion": ["inclusion.longer"]}
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
    exit_code: int | None = None,
    offline: bool = False,
    pin: str | None = PIN_FILE,
    explanations: list[str] | None = None,
    issue_case: int | None = None,
) -> dict[str, Any]:
    failing = failing or {}
    failed = [
        check
        for check in ("integrity", "inclusion", "anchor", "publisher")
        if statuses[check] == "fail"
    ]
    if exit_code is None:
        exit_code = 1 if failed else 3 if offline else 0
    verdicts = {
        0: "verdict.verified",
        1: "verdict.failed",
        2: "verdict.incomplete",
        3: "verdict.verified_offline",
    }
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
        "issueCase": issue_case,
        "target": target,
        "datasets": datasets,
        "range": list(range_) if range_ else None,
        "offline": offline,
        "pin": pin,
        "exitCode": exit_code,
        "verdict": verdicts[exit_code],
        "statuses": statuses,
        "failing": {check: sorted(keys) for check, keys in failing.items()},
        "explanations": sorted(explanations or []),
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

    def jsonl_case(
        name: str,
        description: str,
        data: bytes,
        failing: dict[str, list[str]],
        explanations: list[str],
    ) -> None:
        path = cases_dir / name / jsonl[d4].name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        statuses = ALL_OK | {check: "fail" for check in failing}
        cases.append(
            _case(name, description, rel(path), statuses, failing, explanations=explanations)
        )

    lines = _lines(jsonl[d4])
    edited = lines[1].replace(b'"status":"active"', b'"status":"cancelled"', 1)
    assert edited != lines[1]
    jsonl_case(
        "modified-field",
        "One field of one release changed (award status active -> cancelled); the answer "
        "names the line, the release and the field.",
        _jsonl([lines[0], edited, *lines[2:]]),
        LONGER,
        ["explain.line_changed"],
    )
    jsonl_case(
        "deleted-row",
        "The second release removed.",
        _jsonl([lines[0], *lines[2:]]),
        {
            "integrity": ["integrity.hash_mismatch", "integrity.size_mismatch"],
            "inclusion": ["inclusion.root_mismatch", "inclusion.size_mismatch"],
        },
        ["explain.line_removed"],
    )
    inserted = canonical_bytes(_release(d4, 7))
    jsonl_case(
        "inserted-row",
        "A well-formed release that was never published inserted as the second line.",
        _jsonl([lines[0], inserted, *lines[1:]]),
        LONGER,
        ["explain.line_added"],
    )
    jsonl_case(
        "reordered-rows",
        "The first two releases swapped (same bytes, same size, different order).",
        _jsonl([lines[1], lines[0], *lines[2:]]),
        {"integrity": ["integrity.hash_mismatch"], "inclusion": ["inclusion.root_mismatch"]},
        ["explain.lines_reordered"],
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
        ["explain.cut", "explain.line_removed"],
    )
    jsonl_case(
        "other-day-renamed",
        f"The {d3} releases file renamed as the {d4} one.",
        jsonl[d3].read_bytes(),
        LONGER,
        ["explain.line_added", "explain.line_removed"],
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
            explanations=["explain.binary"],
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
            f"A datasets root where {d4} was removed (folder and index entry): {d5} links to it, "
            "and the registry holds it.",
            rel(missing_root),
            ALL_OK | {"anchor": "fail"},
            {"anchor": ["range.anchored_missing", "range.gap"]},
            datasets=rel(missing_root),
            range_=(d3.isoformat(), d5.isoformat()),
        )
    )

    cases += _issue_cases(out, good, days)
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
    (out / README_FILE).write_text(readme(cases), encoding="utf-8")


def readme_line(case: dict[str, Any]) -> str:
    """The README line of one vector: name, issue case, exit code, how it is run, target."""
    parts = [f"`{case['name']}`"]
    if case["issueCase"]:
        parts.append(f"issue 12 case {case['issueCase']}")
    parts.append(f"exit {case['exitCode']}")
    if case["range"]:
        parts.append(f"range {case['range'][0]}..{case['range'][1]}")
    if case["offline"]:
        parts.append("offline")
    if case["pin"] is None:
        parts.append("no pin")
    if case["datasets"] != "good":
        parts.append(f"datasets `{case['datasets']}`")
    parts.append(f"`{case['target']}`")
    return f"- {' · '.join(parts)}: {case['description']}"


def readme(cases: list[dict[str, Any]]) -> str:
    """``tests/vectors/README.md``: what the folder is and one line per vector."""
    return (
        "# Verifier test vectors\n\n"
        "Written by `scripts/make_test_vectors.py` with the rest of this folder: do not edit, "
        "regenerate. Expected results in full (statuses, failing message keys, explanations): "
        f"`{EXPECTED_FILE}`; the chain: `{SNAPSHOT_FILE}`. How to run a vector, and how the "
        "`verificar` CLI and the browser page are tested on them: `docs/test-vectors.md`.\n\n"
        "One line per vector: name, the issue 12 case it answers, expected exit code (0 "
        "verified, 1 altered or not published, 2 could not check, 3 intact but the anchor not "
        "checked), how it is run (a range, offline, without a trust pin, another datasets "
        "root than `good`), target (relative to this folder), what was done.\n\n"
        + "".join(readme_line(case) + "\n" for case in cases)
    )


def _write_test_pin(out: Path) -> None:
    """The vectors' chain, registry and publisher as a perucompras-trust-pin/1 file (kind test).

    Its RPC is the default port of ``--serve``; a test serving the snapshot elsewhere passes
    ``--rpc`` (CLI) or builds the page with its own RPC list.
    """
    from integrity.verify.trust import Finality, Network, Pin, Registry, write_pin

    pin = Pin(
        name="vectores-prueba",
        kind="test",
        dataset=DATASET,
        network=Network("anvil", CHAIN_ID, ("http://127.0.0.1:8545",), Finality(tag="latest")),
        registry=Registry(CONTRACT, "0x" + "00" * 32, 1, "00" * 32, "anchor-registry/1"),
        publisher=PUBLISHER,
        created_at="2025-03-07T00:00:00Z",
    )
    write_pin(pin, out / PIN_FILE)


def _copy_day(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def _rename_day(source: Path, target: Path, old: str, new: str) -> None:
    """Copy a day folder as another day (files renamed, manifest date and names edited), without
    its receipt and SHA256SUMS: a day that was never published."""
    target.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        if path.name.endswith((layout.ANCHOR, layout.CHECKSUMS)):
            continue
        data = path.read_bytes()
        if path.name.endswith(layout.MANIFEST):
            manifest = orjson.loads(data)
            manifest["date"] = new
            manifest["anchorKey"] = hashlib.sha256(f"{DATASET}/{new}".encode()).hexdigest()
            manifest["previous"] = None
            for entry in manifest["files"]:
                entry["name"] = entry["name"].replace(old, new)
            manifest["merkle"]["leaves"] = manifest["merkle"]["leaves"].replace(old, new)
            data = manifest_bytes(manifest)
        (target / path.name.replace(old, new)).write_bytes(data)


def _csv_resaved(data: bytes) -> bytes:
    """The CSV as a spreadsheet saves it: BOM, CRLF, ';' separator, quotes only where needed."""
    rows = csvrows.parse(data).records
    text = "".join(";".join(row) + "\r\n" for row in rows)
    return csvrows.BOM + text.encode("utf-8")


def _size_keys(published: int, changed: int) -> list[str]:
    """A longer file is not hashed (size only); a shorter one is (hash and size)."""
    if changed > published:
        return ["integrity.size_mismatch"]
    if changed < published:
        return ["integrity.hash_mismatch", "integrity.size_mismatch"]
    return ["integrity.hash_mismatch"]


def _issue_cases(out: Path, good: Path, days: list[dt.date]) -> list[dict[str, Any]]:
    """The cases of issue 12 (part 1): exit codes, hostile names, coverage, no false alarms,
    malformed input, fabricated days and plain-words answers."""
    d3, d4, d5, _ = days
    cases_dir = out / "cases"
    rel = lambda path: path.relative_to(out).as_posix()  # noqa: E731
    names = layout.DayLayout(good, DATASET, d4)
    cases: list[dict[str, Any]] = []
    _write_test_pin(out)

    # 1 / 3 · exit codes; offline on a fully forged day is exit 3, never "publicador OK"
    cases.append(
        _case(
            "good-day-offline",
            "An untouched day folder checked with --offline: intact, the anchor and the publisher "
            "are not checked (exit 3, never 0).",
            rel(names.folder),
            ALL_OK | {"anchor": "skipped", "publisher": "skipped"},
            offline=True,
            issue_case=3,
        )
    )
    cases.append(
        _case(
            "good-day-pinned",
            "An untouched day folder checked against the vectors' trust pin (--trust); the "
            "trust.json that came with the data is the same pin (only compared).",
            rel(names.folder),
            ALL_OK,
            issue_case=1,
        )
    )
    mirror = cases_dir / "forged-mirror"
    shutil.copytree(good, mirror)
    mirror_day = layout.DayLayout(mirror, DATASET, d4)
    shutil.rmtree(mirror_day.folder)
    _forge_day(
        names.folder,
        mirror_day.folder,
        d4,
        lambda ls: [ls[0].replace(b'"status":"active"', b'"status":"cancelled"', 1), *ls[1:]],
    )
    fake = {"contract": OTHER_CONTRACT, "publisher": "0x" + "11" * 20}
    receipt = orjson.loads(names.anchor.read_bytes()) | fake
    receipt["digest"] = hashlib.sha256(mirror_day.manifest.read_bytes()).hexdigest()
    _write_json(mirror_day.anchor, receipt)
    trust = orjson.loads((good / layout.TRUST_FILE).read_bytes()) | fake
    _write_json(mirror / layout.TRUST_FILE, trust)
    write_index(mirror)
    forged_jsonl = mirror_day.path(layout.RELEASES_JSONL)
    cases.append(
        _case(
            "forged-mirror-offline",
            "A mirror forged a day completely (release, manifest, root, SHA256SUMS, receipt) and "
            "ships its own trust.json naming its own registry and publisher. Offline, comparing "
            "the forged receipt with the forged trust.json proves nothing: the publisher is "
            "OMITIDA and the exit code is 3, not 0.",
            rel(mirror_day.folder),
            ALL_OK | {"anchor": "skipped", "publisher": "skipped"},
            datasets=rel(mirror),
            offline=True,
            pin=None,
            issue_case=3,
        )
    )
    cases.append(
        _case(
            "forged-mirror-offline-pinned",
            "The same forged day offline, with the official pin: the receipt and the mirror's "
            "trust.json name another registry and publisher than the pin, so the publisher is "
            "FALLA even without the chain.",
            rel(mirror_day.folder),
            ALL_OK | {"anchor": "skipped", "publisher": "fail"},
            {"publisher": ["publisher.data_pin_differs", "publisher.mismatch"]},
            datasets=rel(mirror),
            offline=True,
            issue_case=3,
        )
    )
    cases.append(
        _case(
            "forged-mirror-no-pin",
            "The forged mirror checked with no pin at all (nothing given, none installed): its "
            "own trust.json is never believed, so it cannot be VERIFICADO; the registry its "
            "receipt names holds nothing on the vectors' chain.",
            rel(mirror_day.folder),
            ALL_OK | {"anchor": "fail", "publisher": "skipped"},
            {"anchor": ["anchor.missing_on_chain"]},
            datasets=rel(mirror),
            pin=None,
            issue_case=1,
        )
    )
    cases.append(
        _case(
            "good-day-no-pin",
            "An untouched day with no trust pin: integrity and the anchor check out, but without "
            "the official pin the publisher is unknown (exit 2, saying how to get the pin).",
            rel(names.folder),
            ALL_OK | {"publisher": "skipped"},
            pin=None,
            exit_code=2,
            issue_case=1,
        )
    )
    forged_pinned = {
        "anchor": ["anchor.digest_mismatch"],
        "publisher": ["publisher.data_pin_differs", "publisher.mismatch"],
    }
    for target, suffix in ((mirror_day.folder, ""), (forged_jsonl, "-jsonl")):
        cases.append(
            _case(
                f"forged-mirror-pinned{suffix}",
                "The forged mirror checked against the trust pin instead of its own trust.json: "
                "its receipt names another registry and publisher, and the pinned registry "
                "holds another digest for the day.",
                rel(target),
                ALL_OK | {"anchor": "fail", "publisher": "fail"},
                forged_pinned,
                datasets=rel(mirror),
                pin=PIN_FILE,
                issue_case=1,
            )
        )

    # 5 · names outside the day folder are FALLA and never opened
    unsafe = _copy_day(names.folder, cases_dir / "unsafe-names" / "day")
    unsafe_manifest = unsafe / names.name(layout.MANIFEST)
    data = orjson.loads(unsafe_manifest.read_bytes())
    data["files"] += [
        {"name": name, "sha256": "0" * 64, "bytes": 1, "mediaType": "text/plain", "role": "x"}
        for name in ("/etc/passwd", "../../proc/self/environ", "..\\secreto.csv")
    ]
    unsafe_manifest.write_bytes(manifest_bytes(data))
    (unsafe / names.name(layout.ANCHOR)).unlink()
    (unsafe / names.name(layout.CHECKSUMS)).unlink()
    cases.append(
        _case(
            "unsafe-names",
            "A manifest listing /etc/passwd, ../../proc/self/environ and ..\\secreto.csv: each "
            "is FALLA naming the entry, and none is opened (checked offline; the edited "
            "manifest no longer matches the day's receipt either).",
            rel(unsafe),
            ALL_OK | {"integrity": "fail", "anchor": "fail", "publisher": "skipped"},
            {"integrity": ["input.unsafe_name"], "anchor": ["anchor.record_mismatch"]},
            offline=True,
            issue_case=5,
        )
    )
    cases.append(
        _case(
            "unsafe-names-online",
            "The same folder checked online with the trust pin (as the browser page checks it): "
            "the unsafe names are FALLA and never opened, and the edited manifest is not the "
            "one the registry holds for the day.",
            rel(unsafe),
            ALL_OK | {"integrity": "fail", "anchor": "fail"},
            {
                "integrity": ["input.unsafe_name"],
                "anchor": ["anchor.digest_mismatch", "anchor.record_mismatch"],
            },
            issue_case=5,
        )
    )

    # 8 · coverage: an unlisted file fails the day; SHA256SUMS lists exactly the manifest's files
    unlisted = _copy_day(names.folder, cases_dir / "unlisted-file" / "day")
    (unlisted / f"{DATASET}-{d4.isoformat()}-orders-corregido.csv").write_bytes(
        names.path(layout.ORDERS_CSV).read_bytes().replace(b"ACEPTADA", b"ANULADA", 1)
    )
    cases.append(
        _case(
            "unlisted-file",
            "A day folder with one more file than the manifest lists (a mirror's 'corrected' "
            "orders): it is not part of what was published, and the day fails.",
            rel(unlisted),
            ALL_OK | {"integrity": "fail"},
            {"integrity": ["integrity.unlisted_file"]},
            issue_case=8,
        )
    )
    sums = cases_dir / "sums-line-removed" / names.name(layout.CHECKSUMS)
    sums.parent.mkdir(parents=True)
    sums_lines = names.path(layout.CHECKSUMS).read_text().splitlines(keepends=True)
    sums.write_text("".join(line for line in sums_lines if "orders.csv" not in line))
    cases.append(
        _case(
            "sums-line-removed",
            "SHA256SUMS with the line of the CSV removed: every remaining line is right, but it "
            "must list exactly the manifest's files.",
            rel(sums),
            FILE_OK | {"integrity": "fail"},
            {"integrity": ["integrity.sums_missing"]},
            issue_case=8,
        )
    )

    # 6 · no false alarms: every listed kind verifies; a renamed file is found by its digest
    for kind in (
        layout.RECORD_PACKAGE,
        layout.QUALITY_HTML,
        layout.ORDERS_CSV,
        layout.QUALITY_JSON,
    ):
        cases.append(
            _case(
                f"good-{kind.replace('.', '-')}",
                f"The untouched {kind} file alone.",
                rel(names.path(kind)),
                FILE_OK,
                issue_case=6,
            )
        )
    renamed = cases_dir / "renamed-file" / "descarga (1).csv"
    renamed.parent.mkdir(parents=True)
    shutil.copyfile(layout.DayLayout(good, DATASET, d5).path(layout.ORDERS_CSV), renamed)
    cases.append(
        _case(
            "renamed-file",
            f"The {d5} orders CSV saved as 'descarga (1).csv': found by its SHA-256 through the "
            "index and verified as the file it is.",
            rel(renamed),
            FILE_OK,
            issue_case=6,
        )
    )

    # 9 · malformed input: a sentence, FALLA where it is evidence, never a crash
    receipt_path = cases_dir / "malformed-anchor" / names.name(layout.ANCHOR)
    receipt_path.parent.mkdir(parents=True)
    receipt_path.write_bytes(b'{"chainId": 31337, "digest": ')
    cases.append(
        _case(
            "malformed-anchor",
            "An anchor receipt cut in the middle (not JSON), checked on its own: not a receipt "
            "the publisher wrote.",
            rel(receipt_path),
            FILE_OK | {"integrity": "fail"},
            {"integrity": ["anchor.receipt_unreadable"]},
            issue_case=9,
        )
    )
    bad_index = cases_dir / "malformed-index"
    shutil.copytree(good, bad_index)
    index = orjson.loads((bad_index / layout.INDEX_FILE).read_bytes())
    index["days"][1]["folder"] = "../../../etc"
    index["days"].append({"date": "2025-03-07", "folder": 7})
    _write_json(bad_index / layout.INDEX_FILE, index)
    cases.append(
        _case(
            "malformed-index",
            f"index.json sends {d4} to ../../../etc and has an entry whose folder is a number: "
            "both are reported (the first as FALLA), every other day is still checked.",
            rel(bad_index),
            ALL_OK | {"integrity": "fail"},
            {"integrity": ["index.entry_unsafe"]},
            datasets=rel(bad_index),
            range_=(d3.isoformat(), "2025-03-07"),
            issue_case=9,
        )
    )
    proofs = cases_dir / "malformed-proof-line" / "pruebas.jsonl"
    proofs.parent.mkdir(parents=True)
    good_line = canonical_bytes(_proof(good, d4, 0))
    proofs.write_bytes(
        good_line + b"\n" + b'{"auditPath": ["zz"], "line": 7}\n' + good_line + b"\n"
    )
    cases.append(
        _case(
            "malformed-proof-line",
            "A JSON Lines file of three proofs whose second line is not a valid proof: that one "
            "fails on its own, the other two verify.",
            rel(proofs),
            ALL_OK | {"integrity": "fail"},
            {"integrity": ["integrity.proof_malformed"]},
            issue_case=9,
        )
    )

    # 7 · days no registry can hold are FALLA, never "verify again later"
    fabricated = cases_dir / "fabricated-days"
    fabricated.mkdir()
    shutil.copyfile(good / layout.TRUST_FILE, fabricated / layout.TRUST_FILE)
    for new, key, what in (
        ("2199-12-30", "day.not_over", "a day that has not ended at the time of the check"),
        ("1999-12-31", "day.outside_registry", "a day before the registry's first year"),
    ):
        year, month, dd = new.split("-")
        folder = fabricated / DATASET / year / month / dd
        _rename_day(names.folder, folder, d4.isoformat(), new)
        cases.append(
            _case(
                f"fabricated-{new}",
                f"A self-consistent day folder for {new}, {what}: no registry can hold it, so it "
                "is not published (FALLA), not 'verify again later'.",
                rel(folder / f"{DATASET}-{new}-{layout.ORDERS_CSV}"),
                FILE_OK | {"anchor": "fail", "publisher": "skipped"},
                {"anchor": [key]},
                datasets=rel(fabricated),
                issue_case=7,
            )
        )
    write_index(fabricated)
    not_a_date = cases_dir / "not-a-date" / f"{DATASET}-2026-02-30-{layout.ORDERS_CSV}"
    not_a_date.parent.mkdir(parents=True)
    shutil.copyfile(names.path(layout.ORDERS_CSV), not_a_date)
    cases.append(
        _case(
            "not-a-date",
            "A file named for 2026-02-30, a day that does not exist.",
            rel(not_a_date),
            {
                "integrity": "fail",
                "inclusion": "skipped",
                "anchor": "skipped",
                "publisher": "skipped",
            },
            {"integrity": ["day.not_a_date"]},
            pin=None,
            issue_case=7,
        )
    )

    # 12 · plain-words answers: a re-saved CSV, a changed amount, a re-formatted JSON file
    csv = names.path(layout.ORDERS_CSV)
    published_csv = csv.read_bytes()
    for name, data, explanation, description in (
        (
            "csv-resaved",
            _csv_resaved(published_csv),
            "explain.resaved_same_rows",
            "The orders CSV re-saved by a spreadsheet (BOM, CRLF, ';', no quotes): still FALLA, "
            "but the answer says the rows match what was published.",
        ),
        (
            "csv-changed-amount",
            published_csv.replace(b",ACEPTADA", b",ANULADA", 1)
            if b",ACEPTADA" in published_csv
            else published_csv.replace(b'"ACEPTADA"', b'"ANULADA"', 1),
            "explain.cell_changed",
            "One cell of the orders CSV changed: the answer names the row and the column.",
        ),
    ):
        path = cases_dir / name / csv.name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        assert data != published_csv
        cases.append(
            _case(
                name,
                description,
                rel(path),
                FILE_OK | {"integrity": "fail"},
                {"integrity": _size_keys(len(published_csv), len(data))},
                explanations=[explanation],
                issue_case=12,
            )
        )
    releases = names.path(layout.RELEASES_JSONL)
    resaved = csvrows.BOM + releases.read_bytes().replace(b"\n", b"\r\n")
    path = cases_dir / "jsonl-resaved" / releases.name
    path.parent.mkdir(parents=True)
    path.write_bytes(resaved)
    cases.append(
        _case(
            "jsonl-resaved",
            "The releases JSONL re-saved by an editor (BOM, CRLF line endings, same lines): "
            "still FALLA (longer than published: not read past its size), but the answer says "
            "the lines match what was published.",
            rel(path),
            ALL_OK | {"integrity": "fail", "inclusion": "fail"},
            LONGER,
            explanations=["explain.resaved_same_lines"],
            issue_case=12,
        )
    )
    quality = names.path(layout.QUALITY_JSON)
    reformatted = orjson.dumps(orjson.loads(quality.read_bytes()), option=orjson.OPT_INDENT_2)
    path = cases_dir / "json-reformatted" / quality.name
    path.parent.mkdir(parents=True)
    path.write_bytes(reformatted)
    cases.append(
        _case(
            "json-reformatted",
            "The quality report pretty-printed by a JSON tool: the content matches, the bytes "
            "do not.",
            rel(path),
            FILE_OK | {"integrity": "fail"},
            {"integrity": _size_keys(quality.stat().st_size, len(reformatted))},
            explanations=["explain.reformatted_same_json"],
            issue_case=12,
        )
    )
    cases += _registry_cases(out, good, days)
    return cases


def _registry_cases(out: Path, good: Path, days: list[dt.date]) -> list[dict[str, Any]]:
    """Issue 12 cases 2, 4, 10 and 11: a range the index hides a day of, a forged proof with
    an official-looking receipt, a receipt whose transaction hash is not one, a release line
    in code-point (not RFC 8785) key order."""
    d3, d4, _, d6 = days
    cases_dir = out / "cases"
    rel = lambda path: path.relative_to(out).as_posix()  # noqa: E731
    cases: list[dict[str, Any]] = []

    # 2 · the index is not the authority on which days exist: the registry is asked per date
    hidden = cases_dir / "last-day-removed"
    shutil.copytree(good, hidden)
    shutil.rmtree(layout.DayLayout(hidden, DATASET, d6).folder)
    write_index(hidden)
    cases.append(
        _case(
            "last-day-removed",
            f"The last day ({d6}) removed from the index and its folder deleted: the download "
            f"claims {len(days) - 1} days, the registry holds {len(days)}; the missing day is "
            "FALLA, named.",
            rel(hidden),
            ALL_OK | {"anchor": "fail"},
            {"anchor": ["range.anchored_missing"]},
            datasets=rel(hidden),
            range_=(d3.isoformat(), d6.isoformat()),
            issue_case=2,
        )
    )

    # 10 · the receipt's transaction fields are checked, not just shown
    bad_tx = cases_dir / "receipt-malformed-tx"
    day_copy = _copy_day(layout.DayLayout(good, DATASET, d4).folder, bad_tx / "day")
    receipt_path = day_copy / f"{DATASET}-{d4.isoformat()}-{layout.ANCHOR}"
    receipt = orjson.loads(receipt_path.read_bytes()) | {"txHash": "0x1234"}
    _write_json(receipt_path, receipt)
    cases.append(
        _case(
            "receipt-malformed-tx",
            "A day whose anchor receipt names a transaction hash that is not one (0x1234): "
            "online the receipt's transaction is checked, so the receipt is FALLA (a real "
            "transaction that does not exist, or did not emit the entry, fails the same way).",
            rel(day_copy),
            ALL_OK | {"anchor": "fail"},
            {"anchor": ["anchor.receipt_tx_bad"]},
            issue_case=10,
        )
    )

    # 4 · a forged proof whose receipt looks official: only the pinned registry can tell
    mirror_day = layout.DayLayout(out / "cases" / "forged-mirror", DATASET, d4)
    from integrity.verify import build_all_proofs

    proof = next(iter(build_all_proofs(mirror_day.folder)))
    official = orjson.loads(layout.DayLayout(good, DATASET, d4).anchor.read_bytes())
    digest = hashlib.sha256(canonical_bytes(proof["manifest"])).hexdigest()
    proof["anchor"] = official | {"digest": digest}
    target = cases_dir / "forged-proof-official-receipt" / "prueba.json"
    _write_json(target, proof)
    cases.append(
        _case(
            "forged-proof-official-receipt",
            "A proof of a forged release carrying the official receipt with the forged "
            "manifest's digest: the pinned registry holds another digest (the browser page "
            "reads the pin's node, never one named in its address, so a lying node cannot "
            "change this).",
            rel(target),
            ALL_OK | {"anchor": "fail"},
            {"anchor": ["anchor.digest_mismatch"]},
            issue_case=4,
        )
    )

    # 11 · keys in code-point order (U+FFFF before an emoji) are not RFC 8785's UTF-16 order
    good_proof = _proof(good, d4, 0)
    line = good_proof["line"]
    assert line.endswith("}")
    keys = {chr(0xFFFF): 1, chr(0x1F600): 2}  # code-point order; RFC 8785 puts the emoji first
    disordered = line[:-1] + ',"zz":' + json.dumps(keys, ensure_ascii=False, separators=(",", ":"))
    disordered += "}"
    target = cases_dir / "proof-non-rfc8785-key-order" / "prueba.json"
    _write_json(target, good_proof | {"line": disordered})
    cases.append(
        _case(
            "proof-non-rfc8785-key-order",
            "A proof whose release line has an object with keys U+FFFF and an emoji written in "
            "code-point order; RFC 8785 sorts by UTF-16 code units (the emoji first), so the "
            "line is not canonical and is not the published leaf.",
            rel(target),
            ALL_OK | {"integrity": "fail", "inclusion": "fail"},
            {
                "integrity": ["integrity.proof_line_not_canonical"],
                "inclusion": ["inclusion.proof_failed"],
            },
            issue_case=11,
        )
    )
    return cases


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
