"""A small published history with late status changes, and the bulk builds made along it.

Five days across a month boundary (2026-10-30 … 2026-11-03), ~600 orders a month with
their detailed export and a few quotations each. Later snapshots pay orders already
published, so later days carry late states of earlier days, across the month boundary too:

1. publish 10-30, 10-31; an order of 10-30 is paid on 11-01; publish 11-01 → build ``first``;
2. build again with nothing new → ``again``;
3. publish 11-02 (November only) → build ``second``;
4. an order of 10-31 and one of 11-02 are paid on 11-03; publish 11-03 → build ``third``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from integrity.layout import DEFAULT_DATASET
from perucompras.reader import read_source_dir
from perucompras.synthetic import generate_month
from perucompras.synthetic_details import generate_detailed_export, generate_quotations
from publication import steps
from publication.bulk import BulkResult, build_bulk
from publication.details import companion_files
from settings import EXAMPLE_OCID_PREFIX, Identity, Indicators
from support.snapshots import pay_one_order

DAYS = [dt.date(2026, 10, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 2)]
LAST_DAY = dt.date(2026, 11, 3)
ORDERS_PER_MONTH = 600
IDENTITY = Identity(base_url="https://datos.example.org/perucompras")
# Few orders a month here: measure concentration from 3 orders so the indicator has rows.
INDICATORS = Indicators(concentration_min_orders=3)


@dataclass(frozen=True)
class Build:
    """One build's result and what the bulk folder held right after it."""

    result: BulkResult
    files: dict[str, tuple[int, str]]  # path -> (inode, sha256)


@dataclass
class World:
    """The published root, the late orders and the builds made along the way."""

    root: Path
    source: Path
    late: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)
    builds: dict[str, Build] = field(default_factory=dict)

    @property
    def bulk(self) -> Path:
        """The bulk folder."""
        return self.root / f"{DEFAULT_DATASET}-bulk"

    @property
    def days(self) -> list[dt.date]:
        """Every published day."""
        return [*DAYS, LAST_DAY]


def snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    """Inode and SHA-256 of every file under ``folder``."""
    return {
        path.relative_to(folder).as_posix(): (
            path.stat().st_ino,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def publish_day(root: Path, source: Path, day: dt.date) -> None:
    """Publish one day through the pure day steps (no chain; no Great Expectations cross-check:
    the subject is the bulk files, and it costs ~1 s per table and day)."""
    extracted = steps.extract(read_source_dir(source), day, root=root, run_gx=False)
    checked = steps.check_quality(extracted, day)
    mapped = steps.map_releases(
        checked,
        ocid_prefix=EXAMPLE_OCID_PREFIX,
        root=root,
        companions=companion_files(source, day),
    )
    published = steps.publish(
        mapped, root=root, dataset=DEFAULT_DATASET, day=day, identity=IDENTITY
    )
    published.require_gate()


def build(world: World, name: str) -> Build:
    """Build the bulk files and record what the folder holds."""
    result = build_bulk(world.root, DEFAULT_DATASET, identity=IDENTITY, indicators=INDICATORS)
    made = Build(result, snapshot(world.bulk))
    world.builds[name] = made
    return made


def make_world(tmp: Path) -> World:
    """Publish the history and make the four builds (see the module docstring)."""
    source, root = tmp / "source", tmp / "datasets"
    monthly = {}
    for year, month in ((2026, 10), (2026, 11)):
        monthly[month] = generate_month(year, month, source, orders=ORDERS_PER_MONTH)
        generate_detailed_export(year, month, source, orders=monthly[month])
        generate_quotations(year, month, source, orders=monthly[month], per_order=3)
    world = World(root, source)
    for day in DAYS[:2]:
        publish_day(root, source, day)
    order = pay_one_order(monthly[10], DAYS[0], DAYS[2])
    world.late[order] = (DAYS[0], DAYS[2])
    publish_day(root, source, DAYS[2])
    build(world, "first")
    build(world, "again")
    publish_day(root, source, DAYS[3])
    build(world, "second")
    for month, day in ((10, DAYS[1]), (11, DAYS[3])):
        order = pay_one_order(monthly[month], day, LAST_DAY)
        world.late[order] = (day, LAST_DAY)
    publish_day(root, source, LAST_DAY)
    build(world, "third")
    return world
