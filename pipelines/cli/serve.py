"""`publicar serve`: serve the datasets root over HTTP (ETag, ranges, gzip; no listing)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from settings import Settings

HELP = "Serve the published datasets folder on http://127.0.0.1:PORT/."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `publicar serve`."""
    parser.add_argument(
        "--datasets", help="datasets root: a folder or s3://bucket/prefix (default: the setting)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--quiet", action="store_true", help="no access log")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--datasets`` overrides the ``datasets_root`` setting."""
    return {"datasets_root": args.datasets} if args.datasets else {}


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted (an s3:// root: its local working copy)."""
    from publication.server import make_server

    root = settings.local_root
    with make_server(root, host=args.host, port=args.port, quiet=args.quiet) as server:
        host, port = str(server.server_address[0]), int(server.server_address[1])
        note = f" (local copy of {settings.storage_uri})" if settings.storage_uri else ""
        with _stopped_by_signals(server):
            print(f"Serving {root}{note} on http://{host}:{port}/", flush=True)
            server.serve_forever()
    return 0


@contextlib.contextmanager
def _stopped_by_signals(server: Any) -> Iterator[None]:
    """Ctrl-C and SIGTERM end ``serve_forever`` at its next poll. A KeyboardInterrupt could
    land inside the threading internals of a request being started, and the process then
    once failed to exit (tests/test_server.py); the loop now ends by its own shutdown."""

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, name="shutdown", daemon=True).start()

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
