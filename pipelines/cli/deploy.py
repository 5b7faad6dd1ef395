"""`publicar deploy`: deploy the registry on the configured network and write its trust pin.

The pin (``integrity.verify.trust`` format) names the chain, the registry (address, deployment
transaction and block, SHA-256 of its runtime code), the publisher, the dataset, the RPC
endpoints and the finality rule. ``--official NAME`` writes it into the verifier package of
this checkout (``integrity/verify/trust/NAME.json``: review it and commit it, so that every
installed verifier believes it); otherwise it goes to ``--out`` (default: beside the status
store, never inside the datasets root). On the embedded dev chain the registry is deployed
when the chain first starts and its pin lives beside the chain's state: this prints it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from settings import Settings, env_name

if TYPE_CHECKING:
    from integrity.verify.trust import Pin

HELP = "Deploy the PublicationLog registry on the configured chain and write its trust pin."
DEFAULT_PIN_FILE = "trust-pin.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `publicar deploy`."""
    parser.add_argument(
        "--chain",
        choices=["devchain", "rpc"],
        help="devchain: the embedded anvil; rpc: the chain.* settings (default: chain.mode)",
    )
    parser.add_argument(
        "--official",
        metavar="NAME",
        help="an official pin: write it to integrity/verify/trust/NAME.json in this checkout",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"where to write a non-official pin (default: {DEFAULT_PIN_FILE} in the status "
        "store folder)",
    )
    parser.add_argument("--name", help="pin name (default: DATASET-NETWORK)")
    parser.add_argument("--forwarder", help="relay hub address the registry trusts (LACChain only)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--chain`` and ``--forwarder`` override their settings."""
    chain = {"mode": args.chain, "forwarder": args.forwarder}
    chosen = {key: value for key, value in chain.items() if value is not None}
    return {"chain": chosen} if chosen else {}


def official_pin_path(name: str) -> Path:
    """Where an official pin goes in this checkout: the verifier's package data."""
    import integrity.verify.trust as trust

    return Path(trust.__file__).resolve().parent / f"{name}.json"


def handle(args: argparse.Namespace, settings: Settings) -> int:
    """Deploy (rpc) or start the dev chain, write the pin, print it."""
    from integrity.chain import ChainError, default_finality
    from integrity.verify.trust import Finality, PinError, load_pin, pin_bytes, write_pin
    from pipelines.services import ChainService

    chain = ChainService.from_settings(settings)
    if settings.chain.mode == "devchain":
        if args.official:
            print("publicar: an official pin cannot name the embedded dev chain", file=sys.stderr)
            return 2
        from integrity.devchain import DevChain

        with DevChain(settings.devchain_dir, dataset=settings.dataset) as dev:
            path = dev.pin_file
        pin = load_pin(path)
    else:
        tag, confirmations = settings.chain.finality()
        if tag is None and confirmations is None:
            finality = default_finality(settings.chain.chain_id or 0)
        else:
            finality = Finality(tag=tag, confirmations=confirmations)
        network = settings.chain.network or f"chain-{settings.chain.chain_id}"
        name = args.official or args.name or f"{settings.dataset}-{network}".lower()
        try:
            deployment = chain.deploy()
            pin = deployment.pin(
                name=name,
                kind="official" if args.official else "test",
                dataset=settings.dataset,
                network=network,
                rpc=settings.chain.rpc_urls,
                finality=finality,
            )
        except (ChainError, PinError, ValueError) as error:
            print(f"publicar: {error}", file=sys.stderr)
            return 1
        if args.official:
            path = official_pin_path(args.official)
        else:
            path = args.out or settings.status_store_dir / DEFAULT_PIN_FILE
        write_pin(pin, path)
        print(
            f"deployed the PublicationLog at {deployment.contract} in block "
            f"{deployment.block_number} (gas {deployment.gas_used:,}, fee {deployment.fee_wei} wei)"
        )
    print(f"trust pin: {path}")
    sys.stdout.write(pin_bytes(pin).decode())
    print()
    print("For the README and the portal:")
    print(pin_summary(pin))
    if settings.chain.mode == "rpc":
        print()
        print("To anchor under this pin:")
        print(f"  {env_name('chain.contract')}={pin.registry.address}")
        if not args.official:
            print(f"  {env_name('chain.pin')}={path}")
        else:
            print(f"  review and commit {path}: installed verifiers will believe it")
    return 0


def pin_summary(pin: Pin) -> str:
    """The pin in a few lines a reader can compare with what the verifier shows."""
    finality = pin.network.finality
    rule = f"tag {finality.tag}" if finality.tag else f"{finality.confirmations} confirmations"
    return "\n".join(
        [
            f"- Network: {pin.network.name} (chain id {pin.network.chain_id}), final at {rule}",
            f"- Registry (PublicationLog, {pin.registry.version}): `{pin.registry.address}`, "
            f"deployed in block {pin.registry.deploy_block} by transaction `{pin.registry.deploy_tx}`",
            f"- SHA-256 of its runtime code: `{pin.registry.runtime_code_sha256}`",
            f"- Publisher: `{pin.publisher}`",
            f"- Dataset: `{pin.dataset}`; pin `{pin.name}` ({pin.kind}), created {pin.created_at}",
        ]
    )
