"""Embedded development chain: a real anvil node with persistent state and the registry deployed.

The dev chain proves the anchoring code path, not tamper evidence: whoever can edit the state
file (``anvil-state.json``) can rewrite its whole history. Every result that comes from it
must say so (message ``devchain.warning`` of the catalogue, ``messages.verify``).

Its trust pin (kind ``dev``) is written beside the state when the registry is deployed
(``integrity.verify.trust.devchain_pin_path``), never inside a datasets root. The pin names
anvil's default endpoint (``http://127.0.0.1:8545``): ``verificar`` does not use it, it starts
its own read-only copy of the state.
"""

from __future__ import annotations

import abc
import contextlib
import ctypes
import datetime as dt
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from integrity.chain import (
    ANVIL_CHAIN_ID,
    CHAIN_ID_CACHED,
    REGISTRY_VERSION,
    PublicationLogClient,
    artifact_sha256,
    code_matches_artifact,
    deploy_registry,
    runtime_code_sha256,
)
from integrity.layout import DEFAULT_DATASET
from integrity.verify.trust import (
    Finality,
    Network,
    Pin,
    PinError,
    Registry,
    devchain_pin_path,
    load_pin,
    write_pin,
)

if TYPE_CHECKING:  # web3 and eth-account are imported where used: importing this is cheap
    from eth_account.signers.local import LocalAccount
    from eth_typing import ChecksumAddress
    from web3 import Web3

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ANVIL_BIN = (
    REPO_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
)
STATE_FILE_NAME = "anvil-state.json"
PID_FILE_NAME = "anvil.pid"
LOG_FILE_NAME = "anvil.log"
DEPLOYMENT_FILE_NAME = "deployment.json"
DEV_PIN_NAME = "devchain"
DEV_PIN_RPC = "http://127.0.0.1:8545"  # anvil's default endpoint

_LISTENING = re.compile(rb"Listening on (\S+):(\d+)")
_PR_SET_PDEATHSIG = 1


class DevChainError(RuntimeError):
    """The dev chain could not be started, reached or stopped."""


@dataclass(frozen=True)
class DevDeployment:
    """Contents of ``deployment.json``: where the registry lives on the dev chain."""

    chain_id: int
    contract: ChecksumAddress
    publisher: ChecksumAddress
    deploy_tx: str
    block_number: int
    artifact_sha256: str
    anvil_version: str
    replaces: str | None = None

    @classmethod
    def load(cls, path: Path) -> DevDeployment:
        """Read a deployment file written by ``save``."""
        try:
            return cls(**json.loads(path.read_bytes()))
        except (OSError, ValueError, TypeError) as error:
            raise DevChainError(
                f"{path} is not a valid dev chain deployment file ({error}); delete it to redeploy"
            ) from error

    def save(self, path: Path) -> None:
        """Write the deployment as sorted, indented JSON."""
        path.write_text(json.dumps(asdict(self), sort_keys=True, indent=2) + "\n")

    def pin(self, dataset: str) -> Pin:
        """The dev chain's trust pin (kind ``dev``) for ``dataset``."""
        created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        return Pin(
            name=DEV_PIN_NAME,
            kind="dev",
            dataset=dataset,
            network=Network("anvil", self.chain_id, (DEV_PIN_RPC,), Finality(tag="latest")),
            registry=Registry(
                address=self.contract,
                deploy_tx=self.deploy_tx,
                deploy_block=self.block_number,
                runtime_code_sha256=runtime_code_sha256(),
                version=REGISTRY_VERSION,
            ),
            publisher=self.publisher,
            created_at=created.replace("+00:00", "Z"),
        ).validate()


def find_anvil_bin(anvil_bin: Path | None = None) -> Path:
    """Return the anvil binary: the argument, else the pinned one in ``node_modules``."""
    candidate = anvil_bin or DEFAULT_ANVIL_BIN
    if not candidate.is_file() or not os.access(candidate, os.X_OK):
        raise DevChainError(
            f"anvil binary not found or not executable at {candidate}: run "
            f"`npm ci --ignore-scripts` in {REPO_ROOT} or give the path of an anvil binary"
        )
    return candidate


