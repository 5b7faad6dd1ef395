"""PublicationLog (registry v2) rules, in process with titanoboa; one test on a real anvil (paris)."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boa
import pytest
from boa import BoaError
from eth.exceptions import Revert
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from integrity.contracts.build import PUBLICATION_LOG

ZERO_ADDRESS = "0x" + "00" * 20
ZERO32 = b"\x00" * 32
DATASET = "perucompras-ocam"
OTHER = "otro-dataset"
FIRST, LATE, CORRECTION = 1, 2, 3
# Block time of every in-process test: 2026-12-01 12:00 UTC, so 20261202 is publishable
# (it has begun east of UTC) and 20261203 is a "future day".
NOW = calendar.timegm((2026, 12, 1, 12, 0, 0))
INVALID_DAYS = [20261399, 0xFFFFFFFF, 20230229, 19991231, 22000101]
MORE_INVALID_DAYS = [0, 20260001, 20260100, 20260431, 20261232, 21000229, 20001300, 2026111]

DEPLOYER = boa.load_partial(str(PUBLICATION_LOG.source_path))

# A stand-in for LACChain's RelayHub (TxRelay): it records the original signer, calls the
# recipient with the node address and expiration appended to the calldata (64 bytes) and
# answers getMsgSender() while the recipient runs.
RELAY_HUB_SOURCE = """
# pragma version 0.4.3
# pragma evm-version paris
msg_sender: address

@external
def relay(target: address, data: Bytes[4096], original_sender: address):
    self.msg_sender = original_sender
    node: bytes32 = convert(msg.sender, bytes32)
    expiration: bytes32 = convert(block.timestamp + 60, bytes32)
    raw_call(target, concat(data, node, expiration))

@view
@external
def getMsgSender() -> address:
    return self.msg_sender
"""
RELAY_HUB = boa.loads_partial(RELAY_HUB_SOURCE)


def digest_of(text: str) -> bytes:
    """A stand-in manifest digest."""
    return hashlib.sha256(text.encode()).digest()


def dataset_id(name: str) -> bytes:
    """The contract's dataset id: SHA-256 of the UTF-8 name."""
    return hashlib.sha256(name.encode()).digest()


def day_number(day: dt.date) -> int:
    """YYYYMMDD of a date."""
    return day.year * 10_000 + day.month * 100 + day.day


def days_from(start: dt.date, count: int) -> list[int]:
    """``count`` consecutive YYYYMMDD days from ``start``."""
    return [day_number(start + dt.timedelta(days=offset)) for offset in range(count)]


