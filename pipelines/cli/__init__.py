"""`publicar`: the operators' command (run, backfill, bulk, anchor, deploy, proof, serve,
upload, config).

The settings are loaded once here, with the command's flags as overrides, before any command
touches a file; a refused setting ends the command with its message and exit code 2. The
commands that write (run, backfill, bulk, anchor, upload) then take the datasets root's lock
(``publication.lock``): a second one waits up to ``lock_timeout`` seconds, then refuses with
exit code 2.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from messages import text
from pipelines.cli import anchor, backfill, bulk, config, deploy, proof, run, serve, upload
from settings import Settings, SettingsError, load_settings

COMMANDS: dict[str, ModuleType] = {
    "run": run,
    "backfill": backfill,
    "bulk": bulk,
    "anchor": anchor,
    "deploy": deploy,
    "proof": proof,
    "serve": serve,
    "upload": upload,
    "config": config,
}
WRITERS = frozenset({"run", "backfill", "bulk", "anchor", "upload"})


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `publicar` console script."""
    parser = argparse.ArgumentParser(
        prog="publicar",
        description="Publish PERÚ COMPRAS catalogue orders as verifiable OCDS open data.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    args = parser.parse_args(argv)
    command = COMMANDS[args.command]
    try:
        settings = load_settings(overrides=command.overrides(args))
    except SettingsError as error:
        print(f"publicar: {error}", file=sys.stderr)
        return 2
    try:
        if args.command not in WRITERS:
            return int(command.handle(args, settings) or 0)
        refuse = getattr(command, "refuse", None)
        refused = refuse(args, settings) if refuse is not None else None
        if refused is not None:
            return int(refused)
        return _locked(command, args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the operator gets a message; the traceback goes to a log file
        return _unexpected(error, settings)


def _unexpected(error: Exception, settings: Settings) -> int:
    """Say what failed in one line (disk full has its own message); keep the traceback in
    ``<state_dir>/publicar-error.log``. Exit code 1."""
    import errno
    import traceback

    log = settings.status_store_dir / "publicar-error.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(error)))
    except OSError:
        log = Path("-")
    if _disk_full(error, errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        print(text("error.disk_full", settings.lang, error=error), file=sys.stderr)
    else:
        print(text("error.unexpected", settings.lang, error=error, log=log), file=sys.stderr)
    return 1


def _disk_full(error: BaseException | None, *codes: int) -> bool:
    """Whether ``error`` (or an error it was raised from) says the disk or file size is full."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OSError) and error.errno in codes:
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _locked(command: ModuleType, args: argparse.Namespace, settings: Settings) -> int:
    """Run a writing command under the datasets root's lock (exit code 2 when it is busy)."""
    from publication.lock import RootBusy, root_lock

    def waiting(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        with (
            root_lock(
                settings.status_store_dir,
                timeout=settings.lock_timeout,
                root=settings.datasets_root,
                lang=settings.lang,
                on_wait=waiting,
            ),
            _frozen_heap(),
        ):
            return int(command.handle(args, settings) or 0)
    except RootBusy as busy:
        print(busy, file=sys.stderr)
        return 2


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """The objects alive when a command starts (mostly the libraries imported) are left out
    of the collector's full passes while it runs: one such pass over dagster, GX, pandas and
    web3 took ~0.4 s of a day's run."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


if __name__ == "__main__":
    sys.exit(main())
