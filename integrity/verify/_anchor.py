"""The anchor and publisher checks: the manifest digest against the receipt, the chain and the pin.

``check_anchor`` runs the steps in order: which pin (``_pins.choose_pin``, recorded on the
result), a day no registry can hold (FALLA, no chain read), the link to the previous day's
manifest, the receipt's own fields, the receipt against the pin, then (unless offline) one
read of the registry (``PublicationLog``): the day's latest entry at the finality block (its
digest, day, kind and the day's number of entries) and the contract's publisher. A receipt
that says ``pendiente`` (the chain was unreachable when the day was published) is never
VERIFICADO unless the registry itself holds the day. Offline, neither the anchor nor the
publisher is checked (both OMITIDA, exit 3): comparing a downloaded receipt with a downloaded
``trust.json`` proves nothing.

Online, the receipt's transaction (``txHash``, ``blockNumber``) is checked too
(``check_receipt_transaction``: it exists, succeeded in that block and the pinned registry
emitted this entry); offline or when the node cannot say, it is shown as not checked.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from integrity import layout
from integrity.keys import dataset_id, day_number
from integrity.manifest import Manifest
from integrity.verify._chain import (
    PUBLISHED_TOPIC,
    AnchorReader,
    ReceiptReader,
    StoredEntry,
    TxReceipt,
    latest_entry_call,
)
from integrity.verify._context import DayContext
from integrity.verify._days import impossible_day
from integrity.verify._io import printable
from integrity.verify._options import VerifyOptions
from integrity.verify._pins import PinChoice, TrustPin, choose_pin
from integrity.verify._results import (
    ChainUnavailable,
    CheckResult,
    ManualCall,
    Note,
    NoteError,
    SkipReason,
    Status,
    VerificationResult,
)
from integrity.verify._values import first_field, hex32, same_address, short

PENDING = "pendiente"
KIND_KEYS = {1: "anchor.kind_first", 2: "anchor.kind_late", 3: "anchor.kind_correction"}
_TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
MAX_SUPERSEDED_READS = 32  # corrections of one day followed back when a digest is not the latest


@dataclass(frozen=True)
class _Expected:
    """What the registry must hold for one manifest."""

    dataset: str
    day: dt.date
    digest: str
    receipt_name: str

    @classmethod
    def of(cls, manifest: Manifest) -> _Expected:
        dataset, day = manifest.dataset, manifest.day
        return cls(
            dataset=dataset,
            day=day,
            digest=manifest.sha256,
            receipt_name=f"{dataset}-{day.isoformat()}-{layout.ANCHOR}",
        )

    @property
    def bulk(self) -> bool:
        """Whether the manifest is the bulk dataset's (messages name the bulk files)."""
        return layout.is_bulk_dataset(self.dataset)

    @property
    def dataset_id(self) -> bytes:
        """SHA-256 of the dataset name: the registry's dataset id."""
        return dataset_id(self.dataset)

    @property
    def day_number(self) -> int:
        return day_number(self.day)


@dataclass(frozen=True)
class _Registry:
    """Which registry to ask: from the pin, else from the receipt."""

    chain_id: int
    contract: str


@dataclass(frozen=True)
class _ChainRead:
    """What one read of the registry returned."""

    stored: StoredEntry | None
    count: int
    latest: StoredEntry | None
    publisher: str | None
    reader: AnchorReader


def check_day_anchor(result: VerificationResult, ctx: DayContext, options: VerifyOptions) -> None:
    """Fill the anchor and publisher checks of a day whose manifest is known."""
    assert ctx.manifest is not None
    if ctx.receipt_problem is not None:
        result.checks["anchor"].notes.append(ctx.receipt_problem)
    check_anchor(
        result,
        ctx.manifest,
        ctx.anchor_record,
        choose_pin(options, ctx.dataset, ctx.root, ctx.anchor_record),
        options,
        previous_manifest=ctx.previous_manifest_digest(),
    )


