"""Small published days for the site tests (catalogues, feed, portal, server, storage).

Written with the real day writer (``publication.writer.write_day``), with every kind of file a
pipeline day has (packages, JSON Lines, Parquet, CSV, quarantine, quality JSON and HTML,
manifest, SHA256SUMS) and, when asked, an ``anchor.json`` receipt; no chain, no source files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from integrity import layout
from integrity.canonical import canonical_bytes
from integrity.keys import anchor_key
from perucompras.reader import QUARANTINE_SCHEMA
from publication.writer import DayContent, update_index, write_day
from quality.report import build_report, render_html
from quality.rules import CheckResult

DATASET = "perucompras-ocam"
BASE_URL = "https://datos.example.org/perucompras"


def release(day: dt.date, number: int) -> dict[str, Any]:
    """A minimal OCDS release of an order formalised on ``day``."""
    return {
        "ocid": f"ocds-213czf-OCAM-{day:%Y}-{number}",
        "id": f"OCAM-{day:%Y}-{number}-{day:%Y%m%d}T100000-{number:08d}",
        "date": f"{day.isoformat()}T10:00:00-05:00",
        "tag": ["contract"],
        "initiationType": "tender",
        "buyer": {"name": "MUNICIPALIDAD DE JAÉN"},
    }


def content(day: dt.date, releases: int = 3, *, salt: str = "") -> DayContent:
    """Everything a day folder holds; ``salt`` changes the bytes (a corrected day)."""
    numbers = [day.toordinal() * 10 + n for n in range(1, releases + 1)]
    items = [release(day, n) for n in numbers]
    if salt:
        for item in items:
            item["description"] = salt
    orders = pa.table(
        {
            "order_number": [f"OCAM-{day:%Y}-{n}-0" for n in numbers],
            "buyer_name": ["MUNICIPALIDAD DE JAÉN"] * len(numbers),
            "total_cents": pa.array([1180 * n for n in range(1, releases + 1)], pa.int64()),
        }
    )
    checks = [CheckResult("rows_reconcile", True, "block", "ok")]
    if releases % 2 == 0:  # even days carry a warning
        checks.append(CheckResult("unknown_status_share", False, "warn", "estado desconocido"))
    quality = build_report(day, releases, releases, QUARANTINE_SCHEMA.empty_table(), checks)
    return DayContent(
        dataset=DATASET,
        day=day,
        cutoff=f"{day.isoformat()}T23:59:59-05:00",
        ocid_prefix="ocds-213czf",
        publisher={"name": "PERÚ COMPRAS", "scheme": "PE-RUC", "uid": "20600927818"},
        package={"uri": f"{BASE_URL}/{day}", "version": "1.1"},
        release_lines=[canonical_bytes(r) for r in sorted(items, key=lambda r: r["ocid"])],
        orders=orders,
        quarantine=QUARANTINE_SCHEMA.empty_table(),
        sources=[],
        counts={"releases": len(items)},
        quality=quality,
        records={"records": [], "version": "1.1"},
        extra_files={layout.QUALITY_HTML: render_html(quality, "es").encode()},
    )


def publish(root: Path, days: Iterable[dt.date], releases: int = 3) -> None:
    """Publish each day (oldest first), unanchored."""
    for day in days:
        write_day(root, content(day, releases), anchor_key_hex=anchor_key(DATASET, day).hex())


def anchor(root: Path, day: dt.date, *, index_fields: dict[str, Any] | None = None) -> None:
    """Write a stand-in ``anchor.json`` receipt and refresh ``index.json`` (no chain);
    ``index_fields`` are added to the day's index entry (what the anchoring step may write)."""
    receipt = {
        "status": "anclado",
        "chainId": 31337,
        "blockNumber": day.toordinal(),
        "devChain": True,
    }
    layout.DayLayout(root, DATASET, day).anchor.write_bytes(orjson.dumps(receipt))
    update_index(root, DATASET)
    if index_fields:
        path = root / layout.INDEX_FILE
        index = orjson.loads(path.read_bytes())
        for entry in index["days"]:
            if entry["date"] == day.isoformat():
                entry.update(index_fields)
        path.write_bytes(orjson.dumps(index))


def days(start: dt.date, count: int) -> list[dt.date]:
    """``count`` consecutive days from ``start``."""
    return [start + dt.timedelta(days=n) for n in range(count)]
