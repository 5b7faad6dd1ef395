"""Verify published days, single files, digests, proofs and ranges against manifests and the chain.

Library first: every function returns a ``VerificationResult`` made of four checks
(integrity, inclusion, anchor, publisher), each OK / FAIL / SKIPPED with message keys and
parameters from ``integrity.messages``; ``integrity.cli_verificar`` only renders them.

Nothing here imports web3 at module level (the chain client is loaded only when a chain is
actually queried), and every file is streamed in 1 MiB chunks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from integrity import layout
from integrity.keys import anchor_key, day_number
from integrity.manifest import Manifest, ManifestError, parse_manifest
from integrity.merkle import leaf_hash, node_hash
from integrity.messages import DEFAULT_LANG, check_name, render, status_name

CHUNK = 1 << 20
ZERO_KEY = b"\x00" * 32
ANVIL_CHAIN_ID = 31337
# First 4 bytes of keccak256("get_anchor(bytes32)"); a test checks it against web3.
GET_ANCHOR_SELECTOR = "852b3dd7"
CHECKS = ("integrity", "inclusion", "anchor", "publisher")
PUBLISHED_KINDS = frozenset(
    {
        layout.RELEASE_PACKAGE,
        layout.RELEASES_JSONL,
        layout.ORDERS_PARQUET,
        layout.ORDERS_CSV,
        layout.QUARANTINE_PARQUET,
        layout.QUALITY_JSON,
        layout.MANIFEST,
        layout.CHECKSUMS,
        layout.ANCHOR,
    }
)
_DIGEST = re.compile(r"^sha256:([0-9a-fA-F]{64})$")


class Status(StrEnum):
    """Outcome of one check."""

    OK = "ok"
    FAIL = "fail"
    SKIPPED = "skipped"


class SkipReason(StrEnum):
    """Why a check was skipped: only ``UNAVAILABLE`` makes the verification inconclusive."""

    OFFLINE = "offline"
    NOT_APPLICABLE = "not_applicable"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Note:
    """One message (key into ``integrity.messages``) with its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    failed: bool = False

    def text(self, lang: str = DEFAULT_LANG) -> str:
        """Render the message (check names in verdicts are localised too)."""
        params = self.params
        if "checks" in params and self.key.startswith("verdict."):
            names = [check_name(name, lang) for name in str(params["checks"]).split(", ")]
            params = {**params, "checks": ", ".join(names)}
        return render(self.key, lang, **params)


class NoteError(Exception):
    """An error carrying a localisable note."""

    def __init__(self, note: Note) -> None:
        super().__init__(note.text("en"))
        self.note = note


class ChainUnavailable(NoteError):
    """The chain could not be queried (no RPC, unreachable node, wrong chain)."""


class SourceUnavailable(NoteError):
    """A file or URL could not be read for a reason other than not existing."""


@dataclass
class CheckResult:
    """One of the four checks."""

    name: str
    status: Status = Status.OK
    notes: list[Note] = field(default_factory=list)
    skip_reason: SkipReason | None = None

    def ok(self, key: str, /, **params: Any) -> None:
        """Record a passing observation."""
        self.notes.append(Note(key, params))

    def fail(self, key: str, /, **params: Any) -> None:
        """Record a failure; the check fails."""
        self.notes.append(Note(key, params, failed=True))
        self.status = Status.FAIL

    def skip(self, reason: SkipReason, key: str, /, **params: Any) -> None:
        """Record why the check could not run (a failure still wins)."""
        self.notes.append(Note(key, params))
        if self.status is not Status.FAIL:
            self.status = Status.SKIPPED
            if self.skip_reason is not SkipReason.UNAVAILABLE:
                self.skip_reason = reason

    def to_json(self, lang: str) -> dict[str, Any]:
        """Machine-readable form."""
        return {
            "check": self.name,
            "status": self.status.value,
            "skipReason": self.skip_reason.value if self.skip_reason else None,
            "messages": [
                {"key": n.key, "failed": n.failed, "params": n.params, "text": n.text(lang)}
                for n in self.notes
            ],
        }


@dataclass(frozen=True)
class ManualCall:
    """The ``eth_call`` anyone can make to read the anchor of a day."""

    chain_id: int
    to: str
    key: str
    digest: str

    @property
    def data(self) -> str:
        """ABI call data: selector of ``get_anchor(bytes32)`` followed by the key."""
        return "0x" + GET_ANCHOR_SELECTOR + self.key.removeprefix("0x")

    def note(self) -> Note:
        """The manual-check hint."""
        return Note(
            "manual.call",
            {"chain_id": self.chain_id, "to": self.to, "data": self.data, "digest": self.digest},
        )


@dataclass
class VerificationResult:
    """Result of verifying a day, a file, a digest, a proof or a range of days."""

    target: str
    dataset: str | None = None
    day: dt.date | None = None
    header: Note | None = None
    checks: dict[str, CheckResult] = field(
        default_factory=lambda: {name: CheckResult(name) for name in CHECKS}
    )
    dev_chain: bool = False
    manual_call: ManualCall | None = None
    items: list[VerificationResult] = field(default_factory=list)

    def all_checks(self) -> Iterator[CheckResult]:
        """This result's checks followed by those of every item."""
        yield from self.checks.values()
        for item in self.items:
            yield from item.all_checks()

    @property
    def failed_checks(self) -> list[str]:
        """Names of failing checks (deduplicated, in check order)."""
        names = {c.name for c in self.all_checks() if c.status is Status.FAIL}
        return [name for name in CHECKS if name in names]

    @property
    def unavailable_checks(self) -> list[str]:
        """Names of checks that could not run."""
        names = {
            c.name
            for c in self.all_checks()
            if c.status is Status.SKIPPED and c.skip_reason is SkipReason.UNAVAILABLE
        }
        return [name for name in CHECKS if name in names]

    @property
    def anchor_skipped_offline(self) -> bool:
        """Whether any anchor check was skipped because offline mode was requested."""
        return any(
            c.name == "anchor" and c.skip_reason is SkipReason.OFFLINE for c in self.all_checks()
        )

    @property
    def exit_code(self) -> int:
        """0 verified, 1 altered or not published, 2 could not check."""
        if self.failed_checks:
            return 1
        if self.unavailable_checks:
            return 2
        return 0

    @property
    def verdict(self) -> Note:
        """One-line verdict."""
        if self.failed_checks:
            return Note("verdict.failed", {"checks": ", ".join(self.failed_checks)})
        if self.unavailable_checks:
            return Note("verdict.incomplete", {"checks": ", ".join(self.unavailable_checks)})
        if self.anchor_skipped_offline:
            return Note("verdict.verified_offline")
        return Note("verdict.verified")

    def to_json(self, lang: str = DEFAULT_LANG) -> dict[str, Any]:
        """Machine-readable result (also used by ``verificar --json``)."""
        verdict = self.verdict
        return {
            "target": self.target,
            "dataset": self.dataset,
            "date": self.day.isoformat() if self.day else None,
            "exitCode": self.exit_code,
            "verdict": {"key": verdict.key, "params": verdict.params, "text": verdict.text(lang)},
            "devChain": self.dev_chain,
            "checks": {
                name: check.to_json(lang) | {"label": check_name(name, lang)}
                for name, check in self.checks.items()
            },
            "statusLabels": {s.value: status_name(s.value, lang) for s in Status},
            "manualCall": (
                {
                    "chainId": self.manual_call.chain_id,
                    "to": self.manual_call.to,
                    "data": self.manual_call.data,
                    "expectedDigest": self.manual_call.digest,
                }
                if self.manual_call
                else None
            ),
            "items": [item.to_json(lang) for item in self.items],
        }


