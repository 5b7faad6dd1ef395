"""The committed registry artifact is exactly what the pinned vyper compiles from the source."""

from __future__ import annotations

import hashlib
import json

import pytest

from integrity.contracts import build
from integrity.contracts.build import ContractSpec

PUSH0 = 0x5F
CONTRACTS = pytest.mark.parametrize("spec", build.CONTRACTS, ids=lambda spec: spec.contract_name)


def opcodes(bytecode_hex: str) -> list[int]:
    """Return the opcodes of EVM bytecode, skipping PUSH1..PUSH32 immediates."""
    code = bytes.fromhex(bytecode_hex.removeprefix("0x"))
    ops: list[int] = []
    position = 0
    while position < len(code):
        op = code[position]
        ops.append(op)
        position += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return ops


def test_only_the_publication_log_is_built() -> None:
    assert [spec.source_path.name for spec in build.CONTRACTS] == ["publication_log.vy"]
    assert not list(build.CONTRACTS_DIR.glob("anchor_registry.*"))  # v1 is gone


@CONTRACTS
def test_committed_artifact_matches_fresh_compilation(spec: ContractSpec) -> None:
    committed = spec.artifact_path.read_bytes()
    fresh = build.artifact_bytes(build.compile_artifact(spec))
    assert fresh == committed, (
        f"integrity/contracts/{spec.artifact_path.name} is stale: run "
        "`.venv/bin/python -m integrity.contracts.build` and commit the result"
    )


@CONTRACTS
def test_artifact_records_its_provenance(spec: ContractSpec) -> None:
    artifact = json.loads(spec.artifact_path.read_bytes())
    assert artifact["source_sha256"] == hashlib.sha256(spec.source_path.read_bytes()).hexdigest()
    assert artifact["contract_name"] == spec.contract_name
    assert artifact["vyper_version"] == "0.4.3"
    assert artifact["evm_version"] == "paris"
    assert spec.artifact_path.read_bytes().endswith(b"}\n")
    assert artifact["settings"] == build.compiler_settings()


def test_artifact_exposes_the_interface() -> None:
    v2 = json.loads(build.PUBLICATION_LOG.artifact_path.read_bytes())
    v2_names = {entry.get("name") for entry in v2["abi"]}
    assert {
        "publish",
        "publish_batch",
        "latest_entry",
        "get_entry",
        "dataset_info",
        "propose_publisher",
        "accept_publisher",
        "cancel_publisher_proposal",
        "Published",
        "PublisherChanged",
    } <= v2_names


@CONTRACTS
def test_runtime_code_has_no_push0_so_it_runs_on_paris_chains(spec: ContractSpec) -> None:
    artifact = json.loads(spec.artifact_path.read_bytes())
    assert PUSH0 not in opcodes(artifact["bytecode_runtime"])
    assert PUSH0 not in opcodes(artifact["bytecode"])


@CONTRACTS
def test_push0_detector_sees_push0_in_a_shanghai_build(spec: ContractSpec) -> None:
    from vyper.compiler import compile_code
    from vyper.compiler.settings import Settings

    source = spec.source_path.read_text()
    assert "# pragma evm-version paris\n" in source
    shanghai = compile_code(
        source.replace("# pragma evm-version paris\n", ""),
        output_formats=["bytecode_runtime"],
        settings=Settings(evm_version="shanghai"),
    )
    assert PUSH0 in opcodes(shanghai["bytecode_runtime"])


@CONTRACTS
def test_build_refuses_another_compiler_version(
    spec: ContractSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "VYPER_VERSION", "0.0.0")
    with pytest.raises(RuntimeError, match=r"must be compiled with vyper 0\.0\.0"):
        build.compile_artifact(spec)
