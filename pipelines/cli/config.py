"""`publicar config`: every effective setting and where it came from (secrets masked)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from settings import Settings, describe

HELP = "Show every effective setting, its environment variable and its source."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `publicar config`."""
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """No flag changes a setting here."""
    return {}


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Print the settings table (or JSON)."""
    rows = describe(settings)
    config_file = str(settings.config_file) if settings.config_file else None
    if args.json:
        payload = {
            "configFile": config_file,
            "settings": [
                {"name": r.path, "env": r.env, "value": r.value, "source": r.origin} for r in rows
            ],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    print(f"settings file: {config_file or '(none: no perucompras.toml here)'}")
    name_width = max(len(r.path) for r in rows)
    value_width = min(60, max(len(r.value) for r in rows))
    for row in rows:
        print(f"{row.path:<{name_width}}  {row.value:<{value_width}}  {row.origin:<11}  {row.env}")
    return 0