def python_day(day: int) -> dt.date | None:
    """The date of a YYYYMMDD number if it is a real date in 2000-2199, else None."""
    try:
        date = dt.date(day // 10_000, day // 100 % 100, day % 100)
    except ValueError:
        return None
    return date if 2000 <= date.year <= 2199 else None


def day_start(day: int) -> int:
    """Unix time of 00:00 UTC of a valid YYYYMMDD day."""
    date = python_day(day)
    assert date is not None
    return calendar.timegm(date.timetuple())


@dataclass(frozen=True)
class Accounts:
    publisher: Any
    successor: Any
    stranger: Any


def forget_storage_traces() -> None:
    """Drop boa's record of hashed keys and written slots. It only feeds the storage dump of a
    revert's stack trace and no anchor rolls it back; deployments after a rollback reuse the
    same address, so every revert would otherwise walk every slot earlier tests wrote there."""
    boa.env.sha3_trace = {}
    boa.env.sstore_trace = {}


@pytest.fixture(autouse=True)
def isolated_chain() -> Iterator[None]:
    """Every test starts from the same block time and leaves no state behind."""
    forget_storage_traces()
    with boa.env.anchor():
        boa.env.timestamp = NOW
        yield


@pytest.fixture
def accounts() -> Accounts:
    return Accounts(
        boa.env.generate_address("publisher"),
        boa.env.generate_address("successor"),
        boa.env.generate_address("stranger"),
    )


@pytest.fixture
def registry(accounts: Accounts) -> Any:
    return DEPLOYER.deploy(accounts.publisher, ZERO_ADDRESS)


def entry_tuple(entry: Any) -> tuple[int, int, int, int, bytes, int]:
    """(seq, previous, day, kind, digest, supersedes) of an Entry read."""
    return (entry.seq, entry.previous, entry.day, entry.kind, bytes(entry.digest), entry.supersedes)


def events(contract: Any, name: str) -> list[Any]:
    """Decoded events called ``name`` from the contract's last call."""
    return [log for log in contract.get_logs() if type(log).__name__ == name]


# --------------------------------------------------------------------------- deployment


def test_deployment_names_the_publisher_and_reports_it(accounts: Accounts) -> None:
    registry = DEPLOYER.deploy(accounts.publisher, ZERO_ADDRESS)
    [changed] = registry.get_logs()
    assert type(changed).__name__ == "PublisherChanged"
    assert (changed.previous, changed.publisher) == (ZERO_ADDRESS, accounts.publisher)
    assert registry.publisher() == accounts.publisher
    assert registry.pending_publisher() == ZERO_ADDRESS
    assert registry.forwarder() == ZERO_ADDRESS
    assert registry.VERSION() == "publication-log/2"
    assert registry.MAX_BATCH() == 128


def test_deployment_refuses_a_zero_publisher_or_the_forwarder_as_publisher(
    accounts: Accounts,
) -> None:
    with boa.reverts("zero address"):
        DEPLOYER.deploy(ZERO_ADDRESS, ZERO_ADDRESS)
    with boa.reverts("publisher is forwarder"):
        DEPLOYER.deploy(accounts.publisher, accounts.publisher)


def test_the_committed_artifact_is_the_code_under_test(registry: Any) -> None:
    artifact = json.loads(PUBLICATION_LOG.artifact_path.read_bytes())
    deployed = boa.env.evm.get_code(registry.address)
    assert deployed == bytes.fromhex(artifact["bytecode_runtime"].removeprefix("0x"))


# --------------------------------------------------------------------------- publishing


def test_kinds_sequence_and_links_are_derived_by_the_contract(
    registry: Any, accounts: Accounts
) -> None:
    ds = dataset_id(DATASET)
    with boa.env.prank(accounts.publisher):
        assert registry.publish(DATASET, 20261110, digest_of("10")) is True
        [started, published] = registry.get_logs()
        assert type(started).__name__ == "DatasetStarted"
        assert (bytes(started.dataset), started.name) == (ds, DATASET)
        assert (bytes(published.dataset), published.day, published.seq, published.kind) == (
            ds,
            20261110,
            1,
            FIRST,
        )
        assert registry.publish(DATASET, 20261112, digest_of("12")) is True
        assert events(registry, "DatasetStarted") == []
        assert registry.publish(DATASET, 20261111, digest_of("11")) is True  # late
        assert registry.publish(DATASET, 20261112, digest_of("12 fixed")) is True  # correction
        [correction] = registry.get_logs()
        assert (correction.seq, correction.kind, correction.supersedes) == (4, CORRECTION, 2)
        assert bytes(correction.digest) == digest_of("12 fixed")
        assert registry.publish(DATASET, 20261113, digest_of("13")) is True

    expected = [
        (1, 0, 20261110, FIRST, digest_of("10"), 0),
        (2, 1, 20261112, FIRST, digest_of("12"), 0),
        (3, 2, 20261111, LATE, digest_of("11"), 0),
        (4, 3, 20261112, CORRECTION, digest_of("12 fixed"), 2),
        (5, 4, 20261113, FIRST, digest_of("13"), 0),
    ]
    assert [entry_tuple(registry.get_entry(ds, seq)) for seq in range(1, 6)] == expected
    info = registry.dataset_info(ds)
    assert (info.head, info.entries, info.days, info.latest_day) == (5, 5, 4, 20261113)

    latest, count = registry.latest_entry(ds, 20261112)
    assert entry_tuple(latest) == expected[3]
    assert count == 2
    latest, count = registry.latest_entry(ds, 20261111)
    assert (entry_tuple(latest), count) == (expected[2], 1)
    old = registry.get_entry(ds, 2)  # the corrected entry stays readable
    assert bytes(old.digest) == digest_of("12")
    assert old.block_number == boa.env.evm.patch.block_number
    assert old.timestamp == NOW


def test_reads_of_missing_entries_are_all_zero(registry: Any, accounts: Accounts) -> None:
    ds = dataset_id(DATASET)
    with boa.env.prank(accounts.publisher):
        registry.publish(DATASET, 20261110, digest_of("10"))
    empty = (0, 0, 0, 0, ZERO32, 0)
    assert entry_tuple(registry.get_entry(ds, 0)) == empty
    assert entry_tuple(registry.get_entry(ds, 2)) == empty
    assert entry_tuple(registry.get_entry(dataset_id(OTHER), 1)) == empty
    latest, count = registry.latest_entry(ds, 20261111)
    assert (entry_tuple(latest), count) == (empty, 0)
    info = registry.dataset_info(dataset_id(OTHER))
    assert (info.head, info.entries, info.days, info.latest_day) == (0, 0, 0, 0)


def test_identical_republication_is_a_silent_no_op(registry: Any, accounts: Accounts) -> None:
    ds = dataset_id(DATASET)
    with boa.env.prank(accounts.publisher):
        registry.publish(DATASET, 20261110, digest_of("a"))
        assert registry.publish(DATASET, 20261110, digest_of("a")) is False
        assert registry.get_logs() == []
        assert registry.dataset_info(ds).head == 1
        registry.publish(DATASET, 20261110, digest_of("b"))
        # "a" is no longer the day's latest digest: publishing it again is a new correction
        assert registry.publish(DATASET, 20261110, digest_of("a")) is True
        assert registry.publish(DATASET, 20261110, digest_of("a")) is False
    latest, count = registry.latest_entry(ds, 20261110)
    assert (latest.seq, latest.kind, latest.supersedes, count) == (3, CORRECTION, 2, 3)


def test_datasets_are_independent_logs(registry: Any, accounts: Accounts) -> None:
    with boa.env.prank(accounts.publisher):
        registry.publish(DATASET, 20261115, digest_of("a"))
        registry.publish(OTHER, 20261110, digest_of("a"))  # earlier day, other dataset: first
        [_started, published] = registry.get_logs()
        assert (published.seq, published.kind) == (1, FIRST)
        registry.publish(OTHER, 20261115, digest_of("a"))  # same day and digest, other dataset
    assert registry.dataset_info(dataset_id(DATASET)).head == 1
    assert registry.dataset_info(dataset_id(OTHER)).head == 2
    assert registry.get_entry(dataset_id(OTHER), 2).kind == FIRST


def test_dataset_id_is_sha256_of_the_name(registry: Any) -> None:
    assert bytes(registry.dataset_id(DATASET)) == dataset_id(DATASET)
    assert bytes(registry.dataset_id("compras-perú")) == dataset_id("compras-perú")


@pytest.mark.parametrize("day", INVALID_DAYS + MORE_INVALID_DAYS)
def test_invalid_days_revert(registry: Any, accounts: Accounts, day: int) -> None:
    assert registry.is_valid_day(day) is False
    with boa.env.prank(accounts.publisher), boa.reverts("invalid day"):
        registry.publish(DATASET, day, digest_of("x"))
    with boa.env.prank(accounts.publisher), boa.reverts("invalid day"):
        registry.publish_batch(DATASET, [20261110, day], [digest_of("x"), digest_of("y")])
    assert registry.dataset_info(dataset_id(DATASET)).head == 0


@pytest.mark.parametrize("day", [20000101, 20000229, 20240229, 20261130, 20261201, 20261202])
def test_real_days_up_to_tomorrow_are_accepted(registry: Any, accounts: Accounts, day: int) -> None:
    assert registry.is_valid_day(day) is True
    with boa.env.prank(accounts.publisher):
        assert registry.publish(DATASET, day, digest_of("x")) is True


@pytest.mark.parametrize("day", [20261203, 20270101, 21991231])
def test_days_that_have_not_begun_anywhere_revert(
    registry: Any, accounts: Accounts, day: int
) -> None:
    assert registry.is_valid_day(day) is True
    with boa.env.prank(accounts.publisher), boa.reverts("future day"):
        registry.publish(DATASET, day, digest_of("x"))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.one_of(st.integers(0, 2**32 - 1), st.integers(19_991_200, 22_000_200)))
