"""Gas used by every PublicationLog operation, measured on a real anvil running the paris EVM,
and what anchoring published days through the anchor journal costs per day.

    .venv/bin/python benchmarks/registry_gas.py    # prints the tables used in docs/registry.md

Every figure is ``gasUsed`` from a mined transaction receipt (intrinsic 21,000 and calldata
included) of the committed artifact ``integrity/contracts/publication_log.json``. Gas is
deterministic for a given state, so one run is enough; nothing here is asserted by the tests.
The second table goes through ``publication.anchoring.anchor_days`` (journal, registry reads,
explicit nonce, ``publish_batch``) with a key generated for the run; its fees are anvil's
(base fee near 1 gwei), so only the gas column carries over to another chain: multiply it by
that chain's gas price.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from web3 import HTTPProvider, Web3

from integrity.contracts.build import PUBLICATION_LOG
from integrity.devchain import AnvilProcess, find_anvil_bin

ZERO_ADDRESS = "0x" + "00" * 20


def digest_of(text: str) -> bytes:
    """A stand-in manifest digest."""
    return hashlib.sha256(text.encode()).digest()


def day_numbers(start: dt.date, count: int) -> list[int]:
    """``count`` consecutive YYYYMMDD days from ``start``."""
    days = (start + dt.timedelta(days=offset) for offset in range(count))
    return [day.year * 10_000 + day.month * 100 + day.day for day in days]


def measure(w3: Web3) -> list[tuple[str, int, str]]:
    """Run every operation once on a fresh deployment; return (operation, gas, note) rows."""
    artifact = json.loads(PUBLICATION_LOG.artifact_path.read_bytes())
    publisher, successor, relay_hub = list(w3.eth.accounts)[:3]
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    deploy = w3.eth.wait_for_transaction_receipt(
        factory.constructor(publisher, ZERO_ADDRESS).transact({"from": publisher})
    )
    log = w3.eth.contract(address=deploy["contractAddress"], abi=artifact["abi"])
    rows: list[tuple[str, int, str]] = [("deploy", deploy["gasUsed"], "")]

    def gas(call: Any, sender: str = publisher) -> int:
        receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
        assert receipt["status"] == 1
        return int(receipt["gasUsed"])

    def row(name: str, call: Any, note: str = "", sender: str = publisher) -> None:
        rows.append((name, gas(call, sender), note))

    ocam = "perucompras-ocam"
    publish: Callable[..., Any] = log.functions.publish
    row("publish: first entry of a new dataset", publish(ocam, 20241110, digest_of("a")))
    row("publish: next day (kind 1, first publication)", publish(ocam, 20241112, digest_of("b")))
    row("publish: later day (kind 1)", publish(ocam, 20241113, digest_of("c")))
    row("publish: late day (kind 2, late publication)", publish(ocam, 20241111, digest_of("d")))
    row("publish: correction (kind 3)", publish(ocam, 20241112, digest_of("b2")))
    row("publish: second correction of the same day", publish(ocam, 20241112, digest_of("b3")))
    row(
        "publish: identical retry (no-op, returns False)",
        publish(ocam, 20241112, digest_of("b3")),
        "no event",
    )
    for size, start in (
        (1, dt.date(2025, 1, 1)),
        (10, dt.date(2025, 2, 1)),
        (100, dt.date(2025, 3, 1)),
    ):
        days = day_numbers(start, size)
        digests = [digest_of(f"batch-{day}") for day in days]
        used = gas(log.functions.publish_batch(ocam, days, digests))
        label = f"publish_batch: {size} new day{'s' if size > 1 else ''}"
        rows.append((label, used, f"{used / size:,.0f} gas per day"))
        if size == 100:
            retry = gas(log.functions.publish_batch(ocam, days, digests))
            rows.append(("publish_batch: the same 100 days again (all no-ops)", retry, "no events"))
    days = day_numbers(dt.date(2025, 7, 1), 128)
    used = gas(log.functions.publish_batch(ocam, days, [digest_of(f"max-{day}") for day in days]))
    rows.append(("publish_batch: 128 new days (MAX_BATCH)", used, f"{used / 128:,.0f} gas per day"))
    row("propose_publisher", log.functions.propose_publisher(successor))
    row("cancel_publisher_proposal", log.functions.cancel_publisher_proposal())
    gas(log.functions.propose_publisher(successor))
    row(
        "accept_publisher (by the proposed account)",
        log.functions.accept_publisher(),
        "",
        successor,
    )
    row("set_forwarder", log.functions.set_forwarder(relay_hub), "", successor)
    return rows


def journal_rows(w3: Web3, rpc_url: str, work: Path) -> list[tuple[str, int, str]]:
    """Anchor 1, 10 and 100 published days through the journal; gas of each transaction."""
    from eth_account import Account

    from integrity.chain import PublicationLogClient, deploy_registry, wei_to_unit
    from integrity.verify.trust import Finality
    from publication.anchoring import ChainSession, anchor_days
    from publication.state import StateStore, store_path

    account = Account.create()
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])  # type: ignore[arg-type]
    deployment = deploy_registry(w3, account)
    finality = Finality(tag="latest")
    pin = deployment.pin(
        name="benchmark",
        kind="test",
        dataset=DATASET,
        network="anvil",
        rpc=[rpc_url],
        finality=finality,
    )
    client = PublicationLogClient(w3, deployment.contract, account, finality=finality)
    session = ChainSession(client, pin, dev_chain=False)
    root = work / "datasets"
    rows: list[tuple[str, int, str]] = []
    start = dt.date(2024, 1, 1)
    with StateStore(store_path(root)) as store:
        for size in (1, 10, 100):
            days = [start + dt.timedelta(days=offset) for offset in range(size)]
            start += dt.timedelta(days=size)
            for day in days:
                write_small_day(root, day)
            records = anchor_days(root, DATASET, days, session, store)
            assert {r["status"] for r in records} == {"anclado"}
            assert len({r["txHash"] for r in records}) == 1
            gas, fee = int(records[0]["gasUsed"]), int(records[0]["feeWei"])
            label = f"journal: {size} new day{'s' if size > 1 else ''} (one transaction)"
            note = (
                f"{gas / size:,.0f} gas per day; anvil fee {wei_to_unit(fee // size)} ETH per day"
            )
            rows.append((label, gas, note))
    return rows


DATASET = "perucompras-ocam"


def write_small_day(root: Path, day: dt.date) -> None:
    """A one-release published day (the anchor cost does not depend on the day's size)."""
    import pyarrow as pa

    from integrity.canonical import canonical_bytes
    from integrity.keys import anchor_key
    from perucompras.reader import QUARANTINE_SCHEMA
    from publication.writer import DayContent, write_day

    release = {"ocid": f"ocds-213czf-{day}", "id": f"{day}-1", "date": f"{day}T10:00:00-05:00"}
    content = DayContent(
        dataset=DATASET,
        day=day,
        cutoff=f"{day}T23:59:59-05:00",
        ocid_prefix="ocds-213czf",
        publisher={"name": "benchmark"},
        package={"uri": "https://example.org", "version": "1.1"},
        release_lines=[canonical_bytes(release)],
        orders=pa.table({"order_number": [f"{day}"]}),
        quarantine=QUARANTINE_SCHEMA.empty_table(),
        sources=[],
        counts={"releases": 1},
    )
    write_day(root, content, anchor_key_hex=anchor_key(DATASET, day).hex())


def markdown(rows: list[tuple[str, int, str]]) -> str:
    """Render the rows as a markdown table."""
    lines = ["| operation | gas used | note |", "|---|---:|---|"]
    lines += [f"| {name} | {used:,} | {note} |" for name, used, note in rows]
    return "\n".join(lines)


def main() -> int:
    """Start anvil (paris), measure, print the tables, stop anvil."""
    with tempfile.TemporaryDirectory(prefix="registry-gas-") as tmp:
        anvil = AnvilProcess(find_anvil_bin(), ["--hardfork", "paris"], Path(tmp))
        try:
            rpc_url = anvil.start()
            w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))
            print(markdown(measure(w3)))
            print()
            print(markdown(journal_rows(w3, rpc_url, Path(tmp))))
        finally:
            anvil.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
