"""Anchor published days on the ``PublicationLog`` registry through the anchor journal.

Each (dataset, day) has a journal row (``publication.state.AnchorJournalRow``) that moves

    PENDING --sign, record, send--> SUBMITTED --mined--> INCLUDED --final--> FINAL
       ^                               |  stuck: same nonce, higher fee      |
       +------- receipt gone (reorg): the same signed bytes are re-sent -----+

Before a day is sent, the registry is read: the same digest already the day's latest entry
means done (the row adopts that entry); a different digest is an alarm that stops everything
(``AnchorConflict``), unless a correction was asked for (``correct=True``: a new entry, kind
3); nothing means send, with an explicit nonce, several days per ``publish_batch``. The
transaction is recorded in the journal (a new day's row with it) before it is broadcast, so a
crash at any point leaves either no row and nothing sent, or a row that the next run can
follow up. The result: exactly one registry entry per day.

The chain never blocks the data: when no endpoint answers, the days stay published with an
``anchor.json`` that says ``pendiente`` (and so do ``index.json`` and the landing page);
``anchor_pending`` (``publicar anchor --pending``, the ``pending_anchors`` sensor) finishes
them in date order when the chain is back. ``anchor_days`` is also the batch path of a
backfill.

What is anchored is an ``AnchorTarget`` (``publication.targets``): a manifest, the folder it
describes, where its receipt goes, and the (dataset, day) it is anchored under. A published
day is one (``anchor_days`` is ``anchor_targets`` on day targets, plus ``index.json``); so is
the bulk folder (dataset ``{dataset}-bulk``, day = the newest day it covers,
``publication.bulk.bulk_anchor_target``), through the same journal, the same registry reads
and the same retry: a rebuild with the same manifest sends nothing; a rebuild for the same
day with another manifest is a correction (``supersedes``: kind 3, never an alarm); a newer
day is a new entry. ``anchor_if_pending`` anchors a target only when its manifest is not
final yet (what ``publicar anchor --pending`` and the ``pending_anchors`` sensor use for it).

``anchor.json`` (format ``perucompras-anchor/2``) is the day's receipt: dataset, day
(YYYYMMDD), digest, chain id, registry, publisher, and once anchored the entry's ``seq``,
``kind`` and the day's number of ``entries``, the transaction, its block, gas used and fee (in
wei and in the chain's native unit) and how many days shared it (``batchSize``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from integrity import layout
from integrity.chain import (
    AnchorConflict,
    AnchorFailed,
    ChainConfigError,
    ChainUnavailable,
    DayEntries,
    FeeParams,
    Inclusion,
    PublicationLogClient,
    SignedTx,
    day_number,
    wei_to_unit,
)
from integrity.manifest import Manifest, load_manifest
from integrity.verify import Hashed, Source, verify_day_files
from integrity.verify.trust import Pin
from publication.atomic import HashedFile, write_atomic
from publication.portal import write_index_page
from publication.state import AnchorJournalRow, AnchorState, StateStore, store_path
from publication.targets import AnchorTarget
from publication.web import install_web_verifier
from publication.writer import (
    ANCHORED,
    PENDING,
    PublicationError,
    read_anchor_record,
    read_index,
    receipt_bytes,
    update_index,
    write_receipt,
    write_trust,
)

log = logging.getLogger(__name__)

RECORD_FORMAT = "perucompras-anchor/2"
MAX_REPLACEMENTS = 5  # a stuck transaction is replaced at most this many times per run
MAX_ROUNDS = 8  # send / follow rounds per run (a reorg needs one more round)
UNFINISHED: tuple[AnchorState, ...] = ("PENDING", "SUBMITTED", "INCLUDED")


@dataclass(frozen=True)
class ChainSession:
    """An open registry client, the trust pin it anchors under, and whether it is the dev chain."""

    client: PublicationLogClient
    pin: Pin
    dev_chain: bool


SessionFactory = Callable[[], AbstractContextManager[ChainSession]]


def check_day_files(
    folder: Path, manifest: Manifest, hashed: Mapping[str, HashedFile] | None = None
) -> list[str]:
    """Problems found comparing a day folder with its manifest (empty list = consistent).

    ``hashed``: files the caller wrote and hashed (``PublishedDay.hashed``); one that is still
    the same file, unchanged since that hash (``HashedFile.still_holds``), is taken at it
    instead of being read again. Every other check runs as usual: the leaves file is read and
    its Merkle tree rebuilt, SHA256SUMS and the folder's coverage are read.

    A consistent folder is remembered (``_VERIFIED``) with the identity of each of its files,
    so that anchoring it later in this process re-reads it only if one of them changed."""
    before = _folder_snapshot(folder)
    files = _HashedFolder(folder, hashed) if hashed else None
    problems = verify_day_files(folder, manifest, files).problems()
    if not problems and before is not None and _folder_snapshot(folder) == before:
        _VERIFIED[str(folder)] = (manifest.sha256, before)
    else:
        _VERIFIED.pop(str(folder), None)
    return problems


class _HashedFolder(Source):
    """A day folder whose files hashed by their writer are not read again while they hold."""

    def __init__(self, folder: Path, hashed: Mapping[str, HashedFile]) -> None:
        super().__init__(folder)
        self._hashed = hashed

    def hash(self, rel: str, expected: int) -> Hashed | None:
        known = self._hashed.get(rel)
        path = self.local_path(rel)
        if (
            known is not None
            and path is not None
            and known.size == expected
            and known.still_holds(path)
        ):
            return Hashed(known.sha256, known.size)
        return super().hash(rel, expected)


# Day folders this process found consistent with a manifest (its digest) and a snapshot of
# their files then. A file changed since has another identity: a rename gives another inode
# and any write moves its change time past the snapshot's clock reading (``_folder_snapshot``).
_VERIFIED: dict[str, tuple[str, tuple[Any, ...]]] = {}
# Linux's coarse real-time clock, the one file times are taken from (clock_gettime id 5); a
# later change of a file gets a time at least its reading. Elsewhere: now less a margin.
_COARSE_CLOCK = 5 if sys.platform.startswith("linux") else None
_CLOCK_MARGIN_NS = 100_000_000
# File times finer than this (a sub-millisecond part) show a file system that keeps them so.
_FINE_NS = 1_000_000


def _clock_floor() -> int:
    if _COARSE_CLOCK is not None:
        return time.clock_gettime_ns(_COARSE_CLOCK)
    return time.time_ns() - _CLOCK_MARGIN_NS


def _folder_snapshot(folder: Path) -> tuple[Any, ...] | None:
    """Name, device, inode, size and times of every file of ``folder`` but the anchor receipt
    (which verification does not read), or None unless each one would show a later change:
    a regular file whose times are fine (sub-millisecond) and older than the clock's reading
    by more than that (a change made within the same clock tick keeps the same times)."""
    floor = _clock_floor() - _FINE_NS
    entries = []
    try:
        with os.scandir(folder) as found:
            for entry in found:
                if entry.name.endswith(f"-{layout.ANCHOR}"):
                    continue
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    return None
                for stamp in (info.st_mtime_ns, info.st_ctime_ns):
                    if stamp % _FINE_NS == 0 or stamp >= floor:
                        return None
                entries.append(
                    (
                        entry.name,
                        info.st_dev,
                        info.st_ino,
                        info.st_size,
                        info.st_mtime_ns,
                        info.st_ctime_ns,
                    )
                )
    except OSError:
        return None
    return tuple(sorted(entries))


def _still_verified(folder: Path, manifest: Manifest) -> bool:
    """Whether this process found ``folder`` consistent with ``manifest`` and no file of it
    has changed since (the same names, each the same file, unmodified)."""
    known = _VERIFIED.get(str(folder))
    return (
        known is not None and known[0] == manifest.sha256 and _folder_snapshot(folder) == known[1]
    )


def check_session(session: ChainSession, dataset: str) -> None:
    """The client must be the pinned registry, on the pinned chain, signed by the publisher."""
    client, pin = session.client, session.pin
    problems = []
    if not layout.pin_covers(pin.dataset, dataset):
        problems.append(f"the pin is for dataset {pin.dataset!r}, not {dataset!r}")
    if client.chain_id != pin.network.chain_id:
        problems.append(f"the node serves chain {client.chain_id}, the pin {pin.network.chain_id}")
    if client.address != pin.registry.address:
        problems.append(f"the registry is {client.address}, the pin names {pin.registry.address}")
    account = client.require_account()
    if account.address != pin.publisher:
        problems.append(f"the key signs as {account.address}, the pin names {pin.publisher}")
    if not problems:
        on_chain = client.publisher()
        if on_chain != pin.publisher:
            problems.append(f"the registry's publisher() is {on_chain}, the pin {pin.publisher}")
        if client.runtime_code_sha256() != pin.registry.runtime_code_sha256:
            problems.append("the code at the registry address is not the pinned runtime code")
    if problems:
        raise ChainConfigError(
            f"refusing to anchor under the trust pin {pin.origin or pin.name}: "
            + "; ".join(problems)
        )


def anchor_with(
    root: Path,
    dataset: str,
    days: Iterable[dt.date],
    sessions: SessionFactory,
    *,
    state_dir: Path | None = None,
    correct: bool = False,
    pin: Pin | None = None,
    pages: bool = True,
) -> list[dict[str, Any]]:
    """Open a chain session and anchor ``days``; if the chain cannot be reached, mark them
    ``pendiente`` (the data stays published) and return their pending records.

    ``pages=False``: ``index.json`` is refreshed but not the portal pages (the caller
    refreshes the whole site right after, which writes them again)."""
    wanted = sorted(set(days))
    with StateStore(store_path(root, state_dir)) as store:
        try:
            with sessions() as session:
                return anchor_days(
                    root, dataset, wanted, session, store, correct=correct, pages=pages
                )
        except ChainUnavailable as error:
            return mark_pending(root, dataset, wanted, store, reason=str(error), pin=pin)


def anchor_pending_with(
    root: Path,
    dataset: str,
    sessions: SessionFactory,
    *,
    state_dir: Path | None = None,
    pin: Pin | None = None,
) -> list[dict[str, Any]]:
    """Anchor every pending day (``anchor.json`` not ``anclado``, or an unfinished journal row)
    in date order, in batches; days stay pending if the chain still cannot be reached."""
    with StateStore(store_path(root, state_dir)) as store:
        days = pending_days(root, dataset, store)
        if not days:
            return []
        try:
            with sessions() as session:
                return anchor_days(root, dataset, days, session, store)
        except ChainUnavailable as error:
            return mark_pending(root, dataset, days, store, reason=str(error), pin=pin)


def anchor_targets_with(
    root: Path,
    targets: Sequence[AnchorTarget],
    sessions: SessionFactory,
    *,
    state_dir: Path | None = None,
    correct: bool = False,
    pin: Pin | None = None,
) -> list[dict[str, Any]]:
    """``anchor_with`` for any targets of one dataset (e.g. the bulk folder): open a chain
    session and anchor them; if the chain cannot be reached, record them as pending."""
    with StateStore(store_path(root, state_dir)) as store:
        try:
            with sessions() as session:
                return anchor_targets(root, targets, session, store, correct=correct)
        except ChainUnavailable as error:
            return mark_targets_pending(root, targets, store, reason=str(error), pin=pin)


def anchor_if_pending(
    root: Path,
    target: AnchorTarget | None,
    sessions: SessionFactory,
    *,
    state_dir: Path | None = None,
    pin: Pin | None = None,
) -> list[dict[str, Any]]:
    """Anchor ``target`` unless its current manifest is already final (then nothing is
    opened, read or sent: an unchanged rebuild costs nothing); [] when there is nothing to do."""
    if target is None:
        return []
    with StateStore(store_path(root, state_dir)) as store:
        if not target_pending(target, store):
            return []
    return anchor_targets_with(root, [target], sessions, state_dir=state_dir, pin=pin)


def target_pending(target: AnchorTarget, store: StateStore | None = None) -> bool:
    """Whether a target's current manifest still waits for a final anchor: no final journal
    row for its digest (when a journal is given), or a receipt that is missing, not
    ``anclado`` or for another digest."""
    if not target.manifest.is_file():
        return False
    digest = target.manifest_sha256
    if store is not None:
        row = store.anchor_row(target.dataset, target.day)
        if row is None or row.digest != digest or row.state != "FINAL":
            return True
    record = read_anchor_record(target.receipt)
    return record is None or record.get("status") != ANCHORED or record.get("digest") != digest


def pending_days(root: Path, dataset: str, store: StateStore | None = None) -> list[dt.date]:
    """Published days whose anchor is not final yet (per ``anchor.json`` and the journal)."""
    days = {
        dt.date.fromisoformat(entry["date"])
        for entry in read_index(root, dataset)
        if entry["anchorStatus"] != ANCHORED
    }
    if store is not None:
        days |= {row.day for row in store.anchor_rows(dataset, states=UNFINISHED)}
    return sorted(days)


def anchor_pending(
    root: Path, dataset: str, session: ChainSession, store: StateStore
) -> list[dict[str, Any]]:
    """Anchor every pending day of ``dataset`` in date order, in batches (open session)."""
    return anchor_days(root, dataset, pending_days(root, dataset, store), session, store)


def mark_pending(
    root: Path,
    dataset: str,
    days: Sequence[dt.date],
    store: StateStore,
    *,
    reason: str,
    pin: Pin | None = None,
) -> list[dict[str, Any]]:
    """Record ``days`` as waiting for their anchor (journal and ``anchor.json``)."""
    targets = [AnchorTarget.of_day(root, dataset, day) for day in days]
    records = _mark_pending(root, targets, store, reason=reason, pin=pin)
    _refresh_index(root, dataset)
    return records


def mark_targets_pending(
    root: Path,
    targets: Sequence[AnchorTarget],
    store: StateStore,
    *,
    reason: str,
    pin: Pin | None = None,
) -> list[dict[str, Any]]:
    """Record ``targets`` as waiting for their anchor (journal and receipts)."""
    records = _mark_pending(root, targets, store, reason=reason, pin=pin)
    for dataset in sorted({target.dataset for target in targets if target.indexed}):
        _refresh_index(root, dataset)
    return records


def _mark_pending(
    root: Path,
    targets: Sequence[AnchorTarget],
    store: StateStore,
    *,
    reason: str,
    pin: Pin | None,
) -> list[dict[str, Any]]:
    records = []
    for target in targets:
        dataset, day = target.dataset, target.day
        manifest = _manifest(target)
        row = store.anchor_row(dataset, day)
        keep = True
        if target.supersedes and row is not None and row.digest != manifest.sha256:
            # A rebuilt manifest: it gets its own row, unless the replaced one's transaction
            # is still in flight (the journal follows that one up; this receipt says pending).
            keep = row.state not in ("SUBMITTED", "INCLUDED")
            row = AnchorJournalRow(dataset, day, manifest.sha256, correction=True)
        row = row or AnchorJournalRow(dataset, day, manifest.sha256)
        if row.state == "FINAL" and row.digest == manifest.sha256:
            continue
        row.note = reason[:500]
        if keep:
            store.save_anchor_row(row)
        record = _record(row, pin, dev_chain=pin is not None and pin.kind == "dev")
        _write_receipt(root, target, record)
        records.append(record)
        log.warning("%s %s: anchor pending (%s)", dataset, day, reason)
    return records


def anchor_days(
    root: Path,
    dataset: str,
    days: Sequence[dt.date],
    session: ChainSession,
    store: StateStore,
    *,
    correct: bool = False,
    pages: bool = True,
) -> list[dict[str, Any]]:
    """Anchor published ``days`` through the journal; return each day's ``anchor.json`` record.

    ``correct`` allows a digest other than the day's latest registry entry (a correction).
    Stops with ``AnchorConflict`` otherwise. If the chain goes away midway, the unfinished
    days are recorded as pending (their journal rows are followed up by the next run).
    """
    targets = [AnchorTarget.of_day(root, dataset, day) for day in sorted(set(days))]
    return anchor_targets(root, targets, session, store, correct=correct, pages=pages)


def anchor_targets(
    root: Path,
    targets: Sequence[AnchorTarget],
    session: ChainSession,
    store: StateStore,
    *,
    correct: bool = False,
    pages: bool = True,
) -> list[dict[str, Any]]:
    """Anchor the manifests of ``targets`` (one dataset, one target per day) through the
    journal; write and return each receipt. ``index.json`` is refreshed when they are days,
    and the portal pages with it unless ``pages`` is False.

    A target whose manifest differs from its day's latest registry entry stops everything
    with ``AnchorConflict``, unless ``correct`` or the target ``supersedes`` (a correction).
    """
    if not targets:
        return []
    datasets = {target.dataset for target in targets}
    if len(datasets) != 1:
        raise ValueError(f"one dataset per anchoring call, got {sorted(datasets)}")
    dataset = datasets.pop()
    by_day = {target.day: target for target in targets}
    if len(by_day) != len(targets):
        raise ValueError(f"{dataset}: one target per day")
    ordered = [by_day[day] for day in sorted(by_day)]
    manifests = {target.day: _consistent_manifest(target) for target in ordered}
    check_session(session, dataset)
    write_trust(root, session.pin)
    # The browser page believes only the pin built into it: the one the days are anchored under.
    install_web_verifier(root, session.pin)
    journal = {row.day: row for row in store.anchor_rows(dataset, days=list(by_day))}
    created: list[AnchorJournalRow] = []
    try:
        prepared = [
            _prepare_target(
                session, store, target, manifests[target.day], correct, journal, created
            )
            for target in ordered
        ]
    except BaseException:
        store.save_anchor_rows(created)  # the new or reset rows, in one journal transaction
        raise
    reason = None
    # The new or reset rows are saved by the driver with its first write (the signed
    # transaction, recorded before it is sent), or when it stops: a kill before leaves no
    # row, as if it had come before this call (nothing was sent).
    rows = [row for row, driven in prepared if driven]
    try:
        _Driver(session, store, dataset, rows, unsaved=created).run()
    except ChainUnavailable as error:
        reason = str(error)
    records = []
    for target, (row, _) in zip(ordered, prepared, strict=True):
        record = _record(row, session.pin, session.dev_chain, session.client.native_unit, reason)
        _write_receipt(root, target, record)
        records.append(record)
    if ordered[0].indexed:
        if pages:
            _refresh_index(root, dataset)
        else:
            update_index(root, dataset)
    return records


def _write_receipt(root: Path, target: AnchorTarget, record: dict[str, Any]) -> None:
    """A day's receipt is written beside its manifest (``anchor_targets`` refreshes
    ``index.json`` once, after the batch); any other target's is written where the target
    says, only when its bytes change."""
    if target.indexed:
        write_receipt(root, target.dataset, target.day, record)
        return
    if not target.manifest.exists():
        raise PublicationError(f"{target.label}: not published, nothing to anchor")
    data = receipt_bytes(record)
    if not target.receipt.is_file() or target.receipt.read_bytes() != data:
        write_atomic(target.receipt, data)


def _refresh_index(root: Path, dataset: str) -> None:
    write_index_page(root, dataset, update_index(root, dataset))


def _manifest(target: AnchorTarget) -> Manifest:
    if not target.manifest.exists():
        raise PublicationError(f"{target.label}: not published ({target.manifest} is missing)")
    return load_manifest(target.manifest)


def _consistent_manifest(target: AnchorTarget) -> Manifest:
    """The target's manifest, once every published file has been checked against it."""
    manifest = _manifest(target)
    if _still_verified(target.folder, manifest):
        return manifest  # checked by this process since it was written, unchanged since
    problems = check_day_files(target.folder, manifest)
    if problems:
        what = "day" if target.indexed else "folder"
        raise PublicationError(
            f"{target.label}: refusing to anchor an inconsistent {what}: {'; '.join(problems)}"
        )
    return manifest