def test_calendar_check_agrees_with_python(registry: Any, day: int) -> None:
    assert registry.is_valid_day(day) is (python_day(day) is not None)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(date=st.dates(dt.date(2000, 1, 1), dt.date(2199, 12, 31)))
def test_a_day_is_publishable_from_24_hours_before_it_starts_in_utc(
    registry: Any, accounts: Accounts, date: dt.date
) -> None:
    day = day_number(date)
    start = day_start(day)
    with boa.env.anchor(), boa.env.prank(accounts.publisher):
        boa.env.timestamp = start - 86_401
        with boa.reverts("future day"):
            registry.publish(DATASET, day, digest_of("x"))
        boa.env.timestamp = start - 86_400
        assert registry.publish(DATASET, day, digest_of("x")) is True


def test_empty_digest_and_empty_dataset_revert(registry: Any, accounts: Accounts) -> None:
    with boa.env.prank(accounts.publisher):
        with boa.reverts("empty digest"):
            registry.publish(DATASET, 20261110, ZERO32)
        with boa.reverts("empty dataset"):
            registry.publish("", 20261110, digest_of("x"))
        with boa.reverts("empty dataset"):
            registry.publish_batch("", [20261110], [digest_of("x")])
        with boa.reverts("empty digest"):
            registry.publish_batch(DATASET, [20261110, 20261111], [digest_of("x"), ZERO32])
        assert registry.publish("x" * 64, 20261110, digest_of("x")) is True


def raw_publish(
    registry: Any, sender: Any, signature: str, types: list[str], args: list[Any]
) -> Any:
    """Call the registry with hand-made calldata (for inputs the ABI encoder refuses)."""
    data = function_signature_to_4byte_selector(signature) + encode(types, args)
    return boa.env.raw_call(registry.address, sender=sender, data=data)


def test_oversized_inputs_revert_in_the_abi_decoder(registry: Any, accounts: Accounts) -> None:
    publisher = accounts.publisher
    days = days_from(dt.date(2026, 1, 1), 129)
    with pytest.raises(Revert) as too_many_days:
        raw_publish(
            registry,
            publisher,
            "publish_batch(string,uint32[],bytes32[])",
            ["string", "uint32[]", "bytes32[]"],
            [DATASET, days, [digest_of(str(day)) for day in days]],
        )
    with pytest.raises(Revert) as too_long_name:
        raw_publish(
            registry,
            publisher,
            "publish(string,uint32,bytes32)",
            ["string", "uint32", "bytes32"],
            ["x" * 65, 20261110, digest_of("x")],
        )
    assert too_many_days.value.args == too_long_name.value.args == (b"",)  # no reason string
    raw_publish(
        registry,
        publisher,
        "publish(string,uint32,bytes32)",
        ["string", "uint32", "bytes32"],
        ["x" * 64, 20261110, digest_of("x")],
    )
    assert registry.dataset_info(dataset_id("x" * 64)).head == 1
    assert registry.dataset_info(dataset_id(DATASET)).head == 0


# --------------------------------------------------------------------------- batches


def test_a_batch_of_100_days_is_one_transaction(registry: Any, accounts: Accounts) -> None:
    days = days_from(dt.date(2026, 1, 1), 100)
    digests = [digest_of(f"day {day}") for day in days]
    with boa.env.prank(accounts.publisher):
        assert registry.publish_batch(DATASET, days, digests) == 100
        gas = registry._computation.get_gas_used()
        logs = registry.get_logs()
        print(f"\npublish_batch of 100 days: {gas:,} execution gas, {gas / 100:,.0f} per day")
        assert [type(log).__name__ for log in logs] == ["DatasetStarted"] + ["Published"] * 100
        assert [log.day for log in logs[1:]] == days
        assert [log.seq for log in logs[1:]] == list(range(1, 101))
        # the same batch again (a retried transaction): every day is a no-op
        assert registry.publish_batch(DATASET, days, digests) == 0
        assert registry.get_logs() == []
    ds = dataset_id(DATASET)
    info = registry.dataset_info(ds)
    assert (info.head, info.days, info.latest_day) == (100, 100, days[-1])
    for seq, (day, digest) in enumerate(zip(days, digests, strict=True), start=1):
        latest, count = registry.latest_entry(ds, day)
        assert (latest.seq, latest.kind, bytes(latest.digest), count) == (seq, FIRST, digest, 1)


def test_a_batch_mixes_kinds_and_skips_no_ops(registry: Any, accounts: Accounts) -> None:
    ds = dataset_id(DATASET)
    with boa.env.prank(accounts.publisher):
        registry.publish_batch(DATASET, [20261110, 20261112], [digest_of("10"), digest_of("12")])
        added = registry.publish_batch(
            DATASET,
            [20261112, 20261111, 20261110, 20261111, 20261113, 20261113],
            [
                digest_of("12"),  # no-op: already the latest digest
                digest_of("11"),  # late
                digest_of("10 fixed"),  # correction
                digest_of("11"),  # no-op: published earlier in this batch
                digest_of("13"),  # first
                digest_of("13 fixed"),  # correction within the batch
            ],
        )
        assert added == 4
        kinds = [(log.day, log.seq, log.kind) for log in events(registry, "Published")]
    assert kinds == [
        (20261111, 3, LATE),
        (20261110, 4, CORRECTION),
        (20261113, 5, FIRST),
        (20261113, 6, CORRECTION),
    ]
    assert registry.get_entry(ds, 6).supersedes == 5
    info = registry.dataset_info(ds)
    assert (info.head, info.days, info.latest_day) == (6, 4, 20261113)


