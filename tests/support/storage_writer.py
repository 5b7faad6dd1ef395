"""Test helper run as a subprocess: ``publish_root`` to an S3 endpoint, one write at a time.

Before every write (put, upload, copy, delete) it prints ``<operation> <key>`` and waits for a
line on stdin, so the test can SIGKILL it exactly before any write it chooses.
Usage: python storage_writer.py LOCAL_ROOT s3://bucket/prefix ENDPOINT_URL
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from publication.storage import S3Settings, S3Store, publish_root


class Stepped:
    """Wraps a store: announce each write and wait for the test's go-ahead."""

    def __init__(self, inner: S3Store) -> None:
        self.inner = inner
        self.location = inner.location

    def _step(self, operation: str, key: str) -> None:
        print(f"{operation} {key}", flush=True)
        if not sys.stdin.readline():
            raise SystemExit("stdin closed")

    def list(self, prefix: str = "") -> Any:
        return self.inner.list(prefix)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def put(self, key: str, data: bytes, *, media_type: str) -> None:
        self._step("put", key)
        self.inner.put(key, data, media_type=media_type)

    def upload(self, key: str, path: Path, *, media_type: str) -> None:
        self._step("upload", key)
        self.inner.upload(key, path, media_type=media_type)

    def copy(self, source: str, key: str) -> None:
        self._step("copy", key)
        self.inner.copy(source, key)

    def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._step("delete", key)
        self.inner.delete(keys)


def main() -> None:
    local_root, uri, endpoint = sys.argv[1:4]
    store = S3Store(
        uri,
        S3Settings(endpoint_url=endpoint, access_key_id="testing", secret_access_key="testing"),
    )
    publish_root(Stepped(store), Path(local_root))
    print("done", flush=True)


if __name__ == "__main__":
    main()
