"""``verificar``: check published open-data files against their manifest, Merkle root and anchor.

Exit codes: 0 verified (integrity, inclusion, anchor and publisher all checked), 1 altered or
not published, 2 could not check, 3 intact but the anchor was not checked (``--offline``).
The CLI only parses arguments, builds ``VerifyOptions`` and renders the ``VerificationResult``
of ``integrity.verify``; web3 is imported only when a chain is actually queried. It never
prints a traceback: an unexpected error is a sentence and exit 2 (``--verbose`` adds detail).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import orjson

from integrity.verify import (
    ANVIL_CHAIN_ID,
    CHECKS,
    EXIT_UNAVAILABLE,
    AgreeingAccess,
    ChainAccess,
    ChainUnavailable,
    DatasetsRoot,
    JsonRpcChainAccess,
    Limits,
    Note,
    PinSource,
    TrustPin,
    VerificationResult,
    VerifyOptions,
    check_label,
    load_trust_file,
    verify_path,
    verify_range,
)
from integrity.verify.trust import PinError, devchain_pin_path, load_pin
from messages import DEFAULT_LANG, LANGUAGES, text

DEFAULT_DEVCHAIN_DIR = Path(__file__).resolve().parents[1] / ".devchain"
DETAIL_PARAMS = ("detail", "error")


def build_parser(lang: str = DEFAULT_LANG) -> argparse.ArgumentParser:
    """Command-line interface (help texts in ``lang``)."""
    parser = argparse.ArgumentParser(
        prog="verificar",
        description=text("cli.description", lang),
        epilog=text("cli.epilog", lang),
    )
    parser.add_argument("path", help=text("cli.help_path", lang))
    parser.add_argument("--datasets", help=text("cli.help_datasets", lang))
    parser.add_argument("--trust", help=text("cli.help_trust", lang))
    parser.add_argument("--rpc", help=text("cli.help_rpc", lang))
    parser.add_argument("--devchain", help=text("cli.help_devchain", lang))
    parser.add_argument("--offline", action="store_true", help=text("cli.help_offline", lang))
    parser.add_argument("--json", action="store_true", help=text("cli.help_json", lang))
    parser.add_argument("--verbose", action="store_true", help=text("cli.help_verbose", lang))
    parser.add_argument(
        "--timeout",
        metavar="SEG",
        help=text(
            "cli.help_timeout",
            lang,
            seconds=f"{Limits().http_timeout:g}",
            small=f"{Limits().small_http_timeout:g}",
        ),
    )
    parser.add_argument(
        "--lang", choices=LANGUAGES, default=DEFAULT_LANG, help=text("cli.help_lang", lang)
    )
    parser.add_argument(
        "--range", nargs=2, metavar=("FROM", "TO"), help=text("cli.help_range", lang)
    )
    return parser


def chain_factory(
    rpc_url: str | None,
    devchain_dir: Path,
    stack: contextlib.ExitStack,
    pins: Sequence[TrustPin] = (),
) -> Callable[[int], ChainAccess]:
    """Open the chain lazily (JSON-RPC, no web3): the given RPC; else, for the chain of the dev
    chain's pin (present only without --rpc and --trust), a read-only copy of this checkout's
    dev chain; else the nodes of a pin given with --trust or installed with the verifier (the
    first two that answer must agree; reads at the pin's finality); else, for chain id 31337,
    the dev chain copy. Never a node named by the downloaded data, nor the dev pin's nodes."""

    def from_pins(chain_id: int, sources: tuple[PinSource, ...]) -> ChainAccess | None:
        for pin in pins:
            if pin.source in sources and pin.chain_id == chain_id and pin.rpc:
                nodes = list(pin.rpc)
                if len(nodes) == 1:
                    return _connect(nodes[0], chain_id, pin)
                # The first two nodes of the pin that answer must give the same answers.
                return AgreeingAccess([_connect(url, chain_id, pin) for url in nodes], nodes)
        return None

    def embedded_chain() -> ChainAccess:
        try:
            from integrity.devchain import DevChain

            running = stack.enter_context(DevChain(devchain_dir).read_only())
        except Exception as error:
            raise ChainUnavailable(
                Note("cli.devchain_unavailable", {"error": str(error).splitlines()[0]})
            ) from error
        return JsonRpcChainAccess.over_http([running.rpc_url], dev_chain=True)

    def factory(chain_id: int) -> ChainAccess:
        if rpc_url:
            pinned = [pin for pin in pins if pin.chain_id == chain_id]
            return _connect(rpc_url, chain_id, pinned[0] if pinned else None)
        # The dev pin vouches only for this checkout's own chain, whatever its RPC field says.
        if any(p.source is PinSource.DEVCHAIN and p.chain_id == chain_id for p in pins):
            return embedded_chain()
        chosen = from_pins(chain_id, (PinSource.ARGUMENT, PinSource.INSTALLED))
        if chosen is not None:
            return chosen
        if chain_id == ANVIL_CHAIN_ID:
            return embedded_chain()
        raise ChainUnavailable(Note("anchor.no_rpc", {"chain_id": chain_id}))

    return factory


def _connect(url: str, chain_id: int, pin: TrustPin | None = None) -> ChainAccess:
    """JSON-RPC (no web3) to one node, reading at the pin's finality when a pin is known."""
    return JsonRpcChainAccess.over_http(
        [url],
        finality_tag=pin.finality_tag if pin else None,
        confirmations=pin.confirmations if pin else None,
        dev_chain=chain_id == ANVIL_CHAIN_ID,
    )


def render_text(
    result: VerificationResult, lang: str, out: TextIO, *, verbose: bool = False
) -> None:
    """Human-readable report: header, four result lines, verdict, pin, warnings, manual check."""
    if result.header is not None:
        print(result.header.text(lang), file=out)
    for item in result.items:
        states = " · ".join(
            f"{check.label(lang)} {check.status.label(lang)}" for check in item.checks.values()
        )
        print(f"  {item.label}  {states}", file=out)
    width = max(len(check_label(name, lang)) for name in CHECKS)
    indent = " " * (width + 10)
    for check in result.checks.values():
        label = f"{check.label(lang):<{width}}  {check.status.label(lang):<7}"
        notes = check.notes or []
        for position, note in enumerate(notes):
            prefix = label if position == 0 else indent[:-1]
            print(f"{prefix} {note.text(lang)}".rstrip(), file=out)
            if verbose:
                for name in DETAIL_PARAMS:
                    if note.params.get(name):
                        print(
                            f"{indent}  {text('cli.detail', lang, detail=note.params[name])}",
                            file=out,
                        )
        if not notes:
            print(label.rstrip(), file=out)
    print(result.verdict.text(lang), file=out)
    for note in result.pin_notes():
        print(note.text(lang), file=out)
    if result.dev_chain:
        print(text("devchain.warning", lang), file=out)
    if result.synthetic:
        print(text("synthetic.note", lang), file=out)
    if result.manual_call is not None:
        print(result.manual_call.note().text(lang), file=out)


class UsageError(Exception):
    """A command-line value that cannot be used (exit 2 with a sentence)."""


def _parse_day(value: str, lang: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(text("cli.bad_date", lang, value=value)) from None


def _parse_timeout(value: str | None, lang: str) -> Limits:
    if value is None:
        return Limits()
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 1e6:
        raise UsageError(text("cli.bad_timeout", lang, value=value))
    return Limits().with_timeout(seconds)


def _requested_lang(raw_args: list[str]) -> str:
    """Language asked for on the command line, so that --help is localised too."""
    asked = DEFAULT_LANG
    for position, value in enumerate(raw_args):
        if value == "--lang" and position + 1 < len(raw_args):
            asked = raw_args[position + 1]
        elif value.startswith("--lang="):
            asked = value.split("=", 1)[1]
    return asked if asked in LANGUAGES else DEFAULT_LANG


def _trusted_pins(devchain_dir: Path, *, embedded_chain: bool) -> tuple[TrustPin, ...]:
    """The installed official pins plus, when the chain is this checkout's own embedded chain
    (``embedded_chain``: no --rpc, no --trust), the dev chain's pin beside its state.

    Anvil's first deployment always has the same registry address and dev publisher, so any
    anvil holds a registry "matching" the dev pin: the pin is proof only of what this
    checkout's own chain state holds, never of what another node answers."""
    from integrity.verify._pins import installed_pins

    pins = list(installed_pins())
    pin_file = devchain_pin_path(devchain_dir)
    if embedded_chain and pin_file.is_file():
        with contextlib.suppress(PinError):
            pins.append(TrustPin.from_pin(load_pin(pin_file), PinSource.DEVCHAIN))
    return tuple(pins)


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the verifier and return the exit code (never raises for bad input)."""
    out = out or sys.stdout
    raw_args = list(sys.argv[1:] if argv is None else argv)
    lang = _requested_lang(raw_args)
    args = build_parser(lang).parse_args(raw_args)
    lang = args.lang
    try:
        return _run(args, lang, out)
    except UsageError as error:
        print(str(error), file=out)
        return EXIT_UNAVAILABLE
    except BrokenPipeError:
        raise  # the reader went away (e.g. `| head`): nothing more can be said
    except Exception as error:
        print(text("cli.error", lang), file=out)
        if args.verbose:
            print(text("cli.detail", lang, detail=f"{type(error).__name__}: {error}"), file=out)
        return EXIT_UNAVAILABLE


def _run(args: argparse.Namespace, lang: str, out: TextIO) -> int:
    limits = _parse_timeout(args.timeout, lang)
    datasets = DatasetsRoot.at(args.datasets, limits) if args.datasets else None
    trust = None
    if args.trust:
        try:
            trust = load_trust_file(Path(args.trust))
        except (ValueError, PinError) as error:
            print(text("publisher.trust_invalid", lang, trust=args.trust), file=out)
            if args.verbose:
                print(text("cli.detail", lang, detail=str(error)[:300]), file=out)
            return EXIT_UNAVAILABLE
    rpc_url = (args.rpc or "").strip() or None
    devchain_dir = Path(args.devchain) if args.devchain else DEFAULT_DEVCHAIN_DIR
    pins = _trusted_pins(devchain_dir, embedded_chain=rpc_url is None and trust is None)
    range_days = [_parse_day(value, lang) for value in args.range] if args.range else None
    with contextlib.ExitStack() as stack:
        known = [pin for pin in (trust, *pins) if pin is not None]
        options = VerifyOptions(
            datasets=datasets,
            trust=trust,
            offline=args.offline,
            chain_factory=(
                None if args.offline else chain_factory(rpc_url, devchain_dir, stack, known)
            ),
            pins=pins,
            limits=limits,
        )
        if range_days:
            root = datasets or DatasetsRoot.at(args.path, limits)
            result = verify_range(root, range_days[0], range_days[1], options)
        else:
            result = verify_path(args.path, options)
    if args.json:
        out.write(orjson.dumps(result.to_json(lang), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        render_text(result, lang, out, verbose=args.verbose)
    return result.exit_code


def main() -> None:
    """Console-script entry point."""
    try:
        code = run()
        sys.stdout.flush()
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        # Python would print a traceback when flushing stdout at exit: point it at devnull.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_UNAVAILABLE
    sys.exit(code)


if __name__ == "__main__":
    main()
