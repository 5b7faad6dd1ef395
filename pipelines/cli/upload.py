"""`publicar upload`: bring an s3:// datasets root up to date with its local working copy.

`publicar run` already uploads after each step; this finishes an upload that was interrupted
(a killed process, a network failure) without running the pipeline: whole days first, each
day's manifest last, the root `index.json` last of all.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from settings import Settings

HELP = "Upload the local copy of an s3:// datasets root (whole days, then pages, index last)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `publicar upload`."""
    parser.add_argument("--datasets", help="s3://bucket/prefix (default: the setting)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--datasets`` overrides the ``datasets_root`` setting."""
    return {"datasets_root": args.datasets} if args.datasets else {}


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Upload what changed; say what."""
    from publication.storage import publish_root, store_for

    if settings.storage_uri is None:
        print(
            f"publicar upload: the datasets root {settings.local_root} is a local folder: "
            "nothing to upload (set PERUCOMPRAS_DATASETS_ROOT=s3://bucket/prefix)",
            file=sys.stderr,
        )
        return 2
    report = publish_root(store_for(settings), settings.local_root)
    print(
        f"{settings.storage_uri}: {len(report.folders)} folder(s) uploaded "
        f"{', '.join(report.folders) or ''}; {len(report.files)} other file(s); "
        f"{report.cleaned} staging leftover(s) removed"
    )
    return 0
