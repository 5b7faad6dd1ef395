"""The anchoring step refuses an inconsistent day using the verifier's own day check."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from support.chain_helpers import DATASET, publish_day

from integrity import layout
from integrity.manifest import load_manifest
from integrity.verify import SkipReason, Status, verify_day_files
from publication.anchoring import ChainSession, anchor_days, check_day_files
from publication.state import StateStore, store_path
from publication.targets import AnchorTarget
from publication.writer import PublicationError

DAYS = [dt.date(2025, 3, 3)]


class NoChain:
    """A registry client that must never be reached."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the chain was used ({name}) for a day that must be refused")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("anchoring") / "datasets"
    publish_day(root, DAYS[0], 4)
    return root


@pytest.fixture
def root(published: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "datasets"
    shutil.copytree(published, copy)
    return copy


def day_layout(root: Path, day: dt.date = DAYS[0]) -> layout.DayLayout:
    return layout.DayLayout(root, DATASET, day)


def test_a_consistent_day_has_no_problems(root: Path) -> None:
    target = day_layout(root)
    manifest = load_manifest(target.manifest)
    assert check_day_files(target.folder, manifest) == []
    result = verify_day_files(target.folder)
    assert [result.checks[n].status for n in ("integrity", "inclusion")] == [Status.OK] * 2
    assert {result.checks[n].skip_reason for n in ("anchor", "publisher")} == {
        SkipReason.NOT_APPLICABLE
    }
    assert result.exit_code == 3  # intact; the anchor is not checked here
    assert result.problems() == []


def test_an_altered_or_missing_file_is_named_and_never_anchored(root: Path) -> None:
    target = day_layout(root)
    manifest = load_manifest(target.manifest)
    jsonl = target.path(layout.RELEASES_JSONL)
    jsonl.write_bytes(jsonl.read_bytes()[:-1])  # an interrupted write: last newline lost
    target.path(layout.ORDERS_CSV).unlink()
    problems = check_day_files(target.folder, manifest)
    assert any(jsonl.name in p and "SHA-256" in p for p in problems), problems
    assert any(jsonl.name in p and "salto de línea" in p for p in problems), problems
    assert any(target.name(layout.ORDERS_CSV) in p and "falta" in p for p in problems), problems
    session = ChainSession(NoChain(), NoChain(), dev_chain=False)  # type: ignore[arg-type]
    with (
        StateStore(store_path(root)) as store,
        pytest.raises(PublicationError, match="refusing to anchor an inconsistent day"),
    ):
        anchor_days(root, DATASET, DAYS, session, store)
    with StateStore(store_path(root)) as store:
        assert store.anchor_rows(DATASET) == []


def test_the_anchor_receipt_is_not_part_of_the_day_check(root: Path) -> None:
    target = day_layout(root)
    target.anchor.write_bytes(b"{not json")  # e.g. an interrupted write of an earlier attempt
    assert check_day_files(target.folder, load_manifest(target.manifest)) == []


def test_a_folder_without_its_manifest_is_a_problem(root: Path) -> None:
    target = day_layout(root)
    target.manifest.unlink()
    result = verify_day_files(target.folder)
    assert result.exit_code == 2
    assert result.problems() == [
        f"no se encontró el manifiesto de {DATASET} {DAYS[0].isoformat()}: no está junto al "
        "archivo ni en el índice; indique la raíz de los datos con --datasets"
    ]


def test_a_day_checked_by_this_process_is_read_again_only_once_changed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publication import anchoring

    target = day_layout(root)
    anchor_target = AnchorTarget.of_day(root, DATASET, DAYS[0])
    manifest = load_manifest(target.manifest)
    time.sleep(0.05)  # the copied files must be older than a clock tick
    assert check_day_files(target.folder, manifest) == []
    read = verify_day_files

    def must_not_read(*args: Any) -> Any:
        raise AssertionError("an unchanged day verified by this process was read again")

    monkeypatch.setattr(anchoring, "verify_day_files", must_not_read)
    assert anchoring._consistent_manifest(anchor_target).sha256 == manifest.sha256
    monkeypatch.setattr(anchoring, "verify_day_files", read)
    # Altered in place, same size and modification time: the change time still tells.
    jsonl = target.path(layout.RELEASES_JSONL)
    info = jsonl.stat()
    data = bytearray(jsonl.read_bytes())
    data[0:1] = b" "
    with jsonl.open("r+b") as handle:
        handle.write(data)
    os.utime(jsonl, ns=(info.st_atime_ns, info.st_mtime_ns))
    with pytest.raises(PublicationError, match="refusing to anchor an inconsistent day"):
        anchoring._consistent_manifest(anchor_target)