def _prepare_target(
    session: ChainSession,
    store: StateStore,
    target: AnchorTarget,
    manifest: Manifest,
    correct: bool,
    journal: dict[dt.date, AnchorJournalRow],
    created: list[AnchorJournalRow],
) -> tuple[AnchorJournalRow, bool]:
    """The target's journal row (``journal``: the rows read before; rows to save are added
    to ``created``), and whether the driver takes it now.

    A target that ``supersedes`` first has the transaction of the manifest it replaced
    followed to the end (the journal keeps one row per day); while that one is still in
    flight, the new manifest waits (a pending receipt, a row not saved yet)."""
    if target.supersedes:
        waiting = _settle_replaced(session, store, target.dataset, target.day, manifest.sha256)
        if waiting is not None:
            row = AnchorJournalRow(
                target.dataset, target.day, manifest.sha256, correction=True, note=waiting[:500]
            )
            return row, False
        current = store.anchor_row(target.dataset, target.day)  # settled: read it again
    else:
        current = journal.get(target.day)
    correction = correct or target.supersedes
    return _prepare(target.dataset, target.day, manifest, current, correction, created), True


def _settle_replaced(
    session: ChainSession, store: StateStore, dataset: str, day: dt.date, digest: str
) -> str | None:
    """Follow an unfinished transaction of the day's previous manifest to the end; why the
    new manifest has to wait, or None."""
    row = store.anchor_row(dataset, day)
    if row is None or row.digest == digest or row.state not in ("SUBMITTED", "INCLUDED"):
        return None
    try:
        _Driver(session, store, dataset, [row]).run()
    except ChainUnavailable as error:
        return str(error)
    if row.state in ("SUBMITTED", "INCLUDED"):
        return (
            f"transaction {row.tx_hash} of the manifest this one replaces is not final yet; "
            "publicar anchor --pending follows it up"
        )
    return None