def test_a_batch_is_all_or_nothing(registry: Any, accounts: Accounts) -> None:
    with boa.env.prank(accounts.publisher):
        with boa.reverts("invalid day"):
            registry.publish_batch(
                DATASET,
                [20261110, 20261111, 20230229],
                [digest_of("a"), digest_of("b"), digest_of("c")],
            )
        with boa.reverts("length mismatch"):
            registry.publish_batch(DATASET, [20261110, 20261111], [digest_of("a")])
        assert registry.publish_batch(DATASET, [], []) == 0
    assert registry.dataset_info(dataset_id(DATASET)).head == 0
    assert registry.latest_entry(dataset_id(DATASET), 20261110)[1] == 0


def test_a_full_batch_of_max_batch_days_fits(registry: Any, accounts: Accounts) -> None:
    days = days_from(dt.date(2025, 1, 1), 128)
    with boa.env.prank(accounts.publisher):
        assert registry.publish_batch(DATASET, days, [digest_of(str(d)) for d in days]) == 128


# --------------------------------------------------------------------------- authorization


def test_only_the_publisher_can_write(registry: Any, accounts: Accounts) -> None:
    with boa.env.prank(accounts.stranger):
        with boa.reverts("only publisher"):
            registry.publish(DATASET, 20261110, digest_of("x"))
        with boa.reverts("only publisher"):
            registry.publish_batch(DATASET, [20261110], [digest_of("x")])
        with boa.reverts("only publisher"):
            registry.propose_publisher(accounts.stranger)
        with boa.reverts("only publisher"):
            registry.cancel_publisher_proposal()
        with boa.reverts("only publisher"):
            registry.set_forwarder(accounts.stranger)
        with boa.reverts("no proposal"):
            registry.accept_publisher()
    assert registry.publisher() == accounts.publisher
    assert registry.dataset_info(dataset_id(DATASET)).head == 0


def test_rotation_takes_two_steps_and_the_old_publisher_loses_every_right(
    registry: Any, accounts: Accounts
) -> None:
    old, new = accounts.publisher, accounts.successor
    with boa.env.prank(old):
        registry.publish(DATASET, 20261110, digest_of("a"))
        registry.propose_publisher(new)
        [proposed] = registry.get_logs()
        assert (proposed.publisher, proposed.proposed) == (old, new)
    assert registry.pending_publisher() == new
    assert registry.publisher() == old  # nothing changes until the successor accepts
    with boa.env.prank(accounts.stranger), boa.reverts("only proposed publisher"):
        registry.accept_publisher()
    with boa.env.prank(old), boa.reverts("only proposed publisher"):
        registry.accept_publisher()
    with boa.env.prank(new):
        with boa.reverts("only publisher"):
            registry.publish(DATASET, 20261111, digest_of("b"))
        registry.accept_publisher()
        [changed] = registry.get_logs()
        assert (changed.previous, changed.publisher) == (old, new)
    assert (registry.publisher(), registry.pending_publisher()) == (new, ZERO_ADDRESS)
    with boa.env.prank(old):
        with boa.reverts("only publisher"):
            registry.publish(DATASET, 20261111, digest_of("b"))
        with boa.reverts("only publisher"):
            registry.publish_batch(DATASET, [20261111], [digest_of("b")])
        with boa.reverts("only publisher"):
            registry.propose_publisher(old)
        with boa.reverts("no proposal"):
            registry.accept_publisher()
    with boa.env.prank(new):
        assert registry.publish(DATASET, 20261111, digest_of("b")) is True
    assert registry.dataset_info(dataset_id(DATASET)).head == 2


def test_a_proposal_can_be_cancelled_or_replaced(registry: Any, accounts: Accounts) -> None:
    with boa.env.prank(accounts.publisher):
        with boa.reverts("no proposal"):
            registry.cancel_publisher_proposal()
        with boa.reverts("zero address"):
            registry.propose_publisher(ZERO_ADDRESS)
        with boa.reverts("already publisher"):
            registry.propose_publisher(accounts.publisher)
        registry.propose_publisher(accounts.stranger)
        registry.propose_publisher(accounts.successor)  # replaces the first proposal
    with boa.env.prank(accounts.stranger), boa.reverts("only proposed publisher"):
        registry.accept_publisher()
    with boa.env.prank(accounts.publisher):
        registry.cancel_publisher_proposal()
        [cancelled] = registry.get_logs()
        assert (cancelled.publisher, cancelled.proposed) == (accounts.publisher, accounts.successor)
    assert registry.pending_publisher() == ZERO_ADDRESS
    with boa.env.prank(accounts.successor), boa.reverts("no proposal"):
        registry.accept_publisher()
    assert registry.publisher() == accounts.publisher


# --------------------------------------------------------------------------- relayed sender


@pytest.fixture
def relay_hub() -> Any:
    return RELAY_HUB.deploy()


def relayed(hub: Any, registry: Any, sender: Any, function: str, *args: Any) -> None:
    """Send ``registry.function(*args)`` through the relay hub as if signed by ``sender``."""
    data = getattr(registry, function).prepare_calldata(*args)
    with boa.env.prank(boa.env.generate_address("writer node")):
        hub.relay(registry.address, data, sender)


