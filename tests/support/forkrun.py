"""Run `publicar` as forked children of a server that imported its modules once.

A `publicar` process spends ~4-5 s importing web3, dagster, pandas, pyarrow and pydantic before
any work. A test that starts the command many times starts one server (a Python process that
only imports those modules) and asks it for runs: each run is a fork of the server, a separate
OS process in its own session (``os.setsid``, so ``os.killpg`` takes it down), with its own
working directory, environment, argv and stdio, that ends as the console script does:
``sys.exit(main(argv))`` (normal interpreter exit: atexit handlers, flushed streams).

The server never calls ``main``: no settings, DuckDB connection, anvil or cache of a run exists
in it, and every run forks from that same state, never from a previous run.

Protocol (a SOCK_SEQPACKET socket pair, one JSON message each): the server says ``ready``; the
test sends a request with the run's stdout and stderr file descriptors; the server answers the
child's ``pid`` once the child is in its own session, then its ``exitcode`` when it ends
(negative: killed by that signal). One run at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

# What `publicar backfill` imports before and while it works (a preload may not be importable
# in every environment: the server then fails to start, with the ImportError in its message).
PUBLICAR_MODULES = (
    "pipelines.cli",
    "pipelines.services",
    "pipelines.cli.progress",
    "publication.batch",
    "publication.anchoring",
    "publication.site",
    "publication.state",
    "integrity.chain",
    "integrity.devchain",
    "integrity.manifest",
    "perucompras.synthetic",
    "perucompras.synthetic_details",
    "quality.lines",
    "quality.quotations",
    "quality.report",
    "publication.bulk",
    "ocdsmerge",
    "xlsxwriter",
    "web3",
    "eth_account",
    "pandas",
    "pyarrow",
    "duckdb",
)
_MAX_MESSAGE = 1 << 20


class ForkServerError(RuntimeError):
    """The fork server is gone, refused a request, or did not answer in time."""


def _send(sock: socket.socket, message: Mapping[str, Any], fds: Sequence[int] = ()) -> None:
    data = json.dumps(message).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


# ---------------------------------------------------------------------------------- server side


def _serve(sock: socket.socket, modules: Sequence[str]) -> int | None:
    """Import ``modules``, then fork a run per request. Returns None in the server when the test
    closes its end, and ``main``'s exit code in a child."""
    import importlib
    import threading

    for name in modules:
        importlib.import_module(name)
    if threading.active_count() != 1:
        names = [t.name for t in threading.enumerate()]
        raise RuntimeError(f"threads running after the imports (unsafe to fork): {names}")
    _send(sock, {"ready": True, "pid": os.getpid()})
    while True:
        data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 2)
        if not data:
            return None
        request = json.loads(data)
        started_r, started_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(started_r)
            sock.close()
            return _child(request, fds, started_w)
        os.close(started_w)
        for fd in fds:
            os.close(fd)
        started = os.read(started_r, 1) == b"+"
        os.close(started_r)
        if started:
            _send(sock, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        _send(sock, {"pid": pid, "exitcode": os.waitstatus_to_exitcode(status)})


def _child(request: Mapping[str, Any], fds: Sequence[int], started: int) -> int:
    """Become the run: own session, directory, environment and stdio; then ``main``."""
    stdout, stderr = fds
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in (stdout, stderr):
        os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    if request.get("fsize_limit") is not None:
        import resource

        limit = int(request["fsize_limit"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    sys.argv = ["publicar", *request["argv"]]
    os.write(started, b"+")
    os.close(started)
    from pipelines.cli import main

    return main(request["argv"])


def _server_main(argv: Sequence[str]) -> int | None:
    """``forkrun.py <socket fd> <module>...``: the server; returns in each child too."""
    sock = socket.socket(fileno=int(argv[0]))
    try:
        return _serve(sock, argv[1:])
    finally:
        sock.close()


# ------------------------------------------------------------------------------------ test side


class ForkServer:
    """A running fork server (start it with ``with``; stopped by PID on exit)."""

    def __init__(
        self,
        modules: Sequence[str] = PUBLICAR_MODULES,
        *,
        cwd: Path,
        env: Mapping[str, str],
        start_timeout: float = 120.0,
    ) -> None:
        """Start the server in ``cwd`` with ``env`` and wait until it imported ``modules``."""
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock = ours
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(theirs.fileno()), *modules],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            pass_fds=[theirs.fileno()],
        )
        theirs.close()
        self.run_active: ForkedRun | None = None
        try:
            ready = self._receive(start_timeout, "to import its modules")
            if not ready.get("ready"):
                raise ForkServerError(f"unexpected first message from the fork server: {ready}")
            self.pid = int(ready["pid"])
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _log_tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def _receive(self, timeout: float, waiting_for: str) -> dict[str, Any]:
        """The server's next message; ForkServerError if it ends or stays silent."""
        readable, _, _ = select.select([self._sock], [], [], timeout)
        data: bytes | None = None
        if readable:
            try:
                data = self._sock.recv(_MAX_MESSAGE)
            except OSError:  # reset: the server died with a message unread
                data = b""
        if data:
            message: dict[str, Any] = json.loads(data)
            return message
        code = self._proc.poll() if self._proc is not None else None
        if data is None and code is None:
            raise ForkServerError(
                f"the fork server did not answer within {timeout:.0f} s ({waiting_for})"
            )
        if code is None and self._proc is not None:
            try:
                code = self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                code = None
        raise ForkServerError(
            f"the fork server exited (code {code}) while waiting {waiting_for}; "
            f"its stderr:\n{self._log_tail()}"
        )

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        stderr: Path | None = None,
        fsize_limit: int | None = None,
        start_timeout: float = 60.0,
    ) -> ForkedRun:
        """Fork `publicar <argv>` in ``cwd`` with exactly ``env``; its stdout is a pipe
        (``ForkedRun.readline``), its stderr goes to the file ``stderr`` (or /dev/null);
        ``fsize_limit``: RLIMIT_FSIZE of the run (bytes), set in the child only."""
        if self.run_active is not None and self.run_active.exitcode is None:
            raise ForkServerError("one run at a time: wait for the previous run first")
        if self._proc is None:
            raise ForkServerError("the fork server was stopped")
        out_r, out_w = os.pipe()
        err_w = os.open(
            stderr if stderr is not None else os.devnull,
            os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
            0o644,
        )
        request = {
            "argv": list(argv),
            "cwd": str(cwd),
            "env": dict(env),
            "fsize_limit": fsize_limit,
        }
        try:
            _send(self._sock, request, [out_w, err_w])
        except OSError as error:
            os.close(out_r)
            raise ForkServerError(
                f"the fork server is gone ({error}); its stderr:\n{self._log_tail()}"
            ) from error
        finally:
            os.close(out_w)
            os.close(err_w)
        try:
            answer = self._receive(start_timeout, "for a run to start")
        except BaseException:
            os.close(out_r)
            raise
        if "pid" not in answer or "exitcode" in answer:
            os.close(out_r)
            raise ForkServerError(
                f"the run did not start ({answer}); server stderr:\n{self._log_tail()}"
            )
        self.run_active = ForkedRun(self, int(answer["pid"]), out_r)
        return self.run_active

    def stop(self) -> None:
        """Kill a run still going (its process group), then the server, by PID."""
        run, self.run_active = self.run_active, None
        if run is not None:
            run.close()
        self._sock.close()
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.wait(timeout=5)  # it returns when it sees the socket closed
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._log.close()