# --------------------------------------------------------------------------- trust and keys


@dataclass(frozen=True)
class TrustPin:
    """The pinned chain id, registry contract and publisher address (``trust.json``)."""

    chain_id: int
    contract: str
    publisher: str
    dataset: str | None
    origin: str

    @classmethod
    def from_json(cls, raw: bytes, origin: str) -> TrustPin:
        """Parse ``trust.json`` (camelCase or snake_case keys)."""
        data = orjson.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        chain_id = _field(data, "chainId", "chain_id")
        contract = _field(data, "contract", "contractAddress")
        publisher = _field(data, "publisher", "publisherAddress")
        if chain_id is None or not contract or not publisher:
            raise ValueError("chainId, contract and publisher are required")
        return cls(int(chain_id), str(contract), str(publisher), data.get("dataset"), origin)


def _field(data: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in data and data[name] is not None:
            return data[name]
    return None


def _hex32(value: Any) -> str | None:
    """Normalise a bytes32 value to lowercase 64-hex without prefix (None if absent)."""
    if value is None:
        return None
    text = value.hex() if isinstance(value, bytes) else str(value)
    return text.lower().removeprefix("0x")


def _same_address(left: str | None, right: str | None) -> bool:
    return left is not None and right is not None and left.lower() == right.lower()


# --------------------------------------------------------------------------- chain access


class AnchorReader(Protocol):
    """What the verifier needs from a registry client (``integrity.chain.AnchorRegistryClient``)."""

    @property
    def chain_id(self) -> int: ...

    def get_anchor(self, key: bytes, block: Any = None) -> Any: ...

    def publisher(self) -> str: ...


class ChainAccess(Protocol):
    """Gives a reader for a (chain id, contract) pair, or raises ``ChainUnavailable``."""

    dev_chain: bool

    def reader(self, chain_id: int, contract: str) -> AnchorReader: ...


class Web3ChainAccess:
    """Reads registries through an existing Web3 connection (RPC node, eth-tester, anvil)."""

    def __init__(self, w3: Any, *, read_tag: str | None = None, dev_chain: bool = False) -> None:
        """Wrap ``w3``; ``read_tag`` overrides the client's finalized/latest policy."""
        self.w3 = w3
        self.read_tag = read_tag
        self.dev_chain = dev_chain
        self._readers: dict[tuple[int, str], AnchorReader] = {}

    def reader(self, chain_id: int, contract: str) -> AnchorReader:
        """A read-only registry client for ``contract``, after checking the chain id."""
        cache_key = (chain_id, contract.lower())
        if cache_key in self._readers:
            return self._readers[cache_key]
        from integrity.chain import AnchorRegistryClient

        try:
            client = AnchorRegistryClient(self.w3, contract, read_tag=self.read_tag)  # type: ignore[arg-type]
            actual = client.chain_id
        except Exception as error:
            raise ChainUnavailable(
                Note("anchor.chain_unreachable", {"error": _short(error)})
            ) from error
        if actual != chain_id:
            raise ChainUnavailable(
                Note("anchor.wrong_chain", {"actual": actual, "expected": chain_id})
            )
        self._readers[cache_key] = client
        return client


class _FixedReaderAccess:
    """Adapts a single reader (e.g. an AnchorRegistryClient) to ``ChainAccess``."""

    def __init__(self, reader: AnchorReader, dev_chain: bool = False) -> None:
        self._reader = reader
        self.dev_chain = dev_chain

    def reader(self, chain_id: int, contract: str) -> AnchorReader:
        address = getattr(self._reader, "address", None)
        w3 = getattr(self._reader, "w3", None)
        if address is not None and w3 is not None and not _same_address(address, contract):
            return Web3ChainAccess(w3).reader(chain_id, contract)
        try:
            actual = self._reader.chain_id
        except Exception as error:
            raise ChainUnavailable(
                Note("anchor.chain_unreachable", {"error": _short(error)})
            ) from error
        if actual != chain_id:
            raise ChainUnavailable(
                Note("anchor.wrong_chain", {"actual": actual, "expected": chain_id})
            )
        return self._reader


def as_chain_access(chain: ChainAccess | AnchorReader | None) -> ChainAccess | None:
    """Accept a ChainAccess, a bare registry client, or None (offline)."""
    if chain is None or (hasattr(chain, "dev_chain") and hasattr(chain, "reader")):
        return chain  # type: ignore[return-value]
    return _FixedReaderAccess(chain)  # type: ignore[arg-type]


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:300]


# --------------------------------------------------------------------------- sources