def test_relayed_transactions_act_for_their_original_signer(
    relay_hub: Any, accounts: Accounts
) -> None:
    registry = DEPLOYER.deploy(accounts.publisher, relay_hub.address)
    assert registry.forwarder() == relay_hub.address
    ds = dataset_id(DATASET)
    relayed(relay_hub, registry, accounts.publisher, "publish", DATASET, 20261110, digest_of("a"))
    batch = ([20261111, 20261112], [digest_of("b"), digest_of("c")])
    relayed(relay_hub, registry, accounts.publisher, "publish_batch", DATASET, *batch)
    assert registry.dataset_info(ds).head == 3
    with boa.reverts("only publisher"):
        relayed(
            relay_hub, registry, accounts.stranger, "publish", DATASET, 20261113, digest_of("d")
        )
    with boa.env.prank(accounts.publisher):  # a direct transaction still works
        assert registry.publish(DATASET, 20261113, digest_of("d")) is True

    relayed(relay_hub, registry, accounts.publisher, "propose_publisher", accounts.successor)
    with boa.reverts("only proposed publisher"):
        relayed(relay_hub, registry, accounts.stranger, "accept_publisher")
    relayed(relay_hub, registry, accounts.successor, "accept_publisher")
    assert registry.publisher() == accounts.successor
    with boa.reverts("only publisher"):
        relayed(
            relay_hub, registry, accounts.publisher, "publish", DATASET, 20261114, digest_of("e")
        )
    relayed(relay_hub, registry, accounts.successor, "publish", DATASET, 20261114, digest_of("e"))
    assert registry.dataset_info(ds).head == 5


def test_the_forwarder_is_set_by_the_publisher_and_can_be_removed(
    relay_hub: Any, registry: Any, accounts: Accounts
) -> None:
    with boa.reverts("only publisher"):
        relayed(
            relay_hub, registry, accounts.publisher, "publish", DATASET, 20261110, digest_of("a")
        )
    with boa.env.prank(accounts.publisher):
        with boa.reverts("publisher is forwarder"):
            registry.set_forwarder(accounts.publisher)
        registry.propose_publisher(accounts.successor)
        with boa.reverts("proposed is forwarder"):
            registry.set_forwarder(accounts.successor)
        registry.cancel_publisher_proposal()
        registry.set_forwarder(relay_hub.address)
        [changed] = registry.get_logs()
        assert (changed.previous, changed.forwarder) == (ZERO_ADDRESS, relay_hub.address)
        with boa.reverts("proposed is forwarder"):
            registry.propose_publisher(relay_hub.address)
    relayed(relay_hub, registry, accounts.publisher, "publish", DATASET, 20261110, digest_of("a"))
    relayed(relay_hub, registry, accounts.publisher, "set_forwarder", ZERO_ADDRESS)
    assert registry.forwarder() == ZERO_ADDRESS
    with boa.reverts("only publisher"):
        relayed(
            relay_hub, registry, accounts.publisher, "publish", DATASET, 20261111, digest_of("b")
        )
    assert registry.dataset_info(dataset_id(DATASET)).head == 1


def test_a_deployment_relayed_with_appended_node_and_expiration_words(accounts: Accounts) -> None:
    artifact = json.loads(PUBLICATION_LOG.artifact_path.read_bytes())
    hub = boa.env.generate_address("relay hub")
    initcode = (
        bytes.fromhex(artifact["bytecode"].removeprefix("0x"))
        + encode(["address", "address"], [accounts.publisher, hub])
        + encode(["address", "uint256"], [accounts.stranger, NOW + 60])
    )
    address, _ = boa.env.deploy_code(sender=hub, bytecode=initcode)
    registry = DEPLOYER.at(address)
    assert (registry.publisher(), registry.forwarder()) == (accounts.publisher, hub)


# --------------------------------------------------------------------------- fuzzing

# Inputs are drawn mostly valid (so the log grows) with invalid ones mixed in: callers 3-9
# mean "whoever is the publisher now", 1 name in 8 is empty, 1 day in 8 is invalid or has
# not begun, 1 digest in 13 is zero. Beside those, any text as a dataset name (1 in 4; cut to
# the 64 UTF-8 bytes a String[64] holds), any uint32 as a day (1 in 8: most are invalid, and
# one invalid day reverts a whole batch) and any 32 bytes as a digest (1 in 4).


def mostly(usual: st.SearchStrategy[Any], anything: st.SearchStrategy[Any], one_in: int) -> Any:
    """``usual``, and ``anything`` once in ``one_in`` draws."""
    return st.integers(1, one_in).flatmap(lambda n: anything if n == 1 else usual)


FUZZ_NAMES = mostly(
    st.sampled_from([DATASET] * 4 + [OTHER] * 3 + [""]),
    st.text(max_size=64).map(lambda name: name.encode()[:64].decode("utf-8", "ignore")),
    4,
)
FUZZ_CALLERS = st.integers(0, 9)
# Leap-year edges and a cluster of nearby days, so corrections and late days are frequent.
FUZZ_VALID_DAYS = [
    *days_from(dt.date(2024, 2, 26), 6),
    20000101,
    20261201,
    20261202,
]
# Invalid, or not begun yet (21000228 becomes publishable after the fuzzer travels in time).
FUZZ_BAD_DAYS = [*INVALID_DAYS, 0, 20261203, 21000228, 21991231, 21000229]
FUZZ_DAYS = mostly(
    st.sampled_from(FUZZ_VALID_DAYS * 7 + FUZZ_BAD_DAYS), st.integers(0, 2**32 - 1), 8
)
FUZZ_DIGESTS = mostly(
    st.sampled_from([digest_of("a"), digest_of("b"), digest_of("c")] * 4 + [ZERO32]),
    st.binary(min_size=32, max_size=32),
    4,
)
# A call from a forwarder that is not a relay hub (an account without code) reverts in the
# getMsgSender() staticcall, with no reason string.
NO_REASON = ""


@dataclass
class ModelEntry:
    day: int
    kind: int
    digest: bytes
    supersedes: int


