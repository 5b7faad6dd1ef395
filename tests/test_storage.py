"""Object storage: a day appears atomically (staged, copied, manifest last, index last).

In memory, a failure is injected before every single write of an upload; against a real S3
protocol server (moto, started and stopped here on 127.0.0.1) a writer process is SIGKILLed
mid-day; in both cases a reader never sees a partial day and a re-run completes the upload.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from support import site_days

from publication.site import refresh_site
from publication.storage import (
    STAGING,
    LocalStore,
    MemoryStore,
    ObjectStore,
    S3Settings,
    S3Store,
    publish_root,
    same_place,
)
from settings import Identity

DATASET = site_days.DATASET
IDENTITY = Identity(base_url=site_days.BASE_URL)
DAYS = site_days.days(dt.date(2026, 3, 2), 3)
TESTS = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


TRUST = {  # what the anchoring step pins (no chain in these tests: anchors are not checked)
    "dataset": DATASET,
    "chainId": 31337,
    "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "publisher": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "devChain": True,
}


def publish_locally(root: Path, days: list[dt.date], now: str) -> None:
    site_days.publish(root, days)
    (root / "trust.json").write_bytes(orjson.dumps(TRUST))
    refresh_site(root, DATASET, IDENTITY, now=now)


def visible_days(read: Callable[[str], bytes | None]) -> list[str]:
    """What a reader sees: the days index.json lists, each checked complete against its
    manifest (digest of every file); raises AssertionError on a partial day."""
    raw = read("index.json")
    if raw is None:
        return []
    index = orjson.loads(raw)
    dates = []
    for entry in index["days"]:
        manifest_raw = read(f"{entry['folder']}/{entry['manifest']}")
        assert manifest_raw is not None, f"{entry['date']}: listed but its manifest is missing"
        assert hashlib.sha256(manifest_raw).hexdigest() == entry["manifestSha256"]
        check_manifest(read, entry["folder"], manifest_raw)
        dates.append(entry["date"])
    return dates


def check_manifest(read: Callable[[str], bytes | None], folder: str, raw: bytes) -> None:
    """Every file a manifest lists is there with its digest and size."""
    manifest = orjson.loads(raw)
    assert manifest["files"]
    for listed in manifest["files"]:
        data = read(f"{folder}/{listed['name']}")
        assert data is not None, f"{folder}/{listed['name']}: missing"
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (listed["sha256"], listed["bytes"])


def every_manifest_complete(store: ObjectStore) -> int:
    """Every manifest in the store (listed or not) describes a complete folder; how many."""
    manifests = [item.key for item in store.list() if item.key.endswith("-manifest.json")]
    for key in manifests:
        raw = store.get(key)
        assert raw is not None
        check_manifest(store.get, key.rsplit("/", 1)[0], raw)
    return len(manifests)


def assert_mirrors(store: ObjectStore, root: Path) -> None:
    """After a complete upload: every visible local file is in the store, same bytes; no
    staging leftovers."""
    keys = {item.key for item in store.list()}
    assert not [key for key in keys if key.startswith(f"{STAGING}/")]
    local = [
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    assert local
    for path in local:
        key = path.relative_to(root).as_posix()
        assert store.get(key) == path.read_bytes(), key


# --- in memory: a failure before every write ----------------------------------------------


def _copy(store: MemoryStore, fail_after: int | None = None) -> MemoryStore:
    copy = MemoryStore(fail_after=fail_after)
    copy.objects = dict(store.objects)
    return copy


def test_an_upload_interrupted_before_any_write_never_shows_a_partial_day(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    publish_locally(root, DAYS[:2], "2026-03-04T06:00:00Z")
    base = MemoryStore()
    publish_root(base, root)
    assert visible_days(base.get) == ["2026-03-02", "2026-03-03"]
    # Day 3 is published, day 1 anchored, and day 2 (not anchored) is corrected.
    site_days.anchor(root, DAYS[0])
    from integrity.keys import anchor_key
    from publication.writer import write_day

    write_day(
        root,
        site_days.content(DAYS[1], salt="corregido"),
        anchor_key_hex=anchor_key(DATASET, DAYS[1]).hex(),
    )
    publish_locally(root, DAYS[2:], "2026-03-05T06:00:00Z")
    full = _copy(base)
    publish_root(full, root)
    writes = len(full.writes)
    assert writes > 40
    assert visible_days(full.get) == [d.isoformat() for d in DAYS]
    assert_mirrors(full, root)
    for fail_after in range(writes):
        store = _copy(base, fail_after)
        with pytest.raises(ConnectionError):
            publish_root(store, root)
        seen = visible_days(store.get)
        assert set(seen) <= {d.isoformat() for d in DAYS}, fail_after
        assert seen[:1] == ["2026-03-02"], fail_after  # an untouched day never disappears
        assert every_manifest_complete(store) >= 1
        store.fail_after = None
        report = publish_root(store, root)  # the re-run completes
        assert visible_days(store.get) == [d.isoformat() for d in DAYS]
        assert_mirrors(store, root)
        assert report.changed
    again = publish_root(full, root)  # nothing changed: nothing written
    assert not again.changed


def test_the_local_root_is_its_own_store_and_a_folder_can_mirror_it(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    publish_locally(root, DAYS[:2], "2026-03-04T06:00:00Z")
    assert same_place(LocalStore(root), root)
    mirror = LocalStore(tmp_path / "espejo")
    assert not same_place(mirror, root)
    report = publish_root(mirror, root)
    assert report.folders == [f"{DATASET}/2026/03/02", f"{DATASET}/2026/03/03"]
    assert visible_days(mirror.get) == ["2026-03-02", "2026-03-03"]
    assert_mirrors(mirror, root)
    assert not publish_root(mirror, root).changed


def test_a_manifest_listing_a_missing_file_is_not_uploaded(tmp_path: Path) -> None:
    from publication.storage import StorageError

    root = tmp_path / "datasets"
    publish_locally(root, DAYS[:1], "2026-03-04T06:00:00Z")
    next((root / DATASET).rglob("*-orders.csv")).unlink()
    store = MemoryStore()
    with pytest.raises(StorageError, match="missing files"):
        publish_root(store, root)
    assert store.objects == {}


# --- S3 protocol (moto server) -------------------------------------------------------------

BUCKET = "datos-abiertos"
URI = f"s3://{BUCKET}/perucompras"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (a free port), started and stopped here."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def s3(moto_endpoint: str, request: pytest.FixtureRequest) -> Iterator[S3Store]:
    """An empty bucket prefix for one test."""
    uri = f"{URI}-{request.node.name[:40].replace('_', '-').lower()}"
    store = S3Store(
        uri,
        S3Settings(
            endpoint_url=moto_endpoint, access_key_id="testing", secret_access_key="testing"
        ),
    )
    with contextlib.suppress(store.client.exceptions.BucketAlreadyOwnedByYou):
        store.client.create_bucket(Bucket=BUCKET)
    # Open data: anyone may read objects (as the bucket policy of a real deployment says).
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ],
    }
    store.client.put_bucket_policy(Bucket=BUCKET, Policy=orjson.dumps(policy).decode())
    yield store


def http_reader(base: str) -> Callable[[str], bytes | None]:
    """Read keys through the store's public HTTP endpoint, as any client would."""

    def read(key: str) -> bytes | None:
        try:
            with urllib.request.urlopen(f"{base}/{key}", timeout=10) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as error:
            if error.code in (403, 404):
                return None
            raise

    return read