def anvil_version(anvil_bin: Path) -> str:
    """Return the first line of ``anvil --version`` (e.g. ``anvil Version: 1.7.1``)."""
    output = subprocess.run(
        [str(anvil_bin), "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return output.splitlines()[0].strip() if output else "unknown"


def pid_is_alive(pid: int) -> bool:
    """Tell whether a process with ``pid`` exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def _process_cmdline(pid: int) -> list[str]:
    """Return the command line of ``pid`` (empty if it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _die_with_parent() -> None:
    """Ask the kernel to SIGTERM this child when its parent exits (Linux prctl)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class AnvilProcess:
    """One anvil process: start it, learn its port from its log, wait for RPC, stop it by PID."""

    def __init__(
        self,
        anvil_bin: Path,
        state_args: list[str],
        run_dir: Path,
        *,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        die_with_parent: bool = False,
        chain_id: int = ANVIL_CHAIN_ID,
        port: int = 0,
    ) -> None:
        """Prepare (not start) anvil with ``state_args``; PID and log files go to ``run_dir``."""
        self.anvil_bin = anvil_bin
        self.state_args = state_args
        self.chain_id = chain_id
        self.port = port
        self.pid_file = run_dir / PID_FILE_NAME
        self.log_file = run_dir / LOG_FILE_NAME
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.die_with_parent = die_with_parent
        self.rpc_url: str | None = None
        self._popen: subprocess.Popen[bytes] | None = None

    def recorded_pid(self) -> int | None:
        """Return the PID in the PID file if that process is alive and is this anvil."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        cmdline = _process_cmdline(pid)
        if not pid_is_alive(pid) or "--chain-id" not in cmdline:
            return None
        return pid if all(arg in cmdline for arg in self.state_args) else None

    def launch(self) -> None:
        """Start anvil on a free loopback port without waiting for it (``start`` waits)."""
        running = self.recorded_pid()
        if running is not None:
            raise DevChainError(
                f"an anvil for this state is already running (pid {running}, {self.pid_file}); "
                f"stop it first with DevChain(state_dir).stop() or `kill {running}`"
            )
        args = [
            str(self.anvil_bin),
            *self.state_args,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--color",
            "never",
        ]
        with self.log_file.open("wb") as log_stream:
            self._popen = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log_stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if self.die_with_parent else None,
            )
        self.pid_file.write_text(f"{self._popen.pid}\n")

    def start(self) -> str:
        """Start anvil (unless ``launch`` did) and return its HTTP RPC URL once it answers."""
        if self._popen is None:
            self.launch()
        try:
            self.rpc_url = self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self.rpc_url

    def _wait_until_ready(self) -> str:
        """Wait for the "Listening on" line, then for an answer to eth_chainId."""
        assert self._popen is not None
        deadline = time.monotonic() + self.startup_timeout
        rpc_url: str | None = None
        while time.monotonic() < deadline:
            if self._popen.poll() is not None:
                raise DevChainError(
                    f"anvil exited with code {self._popen.returncode} while starting; "
                    f"last log lines from {self.log_file}:\n{self.log_tail()}"
                )
            if rpc_url is None:
                match = _LISTENING.search(self.log_file.read_bytes())
                if match:
                    rpc_url = f"http://{match[1].decode()}:{match[2].decode()}"
            if rpc_url is not None:
                w3 = _http_web3(rpc_url, timeout=2)
                with contextlib.suppress(Exception):
                    if w3.eth.chain_id == self.chain_id:
                        return rpc_url
            time.sleep(0.05)
        raise DevChainError(
            f"anvil did not answer eth_chainId within {self.startup_timeout:.0f} s; "
            f"last log lines from {self.log_file}:\n{self.log_tail()}"
        )

    def stop(self) -> bool:
        """SIGTERM the recorded anvil (it dumps its state), SIGKILL after the timeout."""
        pid = self._popen.pid if self._popen is not None else self.recorded_pid()
        stopped = False
        if pid is not None and pid_is_alive(pid):
            os.kill(pid, signal.SIGTERM)
            if not self._wait_exit(pid, self.stop_timeout):
                log.warning(
                    "anvil pid %d ignored SIGTERM for %.0f s; killing", pid, self.stop_timeout
                )
                os.kill(pid, signal.SIGKILL)
                self._wait_exit(pid, self.stop_timeout)
            stopped = True
        if self._popen is not None:
            self._popen.wait(timeout=self.stop_timeout)
            self._popen = None
        self.pid_file.unlink(missing_ok=True)
        self.rpc_url = None
        return stopped

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        """Wait up to ``timeout`` s for ``pid`` to exit (reaping it if it is our child)."""
        if self._popen is not None and self._popen.pid == pid:
            # Our child: its exit is seen within a millisecond or so (``Popen.wait`` polls from
            # 0.5 ms up), not at the next 50 ms tick (anvil dumps its state, then exits).
            try:
                self._popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_is_alive(pid):
                return True
            time.sleep(0.05)
        return False

    @property
    def pid(self) -> int | None:
        """PID of the running anvil, if any."""
        if self._popen is not None and self._popen.poll() is None:
            return self._popen.pid
        return self.recorded_pid()

    def log_tail(self, lines: int = 20) -> str:
        """Return the last lines of the anvil log."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class _RunningChain(abc.ABC):
    """Shared behaviour of a started chain: Web3, deployment, client and context management."""

    deployment: DevDeployment | None
    _process: AnvilProcess | None

    @property
    def rpc_url(self) -> str:
        """HTTP JSON-RPC URL of the running anvil."""
        if self._process is None or self._process.rpc_url is None:
            raise DevChainError("the dev chain is not running: call start() first")
        return self._process.rpc_url

    @property
    def pid(self) -> int | None:
        """PID of the running anvil, if any."""
        return self._process.pid if self._process is not None else None

    def web3(self) -> Web3:
        """Return a Web3 connected to the running anvil."""
        return _http_web3(self.rpc_url, timeout=30)

    def client(
        self, *, read_only: bool = False, finality: Finality | None = None, **policy: Any
    ) -> PublicationLogClient:
        """Return a registry client (read at ``latest`` unless told otherwise); it signs with
        anvil account 0 unless ``read_only``; ``policy``: ``PublicationLogClient`` options."""
        if self.deployment is None:
            raise DevChainError("the dev chain has no registry deployment yet: call start() first")
        account = None if read_only else _dev_account()
        return PublicationLogClient(
            self.web3(),
            self.deployment.contract,
            account,
            finality=finality or Finality(tag="latest"),
            **policy,
        )

    @abc.abstractmethod
    def start(self) -> Self:
        """Start the chain."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the chain."""

    def __enter__(self) -> Self:
        """Start on entering the context."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop on leaving the context, even after an error."""
        self.stop()


class DevChain(_RunningChain):
    """A persistent local anvil with the PublicationLog deployed (proves the code path only).

    State lives in ``state_dir``: ``anvil-state.json`` (dumped every second and on SIGTERM),
    ``anvil.pid``, ``anvil.log``, ``deployment.json`` and the dev trust pin ``trust-pin.json``
    (for ``dataset``). The dev chain is not tamper evidence: whoever can edit the state file
    can rewrite history (message ``devchain.warning``).
    """

    def __init__(
        self,
        state_dir: Path,
        anvil_bin: Path | None = None,
        *,
        dataset: str = DEFAULT_DATASET,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        die_with_parent: bool = False,
    ) -> None:
        """Prepare a dev chain in ``state_dir``; ``die_with_parent`` ties anvil to this process."""
        self.state_dir = Path(state_dir)
        self.dataset = dataset
        self.pin_file = devchain_pin_path(self.state_dir)
        self.anvil_bin = find_anvil_bin(anvil_bin)
        self.state_file = self.state_dir / STATE_FILE_NAME
        self.deployment_file = self.state_dir / DEPLOYMENT_FILE_NAME
        self.deployment: DevDeployment | None = None
        self.redeployed_reason: str | None = None
        self._timeouts = (startup_timeout, stop_timeout)
        self._anvil = self._process = AnvilProcess(
            self.anvil_bin,
            ["--state", str(self.state_file), "--state-interval", "1"],
            self.state_dir,
            startup_timeout=startup_timeout,
            stop_timeout=stop_timeout,
            die_with_parent=die_with_parent,
        )

    def launch(self) -> None:
        """Start anvil on the persistent state without waiting for it: it boots while the
        caller works on, and ``start`` then waits for it and checks the registry."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._anvil.launch()

    def start(self) -> Self:
        """Start anvil on the persistent state (unless ``launch`` did) and make sure the
        registry is deployed."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._anvil.start()
        try:
            self.deployment = self._ensure_deployment()
        except BaseException:
            self._anvil.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the anvil recorded in ``anvil.pid`` (SIGTERM, then SIGKILL); state is dumped."""
        self._anvil.stop()

    def is_running(self) -> bool:
        """Tell whether the anvil recorded in ``anvil.pid`` is alive."""
        return self._anvil.pid is not None

    def read_only(self, tmp_root: Path | None = None) -> ReadOnlyDevChain:
        """Return a chain on a temporary copy of the state; the original is never written."""
        if self.is_running():
            self._wait_for_fresh_dump()
        if not self.state_file.is_file() or not self.deployment_file.is_file():
            raise DevChainError(
                f"no dev chain state in {self.state_dir} ({STATE_FILE_NAME} and "
                f"{DEPLOYMENT_FILE_NAME} are needed): publish at least once first"
            )
        return ReadOnlyDevChain(self, *self._timeouts, tmp_root=tmp_root)

    def _wait_for_fresh_dump(self, timeout: float = 5.0) -> None:
        """Wait until the running anvil has dumped its state after this call began."""
        started = time.time_ns()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if self.state_file.stat().st_mtime_ns > started:
                    return
            time.sleep(0.05)
        raise DevChainError(
            f"the running anvil did not dump {self.state_file} within {timeout:.0f} s "
            f"(it should every second): see {self._anvil.log_file}"
        )

    def _ensure_deployment(self) -> DevDeployment:
        """Reuse ``deployment.json`` when its code is on chain, otherwise deploy and record."""
        w3 = self.web3()
        previous: DevDeployment | None = None
        if self.deployment_file.is_file():
            previous = DevDeployment.load(self.deployment_file)
            if code_matches_artifact(w3, previous.contract):
                if previous.artifact_sha256 != artifact_sha256():
                    log.warning(
                        "%s records artifact %s but the committed artifact is %s; the runtime "
                        "code still matches, keeping the deployment",
                        self.deployment_file,
                        previous.artifact_sha256,
                        artifact_sha256(),
                    )
                self._ensure_pin(previous)
                return previous
            self.redeployed_reason = (
                f"the registry recorded in {self.deployment_file} ({previous.contract}) has no "
                f"matching code on the dev chain (state file lost, reset or from another anvil "
                f"version): deployed a new registry; earlier dev anchors are gone"
            )
            log.warning(self.redeployed_reason)
        publisher = _dev_account()
        result = deploy_registry(w3, publisher)
        deployment = DevDeployment(
            chain_id=result.chain_id,
            contract=result.contract,
            publisher=result.publisher,
            deploy_tx="0x" + result.tx_hash.hex(),
            block_number=result.block_number,
            artifact_sha256=artifact_sha256(),
            anvil_version=anvil_version(self.anvil_bin),
            replaces=previous.contract if previous is not None else None,
        )
        deployment.save(self.deployment_file)
        self._ensure_pin(deployment, replace=True)
        return deployment

    def _ensure_pin(self, deployment: DevDeployment, *, replace: bool = False) -> None:
        """Write the dev pin beside the state (kept if valid and not ``replace``)."""
        if not replace:
            with contextlib.suppress(PinError):
                pinned = load_pin(self.pin_file)
                if (pinned.registry.address, pinned.dataset) == (deployment.contract, self.dataset):
                    return
        write_pin(deployment.pin(self.dataset), self.pin_file)


class ReadOnlyDevChain(_RunningChain):
    """An anvil loaded (``--load-state``, never dumped) from a temporary copy of a dev chain."""

    def __init__(
        self,
        source: DevChain,
        startup_timeout: float,
        stop_timeout: float,
        tmp_root: Path | None = None,
    ) -> None:
        """Prepare a read-only chain from ``source``'s state; the copy goes under ``tmp_root``."""
        self.source = source
        self.tmp_root = tmp_root
        self.deployment: DevDeployment | None = DevDeployment.load(source.deployment_file)
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._process: AnvilProcess | None = None

    def start(self) -> Self:
        """Copy the state to a temporary folder and start anvil on the copy."""
        self._tmp = tempfile.TemporaryDirectory(
            prefix="perucompras-devchain-ro-", dir=self.tmp_root
        )
        run_dir = Path(self._tmp.name)
        state_copy = run_dir / STATE_FILE_NAME
        _copy_complete_state(self.source.state_file, state_copy)
        self._process = AnvilProcess(
            self.source.anvil_bin,
            ["--load-state", str(state_copy)],
            run_dir,
            startup_timeout=self._startup_timeout,
            stop_timeout=self._stop_timeout,
        )
        try:
            self._process.start()
            assert self.deployment is not None
            if not code_matches_artifact(self.web3(), self.deployment.contract):
                raise DevChainError(
                    f"the registry {self.deployment.contract} recorded in "
                    f"{self.source.deployment_file} has no matching code in "
                    f"{self.source.state_file}"
                )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop anvil and delete the temporary copy."""
        if self._process is not None:
            self._process.stop()
            self._process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _copy_complete_state(source: Path, target: Path, attempts: int = 5) -> None:
    """Copy a state file that a running anvil may be rewriting, retrying until it parses."""
    for _ in range(attempts):
        shutil.copyfile(source, target)
        try:
            json.loads(target.read_bytes())
            return
        except ValueError:
            time.sleep(0.3)
    raise DevChainError(f"{source} is not valid JSON after {attempts} copies: is it corrupted?")


def _http_web3(rpc_url: str, *, timeout: float) -> Web3:
    """A Web3 over HTTP (web3 is imported here, when a chain is actually used)."""
    from web3 import HTTPProvider, Web3

    return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}, **CHAIN_ID_CACHED))


def _dev_account() -> LocalAccount:
    """Anvil's account 0, the dev chain's publisher."""
    from eth_account import Account

    from integrity.chain import dev_private_key

    account: LocalAccount = Account.from_key(dev_private_key(0))
    return account