@dataclass
class ModelLog:
    """What the registry should hold for one dataset."""

    entries: list[ModelEntry] = field(default_factory=list)
    latest_of_day: dict[int, int] = field(default_factory=dict)
    count_of_day: dict[int, int] = field(default_factory=dict)

    @property
    def latest_day(self) -> int:
        return max(self.latest_of_day, default=0)

    def copy(self) -> ModelLog:
        return ModelLog(list(self.entries), dict(self.latest_of_day), dict(self.count_of_day))

    def publish(self, day: int, digest: bytes, now: int) -> bool:
        """Apply one publication or raise ValueError(revert reason)."""
        if python_day(day) is None:
            raise ValueError("invalid day")
        if day_start(day) > now + 86_400:
            raise ValueError("future day")
        if digest == ZERO32:
            raise ValueError("empty digest")
        superseded = self.latest_of_day.get(day, 0)
        if superseded:
            if self.entries[superseded - 1].digest == digest:
                return False
            kind = CORRECTION
        else:
            kind = LATE if day < self.latest_day else FIRST
        self.entries.append(ModelEntry(day, kind, digest, superseded))
        self.latest_of_day[day] = len(self.entries)
        self.count_of_day[day] = self.count_of_day.get(day, 0) + 1
        return True


class PublicationLogMachine(RuleBasedStateMachine):
    """Random calls by random callers; the registry must always equal a Python model."""

    def __init__(self) -> None:
        super().__init__()
        self.callers = [boa.env.generate_address(f"caller {i}") for i in range(3)]
        self.logs: dict[str, ModelLog] = {}
        self.checked: dict[str, int] = {}
        self.touched: set[tuple[str, int]] = set()
        self.publisher = self.callers[0]
        self.pending: Any = ZERO_ADDRESS
        self.forwarder: Any = ZERO_ADDRESS
        self.relay_sender: Any = ZERO_ADDRESS  # the hub's getMsgSender() after its last relay
        self.reverts = 0
        self.writes = 0

    @initialize()
    def deploy(self) -> None:
        forget_storage_traces()
        boa.env.timestamp = NOW
        self.registry = DEPLOYER.deploy(self.publisher, ZERO_ADDRESS)
        self.hub = RELAY_HUB.deploy()

    def sender(self, caller: int) -> Any:
        return self.callers[caller] if caller < 3 else self.publisher

    def denied(self, sender: Any, account: Any, reason: str) -> str | None:
        """The contract's ``_sent_by(account)``: None if ``sender`` acts for ``account``."""
        if sender == account:
            return None
        if self.forwarder == ZERO_ADDRESS or sender != self.forwarder:
            return reason
        if sender != self.hub.address:
            return NO_REASON
        return None if self.relay_sender == account else reason

    def expect(self, reason: str | None, call: Any) -> Any:
        """Run ``call``; it must revert with ``reason`` (None: must succeed)."""
        if reason is None:
            self.writes += 1
            return call()
        self.reverts += 1
        if reason == NO_REASON:
            FUZZ_STATS["no_reason"] += 1
            with pytest.raises(BoaError) as raised:
                call()
            assert raised.value.stack_trace[-1].vm_error.args[0] == b"", raised.value
            return None
        with boa.reverts(reason):
            call()
        return None

    def attempt(
        self, sender: Any, name: str, items: list[tuple[int, bytes]], lengths_match: bool = True
    ) -> tuple[str | None, ModelLog, int]:
        """Expected (revert reason, model after, entries added) of publishing ``items``."""
        trial = self.logs.get(name, ModelLog()).copy()
        denied = self.denied(sender, self.publisher, "only publisher")
        if denied is not None:
            return denied, trial, 0
        if not name:
            return "empty dataset", trial, 0
        if not lengths_match:
            return "length mismatch", trial, 0
        try:
            added = sum(trial.publish(day, digest, boa.env.timestamp) for day, digest in items)
        except ValueError as error:
            return str(error), trial, 0
        return None, trial, added

    def commit(self, name: str, trial: ModelLog, items: list[tuple[int, bytes]]) -> None:
        if trial.entries:
            self.logs[name] = trial
        self.touched.update((name, day) for day, _ in items)

    @rule(caller=FUZZ_CALLERS, name=FUZZ_NAMES, day=FUZZ_DAYS, digest=FUZZ_DIGESTS)
    def publish(self, caller: int, name: str, day: int, digest: bytes) -> None:
        sender = self.sender(caller)
        reason, trial, added = self.attempt(sender, name, [(day, digest)])
        with boa.env.prank(sender):
            result = self.expect(reason, lambda: self.registry.publish(name, day, digest))
        if reason is None:
            assert result is bool(added)
            self.commit(name, trial, [(day, digest)])

    @rule(caller=FUZZ_CALLERS, name=FUZZ_NAMES, day=FUZZ_DAYS, digest=FUZZ_DIGESTS)
    def relay_publish(self, caller: int, name: str, day: int, digest: bytes) -> None:
        """A publication relayed by the hub as if signed by ``caller``: it acts for the
        publisher only while the hub is the forwarder."""
        signer = self.sender(caller)
        # The hub records the signer before it calls; a revert undoes that too.
        previous, self.relay_sender = self.relay_sender, signer
        reason, trial, _ = self.attempt(self.hub.address, name, [(day, digest)])
        data = self.registry.publish.prepare_calldata(name, day, digest)
        with boa.env.prank(boa.env.generate_address("writer node")):
            self.expect(reason, lambda: self.hub.relay(self.registry.address, data, signer))
        if reason is None:
            self.commit(name, trial, [(day, digest)])
            FUZZ_STATS["relayed"] += 1
        else:
            self.relay_sender = previous

    @rule(
        caller=FUZZ_CALLERS,
        name=FUZZ_NAMES,
        items=st.lists(st.tuples(FUZZ_DAYS, FUZZ_DIGESTS), max_size=6),
        drop_digest=st.integers(0, 9).map(lambda n: n == 0),
    )
    def publish_batch(
        self, caller: int, name: str, items: list[tuple[int, bytes]], drop_digest: bool
    ) -> None:
        sender = self.sender(caller)
        days = [day for day, _ in items]
        digests = [digest for _, digest in items]
        if drop_digest and digests:
            digests.pop()
        reason, trial, added = self.attempt(sender, name, items, len(days) == len(digests))
        with boa.env.prank(sender):
            result = self.expect(reason, lambda: self.registry.publish_batch(name, days, digests))
        if reason is None:
            assert result == added
            self.commit(name, trial, items)

    @rule(
        action=st.sampled_from(["propose", "propose", "accept", "cancel"]),
        caller=FUZZ_CALLERS,
        proposed=st.integers(-1, 2),
    )
    def rotate_publisher(self, action: str, caller: int, proposed: int) -> None:
        """One step of a rotation; for "accept", callers 3-9 mean the proposed account."""
        target = ZERO_ADDRESS if proposed < 0 else self.callers[proposed]
        sender = self.sender(caller)
        reason = None
        if action == "accept":
            if caller >= 3 and self.pending != ZERO_ADDRESS:
                sender = self.pending
            if self.pending == ZERO_ADDRESS:
                reason = "no proposal"
            else:
                reason = self.denied(sender, self.pending, "only proposed publisher")
            call = self.registry.accept_publisher
        elif action == "cancel":
            reason = self.denied(sender, self.publisher, "only publisher")
            if reason is None and self.pending == ZERO_ADDRESS:
                reason = "no proposal"
            call = self.registry.cancel_publisher_proposal
        else:
            reason = self.denied(sender, self.publisher, "only publisher")
            if reason is None:
                if target == ZERO_ADDRESS:
                    reason = "zero address"
                elif target == self.publisher:
                    reason = "already publisher"
                elif target == self.forwarder:
                    reason = "proposed is forwarder"

            def call() -> None:
                self.registry.propose_publisher(target)

        with boa.env.prank(sender):
            self.expect(reason, call)
        if reason is None:
            if action == "accept":
                self.publisher = sender
            self.pending = target if action == "propose" else ZERO_ADDRESS
        assert self.registry.publisher() == self.publisher
        assert self.registry.pending_publisher() == self.pending

    @rule(caller=FUZZ_CALLERS, choice=st.sampled_from([-2, -2, -2, -1, 0, 1, 2]))
    def set_forwarder(self, caller: int, choice: int) -> None:
        """The publisher sets the relay hub (-2), clears it (-1) or names an account (0-2,
        maybe the publisher or the proposed one, which the contract refuses)."""
        forwarder = {-2: self.hub.address, -1: ZERO_ADDRESS}.get(choice)
        if forwarder is None:
            forwarder = self.callers[choice]
        sender = self.sender(caller)
        reason = self.denied(sender, self.publisher, "only publisher")
        if reason is None:
            if forwarder == self.publisher:
                reason = "publisher is forwarder"
            elif forwarder != ZERO_ADDRESS and forwarder == self.pending:
                reason = "proposed is forwarder"
        with boa.env.prank(sender):
            self.expect(reason, lambda: self.registry.set_forwarder(forwarder))
        if reason is None:
            self.forwarder = forwarder
            FUZZ_STATS["forwarders"] += 1
        assert self.registry.forwarder() == self.forwarder

    @precondition(lambda self: boa.env.timestamp < NOW + 200 * 365 * 86_400)
    @rule(years=st.integers(0, 80))
    def travel_in_time(self, years: int) -> None:
        boa.env.time_travel(seconds=years * 365 * 86_400 + 3_600)

    def check_entry(self, name: str, seq: int) -> None:
        expected = self.logs[name].entries[seq - 1]
        assert entry_tuple(self.registry.get_entry(dataset_id(name), seq)) == (
            seq,
            seq - 1,
            expected.day,
            expected.kind,
            expected.digest,
            expected.supersedes,
        )

    def check_day(self, name: str, day: int) -> None:
        model = self.logs.get(name, ModelLog())
        entry, count = self.registry.latest_entry(dataset_id(name), day)
        latest = model.latest_of_day.get(day, 0)
        assert (entry.seq, count) == (latest, model.count_of_day.get(day, 0))
        assert latest == max((s for s, e in enumerate(model.entries, 1) if e.day == day), default=0)

    @invariant()
    def registry_matches_the_model(self) -> None:
        """Cheap per-step check: roles, heads, counts, and what the last step may have changed."""
        assert self.registry.publisher() == self.publisher
        assert self.registry.pending_publisher() == self.pending
        assert self.registry.forwarder() == self.forwarder
        assert self.forwarder != self.publisher  # the contract never lets them coincide
        assert self.hub.getMsgSender() == self.relay_sender
        for name, model in self.logs.items():
            head = len(model.entries)
            info = self.registry.dataset_info(dataset_id(name))
            assert (info.head, info.entries) == (head, head)
            assert (info.days, info.latest_day) == (len(model.latest_of_day), model.latest_day)
            assert sum(model.count_of_day.values()) == head
            for seq in range(self.checked.get(name, 0) + 1, head + 1):
                self.check_entry(name, seq)
            self.checked[name] = head
        for name, day in self.touched:
            self.check_day(name, day)
        self.touched.clear()

    def teardown(self) -> None:
        """Every entry and day equals the model, and a valid new day is still accepted."""
        if not hasattr(self, "registry"):
            return
        for name, model in self.logs.items():
            for seq in range(1, len(model.entries) + 1):
                self.check_entry(name, seq)
            assert self.registry.get_entry(dataset_id(name), len(model.entries) + 1).seq == 0
            for day in model.latest_of_day:
                self.check_day(name, day)
        fresh_day = 20150615
        for name in [DATASET, OTHER, "nuevo"]:
            model = self.logs.get(name, ModelLog())
            kind = LATE if fresh_day < model.latest_day else FIRST
            with boa.env.prank(self.publisher):
                assert self.registry.publish(name, fresh_day, digest_of("fresh")) is True
            entry, count = self.registry.latest_entry(dataset_id(name), fresh_day)
            assert (entry.seq, entry.kind, count) == (len(model.entries) + 1, kind, 1)
        FUZZ_STATS["examples"] += 1
        FUZZ_STATS["writes"] += self.writes
        FUZZ_STATS["reverts"] += self.reverts
        FUZZ_STATS["entries"] += sum(len(model.entries) for model in self.logs.values())