def check_anchor(
    result: VerificationResult,
    manifest: Manifest,
    anchor_record: dict[str, Any] | None,
    choice: PinChoice,
    options: VerifyOptions,
    *,
    previous_manifest: tuple[str, str | None] | None = None,
) -> None:
    """Compare the manifest digest with the anchor receipt, the chain and the trust pin."""
    anchor, publisher = result.checks["anchor"], result.checks["publisher"]
    expected = _Expected.of(manifest)
    trust = result.pin = choice.pin
    if choice.problem is not None:
        if choice.problem.failed:
            publisher.fail(choice.problem.key, **choice.problem.params)
        else:
            publisher.skip(SkipReason.UNAVAILABLE, choice.problem.key, **choice.problem.params)
    impossible = impossible_day(expected.day, now=options.now, history_start=options.history_start)
    if impossible is not None:
        anchor.fail(impossible.key, **impossible.params)
    if previous_manifest is not None:
        _check_previous_manifest(anchor, manifest, previous_manifest, bulk=expected.bulk)
    if anchor_record is not None:
        _check_receipt(anchor, anchor_record, expected)
    if trust is None:
        if choice.problem is None:
            publisher.skip(SkipReason.UNAVAILABLE, "publisher.no_trust")
    else:
        _check_receipt_against_pin(publisher, anchor_record or {}, trust, expected)
    registry = _registry(trust, anchor_record)
    if registry is not None:
        result.manual_call = ManualCall(
            registry.chain_id,
            registry.contract,
            latest_entry_call(expected.dataset_id, expected.day_number),
            "0x" + expected.digest,
        )
    pending = _is_pending(anchor_record)
    unchecked = anchor_record or {}
    if options.offline:
        check_receipt_transaction(anchor, unchecked, None, None, expected)
        _skip_offline(anchor, publisher)
        if pending:
            _skip_pending(anchor, expected)
        return
    if impossible is not None:
        _skip_unread(publisher)
        return
    if registry is None:
        check_receipt_transaction(anchor, unchecked, None, None, expected)
        anchor.skip(SkipReason.UNAVAILABLE, "anchor.no_contract")
        return
    read = _read_registry(result, options, registry, expected, with_publisher=trust is not None)
    if read is None:
        if pending:
            _skip_pending(anchor, expected)
        return
    if trust is not None:
        _check_registry_publisher(publisher, trust, registry, read.publisher)
    check_receipt_transaction(anchor, unchecked, read.reader, registry, expected)
    if read.stored is None:
        _explain_absent_anchor(anchor, read.latest, anchor_record, expected)
    else:
        _check_stored_entry(anchor, read, expected, registry)


def check_receipt_transaction(
    anchor: CheckResult,
    record: dict[str, Any],
    reader: AnchorReader | None,
    registry: _Registry | None,
    expected: _Expected,
) -> None:
    """The receipt's transaction (``txHash``, ``blockNumber``), online: it exists and
    succeeded, in that block, and the pinned registry emitted this entry (``Published`` with
    the dataset, day and digest). Offline, or when the chain cannot say: "no comprobado"."""
    tx_hash = record.get("txHash")
    block = first_field(record, "blockNumber", "block_number")
    if tx_hash is None and block is None:
        return
    shown = {
        "tx": printable(tx_hash if tx_hash is not None else "-", 80),
        "block": printable(block if block is not None else "-", 20),
    }
    if reader is None or registry is None or tx_hash is None:
        anchor.ok("anchor.receipt_unchecked", **shown)
        return
    if not isinstance(tx_hash, str) or not _TX_HASH.match(tx_hash):
        anchor.fail("anchor.receipt_tx_bad", **shown)
        return
    if not isinstance(reader, ReceiptReader):
        anchor.ok("anchor.receipt_unchecked", **shown)
        return
    try:
        receipt = reader.transaction_receipt(tx_hash)
    except Exception:  # the node cannot say: the registry read already decided the anchor
        anchor.ok("anchor.receipt_unchecked", **shown)
        return
    problem = _transaction_problem(receipt, block, registry, expected)
    if problem is None:
        anchor.ok("anchor.receipt_ok", **shown)
    else:
        anchor.fail(problem, **shown, contract=registry.contract)


