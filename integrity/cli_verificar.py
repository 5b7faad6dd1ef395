"""``verificar``: check published open-data files against their manifest, Merkle root and anchor.

Exit codes: 0 verified, 1 altered or not published, 2 could not check. The CLI only parses
arguments, builds ``VerifyOptions`` and renders the ``VerificationResult`` of
``integrity.verify``; web3 is imported only when a chain is actually queried.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import orjson

from integrity.verify import (
    ANVIL_CHAIN_ID,
    CHECKS,
    ChainAccess,
    ChainUnavailable,
    DatasetsRoot,
    Note,
    TrustPin,
    VerificationResult,
    VerifyOptions,
    Web3ChainAccess,
    check_label,
    verify_path,
    verify_range,
)
from messages import DEFAULT_LANG, LANGUAGES, text

DEFAULT_DEVCHAIN_DIR = Path(__file__).resolve().parents[1] / ".devchain"


def build_parser(lang: str = DEFAULT_LANG) -> argparse.ArgumentParser:
    """Command-line interface (help texts in ``lang``)."""
    parser = argparse.ArgumentParser(prog="verificar", description=text("cli.description", lang))
    parser.add_argument("path", help=text("cli.help_path", lang))
    parser.add_argument("--datasets", help=text("cli.help_datasets", lang))
    parser.add_argument("--trust", help=text("cli.help_trust", lang))
    parser.add_argument("--rpc", help=text("cli.help_rpc", lang))
    parser.add_argument("--devchain", help=text("cli.help_devchain", lang))
    parser.add_argument("--offline", action="store_true", help=text("cli.help_offline", lang))
    parser.add_argument("--json", action="store_true", help=text("cli.help_json", lang))
    parser.add_argument(
        "--lang", choices=LANGUAGES, default=DEFAULT_LANG, help=text("cli.help_lang", lang)
    )
    parser.add_argument(
        "--range", nargs=2, metavar=("FROM", "TO"), help=text("cli.help_range", lang)
    )
    return parser


def chain_factory(
    rpc_url: str | None, devchain_dir: Path, stack: contextlib.ExitStack
) -> Callable[[int], ChainAccess]:
    """Open the chain lazily: the given RPC, else a read-only dev chain for chain id 31337."""

    def factory(chain_id: int) -> ChainAccess:
        if rpc_url:
            from integrity.chain import connect

            return Web3ChainAccess(connect(rpc_url), dev_chain=chain_id == ANVIL_CHAIN_ID)
        if chain_id == ANVIL_CHAIN_ID:
            try:
                from integrity.devchain import DevChain

                running = stack.enter_context(DevChain(devchain_dir).read_only())
            except Exception as error:
                raise ChainUnavailable(
                    Note("cli.devchain_unavailable", {"error": str(error).splitlines()[0]})
                ) from error
            return Web3ChainAccess(running.web3(), dev_chain=True)
        raise ChainUnavailable(Note("anchor.no_rpc", {"chain_id": chain_id}))

    return factory


def render_text(result: VerificationResult, lang: str, out: TextIO) -> None:
    """Human-readable report: header, four result lines, verdict, warnings, manual check."""
    if result.header is not None:
        print(result.header.text(lang), file=out)
    for item in result.items:
        states = " · ".join(
            f"{check.label(lang)} {check.status.label(lang)}" for check in item.checks.values()
        )
        print(f"  {item.label}  {states}", file=out)
    width = max(len(check_label(name, lang)) for name in CHECKS)
    for check in result.checks.values():
        label = f"{check.label(lang):<{width}}  {check.status.label(lang):<7}"
        notes = check.notes or []
        first = notes[0].text(lang) if notes else ""
        print(f"{label} {first}".rstrip(), file=out)
        for note in notes[1:]:
            print(f"{'':<{width + 9}} {note.text(lang)}", file=out)
    print(result.verdict.text(lang), file=out)
    if result.dev_chain:
        print(text("devchain.warning", lang), file=out)
    if result.synthetic:
        print(text("synthetic.note", lang), file=out)
    if result.manual_call is not None:
        print(result.manual_call.note().text(lang), file=out)


def _parse_day(value: str, lang: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SystemExit(text("cli.bad_date", lang, value=value)) from None


def _requested_lang(raw_args: list[str]) -> str:
    """Language asked for on the command line, so that --help is localised too."""
    asked = DEFAULT_LANG
    for position, value in enumerate(raw_args):
        if value == "--lang" and position + 1 < len(raw_args):
            asked = raw_args[position + 1]
        elif value.startswith("--lang="):
            asked = value.split("=", 1)[1]
    return asked if asked in LANGUAGES else DEFAULT_LANG


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the verifier and return the exit code."""
    out = out or sys.stdout
    raw_args = list(sys.argv[1:] if argv is None else argv)
    lang = _requested_lang(raw_args)
    args = build_parser(lang).parse_args(raw_args)
    lang = args.lang
    datasets = DatasetsRoot.at(args.datasets) if args.datasets else None
    trust = None
    if args.trust:
        trust_path = Path(args.trust)
        try:
            trust = TrustPin.from_json(trust_path.read_bytes(), str(trust_path))
        except (OSError, ValueError) as error:
            print(text("publisher.trust_invalid", lang, trust=args.trust, error=error), file=out)
            return 2
    rpc_url = (args.rpc or "").strip() or None
    devchain_dir = Path(args.devchain) if args.devchain else DEFAULT_DEVCHAIN_DIR
    with contextlib.ExitStack() as stack:
        options = VerifyOptions(
            datasets=datasets,
            trust=trust,
            offline=args.offline,
            chain_factory=None if args.offline else chain_factory(rpc_url, devchain_dir, stack),
        )
        if args.range:
            start, end = (_parse_day(value, lang) for value in args.range)
            root = datasets or DatasetsRoot.at(args.path)
            result = verify_range(root, start, end, options)
        else:
            result = verify_path(args.path, options)
    if args.json:
        out.write(orjson.dumps(result.to_json(lang), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        render_text(result, lang, out)
    return result.exit_code


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