FUZZ_STATS = dict.fromkeys(
    ["examples", "writes", "reverts", "entries", "forwarders", "relayed", "no_reason"], 0
)
# 50 sequences of up to 30 steps (every rule drawn: days, names, digests, batches, rotation,
# set_forwarder, relayed publish, time travel): ~17 s on the 2-core CI machine (was ~110 s
# before the storage traces were reset per sequence, with no fewer calls).
FUZZ_EXAMPLES = 50
FUZZ_STEPS = 30


def test_fuzzed_call_sequences_never_break_the_registry() -> None:
    machine_test = PublicationLogMachine.TestCase
    machine_test.settings = settings(
        max_examples=FUZZ_EXAMPLES,
        stateful_step_count=FUZZ_STEPS,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        # A fixed seed: the coverage asserted below (e.g. a relayed write accepted) must not
        # depend on the draw; a random seed left it unmet about once in many runs.
        derandomize=True,
    )
    for key in FUZZ_STATS:
        FUZZ_STATS[key] = 0
    machine_test("runTest").runTest()
    print(
        f"\nfuzz: {FUZZ_STATS['examples']} call sequences of up to {FUZZ_STEPS} steps, "
        f"{FUZZ_STATS['writes']} accepted writes, {FUZZ_STATS['reverts']} expected reverts, "
        f"{FUZZ_STATS['entries']} entries checked against the model; "
        f"{FUZZ_STATS['forwarders']} forwarder changes, {FUZZ_STATS['relayed']} relayed writes, "
        f"{FUZZ_STATS['no_reason']} calls from a forwarder without code"
    )
    assert FUZZ_STATS["examples"] >= FUZZ_EXAMPLES // 2
    assert FUZZ_STATS["writes"] > 0 and FUZZ_STATS["reverts"] > 0
    assert FUZZ_STATS["entries"] > FUZZ_EXAMPLES
    assert FUZZ_STATS["forwarders"] > 0 and FUZZ_STATS["relayed"] > 0


