"""Where the datasets root is published: a local folder (today's behaviour) or object storage.

The pipeline always writes a local folder first (days renamed into place, pages written
atomically). ``publish_root(store, local_root)`` then brings an object store up to date with
it, so that a reader of the store never sees a partial day:

1. leftovers of an interrupted upload under ``.staging/`` are deleted (one writer at a time:
   days are chained and runs are queued one by one);
2. each folder with a manifest (a day, or a bulk-file folder) whose remote manifest differs
   from the local one is uploaded file by file under ``.staging/<token>/``, the staged sizes
   are checked, the files are copied into place, and the manifest is written LAST: a manifest
   in the store means every file it lists is there. Replacing a different, unanchored version
   first removes the day from the remote ``index.json`` and deletes its old manifest, so the
   day is absent (never mixed) until the new manifest lands. Files that follow the manifest
   (``anchor.json``) go after it;
3. the other files (catalogues, feed, pages) go next, deeper folders first and each
   folder's ``index.json`` after its siblings, and the root ``index.json`` (the list of
   complete days a reader starts from) last of all.

An upload killed at any point leaves the store consistent; the next ``publish_root``
completes it. Unchanged files are recognised by their MD5 (the ETag of a single-part upload),
so a re-run uploads nothing.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

from integrity import layout
from publication.mediatypes import of_path
from settings import Settings

STAGING = ".staging"
INDEX = layout.INDEX_FILE
MANIFEST_SUFFIX = f"-{layout.MANIFEST}"
BEFORE_MANIFEST = (layout.CHECKSUMS,)
ADDRESSING_STYLES: dict[str, Literal["auto", "path", "virtual"]] = {
    "auto": "auto",
    "path": "path",
    "virtual": "virtual",
}  # not in the manifest (it names it), uploaded before it


class StorageError(RuntimeError):
    """The object store refused an operation or holds something unexpected."""


@dataclass(frozen=True)
class StoredObject:
    """One object: key relative to the store's root, size, and ETag (MD5 hex when single-part)."""

    key: str
    size: int
    etag: str


class ObjectStore(Protocol):
    """A flat key space under a root: what ``publish_root`` needs from a storage service."""

    location: str

    def list(self, prefix: str = "") -> list[StoredObject]:
        """Every object whose key starts with ``prefix``."""
        ...

    def get(self, key: str) -> bytes | None:
        """An object's bytes, or None if it does not exist."""
        ...

    def put(self, key: str, data: bytes, *, media_type: str) -> None:
        """Write a small object in one request (its ETag is then its MD5)."""
        ...

    def upload(self, key: str, path: Path, *, media_type: str) -> None:
        """Write a local file of any size (multipart when large)."""
        ...

    def copy(self, source: str, key: str) -> None:
        """Copy an object inside the store (server side)."""
        ...

    def delete(self, keys: Sequence[str]) -> None:
        """Delete objects (missing ones are ignored)."""
        ...


def md5_hex(data: bytes) -> str:
    """The MD5 hex digest S3 gives a single-part object as its ETag."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class LocalStore:
    """A folder used as an object store (the default: the datasets root itself)."""

    def __init__(self, root: Path) -> None:
        """``root`` is the folder that holds the keys."""
        self.root = Path(root)
        self.location = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def list(self, prefix: str = "") -> list[StoredObject]:
        """Every file under the root whose key starts with ``prefix``."""
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix):
                found.append(StoredObject(key, path.stat().st_size, _md5_file(path)))
        return found

    def get(self, key: str) -> bytes | None:
        """The file's bytes, or None."""
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def put(self, key: str, data: bytes, *, media_type: str) -> None:
        """Write atomically."""
        from publication.atomic import write_atomic

        write_atomic(self._path(key), data)

    def upload(self, key: str, path: Path, *, media_type: str) -> None:
        """Copy a local file in atomically."""
        self.put(key, path.read_bytes(), media_type=media_type)

    def copy(self, source: str, key: str) -> None:
        """Copy a file to another key."""
        data = self.get(source)
        if data is None:
            raise StorageError(f"{self._path(source)}: missing")
        self.put(key, data, media_type="")

    def delete(self, keys: Sequence[str]) -> None:
        """Remove files (missing ones ignored)."""
        for key in keys:
            self._path(key).unlink(missing_ok=True)


