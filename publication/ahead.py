"""A day's companion files parsed ahead, in a worker process, while the day's orders are read.

A daily run parses the month's detailed export (and quotations) when it maps the day, after it
has read the month's order file and passed the quality gate; the parse depends on nothing but
the companion files' bytes, so a worker process can do it on the other core in the meantime.
``CompanionsAhead`` starts ``python -m publication.ahead`` on the companion files whose parse is
not cached yet; the worker fills their content-addressed caches (``publication.details``, the
same folders and row memo the day's own parse writes, each renamed into place whole) and the
mapping, after ``wait``, reads them from there. On a day after the first of its month, the
mapping waits only for its own orders' lines, which the worker parses first
(``publication.details._OrdersFirst``); the worker then goes on with the month until the block
ends.

The worker only saves time: one that fails or is killed leaves the mapping to parse what is not
cached, exactly as without it (a bad file is reported by the day's own steps, the same way).
It is stopped by PID when the block ends, whatever ends it (an error, a closed gate, Ctrl-C):
SIGTERM, then SIGKILL, and the partial files it was writing are removed; the kernel sends it
SIGTERM when its parent dies (``prctl``), and what it leaves then is a partial the next writer
of that cache entry removes.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import gc
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

_PR_SET_PDEATHSIG = 1
_STOP_TIMEOUT = 10.0
# Where this package is imported from: the worker imports the same code as its parent.
_CODE_ROOT = Path(__file__).resolve().parents[1]


# Workers started early (``publicar run`` starts its first day's before Dagster sets up the
# run), by what they parse: the day's own ``CompanionsAhead`` takes one over instead of starting
# another. Whoever started it still stops it if nobody took it over.
_EARLY: dict[tuple[str, ...], CompanionsAhead] = {}


class CompanionsAhead:
    """The worker parsing ``companions``' uncached files into ``cache_dir`` (``start``); the
    caller ``wait``s for it before reading them. A context manager: the worker is stopped at the
    end of the block if it is still running.

    ``early``: started before the step that reads the caches; that step's own
    ``CompanionsAhead`` (same companions, cache and language) takes the running worker over
    when it starts."""

    def __init__(
        self,
        companions: dict[str, Path],
        cache_dir: Path,
        lang: str = "es",
        *,
        early: bool = False,
    ) -> None:
        self.companions = dict(companions)
        self.cache_dir = cache_dir
        self.lang = lang
        self.early = early
        self.files: list[Path] = []
        # where the mapping asks for its day's orders first (``wait``), and their folder
        self.wanted = cache_dir / f"ahead-{os.getpid()}-{secrets.token_hex(4)}.wanted.json"
        self._orders_first: Path | None = None
        self._popen: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._problem: str | None = None
        self._key: tuple[str, ...] | None = None

    @property
    def pid(self) -> int | None:
        """The worker's PID while it has not been waited for or stopped."""
        return self._popen.pid if self._popen is not None else None

    def start(self) -> bool:
        """Start the worker on the companion files not cached yet; False when there are none
        (or it cannot be started: the mapping then parses them itself)."""
        from publication.details import uncached_companions

        if not self.companions:
            return False
        key = self._early_key()
        if self._take_over(_EARLY.pop(key, None)):
            return True
        self.files = uncached_companions(self.companions, self.cache_dir, self.lang)
        if not self.files:
            return False
        _sweep(self.cache_dir)
        command = [
            sys.executable,
            "-m",
            "publication.ahead",
            "--parent",
            str(os.getpid()),
            "--cache",
            str(self.cache_dir),
            "--lang",
            self.lang,
            "--wanted",
            str(self.wanted),
            *(str(path) for path in self.files),
        ]
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_CODE_ROOT), path]))}
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by wait or stop)
        try:
            self._popen = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                env=env,
                start_new_session=True,  # stopped by PID, not by the terminal's Ctrl-C
            )
        except OSError as error:
            self._problem = f"{type(error).__name__}: {error}"
            self._close_stderr()
            return False
        if self.early:
            self._key = key
            _EARLY[key] = self
        return True

    def _early_key(self) -> tuple[str, ...]:
        from publication.details import DETAIL_PREFIX, month_detail_files

        paths = [path for kind, path in self.companions.items() if kind != DETAIL_PREFIX]
        if detail := self.companions.get(DETAIL_PREFIX):
            paths += month_detail_files(detail)
        names = sorted(str(path.absolute()) for path in paths)
        return (str(self.cache_dir.absolute()), self.lang, *names)

    def _take_over(self, early: CompanionsAhead | None) -> bool:
        """Become the owner of ``early``'s running worker (False: none to take over)."""
        if early is None or early._popen is None:
            return False
        self._popen, self._stderr, self.files = early._popen, early._stderr, early.files
        self.wanted = early.wanted
        early._popen = early._stderr = early._key = None
        return True

    def wait(self, order_numbers: pa.Array | None = None, day: dt.date | None = None) -> str | None:
        """Let the worker finish; what went wrong in it as one line, or None (it filled the
        caches, or there was nothing to do). The caller reads the caches either way: a file
        still uncached is parsed there.

        With the day's ``order_numbers``, a day after the first of its month whose only
        uncached file is the month's one detailed export: the worker is asked for those
        orders' lines first, and this returns as soon as they are written, or when the worker
        ends, whichever comes first. The worker then goes on with the month, and is stopped
        when the block ends, as always: the day needs nothing more from it."""
        popen = self._popen
        if popen is None:
            problem, self._problem = self._problem, None
            return problem
        if order_numbers is not None and day is not None and self._orders_first_applies(day):
            folder = self._orders_first = self._ask(order_numbers)
            while popen.poll() is None:
                if folder.exists():  # renamed into place whole
                    return None
                time.sleep(0.002)
        return self._ended(popen)

    def _orders_first_applies(self, day: dt.date) -> bool:
        from publication.details import DETAIL_PREFIX, month_detail_files

        if day.day == 1 or len(self.files) != 1:
            return False  # the first day publishes the month's rejected rows
        detail = self.companions.get(DETAIL_PREFIX)
        return detail is not None and self.files == [detail] == month_detail_files(detail)

    def _ask(self, order_numbers: pa.Array) -> Path:
        """Write the day's order numbers where the worker looks (whole, by a rename); the
        folder it writes their lines to."""
        from publication.details import day_order_numbers, orders_first_folder

        numbers = day_order_numbers(order_numbers)
        self.wanted.parent.mkdir(parents=True, exist_ok=True)
        partial = self.wanted.with_name(f"{self.wanted.name}.partial")
        partial.write_text(json.dumps(numbers))
        partial.replace(self.wanted)
        return orders_first_folder(self.files[0], self.cache_dir, self.lang, numbers)

    def _ended(self, popen: subprocess.Popen[bytes]) -> str | None:
        try:
            code = popen.wait()
        except BaseException:
            self.stop()
            raise
        self._popen = None
        if self._key is not None and _EARLY.get(self._key) is self:
            del _EARLY[self._key]
        self._key = None
        problem = None if code == 0 else self._last_line(code)
        self._close_stderr()
        return problem

    def _clean(self) -> None:
        """Remove the request and the day's folder (used once, by this day's mapping)."""
        self.wanted.unlink(missing_ok=True)
        self.wanted.with_name(f"{self.wanted.name}.partial").unlink(missing_ok=True)
        if self._orders_first is not None:
            shutil.rmtree(self._orders_first, ignore_errors=True)
            self._orders_first = None

    def stop(self) -> None:
        """Stop the worker by PID if it is still running (SIGTERM, then SIGKILL)."""
        if self._key is not None and _EARLY.get(self._key) is self:
            del _EARLY[self._key]
        self._key = None
        popen, self._popen = self._popen, None
        if popen is not None and popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(popen.pid, signal.SIGTERM)
            try:
                popen.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(popen.pid, signal.SIGKILL)
                popen.wait()
            _remove_partials(self.cache_dir, popen.pid)
        self._close_stderr()
        self._clean()

    def _last_line(self, code: int) -> str:
        assert self._stderr is not None
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines and code > 0 else f"exit status {code}"

    def _close_stderr(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> CompanionsAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


_STALE_DAY_SECONDS = 3600


def _sweep(cache_dir: Path) -> None:
    """Remove what runs that died before their block ended left: requests whose process is
    gone, and day folders older than an hour (each is used once, by the run that asked)."""
    for wanted in cache_dir.glob("ahead-*.wanted.json*"):
        owner = wanted.name.split("-")[1]
        if owner.isdigit() and not _alive(int(owner)):
            wanted.unlink(missing_ok=True)
    for folder in cache_dir.glob("*.day-*"):
        with contextlib.suppress(OSError):
            if time.time() - folder.stat().st_mtime > _STALE_DAY_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_partials(cache_dir: Path, pid: int) -> None:
    """Remove what a stopped worker was writing: its partial files and folders are named
    ``<final>.partial-<pid>-<random>`` (``publication.details._partial``)."""
    for partial in cache_dir.glob(f"*.partial-{pid}-*"):
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)


def _die_with_parent(parent: int) -> bool:
    """Ask the kernel to SIGTERM this process when its parent exits (Linux); False when the
    parent is already gone."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == parent


class _NoPandas:
    """Import finder refusing pandas: the worker needs none, but Arrow imports it (~0.9 s of a
    ~3 s worker) the first time it checks whether a value is a DataFrame (``pa.table``,
    ``pa.array``); without it Arrow goes on as without pandas installed (the same tables and
    files: nothing here converts from or to pandas)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"{name} is not imported by this worker", name=name)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """The worker: fill the caches of the given companion files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--lang", default="es")
    parser.add_argument("--wanted", type=Path)
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if not _die_with_parent(args.parent):
        return 1
    sys.meta_path.insert(0, _NoPandas())
    # The collector off, as for the day's own parse (``map_releases`` runs under ``gc_paused``):
    # the parse's many small objects made it traverse the growing heap again and again (~15%).
    gc.disable()
    from publication.details import fill_companion_caches

    fill_companion_caches(args.files, args.cache, args.lang, wanted=args.wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