class Source:
    """A local folder or an http(s) URL from which published files are read (streamed)."""

    def __init__(self, base: str | Path) -> None:
        """``base`` is a directory path or a URL (a trailing slash is added)."""
        text = str(base)
        self.is_url = text.startswith(("http://", "https://"))
        self.base = (text if text.endswith("/") else text + "/") if self.is_url else Path(text)

    def describe(self, rel: str) -> str:
        """Human-readable location of ``rel``."""
        if self.is_url:
            return urllib.parse.urljoin(str(self.base), rel)
        return str(Path(self.base) / rel)

    def local_path(self, rel: str) -> Path | None:
        """Filesystem path of ``rel`` (None for URLs)."""
        return None if self.is_url else Path(self.base) / rel

    def child(self, rel_dir: str) -> Source:
        """The source for a sub-folder."""
        if self.is_url:
            return Source(urllib.parse.urljoin(str(self.base), rel_dir.rstrip("/") + "/"))
        return Source(Path(self.base) / rel_dir)

    @contextmanager
    def open(self, rel: str) -> Iterator[IO[bytes]]:
        """Open ``rel`` for streaming; FileNotFoundError if absent, SourceUnavailable else."""
        if not self.is_url:
            with (Path(self.base) / rel).open("rb") as handle:
                yield handle
            return
        url = self.describe(rel)
        try:
            response = urllib.request.urlopen(url, timeout=30)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                raise FileNotFoundError(url) from error
            raise SourceUnavailable(
                Note("locate.source_unavailable", {"location": url, "error": _short(error)})
            ) from error
        except (urllib.error.URLError, OSError) as error:
            raise SourceUnavailable(
                Note("locate.source_unavailable", {"location": url, "error": _short(error)})
            ) from error
        with response:
            yield response

    def read(self, rel: str) -> bytes | None:
        """Whole content of a small file, or None if it does not exist."""
        try:
            with self.open(rel) as handle:
                return handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def hash(self, rel: str) -> tuple[str, int] | None:
        """Streamed SHA-256 hex and size, or None if the file does not exist."""
        try:
            with self.open(rel) as handle:
                return hash_stream(handle)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None


def hash_stream(handle: IO[bytes]) -> tuple[str, int]:
    """SHA-256 hex and byte count of a stream read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class LeafScan:
    """One streamed pass over a JSON Lines file: file digest plus its Merkle tree."""

    sha256: str
    size: int
    tree_size: int
    root: str
    unterminated: bool


class _StreamingRoot:
    """RFC 9162 root in O(log n) memory: a stack of perfect subtrees, folded right to left."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []
        self.count = 0

    def push(self, hashed_leaf: bytes) -> None:
        height = 0
        node = hashed_leaf
        stack = self.stack
        while stack and stack[-1][0] == height:
            node = node_hash(stack.pop()[1], node)
            height += 1
        stack.append((height, node))
        self.count += 1

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        node = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            node = node_hash(left, node)
        return node


def scan_leaves(handle: IO[bytes]) -> LeafScan:
    """Hash a JSON Lines stream and compute its Merkle root (each line without ``\\n`` a leaf)."""
    digest = hashlib.sha256()
    tree = _StreamingRoot()
    size = 0
    pending = b""
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            tree.push(leaf_hash(line))
    if pending:
        tree.push(leaf_hash(pending))
    return LeafScan(digest.hexdigest(), size, tree.count, tree.root().hex(), bool(pending))


# --------------------------------------------------------------------------- datasets root


@dataclass(frozen=True)
class IndexEntry:
    """One published day listed in ``index.json``."""

    date: dt.date
    folder: str
    manifest: str
    manifest_sha256: str


@dataclass
class DatasetsRoot:
    """The datasets root: ``index.json``, ``trust.json`` and day folders (local or URL)."""

    source: Source
    dataset: str | None = None
    _index: dict[dt.date, IndexEntry] | None = None

    @classmethod
    def at(cls, location: str | Path) -> DatasetsRoot:
        """Open a root by path or URL."""
        return cls(Source(location))

    def index(self) -> dict[dt.date, IndexEntry]:
        """Published days by date (empty if there is no index)."""
        if self._index is None:
            raw = self.source.read(layout.INDEX_FILE)
            self._index = {}
            if raw is not None:
                data = orjson.loads(raw)
                days = data.get("days", []) if isinstance(data, dict) else data
                self.dataset = data.get("dataset") if isinstance(data, dict) else None
                for entry in days:
                    day = dt.date.fromisoformat(entry["date"])
                    self._index[day] = IndexEntry(
                        day,
                        entry["folder"],
                        entry.get("manifest")
                        or f"{self.dataset}-{day.isoformat()}-{layout.MANIFEST}",
                        _hex32(_field(entry, "manifestSha256", "manifest_sha256")) or "",
                    )
        return self._index

    def has_index(self) -> bool:
        """Whether an index could be read."""
        return bool(self.index()) or self.source.read(layout.INDEX_FILE) is not None

    def trust(self) -> TrustPin | None:
        """The pinned trust file, if present (ValueError if malformed)."""
        raw = self.source.read(layout.TRUST_FILE)
        if raw is None:
            return None
        return TrustPin.from_json(raw, self.source.describe(layout.TRUST_FILE))

    def day_source(self, dataset: str, day: dt.date) -> Source:
        """Folder of a day: from the index when listed, else the standard layout."""
        entry = self.index().get(day)
        if entry is not None:
            return self.source.child(entry.folder)
        return self.source.child(f"{dataset}/{day:%Y}/{day:%m}/{day:%d}")


def detect_root(folder: Path) -> DatasetsRoot | None:
    """The datasets root above a standard day folder, if it holds an index or trust file."""
    folder = folder.resolve()
    if len(folder.parents) < 4:
        return None
    candidate = folder.parents[3]
    if (candidate / layout.INDEX_FILE).is_file() or (candidate / layout.TRUST_FILE).is_file():
        return DatasetsRoot.at(candidate)
    return None


# --------------------------------------------------------------------------- options


@dataclass
class VerifyOptions:
    """How to verify: where the datasets root and trust pin are, and how to reach the chain."""

    datasets: DatasetsRoot | None = None
    trust: TrustPin | None = None
    chain: ChainAccess | None = None
    offline: bool = False
    # Called with (chain_id) when no ChainAccess was given; returns one or raises.
    chain_factory: Callable[[int], ChainAccess] | None = None


