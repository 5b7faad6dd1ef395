"""Peak memory and time of building the bulk files (not part of the test suite).

    .venv/bin/python benchmarks/bulk.py --datasets /tmp/bench/datasets            # measure
    .venv/bin/python benchmarks/bulk.py --datasets /tmp/bench/datasets --publish  # publish first

``--publish`` publishes 2026-08-01 … 2026-10-31 from the synthetic source (10,000 orders a
month with their detailed export and quotations, the defaults) through the day steps, without
a chain, skipping days already published. The measurement then runs each build in a fresh
child process under GNU ``time`` (peak RSS includes the interpreter and its imports):

1. a fresh build (no cache, no bulk folder): every day extracted, every file written;
2. a re-run with nothing new (every file reused and re-hashed, nothing written);
3. a fresh build again with the per-day extracts cached (what a rebuild of every period costs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GNU_TIME = "/usr/bin/time"
DATASET = "perucompras-ocam"
FIRST, LAST = dt.date(2026, 8, 1), dt.date(2026, 10, 31)

BUILD = """
import sys
from pathlib import Path
from publication.bulk import build_bulk
from settings import Identity
result = build_bulk(Path(sys.argv[1]), "perucompras-ocam", identity=Identity(),
                    state_dir=Path(sys.argv[2]))
print("rebuilt:", ", ".join(result.rebuilt) or "none", "| counts:", result.counts)
"""


def publish(root: Path, orders: int) -> None:
    """Publish the three months through the day steps (days already published are skipped)."""
    sys.path.insert(0, str(REPO))
    from pipelines.resources import SourceResource
    from publication import steps
    from publication.writer import read_index
    from settings import EXAMPLE_OCID_PREFIX, Identity

    source = SourceResource(
        kind="synthetic", directory=str(root.parent / "source"), orders_per_month=orders
    )
    done = {entry["date"] for entry in read_index(root, DATASET)} if root.exists() else set()
    day = FIRST
    while day <= LAST:
        if day.isoformat() not in done:
            extracted = steps.extract(source.available_files(day), day, root=root)
            checked = steps.check_quality(extracted, day)
            mapped = steps.map_releases(
                checked,
                ocid_prefix=EXAMPLE_OCID_PREFIX,
                root=root,
                companions=source.companion_files(day),
            )
            steps.publish(
                mapped, root=root, dataset=DATASET, day=day, identity=Identity()
            ).require_gate()
            print(day, flush=True)
        day += dt.timedelta(days=1)


def measure(root: Path, state: Path, label: str) -> None:
    """One build in a child process: wall time, peak RSS, what it rebuilt."""
    started = time.perf_counter()
    done = subprocess.run(
        [GNU_TIME, "-f", "%M %e", sys.executable, "-c", BUILD, str(root), str(state)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    rss_kb, seconds = done.stderr.strip().splitlines()[-1].split()
    print(
        f"{label}: {float(seconds):.1f} s wall ({time.perf_counter() - started:.1f} s), "
        f"peak RSS {int(rss_kb) / 1024:.0f} MB; {done.stdout.strip()}"
    )


def main() -> int:
    """Publish if asked, then measure the three builds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, required=True)
    parser.add_argument("--publish", action="store_true")
    parser.add_argument("--orders-per-month", type=int, default=10_000)
    args = parser.parse_args()
    root = args.datasets.resolve()
    if args.publish:
        publish(root, args.orders_per_month)
    state = root.parent / ".bulk-benchmark-state"
    bulk = root / f"{DATASET}-bulk"
    shutil.rmtree(state, ignore_errors=True)
    shutil.rmtree(bulk, ignore_errors=True)
    measure(root, state, "fresh build")
    measure(root, state, "re-run, nothing new")
    shutil.rmtree(bulk)
    measure(root, state, "every period rebuilt, extracts cached")
    size = sum(p.stat().st_size for p in bulk.rglob("*") if p.is_file())
    days = sum(p.stat().st_size for p in (root / DATASET).rglob("*") if p.is_file())
    print(
        f"bulk folder {size / 1e6:.0f} MB (hard links counted twice); day folders {days / 1e6:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
