"""RFC 9162 (Certificate Transparency v2) Merkle tree over SHA-256.

leaf hash = SHA-256(0x00 ‖ data), node hash = SHA-256(0x01 ‖ left ‖ right); the tree of
n > 1 leaves splits at the largest power of two smaller than n, so a lone node is carried
up unchanged (never duplicated). The empty tree's root is SHA-256 of the empty string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    """Hash every leaf, in order."""
    sha256 = hashlib.sha256
    return [sha256(_LEAF_PREFIX + data).digest() for data in leaves]


def _parent_level(level: Sequence[bytes]) -> list[bytes]:
    """Hash adjacent pairs; a lone right-most node is carried up unchanged, which gives the
    same tree as RFC 9162's split at the largest power of two (never duplicated)."""
    sha256 = hashlib.sha256
    parents = [
        sha256(_NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
    ]
    if len(level) % 2:
        parents.append(level[-1])
    return parents


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Merkle tree hash of already-hashed leaves, computed level by level."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    level: Sequence[bytes] = hashes
    while len(level) > 1:
        level = _parent_level(level)
    return level[0]


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """Merkle tree hash (MTH) of raw leaf data."""
    return root_from_leaf_hashes(leaf_hashes(leaves))


class MerkleTree:
    """All levels of a tree, so that every audit path is read off in O(log n)."""

    def __init__(self, hashes: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(hashes)]
        while len(self.levels[-1]) > 1:
            self.levels.append(_parent_level(self.levels[-1]))

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self.levels[0])

    @property
    def root(self) -> bytes:
        """Merkle tree hash."""
        return self.levels[-1][0] if self.size else hashlib.sha256(b"").digest()

    def inclusion_proof(self, index: int) -> list[bytes]:
        """Audit path PATH(m, D[n]) for leaf ``index`` (RFC 9162 §2.1.3.1), leaf to root."""
        if not 0 <= index < self.size:
            raise ValueError(f"leaf index {index} is outside a tree of {self.size} leaves")
        path: list[bytes] = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index >>= 1
        return path


def inclusion_proof(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    """Audit path for leaf ``index`` given all leaf hashes."""
    return MerkleTree(hashes).inclusion_proof(index)


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """Check an audit path (RFC 9162 §2.1.3.2); ``tree_size`` must come from a trusted source."""
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    result = leaf_hash(leaf)
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root
