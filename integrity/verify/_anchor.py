"""The anchor and publisher checks: the manifest digest against the receipt, the chain and the pin.

``check_anchor`` runs the steps in order: which pin (``_pins.choose_pin``, recorded on the
result), a day no registry can hold (FALLA, no chain read), the link to the previous day's
manifest, the receipt's own fields, the receipt against the pin, then (unless offline) one
read of the registry: the stored digest, day and previous key, and the contract's publisher.
Offline, neither the anchor nor the publisher is checked (both OMITIDA, exit 3): comparing a
downloaded receipt with a downloaded ``trust.json`` proves nothing.

The receipt's transaction fields (``txHash``, ``blockNumber``) are shown as not checked:
``check_receipt_transaction`` is where the online check of the transaction slots in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from integrity import layout
from integrity.keys import anchor_key, day_number
from integrity.manifest import Manifest
from integrity.verify._chain import StoredAnchor
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

ZERO_KEY = b"\x00" * 32


@dataclass(frozen=True)
class _Expected:
    """What the chain must hold for one manifest."""

    dataset: str
    day: dt.date
    digest: str
    key: str
    previous_key: str
    previous_date: str | None
    receipt_name: str

    @classmethod
    def of(cls, manifest: Manifest) -> _Expected:
        dataset, day, previous = manifest.dataset, manifest.day, manifest.previous
        previous_date = str(previous["date"]) if previous else None
        previous_key = (
            anchor_key(dataset, dt.date.fromisoformat(previous_date)) if previous_date else ZERO_KEY
        )
        return cls(
            dataset=dataset,
            day=day,
            digest=manifest.sha256,
            key=anchor_key(dataset, day).hex(),
            previous_key=previous_key.hex(),
            previous_date=previous_date,
            receipt_name=f"{dataset}-{day.isoformat()}-{layout.ANCHOR}",
        )


@dataclass(frozen=True)
class _Registry:
    """Which registry to ask: from the pin, else from the receipt."""

    chain_id: int
    contract: str


@dataclass(frozen=True)
class _ChainRead:
    """What one read of the registry returned."""

    stored: StoredAnchor | None
    latest: StoredAnchor | None
    publisher: str | None


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
        _check_previous_manifest(anchor, manifest, previous_manifest)
    if anchor_record is not None:
        _check_receipt(anchor, anchor_record, expected)
        check_receipt_transaction(anchor, anchor_record, options)
    if trust is None:
        if choice.problem is None:
            publisher.skip(SkipReason.UNAVAILABLE, "publisher.no_trust")
    else:
        _check_receipt_against_pin(publisher, anchor_record or {}, trust, expected)
    registry = _registry(trust, anchor_record)
    if registry is not None:
        result.manual_call = ManualCall(
            registry.chain_id, registry.contract, "0x" + expected.key, "0x" + expected.digest
        )
    if options.offline:
        _skip_offline(anchor, publisher)
        return
    if impossible is not None:
        _skip_unread(publisher)
        return
    if registry is None:
        anchor.skip(SkipReason.UNAVAILABLE, "anchor.no_contract")
        return
    read = _read_registry(result, options, registry, expected, with_publisher=trust is not None)
    if read is None:
        return
    if trust is not None:
        _check_registry_publisher(publisher, trust, registry, read.publisher)
    if read.stored is None:
        _explain_absent_anchor(anchor, read.latest, anchor_record, expected)
    else:
        _check_stored_anchor(anchor, read.stored, expected, registry)


def check_receipt_transaction(
    anchor: CheckResult, record: dict[str, Any], options: VerifyOptions
) -> None:
    """The receipt's transaction (``txHash``, ``blockNumber``): shown as not checked.

    This is where the online check goes (the transaction exists, called the pinned registry
    and emitted this entry, read through ``options.chain``); until then it is reported as
    "no comprobado" online and offline.
    """
    tx_hash = record.get("txHash")
    block = first_field(record, "blockNumber", "block_number")
    if tx_hash is None and block is None:
        return
    anchor.ok(
        "anchor.receipt_unchecked",
        tx=printable(tx_hash if tx_hash is not None else "-", 80),
        block=printable(block if block is not None else "-", 20),
    )


def _check_previous_manifest(
    anchor: CheckResult, manifest: Manifest, previous_manifest: tuple[str, str | None]
) -> None:
    """The previous day's published manifest must hash to ``previous.manifestSha256``."""
    previous_date, actual = previous_manifest
    if actual is None:
        return
    previous = manifest.previous
    expected = hex32(previous and previous.get("manifestSha256"))
    if actual != expected:
        anchor.fail(
            "anchor.previous_manifest_mismatch",
            previous_date=previous_date,
            expected=expected,
            actual=actual,
        )
    else:
        anchor.ok("anchor.previous_manifest_ok", previous_date=previous_date)


