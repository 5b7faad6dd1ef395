"""`publicar serve`: serve the datasets root over HTTP (ETag, ranges, gzip; no listing)."""

from __future__ import annotations

import argparse
import contextlib
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
        print(f"Serving {root}{note} on http://{host}:{port}/", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
