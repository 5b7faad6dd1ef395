"""RFC 9162 Merkle tree: roots and audit paths against the RFC's recursive definitions."""

from __future__ import annotations

import hashlib

import pytest

from integrity.merkle import (
    MerkleTree,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    verify_inclusion,
)


def _rfc_mth(leaves: list[bytes]) -> bytes:
    """MTH exactly as written in RFC 9162 §2.1.1 (recursive split)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(_rfc_mth(leaves[:k]), _rfc_mth(leaves[k:]))


def _rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as written in RFC 9162 §2.1.3.1."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*_rfc_path(m, leaves[:k]), _rfc_mth(leaves[k:])]
    return [*_rfc_path(m - k, leaves[k:]), _rfc_mth(leaves[:k])]


LEAVES = [f"release {i}".encode() for i in range(40)]


@pytest.mark.parametrize("size", range(0, 41))
def test_root_matches_rfc_definition(size: int) -> None:
    assert merkle_root(LEAVES[:size]) == _rfc_mth(LEAVES[:size])


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert merkle_root([]).hex() == hashlib.sha256(b"").hexdigest()


def test_odd_node_is_not_duplicated() -> None:
    a, b, c = LEAVES[:3]
    assert merkle_root([a, b, c]) != merkle_root([a, b, c, c])


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 32, 33, 40])
def test_every_audit_path_matches_rfc_and_verifies(size: int) -> None:
    leaves = LEAVES[:size]
    tree = MerkleTree([leaf_hash(x) for x in leaves])
    root = tree.root
    for m in range(size):
        path = tree.inclusion_proof(m)
        assert path == _rfc_path(m, leaves)
        assert verify_inclusion(leaves[m], m, size, path, root)


def test_tampered_leaf_index_or_size_fails() -> None:
    leaves = LEAVES[:7]
    hashes = [leaf_hash(x) for x in leaves]
    root = MerkleTree(hashes).root
    path = inclusion_proof(3, hashes)
    assert not verify_inclusion(b"edited", 3, 7, path, root)
    assert not verify_inclusion(leaves[3], 2, 7, path, root)
    assert not verify_inclusion(leaves[3], 3, 7, path[:-1], root)
    assert not verify_inclusion(leaves[3], 3, 7, path, hashlib.sha256(b"x").digest())


def test_claimed_tree_size_must_come_from_manifest() -> None:
    # The field notes' trap: leaf 0 of a 3-leaf tree also verifies with a claimed size of 4,
    # so a verifier must never take the size from the proof itself.
    leaves = LEAVES[:3]
    hashes = [leaf_hash(x) for x in leaves]
    root = MerkleTree(hashes).root
    path = inclusion_proof(0, hashes)
    assert verify_inclusion(leaves[0], 0, 3, path, root)
    assert verify_inclusion(leaves[0], 0, 4, path, root)
    assert not verify_inclusion(leaves[2], 2, 4, inclusion_proof(2, hashes), root)