def _transaction_problem(
    receipt: TxReceipt | None, block: Any, registry: _Registry, expected: _Expected
) -> str | None:
    """Why the receipt's transaction is not the one that anchored this manifest, if it is not."""
    if receipt is None:
        return "anchor.receipt_tx_missing"
    if receipt.status != 1:
        return "anchor.receipt_tx_failed"
    if isinstance(block, int) and not isinstance(block, bool) and block != receipt.block_number:
        return "anchor.receipt_tx_block"
    contract = registry.contract.lower().removeprefix("0x")
    wanted = (PUBLISHED_TOPIC, expected.dataset_id.hex(), f"{expected.day_number:064x}")
    for log in receipt.logs:
        if log.address != contract or log.topics[:3] != wanted:
            continue
        if log.data[128:192] == expected.digest:  # data: seq, kind, digest, supersedes
            return None
    if receipt.to != contract:
        return "anchor.receipt_tx_other_contract"
    return "anchor.receipt_tx_no_entry"


def _check_previous_manifest(
    anchor: CheckResult,
    manifest: Manifest,
    previous_manifest: tuple[str, str | None],
    *,
    bulk: bool = False,
) -> None:
    """The previous day's published manifest (for the bulk files: the previous bulk manifest,
    kept in the history folder) must hash to ``previous.manifestSha256``."""
    previous_date, actual = previous_manifest
    if actual is None:
        return
    previous = manifest.previous
    expected = hex32(previous and previous.get("manifestSha256"))
    prefix = "anchor.previous_bulk_manifest" if bulk else "anchor.previous_manifest"
    if actual != expected:
        anchor.fail(
            f"{prefix}_mismatch",
            previous_date=previous_date,
            expected=expected,
            actual=actual,
        )
    else:
        anchor.ok(f"{prefix}_ok", previous_date=previous_date)


def _is_pending(record: dict[str, Any] | None) -> bool:
    """Whether the receipt says the day waits for its anchor (``status: pendiente``)."""
    return record is not None and record.get("status") == PENDING


def _skip_pending(anchor: CheckResult, expected: _Expected) -> None:
    anchor.skip(
        SkipReason.UNAVAILABLE,
        "anchor.bulk_pending_record" if expected.bulk else "anchor.pending_record",
        file=expected.receipt_name,
        date=expected.day.isoformat(),
    )


def _check_receipt(anchor: CheckResult, record: dict[str, Any], expected: _Expected) -> None:
    """The receipt's dataset, digest and day must be the manifest's."""
    for field_name, value in (
        ("dataset", expected.dataset),
        ("digest", expected.digest),
        ("day", expected.day_number),
    ):
        actual = record.get(field_name)
        if actual is None:
            continue
        normalised = _normalised(field_name, actual)
        if normalised != value:
            anchor.fail(
                "anchor.record_mismatch",
                file=expected.receipt_name,
                field=field_name,
                expected=value,
                actual=normalised,
            )


def _normalised(field_name: str, actual: Any) -> Any:
    """A receipt value in comparable form; a value of the wrong kind is shown as written."""
    if field_name == "dataset":
        return printable(actual, 80)
    if field_name == "day":
        if isinstance(actual, int) and not isinstance(actual, bool):
            return actual
        return printable(actual, 40)
    if isinstance(actual, str | bytes):
        return hex32(actual)
    return printable(actual, 80)