def verificar(*args: str) -> subprocess.CompletedProcess[str]:
    """``verificar ARGS --offline --json``, never with the checkout's ``.devchain`` pin."""
    with tempfile.TemporaryDirectory(prefix="no-devchain-") as no_devchain:
        return subprocess.run(
            [str(BIN / "verificar"), *args, "--devchain", no_devchain, "--offline", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )


def test_three_days_to_s3_with_a_writer_killed_mid_day(
    s3: S3Store, moto_endpoint: str, tmp_path: Path
) -> None:
    root = tmp_path / "datasets"
    public = f"{moto_endpoint}/{BUCKET}/{s3.prefix}"
    read = http_reader(public)
    publish_locally(root, DAYS[:2], "2026-03-04T06:00:00Z")
    publish_root(s3, root)
    assert visible_days(read) == ["2026-03-02", "2026-03-03"]
    assert read("portal.js") is not None and read("data.json") is not None

    publish_locally(root, DAYS[2:], "2026-03-05T06:00:00Z")
    day3 = f"{DATASET}/2026/03/04/"
    files = [p for p in (root / day3).iterdir() if not p.name.endswith("-manifest.json")]
    seed = random.randrange(1 << 30)
    # Kill before one of the day's writes: a staged upload, a copy into place, or the manifest.
    offset = random.Random(seed).randrange(2 * len(files) + 1)
    writer = subprocess.Popen(
        [
            sys.executable,
            str(TESTS / "support" / "storage_writer.py"),
            str(root),
            s3.location,
            moto_endpoint,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(TESTS.parent)},
    )
    assert writer.stdin is not None and writer.stdout is not None
    operations: list[str] = []
    killed_at = None
    try:
        for line in writer.stdout:
            operation = line.strip()
            operations.append(operation)
            touched = [op for op in operations if day3 in op]
            if touched and len(touched) - 1 == offset:
                writer.send_signal(signal.SIGKILL)  # before this write happens
                killed_at = operation
                break
            writer.stdin.write("go\n")
            writer.stdin.flush()
    finally:
        writer.wait(30)
    assert killed_at is not None, (seed, operations)
    assert writer.returncode == -signal.SIGKILL
    assert day3 in killed_at, (seed, killed_at)

    # A reader sees the two complete days, never the third one half-uploaded.
    assert visible_days(read) == ["2026-03-02", "2026-03-03"], (seed, killed_at)
    assert every_manifest_complete(s3) == 2, (seed, killed_at)
    assert read(f"{day3}{DATASET}-2026-03-04-manifest.json") is None
    checked = verificar(public, "--datasets", public, "--range", "2026-03-02", "2026-03-04")
    # Offline: intact, anchors not checked (exit 3, never 0).
    assert checked.returncode == 3, (seed, killed_at, checked.stdout, checked.stderr)
    assert orjson.loads(checked.stdout)["exitCode"] == 3

    # The operator re-runs the upload: it completes, the third day appears whole.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PERUCOMPRAS_")},
        "PERUCOMPRAS_DATASETS_ROOT": s3.location,
        "PERUCOMPRAS_STORAGE__LOCAL_DIR": str(root),
        "PERUCOMPRAS_STORAGE__ENDPOINT_URL": moto_endpoint,
        "PERUCOMPRAS_STORAGE__ACCESS_KEY_ID": "testing",
        "PERUCOMPRAS_STORAGE__SECRET_ACCESS_KEY": "testing",
    }
    upload = subprocess.run(
        [str(BIN / "publicar"), "upload"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert upload.returncode == 0, upload.stderr
    assert "1 folder(s) uploaded perucompras-ocam/2026/03/04" in upload.stdout
    assert visible_days(read) == [d.isoformat() for d in DAYS]
    assert every_manifest_complete(s3) == 3
    assert_mirrors(s3, root)
    for day in DAYS:
        result = verificar(
            public, "--datasets", public, "--range", day.isoformat(), day.isoformat()
        )
        assert result.returncode == 3, result.stdout
        verdict: dict[str, Any] = orjson.loads(result.stdout)
        assert verdict["checks"]["integrity"]["status"] == "ok", verdict
    assert not publish_root(s3, root).changed  # a second re-run has nothing to do


def test_objects_carry_their_media_types(s3: S3Store, moto_endpoint: str, tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    publish_locally(root, DAYS[:1], "2026-03-04T06:00:00Z")
    publish_root(s3, root)
    public = f"{moto_endpoint}/{BUCKET}/{s3.prefix}"
    types = {}
    for key in (
        "index.json",
        "index.html",
        f"{DATASET}/2026/03/02/{DATASET}-2026-03-02-orders.csv",
        f"{DATASET}/2026/03/02/{DATASET}-2026-03-02-orders.parquet",
    ):
        with urllib.request.urlopen(f"{public}/{key}", timeout=10) as response:
            types[key.rsplit(".", 1)[1]] = response.headers["Content-Type"]
    assert types == {
        "json": "application/json; charset=utf-8",
        "html": "text/html; charset=utf-8",
        "csv": "text/csv; charset=utf-8",
        "parquet": "application/vnd.apache.parquet",
    }


def test_the_datasets_resource_publishes_to_the_configured_storage(
    s3: S3Store, moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.resources import DatasetsResource
    from settings import load_settings

    root = tmp_path / "datasets"
    publish_locally(root, DAYS[:1], "2026-03-04T06:00:00Z")
    local = DatasetsResource(root=str(root))
    assert isinstance(local.object_store(), LocalStore)
    assert local.publish_to_storage() is None  # the default: the root is the storage
    for name in list(os.environ):
        if name.startswith("PERUCOMPRAS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        overrides={
            "datasets_root": s3.location,
            "storage": {
                "local_dir": root,
                "endpoint_url": moto_endpoint,
                "access_key_id": "testing",
                "secret_access_key": "testing",
            },
        }
    )
    resource = DatasetsResource.from_settings(settings)
    assert resource.path == root and resource.storage_uri == s3.location
    report = resource.publish_to_storage()
    assert report is not None and report.folders == [f"{DATASET}/2026/03/02"]
    assert visible_days(s3.get) == ["2026-03-02"]


@pytest.mark.chain
def test_verificar_checks_the_anchors_of_days_read_from_s3(
    s3: S3Store, moto_endpoint: str, tmp_path: Path
) -> None:
    from support.chain_helpers import anchor_published

    from integrity.devchain import DevChain
    from integrity.verify.trust import load_pin
    from publication.anchoring import ChainSession

    root = tmp_path / "datasets"
    site_days.publish(root, DAYS[:2])
    public = f"{moto_endpoint}/{BUCKET}/{s3.prefix}"
    state = tmp_path / "devchain"
    with DevChain(state, die_with_parent=True) as chain:
        session = ChainSession(chain.client(), load_pin(chain.pin_file), dev_chain=True)
        anchor_published(root, list(DAYS[:2]), session)
        refresh_site(root, DATASET, IDENTITY, now="2026-03-04T06:00:00Z")
        publish_root(s3, root)
        command = [str(BIN / "verificar"), public, "--datasets", public, "--devchain", str(state)]
        result = subprocess.run(
            [*command, "--range", "2026-03-02", "2026-03-03", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    verdict = orjson.loads(result.stdout)
    assert result.returncode == 0, result.stdout
    assert {name: check["status"] for name, check in verdict["checks"].items()} == {
        "integrity": "ok",
        "inclusion": "ok",
        "anchor": "ok",
        "publisher": "ok",
    }
    assert [item["target"] for item in verdict["items"]] == [
        f"{public}/{DATASET}/2026/03/02/",
        f"{public}/{DATASET}/2026/03/03/",
    ]
