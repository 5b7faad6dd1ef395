"""`publicar proof`: write the inclusion proof of one order (the open equivalent of a QR stamp)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from settings import Settings

HELP = "Write the proof file of one order (ocid or order number), or every proof of a day."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `publicar proof`."""
    parser.add_argument(
        "order", nargs="?", help="ocid or order number, e.g. OCAM-2025-88-395-0 (latest release)"
    )
    parser.add_argument(
        "--datasets", help="datasets root: a folder or s3://bucket/prefix (default: the setting)"
    )
    parser.add_argument("--dataset", help="dataset name (default: the setting)")
    parser.add_argument("--day", help="YYYY-MM-DD: with no order, write every proof of that day")
    parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--datasets`` and ``--dataset`` override their settings."""
    given = {"datasets_root": args.datasets, "dataset": args.dataset}
    return {name: value for name, value in given.items() if value is not None}


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Write one proof, or every proof of a day."""
    import datetime as dt

    from integrity.layout import DayLayout
    from integrity.verify import ProofError, build_proof, write_proofs
    from publication.state import StateStore, store_path

    root, dataset = settings.local_root, settings.dataset

    if args.order is None:
        if not args.day or not args.output:
            print(
                "publicar proof: give an order, or --day and --output for every proof",
                file=sys.stderr,
            )
            return 2
        folder = DayLayout(root, dataset, dt.date.fromisoformat(args.day)).folder
        count = write_proofs(folder, args.output)
        print(f"{count} proofs written to {args.output}")
        return 0
    days = [dt.date.fromisoformat(args.day)] if args.day else []
    store_file = store_path(root, settings.status_store_dir)
    if not days and store_file.exists():
        with StateStore(store_file, memory_limit=settings.state_memory_limit) as store:
            days = store.package_days(args.order)
    if not days:
        print(
            f"publicar proof: {args.order} is in no published day of {root} "
            "(give --day YYYY-MM-DD if the status store is not available)",
            file=sys.stderr,
        )
        return 1
    try:
        proof = build_proof(DayLayout(root, dataset, days[-1]).folder, args.order)
    except ProofError as exc:
        print(f"publicar proof: {exc}", file=sys.stderr)
        return 1
    data = orjson.dumps(proof, option=orjson.OPT_INDENT_2) + b"\n"
    if args.output:
        args.output.write_bytes(data)
        print(f"proof of {args.order} ({days[-1]}) written to {args.output}")
    else:
        sys.stdout.write(data.decode())
    return 0