def _check_receipt(anchor: CheckResult, record: dict[str, Any], expected: _Expected) -> None:
    """The receipt's key, digest, day and previous key must be the manifest's."""
    for field_name, value in (
        ("key", expected.key),
        ("digest", expected.digest),
        ("day", day_number(expected.day)),
        ("previous", expected.previous_key),
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
    if trust.dataset and trust.dataset != expected.dataset:
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
    """Read the day's anchor (and the publisher); None after recording why it was impossible."""
    key = bytes.fromhex(expected.key)
    cache_key = (registry.chain_id, registry.contract.lower(), expected.key, with_publisher)
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
        stored = reader.get_anchor(key)
        latest = reader.get_anchor(key, block="latest") if stored is None else None
        on_chain_publisher = reader.publisher() if with_publisher else None
    except NoteError as error:
        _skip_unreachable(result, error.note, with_publisher)
        return None
    except Exception as error:
        _skip_unreachable(
            result, Note("anchor.chain_unreachable", {"error": short(error)}), with_publisher
        )
        return None
    read = _ChainRead(stored, latest, on_chain_publisher)
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
    latest: StoredAnchor | None,
    record: dict[str, Any] | None,
    expected: _Expected,
) -> None:
    """No final anchor: pending (only at latest), missing (a receipt claims one) or not yet."""
    date = expected.day.isoformat()
    if latest is not None:
        anchor.skip(SkipReason.UNAVAILABLE, "anchor.pending", date=date, block=latest.block_number)
    elif record is not None:
        anchor.fail(
            "anchor.missing_on_chain",
            file=expected.receipt_name,
            date=date,
            block=first_field(record, "blockNumber", "block_number"),
            key="0x" + expected.key,
        )
    else:
        anchor.skip(
            SkipReason.UNAVAILABLE, "anchor.not_anchored", date=date, key="0x" + expected.key
        )


def _check_stored_anchor(
    anchor: CheckResult, stored: StoredAnchor, expected: _Expected, registry: _Registry
) -> None:
    """The stored digest, day and previous key must be the manifest's."""
    date = expected.day.isoformat()
    stored_digest = bytes(stored.digest).hex()
    if stored_digest != expected.digest:
        anchor.fail(
            "anchor.digest_mismatch",
            date=date,
            expected="0x" + stored_digest,
            actual="0x" + expected.digest,
        )
    if int(stored.day) != day_number(expected.day):
        anchor.fail("anchor.day_mismatch", actual=int(stored.day), expected=date)
    stored_previous = bytes(stored.previous).hex()
    if stored_previous != expected.previous_key:
        anchor.fail(
            "anchor.previous_mismatch",
            date=date,
            actual="0x" + stored_previous,
            expected="0x" + expected.previous_key,
            previous_date=expected.previous_date or "-",
        )
    if anchor.status is Status.OK:
        anchor.ok(
            "anchor.ok",
            digest="0x" + expected.digest,
            key="0x" + expected.key,
            block=int(stored.block_number),
            chain_id=registry.chain_id,
        )