@dataclass
class _Day:
    """Everything resolved about one day before checking it."""

    dataset: str
    day: dt.date
    files: Source | None
    manifest: Manifest | None
    anchor_record: dict[str, Any] | None
    root: DatasetsRoot | None


# --------------------------------------------------------------------------- public entry points


def verify_path(target: str | Path, options: VerifyOptions | None = None) -> VerificationResult:
    """Verify a day folder, a published file, a proof file, or a ``sha256:<hex>`` digest."""
    options = options or VerifyOptions()
    text = str(target)
    match = _DIGEST.match(text)
    if match:
        return verify_digest(match[1].lower(), options)
    path = Path(text)
    if not path.exists():
        result = VerificationResult(target=text, header=Note("header.target", {"target": text}))
        result.checks["integrity"].fail("locate.not_found", path=text)
        _skip_rest(result, "integrity")
        return result
    if path.is_dir():
        return verify_day_folder(path, options)
    parsed = layout.parse_file_name(path.name)
    if parsed is not None and parsed[2] in PUBLISHED_KINDS:
        return verify_file(path, options)
    from integrity.proof import load_proofs, verify_proof

    proofs = load_proofs(path)
    if proofs is None:
        result = VerificationResult(target=text, header=Note("header.target", {"target": text}))
        result.checks["integrity"].fail("locate.unknown_file", path=text)
        _skip_rest(result, "integrity")
        return result
    if len(proofs) == 1:
        single = verify_proof(proofs[0], options.chain, options=options)
        single.target = text
        return single
    combined = VerificationResult(target=text, header=Note("header.target", {"target": text}))
    combined.items = [verify_proof(p, options.chain, options=options) for p in proofs]
    for name in CHECKS:
        combined.checks[name] = _summary_check(name, combined.items)
    combined.dev_chain = any(item.dev_chain for item in combined.items)
    return combined


def verify_day_folder(folder: Path, options: VerifyOptions) -> VerificationResult:
    """Verify every file of a local day folder, its Merkle root, anchor and publisher."""
    root = options.datasets or detect_root(folder)
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    manifests = [
        n for n in names if (parsed := layout.parse_file_name(n)) and parsed[2] == "manifest.json"
    ]
    result = VerificationResult(target=str(folder))
    if not manifests:
        result.header = Note("header.target", {"target": str(folder)})
        guessed = _guess_day_from_folder(folder)
        if guessed and root is not None:
            return _verify_day(guessed[0], guessed[1], Source(folder), root, options, str(folder))
        result.checks["integrity"].skip(
            SkipReason.UNAVAILABLE,
            "locate.manifest_missing",
            dataset=guessed[0] if guessed else "?",
            date=guessed[1].isoformat() if guessed else "?",
        )
        _skip_rest(result, "integrity")
        return result
    dataset, day, _ = layout.parse_file_name(manifests[0])  # type: ignore[misc]
    result = _verify_day(dataset, day, Source(folder), root, options, str(folder))
    filed_under = _guess_day_from_folder(folder)
    if filed_under is not None and filed_under[0] == dataset and filed_under[1] != day:
        result.checks["integrity"].fail(
            "range.swap", date=filed_under[1].isoformat(), actual=day.isoformat()
        )
    return result


def verify_day(
    root: DatasetsRoot, dataset: str, day: dt.date, options: VerifyOptions
) -> VerificationResult:
    """Verify one published day read from a datasets root (local or URL)."""
    files = root.day_source(dataset, day)
    return _verify_day(dataset, day, files, root, options, files.describe(""))


def verify_file(path: Path, options: VerifyOptions) -> VerificationResult:
    """Verify a single published file against its day's manifest."""
    dataset, day, kind = layout.parse_file_name(path.name)  # type: ignore[misc]
    folder_source = Source(path.parent)
    root = options.datasets or detect_root(path.parent)
    if kind == layout.ANCHOR:
        return _verify_day(dataset, day, folder_source, root, options, str(path))
    result = VerificationResult(
        target=str(path),
        dataset=dataset,
        day=day,
        header=Note("header.day", {"dataset": dataset, "date": day.isoformat(), "target": path}),
    )
    try:
        ctx = _resolve_day(dataset, day, folder_source, root, path_hint=path)
    except NoteError as error:
        result.checks["integrity"].skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
        _skip_rest(result, "integrity")
        return result
    if ctx.manifest is None:
        _manifest_missing(result, dataset, day)
        return result
    integrity, inclusion = result.checks["integrity"], result.checks["inclusion"]
    _check_manifest_fields(integrity, ctx.manifest, dataset, day)
    if kind == layout.MANIFEST:
        if path.read_bytes() != ctx.manifest.raw:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
            integrity.fail(
                "integrity.hash_mismatch",
                file=path.name,
                expected=ctx.manifest.sha256,
                actual=actual,
            )
        elif integrity.status is Status.OK:
            integrity.ok("integrity.manifest_ok", date=day.isoformat(), digest=ctx.manifest.sha256)
        inclusion.skip(SkipReason.NOT_APPLICABLE, "inclusion.not_applicable", file=path.name)
    elif kind == layout.CHECKSUMS:
        _check_sums(integrity, path.read_bytes(), path.name, ctx.manifest)
        inclusion.skip(SkipReason.NOT_APPLICABLE, "inclusion.not_applicable", file=path.name)
    else:
        entry = ctx.manifest.files.get(path.name)
        if entry is None:
            integrity.fail("integrity.not_in_manifest", file=path.name, date=day.isoformat())
        elif kind == layout.RELEASES_JSONL or path.name == ctx.manifest.merkle.get("leaves"):
            with path.open("rb") as handle:
                scan = scan_leaves(handle)
            _compare_entry(integrity, entry, scan.sha256, scan.size)
            if integrity.status is Status.OK:
                integrity.ok("integrity.files_ok", count=1)
            _check_inclusion(inclusion, ctx.manifest, scan)
        else:
            with path.open("rb") as handle:
                digest, size = hash_stream(handle)
            _compare_entry(integrity, entry, digest, size)
            if integrity.status is Status.OK:
                integrity.ok("integrity.files_ok", count=1)
        if (
            entry is not None
            and kind != layout.RELEASES_JSONL
            and path.name != ctx.manifest.merkle.get("leaves")
        ) or entry is None:
            inclusion.skip(SkipReason.NOT_APPLICABLE, "inclusion.not_applicable", file=path.name)
    _check_chain_and_publisher(result, ctx, options)
    return result


