"""No false alarms: every file of 7 days published and anchored by the real pipeline verifies.

The days go through `publicar backfill` (the day steps of the Dagster assets, in one process)
onto a real anvil, then every file of every day folder (release and record packages, tables, quality report and
page, manifest, SHA256SUMS, receipt) is verified alone, each folder as a whole, the period
as a range, and a renamed copy of each kind by its digest.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity import layout
from integrity.verify import (
    DatasetsRoot,
    PinSource,
    TrustPin,
    VerifyOptions,
    Web3ChainAccess,
    verify_path,
    verify_range,
)
from integrity.verify.trust import devchain_pin_path, load_pin

DAYS = [dt.date(2026, 10, 26) + dt.timedelta(days=n) for n in range(7)]
DATASET = layout.DEFAULT_DATASET

pytestmark = [pytest.mark.slow, pytest.mark.chain]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven days (across a month boundary) published and anchored on a real anvil."""
    from pipelines.cli import main as publicar

    tmp = tmp_path_factory.mktemp("seven")
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("PERUCOMPRAS_")]:
            patch.delenv(name)
        patch.chdir(tmp)  # the synthetic source is generated under .cache here
        # The subject is verification: no Great Expectations cross-check (~1 s per table and
        # day); the quality report then lists it as not evaluated, a file like any other.
        patch.setenv("PERUCOMPRAS_GX_CROSS_CHECK", "false")
        code = publicar(
            [
                "backfill",
                "--source",
                "synthetic",
                "--orders-per-month",
                "600",
                "--from",
                DAYS[0].isoformat(),
                "--to",
                DAYS[-1].isoformat(),
                "--datasets",
                str(tmp / "datasets"),
                "--devchain",
                str(tmp / "devchain"),
                "--no-bulk",
            ]
        )
    assert code == 0
    return tmp


@pytest.fixture(scope="module")
def options(published: Path) -> Iterator[VerifyOptions]:
    """Online options on a read-only copy of the dev chain, with the datasets root."""
    from integrity.devchain import DevChain

    with DevChain(published / "devchain").read_only() as chain:
        pin = load_pin(devchain_pin_path(published / "devchain"))
        yield VerifyOptions(
            datasets=DatasetsRoot.at(published / "datasets"),
            chain=Web3ChainAccess(chain.web3(), dev_chain=True),
            pins=(TrustPin.from_pin(pin, PinSource.DEVCHAIN),),
        )


def _problems(result: object) -> list[str]:
    return [
        f"{n.key} {n.params}"
        for c in result.all_checks()  # type: ignore[attr-defined]
        for n in c.notes
        if n.failed
    ]


def test_every_file_of_seven_days_verifies_without_a_false_alarm(
    published: Path, options: VerifyOptions
) -> None:
    root = published / "datasets"
    checked: dict[str, int] = {}
    for day in DAYS:
        folder = layout.DayLayout(root, DATASET, day).folder
        whole = verify_path(folder, options)
        assert whole.exit_code == 0, (day, _problems(whole))
        files = sorted(p for p in folder.iterdir() if p.is_file())
        assert len(files) >= 10, files
        for path in files:
            result = verify_path(path, options)
            assert result.exit_code == 0, (path.name, _problems(result))
            kind = path.name.removeprefix(f"{DATASET}-{day.isoformat()}-")
            checked[kind] = checked.get(kind, 0) + 1
    expected_kinds = {
        layout.RELEASE_PACKAGE,
        layout.RELEASES_JSONL,
        layout.RECORD_PACKAGE,
        layout.ORDERS_PARQUET,
        layout.ORDERS_CSV,
        layout.QUARANTINE_PARQUET,
        layout.QUALITY_JSON,
        layout.QUALITY_HTML,
        layout.MANIFEST,
        layout.CHECKSUMS,
        layout.ANCHOR,
    }
    assert expected_kinds <= set(checked), checked
    assert all(count == len(DAYS) for count in checked.values()), checked


def test_the_seven_days_verify_as_a_range(published: Path, options: VerifyOptions) -> None:
    root = DatasetsRoot.at(published / "datasets")
    result = verify_range(root, DAYS[0], DAYS[-1], options)
    assert result.exit_code == 0, _problems(result)
    assert [item.day for item in result.items] == DAYS


def test_renamed_copies_are_found_by_digest(
    published: Path, options: VerifyOptions, tmp_path: Path
) -> None:
    folder = layout.DayLayout(published / "datasets", DATASET, DAYS[3]).folder
    kinds = (layout.RECORD_PACKAGE, layout.QUALITY_HTML, layout.ORDERS_CSV, layout.RELEASES_JSONL)
    for kind in kinds:
        source = folder / f"{DATASET}-{DAYS[3].isoformat()}-{kind}"
        renamed = tmp_path / f"descarga {kind.replace('.', ' ')}"
        shutil.copyfile(source, renamed)
        result = verify_path(renamed, options)
        assert result.exit_code == 0, (kind, _problems(result))
        assert result.checks["integrity"].notes[0].params["name"] == source.name