def _prepare(
    dataset: str,
    day: dt.date,
    manifest: Manifest,
    row: AnchorJournalRow | None,
    correct: bool,
    created: list[AnchorJournalRow],
) -> AnchorJournalRow:
    """The day's journal row for its current manifest, from its current one (``row``);
    created PENDING if new. A row to save is appended to ``created``."""
    if row is None:
        row = AnchorJournalRow(dataset, day, manifest.sha256, correction=correct)
        created.append(row)
    elif row.digest != manifest.sha256:
        if not correct:
            raise AnchorConflict(
                f"{dataset} {day}: the published manifest ({manifest.sha256}) is not the one the "
                f"journal anchors ({row.digest}, {row.state}); if the day was republished on "
                "purpose, anchor it as a correction: publicar anchor --correct "
                f"{day.isoformat()}"
            )
        if row.state in ("SUBMITTED", "INCLUDED"):
            raise AnchorConflict(
                f"{dataset} {day}: transaction {row.tx_hash} for the previous digest is not final "
                "yet; run publicar anchor --pending first"
            )
        row = AnchorJournalRow(dataset, day, manifest.sha256, correction=True)
        created.append(row)
    elif correct and not row.correction and row.state == "PENDING":
        row.correction = True
        created.append(row)
    return row


class _Driver:
    """Moves journal rows towards FINAL (one instance per ``anchor_days`` call).

    A journal write costs a DuckDB transaction (~20 ms): changes the chain itself tells a
    later run (the send of bytes recorded just before, an inclusion, an entry adopted from the
    registry) wait, unsaved, for the next write that must land (a signed transaction before it
    is sent, rows made FINAL, a reorg) or for the end of ``run``; a kill loses only what the
    next run reads again."""

    def __init__(
        self,
        session: ChainSession,
        store: StateStore,
        dataset: str,
        rows: list[AnchorJournalRow],
        *,
        unsaved: Sequence[AnchorJournalRow] = (),
    ) -> None:
        self.client = session.client
        self.store = store
        self.dataset = dataset
        self.rows = rows
        self.submitted_at: dict[str, float] = {}
        self.unsaved: dict[tuple[str, dt.date], AnchorJournalRow] = {
            (row.dataset, row.day): row for row in unsaved
        }

    def save(self, row: AnchorJournalRow, **changes: Any) -> None:
        self.save_all([row], **changes)

    def save_all(
        self, rows: Sequence[AnchorJournalRow], *, durable: bool = True, **changes: Any
    ) -> None:
        """Apply ``changes`` to ``rows``; save them now, with the rows changed before and not
        saved yet, in one journal transaction, or (``durable`` False) with the next write."""
        for row in rows:
            for name, value in changes.items():
                setattr(row, name, value)
            row.chain_id, row.contract = self.client.chain_id, self.client.address
        if durable:
            self.write(rows)
        else:
            self.unsaved.update(((row.dataset, row.day), row) for row in rows)

    def write(self, rows: Sequence[AnchorJournalRow]) -> None:
        """Save ``rows`` and every unsaved row in one journal transaction."""
        self.unsaved.update(((row.dataset, row.day), row) for row in rows)
        if self.unsaved:
            self.store.save_anchor_rows(list(self.unsaved.values()))
        self.unsaved.clear()

    def run(self) -> None:
        try:
            self.resume()
            for _ in range(MAX_ROUNDS):
                self.follow()
                self.send_pending()
                self.wait_inclusion()
                self.wait_finality()
                if all(row.state == "FINAL" for row in self.rows):
                    return
                if not any(row.state == "PENDING" for row in self.rows):
                    return  # waiting for inclusion or finality: the next run follows up
        finally:
            if self.unsaved:
                self.write([])

    # -- following transactions already sent -------------------------------------------

    def by_tx(self, states: Iterable[str]) -> Iterator[list[AnchorJournalRow]]:
        """Rows in ``states`` grouped by their transaction (one group per nonce)."""
        wanted = set(states)
        groups: dict[str, list[AnchorJournalRow]] = {}
        for row in self.rows:
            if row.state in wanted and row.tx_hash is not None:
                groups.setdefault(row.tx_hash, []).append(row)
        yield from groups.values()

    @staticmethod
    def hashes(row: AnchorJournalRow) -> list[bytes]:
        """The row's transaction and those it replaced (same nonce)."""
        found = [row.tx_hash, *json.loads(row.replaced or "[]")]
        return [bytes.fromhex(tx_hash.removeprefix("0x")) for tx_hash in found if tx_hash]

    def mined(
        self, row: AnchorJournalRow, known: Mapping[bytes, Inclusion | None] | None = None
    ) -> Inclusion | None:
        """The inclusion of the row's transaction or of one it replaced (same nonce);
        ``known``: receipts read already (``inclusions``), the others are read now."""
        for tx_hash in self.hashes(row):
            if known is not None and tx_hash in known:
                inclusion = known[tx_hash]
            else:
                inclusion = self.client.inclusion(tx_hash)
            if inclusion is not None:
                return inclusion
        return None

    def follow(self) -> None:
        """SUBMITTED rows whose transaction was mined become INCLUDED; INCLUDED rows whose
        receipt vanished (reorg) go back to PENDING, keeping their signed transaction. The
        receipts of several transactions are asked in one JSON-RPC batch."""
        groups = list(self.by_tx(("SUBMITTED", "INCLUDED")))
        known = self.client.inclusions([h for group in groups for h in self.hashes(group[0])])
        for group in groups:
            inclusion = self.mined(group[0], known)
            if inclusion is not None:
                self.included(group, inclusion)
                continue
            reorged = [row for row in group if row.state == "INCLUDED"]
            for row in reorged:
                log.warning(
                    "%s %s: the receipt of %s disappeared (block %s reorganised away); "
                    "the same signed transaction will be sent again",
                    row.dataset,
                    row.day,
                    row.tx_hash,
                    row.block_number,
                )
                row.reorgs += 1
            if reorged:  # (a transaction not mined yet: nothing to write)
                self.save_all(
                    reorged,
                    state="PENDING",
                    block_number=None,
                    block_hash=None,
                    note="receipt disappeared (reorg): re-sending the same transaction",
                )

    def resume(self) -> None:
        """Transactions left SUBMITTED by an earlier run: broadcast the same bytes again (a
        restarted node may have lost its pool); if their nonce was taken by another
        transaction, they can never be mined: sign afresh."""
        self.follow()
        for group in self.by_tx(("SUBMITTED",)):
            if self.nonce_free(group[0]):
                self.broadcast(group)
            else:
                self.save_all(group, state="PENDING", raw_tx=None, note="nonce used elsewhere")

    def included(self, rows: list[AnchorJournalRow], inclusion: Inclusion) -> None:
        """The rows of one transaction were mined in ``inclusion`` (one journal transaction)."""
        if not inclusion.succeeded:
            self.save_all(
                rows, state="PENDING", raw_tx=None, nonce=None, note="transaction reverted"
            )
            first = rows[0]
            raise AnchorFailed(
                f"{first.dataset} {first.day}: transaction 0x{inclusion.tx_hash.hex()} reverted "
                f"in block {inclusion.block_number}"
            )
        changes = {
            "state": "INCLUDED",
            "tx_hash": "0x" + inclusion.tx_hash.hex(),
            "block_number": inclusion.block_number,
            "block_hash": "0x" + inclusion.block_hash.hex(),
            "gas_used": inclusion.gas_used,
            "fee_wei": inclusion.fee_wei,
            "note": None,
        }
        if any(getattr(row, name) != value for row in rows for name, value in changes.items()):
            # (followed again while waiting: nothing new); a kill before the next write
            # leaves them SUBMITTED (or PENDING, adopted): the next run finds the receipt again
            self.save_all(rows, durable=False, **changes)

    # -- sending ------------------------------------------------------------------------

    def send_pending(self) -> None:
        """Read the registry for every PENDING row; adopt, refuse, re-send or sign."""
        to_sign: list[AnchorJournalRow] = []
        to_resend: dict[str, list[AnchorJournalRow]] = {}
        pending = [row for row in self.rows if row.state == "PENDING"]
        if not pending:
            return
        # A day after the dataset's latest day has no entry: no read per day (a backfill).
        latest_day = self.client.dataset_info(self.dataset, "latest").latest_day
        for row in pending:
            latest = (
                self.client.latest_entry(self.dataset, row.day, "latest").latest
                if day_number(row.day) <= latest_day
                else None
            )
            if latest is not None and latest.digest.hex() == row.digest:
                self.adopt(row, latest.block_number)
            elif latest is not None and not row.correction:
                raise AnchorConflict(
                    f"ALARM {self.dataset} {row.day}: the registry's latest entry (seq "
                    f"{latest.seq}, block {latest.block_number}) holds digest "
                    f"{latest.digest.hex()}, but the published manifest is {row.digest}. "
                    "Nothing was sent. If the day was republished on purpose, anchor it as a "
                    f"correction: publicar anchor --correct {row.day.isoformat()}"
                )
            elif row.raw_tx is not None and row.tx_hash is not None and self.nonce_free(row):
                to_resend.setdefault(row.tx_hash, []).append(row)
            else:
                to_sign.append(row)
        for group in to_resend.values():
            self.broadcast(group)
        self.sign_and_send(to_sign)

    def nonce_free(self, row: AnchorJournalRow) -> bool:
        """Whether the row's nonce is still unused on chain (so its signed bytes can be mined)."""
        return row.nonce is not None and self.client.mined_nonce() <= row.nonce

    def adopt(self, row: AnchorJournalRow, block_number: int) -> None:
        """The registry already holds the row's digest: take over its inclusion."""
        inclusion = self.mined(row) if row.tx_hash else None
        if inclusion is None:
            tx = self.client.find_publication_tx(self.dataset, row.day, block_number)
            inclusion = self.client.inclusion(tx) if tx is not None else None
        if inclusion is not None:
            self.included([row], inclusion)
        else:
            self.save(row, state="INCLUDED", block_number=block_number, block_hash=None)

    def sign_and_send(self, rows: list[AnchorJournalRow]) -> None:
        """Sign the rows' publications (``publish_batch`` chunks, date order), record, send."""
        if not rows:
            return
        size = self.client.max_batch_size()
        nonce: int | None = None  # the pending nonce, read with the first chunk's fees
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            signed = self.client.sign_publication(self.dataset, self.items(chunk), nonce=nonce)
            self.record_signed(chunk, signed, replaced=None)
            self.broadcast(chunk, durable=False)
            nonce = signed.nonce + 1

    def items(self, rows: list[AnchorJournalRow]) -> list[tuple[dt.date, bytes]]:
        return [(row.day, bytes.fromhex(row.digest)) for row in rows]

    def record_signed(
        self, rows: list[AnchorJournalRow], signed: SignedTx, replaced: list[str] | None
    ) -> None:
        if replaced:
            for row in rows:
                row.replaced = json.dumps(replaced)
        self.save_all(
            rows,
            state="SUBMITTED",
            nonce=signed.nonce,
            tx_hash="0x" + signed.tx_hash.hex(),
            raw_tx=signed.raw.hex(),
            fee_params=json.dumps(signed.fees.to_json(), sort_keys=True),
            batch_size=len(rows),
        )

    def broadcast(self, rows: list[AnchorJournalRow], *, durable: bool = True) -> None:
        """Send the rows' signed bytes (the same for every row of a transaction); ``durable``
        False: the rows were saved SUBMITTED with these bytes just before (only the count of
        sends waits for the next write)."""
        first = rows[0]
        assert first.raw_tx is not None and first.tx_hash is not None
        self.client.send_raw(bytes.fromhex(first.raw_tx))
        self.submitted_at[first.tx_hash] = time.monotonic()
        for row in rows:
            row.sends += 1
        self.save_all(rows, durable=durable, state="SUBMITTED")
        log.info(
            "%s: sent %s (nonce %s, %d day(s))", self.dataset, first.tx_hash, first.nonce, len(rows)
        )

    # -- waiting ------------------------------------------------------------------------

    def wait_inclusion(self) -> None:
        """Wait for SUBMITTED transactions; replace one not mined after ``tx_timeout`` with the
        same nonce and higher fees (at most ``MAX_REPLACEMENTS`` times)."""
        replacements: dict[int, int] = {}
        while True:
            self.follow()
            waiting = list(self.by_tx(("SUBMITTED",)))
            if not waiting:
                return
            now = time.monotonic()
            for group in waiting:
                first = group[0]
                assert first.tx_hash is not None and first.nonce is not None
                sent = self.submitted_at.setdefault(first.tx_hash, now)
                if now - sent < self.client.tx_timeout:
                    continue
                done = replacements.get(first.nonce, 0)
                if done >= MAX_REPLACEMENTS:
                    log.warning(
                        "%s: %s still not mined; left SUBMITTED", self.dataset, first.tx_hash
                    )
                    return
                replacements[first.nonce] = done + 1
                self.replace(group)
            time.sleep(self.client.poll_interval)

    def replace(self, rows: list[AnchorJournalRow]) -> None:
        """Re-sign a stuck transaction: same nonce, same days, fees raised."""
        first = rows[0]
        assert first.fee_params is not None and first.nonce is not None
        fees = FeeParams.from_json(json.loads(first.fee_params)).bumped(
            self.client.fee_bump_percent
        )
        signed = self.client.sign_publication(
            self.dataset, self.items(rows), nonce=first.nonce, fees=fees
        )
        replaced = [*json.loads(first.replaced or "[]"), first.tx_hash]
        log.warning(
            "%s: %s not mined after %.0f s; replacing it with %s (nonce %d, fees +%d %%)",
            self.dataset,
            first.tx_hash,
            self.client.tx_timeout,
            "0x" + signed.tx_hash.hex(),
            first.nonce,
            self.client.fee_bump_percent,
        )
        self.record_signed(rows, signed, replaced=replaced)
        self.broadcast(rows, durable=False)

    def wait_finality(self) -> None:
        """INCLUDED rows become FINAL once their block is final and still on the chain; a
        block that changed sends its rows back (``follow`` decides)."""
        deadline = time.monotonic() + self.client.finality_timeout
        while True:
            included = [row for row in self.rows if row.state == "INCLUDED"]
            if not included:
                return
            final_block = self.client.final_block_number()
            final: list[AnchorJournalRow] = []
            # The pass's reads in one round trip: the blocks of the rows due (the days of a
            # transaction share its block) and each day's registry entry at the final block.
            # What the batch did not answer, or a row moved to since, is read one at a time.
            due = [row for row in included if (row.block_number or 0) <= final_block]
            hashes, entries = self.client.finality_reads(
                self.dataset,
                [row.day for row in due],
                sorted({row.block_number for row in due if row.block_number is not None}),
                final_block,
            )
            try:
                for row in included:
                    assert row.block_number is not None
                    if row.block_number > final_block:
                        continue
                    if row.block_number not in hashes:
                        hashes[row.block_number] = self.client.block_hash(row.block_number)
                    current = hashes[row.block_number]
                    if row.block_hash is not None and (
                        current is None or "0x" + current.hex() != row.block_hash
                    ):
                        self.follow()  # the block changed: re-read the receipt
                        continue
                    if self.finalise(row, final_block, entries.get(row.day)):
                        final.append(row)
            finally:
                if final:
                    self.write(final)  # one journal transaction per pass
            if any(row.state == "PENDING" for row in self.rows):
                return
            if time.monotonic() >= deadline:
                return
            if any(row.state == "INCLUDED" for row in self.rows):
                time.sleep(self.client.poll_interval)

    def finalise(
        self, row: AnchorJournalRow, final_block: int, entries: DayEntries | None = None
    ) -> bool:
        """Make the row FINAL from the registry's entry at ``final_block`` (``entries``: read
        already, else read now), in memory: the caller saves a pass's final rows together (a
        kill before leaves them INCLUDED, and the next run finalises them again). False when
        the entry is not the row's digest."""
        if entries is None:
            entries = self.client.latest_entry(self.dataset, row.day, final_block)
        latest = entries.latest
        if latest is None or latest.digest.hex() != row.digest:
            self.follow()
            return False
        row.state, row.seq, row.kind, row.entries, row.note = (
            "FINAL",
            latest.seq,
            latest.kind,
            entries.count,
            None,
        )
        row.chain_id, row.contract = self.client.chain_id, self.client.address
        log.info(
            "%s %s: FINAL (seq %d, kind %d, block %s)",
            row.dataset,
            row.day,
            latest.seq,
            latest.kind,
            row.block_number,
        )
        return True


