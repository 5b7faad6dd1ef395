"""Registries for tests: one on an in-process eth-tester chain, and real anvil nodes that the
tests start and stop by PID (``Node``), with keys generated per test."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import EthereumTesterProvider, HTTPProvider, Web3

from integrity.canonical import canonical_bytes
from integrity.chain import (
    ChainUnavailable,
    PublicationLogClient,
    RegistryDeployment,
    deploy_registry,
)
from integrity.devchain import AnvilProcess, find_anvil_bin, pid_is_alive
from integrity.keys import anchor_key
from integrity.verify.trust import Finality, Pin
from pipelines.resources import ChainResource
from publication.anchoring import ChainSession, anchor_days
from publication.state import StateStore, store_path
from publication.writer import DayContent, PublishedDay, write_day

DATASET = "perucompras-ocam"


@dataclass
class InProcessRegistry:
    """A PublicationLog deployed on an in-process eth-tester chain, with its (test) pin."""

    w3: Web3
    client: PublicationLogClient
    deployment: RegistryDeployment
    pin: Pin
    publisher: LocalAccount

    def session(self) -> ChainSession:
        return ChainSession(self.client, self.pin, dev_chain=False)

    def session_factory(self) -> Callable[[], AbstractContextManager[ChainSession]]:
        session = self.session()
        return lambda: contextlib.nullcontext(session)

    def stranger(self, index: int = 1) -> LocalAccount:
        keys = self.w3.provider.ethereum_tester.backend.account_keys  # type: ignore[attr-defined]
        return Account.from_key(keys[index])


def in_process_registry(dataset: str = DATASET, **policy: Any) -> InProcessRegistry:
    """Deploy the committed artifact on a fresh eth-tester chain (account 0 publishes)."""
    w3 = Web3(EthereumTesterProvider())
    keys = w3.provider.ethereum_tester.backend.account_keys  # type: ignore[attr-defined]
    publisher = Account.from_key(keys[0])
    deployment = deploy_registry(w3, publisher)
    finality = Finality(tag="latest")
    pin = deployment.pin(
        name="registro-de-prueba",
        kind="test",
        dataset=dataset,
        network="eth-tester",
        rpc=["http://127.0.0.1:8545"],
        finality=finality,
    )
    client = PublicationLogClient(
        w3, deployment.contract, publisher, finality=finality, poll_interval=0.01, **policy
    )
    return InProcessRegistry(w3, client, deployment, pin, publisher)


def anchor_published(
    root: Path,
    days: Sequence[dt.date],
    session: ChainSession,
    *,
    dataset: str = DATASET,
    correct: bool = False,
) -> list[dict[str, Any]]:
    """Anchor published days through the journal (the status store beside ``root``)."""
    with StateStore(store_path(root)) as store:
        return anchor_days(root, dataset, list(days), session, store, correct=correct)


def make_releases(day: dt.date, count: int, amount: int = 1000) -> list[dict[str, Any]]:
    """Small valid-looking releases with exact integer amounts."""
    releases = []
    for number in range(count):
        order = f"OCAM-{day.year}-88-{day.day * 100 + number}"
        releases.append(
            {
                "ocid": f"ocds-213czf-{order}",
                "id": f"{order}-{day:%Y%m%d}T100000-{number:08x}",
                "date": f"{day.isoformat()}T10:00:00-05:00",
                "tag": ["contract"],
                "initiationType": "tender",
                "buyer": {"id": "PE-RUC-20600927818", "name": "Entidad Ñandú"},
                "contracts": [
                    {"id": f"{order}-0", "value": {"amount": amount + number, "currency": "PEN"}}
                ],
            }
        )
    return sorted(releases, key=lambda r: (r["ocid"], r["date"], r["id"]))


def publish_day(root: Path, day: dt.date, count: int, *, amount: int = 1000) -> Path:
    """Publish one small day folder through the pipeline's writer (``amount`` varies content)."""
    return write_test_day(root, day, count, amount=amount).folder


def write_test_day(root: Path, day: dt.date, count: int, *, amount: int = 1000) -> PublishedDay:
    """``publish_day``, returning what the writer returned."""
    releases = make_releases(day, count, amount)
    orders = pa.table(
        {
            "order_number": [r["contracts"][0]["id"] for r in releases],
            "total_cents": pa.array([100 * (amount + i) for i in range(count)], pa.int64()),
        }
    )
    quarantine = pa.table(
        {"source_file": pa.array([], pa.string()), "rule": pa.array([], pa.string())}
    )
    content = DayContent(
        dataset=DATASET,
        day=day,
        cutoff=f"{day.isoformat()}T23:59:59-05:00",
        ocid_prefix="ocds-213czf",
        publisher={"name": "Test publisher"},
        package={
            "uri": "https://example.org",
            "version": "1.1",
            "publishedDate": f"{day}T23:59:59-05:00",
        },
        release_lines=[canonical_bytes(r) for r in releases],
        orders=orders,
        quarantine=quarantine,
        sources=[{"file": "ReportePCBienes202503.csv"}],
        counts={"releases": count, "orders": count, "quarantined": 0},
        quality={"passed": True},
    )
    return write_day(root, content, anchor_key_hex=anchor_key(DATASET, day).hex())


class Node:
    """A real anvil with its own chain id, started and stopped (or killed) by PID."""

    def __init__(
        self,
        run_dir: Path,
        *,
        chain_id: int = 1337,
        state: Path | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        args = [*(["--state", str(state), "--state-interval", "1"] if state else []), *extra]
        self.process = AnvilProcess(
            find_anvil_bin(), args, run_dir, chain_id=chain_id, die_with_parent=True
        )
        self.chain_id = chain_id

    def start(self) -> Node:
        self.process.start()
        return self

    @property
    def url(self) -> str:
        assert self.process.rpc_url is not None
        return self.process.rpc_url

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def web3(self) -> Web3:
        return Web3(HTTPProvider(self.url, request_kwargs={"timeout": 30}))

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        request = urllib.request.Request(
            self.url, body.encode(), {"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        assert "error" not in answer, answer
        return answer["result"]

    def fund(self, address: str, ether: int = 100) -> None:
        self.rpc("anvil_setBalance", [address, hex(ether * 10**18)])

    def kill(self) -> None:
        """SIGKILL the node (no state dump beyond the last interval)."""
        pid = self.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        self.process.stop()  # reaps it and removes the PID file
        assert not pid_is_alive(pid)

    def stop(self) -> None:
        self.process.stop()


class UnreachableChain(ChainResource):
    """The configured chain, not answering (as a node that is down): every session raises
    ``ChainUnavailable``, so what is anchored is recorded as pending."""

    @contextlib.contextmanager
    def session(self, dataset: str) -> Iterator[ChainSession]:
        raise ChainUnavailable("no RPC endpoint answered (http://127.0.0.1:9: refused)")
        yield  # a generator, as the real session is


def new_key() -> tuple[str, str]:
    """A fresh private key (hex) and its address: never a development key."""
    account = Account.create()
    return "0x" + bytes(account.key).hex(), account.address