def verify_digest(digest: str, options: VerifyOptions) -> VerificationResult:
    """Look a ``sha256:`` digest up through the datasets index and verify the day it belongs to."""
    target = f"sha256:{digest}"
    result = VerificationResult(target=target, header=Note("header.target", {"target": target}))
    root = options.datasets
    if root is None or not root.has_index():
        result.checks["integrity"].skip(SkipReason.UNAVAILABLE, "locate.digest_needs_index")
        _skip_rest(result, "integrity")
        return result
    dataset = root.dataset or layout.DEFAULT_DATASET
    for day, entry in sorted(root.index().items()):
        day_files = root.source.child(entry.folder)
        if entry.manifest_sha256 == digest:
            found_name = entry.manifest
        else:
            raw = day_files.read(entry.manifest)
            if raw is None or hashlib.sha256(raw).hexdigest() == digest:
                found_name = entry.manifest if raw is not None else None
            else:
                listed = [
                    f["name"]
                    for f in orjson.loads(raw).get("files", [])
                    if f.get("sha256") == digest
                ]
                found_name = listed[0] if listed else None
        if found_name is None:
            continue
        ctx = _resolve_day(dataset, day, day_files, root)
        result.dataset, result.day = dataset, day
        result.header = Note(
            "header.day", {"dataset": dataset, "date": day.isoformat(), "target": target}
        )
        if ctx.manifest is None:
            _manifest_missing(result, dataset, day)
            return result
        integrity = result.checks["integrity"]
        _check_manifest_fields(integrity, ctx.manifest, dataset, day)
        if found_name == entry.manifest and ctx.manifest.sha256 != digest:
            integrity.fail(
                "integrity.hash_mismatch",
                file=found_name,
                expected=digest,
                actual=ctx.manifest.sha256,
            )
        elif integrity.status is Status.OK:
            integrity.ok(
                "integrity.digest_found", digest=digest, file=found_name, date=day.isoformat()
            )
        result.checks["inclusion"].skip(
            SkipReason.NOT_APPLICABLE, "inclusion.not_applicable", file=found_name
        )
        _check_chain_and_publisher(result, ctx, options)
        return result
    result.checks["integrity"].fail("locate.digest_not_published", digest=digest)
    _skip_rest(result, "integrity")
    return result


# --------------------------------------------------------------------------- day verification


def _verify_day(
    dataset: str,
    day: dt.date,
    files: Source,
    root: DatasetsRoot | None,
    options: VerifyOptions,
    target: str,
) -> VerificationResult:
    result = VerificationResult(
        target=target,
        dataset=dataset,
        day=day,
        header=Note("header.day", {"dataset": dataset, "date": day.isoformat(), "target": target}),
    )
    try:
        ctx = _resolve_day(dataset, day, files, root)
    except NoteError as error:
        result.checks["integrity"].skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
        _skip_rest(result, "integrity")
        return result
    if ctx.manifest is None:
        _manifest_missing(result, dataset, day)
        return result
    manifest = ctx.manifest
    integrity, inclusion = result.checks["integrity"], result.checks["inclusion"]
    _check_manifest_fields(integrity, manifest, dataset, day)
    day_files = ctx.files or files
    leaves_name = str(manifest.merkle.get("leaves", ""))
    scan: LeafScan | None = None
    checked = 0
    try:
        for name, entry in sorted(manifest.files.items()):
            if name == leaves_name:
                try:
                    with day_files.open(name) as handle:
                        scan = scan_leaves(handle)
                except (FileNotFoundError, IsADirectoryError):
                    integrity.fail("integrity.file_missing", file=name)
                    continue
                digest, size = scan.sha256, scan.size
            else:
                hashed = day_files.hash(name)
                if hashed is None:
                    integrity.fail("integrity.file_missing", file=name)
                    continue
                digest, size = hashed
            if _compare_entry(integrity, entry, digest, size):
                checked += 1
    except SourceUnavailable as error:
        integrity.skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
    sums_name = f"{dataset}-{day.isoformat()}-{layout.CHECKSUMS}"
    sums_raw = day_files.read(sums_name)
    if sums_raw is not None:
        _check_sums(integrity, sums_raw, sums_name, manifest)
    local = day_files.local_path("")
    if local is not None and local.is_dir():
        known = set(manifest.files) | {
            f"{dataset}-{day.isoformat()}-{kind}"
            for kind in (layout.MANIFEST, layout.CHECKSUMS, layout.ANCHOR)
        }
        for extra in sorted(p.name for p in local.iterdir() if p.is_file()):
            if extra not in known and not extra.startswith("."):
                integrity.ok("integrity.unlisted_file", file=extra)
    if integrity.status is Status.OK:
        integrity.notes.insert(0, Note("integrity.files_ok", {"count": checked}))
    if scan is None:
        if leaves_name in manifest.files:
            inclusion.fail("integrity.file_missing", file=leaves_name)
        else:
            inclusion.fail("integrity.not_in_manifest", file=leaves_name, date=day.isoformat())
    else:
        _check_inclusion(inclusion, manifest, scan)
    _check_chain_and_publisher(result, ctx, options)
    return result