def _record(
    row: AnchorJournalRow,
    pin: Pin | None,
    dev_chain: bool,
    native_unit: str = "ETH",
    reason: str | None = None,
) -> dict[str, Any]:
    """The day's ``anchor.json`` from its journal row."""
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "status": ANCHORED if row.state == "FINAL" else PENDING,
        "dataset": row.dataset,
        "day": day_number(row.day),
        "digest": row.digest,
        "devChain": dev_chain,
    }
    if pin is not None:
        record |= {
            "chainId": pin.network.chain_id,
            "contract": pin.registry.address,
            "publisher": pin.publisher,
        }
    if row.tx_hash is not None:
        record["txHash"] = row.tx_hash
    if row.state == "FINAL":
        record |= {
            "seq": row.seq,
            "kind": row.kind,
            "entries": row.entries,
            "blockNumber": row.block_number,
            "gasUsed": row.gas_used,
            "feeWei": str(row.fee_wei) if row.fee_wei is not None else None,
            "fee": wei_to_unit(row.fee_wei) if row.fee_wei is not None else None,
            "feeUnit": native_unit,
            "batchSize": row.batch_size,
        }
    else:
        record["reason"] = (
            reason or row.note or f"journal state {row.state}: run publicar anchor --pending"
        )[:500]
        record["journalState"] = row.state
    return record
