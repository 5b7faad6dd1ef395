"""`publicar serve`: serve the datasets root over HTTP on 127.0.0.1 (for the browser verifier)."""

from __future__ import annotations

import argparse
import contextlib
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipelines.resources import REPO_ROOT

HELP = "Serve the published datasets folder on http://127.0.0.1:PORT/."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datasets", type=Path, default=REPO_ROOT / "datasets")
    parser.add_argument("--port", type=int, default=8000)


def handle(args: argparse.Namespace) -> int:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(args.datasets))
    with ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"Serving {args.datasets} on http://127.0.0.1:{server.server_address[1]}/")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