def _check_receipt_against_pin(
    publisher: CheckResult, record: dict[str, Any], trust: TrustPin, expected: _Expected
) -> None:
    """The receipt's chain, contract and publisher, and the dataset, must be the pinned ones."""
    for field_name, actual, pinned in (
        ("chainId", first_field(record, "chainId", "chain_id"), trust.chain_id),
        ("contract", record.get("contract"), trust.contract),
        ("publisher", record.get("publisher"), trust.publisher),
    ):
        if actual is None:
            continue
        if field_name == "chainId":
            same = str(actual) == str(pinned) and not isinstance(actual, bool)
        else:
            same = same_address(actual, pinned)
        if not same:
            publisher.fail(
                "publisher.mismatch",
                source=expected.receipt_name,
                field=field_name,
                actual=printable(actual, 80),
                expected=pinned,
                trust=trust.label,
            )
    if trust.dataset and not layout.pin_covers(trust.dataset, expected.dataset):
        publisher.fail(
            "publisher.mismatch",
            source=f"{expected.dataset}-{expected.day.isoformat()}-{layout.MANIFEST}",
            field="dataset",
            actual=expected.dataset,
            expected=trust.dataset,
            trust=trust.label,
        )


def _registry(trust: TrustPin | None, record: dict[str, Any] | None) -> _Registry | None:
    """The registry to read: the pinned one, else the one the receipt names."""
    if trust is not None:
        return _Registry(trust.chain_id, trust.contract)
    chain_id = first_field(record or {}, "chainId", "chain_id")
    contract = (record or {}).get("contract")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or not isinstance(contract, str):
        return None
    if not contract.startswith("0x") or len(contract) != 42:
        return None
    return _Registry(chain_id, contract)


def _publisher_ok(publisher: CheckResult, trust: TrustPin) -> None:
    publisher.ok(
        "publisher.ok",
        contract=trust.contract,
        publisher=trust.publisher,
        chain_id=trust.chain_id,
        trust=trust.label,
    )


def _skip_offline(anchor: CheckResult, publisher: CheckResult) -> None:
    """Offline: neither the anchor nor the publisher is checked (a receipt that contradicts the
    pin still fails the publisher)."""
    anchor.skip(SkipReason.OFFLINE, "anchor.offline")
    if publisher.status is not Status.FAIL:
        publisher.notes = [n for n in publisher.notes if n.key != "publisher.no_trust"]
        publisher.status, publisher.skip_reason = Status.OK, None
        publisher.skip(SkipReason.OFFLINE, "publisher.offline")


def _skip_unread(publisher: CheckResult) -> None:
    """The registry is not read (the day cannot exist): the publisher is not checked either."""
    if publisher.status is Status.OK:
        publisher.skip(SkipReason.NOT_APPLICABLE, "publisher.not_read")


def _read_registry(
    result: VerificationResult,
    options: VerifyOptions,
    registry: _Registry,
    expected: _Expected,
    *,
    with_publisher: bool,
) -> _ChainRead | None:
    """Read the day's latest entry (and the publisher); None after recording why it was
    impossible."""
    cache_key = (
        registry.chain_id,
        registry.contract.lower(),
        expected.dataset,
        expected.day_number,
        with_publisher,
    )
    cached = options.read_cache.get(cache_key)
    if isinstance(cached, _ChainRead):
        result.dev_chain = result.dev_chain or bool(options.read_cache.get("dev_chain"))
        return cached
    try:
        access = options.chain
        if access is None:
            if options.chain_factory is None:
                raise ChainUnavailable(Note("anchor.no_rpc", {"chain_id": registry.chain_id}))
            access = options.chain = options.chain_factory(registry.chain_id)
        result.dev_chain = result.dev_chain or access.dev_chain
        reader = access.reader(registry.chain_id, registry.contract)
        final = reader.latest_entry(expected.dataset_id, expected.day_number)
        latest = (
            reader.latest_entry(expected.dataset_id, expected.day_number, "latest").latest
            if final.latest is None
            else None
        )
        on_chain_publisher = reader.publisher() if with_publisher else None
    except NoteError as error:
        _skip_unreachable(result, error.note, with_publisher)
        return None
    except Exception as error:
        _skip_unreachable(
            result, Note("anchor.chain_unreachable", {"error": short(error)}), with_publisher
        )
        return None
    read = _ChainRead(final.latest, final.count, latest, on_chain_publisher, reader)
    options.read_cache[cache_key] = read
    options.read_cache["dev_chain"] = access.dev_chain
    return read


