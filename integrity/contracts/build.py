"""Compile the anchor registry with the vyper Python API and write the committed artifact."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parent
SOURCE_PATH = CONTRACTS_DIR / "anchor_registry.vy"
ARTIFACT_PATH = CONTRACTS_DIR / "anchor_registry.json"
EVM_VERSION = "paris"
VYPER_VERSION = "0.4.3"


def compile_artifact(source_path: Path = SOURCE_PATH) -> dict[str, Any]:
    """Compile the registry source into the artifact dictionary (abi, bytecodes, provenance)."""
    import vyper
    from vyper.compiler import compile_code
    from vyper.compiler.settings import Settings

    if vyper.__version__ != VYPER_VERSION:
        raise RuntimeError(
            f"{source_path.name} must be compiled with vyper {VYPER_VERSION}, found "
            f"{vyper.__version__}: install the pinned dev dependencies"
        )
    source_bytes = source_path.read_bytes()
    output = compile_code(
        source_bytes.decode("utf-8"),
        contract_path=source_path.name,
        output_formats=["abi", "bytecode", "bytecode_runtime"],
        settings=Settings(evm_version=EVM_VERSION),
    )
    return {
        "contract_name": "AnchorRegistry",
        "source_file": source_path.name,
        "source_sha256": hashlib.sha256(source_bytes).hexdigest(),
        "vyper_version": vyper.__version__,
        "evm_version": EVM_VERSION,
        "abi": output["abi"],
        "bytecode": output["bytecode"],
        "bytecode_runtime": output["bytecode_runtime"],
    }


def artifact_bytes(artifact: dict[str, Any]) -> bytes:
    """Serialise an artifact deterministically (sorted keys, two-space indent, trailing newline)."""
    return (json.dumps(artifact, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def main() -> None:
    """Recompile the contract and rewrite the committed artifact."""
    payload = artifact_bytes(compile_artifact())
    ARTIFACT_PATH.write_bytes(payload)
    print(f"wrote {ARTIFACT_PATH} ({len(payload)} bytes)")


if __name__ == "__main__":
    main()
