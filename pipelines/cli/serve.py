"""`publicar serve`: serve the datasets root over HTTP on 127.0.0.1 (for the browser verifier)."""

from __future__ import annotations

import argparse
import contextlib
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from settings import Settings

HELP = "Serve the published datasets folder on http://127.0.0.1:PORT/."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `publicar serve`."""
    parser.add_argument("--datasets", type=Path, help="datasets root (default: the setting)")
    parser.add_argument("--port", type=int, default=8000)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--datasets`` overrides the ``datasets_root`` setting."""
    return {"datasets_root": args.datasets} if args.datasets else {}


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted."""
    root = settings.datasets_root
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    with ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"Serving {root} on http://127.0.0.1:{server.server_address[1]}/")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