def _resolve_day(
    dataset: str,
    day: dt.date,
    files: Source,
    root: DatasetsRoot | None,
    path_hint: Path | None = None,
) -> _Day:
    """Find the manifest and anchor receipt: next to the files first, then via the index."""
    manifest_name = f"{dataset}-{day.isoformat()}-{layout.MANIFEST}"
    anchor_name = f"{dataset}-{day.isoformat()}-{layout.ANCHOR}"
    raw = files.read(manifest_name)
    day_files: Source | None = files
    if raw is None and root is not None:
        day_files = root.day_source(dataset, day)
        entry = root.index().get(day)
        raw = day_files.read(entry.manifest if entry else manifest_name)
    if raw is None:
        return _Day(dataset, day, day_files, None, None, root)
    try:
        manifest = parse_manifest(raw, origin=manifest_name)
    except ManifestError as error:
        raise NoteError(Note("locate.manifest_invalid", {"error": str(error)})) from error
    anchor_raw = day_files.read(anchor_name) if day_files is not None else None
    if anchor_raw is None and root is not None and day_files is files:
        anchor_raw = root.day_source(dataset, day).read(anchor_name)
    anchor_record = orjson.loads(anchor_raw) if anchor_raw is not None else None
    return _Day(dataset, day, day_files, manifest, anchor_record, root)


def _manifest_missing(result: VerificationResult, dataset: str, day: dt.date) -> None:
    result.checks["integrity"].skip(
        SkipReason.UNAVAILABLE, "locate.manifest_missing", dataset=dataset, date=day.isoformat()
    )
    _skip_rest(result, "integrity")


def _skip_rest(result: VerificationResult, done: str) -> None:
    """Mark every other check as skipped because an earlier step could not proceed."""
    for name, check in result.checks.items():
        if name != done and check.status is Status.OK and not check.notes:
            check.status = Status.SKIPPED
            check.skip_reason = SkipReason.NOT_APPLICABLE


def _guess_day_from_folder(folder: Path) -> tuple[str, dt.date] | None:
    parts = folder.resolve().parts
    if len(parts) < 4:
        return None
    try:
        day = dt.date(int(parts[-3]), int(parts[-2]), int(parts[-1]))
    except ValueError:
        return None
    return parts[-4], day


def _compare_entry(check: CheckResult, entry: dict[str, Any], digest: str, size: int) -> bool:
    """Compare a file's digest and size with its manifest entry."""
    matches = True
    if entry["sha256"] != digest:
        check.fail(
            "integrity.hash_mismatch", file=entry["name"], expected=entry["sha256"], actual=digest
        )
        matches = False
    if int(entry["bytes"]) != size:
        check.fail(
            "integrity.size_mismatch", file=entry["name"], expected=entry["bytes"], actual=size
        )
        matches = False
    return matches


def _check_manifest_fields(
    check: CheckResult, manifest: Manifest, dataset: str, day: dt.date
) -> None:
    """The manifest must describe the day and dataset it is filed under (catches swaps)."""
    expected = {
        "dataset": dataset,
        "date": day.isoformat(),
        "anchorKey": anchor_key(dataset, day).hex(),
    }
    for name, value in expected.items():
        actual = manifest.data.get(name)
        if name == "anchorKey":
            actual = _hex32(actual)
        if actual != value:
            check.fail("integrity.manifest_field", field=name, expected=value, actual=actual)


def _check_sums(check: CheckResult, raw: bytes, sums_name: str, manifest: Manifest) -> None:
    """Every SHA256SUMS line must agree with the manifest (or the manifest's own digest)."""
    expected = {name: entry["sha256"] for name, entry in manifest.files.items()}
    manifest_name = f"{manifest.dataset}-{manifest.data['date']}-{layout.MANIFEST}"
    expected[manifest_name] = manifest.sha256
    count = 0
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or not re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
            check.fail("integrity.sums_malformed", sums=sums_name, line=number)
            continue
        digest, name = parts[0].lower(), parts[1].lstrip("*").strip()
        if name not in expected:
            check.fail("integrity.not_in_manifest", file=name, date=manifest.data["date"])
        elif expected[name] != digest:
            check.fail(
                "integrity.sums_mismatch",
                sums=sums_name,
                file=name,
                expected=expected[name],
                actual=digest,
            )
        else:
            count += 1
    if check.status is not Status.FAIL:
        check.ok("integrity.sums_ok", sums=sums_name, count=count)


def _check_inclusion(check: CheckResult, manifest: Manifest, scan: LeafScan) -> None:
    merkle = manifest.merkle
    name = str(merkle.get("leaves"))
    if scan.unterminated:
        check.fail("inclusion.unterminated", file=name)
    if int(merkle["treeSize"]) != scan.tree_size:
        check.fail(
            "inclusion.size_mismatch", file=name, expected=merkle["treeSize"], actual=scan.tree_size
        )
    if _hex32(merkle["root"]) != scan.root:
        check.fail(
            "inclusion.root_mismatch", file=name, expected=_hex32(merkle["root"]), actual=scan.root
        )
    if check.status is Status.OK:
        check.ok("inclusion.ok", size=scan.tree_size, file=name)


# --------------------------------------------------------------------------- anchor and publisher


def _check_chain_and_publisher(
    result: VerificationResult, ctx: _Day, options: VerifyOptions
) -> None:
    """Fill the anchor and publisher checks of a day whose manifest is known."""
    assert ctx.manifest is not None
    trust = options.trust
    if trust is None and ctx.root is not None:
        try:
            trust = ctx.root.trust()
        except (ValueError, orjson.JSONDecodeError) as error:
            result.checks["publisher"].fail(
                "publisher.trust_invalid", trust=layout.TRUST_FILE, error=_short(error)
            )
    check_anchor(
        result,
        ctx.manifest,
        ctx.anchor_record,
        trust,
        options,
        previous_manifest=_previous_manifest_digest(ctx),
    )


def _previous_manifest_digest(ctx: _Day) -> tuple[str, str | None] | None:
    """(previous date, SHA-256 of the previous day's published manifest, if reachable)."""
    assert ctx.manifest is not None
    previous = ctx.manifest.previous
    if not previous:
        return None
    previous_day = dt.date.fromisoformat(previous["date"])
    name = f"{ctx.dataset}-{previous_day.isoformat()}-{layout.MANIFEST}"
    raw: bytes | None = None
    local = ctx.files.local_path("") if ctx.files else None
    if local is not None and len(local.resolve().parents) >= 3:
        sibling = (
            local.resolve().parents[2]
            / f"{previous_day:%Y}"
            / f"{previous_day:%m}"
            / f"{previous_day:%d}"
            / name
        )
        if sibling.is_file():
            raw = sibling.read_bytes()
    if raw is None and ctx.root is not None:
        try:
            raw = ctx.root.day_source(ctx.dataset, previous_day).read(name)
        except SourceUnavailable:
            raw = None
    return previous["date"], hashlib.sha256(raw).hexdigest() if raw is not None else None


