"""`publicar run` / `publicar backfill`: materialise daily partitions in date order, in-process."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.resources import REPO_ROOT

HELP = "Extract, check, map, publish and anchor a range of days (default: the last 7 days)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        default="synthetic",
        help="'synthetic' (default: seeded files in the real format), 'portal' (download the "
        "monthly files from the national open data portal, PERUCOMPRAS_PORTAL_URL) or a "
        "directory of real ReportePCBienesYYYYMM.csv files",
    )
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat, help="first day")
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, help="last day")
    parser.add_argument("--datasets", type=Path, default=REPO_ROOT / "datasets")
    parser.add_argument(
        "--chain",
        choices=["devchain", "rpc"],
        default="rpc" if os.environ.get("PERUCOMPRAS_RPC_URL") else "devchain",
        help="devchain: embedded anvil (default); rpc: PERUCOMPRAS_RPC_URL/_PRIVATE_KEY/_CONTRACT",
    )
    parser.add_argument(
        "--devchain",
        type=Path,
        help="state folder of the embedded chain (default: .devchain for the default datasets "
        "root, else a .NAME-devchain folder beside --datasets, so roots never share a chain)",
    )
    parser.add_argument("--orders-per-month", type=int, default=10_000)
    parser.add_argument(
        "--verbose", action="store_true", help="show Dagster's step-by-step log (DEBUG)"
    )


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 7 complete days in Lima."""
    today = today or dt.datetime.now(ZoneInfo("America/Lima")).date()
    return today - dt.timedelta(days=7), today - dt.timedelta(days=1)


def dagster_home() -> Path:
    """A persistent DAGSTER_HOME so that `make ui` shows these runs (telemetry off)."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    return home


def handle(args: argparse.Namespace) -> int:
    start, end = default_range()
    start, end = args.start or start, args.end or end
    if start > end:
        print(f"publicar: --from {start} is after --to {end}", file=sys.stderr)
        return 2
    dagster_home()
    from dagster import DagsterInstance, materialize

    from pipelines.definitions import ALL_ASSETS
    from pipelines.resources import ChainResource, DatasetsResource, SourceResource

    if args.source == "synthetic":
        source = SourceResource(kind="synthetic", orders_per_month=args.orders_per_month)
    elif args.source == "portal":
        source = SourceResource(
            kind="portal",
            directory=str(REPO_ROOT / ".cache" / "source" / "portal"),
            portal_url=os.environ.get("PERUCOMPRAS_PORTAL_URL", SourceResource().portal_url),
        )
    else:
        source = SourceResource(kind="directory", directory=str(Path(args.source).resolve()))
    root = args.datasets.resolve()
    devchain = args.devchain or (
        REPO_ROOT / ".devchain"
        if root == (REPO_ROOT / "datasets").resolve()
        else root.parent / f".{root.name}-devchain"
    )
    resources = {
        "source": source,
        "datasets": DatasetsResource(root=str(root)),
        "chain": ChainResource(mode=args.chain, state_dir=str(devchain.resolve())),
    }
    instance = DagsterInstance.get()
    day = start
    while day <= end:
        result = materialize(
            ALL_ASSETS,
            partition_key=day.isoformat(),
            resources=resources,
            instance=instance,
            tags={"publicar": "run"},
            raise_on_error=False,
            run_config={
                "loggers": {
                    "console": {"config": {"log_level": "DEBUG" if args.verbose else "ERROR"}}
                }
            },
        )
        print(_summary(day, result))
        if not result.success:
            print(
                f"publicar: {day} failed; later days were not run (days are chained). "
                "See the run in the Dagster UI (make ui).",
                file=sys.stderr,
            )
            return 1
        day += dt.timedelta(days=1)
    return 0


def _summary(day: dt.date, result: object) -> str:
    from dagster import ExecuteInProcessResult

    assert isinstance(result, ExecuteInProcessResult)
    if not result.success:
        return f"{day}  FAILED"
    anchored = result.output_for_node("anchored_day")
    published = result.output_for_node("published_day")
    return (
        f"{day}  releases={published.tree_size:<6} quarantined={published.quarantined:<4} "
        f"root={published.merkle_root[:16]}…  block={anchored['blockNumber']}"
        f"{' (already anchored)' if anchored['alreadyAnchored'] else ''}"
    )
