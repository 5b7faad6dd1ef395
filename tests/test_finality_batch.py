"""Finality reads in one JSON-RPC batch (issue 15) on a real anvil: the batched answers are
the single calls' answers, a pass of ``wait_finality`` asks one batch whatever the number of
days, and a node that refuses batches (an error object, an HTTP error) is read one call at a
time with the same journal rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.chain_helpers import DATASET, Node, anchor_published, new_key, publish_day

from integrity.chain import (
    AnchorFailed,
    PublicationLogClient,
    connect,
    deploy_registry,
    load_account,
    suggest_fees,
)
from integrity.verify.trust import Finality
from publication.anchoring import ChainSession, _Driver, check_session
from publication.state import StateStore, store_path

pytestmark = pytest.mark.chain

DAYS = [dt.date(2026, 3, day) for day in range(2, 8)]
DEAD_RPC = "http://127.0.0.1:9"
LATEST = Finality(tag="latest")
# What signing a new transaction asks, in one batch (the pending nonce, the gas estimate,
# the latest block's base fee, the tip, and the gas price of chains without a base fee).
SIGNING = [
    "eth_getTransactionCount",
    "eth_estimateGas",
    "eth_getBlockByNumber",
    "eth_maxPriorityFeePerGas",
    "eth_gasPrice",
]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    started = Node(tmp_path_factory.mktemp("node")).start()
    yield started
    started.stop()


class Counting:
    """Counts what the endpoints behind a client (``connect``: failover) are asked: single
    requests by method, and batches (web3 keeps its own reference to the outer provider's
    methods, so the endpoints' own providers are the ones watched)."""

    def __init__(self, client: PublicationLogClient, url: str) -> None:
        self.single: Counter[str] = Counter()
        self.batches: list[list[str]] = []
        for endpoint, provider in client.w3.provider.providers:  # type: ignore[attr-defined]
            if endpoint == url:
                self.watch(provider)

    def watch(self, provider: Any) -> None:
        make_request, make_batch = provider.make_request, provider.make_batch_request

        def request(method: Any, params: Any) -> Any:
            self.single[str(method)] += 1
            return make_request(method, params)

        def batch(requests: Any) -> Any:
            self.batches.append([str(method) for method, _ in requests])
            return make_batch(requests)

        provider.make_request = request
        provider.make_batch_request = batch


def session_on(node: Node, rpc_urls: list[str]) -> ChainSession:
    """A fresh registry on ``node`` (a new publisher key), read through ``rpc_urls``."""
    key, address = new_key()
    node.fund(address)
    account = load_account(private_key=key)
    assert account is not None
    deployment = deploy_registry(node.web3(), account)
    pin = deployment.pin(
        name="prueba",
        kind="test",
        dataset=DATASET,
        network="anvil-1337",
        rpc=[node.url],
        finality=LATEST,
    )
    client = PublicationLogClient(
        connect(rpc_urls), deployment.contract, account, finality=LATEST, poll_interval=0.2
    )
    return ChainSession(client, pin, dev_chain=False)


def rows_of(root: Path) -> list[dict[str, Any]]:
    with StateStore(store_path(root)) as store:
        return [
            {k: v for k, v in dataclasses.asdict(row).items() if k != "updated_at"}
            for row in store.anchor_rows(DATASET)
        ]


def test_batched_reads_are_the_single_calls(node: Node) -> None:
    session = session_on(node, [node.url])
    client = session.client
    digests = [bytes([i + 1]) * 32 for i in range(4)]
    (first,) = client.publish_batch(DATASET, list(zip(DAYS[:4], digests, strict=True)))
    (correction,) = client.publish_batch(DATASET, [(DAYS[1], b"\x09" * 32)])  # a 2nd entry
    head = client.final_block_number()
    days = [*DAYS[:4], DAYS[5]]  # the last one never published
    blocks = [first.block_number, correction.block_number, head + 1000]  # the last: no block
    counting = Counting(client, node.url)

    hashes, entries = client.finality_reads(DATASET, days, blocks, head)

    assert counting.batches == [["eth_getBlockByNumber"] * 3 + ["eth_call"] * 5]
    assert not counting.single
    assert hashes == {number: client.block_hash(number) for number in blocks}
    assert hashes[head + 1000] is None and hashes[first.block_number] == first.block_hash
    assert entries == {day: client.latest_entry(DATASET, day, head) for day in days}
    assert entries[DAYS[1]].count == 2 and entries[DAYS[1]].latest is not None
    assert entries[DAYS[1]].latest.digest == b"\x09" * 32 and entries[DAYS[1]].latest.kind == 3
    assert entries[DAYS[5]].latest is None and entries[DAYS[5]].count == 0
    assert entries[DAYS[0]] != client.latest_entry(DATASET, DAYS[0], first.block_number - 1)
    # Below the deployment the registry has no code: left to the single call, which knows.
    _, early = client.finality_reads(DATASET, days, [], 0)
    assert early == {}
    assert client.latest_entry(DATASET, DAYS[0], 0).latest is None
    assert client.batching


def test_nonce_and_fees_in_one_batch_are_the_single_calls(node: Node) -> None:
    session = session_on(node, [node.url])
    client = session.client
    items = list(zip(DAYS[:2], [b"\x01" * 32, b"\x02" * 32], strict=True))
    client.max_batch_size()  # read once per client (and the endpoint's chain id with it)
    counting = Counting(client, node.url)

    signed = client.sign_publication(DATASET, items, nonce=None)

    assert counting.batches == [SIGNING] and not counting.single
    call = {
        "from": client.require_account().address,
        "to": client.address,
        "data": client.publish_data(DATASET, items),
    }
    estimate = int(client.w3.eth.estimate_gas(call))  # type: ignore[arg-type]
    assert signed.nonce == client.pending_nonce()
    assert signed.fees == suggest_fees(client.w3, estimate)  # anvil: a steady base fee
    # Given a nonce, only the fees are asked; given both, nothing.
    counting.batches.clear()
    again = client.sign_publication(DATASET, items, nonce=signed.nonce)
    assert counting.batches == [SIGNING[1:]] and again.raw == signed.raw
    counting.batches.clear()
    counting.single.clear()
    client.sign_publication(DATASET, items, nonce=7, fees=signed.fees)
    assert not counting.batches and not counting.single
    # A publication the registry would refuse (a future day) is still refused before signing.
    with pytest.raises(AnchorFailed, match=r"would reject.*future day"):
        client.sign_publication(DATASET, [(dt.date(2099, 1, 1), b"\x03" * 32)], nonce=None)
    assert client.batching


def test_a_pass_reads_every_day_in_one_batch_with_the_single_calls_rows(
    tmp_path: Path, node: Node
) -> None:
    root = tmp_path / "datasets"
    for day in DAYS:
        publish_day(root, day, 2)
    session = session_on(node, [node.url])
    counting = Counting(session.client, node.url)
    records = anchor_published(root, DAYS, session)
    assert [record["status"] for record in records] == ["anclado"] * len(DAYS)
    # Two batches: the nonce, gas estimate and fees of the transaction; then the
    # transaction's block and each day's entry at the final block.
    assert counting.batches == [SIGNING, ["eth_getBlockByNumber"] + ["eth_call"] * len(DAYS)]
    # Single calls: publisher, dataset_info, MAX_BATCH (read once): none per day.
    assert counting.single["eth_call"] == 3
    assert not set(counting.single) & set(SIGNING[:2] + SIGNING[3:])
    assert counting.single["eth_getBlockByNumber"] == 1  # the final block's number
    # The registry's code is read once: it cannot change (no self-destruct); its publisher
    # can (a rotation), so it is asked at every anchoring.
    check_session(session, DATASET)
    assert (counting.single["eth_getCode"], counting.single["eth_call"]) == (1, 4)
    batched = rows_of(root)
    assert {row["state"] for row in batched} == {"FINAL"}

    # The same rows made FINAL again one call at a time (a node that takes no batches).
    with StateStore(store_path(root)) as store:
        rows = store.anchor_rows(DATASET)
        for row in rows:
            row.state, row.seq, row.kind, row.entries = "INCLUDED", None, None, None
        store.save_anchor_rows(rows)
        session.client.batching = False
        counting.single.clear()
        _Driver(session, store, DATASET, rows).wait_finality()
    assert counting.single["eth_call"] == len(DAYS)
    assert len(counting.batches) == 2  # the two above, none since
    assert rows_of(root) == batched


class _Refusing(http.server.BaseHTTPRequestHandler):
    """A node that answers single requests (forwarded to anvil) and refuses batches."""

    upstream = ""
    refusal = "error-object"
    batches = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        status, answer = 200, b""
        if body.lstrip().startswith(b"["):
            type(self).batches += 1
            if self.refusal == "http-error":
                status, answer = 405, b"batch requests are not allowed"
            else:
                answer = (
                    b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,'
                    b'"message":"batch requests are not supported"}}'
                )
        else:
            request = urllib.request.Request(
                self.upstream, body, {"content-type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = response.read()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize("refusal", ["error-object", "http-error"])
def test_a_node_that_refuses_batches_is_read_one_call_at_a_time(
    tmp_path: Path, node: Node, refusal: str
) -> None:
    _Refusing.upstream, _Refusing.refusal, _Refusing.batches = node.url, refusal, 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = tmp_path / "datasets"
        for day in DAYS[:3]:
            publish_day(root, day, 2)
        # Failover: the dead endpoint first, then the refusing one.
        session = session_on(node, [DEAD_RPC, f"http://127.0.0.1:{server.server_address[1]}"])
        records = anchor_published(root, DAYS[:3], session)
    finally:
        server.shutdown()
        server.server_close()
    assert _Refusing.batches == 1  # asked once, then one call at a time
    assert not session.client.batching
    assert [record["status"] for record in records] == ["anclado"] * 3
    client = PublicationLogClient(node.web3(), session.client.address, finality=LATEST)
    for day, row in zip(DAYS[:3], rows_of(root), strict=True):
        entries = client.latest_entry(DATASET, day)
        assert entries.latest is not None
        assert row["state"] == "FINAL" and row["digest"] == entries.latest.digest.hex()
        assert (row["seq"], row["kind"], row["entries"]) == (
            entries.latest.seq,
            entries.latest.kind,
            entries.count,
        )


def test_failover_takes_batches_past_a_dead_endpoint(tmp_path: Path, node: Node) -> None:
    root = tmp_path / "datasets"
    for day in DAYS[:2]:
        publish_day(root, day, 2)
    session = session_on(node, [DEAD_RPC, node.url])
    counting = Counting(session.client, node.url)
    records = anchor_published(root, DAYS[:2], session)
    assert [record["status"] for record in records] == ["anclado"] * 2
    assert session.client.batching
    assert counting.batches == [SIGNING, ["eth_getBlockByNumber", "eth_call", "eth_call"]]
    assert {row["state"] for row in rows_of(root)} == {"FINAL"}


def test_receipts_of_several_transactions_in_one_batch(tmp_path: Path, node: Node) -> None:
    session = session_on(node, [node.url])
    client = session.client
    (first,) = client.publish_batch(DATASET, [(DAYS[0], b"\x01" * 32)])
    (second,) = client.publish_batch(DATASET, [(DAYS[1], b"\x02" * 32)])
    unknown = b"\x07" * 32
    counting = Counting(client, node.url)
    found = client.inclusions([first.tx_hash, second.tx_hash, unknown])
    assert counting.batches == [["eth_getTransactionReceipt"] * 3] and not counting.single
    assert found == {h: client.inclusion(h) for h in (first.tx_hash, second.tx_hash, unknown)}
    assert found[first.tx_hash] == first and found[unknown] is None

    # Four days, two per transaction: the driver follows the two in one batch.
    root = tmp_path / "datasets"
    for day in DAYS[2:]:
        publish_day(root, day, 2)
    session.client.max_batch = 2
    counting.batches.clear()
    counting.single.clear()
    records = anchor_published(root, DAYS[2:], session)
    assert [record["status"] for record in records] == ["anclado"] * 4
    assert [record["batchSize"] for record in records] == [2, 2, 2, 2]
    assert ["eth_getTransactionReceipt"] * 2 in counting.batches
    assert counting.single["eth_getTransactionReceipt"] == 0
    assert len({record["txHash"] for record in records}) == 2