def _skip_unreachable(result: VerificationResult, note: Note, with_publisher: bool) -> None:
    result.checks["anchor"].skip(SkipReason.UNAVAILABLE, note.key, **note.params)
    publisher = result.checks["publisher"]
    if with_publisher and publisher.status is Status.OK:
        publisher.skip(SkipReason.UNAVAILABLE, note.key, **note.params)


def _check_registry_publisher(
    publisher: CheckResult, trust: TrustPin, registry: _Registry, actual: str | None
) -> None:
    """The contract's ``publisher()`` must be the pinned address."""
    if not same_address(actual, trust.publisher):
        publisher.fail(
            "publisher.mismatch",
            source=registry.contract,
            field="publisher()",
            actual=actual,
            expected=trust.publisher,
            trust=trust.label,
        )
    elif publisher.status is Status.OK:
        _publisher_ok(publisher, trust)


def _explain_absent_anchor(
    anchor: CheckResult,
    latest: StoredEntry | None,
    record: dict[str, Any] | None,
    expected: _Expected,
) -> None:
    """No final entry: not final yet (only at latest), pending at the publisher, missing (a
    receipt claims one) or not yet published."""
    date = expected.day.isoformat()
    if latest is not None:
        anchor.skip(SkipReason.UNAVAILABLE, "anchor.pending", date=date, block=latest.block_number)
    elif _is_pending(record):
        _skip_pending(anchor, expected)
    elif record is not None:
        anchor.fail(
            "anchor.missing_on_chain",
            file=expected.receipt_name,
            date=date,
            block=first_field(record, "blockNumber", "block_number"),
            dataset=expected.dataset,
        )
    else:
        anchor.skip(
            SkipReason.UNAVAILABLE,
            "anchor.bulk_not_anchored" if expected.bulk else "anchor.not_anchored",
            date=date,
            dataset=expected.dataset,
        )


def _check_stored_entry(
    anchor: CheckResult, read: _ChainRead, expected: _Expected, registry: _Registry
) -> None:
    """The day's latest entry must hold the manifest's digest; say which kind of entry it is
    (first, late, correction) and how many entries the day has."""
    stored = read.stored
    assert stored is not None
    date = expected.day.isoformat()
    if stored.day != expected.day_number:
        anchor.fail("anchor.day_mismatch", actual=stored.day, expected=date)
    if stored.digest.hex() != expected.digest:
        earlier = _superseded_entry(read.reader, expected, stored)
        if earlier is not None:
            anchor.fail(
                "anchor.bulk_superseded" if expected.bulk else "anchor.superseded",
                date=date,
                seq=earlier.seq,
                block=earlier.block_number,
                latest_seq=stored.seq,
                expected="0x" + stored.digest.hex(),
            )
        else:
            anchor.fail(
                "anchor.digest_mismatch",
                date=date,
                expected="0x" + stored.digest.hex(),
                actual="0x" + expected.digest,
            )
    if anchor.status is Status.OK:
        anchor.ok(
            "anchor.ok",
            digest="0x" + expected.digest,
            seq=stored.seq,
            block=stored.block_number,
            chain_id=registry.chain_id,
        )
    anchor.ok(
        KIND_KEYS.get(stored.kind, "anchor.kind_unknown"),
        kind=stored.kind,
        seq=stored.seq,
        supersedes=stored.supersedes,
        count=read.count,
    )


def _superseded_entry(
    reader: AnchorReader, expected: _Expected, latest: StoredEntry
) -> StoredEntry | None:
    """An earlier entry of the day with the manifest's digest (replaced by a correction)."""
    seq = latest.supersedes
    for _ in range(MAX_SUPERSEDED_READS):
        if seq == 0:
            return None
        entry = reader.get_entry(expected.dataset_id, seq)
        if entry is None:
            return None
        if entry.digest.hex() == expected.digest:
            return entry
        seq = entry.supersedes
    return None