class MemoryStore:
    """An in-memory object store for fast tests; ``fail_after`` makes the Nth write raise."""

    def __init__(self, fail_after: int | None = None) -> None:
        """``fail_after``: the number of writes (put, upload, copy, delete) that succeed."""
        self.location = "memory://"
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.writes: list[tuple[str, str]] = []
        self.fail_after = fail_after

    def _write(self, operation: str, key: str) -> None:
        if self.fail_after is not None and len(self.writes) >= self.fail_after:
            raise ConnectionError(f"injected failure before {operation} {key}")
        self.writes.append((operation, key))

    def list(self, prefix: str = "") -> list[StoredObject]:
        """Objects under ``prefix``, sorted by key."""
        return [
            StoredObject(key, len(data), md5_hex(data))
            for key, (data, _) in sorted(self.objects.items())
            if key.startswith(prefix)
        ]

    def get(self, key: str) -> bytes | None:
        """An object's bytes."""
        found = self.objects.get(key)
        return found[0] if found else None

    def put(self, key: str, data: bytes, *, media_type: str) -> None:
        """Store bytes."""
        self._write("put", key)
        self.objects[key] = (data, media_type)

    def upload(self, key: str, path: Path, *, media_type: str) -> None:
        """Store a file's bytes."""
        self._write("upload", key)
        self.objects[key] = (path.read_bytes(), media_type)

    def copy(self, source: str, key: str) -> None:
        """Copy an object."""
        self._write("copy", key)
        self.objects[key] = self.objects[source]

    def delete(self, keys: Sequence[str]) -> None:
        """Delete objects."""
        for key in keys:
            self._write("delete", key)
            self.objects.pop(key, None)


@dataclass
class S3Settings:
    """How to reach an S3-compatible service (from the ``storage`` settings)."""

    endpoint_url: str | None = None
    region: str = "us-east-1"
    addressing_style: str = "path"
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)


class S3Store:
    """``s3://bucket/prefix`` on AWS S3 or any S3-compatible server (boto3)."""

    def __init__(self, uri: str, settings: S3Settings | None = None) -> None:
        """Connect lazily to the bucket of ``uri``; keys live under its prefix."""
        import boto3
        from botocore.config import Config

        from settings import parse_s3_uri

        settings = settings or S3Settings()
        if settings.addressing_style not in ADDRESSING_STYLES:
            raise StorageError(
                f"addressing style {settings.addressing_style!r}: use auto, path or virtual"
            )
        style = ADDRESSING_STYLES[settings.addressing_style]
        self.bucket, self.prefix = parse_s3_uri(uri)
        self.location = uri.rstrip("/")
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            config=Config(
                s3={"addressing_style": style},
                retries={"max_attempts": 5, "mode": "standard"},
            ),
        )

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def list(self, prefix: str = "") -> list[StoredObject]:
        """Every object under ``prefix`` (paginated listing)."""
        strip = len(self.prefix) + 1 if self.prefix else 0
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
            for item in page.get("Contents", []):
                found.append(
                    StoredObject(item["Key"][strip:], int(item["Size"]), item["ETag"].strip('"'))
                )
        return found

    def get(self, key: str) -> bytes | None:
        """An object's bytes, or None if it does not exist."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return bytes(response["Body"].read())

    def put(self, key: str, data: bytes, *, media_type: str) -> None:
        """One PUT with Content-MD5, so the service rejects a corrupted body."""
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=media_type,
            ContentMD5=base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode(),
        )

    def upload(self, key: str, path: Path, *, media_type: str) -> None:
        """Managed upload (multipart above 8 MiB)."""
        self.client.upload_file(
            str(path), self.bucket, self._key(key), ExtraArgs={"ContentType": media_type}
        )

    def copy(self, source: str, key: str) -> None:
        """Managed server-side copy (multipart for large objects); metadata is kept."""
        self.client.copy(
            {"Bucket": self.bucket, "Key": self._key(source)}, self.bucket, self._key(key)
        )

    def delete(self, keys: Sequence[str]) -> None:
        """Batch delete, 1,000 keys per request."""
        keys = list(keys)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self._key(key)} for key in keys[start : start + 1000]]
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            if answer.get("Errors"):
                raise StorageError(f"{self.location}: could not delete {answer['Errors'][:3]}")


@dataclass
class PublishReport:
    """What ``publish_root`` did."""

    folders: list[str] = field(default_factory=list)  # manifested folders uploaded
    files: list[str] = field(default_factory=list)  # other files written
    cleaned: int = 0  # staging leftovers deleted

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.folders or self.files or self.cleaned)


def _visible_files(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def _key(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _hide_from_remote_index(store: ObjectStore, folder: str) -> None:
    raw = store.get(INDEX)
    if raw is None:
        return
    index = orjson.loads(raw)
    days = index.get("days", []) if isinstance(index, dict) else []
    kept = [entry for entry in days if entry.get("folder") != folder]
    if len(kept) != len(days):
        index["days"] = kept
        store.put(
            INDEX, orjson.dumps(index, option=orjson.OPT_INDENT_2), media_type="application/json"
        )


def _publish_folder(
    store: ObjectStore,
    root: Path,
    manifest_path: Path,
    remote: dict[str, StoredObject],
    report: PublishReport,
) -> set[Path]:
    """Upload one manifested folder atomically; return every local file it covers."""
    from integrity.manifest import load_manifest

    folder = manifest_path.parent
    folder_key = _key(root, folder)
    manifest = load_manifest(manifest_path)
    listed = [folder / name for name in sorted(manifest.files)]
    before = [p for p in folder.iterdir() if p.name.endswith(BEFORE_MANIFEST) and p.is_file()]
    data_files = [*listed, *before]
    missing = [p.name for p in data_files if not p.is_file()]
    if missing:
        raise StorageError(f"{folder}: the manifest lists missing files {missing}; not uploaded")
    manifest_key = _key(root, manifest_path)
    current = remote.get(manifest_key)
    if current is None or current.etag != md5_hex(manifest.raw):
        if current is not None:  # another version: make the day absent, never mixed
            _hide_from_remote_index(store, folder_key)
            store.delete([manifest_key])
        staging = f"{STAGING}/{secrets.token_hex(8)}"
        staged = []
        for path in data_files:
            key = _key(root, path)
            store.upload(f"{staging}/{key}", path, media_type=of_path(path.name).content_type)
            staged.append((f"{staging}/{key}", key, path.stat().st_size))
        sizes = {item.key: item.size for item in store.list(f"{staging}/")}
        wrong = [key for staged_key, key, size in staged if sizes.get(staged_key) != size]
        if wrong:
            raise StorageError(f"{store.location}: staged copies of {wrong} are incomplete")
        for staged_key, key, _ in staged:
            store.copy(staged_key, key)
        store.put(manifest_key, manifest.raw, media_type=of_path(manifest_path.name).content_type)
        store.delete([staged_key for staged_key, _, _ in staged])
        report.folders.append(folder_key)
    covered = {*data_files, manifest_path}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p not in covered):
        if path.name.startswith("."):
            continue
        data = path.read_bytes()
        key = _key(root, path)
        found = remote.get(key)
        if found is None or found.etag != md5_hex(data):
            store.put(key, data, media_type=of_path(path.name).content_type)
            report.files.append(key)
        covered.add(path)
    return covered


def _site_order(key: str) -> tuple[int, bool, bool, str]:
    """Deeper folders first; a folder's index.json after its siblings; the root index last."""
    depth = key.count("/")
    return (-depth, key == INDEX, key.rsplit("/", 1)[-1] == INDEX, key)


