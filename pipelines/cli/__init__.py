"""`publicar`: the operators' command (run, backfill, proof, serve)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pipelines.cli import proof, run, serve

COMMANDS = {"run": run, "backfill": run, "proof": proof, "serve": serve}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `publicar` console script."""
    parser = argparse.ArgumentParser(
        prog="publicar",
        description="Publish PERÚ COMPRAS catalogue orders as verifiable OCDS open data.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    args = parser.parse_args(argv)
    return int(COMMANDS[args.command].handle(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
