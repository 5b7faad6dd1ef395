"""`publicar proof`: write the inclusion proof of one order (the open equivalent of a QR stamp)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from pipelines.resources import REPO_ROOT

HELP = "Write the proof file of one order (ocid or order number) from the published days."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("order", help="ocid or order number, e.g. OCAM-2025-88-395-0")
    parser.add_argument("--datasets", type=Path, default=REPO_ROOT / "datasets")
    parser.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")


def handle(args: argparse.Namespace) -> int:
    from integrity.proof import ProofNotFound, find_proof

    try:
        proof = find_proof(args.datasets, args.order)
    except ProofNotFound as exc:
        print(f"publicar proof: {exc}", file=sys.stderr)
        return 1
    data = orjson.dumps(proof, option=orjson.OPT_INDENT_2)
    if args.output:
        args.output.write_bytes(data + b"\n")
        print(f"proof written to {args.output}")
    else:
        sys.stdout.write(data.decode() + "\n")
    return 0
