"""`publicar bulk`: bring the bulk files up to date from the published days (no day is run)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from settings import Settings

HELP = (
    "Rebuild what changed in the bulk files (month, year, full history, flat tables, "
    "indicators) from the published days."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `publicar bulk`."""
    parser.add_argument("--datasets", type=Path, help="datasets root (default: the setting)")
    parser.add_argument(
        "--verbose", action="store_true", help="show Dagster's step-by-step log (DEBUG)"
    )


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags override."""
    return {"datasets_root": args.datasets} if args.datasets is not None else {}


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Materialise the bulk asset once, in-process."""
    from pipelines.cli.run import dagster_home, dagster_instance, materialize_bulk
    from pipelines.resources import build_resources

    with dagster_instance(dagster_home(settings)) as instance:
        return materialize_bulk(build_resources(settings), instance, verbose=args.verbose)