def check_anchor(
    result: VerificationResult,
    manifest: Manifest,
    anchor_record: dict[str, Any] | None,
    trust: TrustPin | None,
    options: VerifyOptions,
    *,
    previous_manifest: tuple[str, str | None] | None = None,
) -> None:
    """Compare the manifest digest with the anchor receipt, the chain and the trust pin."""
    anchor, publisher = result.checks["anchor"], result.checks["publisher"]
    dataset, day = manifest.dataset, manifest.day
    digest = manifest.sha256
    key = anchor_key(dataset, day).hex()
    record_name = f"{dataset}-{day.isoformat()}-{layout.ANCHOR}"
    previous = manifest.previous
    expected_previous_key = (
        anchor_key(dataset, dt.date.fromisoformat(previous["date"])).hex()
        if previous
        else ZERO_KEY.hex()
    )

    if previous_manifest is not None and previous_manifest[1] is not None:
        previous_date, actual_previous = previous_manifest
        expected_previous = _hex32(previous and previous.get("manifestSha256"))
        if actual_previous != expected_previous:
            anchor.fail(
                "anchor.previous_manifest_mismatch",
                previous_date=previous_date,
                expected=expected_previous,
                actual=actual_previous,
            )
        else:
            anchor.ok("anchor.previous_manifest_ok", previous_date=previous_date)

    if anchor_record is not None:
        for field_name, names, expected in (
            ("key", ("key",), key),
            ("digest", ("digest",), digest),
            ("day", ("day",), day_number(day)),
            ("previous", ("previous",), expected_previous_key),
        ):
            actual = _field(anchor_record, *names)
            if actual is None:
                continue
            actual_norm = int(actual) if field_name == "day" else _hex32(actual)
            if actual_norm != expected:
                anchor.fail(
                    "anchor.record_mismatch",
                    file=record_name,
                    field=field_name,
                    expected=expected,
                    actual=actual_norm,
                )

    record_chain = _field(anchor_record or {}, "chainId", "chain_id")
    record_contract = _field(anchor_record or {}, "contract")
    record_publisher = _field(anchor_record or {}, "publisher")
    if trust is None:
        publisher.skip(SkipReason.UNAVAILABLE, "publisher.no_trust")
    else:
        trust_name = (
            Path(trust.origin).name if not trust.origin.startswith("http") else trust.origin
        )
        for field_name, actual, expected in (
            ("chainId", record_chain, trust.chain_id),
            ("contract", record_contract, trust.contract),
            ("publisher", record_publisher, trust.publisher),
        ):
            if actual is None:
                continue
            same = (
                int(actual) == expected
                if field_name == "chainId"
                else _same_address(actual, expected)
            )
            if not same:
                publisher.fail(
                    "publisher.mismatch",
                    source=record_name,
                    field=field_name,
                    actual=actual,
                    expected=expected,
                    trust=trust_name,
                )
        if trust.dataset and trust.dataset != dataset:
            publisher.fail(
                "publisher.mismatch",
                source=f"{dataset}-{day.isoformat()}-{layout.MANIFEST}",
                field="dataset",
                actual=dataset,
                expected=trust.dataset,
                trust=trust_name,
            )

    chain_id = (
        trust.chain_id if trust else (int(record_chain) if record_chain is not None else None)
    )
    contract = trust.contract if trust else record_contract
    if chain_id is not None and contract:
        result.manual_call = ManualCall(chain_id, contract, "0x" + key, "0x" + digest)

    if options.offline:
        anchor.skip(SkipReason.OFFLINE, "anchor.offline")
        if trust is not None and publisher.status is Status.OK:
            publisher.ok(
                "publisher.ok",
                contract=trust.contract,
                publisher=trust.publisher,
                chain_id=trust.chain_id,
                trust=Path(trust.origin).name,
            )
            publisher.ok("publisher.offline_partial")
        return
    if chain_id is None or not contract:
        anchor.skip(SkipReason.UNAVAILABLE, "anchor.no_contract")
        return
    try:
        access = options.chain
        if access is None:
            if options.chain_factory is None:
                raise ChainUnavailable(Note("anchor.no_rpc", {"chain_id": chain_id}))
            access = options.chain = options.chain_factory(chain_id)
        result.dev_chain = result.dev_chain or access.dev_chain
        reader = access.reader(chain_id, contract)
        stored = reader.get_anchor(bytes.fromhex(key))
        if stored is None:
            latest = reader.get_anchor(bytes.fromhex(key), block="latest")
        on_chain_publisher = reader.publisher() if trust is not None else None
    except NoteError as error:
        anchor.skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
        if trust is not None and publisher.status is Status.OK:
            publisher.skip(SkipReason.UNAVAILABLE, error.note.key, **error.note.params)
        return
    except Exception as error:
        anchor.skip(SkipReason.UNAVAILABLE, "anchor.chain_unreachable", error=_short(error))
        if trust is not None and publisher.status is Status.OK:
            publisher.skip(SkipReason.UNAVAILABLE, "anchor.chain_unreachable", error=_short(error))
        return

    if trust is not None:
        if not _same_address(on_chain_publisher, trust.publisher):
            publisher.fail(
                "publisher.mismatch",
                source=contract,
                field="publisher()",
                actual=on_chain_publisher,
                expected=trust.publisher,
                trust=Path(trust.origin).name,
            )
        elif publisher.status is Status.OK:
            publisher.ok(
                "publisher.ok",
                contract=trust.contract,
                publisher=trust.publisher,
                chain_id=trust.chain_id,
                trust=Path(trust.origin).name,
            )

    if stored is None:
        if latest is not None:
            anchor.skip(
                SkipReason.UNAVAILABLE,
                "anchor.pending",
                date=day.isoformat(),
                block=latest.block_number,
            )
        elif anchor_record is not None:
            anchor.fail(
                "anchor.missing_on_chain",
                file=record_name,
                date=day.isoformat(),
                block=_field(anchor_record, "blockNumber", "block_number"),
                key="0x" + key,
            )
        else:
            anchor.skip(
                SkipReason.UNAVAILABLE, "anchor.not_anchored", date=day.isoformat(), key="0x" + key
            )
        return
    stored_digest = bytes(stored.digest).hex()
    if stored_digest != digest:
        anchor.fail(
            "anchor.digest_mismatch",
            date=day.isoformat(),
            expected="0x" + stored_digest,
            actual="0x" + digest,
        )
    if int(stored.day) != day_number(day):
        anchor.fail("anchor.day_mismatch", actual=int(stored.day), expected=day.isoformat())
    stored_previous = bytes(stored.previous).hex()
    if stored_previous != expected_previous_key:
        anchor.fail(
            "anchor.previous_mismatch",
            date=day.isoformat(),
            actual="0x" + stored_previous,
            expected="0x" + expected_previous_key,
            previous_date=previous["date"] if previous else "-",
        )
    if anchor.status is Status.OK:
        anchor.ok(
            "anchor.ok",
            digest="0x" + digest,
            key="0x" + key,
            block=int(stored.block_number),
            chain_id=chain_id,
        )


