# pragma version 0.4.3
# pragma evm-version paris
"""
@title AnchorRegistry
@notice Write-once, publisher-only, chained registry of daily manifest digests.
@dev Key convention: key = SHA-256(utf8("{dataset}/{YYYY-MM-DD}")), for example
     SHA-256("perucompras-ocam/2026-11-14"); digest = SHA-256 of the manifest file bytes;
     day = the same date as a YYYYMMDD uint32 (20261114). Each anchor names the key of
     the previous anchor (bytes32 zero for the first), so the registry is a hash chain
     whose head is the latest anchored key. Anchors can never be changed or removed.
"""

# day, block number and timestamp share one slot (day << 128 | block << 64 | timestamp),
# which saves two 22,100-gas fresh slots per anchor.
struct Anchor:
    digest: bytes32
    previous: bytes32
    stamp: uint256


event Anchored:
    key: indexed(bytes32)
    digest: bytes32
    previous: indexed(bytes32)
    day: uint32


publisher: public(address)
head: public(bytes32)
count: public(uint256)
anchors: HashMap[bytes32, Anchor]


@deploy
def __init__():
    self.publisher = msg.sender


@external
def anchor(key: bytes32, day: uint32, digest: bytes32, previous: bytes32) -> bool:
    """
    @notice Anchor `digest` under `key`; returns False (no change) for an identical retry.
    """
    assert msg.sender == self.publisher, "only publisher"
    assert key != empty(bytes32), "empty key"
    assert digest != empty(bytes32), "empty digest"
    stored: Anchor = self.anchors[key]
    if stored.digest != empty(bytes32):
        assert stored.digest == digest and stored.previous == previous, "already anchored"
        return False
    assert previous == self.head, "previous is not head"
    assert day > self._day(self.anchors[previous].stamp), "day not after head"
    self.anchors[key] = Anchor(
        digest=digest,
        previous=previous,
        stamp=(convert(day, uint256) << 128) | (block.number << 64) | block.timestamp,
    )
    self.head = key
    self.count += 1
    log Anchored(key=key, digest=digest, previous=previous, day=day)
    return True


@view
@external
def head_day() -> uint32:
    """
    @notice YYYYMMDD day of the head anchor; 0 before the first anchor.
    """
    return self._day(self.anchors[self.head].stamp)


@view
@external
def get_anchor(key: bytes32) -> (bytes32, bytes32, uint32, uint256, uint256):
    """
    @notice Stored (digest, previous, day, block_number, timestamp); all zero if absent.
    """
    stored: Anchor = self.anchors[key]
    return (
        stored.digest,
        stored.previous,
        self._day(stored.stamp),
        (stored.stamp >> 64) & convert(max_value(uint64), uint256),
        stored.stamp & convert(max_value(uint64), uint256),
    )


@pure
@internal
def _day(stamp: uint256) -> uint32:
    return convert(stamp >> 128, uint32)