def publish_root(store: ObjectStore, local_root: Path) -> PublishReport:
    """Bring ``store`` up to date with ``local_root``: whole days, then pages, index last."""
    root = Path(local_root)
    report = PublishReport()
    remote = {item.key: item for item in store.list()}
    leftovers = [key for key in remote if key.startswith(f"{STAGING}/")]
    if leftovers:
        store.delete(leftovers)
        report.cleaned = len(leftovers)
    files = list(_visible_files(root))
    manifests = sorted(p for p in files if p.name.endswith(MANIFEST_SUFFIX))
    covered: set[Path] = set()
    for manifest_path in manifests:
        covered |= _publish_folder(store, root, manifest_path, remote, report)
    site = sorted((p for p in files if p not in covered), key=lambda p: _site_order(_key(root, p)))
    for path in site:
        key = _key(root, path)
        data = path.read_bytes()
        found = remote.get(key)
        if found is None or found.etag != md5_hex(data):
            store.put(key, data, media_type=of_path(path.name).content_type)
            report.files.append(key)
    return report


def same_place(store: ObjectStore, local_root: Path) -> bool:
    """True when the store is the local root itself (nothing to upload)."""
    return isinstance(store, LocalStore) and store.root.resolve() == Path(local_root).resolve()


def store_for(settings: Settings) -> ObjectStore:
    """The store the settings publish to: the local root, or the ``s3://`` datasets root."""
    if settings.storage_uri is None:
        return LocalStore(settings.local_root)
    storage = settings.storage
    secret = storage.secret_access_key
    return S3Store(
        settings.storage_uri,
        S3Settings(
            endpoint_url=storage.endpoint_url,
            region=storage.region,
            addressing_style=storage.addressing_style,
            access_key_id=storage.access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
        ),
    )
