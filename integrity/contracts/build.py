"""Compile the registry contract with the vyper Python API and write the committed artifact.

The registry is the ``PublicationLog`` (v2). Run ``.venv/bin/python -m integrity.contracts.build``
after editing the ``.vy`` file; ``tests/test_contract_artifact.py`` fails while the artifact is
stale.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parent
EVM_VERSION = "paris"
VYPER_VERSION = "0.4.3"
OPTIMIZE = "gas"


@dataclass(frozen=True)
class ContractSpec:
    """One contract source and where its artifact is committed."""

    contract_name: str
    source_path: Path
    artifact_path: Path


PUBLICATION_LOG = ContractSpec(
    "PublicationLog",
    CONTRACTS_DIR / "publication_log.vy",
    CONTRACTS_DIR / "publication_log.json",
)
CONTRACTS = (PUBLICATION_LOG,)


def compiler_settings() -> dict[str, Any]:
    """The vyper settings the artifact is compiled with (recorded in it)."""
    return {
        "evm_version": EVM_VERSION,
        "optimize": OPTIMIZE,
        "experimental_codegen": False,
        "debug": False,
    }


def compile_artifact(spec: ContractSpec = PUBLICATION_LOG) -> dict[str, Any]:
    """Compile one contract source into its artifact dictionary (abi, bytecodes, provenance)."""
    import vyper
    from vyper.compiler import compile_code
    from vyper.compiler.settings import OptimizationLevel, Settings

    if vyper.__version__ != VYPER_VERSION:
        raise RuntimeError(
            f"{spec.source_path.name} must be compiled with vyper {VYPER_VERSION}, found "
            f"{vyper.__version__}: install the pinned dev dependencies"
        )
    settings = compiler_settings()
    source_bytes = spec.source_path.read_bytes()
    output = compile_code(
        source_bytes.decode("utf-8"),
        contract_path=spec.source_path.name,
        output_formats=["abi", "bytecode", "bytecode_runtime"],
        settings=Settings(
            evm_version=settings["evm_version"],
            optimize=OptimizationLevel.from_string(settings["optimize"]),
            experimental_codegen=settings["experimental_codegen"],
            debug=settings["debug"],
        ),
    )
    artifact: dict[str, Any] = {
        "contract_name": spec.contract_name,
        "source_file": spec.source_path.name,
        "source_sha256": hashlib.sha256(source_bytes).hexdigest(),
        "vyper_version": vyper.__version__,
        "evm_version": EVM_VERSION,
        "abi": output["abi"],
        "bytecode": output["bytecode"],
        "bytecode_runtime": output["bytecode_runtime"],
        "settings": settings,
    }
    return artifact


def artifact_bytes(artifact: dict[str, Any]) -> bytes:
    """Serialise an artifact deterministically (sorted keys, two-space indent, trailing newline)."""
    return (json.dumps(artifact, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def main() -> None:
    """Recompile the contract and rewrite its committed artifact."""
    for spec in CONTRACTS:
        payload = artifact_bytes(compile_artifact(spec))
        spec.artifact_path.write_bytes(payload)
        print(f"wrote {spec.artifact_path} ({len(payload)} bytes)")


if __name__ == "__main__":
    main()
