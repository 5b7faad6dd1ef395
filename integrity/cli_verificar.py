"""``verificar``: check published open-data files against their manifest, Merkle root and anchor.

Exit codes: 0 verified, 1 altered or not published, 2 could not check. The CLI only parses
arguments, builds ``VerifyOptions`` and renders the ``VerificationResult`` of
``integrity.verify``; web3 is imported only when a chain is actually queried.
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

from integrity.messages import DEFAULT_LANG, LANGUAGES, check_name, render, status_name
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
    item_label,
    verify_path,
    verify_range,
)

ENV_RPC_URL = "PERUCOMPRAS_RPC_URL"
DEFAULT_DEVCHAIN_DIR = Path(__file__).resolve().parents[1] / ".devchain"


def build_parser(lang: str = DEFAULT_LANG) -> argparse.ArgumentParser:
    """Command-line interface."""
    spanish = lang == "es"
    parser = argparse.ArgumentParser(
        prog="verificar",
        description=(
            "Verifica archivos de datos abiertos de PERÚ COMPRAS: integridad, inclusión, "
            "anclaje y publicador. Salida: 0 verificado, 1 alterado o no publicado, "
            "2 no se pudo comprobar."
            if spanish
            else "Verify PERÚ COMPRAS open-data files: integrity, inclusion, anchor and "
            "publisher. Exit: 0 verified, 1 altered or not published, 2 could not check."
        ),
    )
    parser.add_argument(
        "path",
        help="carpeta de día, archivo publicado, prueba o sha256:<hex>"
        if spanish
        else "day folder, published file, proof file or sha256:<hex>",
    )
    parser.add_argument("--datasets", help="datasets root (folder or URL) with index.json")
    parser.add_argument("--trust", help="trust.json to pin chain, contract and publisher")
    parser.add_argument("--rpc", help=f"JSON-RPC URL (default: ${ENV_RPC_URL})")
    parser.add_argument("--devchain", help="dev chain state folder (default: .devchain)")
    parser.add_argument("--offline", action="store_true", help="do not query the chain")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANG)
    parser.add_argument("--range", nargs=2, metavar=("FROM", "TO"), help="YYYY-MM-DD YYYY-MM-DD")
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
            f"{check_name(name, lang)} {status_name(item.checks[name].status.value, lang)}"
            for name in CHECKS
        )
        print(f"  {item_label(item)}  {states}", file=out)
    width = max(len(check_name(name, lang)) for name in CHECKS)
    for name in CHECKS:
        check = result.checks[name]
        label = f"{check_name(name, lang):<{width}}  {status_name(check.status.value, lang):<7}"
        notes = check.notes or []
        first = notes[0].text(lang) if notes else ""
        print(f"{label} {first}".rstrip(), file=out)
        for note in notes[1:]:
            print(f"{'':<{width + 9}} {note.text(lang)}", file=out)
    print(result.verdict.text(lang), file=out)
    if result.dev_chain:
        from integrity.devchain import DEV_CHAIN_WARNING

        print(DEV_CHAIN_WARNING[lang], file=out)
    if result.manual_call is not None:
        print(result.manual_call.note().text(lang), file=out)


def _parse_day(value: str, lang: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SystemExit(render("cli.bad_date", lang, value=value)) from None


def _requested_lang(raw_args: list[str]) -> str:
    """Language asked for on the command line, so that --help is localised too."""
    for position, value in enumerate(raw_args):
        if value == "--lang" and position + 1 < len(raw_args):
            return raw_args[position + 1]
        if value.startswith("--lang="):
            return value.split("=", 1)[1]
    return DEFAULT_LANG


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
            print(render("publisher.trust_invalid", lang, trust=args.trust, error=error), file=out)
            return 2
    rpc_url = args.rpc or os.environ.get(ENV_RPC_URL, "").strip() or None
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
