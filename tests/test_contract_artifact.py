"""The committed AnchorRegistry artifact is exactly what the pinned vyper compiles from the source."""

from __future__ import annotations

import hashlib
import json

import pytest

from integrity.contracts import build

PUSH0 = 0x5F


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


def test_committed_artifact_matches_fresh_compilation() -> None:
    committed = build.ARTIFACT_PATH.read_bytes()
    fresh = build.artifact_bytes(build.compile_artifact())
    assert fresh == committed, (
        "integrity/contracts/anchor_registry.json is stale: run "
        "`.venv/bin/python -m integrity.contracts.build` and commit the result"
    )


def test_artifact_records_its_provenance() -> None:
    artifact = json.loads(build.ARTIFACT_PATH.read_bytes())
    assert artifact["source_sha256"] == hashlib.sha256(build.SOURCE_PATH.read_bytes()).hexdigest()
    assert artifact["vyper_version"] == "0.4.3"
    assert artifact["evm_version"] == "paris"
    assert build.ARTIFACT_PATH.read_bytes().endswith(b"}\n")
    names = {entry.get("name") for entry in artifact["abi"]}
    assert {"anchor", "get_anchor", "head", "head_day", "count", "publisher", "Anchored"} <= names


def test_runtime_code_has_no_push0_so_it_runs_on_paris_chains() -> None:
    artifact = json.loads(build.ARTIFACT_PATH.read_bytes())
    assert PUSH0 not in opcodes(artifact["bytecode_runtime"])
    assert PUSH0 not in opcodes(artifact["bytecode"])


def test_push0_detector_sees_push0_in_a_shanghai_build() -> None:
    from vyper.compiler import compile_code
    from vyper.compiler.settings import Settings

    source = build.SOURCE_PATH.read_text().replace("# pragma evm-version paris\n", "")
    shanghai = compile_code(
        source, output_formats=["bytecode_runtime"], settings=Settings(evm_version="shanghai")
    )
    assert PUSH0 in opcodes(shanghai["bytecode_runtime"])


def test_build_refuses_another_compiler_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "VYPER_VERSION", "0.0.0")
    with pytest.raises(RuntimeError, match=r"must be compiled with vyper 0\.0\.0"):
        build.compile_artifact()