# --------------------------------------------------------------------------- real node


@pytest.mark.chain
def test_the_artifact_runs_on_a_real_anvil_with_the_paris_evm() -> None:
    from vyper.compiler import compile_code
    from vyper.compiler.settings import Settings
    from web3 import HTTPProvider, Web3

    from integrity.devchain import AnvilProcess, find_anvil_bin

    artifact = json.loads(PUBLICATION_LOG.artifact_path.read_bytes())
    with tempfile.TemporaryDirectory(prefix="publication-log-anvil-") as tmp:
        anvil = AnvilProcess(find_anvil_bin(), ["--hardfork", "paris"], Path(tmp))
        try:
            w3 = Web3(HTTPProvider(anvil.start(), request_kwargs={"timeout": 60}))
            publisher, stranger = list(w3.eth.accounts)[:2]

            def deploy(abi: Any, bytecode: str) -> Any:
                factory = w3.eth.contract(abi=abi, bytecode=bytecode)
                tx = factory.constructor(publisher, ZERO_ADDRESS).transact(
                    {"from": publisher, "gas": 3_000_000}
                )
                return w3.eth.wait_for_transaction_receipt(tx)

            # The node really is paris: the same source built for shanghai (PUSH0) fails.
            shanghai = compile_code(
                PUBLICATION_LOG.source_path.read_text().replace("# pragma evm-version paris\n", ""),
                output_formats=["abi", "bytecode"],
                settings=Settings(evm_version="shanghai"),
            )
            failed = deploy(shanghai["abi"], shanghai["bytecode"])
            assert (failed["status"], failed["gasUsed"]) == (0, 3_000_000)  # invalid opcode

            receipt = deploy(artifact["abi"], artifact["bytecode"])
            assert receipt["status"] == 1
            address = receipt["contractAddress"]
            code = bytes(w3.eth.get_code(address))
            assert code == bytes.fromhex(artifact["bytecode_runtime"].removeprefix("0x"))
            registry = w3.eth.contract(address=address, abi=artifact["abi"])

            def send(call: Any, sender: str = publisher) -> Any:
                return w3.eth.wait_for_transaction_receipt(
                    call.transact({"from": sender, "gas": 12_000_000})
                )

            today = dt.datetime.fromtimestamp(w3.eth.get_block("latest")["timestamp"], dt.UTC)
            days = days_from(today.date() - dt.timedelta(days=10), 4)
            first = send(registry.functions.publish(DATASET, days[3], digest_of("last")))
            assert first["status"] == 1
            batch = send(
                registry.functions.publish_batch(
                    DATASET, days[:3], [digest_of(str(day)) for day in days[:3]]
                )
            )
            assert batch["status"] == 1
            published = registry.events.Published().process_receipt(batch)
            assert [(event.args.day, event.args.kind) for event in published] == [
                (day, LATE) for day in days[:3]
            ]
            assert send(registry.functions.publish(DATASET, days[0], digest_of("fix")))["status"]
            assert (
                send(registry.functions.publish(DATASET, days[1], digest_of("x")), stranger)[
                    "status"
                ]
                == 0
            )

            ds = dataset_id(DATASET)
            head, entries, day_count, latest_day = registry.functions.dataset_info(ds).call()
            assert (head, entries, day_count, latest_day) == (5, 5, 4, days[3])
            latest, count = registry.functions.latest_entry(ds, days[0]).call()
            seq, previous, day, kind, digest, supersedes, block_number, timestamp = latest
            assert (seq, previous, day, kind, bytes(digest), supersedes, count) == (
                5,
                4,
                days[0],
                CORRECTION,
                digest_of("fix"),
                2,
                2,
            )
            assert block_number > batch["blockNumber"] and timestamp > 0
            assert registry.functions.get_entry(ds, 1).call()[2] == days[3]
            print(
                f"\nanvil (paris): publish {first['gasUsed']:,} gas, batch of 3 {batch['gasUsed']:,}"
            )
        finally:
            anvil.stop()
