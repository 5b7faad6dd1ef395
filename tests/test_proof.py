"""Single-release proofs: built from real day folders, verified with SHA-256 and one eth_call."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import orjson
import pytest
from test_verify import DATASET, DAYS, World, build_world, failing_keys

from integrity import layout
from integrity.canonical import canonical_bytes
from integrity.manifest import load_manifest
from integrity.merkle import verify_inclusion
from integrity.verify import (
    DatasetsRoot,
    ProofError,
    SkipReason,
    VerifyOptions,
    build_all_proofs,
    build_proof,
    verify_path,
    verify_proof,
    write_proofs,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("proofs") / "datasets", DAYS[:2], (3, 6))


def options(world: World) -> VerifyOptions:
    return VerifyOptions(datasets=DatasetsRoot.at(world.root), trust=world.pin)


def test_proof_by_ocid_and_by_order_number(world: World) -> None:
    folder = world.folder(DAYS[1])
    line = world.path(DAYS[1], layout.RELEASES_JSONL).read_bytes().split(b"\n")[4]
    ocid = orjson.loads(line)["ocid"]
    by_ocid = build_proof(folder, ocid)
    by_order = build_proof(folder, orjson.loads(line)["contracts"][0]["id"])
    assert by_ocid == by_order
    assert by_ocid["line"].encode() == line and by_ocid["leafIndex"] == 4
    assert by_ocid["manifest"] == load_manifest(world.path(DAYS[1], layout.MANIFEST)).data
    assert by_ocid["anchor"]["digest"] == load_manifest(world.path(DAYS[1], layout.MANIFEST)).sha256
    result = verify_proof(by_ocid, world.access(), options=options(world))
    assert result.exit_code == 0, [n.key for c in result.all_checks() for n in c.notes]
    with pytest.raises(ProofError, match="no release"):
        build_proof(folder, "OCAM-1999-1-1")


def test_proof_checks_by_hand_with_sha256_only(world: World) -> None:
    proof = build_proof(
        world.folder(DAYS[0]),
        orjson.loads(world.path(DAYS[0], layout.RELEASES_JSONL).read_bytes().split(b"\n")[0])[
            "ocid"
        ],
    )
    manifest_digest = hashlib.sha256(canonical_bytes(proof["manifest"])).hexdigest()
    stored = world.client.latest_entry(DATASET, DAYS[0]).latest
    assert stored is not None and stored.digest.hex() == manifest_digest
    merkle = proof["manifest"]["merkle"]
    assert verify_inclusion(
        proof["line"].encode(),
        proof["leafIndex"],
        merkle["treeSize"],
        [bytes.fromhex(node) for node in proof["auditPath"]],
        bytes.fromhex(merkle["root"]),
    )


def _proof(world: World, index: int = 0) -> dict:
    return list(build_all_proofs(world.folder(DAYS[0])))[index]


def test_every_leaf_has_a_verifying_proof(world: World, tmp_path: Path) -> None:
    proofs = list(build_all_proofs(world.folder(DAYS[1])))
    assert [p["leafIndex"] for p in proofs] == list(range(6))
    target = tmp_path / "proofs.jsonl"
    assert write_proofs(world.folder(DAYS[1]), target) == 6
    combined = verify_path(
        target,
        VerifyOptions(chain=world.access(), datasets=DatasetsRoot.at(world.root), trust=world.pin),
    )
    assert combined.exit_code == 0 and len(combined.items) == 6


def test_proof_with_an_edited_line(world: World) -> None:
    proof = _proof(world)
    proof["line"] = proof["line"].replace('"amount":1000', '"amount":1001')
    result = verify_proof(proof, world.access(), options=options(world))
    assert result.exit_code == 1
    assert failing_keys(result, "inclusion") == ["inclusion.proof_failed"]
    assert result.checks["anchor"].status.value == "ok"


def test_proof_line_reserialised_is_not_canonical(world: World) -> None:
    proof = _proof(world)
    proof["line"] = orjson.dumps(orjson.loads(proof["line"]), option=orjson.OPT_INDENT_2).decode()
    result = verify_proof(proof, world.access(), options=options(world))
    assert "integrity.proof_line_not_canonical" in failing_keys(result, "integrity")


def test_proof_claiming_a_different_tree_size(world: World) -> None:
    # Leaf 0 of a 3-leaf tree: its audit path also fits a claimed size of 4 (field notes).
    proof = _proof(world, 0)
    assert proof["manifest"]["merkle"]["treeSize"] == 3
    ignored = copy.deepcopy(proof) | {"treeSize": 4}
    result = verify_proof(ignored, world.access(), options=options(world))
    assert result.exit_code == 0
    assert "inclusion.proof_tree_size_ignored" in [n.key for n in result.checks["inclusion"].notes]
    forged = copy.deepcopy(proof)
    forged["manifest"]["merkle"]["treeSize"] = 4
    forged["anchor"]["digest"] = hashlib.sha256(canonical_bytes(forged["manifest"])).hexdigest()
    result = verify_proof(forged, world.access(), options=options(world))
    assert result.exit_code == 1
    # The receipt's transaction recorded the real manifest's digest, not the edited one.
    assert failing_keys(result, "anchor") == [
        "anchor.receipt_tx_no_entry",
        "anchor.digest_mismatch",
    ]


def test_proof_pointing_at_another_contract_or_chain(world: World) -> None:
    elsewhere = _proof(world)
    elsewhere["anchor"]["contract"] = "0x" + "11" * 20
    result = verify_proof(elsewhere, world.access(), options=options(world))
    assert result.exit_code == 1
    assert [n.params["field"] for n in result.checks["publisher"].notes if n.failed] == ["contract"]
    other_chain = _proof(world)
    other_chain["anchor"]["chainId"] = 1
    result = verify_proof(other_chain, world.access(), options=options(world))
    assert [n.params["field"] for n in result.checks["publisher"].notes if n.failed] == ["chainId"]


def test_proof_without_a_chain(world: World) -> None:
    proof = _proof(world)
    unchecked = verify_proof(proof, None, options=options(world))
    assert unchecked.exit_code == 2
    assert unchecked.checks["anchor"].skip_reason is SkipReason.UNAVAILABLE
    offline = verify_proof(
        proof, None, options=VerifyOptions(datasets=DatasetsRoot.at(world.root), offline=True)
    )
    assert offline.exit_code == 3  # intact; anchor and publisher not checked
    assert offline.verdict.key == "verdict.verified_offline"
    untrusted = verify_proof(proof, world.access())
    assert untrusted.exit_code == 2
    assert untrusted.checks["publisher"].notes[0].key == "publisher.no_trust"


def test_malformed_proof(world: World) -> None:
    proof = _proof(world)
    del proof["auditPath"]
    result = verify_proof(proof, world.access(), options=options(world))
    assert result.exit_code == 1
    assert failing_keys(result, "integrity") == ["integrity.proof_malformed"]
