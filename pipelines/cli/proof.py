"""`publicar proof`: write the inclusion proof of one order (the open equivalent of a QR stamp)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from pipelines.resources import REPO_ROOT

HELP = "Write the proof file of one order (ocid or order number), or every proof of a day."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "order", nargs="?", help="ocid or order number, e.g. OCAM-2025-88-395-0 (latest release)"
    )
    parser.add_argument("--datasets", type=Path, default=REPO_ROOT / "datasets")
    parser.add_argument("--dataset", default="perucompras-ocam")
    parser.add_argument("--day", help="YYYY-MM-DD: with no order, write every proof of that day")
    parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")


def handle(args: argparse.Namespace) -> int:
    import datetime as dt

    from integrity.layout import DayLayout
    from integrity.verify import ProofError, build_proof, write_proofs
    from publication.day import state_path
    from publication.state import StateStore

    if args.order is None:
        if not args.day or not args.output:
            print(
                "publicar proof: give an order, or --day and --output for every proof",
                file=sys.stderr,
            )
            return 2
        folder = DayLayout(args.datasets, args.dataset, dt.date.fromisoformat(args.day)).folder
        count = write_proofs(folder, args.output)
        print(f"{count} proofs written to {args.output}")
        return 0
    days = [dt.date.fromisoformat(args.day)] if args.day else []
    if not days and state_path(args.datasets).exists():
        with StateStore(state_path(args.datasets)) as store:
            days = store.package_days(args.order)
    if not days:
        print(
            f"publicar proof: {args.order} is in no published day of {args.datasets} "
            "(give --day YYYY-MM-DD if the status store is not available)",
            file=sys.stderr,
        )
        return 1
    try:
        proof = build_proof(DayLayout(args.datasets, args.dataset, days[-1]).folder, args.order)
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
