"""The shipped test vectors: every case gives its expected verdict, through the library and CLI."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from integrity.cli_verificar import run
from integrity.verify import (
    CHECKS,
    DatasetsRoot,
    Status,
    VerificationResult,
    VerifyOptions,
    load_trust_file,
    verify_path,
    verify_range,
)
from messages import text

REPO_ROOT = Path(__file__).resolve().parents[1]
VECTORS = REPO_ROOT / "tests" / "vectors"
SCRIPT = REPO_ROOT / "scripts" / "make_test_vectors.py"


def load_generator() -> ModuleType:
    """Import scripts/make_test_vectors.py (it is a script, not a package module)."""
    name = "make_test_vectors"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


EXPECTED = orjson.loads((VECTORS / "expected.json").read_bytes())
CASES = {case["name"]: case for case in EXPECTED["cases"]}
SNAPSHOT = orjson.loads((VECTORS / EXPECTED["snapshot"]).read_bytes())


def verify_case(case: dict[str, Any]) -> VerificationResult:
    """Run the library on one vector with the snapshot as the chain (none if offline)."""
    generator = load_generator()
    options = VerifyOptions(
        datasets=DatasetsRoot.at(VECTORS / case["datasets"]),
        chain=None if case["offline"] else generator.SnapshotChain(SNAPSHOT),
        offline=case["offline"],
        trust=load_trust_file(VECTORS / case["pin"]) if case["pin"] else None,
    )
    if case["range"]:
        start, end = (dt.date.fromisoformat(value) for value in case["range"])
        return verify_range(DatasetsRoot.at(VECTORS / case["target"]), start, end, options)
    return verify_path(VECTORS / case["target"], options)


def failed_keys(result: VerificationResult, check: str) -> list[str]:
    return sorted({note.key for note in result.checks[check].notes if note.failed})


@pytest.mark.parametrize("name", sorted(CASES))
def test_library_gives_the_expected_result(name: str) -> None:
    case = CASES[name]
    result = verify_case(case)
    assert result.exit_code == case["exitCode"]
    assert result.verdict.key == case["verdict"]
    assert {n: c.status.value for n, c in result.checks.items()} == case["statuses"]
    for check in CHECKS:
        assert failed_keys(result, check) == case["failing"].get(check, []), check
    explained = {note.key for note in result.explanations()}
    assert set(case["explanations"]) <= explained, explained
    if case["pin"]:
        assert [pin.source.value for pin in result.pins_used()] == ["argument"]


def cli_args(case: dict[str, Any], rpc: str) -> list[str]:
    """The verificar command line for one vector."""
    args = [str(VECTORS / case["target"]), "--datasets", str(VECTORS / case["datasets"])]
    if case["range"]:
        args += ["--range", *case["range"]]
    args += ["--offline"] if case["offline"] else ["--rpc", rpc]
    if case["pin"]:
        args += ["--trust", str(VECTORS / case["pin"])]
    return args


@pytest.fixture(scope="module")
def snapshot_rpc() -> Iterator[str]:
    """The chain snapshot served as JSON-RPC on a loopback port."""
    with load_generator().SnapshotRpcServer(SNAPSHOT) as server:
        yield server.url


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_prints_the_expected_verdict_and_failing_line(name: str, snapshot_rpc: str) -> None:
    case = CASES[name]
    out = io.StringIO()
    assert run(cli_args(case, snapshot_rpc), out) == case["exitCode"]
    lines = out.getvalue().splitlines()
    failing = case["failingLine"]
    if failing is None:
        skipped = [text(f"check.{c}", "es") for c in CHECKS if case["statuses"][c] == "skipped"]
        assert text(case["verdict"], "es", checks=", ".join(skipped)) in lines
        assert not any("FALLA" in line for line in lines)
        return
    row = next(line for line in lines if line.startswith(failing["label"]))
    assert row.split()[1] == failing["status"]
    failed = [text(f"check.{c}", "es") for c in CHECKS if case["statuses"][c] == "fail"]
    assert text("verdict.failed", "es", checks=", ".join(failed)) in lines


def test_cli_json_matches_the_expected_statuses(snapshot_rpc: str) -> None:
    assert CASES
    for case in CASES.values():
        out = io.StringIO()
        run([*cli_args(case, snapshot_rpc), "--json", "--lang", "en"], out)
        report = orjson.loads(out.getvalue())
        assert report["exitCode"] == case["exitCode"], case["name"]
        statuses = {name: check["status"] for name, check in report["checks"].items()}
        assert statuses == case["statuses"], case["name"]


def test_every_tamper_case_fails_and_the_catalogue_is_complete() -> None:
    tampered = {name for name, case in CASES.items() if not name.startswith("good-")}
    assert {
        "modified-field",
        "deleted-row",
        "inserted-row",
        "reordered-rows",
        "truncated",
        "other-day-renamed",
        "forged-manifest",
        "proof-edited-line",
        "proof-tree-size",
        "proof-other-contract",
        "proof-other-chain",
        "replay-old-root",
        "missing-day",
    } <= tampered
    for name in tampered - NOT_TAMPERED:
        assert CASES[name]["exitCode"] == 1, name
        assert CASES[name]["failingLine"]["keys"], name
    assert {CASES[name]["exitCode"] for name in NOT_TAMPERED} == {0, 3}


# Cases not named good-* whose data is authentic (a claim that is ignored, a renamed file) or
# not checked far enough to tell (offline).
NOT_TAMPERED = {"proof-claimed-tree-size", "renamed-file", "forged-mirror-offline"}


def test_every_vector_has_its_readme_line() -> None:
    """tests/vectors/README.md: one line per vector (its target named), and every folder of
    cases/ is the target of some line."""
    lines = [
        line
        for line in (VECTORS / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("- `")
    ]
    assert [line.split("`")[1] for line in lines] == [case["name"] for case in EXPECTED["cases"]]
    for line, case in zip(lines, EXPECTED["cases"], strict=True):
        assert f"`{case['target']}`" in line, case["name"]
    folders = sorted(path.name for path in (VECTORS / "cases").iterdir() if path.is_dir())
    assert len(folders) > 30
    for folder in folders:
        assert any(f"`cases/{folder}" in line for line in lines), folder


def test_every_issue_case_has_a_vector() -> None:
    """Issue 12: each of the cases 1-12 has at least one vector."""
    covered = {case["issueCase"] for case in CASES.values() if case["issueCase"]}
    assert covered == set(range(1, 13))


def test_offline_cli_still_catches_file_tampering() -> None:
    case = CASES["modified-field"]
    out = io.StringIO()
    code = run(
        [str(VECTORS / case["target"]), "--datasets", str(VECTORS / "good"), "--offline"], out
    )
    assert code == 1
    assert any(
        line.startswith("integridad") and "FALLA" in line for line in out.getvalue().splitlines()
    )


def test_snapshot_answers_like_the_registry_abi() -> None:
    """The JSON-RPC answers decode with the real contract ABI (web3), as on a node."""
    from web3 import Web3

    from integrity.chain import load_artifact

    generator = load_generator()
    stored = SNAPSHOT["entries"][1]
    assert stored["seq"] == 2
    contract = Web3().eth.contract(abi=load_artifact()["abi"])
    dataset = bytes.fromhex(SNAPSHOT["datasetId"])

    def answer(function: str, args: list) -> tuple:
        call = contract.encode_abi(function, args)
        reply = generator.rpc_answer(
            SNAPSHOT,
            {"id": 1, "method": "eth_call", "params": [{"to": SNAPSHOT["contract"], "data": call}]},
        )
        outputs = contract.get_function_by_name(function).abi["outputs"]
        types = [
            output["type"]
            if output["type"] != "tuple"
            else "(" + ",".join(c["type"] for c in output["components"]) + ")"
            for output in outputs
        ]
        return Web3().codec.decode(types, bytes.fromhex(reply["result"][2:]))

    (entry, count) = answer("latest_entry", [dataset, stored["day"]])
    assert entry == (
        2,
        1,
        stored["day"],
        1,
        bytes.fromhex(stored["digest"]),
        0,
        stored["blockNumber"],
        stored["timestamp"],
    )
    assert count == 1
    assert answer("get_entry", [dataset, 2])[0] == entry
    assert answer("latest_entry", [dataset, 20250307]) == ((0, 0, 0, 0, bytes(32), 0, 0, 0), 0)


def test_vectors_regenerate_byte_identical(tmp_path: Path) -> None:
    out = tmp_path / "vectors"
    load_generator().build(out)
    committed = {p.relative_to(VECTORS): p.read_bytes() for p in VECTORS.rglob("*") if p.is_file()}
    fresh = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert sorted(map(str, fresh)) == sorted(map(str, committed)), (
        "run `.venv/bin/python scripts/make_test_vectors.py` and commit tests/vectors/"
    )
    changed = [str(path) for path in fresh if fresh[path] != committed[path]]
    assert not changed, f"regenerated vectors differ: {changed}; run scripts/make_test_vectors.py"
    assert sum(len(data) for data in committed.values()) < 1_000_000


def test_every_check_status_is_a_known_value() -> None:
    values = {status.value for status in Status}
    assert CASES
    for case in CASES.values():
        assert set(case["statuses"].values()) <= values
