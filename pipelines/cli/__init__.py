"""`publicar`: the operators' command (run, backfill, bulk, anchor, deploy, proof, serve,
upload, config).

The settings are loaded once here, with the command's flags as overrides, before any command
touches a file; a refused setting ends the command with its message and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from pipelines.cli import anchor, bulk, config, deploy, proof, run, serve, upload
from settings import SettingsError, load_settings

COMMANDS: dict[str, ModuleType] = {
    "run": run,
    "backfill": run,
    "bulk": bulk,
    "anchor": anchor,
    "deploy": deploy,
    "proof": proof,
    "serve": serve,
    "upload": upload,
    "config": config,
}


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
    command = COMMANDS[args.command]
    try:
        settings = load_settings(overrides=command.overrides(args))
    except SettingsError as error:
        print(f"publicar: {error}", file=sys.stderr)
        return 2
    return int(command.handle(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