class ForkedRun:
    """One forked `publicar` run: its stdout lines, kill, exit code."""

    def __init__(self, server: ForkServer, pid: int, stdout: int) -> None:
        """Wrap the run ``pid`` whose stdout is the pipe ``stdout``."""
        self.server = server
        self.pid = pid
        self.exitcode: int | None = None
        self._stdout: int | None = stdout
        self._buffer = b""
        self._eof = False
        os.set_blocking(stdout, False)

    def readline(self, timeout: float = 600.0) -> str:
        """The next line of the run's stdout ('' at its end); ForkServerError after
        ``timeout`` seconds without a full line."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer and not self._eof and self._stdout is not None:
            left = deadline - time.monotonic()
            readable, _, _ = select.select([self._stdout], [], [], max(left, 0))
            if not readable:
                raise ForkServerError(f"run {self.pid} printed no line within {timeout:.0f} s")
            chunk = os.read(self._stdout, 65536)
            self._buffer += chunk
            self._eof = not chunk
        line, newline, self._buffer = self._buffer.partition(b"\n")
        return (line + newline).decode()

    def read_rest(self, timeout: float = 1800.0) -> str:
        """Every line still to come, until the run closes its stdout."""
        lines = []
        while line := self.readline(timeout):
            lines.append(line)
        return "".join(lines)

    def poll(self) -> int | None:
        """The exit code if the run ended (the server reported it), else None."""
        if self.exitcode is None:
            readable, _, _ = select.select([self.server._sock], [], [], 0)
            if readable:
                self._take_exit(self.server._receive(0, "for the run's exit code"))
        return self.exitcode

    def _take_exit(self, message: Mapping[str, Any]) -> None:
        if message.get("pid") != self.pid or "exitcode" not in message:
            raise ForkServerError(f"unexpected message from the fork server: {message}")
        self.exitcode = int(message["exitcode"])

    def kill(self) -> None:
        """SIGKILL the run's process group unless it already ended."""
        if self.poll() is None:
            # ProcessLookupError: it ended between the poll and the kill (reported by the server)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)

    def wait(self, timeout: float = 1800.0) -> int:
        """Wait for the run to end; its exit code (-9: killed)."""
        if self.exitcode is None:
            self._take_exit(self.server._receive(timeout, f"for run {self.pid} to end"))
        assert self.exitcode is not None
        self._close_stdout()
        return self.exitcode

    def _close_stdout(self) -> None:
        if self._stdout is not None:
            os.close(self._stdout)
            self._stdout = None

    def close(self) -> None:
        """Kill the run if it is still going, and reap its exit report."""
        if self.exitcode is None:
            try:
                self.kill()
                self.wait(timeout=60)
            except ForkServerError:
                pass
        self._close_stdout()


if __name__ == "__main__":
    sys.exit(_server_main(sys.argv[1:]))