# --------------------------------------------------------------------------- ranges


def _note_replay(check: Any, seen: dict[str, dt.date], value: str, day: dt.date, what: str) -> None:
    """Fail ``check`` if ``value`` was already published for an earlier day (a replay)."""
    if value in seen:
        check.fail(
            "anchor.replay",
            date=day.isoformat(),
            earlier=seen[value].isoformat(),
            what=what,
            value=value,
        )
    seen.setdefault(value, day)


def verify_range(
    root: DatasetsRoot,
    start: dt.date,
    end: dt.date,
    options: VerifyOptions,
    dataset: str | None = None,
) -> VerificationResult:
    """Verify every published day in [start, end] and the chain of days between them."""
    index = root.index()
    dataset = dataset or root.dataset or layout.DEFAULT_DATASET
    target = f"{root.source.describe('')} {start.isoformat()}..{end.isoformat()}"
    days = sorted(day for day in index if start <= day <= end)
    result = VerificationResult(
        target=target,
        dataset=dataset,
        header=Note(
            "header.range",
            {
                "dataset": dataset,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "days": len(days),
            },
        ),
    )
    chain_check = result.checks["anchor"]
    if not index:
        result.checks["integrity"].skip(SkipReason.UNAVAILABLE, "locate.range_needs_index")
        _skip_rest(result, "integrity")
        return result
    if not days:
        result.checks["integrity"].fail("range.empty", start=start.isoformat(), end=end.isoformat())
        _skip_rest(result, "integrity")
        return result
    all_days = sorted(index)
    seen_digests: dict[str, dt.date] = {}
    seen_roots: dict[str, dt.date] = {}
    for day in days:
        item = verify_day(root, dataset, day, options)
        result.items.append(item)
        manifest_raw = root.day_source(dataset, day).read(index[day].manifest)
        if manifest_raw is None:
            chain_check.fail("range.folder_missing", date=day.isoformat(), error=index[day].folder)
            continue
        try:
            manifest = parse_manifest(manifest_raw)
        except ManifestError as error:
            chain_check.fail("range.folder_missing", date=day.isoformat(), error=str(error))
            continue
        if manifest.data.get("date") != day.isoformat():
            chain_check.fail("range.swap", date=day.isoformat(), actual=manifest.data.get("date"))
        _note_replay(chain_check, seen_digests, manifest.sha256, day, "SHA-256")
        if int(manifest.merkle["treeSize"]) > 0:  # empty days legitimately share a root
            root_hex = _hex32(manifest.merkle["root"]) or ""
            _note_replay(chain_check, seen_roots, root_hex, day, "Merkle root")
        position = all_days.index(day)
        expected_previous = all_days[position - 1] if position else None
        previous = manifest.previous
        previous_day = dt.date.fromisoformat(previous["date"]) if previous else None
        if previous_day is not None and previous_day not in index:
            chain_check.fail(
                "range.gap", date=day.isoformat(), previous_date=previous_day.isoformat()
            )
        elif previous_day != expected_previous:
            chain_check.fail(
                "range.unlinked",
                date=day.isoformat(),
                previous_date=previous_day.isoformat() if previous_day else "-",
                expected=expected_previous.isoformat() if expected_previous else "-",
            )
    if chain_check.status is Status.OK:
        chain_check.ok("range.ok", days=len(days))
    for name in CHECKS:
        summary = _summary_check(name, result.items)
        own = result.checks[name]
        own.notes.extend(summary.notes)
        if own.status is Status.OK and summary.status is not Status.OK:
            own.status, own.skip_reason = summary.status, summary.skip_reason
        elif own.status is Status.OK:
            own.status = summary.status
    result.dev_chain = any(item.dev_chain for item in result.items)
    return result


def _summary_check(name: str, items: list[VerificationResult]) -> CheckResult:
    """Combine one check over several items: the worst status wins; failing notes are kept."""
    summary = CheckResult(name)
    statuses = [item.checks[name] for item in items]
    for check in statuses:
        if check.status is Status.FAIL:
            summary.status = Status.FAIL
            label = item_label(items[statuses.index(check)])
            summary.notes.extend(
                Note(
                    n.key, {**n.params, "file": f"{label} {n.params.get('file', '')}".strip()}, True
                )
                if "file" in n.params
                else n
                for n in check.notes
                if n.failed
            )
    if summary.status is not Status.FAIL:
        unavailable = [c for c in statuses if c.skip_reason is SkipReason.UNAVAILABLE]
        if unavailable:
            summary.status, summary.skip_reason = Status.SKIPPED, SkipReason.UNAVAILABLE
            summary.notes.append(unavailable[0].notes[-1])
        elif statuses and all(c.status is Status.SKIPPED for c in statuses):
            summary.status, summary.skip_reason = Status.SKIPPED, statuses[0].skip_reason
            summary.notes.append(
                statuses[0].notes[-1] if statuses[0].notes else Note("anchor.offline")
            )
    return summary


def item_label(item: VerificationResult) -> str:
    """Short label for an item of a range or proof list."""
    return item.day.isoformat() if item.day else item.target
