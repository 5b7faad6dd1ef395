"""`publicar anchor`: anchor pending days, correct a day, or show the anchor journal.

    publicar anchor                  # = --pending: every published day not anchored yet, and
                                     #   the bulk manifest if it is not anchored yet
    publicar anchor --correct DAY    # anchor DAY's current manifest as a correction (kind 3)
    publicar anchor --status         # the journal: each day's state, transaction, gas and fee
                                     #   (and the bulk dataset's entries)

Exit codes: 0 every day handled is anchored; 1 an alarm or a failure (the registry holds
another digest for a day, a reverted transaction, a refused key or pin); 2 some days are
still pending (the chain did not answer, or their anchors are not final yet).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from settings import Settings

HELP = "Anchor the days still pending (default), correct one day, or show the anchor journal."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `publicar anchor`."""
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--pending",
        action="store_true",
        help="anchor every published day not anchored yet, in date order, in batches (default)",
    )
    action.add_argument(
        "--correct",
        metavar="DAY",
        type=dt.date.fromisoformat,
        help="anchor DAY's current manifest as a correction (a new entry; the old one stays)",
    )
    action.add_argument("--status", action="store_true", help="print the anchor journal")
    parser.add_argument("--datasets", type=Path, help="datasets root (default: the setting)")
    parser.add_argument(
        "--chain",
        choices=["devchain", "rpc"],
        help="devchain: embedded anvil; rpc: the chain.* settings (default: chain.mode)",
    )
    parser.add_argument("--devchain", type=Path, help="state folder of the embedded chain")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the flags override."""
    given: dict[str, Any] = {}
    if args.datasets is not None:
        given["datasets_root"] = args.datasets
    chain = {"mode": args.chain, "devchain_dir": args.devchain}
    chain = {key: value for key, value in chain.items() if value is not None}
    if chain:
        given["chain"] = chain
    return given


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Run the chosen action; see the module docstring for the exit codes."""
    from integrity.chain import AnchorConflict, ChainError
    from pipelines.services import ChainService
    from publication.anchoring import anchor_if_pending, anchor_pending_with, anchor_with
    from publication.bulk import bulk_anchor_target
    from publication.writer import PublicationError

    root, dataset = settings.local_root, settings.dataset
    if args.status:
        return _print_status(settings)
    chain = ChainService.from_settings(settings)
    sessions = lambda: chain.session(dataset)  # noqa: E731
    try:
        if args.correct is not None:
            records = anchor_with(
                root,
                dataset,
                [args.correct],
                sessions,
                state_dir=settings.status_store_dir,
                correct=True,
                pin=chain.known_pin(),
            )
        else:
            records = anchor_pending_with(
                root, dataset, sessions, state_dir=settings.status_store_dir, pin=chain.known_pin()
            )
            records += anchor_if_pending(
                root,
                bulk_anchor_target(root, dataset),
                sessions,
                state_dir=settings.status_store_dir,
                pin=chain.known_pin(),
            )
    except AnchorConflict as error:
        print(f"publicar: ALARMA: {error}", file=sys.stderr)
        return 1
    except (ChainError, PublicationError) as error:
        print(f"publicar: {error}", file=sys.stderr)
        return 1
    if not records:
        print("no day waits for its anchor")
        return 0
    for record in records:
        print(_line(record))
    return 0 if all(r.get("status") == "anclado" for r in records) else 2


def _line(record: dict[str, Any]) -> str:
    day = str(record.get("day"))
    date = f"{day[:4]}-{day[4:6]}-{day[6:]}" if len(day) == 8 else day
    if str(record.get("dataset", "")).endswith("-bulk"):
        date = f"{record['dataset']} {date}"
    if record.get("status") != "anclado":
        return f"{date}  pendiente  {record.get('reason', '')}"
    kinds = {1: "primera publicación", 2: "publicación tardía", 3: "corrección"}
    return (
        f"{date}  anclado  seq={record.get('seq')} ({kinds.get(record.get('kind') or 0, '?')}) "
        f"block={record.get('blockNumber')} tx={record.get('txHash')} "
        f"gas={record.get('gasUsed')} fee={record.get('fee')} {record.get('feeUnit')} "
        f"(batch of {record.get('batchSize')})"
    )


def _print_status(settings: Settings) -> int:
    from integrity.layout import bulk_dataset
    from publication.state import StateStore, store_path

    with StateStore(
        store_path(settings.local_root, settings.status_store_dir),
        memory_limit=settings.state_memory_limit,
    ) as store:
        rows = store.anchor_rows(settings.dataset)
        bulk = store.anchor_rows(bulk_dataset(settings.dataset))
    if not rows and not bulk:
        print("the anchor journal is empty")
        return 0
    for row in [*rows, *bulk]:
        label = f"{row.dataset} {row.day}" if row.dataset != settings.dataset else str(row.day)
        print(
            f"{label}  {row.state:<9} nonce={row.nonce} tx={row.tx_hash} block={row.block_number} "
            f"seq={row.seq} kind={row.kind} gas={row.gas_used} fee_wei={row.fee_wei} "
            f"batch={row.batch_size} sends={row.sends} reorgs={row.reorgs}"
            + (f"  ({row.note})" if row.note else "")
        )
    return 0
